//! Storage fault injection, for tests of the failure paths: a redb [`StorageBackend`]
//! over the real database file that fails every write, resize and fsync with an I/O
//! error (`EIO`) while its [`FaultSwitch`] is on. Reads and locks pass through.
//!
//! Not reachable from the command line: a test sets `ServerConfig::storage_faults`.

use std::fs::OpenOptions;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use redb::backends::FileBackend;
use redb::{BackendError, Database, DatabaseError, StorageBackend};

/// Turns injected storage failures on and off. Cheap to clone; all clones are one switch.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<AtomicBool>);

impl FaultSwitch {
    /// From now on, every write, resize and fsync fails.
    pub fn fail_writes(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Writes work again (redb itself refuses until the database is reopened).
    pub fn heal(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    fn failing(&self) -> bool {
        self.0.load(Ordering::SeqCst)
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
