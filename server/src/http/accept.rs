//! The accept loop: every TCP connection the server takes, with its limits.
//!
//! - **Caps.** A connection needs a place under the global cap and under its address's
//!   cap ([`super::caps`]); over either, it is answered `503` with a short reason and
//!   closed (the answers themselves are bounded: past [`MAX_REFUSALS`] at once, a
//!   connection is closed unanswered). The place is held until the socket closes, so an
//!   upgraded WebSocket counts too. A trusted proxy's connections are exempt from the
//!   per-address cap; each request it forwards counts for the client it names instead
//!   (for a WebSocket, until that socket closes).
//! - **Timeouts.** A connection waiting for a request (its first, or the next on a
//!   kept-alive connection) is closed after `keepalive_timeout` without a byte; once a
//!   request head has started, it must be complete within `header_timeout`; a client
//!   that stops reading a response is dropped after `keepalive_timeout` without
//!   progress. Upgraded WebSockets have their own keepalive (see [`crate::http::ws`]).
//! - **Client address.** Each request carries its [`ClientAddr`] (see
//!   [`super::client_addr`]) and the security headers are added to each response
//!   ([`super::headers`]).
//! - **Shutdown.** When the token is cancelled, accepting stops, idle connections close,
//!   requests in flight finish, and [`serve`] returns once every connection task ended.

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::Router;
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::caps::{AddressSlot, Caps, TotalSlot};
use super::client_addr::{self, ClientAddr, ProxyNet};
use super::headers::{self, SecurityHeaders};

/// Refusals (503 answers to connections over a cap) being written at once.
pub const MAX_REFUSALS: usize = 64;
/// How long a refusal may take (writing the answer, reading what the client sent).
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// Connection limits of the accept loop (see the module docs).
#[derive(Debug, Clone)]
pub struct EdgeLimits {
    pub keepalive_timeout: Duration,
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub max_per_address: usize,
    pub trusted_proxies: Arc<[ProxyNet]>,
}

/// Accepts connections on `listener` and serves `router` on them until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: EdgeLimits,
    security: SecurityHeaders,
    shutdown: CancellationToken,
) {
    let caps = Caps::new(limits.max_connections, limits.max_per_address);
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let tasks = TaskTracker::new();
    let edge = Arc::new(Edge {
        router,
        limits,
        security,
        caps,
        refusals: RefusalLog::default(),
    });
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
        };
        let peer_ip = client_addr::canonical(peer.ip());
        let proxy = edge.is_trusted(peer_ip);
        let Some(total) = edge.caps.try_total() else {
            edge.refusals
                .note(peer.ip(), "the server has too many connections");
            refuse(
                stream,
                "the server has too many connections; try again later",
                &refusals,
                &tasks,
            );
            continue;
        };
        let address = if proxy {
            None
        } else {
            match edge.caps.try_address(ClientAddr(peer_ip).key()) {
                Some(slot) => Some(slot),
                None => {
                    edge.refusals
                        .note(peer.ip(), "too many connections from one address");
                    refuse(
                        stream,
                        "too many connections from your address; close some and try again",
                        &refusals,
                        &tasks,
                    );
                    continue;
                }
            }
        };
        let edge = edge.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            edge.connection(stream, peer, proxy, (total, address), shutdown)
                .await;
        });
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}

async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    // Out of file descriptors (the caps should prevent it) or memory: wait for some to
    // be given back rather than spin.
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Answers `503` with `reason` and closes, in the background, if fewer than
/// [`MAX_REFUSALS`] are under way; otherwise closes at once.
fn refuse(stream: TcpStream, reason: &'static str, refusals: &Arc<Semaphore>, tasks: &TaskTracker) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        return;
    };
    tasks.spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(REFUSAL_TIME, answer_busy(stream, reason)).await;
    });
}

async fn answer_busy(mut stream: TcpStream, reason: &str) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\nretry-after: 5\r\nconnection: close\r\n\
         content-security-policy: {}\r\n",
        reason.len(),
        headers::CSP_NONE
    );
    for (name, value) in headers::FIXED {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(reason);
    stream.write_all(head.as_bytes()).await?;
    stream.shutdown().await?;
    // Read what the client sent before closing, so that the close does not reset the
    // connection before it has read the answer.
    let mut buf = [0u8; 4096];
    let mut read = 0;
    while read < 64 * 1024 {
        match stream.read(&mut buf).await? {
            0 => break,
            n => read += n,
        }
    }
    Ok(())
}

/// What every connection task shares.
struct Edge {
    router: Router,
    limits: EdgeLimits,
    security: SecurityHeaders,
    caps: Caps,
    refusals: RefusalLog,
}

/// Logs refusals at most once a second, with how many there were, so that a flood of
/// connections cannot flood the log.
#[derive(Default)]
struct RefusalLog(Mutex<Option<(Instant, u64)>>);

impl RefusalLog {
    fn note(&self, client: IpAddr, why: &'static str) {
        let Ok(mut last) = self.0.lock() else {
            return;
        };
        let now = Instant::now();
        match &mut *last {
            Some((at, count)) if now.saturating_duration_since(*at) < Duration::from_secs(1) => {
                *count += 1;
            }
            _ => {
                let earlier = last.map_or(0, |(_, count)| count);
                tracing::warn!(%client, why, not_logged_since_last = earlier, "refused a connection over a cap");
                *last = Some((now, 0));
            }
        }
    }
}

