//! [`StoreError`]: one error type for every storage failure, whatever the engine. It is
//! cloneable, so one failed group commit can be reported to every waiter, and it says
//! whether the failure was of the disk itself ([`StoreError::is_io`]: the engine reopens
//! its files before the next use) or of the database being in use by another process.

use std::sync::Arc;

/// A storage failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage error: {message}")]
pub struct StoreError {
    message: Arc<str>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Other,
    /// The database file is locked by another process.
    InUse,
    /// The disk failed (an I/O error, or an engine refusing work after one).
    Io,
}

impl StoreError {
    pub(super) fn new(e: impl std::fmt::Display) -> Self {
        Self::of_kind(Kind::Other, e)
    }

    pub(super) fn of_kind(kind: Kind, e: impl std::fmt::Display) -> Self {
        StoreError {
            message: e.to_string().into(),
            kind,
        }
    }

    /// The database file is locked by another process (a running server).
    pub fn is_in_use(&self) -> bool {
        self.kind == Kind::InUse
    }

    /// The disk failed: what was being written is not durable, and the engine reopens
    /// its files before it is used again.
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }

    /// A blocking storage task that panicked or was cancelled.
    pub fn from_join(e: tokio::task::JoinError) -> Self {
        StoreError::new(format!("storage task failed: {e}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::new(e)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::of_kind(Kind::Io, e)
    }
}
