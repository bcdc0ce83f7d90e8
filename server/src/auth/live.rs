//! Open WebSockets per session: each connection holds a [`Lease`] on the session it was
//! opened with, which ends when the session is signed out, replaced by a fresh token (an
//! invitation redeemed while presenting it) or expires — the connection then closes with
//! the lease's code and reason. Revocation, re-issue and role changes close connections
//! per invitation instead (`Registry::disconnect`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use minutebook_shared::protocol::close::{code, CloseReason};
use minutebook_shared::time::now_ms;

/// Why a session's connections close.
type Ending = Option<(u16, String)>;

/// The sessions that have open connections. Cheap to clone.
#[derive(Clone, Default)]
pub struct LiveSessions {
    inner: Arc<Mutex<HashMap<String, watch::Sender<Ending>>>>,
}

impl LiveSessions {
    /// A lease on session `hash` (the SHA-256 of its token), which expires at `expires_at`
    /// (unix milliseconds).
    pub fn lease(&self, hash: &str, expires_at: u64) -> Lease {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Forget sessions whose connections have all gone (bounded by open connections).
        map.retain(|_, tx| tx.receiver_count() > 0);
        let rx = match map.get(hash) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(None);
                map.insert(hash.to_string(), tx);
                rx
            }
        };
        Lease { rx, expires_at }
    }

    /// Closes every connection of session `hash` with `code` and `reason`.
    pub fn end(&self, hash: &str, code: u16, reason: &str) {
        let tx = {
            let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            map.remove(hash)
        };
        if let Some(tx) = tx {
            let _ = tx.send(Some((code, reason.to_string())));
        }
    }
}

/// One connection's hold on its session.
pub struct Lease {
    rx: watch::Receiver<Ending>,
    expires_at: u64,
}

impl Lease {
    /// A lease that never ends (for connections without a session, e.g. in unit tests).
    pub fn unbounded() -> Lease {
        let (_tx, rx) = watch::channel(None);
        Lease {
            rx,
            expires_at: u64::MAX,
        }
    }

    /// Resolves when the session ends: the reason to close the connection with.
    pub async fn ended(mut self) -> CloseReason {
        let left = self.expires_at.saturating_sub(now_ms());
        let expiry = tokio::time::sleep(Duration::from_millis(left.min(u32::MAX as u64 * 1000)));
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                _ = &mut expiry => {
                    return CloseReason::new(
                        code::POLICY_VIOLATION,
                        "your session expired; sign in again",
                    );
                }
                changed = self.rx.changed() => {
                    if changed.is_err() {
                        // The sender went without a reason (never happens while the
                        // session is live): wait for expiry only.
                        (&mut expiry).await;
                        return CloseReason::new(
                            code::POLICY_VIOLATION,
                            "your session expired; sign in again",
                        );
                    }
                    if let Some((code, reason)) = self.rx.borrow_and_update().clone() {
                        return CloseReason::new(code, reason);
                    }
                }
            }
        }
    }
}