impl Edge {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.limits.trusted_proxies.iter().any(|n| n.contains(ip))
    }

    /// Serves one connection until it closes, stalls or the server shuts down.
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        proxy: bool,
        slots: (TotalSlot, Option<AddressSlot>),
        shutdown: CancellationToken,
    ) {
        // Frames go out as soon as they are written (the WebSocket writer batches what
        // is queued into one write), not after Nagle's wait for an ACK.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
            write_blocked: false,
            _slots: slots,
        });
        let edge = self.clone();
        let service_activity = activity.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let edge = edge.clone();
            let activity = service_activity.clone();
            async move { Ok::<_, Infallible>(edge.request(request, peer, proxy, activity).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .with_upgrades();
        tokio::pin!(conn);
        let watchdog = watchdog(activity, self.limits.clone());
        tokio::pin!(watchdog);
        let mut draining = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                why = &mut watchdog => {
                    tracing::debug!(%peer, why, "closing a stalled connection");
                    return;
                }
                _ = shutdown.cancelled(), if !draining => {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }

    /// One request: its client address, the per-client cap for a proxy's requests, the
    /// router, and the security headers.
    async fn request(
        &self,
        request: hyper::Request<Incoming>,
        peer: SocketAddr,
        proxy: bool,
        activity: Arc<Activity>,
    ) -> Response<Body> {
        let in_flight = InFlight::start(activity.clone());
        let client =
            client_addr::resolve(peer.ip(), request.headers(), &self.limits.trusted_proxies);
        let host = request.headers().get(header::HOST).cloned();
        let mut request: Request = request.map(Body::new);
        request.extensions_mut().insert(client);
        request.extensions_mut().insert(ConnectInfo(peer));
        // A proxy's connection is shared by its clients: each request counts for its own.
        let slot = if proxy {
            match self.caps.try_address(client.key()) {
                Some(slot) => Some(slot),
                None => {
                    self.refusals
                        .note(client.0, "too many connections from one address");
                    let mut response =
                        busy("too many connections from your address; close some and try again");
                    self.security.apply(host.as_ref(), response.headers_mut());
                    return response.map(|b| {
                        Body::new(TrackedBody {
                            inner: b,
                            _in_flight: in_flight,
                        })
                    });
                }
            }
        } else {
            None
        };
        let mut response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            // The socket now belongs to a WebSocket: its client's place goes with it.
            if let (Some(slot), Ok(mut parked)) = (slot, activity.parked.lock()) {
                *parked = Some(slot);
            }
        }
        self.security.apply(host.as_ref(), response.headers_mut());
        response.map(|b| {
            Body::new(TrackedBody {
                inner: b,
                _in_flight: in_flight,
            })
        })
    }
}

fn busy(reason: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(reason));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// What the watchdog of one connection watches.
struct Activity {
    state: Mutex<State>,
    changed: Notify,
    /// A proxied client's place, kept for as long as its WebSocket is open.
    parked: Mutex<Option<AddressSlot>>,
}

struct State {
    /// Requests whose response has not been written completely.
    in_flight: usize,
    /// Since when the connection has waited for a request.
    idle_since: Instant,
    /// When the first byte of the next request arrived, while none is in flight.
    head_started: Option<Instant>,
    /// Since when writing has made no progress (the client is not reading).
    write_blocked: Option<Instant>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
                write_blocked: None,
            }),
            changed: Notify::new(),
            parked: Mutex::new(None),
        }
    }

    fn update(&self, change: impl FnOnce(&mut State) -> bool) {
        let notify = match self.state.lock() {
            Ok(mut state) => change(&mut state),
            Err(_) => false,
        };
        if notify {
            self.changed.notify_one();
        }
    }

    /// When the connection is to be closed, and why (`None`: not while nothing changes).
    fn deadline(&self, limits: &EdgeLimits) -> Option<(Instant, &'static str)> {
        let state = self.state.lock().ok()?;
        let waiting = if state.in_flight > 0 {
            None
        } else if let Some(started) = state.head_started {
            Some((started + limits.header_timeout, "request head too slow"))
        } else {
            Some((state.idle_since + limits.keepalive_timeout, "idle"))
        };
        let writing = state
            .write_blocked
            .map(|since| (since + limits.keepalive_timeout, "client stopped reading"));
        match (waiting, writing) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    }
}

/// Resolves when the connection has stalled past a deadline, with the reason.
async fn watchdog(activity: Arc<Activity>, limits: EdgeLimits) -> &'static str {
    loop {
        match activity.deadline(&limits) {
            Some((at, why)) if at <= Instant::now() => return why,
            Some((at, _)) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = activity.changed.notified() => {}
                }
            }
            None => activity.changed.notified().await,
        }
    }
}

/// A request in flight, from its head to the end of its response.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.update(|s| {
            s.in_flight += 1;
            s.head_started = None;
            true
        });
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|s| {
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
            true
        });
    }
}

/// A response body that ends its request's [`InFlight`] when hyper is done with it.
struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, reporting reads and stalled writes to the watchdog, and holding the
/// connection's places under the caps until it is dropped (after an upgrade, when the
/// WebSocket closes).
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
    /// Whether the watchdog was told writing is blocked: only changes take its lock
    /// (every frame to every receiver passes here).
    write_blocked: bool,
    _slots: (TotalSlot, Option<AddressSlot>),
}

impl Tracked {
    fn wrote<T>(&mut self, poll: &Poll<io::Result<T>>) {
        let blocked = poll.is_pending();
        if blocked == self.write_blocked {
            return;
        }
        self.write_blocked = blocked;
        self.activity.update(|s| {
            if blocked {
                s.write_blocked = Some(Instant::now());
                true
            } else {
                s.write_blocked = None;
                false
            }
        });
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.update(|s| {
                if s.in_flight == 0 && s.head_started.is_none() {
                    s.head_started = Some(Instant::now());
                    return true;
                }
                false
            });
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.as_mut().get_mut().wrote(&poll);
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.as_mut().get_mut().wrote(&poll);
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
