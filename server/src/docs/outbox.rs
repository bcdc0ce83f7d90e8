//! A connection's bounded outbound queue, and how anyone holding it closes the connection.
//!
//! The document actor never waits on a client: it pushes frames with [`Outbox::send`],
//! which fails at once when the queue is full (by count or by bytes). A client that
//! cannot keep up is then **disconnected with a close reason** — it is never silently
//! skipped while left connected, which is how clients silently diverge. On reconnect it
//! resyncs and converges.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use minutebook_shared::protocol::close::{code, CloseReason};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Identifies one WebSocket connection for the lifetime of the process.
pub type ConnId = u64;

struct Shared {
    queued_bytes: AtomicUsize,
    max_bytes: usize,
    close_reason: OnceLock<CloseReason>,
    closed: CancellationToken,
    /// Set with `closed`: what the per-frame paths read (a token's own check takes a
    /// lock, and showed in profiles of fan-out).
    is_closed: AtomicBool,
    /// The writer task waiting in [`OutboxReceiver::recv`], woken by a close (lock-free,
    /// unlike waiting on `closed`, which showed in profiles as well).
    writer: AtomicWaker,
}

impl Shared {
    /// The bytes a frame counts against the budget. A frame may be larger than the whole
    /// budget (a big document's SyncStep2 to a client that just joined) and must still go
    /// out, so each frame counts at most half the budget: the queue then never holds more
    /// than two such frames plus `max_bytes` of ordinary ones.
    fn accounted(&self, len: usize) -> usize {
        len.min(self.max_bytes / 2)
    }
}

/// The sending side, held by the document actor (and the connection itself).
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Bytes>,
    shared: Arc<Shared>,
}

/// The receiving side, drained by the connection's writer task.
pub struct OutboxReceiver {
    rx: mpsc::Receiver<Bytes>,
    shared: Arc<Shared>,
}

/// Creates a queue holding at most `max_frames` frames and `max_bytes` bytes.
pub fn channel(max_frames: usize, max_bytes: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = mpsc::channel(max_frames.max(1));
    let shared = Arc::new(Shared {
        queued_bytes: AtomicUsize::new(0),
        max_bytes,
        close_reason: OnceLock::new(),
        closed: CancellationToken::new(),
        is_closed: AtomicBool::new(false),
        writer: AtomicWaker::new(),
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        OutboxReceiver { rx, shared },
    )
}

/// The frame was not queued; the connection is (being) closed.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed;

impl Outbox {
    /// Queues a frame without waiting. If the queue is full the connection is closed with
    /// [`code::TRY_AGAIN_LATER`] and `Err(Closed)` is returned.
    pub fn send(&self, frame: Bytes) -> Result<(), Closed> {
        if self.shared.is_closed.load(Ordering::Acquire) {
            return Err(Closed);
        }
        let len = self.shared.accounted(frame.len());
        let before = self.shared.queued_bytes.fetch_add(len, Ordering::AcqRel);
        if before >= self.shared.max_bytes {
            self.shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            self.too_slow();
            return Err(Closed);
        }
        match self.tx.try_send(frame) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
                self.too_slow();
                Err(Closed)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Closed),
        }
    }

    fn too_slow(&self) {
        if !self.shared.is_closed.load(Ordering::Acquire) {
            metrics::counter!(crate::metrics::name::SLOW_CLIENT_DISCONNECTS).increment(1);
        }
        self.close(CloseReason::new(
            code::TRY_AGAIN_LATER,
            "client too slow: outbound queue full; reconnect to resync",
        ));
    }

    /// Asks the connection to close with `reason`. The first reason given wins.
    pub fn close(&self, reason: CloseReason) {
        let code = reason.code;
        if self.shared.close_reason.set(reason).is_ok() {
            metrics::counter!(
                crate::metrics::name::CLOSES,
                crate::metrics::name::CODE => code.to_string()
            )
            .increment(1);
        }
        self.shared.is_closed.store(true, Ordering::Release);
        self.shared.closed.cancel();
        self.shared.writer.wake();
    }

    /// Resolves once [`Outbox::close`] was called.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await
    }

    /// Bytes currently queued (for tests and metrics).
    pub fn queued_bytes(&self) -> usize {
        self.shared.queued_bytes.load(Ordering::Acquire)
    }
}

impl OutboxReceiver {
    /// The next frame if one is queued now (and the connection is not closing).
    pub fn try_recv(&mut self) -> Option<Bytes> {
        if self.shared.is_closed.load(Ordering::Acquire) {
            return None;
        }
        let frame = self.rx.try_recv().ok()?;
        self.shared
            .queued_bytes
            .fetch_sub(self.shared.accounted(frame.len()), Ordering::AcqRel);
        Some(frame)
    }

    /// The next frame, or `None` once the connection is closing.
    pub async fn recv(&mut self) -> Option<Bytes> {
        std::future::poll_fn(|cx| {
            if self.shared.is_closed.load(Ordering::Acquire) {
                return Poll::Ready(None);
            }
            self.shared.writer.register(cx.waker());
            // A close between the check and the registration woke nobody: look again.
            if self.shared.is_closed.load(Ordering::Acquire) {
                return Poll::Ready(None);
            }
            self.rx.poll_recv(cx).map(|frame| {
                let frame = frame?;
                self.shared
                    .queued_bytes
                    .fetch_sub(self.shared.accounted(frame.len()), Ordering::AcqRel);
                Some(frame)
            })
        })
        .await
    }

    /// The reason the connection is closing, if one was given.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.close_reason.get().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn overflow_closes_with_a_reason_instead_of_dropping() {
        let (outbox, mut rx) = channel(2, 1 << 20);
        assert_eq!(outbox.send(Bytes::from_static(b"a")), Ok(()));
        assert_eq!(outbox.send(Bytes::from_static(b"b")), Ok(()));
        assert_eq!(outbox.send(Bytes::from_static(b"c")), Err(Closed));
        assert_eq!(
            rx.close_reason().map(|r| r.code),
            Some(code::TRY_AGAIN_LATER)
        );
        assert_eq!(
            rx.recv().await,
            None,
            "a closed connection delivers nothing more"
        );
    }

    #[tokio::test]
    async fn a_close_wakes_a_waiting_writer() {
        let (outbox, mut rx) = channel(4, 1 << 20);
        let waiting = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        outbox.close(CloseReason::new(code::NORMAL, "bye"));
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert!(
            matches!(got, Ok(Ok(None))),
            "the writer saw the close: {got:?}"
        );
    }

    #[tokio::test]
    async fn byte_budget_is_enforced() {
        let (outbox, mut rx) = channel(100, 10);
        assert_eq!(outbox.send(Bytes::from(vec![0; 4])), Ok(()));
        assert_eq!(rx.recv().await.map(|b| b.len()), Some(4));
        assert_eq!(outbox.queued_bytes(), 0);
        // A frame bigger than the whole budget still goes out, with a small one behind it.
        assert_eq!(outbox.send(Bytes::from(vec![0; 64])), Ok(()));
        assert_eq!(outbox.send(Bytes::from(vec![0; 1])), Ok(()));
        assert_eq!(
            outbox.send(Bytes::from(vec![0; 4])),
            Ok(()),
            "under budget before adding"
        );
        assert_eq!(
            outbox.send(Bytes::from(vec![0; 1])),
            Err(Closed),
            "5 + 1 + 4 bytes reach the budget of 10"
        );
    }
}
