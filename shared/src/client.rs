//! A native sync client: keeps a `yrs::Doc` in sync with a Minutebook server.
//!
//! It speaks the same protocol as the browser client (and as y-websocket): on connect it
//! sends SyncStep1, answers the server's SyncStep1 with SyncStep2, applies remote
//! updates, and sends every local change as an Update. It negotiates [`SUBPROTOCOL`]
//! so the server tells it which of its changes are durable ([`Status::saved`]).
//!
//! The connection is kept up in a background task that reconnects with exponential
//! backoff. Changes made while offline stay in the document and reach the server through
//! the SyncStep1/SyncStep2 exchange on reconnect. [`SyncClient::set_online`] simulates
//! losing the network (used by tests).

pub mod http;
#[cfg(test)]
mod tests;
mod watermark;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, TransactionMut, Update};

use watermark::Watermark;

use crate::protocol::{
    self, Message, SyncMessage, MSG_LEDGER, MSG_LEDGER_CHANGE, MSG_REJECTED, MSG_SAVED, SUBPROTOCOL,
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Transaction origin of updates applied from the server (never echoed back).
const REMOTE: &str = "minutebook-remote";
/// Key of the client's update observer on its document.
const OBSERVER: &str = "minutebook-sync-client";

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    Offline,
}

/// A snapshot of the client's state, observable through [`SyncClient::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub connection: Connection,
    /// The server's SyncStep2 arrived on the current connection.
    pub synced: bool,
    /// Local changes made so far (1-based sequence over the client's lifetime).
    pub local: u64,
    /// Every local change with a sequence number ≤ `saved` is durable on the server. It
    /// never reaches a change the server refused (see [`Status::rejected`]).
    pub saved: u64,
    /// Remote updates applied so far.
    pub remote: u64,
    /// Connections made so far.
    pub connections: u64,
    /// The close reason of the last connection, if the server gave one.
    pub last_close: Option<(u16, String)>,
    /// The meeting's ledger: the whole of it as sent on join, with every live change
    /// since applied.
    pub ledger: Option<crate::trust::Ledger>,
    /// Ledger messages received (whole ledgers and changes).
    pub ledger_messages: u64,
    /// Writes the server refused, and the reason for the last one. Once one is refused,
    /// `saved` stays below it for the client's lifetime.
    pub rejected: u64,
    pub last_rejection: Option<String>,
}

/// Options for [`SyncClient::connect`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Full WebSocket URL of the document, e.g. `ws://127.0.0.1:8080/ws/welcome`.
    pub url: String,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Session token sent as `Authorization: Bearer …` with the upgrade.
    pub bearer: Option<String>,
}

impl ClientOptions {
    pub fn new(url: impl Into<String>) -> Self {
        ClientOptions {
            url: url.into(),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            bearer: None,
        }
    }

    /// Authenticates the connection with a session token.
    pub fn with_bearer(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }
}

/// Errors from the client's waiting helpers.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, &'static str),
    #[error("the client has stopped")]
    Stopped,
}

/// A document kept in sync with the server by a background task.
pub struct SyncClient {
    doc: Doc,
    status: watch::Receiver<Status>,
    online: watch::Sender<bool>,
    produced: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.doc.unobserve_update_v1(OBSERVER);
    }
}

impl SyncClient {
    /// Starts syncing a fresh document with the server at `options.url`.
    pub fn connect(options: ClientOptions) -> Self {
        Self::with_doc(options, Doc::new())
    }

    /// Starts syncing `doc` (which may already hold content) with the server.
    pub fn with_doc(options: ClientOptions, doc: Doc) -> Self {
        let (local_tx, local_rx) = mpsc::unbounded_channel();
        let produced = Arc::new(AtomicU64::new(0));
        let counter = produced.clone();
        doc.observe_update_v1(OBSERVER, move |txn: &TransactionMut, event| {
            let remote = txn
                .origin()
                .is_some_and(|o| o.as_ref() == REMOTE.as_bytes());
            if !remote {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = local_tx.send(event.update.clone());
            }
        })
        .unwrap_or_else(|_| panic!("SyncClient needs a document with no open transaction"));
        let initial = Status {
            connection: Connection::Connecting,
            synced: false,
            local: 0,
            saved: 0,
            remote: 0,
            connections: 0,
            last_close: None,
            ledger: None,
            ledger_messages: 0,
            rejected: 0,
            last_rejection: None,
        };
        let (status_tx, status) = watch::channel(initial);
        let (online, online_rx) = watch::channel(true);
        let worker = Worker {
            options,
            doc: doc.clone(),
            status: status_tx,
            local_rx,
            online: online_rx,
            local: 0,
            saved_cap: None,
        };
        let task = tokio::spawn(worker.run());
        SyncClient {
            doc,
            status,
            online,
            produced,
            task,
        }
    }

