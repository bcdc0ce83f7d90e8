//! Storage fault injection, for tests of the failure paths: a redb [`StorageBackend`]
//! over the real database file that fails every write, resize and fsync with an I/O
//! error (`EIO`) while its [`FaultSwitch`] is on. Reads and locks pass through.
//!
//! The switch can also fail the operations of one document alone (an operation-level
//! error, like a version that already exists) and hold the writer thread so that the
//! writes queued meanwhile are committed as one batch: together they show through the
//! real server that one failing write does not fail the others batched with it.
//!
//! Not reachable from the command line: a test sets `ServerConfig::storage_faults`.

use std::fs::OpenOptions;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use redb::backends::FileBackend;
use redb::{BackendError, Database, DatabaseError, StorageBackend};

/// Turns injected storage failures on and off. Cheap to clone; all clones are one switch.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<Switches>);

#[derive(Debug, Default)]
struct Switches {
    disk: AtomicBool,
    held: AtomicBool,
    /// Requests the held writer has taken (and keeps for its next batch).
    waiting: AtomicUsize,
    failing_doc: Mutex<Option<String>>,
}

impl FaultSwitch {
    /// From now on, every write, resize and fsync fails.
    pub fn fail_writes(&self) {
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

    fn failing(&self) -> bool {
        self.0.disk.load(Ordering::SeqCst)
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

/// Opens (or creates) the database at `path` over a backend that obeys `switch`.
pub fn create(path: &Path, switch: &FaultSwitch) -> Result<Database, DatabaseError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let backend = Faulty {
        inner: FileBackend::new(file)?,
        switch: switch.clone(),
    };
    Database::builder().create_with_backend(backend)
}

#[derive(Debug)]
struct Faulty {
    inner: FileBackend,
    switch: FaultSwitch,
}

impl Faulty {
    fn check(&self) -> Result<(), std::io::Error> {
        if self.switch.failing() {
            Err(std::io::Error::other("injected storage failure (EIO)"))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for Faulty {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> Result<(), std::io::Error> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
