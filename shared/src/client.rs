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
use yrs::{Doc, Transact, TransactionMut, Update};

use crate::protocol::session::{self, Received, SyncSession};
use crate::protocol::{self, Message, SyncMessage, SUBPROTOCOL};

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
    /// The server says it cannot write to its disk (`MSG_STORAGE`): changes are kept
    /// and sent again once it can.
    pub cannot_write: bool,
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
            cannot_write: false,
        };
        let (status_tx, status) = watch::channel(initial);
        let (online, online_rx) = watch::channel(true);
        let worker = Worker {
            options,
            doc: doc.clone(),
            status: status_tx,
            local_rx,
            online: online_rx,
            session: SyncSession::default(),
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
    /// The protocol session: handshake, local changes and which of them are durable.
    session: SyncSession,
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
                Ok((socket, acks)) => {
                    backoff = self.options.min_backoff;
                    let end = self.connected(socket, acks).await;
                    self.session.closed();
                    match end {
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
        let local = self.session.local_change();
        self.set(|s| s.local = local);
    }

    /// Sends `msg` and tells the session; false if the connection is lost.
    async fn send(&mut self, socket: &mut Socket, msg: &Message) -> bool {
        if send(socket, msg).await.is_err() {
            return false;
        }
        self.session.sent(msg);
        true
    }

    /// Opens a connection; `true` with it when the server granted the subprotocol (and
    /// so acknowledges saves).
    async fn open(&self) -> Result<(Socket, bool), tokio_tungstenite::tungstenite::Error> {
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
        let (socket, response) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async_with_config(request, Some(ws_config()), false),
        )
        .await
        .map_err(|_| {
            tokio_tungstenite::tungstenite::Error::Io(std::io::ErrorKind::TimedOut.into())
        })??;
        let acks = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .is_some_and(|p| p.as_bytes() == SUBPROTOCOL.as_bytes());
        Ok((socket, acks))
    }

    async fn connected(&mut self, mut socket: Socket, acks: bool) -> End {
        self.set(|s| {
            s.connection = Connection::Online;
            s.synced = false;
            s.cannot_write = false;
            s.connections += 1;
        });
        self.session.opened(acks);
        let step1 = session::step1(&self.doc.transact());
        if !self.send(&mut socket, &step1).await {
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
                    let received = match self.session.receive(&bytes) {
                        Ok(received) => received,
                        Err(e) => {
                            tracing::warn!(error = %e, "ending the connection");
                            return End::Lost(None);
                        }
                    };
                    if let Err(end) = self.on_received(&mut socket, received).await {
                        return end;
                    }
                }
                update = self.local_rx.recv() => {
                    let Some(update) = update else { return End::Stopped };
                    self.count_local();
                    if !self.send(&mut socket, &Message::Sync(SyncMessage::Update(update))).await {
                        return End::Lost(None);
                    }
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

    /// Does what a frame from the server asks for (the session has counted it).
    async fn on_received(&mut self, socket: &mut Socket, received: Received) -> Result<(), End> {
        match received {
            Received::SyncStep1(sv) => {
                // Count every change already in the document *before* computing the
                // diff: a change made while it is being sent is not in it, and its
                // update stays queued, to be sent (and counted) after it.
                self.drain_local();
                let step2 = session::step2(&self.doc.transact(), &sv);
                if !self.send(socket, &step2).await {
                    return Err(End::Lost(None));
                }
            }
            Received::Update { update, step2 } => {
                if let Err(e) = self.apply_remote(&update) {
                    tracing::warn!(error = %e, "server sent an update that does not apply");
                    return Err(End::Lost(None));
                }
                if step2 {
                    self.session.synced();
                }
                self.set(|s| {
                    s.remote += 1;
                    s.synced |= step2;
                });
            }
            Received::Saved => {
                let saved = self.session.saved();
                self.set(|s| s.saved = saved);
            }
            Received::Storage(failing) => self.set(|s| s.cannot_write = failing),
            Received::Ledger(ledger) => self.set(|s| {
                s.ledger = Some(ledger);
                s.ledger_messages += 1;
            }),
            Received::LedgerChange(change) => {
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
                    tracing::warn!(
                        revision = change.revision,
                        "a ledger change does not follow; reconnecting"
                    );
                    return Err(End::Lost(None));
                }
            }
            Received::Rejected(_) => {
                let (rejected, reason) = self.session.rejected();
                let (reason, saved) = (reason.map(str::to_owned), self.session.saved());
                self.set(|s| {
                    s.rejected = rejected;
                    s.last_rejection = reason;
                    s.saved = saved;
                });
            }
            Received::Ignored(why) => tracing::debug!(%why, "message ignored"),
            Received::Awareness(_) | Received::AwarenessQuery => {}
        }
        Ok(())
    }

    /// Counts the local changes still queued: they are already in the document.
    fn drain_local(&mut self) {
        while let Ok(_update) = self.local_rx.try_recv() {
            self.count_local();
        }
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
