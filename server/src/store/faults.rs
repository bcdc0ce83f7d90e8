//! Storage fault injection, for tests of the failure paths. While its [`FaultSwitch`] is
//! on, the engine's disk fails every write, resize and fsync with an I/O error (`EIO`);
//! reads and locks pass through (for redb: `redb_engine::faulty`, a storage backend over
//! the real database file).
//!
//! The switch can also fail the operations of one document alone (an operation-level
//! error, like a version that already exists) and hold the writer thread so that the
//! writes queued meanwhile are committed as one batch: together they show through the
//! real server that one failing write does not fail the others batched with it.
//!
//! Not reachable from the command line: a test sets `ServerConfig::storage_faults`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Turns injected storage failures on and off. Cheap to clone; all clones are one switch.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<Switches>);

#[derive(Debug, Default)]
struct Switches {
    disk: AtomicBool,
    /// The failures say the disk is full (`ENOSPC`) rather than `EIO`.
    full: AtomicBool,
    held: AtomicBool,
    /// Requests the held writer has taken (and keeps for its next batch).
    waiting: AtomicUsize,
    failing_doc: Mutex<Option<String>>,
}

impl FaultSwitch {
    /// From now on, every write, resize and fsync fails with an I/O error (`EIO`).
    pub fn fail_writes(&self) {
        self.0.full.store(false, Ordering::SeqCst);
        self.0.disk.store(true, Ordering::SeqCst);
    }

    /// From now on, every write, resize and fsync fails as on a full disk (`ENOSPC`).
    pub fn fill_disk(&self) {
        self.0.full.store(true, Ordering::SeqCst);
        self.0.disk.store(true, Ordering::SeqCst);
    }

    /// Writes work again (redb itself refuses until the database is reopened); no
    /// document's operations fail any more.
    pub fn heal(&self) {
        self.0.disk.store(false, Ordering::SeqCst);
        if let Ok(mut doc) = self.0.failing_doc.lock() {
            *doc = None;
        }
    }

    /// From now on, every operation on document `doc` fails (alone: the transaction
    /// goes on without it).
    pub fn fail_document(&self, doc: &str) {
        if let Ok(mut failing) = self.0.failing_doc.lock() {
            *failing = Some(doc.to_string());
        }
    }

    /// The writer stops committing: what is submitted meanwhile waits and is then
    /// committed as one batch on [`FaultSwitch::release_writer`].
    pub fn hold_writer(&self) {
        self.0.held.store(true, Ordering::SeqCst);
    }

    /// The held writer commits what waits, as one batch.
    pub fn release_writer(&self) {
        self.0.held.store(false, Ordering::SeqCst);
        self.0.waiting.store(0, Ordering::SeqCst);
    }

    /// How many write requests the held writer has taken so far.
    pub fn waiting(&self) -> usize {
        self.0.waiting.load(Ordering::SeqCst)
    }

    /// Whether the disk is to fail.
    pub(crate) fn failing(&self) -> bool {
        self.0.disk.load(Ordering::SeqCst)
    }

    /// The error a failing disk operation reports.
    pub(crate) fn error(&self) -> std::io::Error {
        if self.0.full.load(Ordering::SeqCst) {
            std::io::Error::from(std::io::ErrorKind::StorageFull)
        } else {
            std::io::Error::other("injected storage failure (EIO)")
        }
    }

    /// Whether operations on `doc` are to fail.
    pub(crate) fn fails_document(&self, doc: &str) -> bool {
        self.0
            .failing_doc
            .lock()
            .is_ok_and(|failing| failing.as_deref() == Some(doc))
    }

    /// Whether the writer is held (it then gathers requests instead of committing).
    pub(crate) fn held(&self) -> bool {
        self.0.held.load(Ordering::SeqCst)
    }

    /// The held writer took one more request.
    pub(crate) fn took_one(&self) {
        self.0.waiting.fetch_add(1, Ordering::SeqCst);
    }
}