    /// The synced document. Edit it with `transact_mut()`; changes are sent automatically.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// A receiver that changes whenever the status does (remote updates, acks, ...).
    pub fn watch(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    /// Drops the connection and stays offline (`false`), or reconnects (`true`).
    pub fn set_online(&self, online: bool) {
        let _ = self.online.send(online);
    }

    /// Local changes made so far (the sequence number of the latest one).
    pub fn local_changes(&self) -> u64 {
        self.produced.load(Ordering::SeqCst)
    }

    /// Waits until `pred` holds for the status.
    pub async fn wait_for(
        &self,
        what: &'static str,
        timeout: Duration,
        mut pred: impl FnMut(&Status) -> bool,
    ) -> Result<Status, ClientError> {
        let mut rx = self.status.clone();
        let wait = async {
            loop {
                {
                    let status = rx.borrow_and_update();
                    if pred(&status) {
                        return Ok(status.clone());
                    }
                }
                rx.changed().await.map_err(|_| ClientError::Stopped)?;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| ClientError::Timeout(timeout, what))?
    }

    /// Waits until connected and the server's state has been received.
    pub async fn wait_synced(&self, timeout: Duration) -> Result<Status, ClientError> {
        self.wait_for("sync", timeout, |s| {
            s.connection == Connection::Online && s.synced
        })
        .await
    }

    /// Waits until every local change made so far is durable on the server.
    pub async fn wait_saved(&self, timeout: Duration) -> Result<Status, ClientError> {
        let target = self.local_changes();
        self.wait_for("saved", timeout, move |s| s.saved >= target)
            .await
    }

    /// Waits until `check` holds for the document, re-checking on every remote update.
    pub async fn wait_doc(
        &self,
        what: &'static str,
        timeout: Duration,
        mut check: impl FnMut(&Doc) -> bool,
    ) -> Result<(), ClientError> {
        let doc = self.doc.clone();
        self.wait_for(what, timeout, move |_| check(&doc))
            .await
            .map(|_| ())
    }

    /// Stops the background task and closes the connection.
    pub async fn close(self) {
        self.task.abort();
    }
}

struct Worker {
    options: ClientOptions,
    doc: Doc,
    status: watch::Sender<Status>,
    local_rx: mpsc::UnboundedReceiver<Vec<u8>>,
    online: watch::Receiver<bool>,
    /// Local changes taken from the observer so far.
    local: u64,
    /// The last local change that may be called saved, once the server refused one.
    saved_cap: Option<u64>,
}

/// How a session ended.
enum End {
    Lost(Option<(u16, String)>),
    GoOffline,
    Stopped,
}

impl Worker {
    async fn run(mut self) {
        let mut backoff = self.options.min_backoff;
        loop {
            if !*self.online.borrow() {
                self.set(|s| s.connection = Connection::Offline);
                // Keep counting local changes while offline; they are sent on reconnect.
                loop {
                    tokio::select! {
                        changed = self.online.changed() => {
                            if changed.is_err() { return; }
                            if *self.online.borrow() { break; }
                        }
                        update = self.local_rx.recv() => match update {
                            Some(_) => self.count_local(),
                            None => return,
                        },
                    }
                }
            }
            self.set(|s| s.connection = Connection::Connecting);
            match self.open().await {
                Ok(socket) => {
                    backoff = self.options.min_backoff;
                    match self.session(socket).await {
                        End::Stopped => return,
                        End::GoOffline => continue,
                        End::Lost(reason) => self.set(|s| {
                            s.connection = Connection::Offline;
                            s.last_close = reason;
                        }),
                    }
                }
                Err(e) => {
                    tracing::debug!(url = %self.options.url, error = %e, "connect failed");
                    self.set(|s| s.connection = Connection::Offline);
                }
            }
            // Back off, still counting local changes and still obeying set_online.
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    update = self.local_rx.recv() => match update {
                        Some(_) => self.count_local(),
                        None => return,
                    },
                    changed = self.online.changed() => if changed.is_err() { return },
                }
            }
            backoff = (backoff * 2).min(self.options.max_backoff);
        }
    }

    fn set(&self, f: impl FnOnce(&mut Status)) {
        self.status.send_modify(f);
    }

    fn count_local(&mut self) {
        self.local += 1;
        let local = self.local;
        self.set(|s| s.local = local);
    }

