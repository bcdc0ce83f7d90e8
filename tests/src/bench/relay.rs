//! The baseline server: a bare WebSocket broadcast relay over tokio-tungstenite, with no
//! CRDT and no storage. Every update-carrying frame a connection sends to `/ws/{doc}` is
//! forwarded as-is to the document's other connections; SyncStep1 is answered with an
//! empty SyncStep2; connections that ask for `minutebook.v1` get an immediate "saved"
//! count (nothing is written anywhere). It runs as its own process (`bench relay-serve`)
//! so it is measured exactly like the real server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use minutebook_shared::protocol::SUBPROTOCOL;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::ws::{self, Frame};

type Peers = Vec<(u64, mpsc::UnboundedSender<Bytes>)>;
type Rooms = Arc<Mutex<HashMap<String, Peers>>>;

/// Serves until killed; prints `Relay is running at http://ADDR/` once listening.
/// With `nagle`, accepted sockets keep Nagle's algorithm (no `TCP_NODELAY`).
pub async fn serve(listen: SocketAddr, nagle: bool) -> Result<()> {
    let listener = TcpListener::bind(listen).await?;
    println!("Relay is running at http://{}/", listener.local_addr()?);
    let rooms: Rooms = Arc::default();
    let mut next_id = 0u64;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = term.recv() => return Ok(()),
        };
        if !nagle {
            let _ = stream.set_nodelay(true);
        }
        next_id += 1;
        tokio::spawn(connection(stream, next_id, rooms.clone()));
    }
}

// The handshake callback's error type is tungstenite's, not ours.
#[allow(clippy::result_large_err)]
async fn connection(stream: TcpStream, id: u64, rooms: Rooms) {
    let mut doc = String::new();
    let mut acks = false;
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        doc = req.uri().path().trim_start_matches("/ws/").to_string();
        let wants_acks = req
            .headers()
            .get_all("Sec-WebSocket-Protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL));
        if wants_acks {
            acks = true;
            resp.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static(SUBPROTOCOL),
            );
        }
        Ok(resp)
    };
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let Ok(socket) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await
    else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    rooms
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(doc.clone())
        .or_default()
        .push((id, tx.clone()));
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if sink.send(WsMessage::Binary(frame)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut received = 0u64;
    while let Some(Ok(msg)) = source.next().await {
        let WsMessage::Binary(frame) = msg else {
            if matches!(msg, WsMessage::Close(_)) {
                break;
            }
            continue;
        };
        match ws::parse(&frame) {
            Ok(Frame::Step1) => {
                let _ = tx.send(ws::sync_step2(vec![0, 0]));
            }
            Ok(Frame::Step2(_) | Frame::Update(_)) => {
                received += 1;
                let others: Vec<mpsc::UnboundedSender<Bytes>> = rooms
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&doc)
                    .map(|peers| {
                        peers
                            .iter()
                            .filter(|(p, _)| *p != id)
                            .map(|(_, t)| t.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for other in others {
                    let _ = other.send(frame.clone());
                }
                if acks {
                    let _ = tx.send(ws::saved(received));
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    {
        let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(peers) = rooms.get_mut(&doc) {
            peers.retain(|(p, _)| *p != id);
            if peers.is_empty() {
                rooms.remove(&doc);
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}
