//! One WebSocket connection: reads frames, decodes them off the actor, forwards them to
//! the document actor, and writes the actor's frames from the bounded [`crate::docs::outbox::Outbox`].
//!
//! Whatever a client sends, only its own connection is affected: a malformed frame, an
//! unknown message type, a text frame, an update yrs rejects or an oversized message
//! closes this connection with a close code and reason (and a log line). Keepalive pings
//! go out every `ping_interval`; a connection silent for `idle_timeout` is dropped.

use crate::metrics::{name, Counted};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::docs::guard;
use crate::docs::messages::{Incoming, JoinError, Part};
use crate::docs::outbox::{self, OutboxReceiver};
use crate::docs::presence::AwarenessLimits;
use crate::docs::registry::{DocHandle, Registry};
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use minutebook_shared::protocol::close::{code, CloseReason};
use minutebook_shared::protocol::{self, Message, SyncMessage};
use tokio_util::sync::CancellationToken;

/// Limits and timers of one connection.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_message_bytes: usize,
    pub outbound_frames: usize,
    pub outbound_bytes: usize,
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    /// Awareness limits ([`crate::docs::presence`]).
    pub awareness: AwarenessLimits,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Runs a connection to document `doc` until either side closes it (or `lease`, its
/// session, ends: sign-out, renewal, expiry).
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    socket: WebSocket,
    doc: Arc<str>,
    part: Part,
    acks: bool,
    access: crate::auth::Access,
    lease: crate::auth::live::Lease,
    registry: Registry,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let _open = Counted::new(name::CONNECTIONS);
    let (outbox, outbox_rx) = outbox::channel(limits.outbound_frames, limits.outbound_bytes);
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write_loop(sink, outbox_rx, limits.ping_interval));
    tracing::info!(conn, doc = %doc, ?part, acks, user = %access.name, role = ?access.role, "connection opened");

    let handle = match registry
        .join(
            &doc,
            part,
            conn,
            outbox.clone(),
            acks,
            access,
            limits.awareness.clone(),
        )
        .await
    {
        Ok(handle) => handle,
        Err(e) => {
            tracing::error!(conn, doc = %doc, error = %e, "join failed");
            let close = match e {
                JoinError::NotRestricted => code::POLICY_VIOLATION,
                _ => code::INTERNAL_ERROR,
            };
            outbox.close(CloseReason::new(close, e.to_string()));
            let _ = writer.await;
            return;
        }
    };

    let reason = tokio::select! {
        reason = read_loop(&mut stream, &handle, &limits) => reason,
        _ = outbox.closed() => None, // closed by the actor (slow client, rejected update)
        _ = shutdown.cancelled() => Some(CloseReason::new(code::GOING_AWAY, "server shutting down")),
        reason = lease.ended() => Some(reason), // signed out, session renewed or expired
    };
    if let Some(reason) = reason {
        if reason.code != code::NORMAL && reason.code != code::GOING_AWAY {
            tracing::warn!(conn, doc = %doc, code = reason.code, reason = %reason.reason, "closing connection");
        }
        outbox.close(reason);
    } else {
        outbox.close(CloseReason::new(code::NORMAL, "bye"));
    }
    handle.leave().await;
    let _ = writer.await;
    // Close handshake: let the peer read our close frame and answer it before the TCP
    // connection goes away (otherwise it may see a reset instead of the reason).
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(msg)) = stream.next().await {
            if matches!(msg, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
    tracing::info!(conn, doc = %doc, "connection closed");
}

/// Reads until the peer leaves (`None`) or must be closed (`Some(reason)`).
async fn read_loop(
    stream: &mut SplitStream<WebSocket>,
    handle: &DocHandle,
    limits: &ConnectionLimits,
) -> Option<CloseReason> {
    loop {
        let next = match tokio::time::timeout(limits.idle_timeout, stream.next()).await {
            Err(_) => {
                let secs = limits.idle_timeout.as_secs_f32();
                return Some(CloseReason::new(
                    code::GOING_AWAY,
                    format!("no traffic for {secs:.0} s"),
                ));
            }
            Ok(None) => return None,
            Ok(Some(Err(e))) => return read_error(e, limits),
            Ok(Some(Ok(msg))) => msg,
        };
        match next {
            WsMessage::Binary(bytes) => {
                let incoming = match classify(&bytes) {
                    Ok(incoming) => incoming,
                    Err(reason) => {
                        rejected("malformed");
                        return Some(reason);
                    }
                };
                if handle.send(incoming).await.is_err() {
                    return Some(CloseReason::new(
                        code::INTERNAL_ERROR,
                        "document closed; reconnect",
                    ));
                }
            }
            WsMessage::Text(_) => {
                rejected("text");
                return Some(CloseReason::new(
                    code::UNSUPPORTED_DATA,
                    "text frames are not supported; send binary y-protocols messages",
                ));
            }
            WsMessage::Close(_) => return None,
            WsMessage::Ping(_) | WsMessage::Pong(_) => {}
        }
    }
}

fn read_error(e: axum::Error, limits: &ConnectionLimits) -> Option<CloseReason> {
    let text = e.to_string();
    if text.contains("too long") || text.contains("Space limit") {
        rejected("too-big");
        Some(CloseReason::new(
            code::MESSAGE_TOO_BIG,
            format!("message too big (limit {} bytes)", limits.max_message_bytes),
        ))
    } else {
        tracing::debug!(error = %text, "websocket read error");
        None
    }
}

/// Counts a message refused before it reached the document.
fn rejected(reason: &'static str) {
    metrics::counter!(name::REJECTED_MESSAGES, name::REASON => reason).increment(1);
}

/// Decodes one frame into a message the actor accepts, or the reason to close.
fn classify(frame: &[u8]) -> Result<Incoming, CloseReason> {
    let msg = guard::contain(|| protocol::decode(frame))
        .map_err(|_| CloseReason::new(code::PROTOCOL_ERROR, "malformed message"))?
        .map_err(|e| CloseReason::new(code::PROTOCOL_ERROR, e.to_string()))?;
    Ok(match msg {
        Message::Sync(SyncMessage::SyncStep1(sv)) => Incoming::SyncStep1(sv),
        Message::Sync(SyncMessage::SyncStep2(raw)) | Message::Sync(SyncMessage::Update(raw)) => {
            Incoming::Update(raw)
        }
        Message::Awareness(update) => Incoming::Awareness(update),
        Message::AwarenessQuery => Incoming::QueryAwareness,
        Message::Auth(_) => {
            return Err(CloseReason::new(
                code::PROTOCOL_ERROR,
                "auth messages are not accepted from clients",
            ))
        }
        Message::Custom(tag, _) => {
            return Err(CloseReason::new(
                code::PROTOCOL_ERROR,
                format!("unknown message type {tag}"),
            ))
        }
    })
}

/// Most bytes of queued frames written to the socket at once.
const WRITE_BATCH_BYTES: usize = 256 * 1024;

async fn write_loop(
    mut sink: SplitSink<WebSocket, WsMessage>,
    mut outbox: OutboxReceiver,
    ping_interval: Duration,
) {
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
    // A peer that does not read at all must not hold a writer forever.
    let write_timeout = ping_interval.max(Duration::from_secs(5));
    loop {
        let msg = tokio::select! {
            frame = outbox.recv() => match frame {
                Some(frame) => WsMessage::Binary(frame),
                None => break,
            },
            _ = ping.tick() => WsMessage::Ping(Default::default()),
        };
        // Whatever else is queued goes out in the same write (one syscall, not one per
        // frame: sockets have TCP_NODELAY, so a lone small frame is not held back).
        let batch = async {
            sink.feed(msg).await?;
            let mut bytes = 0;
            while bytes < WRITE_BATCH_BYTES {
                let Some(frame) = outbox.try_recv() else {
                    break;
                };
                bytes += frame.len();
                sink.feed(WsMessage::Binary(frame)).await?;
            }
            sink.flush().await
        };
        match tokio::time::timeout(write_timeout, batch).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
    let reason = outbox
        .close_reason()
        .unwrap_or_else(|| CloseReason::new(code::NORMAL, "bye"));
    let close = WsMessage::Close(Some(CloseFrame {
        code: reason.code,
        reason: reason.reason.into(),
    }));
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
}