    async fn open(&self) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        let mut request = self.options.url.as_str().into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        if let Some(token) = &self.options.bearer {
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                request.headers_mut().insert("Authorization", value);
            }
        }
        let (socket, _response) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async_with_config(request, Some(ws_config()), false),
        )
        .await
        .map_err(|_| {
            tokio_tungstenite::tungstenite::Error::Io(std::io::ErrorKind::TimedOut.into())
        })??;
        Ok(socket)
    }

    async fn session(&mut self, mut socket: Socket) -> End {
        self.set(|s| {
            s.connection = Connection::Online;
            s.synced = false;
            s.connections += 1;
        });
        let mut acks = Watermark::default();
        let sv = self.doc.transact().state_vector();
        if send(&mut socket, &Message::Sync(SyncMessage::SyncStep1(sv)))
            .await
            .is_err()
        {
            return End::Lost(None);
        }
        loop {
            tokio::select! {
                incoming = socket.next() => {
                    let bytes = match incoming {
                        Some(Ok(WsMessage::Binary(bytes))) => bytes,
                        Some(Ok(WsMessage::Close(frame))) => {
                            return End::Lost(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(_)) | None => return End::Lost(None),
                    };
                    let msg = match protocol::decode(&bytes) {
                        Ok(msg) => msg,
                        Err(e) => {
                            tracing::warn!(error = %e, "server sent a malformed message");
                            return End::Lost(None);
                        }
                    };
                    match msg {
                        Message::Sync(SyncMessage::SyncStep1(sv)) => {
                            // Count what the diff covers *before* computing it: a change
                            // made while it is being sent is not in it, and its update
                            // stays queued, to be sent (and counted) after it.
                            let covered = self.local_pending();
                            let diff = self.doc.transact().encode_diff_v1(&sv);
                            if send(&mut socket, &Message::Sync(SyncMessage::SyncStep2(diff))).await.is_err() {
                                return End::Lost(None);
                            }
                            acks.sent(covered);
                        }
                        Message::Sync(SyncMessage::SyncStep2(ref update)) | Message::Sync(SyncMessage::Update(ref update)) => {
                            let step2 = matches!(msg, Message::Sync(SyncMessage::SyncStep2(_)));
                            if let Err(e) = self.apply_remote(update) {
                                tracing::warn!(error = %e, "server sent an update that does not apply");
                                return End::Lost(None);
                            }
                            self.set(|s| {
                                s.remote += 1;
                                s.synced |= step2;
                            });
                        }
                        Message::Custom(MSG_SAVED, payload) => {
                            if let Some(covered) = protocol::parse_saved(&payload).ok().and_then(|count| acks.acked(count)) {
                                let saved = covered.min(self.saved_cap.unwrap_or(u64::MAX));
                                self.set(|s| s.saved = s.saved.max(saved));
                            }
                        }
                        Message::Custom(MSG_LEDGER, payload) => {
                            if let Ok(ledger) = protocol::parse_ledger(&payload) {
                                self.set(|s| {
                                    s.ledger = Some(ledger);
                                    s.ledger_messages += 1;
                                });
                            }
                        }
                        Message::Custom(MSG_LEDGER_CHANGE, payload) => {
                            let Ok(change) = protocol::parse_ledger_change(&payload) else {
                                tracing::warn!("server sent an unreadable ledger change");
                                continue;
                            };
                            let mut gap = false;
                            self.set(|s| {
                                s.ledger_messages += 1;
                                match s.ledger.as_mut().map(|l| l.apply(&change)) {
                                    Some(Ok(_)) => {}
                                    Some(Err(_)) | None => gap = true,
                                }
                            });
                            if gap {
                                // Reconnecting brings the whole ledger again.
                                tracing::warn!(revision = change.revision, "a ledger change does not follow; reconnecting");
                                return End::Lost(None);
                            }
                        }
                        Message::Custom(MSG_REJECTED, payload) => {
                            let rejected = protocol::parse_rejected(&payload).ok();
                            // Unreadable: assume the worst, nothing more is saved.
                            let cap = rejected.as_ref().map_or(0, |r| acks.refused(r.count));
                            self.saved_cap = Some(self.saved_cap.map_or(cap, |c| c.min(cap)));
                            let reason = rejected.map_or_else(|| "refused".into(), |r| r.reason);
                            self.set(|s| {
                                s.rejected += 1;
                                s.last_rejection = Some(reason);
                            });
                        }
                        _ => {}
                    }
                }
                update = self.local_rx.recv() => {
                    let Some(update) = update else { return End::Stopped };
                    self.count_local();
                    if send(&mut socket, &Message::Sync(SyncMessage::Update(update))).await.is_err() {
                        return End::Lost(None);
                    }
                    acks.sent(self.local);
                }
                changed = self.online.changed() => {
                    if changed.is_err() { return End::Stopped; }
                    if !*self.online.borrow() {
                        let _ = socket.close(None).await;
                        return End::GoOffline;
                    }
                }
            }
        }
    }

    /// The local sequence number a SyncStep2 computed now covers: every change already
    /// made, including ones still queued in the channel (they are in the document).
    fn local_pending(&mut self) -> u64 {
        while let Ok(_update) = self.local_rx.try_recv() {
            // Already covered by the SyncStep2 just computed from the document.
            self.count_local();
        }
        self.local
    }

    fn apply_remote(&self, bytes: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(bytes).map_err(|e| e.to_string())?;
        let mut txn = self.doc.transact_mut_with(REMOTE);
        txn.apply_update(update).map_err(|e| e.to_string())
    }
}

/// The server may send a whole document in one SyncStep2; allow large ones.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(1 << 30))
        .max_frame_size(Some(1 << 30))
}

async fn send(
    socket: &mut Socket,
    msg: &Message,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    socket
        .send(WsMessage::Binary(protocol::encode(msg).into()))
        .await
}
