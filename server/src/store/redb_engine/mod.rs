//! The redb engine, the embedded default: one database file, one durable transaction per
//! group commit, and every key and value layout in [`tables`]. The only module that
//! touches redb.
//!
//! **Recovery after a disk failure.** Once a commit meets an I/O error, redb refuses every
//! later write until the database is reopened, but still reads what was committed. So
//! the engine keeps the failed database for reads (sessions, the catalog, stored meetings
//! stay readable while the disk is full or failing) and, before the next commit, checks
//! that the disk takes a small write and fsync again ([`disk_takes_writes`]); only then
//! does it close and reopen the file (reopening writes: redb repairs a file it did not
//! close), so the server goes on once the disk is healthy, without a restart. Reopening
//! waits for the reads in progress.
//!
//! Files: this one opens, reopens and reads; [`apply`] writes one operation inside a
//! transaction; [`commit`] the group commit in which a failing operation fails alone;
//! [`faulty`] the fault-injecting backend for tests.

mod apply;
mod commit;
mod faulty;
mod tables;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use minutebook_shared::trust::{AuditEntry, Ledger};

use super::catalog::CatalogEntry;
use super::engine::Engine;
use super::error::Kind;
use super::faults::FaultSwitch;
use super::ops::{Completion, SignedVersion, WriteOp};
use super::{StoreError, StoredDoc};
use tables::*;

/// A redb database file.
pub(super) struct RedbEngine {
    path: PathBuf,
    faults: Option<FaultSwitch>,
    /// The open database; `None` while a reopen after a disk failure has not succeeded.
    db: RwLock<Option<Database>>,
    /// A disk failure was met: reopen before the next use.
    broken: AtomicBool,
}

impl RedbEngine {
    /// Opens (or creates) the database at `path`, over a fault-injecting backend when
    /// `faults` is given (tests).
    pub(super) fn open(path: &Path, faults: Option<&FaultSwitch>) -> Result<Self, StoreError> {
        let db = open_file(path, faults)?;
        Ok(RedbEngine {
            path: path.to_path_buf(),
            faults: faults.cloned(),
            db: RwLock::new(Some(db)),
            broken: AtomicBool::new(false),
        })
    }

    /// Reopens the file if a disk failure was met and the disk takes writes again. Runs
    /// alone: the write lock waits for the reads in progress.
    fn recover(&self) -> Result<(), StoreError> {
        if !self.broken.load(Ordering::Acquire) {
            return Ok(());
        }
        let open = self.db.read().map(|db| db.is_some()).unwrap_or(false);
        if open {
            // Keep the failed database for reads until the disk can take the reopen.
            disk_takes_writes(&self.path, self.faults.as_ref())?;
        }
        let mut slot = self.db.write().unwrap_or_else(|e| e.into_inner());
        if !self.broken.load(Ordering::Acquire) {
            return Ok(()); // another thread reopened it meanwhile
        }
        // Close the failed database first: redb holds the file's lock until then.
        drop(slot.take());
        let db = open_file(&self.path, self.faults.as_ref()).inspect_err(|e| {
            tracing::error!(error = %e, path = %self.path.display(), "reopening the database failed");
        })?;
        *slot = Some(db);
        self.broken.store(false, Ordering::Release);
        tracing::warn!(path = %self.path.display(), "database reopened after a disk failure");
        Ok(())
    }

    /// Notes a disk failure in `result`, so that the next use reopens the file.
    fn note<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(e) = &result {
            if e.is_io() {
                self.broken.store(true, Ordering::Release);
            }
        }
        result
    }

    /// The open database, reopened first if needed; held for one commit.
    fn database(&self) -> Result<DbGuard<'_>, StoreError> {
        self.recover()?;
        self.open_database()
    }

    /// The open database, even one a disk failure left read-only; held for one read.
    fn readable(&self) -> Result<DbGuard<'_>, StoreError> {
        if self.db.read().map(|db| db.is_none()).unwrap_or(true) {
            self.recover()?;
        }
        self.open_database()
    }

    fn open_database(&self) -> Result<DbGuard<'_>, StoreError> {
        let guard = self.db.read().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            return Err(StoreError::of_kind(Kind::Io, "the database is not open"));
        }
        Ok(DbGuard(guard))
    }

    /// Runs a read on the open database.
    fn read<T>(&self, f: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let result = self.readable().and_then(|db| f(&db));
        self.note(result)
    }
}

/// A read lock on an open database.
struct DbGuard<'a>(RwLockReadGuard<'a, Option<Database>>);

impl std::ops::Deref for DbGuard<'_> {
    type Target = Database;
    fn deref(&self) -> &Database {
        // `database()` checked that it is open, and the read lock keeps it so.
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("checked open"))
    }
}

/// Whether the disk under `path` takes a small write and fsync (a file beside the
/// database, removed again); under injected faults, whether they are off.
fn disk_takes_writes(path: &Path, faults: Option<&FaultSwitch>) -> Result<(), StoreError> {
    if let Some(faults) = faults.filter(|f| f.failing()) {
        return Err(StoreError::from(faults.error()));
    }
    let probe = path.with_extension("probe");
    let written = (|| {
        use std::io::Write;
        let mut file = std::fs::File::create(&probe)?;
        file.write_all(&[0u8; 4096])?;
        file.sync_all()
    })();
    let _ = std::fs::remove_file(&probe);
    written.map_err(StoreError::from)
}

/// Opens the file and creates every table, so that readers never see "table does not
/// exist".
fn open_file(path: &Path, faults: Option<&FaultSwitch>) -> Result<Database, StoreError> {
    let db = match faults {
        None => Database::create(path),
        Some(switch) => faulty::create(path, switch),
    };
    let db = db.map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::of_kind(
            Kind::InUse,
            format!("{} is in use by another process", path.display()),
        ),
        e => StoreError::from(e),
    })?;
    let txn = db.begin_write()?;
    txn.open_table(UPDATES)?;
    txn.open_table(SNAPSHOTS)?;
    txn.open_table(MEETINGS)?;
    txn.open_table(REFERENCES)?;
    txn.open_table(RECORDS)?;
    txn.open_table(LEDGERS)?;
    txn.open_table(VERSIONS)?;
    txn.open_table(VERSION_STATES)?;
    txn.open_table(CLIENT_OWNERS)?;
    order_audit_log(&txn)?;
    txn.commit()?;
    Ok(db)
}

/// Fills [`AUDIT_ORDER`] from [`AUDIT`] if a store written before it has entries that
/// it lacks (once: afterwards every entry is written to both in one transaction).
fn order_audit_log(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut order = txn.open_table(AUDIT_ORDER)?;
    let audit = txn.open_table(AUDIT)?;
    if !order.is_empty()? || audit.is_empty()? {
        return Ok(());
    }
    for entry in audit.iter()? {
        let (key, _) = entry?;
        let (meeting, seq) = key.value();
        order.insert(seq, meeting)?;
    }
    Ok(())
}

impl Engine for RedbEngine {
    fn commit(&self, ops: &[&WriteOp]) -> Vec<Completion> {
        let results = match self.database() {
            Ok(db) => commit::commit_isolated(&db, ops, self.faults.as_ref()),
            Err(e) => vec![Err(e); ops.len()],
        };
        for r in &results {
            if let Err(e) = r {
                if e.is_io() {
                    self.broken.store(true, Ordering::Release);
                }
            }
        }
        results
    }

    fn load(&self, doc: &str) -> Result<StoredDoc, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let snapshots = txn.open_table(SNAPSHOTS)?;
            let snapshot = snapshots.get(doc)?.map(|v| {
                let (seq, bytes) = v.value();
                (seq, bytes.to_vec())
            });
            let after = snapshot.as_ref().map_or(0, |(s, _)| s + 1);
            let updates = txn.open_table(UPDATES)?;
            let mut log = Vec::new();
            for entry in updates.range((doc, after)..=(doc, u64::MAX))? {
                let (key, value) = entry?;
                log.push((key.value().1, value.value().to_vec()));
            }
            let meetings = txn.open_table(MEETINGS)?;
            let meeting = match meetings.get(doc)? {
                Some(v) => CatalogEntry::from_json(v.value()),
                None => None,
            };
            let mut owners = Vec::new();
            let owned = txn.open_table(CLIENT_OWNERS)?;
            for entry in owned.range((doc, 0)..=(doc, u64::MAX))? {
                let (key, value) = entry?;
                owners.push((key.value().1, value.value().to_owned()));
            }
            Ok(StoredDoc {
                snapshot,
                log,
                meeting,
                owners,
            })
        })
    }

    fn exists(&self, doc: &str) -> Result<bool, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            if txn.open_table(SNAPSHOTS)?.get(doc)?.is_some() {
                return Ok(true);
            }
            let updates = txn.open_table(UPDATES)?;
            let mut range = updates.range((doc, 0)..=(doc, u64::MAX))?;
            Ok(range.next().is_some())
        })
    }

    fn list_docs(&self) -> Result<Vec<String>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let mut names = std::collections::BTreeSet::new();
            for entry in txn.open_table(SNAPSHOTS)?.iter()? {
                names.insert(entry?.0.value().to_string());
            }
            for entry in txn.open_table(UPDATES)?.iter()? {
                names.insert(entry?.0.value().0.to_string());
            }
            Ok(names.into_iter().collect())
        })
    }

    fn meetings(&self) -> Result<Vec<(String, CatalogEntry)>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(MEETINGS)?;
            let mut out = Vec::new();
            for entry in table.iter()? {
                let (k, v) = entry?;
                if let Some(e) = CatalogEntry::from_json(v.value()) {
                    out.push((k.value().to_string(), e));
                }
            }
            Ok(out)
        })
    }

    fn reference_counter(&self, series: &str, year: u8) -> Result<u32, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(REFERENCES)?;
            Ok(table.get((series, year))?.map_or(0, |v| v.value()))
        })
    }

    fn record(&self, kind: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(RECORDS)?;
            Ok(table.get((kind, key))?.map(|v| v.value().to_vec()))
        })
    }

    fn has_record(&self, kind: &str, key: &str) -> Result<bool, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(RECORDS)?;
            Ok(table.get((kind, key))?.is_some())
        })
    }

    fn records(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(RECORDS)?;
            let mut out = Vec::new();
            for entry in table.range((kind, "")..)? {
                let (k, v) = entry?;
                let (k_kind, key) = k.value();
                if k_kind != kind {
                    break;
                }
                out.push((key.to_string(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    fn ledger(&self, doc: &str) -> Result<Option<Ledger>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(LEDGERS)?;
            match table.get(doc)? {
                Some(v) => serde_json::from_slice(v.value())
                    .map(Some)
                    .map_err(|e| StoreError::new(format!("ledger of {doc} is unreadable: {e}"))),
                None => Ok(None),
            }
        })
    }

    fn version(&self, doc: &str, version: u32) -> Result<Option<SignedVersion>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(VERSIONS)?;
            let Some(v) = table.get((doc, version))? else {
                return Ok(None);
            };
            let mut signed: SignedVersion = serde_json::from_slice(v.value()).map_err(|e| {
                StoreError::new(format!("version {version} of {doc} is unreadable: {e}"))
            })?;
            let states = txn.open_table(VERSION_STATES)?;
            if let Some(state) = states.get((doc, version))? {
                signed.state = state.value().to_vec();
            }
            Ok(Some(signed))
        })
    }

    fn audit(&self, doc: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(AUDIT)?;
            let mut out = Vec::new();
            let mut push = |v: &[u8]| {
                if let Ok(entry) = serde_json::from_slice::<AuditEntry>(v) {
                    out.push(entry);
                }
            };
            match doc {
                Some(doc) => {
                    for entry in table.range((doc, 0)..=(doc, u64::MAX))? {
                        push(entry?.1.value());
                    }
                }
                None => {
                    for entry in txn.open_table(AUDIT_ORDER)?.iter()? {
                        let (seq, meeting) = entry?;
                        if let Some(v) = table.get((meeting.value(), seq.value()))? {
                            push(v.value());
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    fn audit_page(
        &self,
        doc: Option<&str>,
        before: u64,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, bool), StoreError> {
        if before == 0 || limit == 0 {
            return Ok((Vec::new(), before > 0));
        }
        self.read(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(AUDIT)?;
            // The keys of the page, newest first, one more than asked for (is there more?).
            let mut keys: Vec<(String, u64)> = Vec::with_capacity(limit + 1);
            match doc {
                Some(doc) => {
                    for entry in table.range((doc, 0)..(doc, before))?.rev().take(limit + 1) {
                        keys.push((doc.to_owned(), entry?.0.value().1));
                    }
                }
                None => {
                    let order = txn.open_table(AUDIT_ORDER)?;
                    for entry in order.range(..before)?.rev().take(limit + 1) {
                        let (seq, meeting) = entry?;
                        keys.push((meeting.value().to_owned(), seq.value()));
                    }
                }
            }
            let more = keys.len() > limit;
            keys.truncate(limit);
            let mut out = Vec::with_capacity(keys.len());
            for (meeting, seq) in keys.iter().rev() {
                if let Some(v) = table.get((meeting.as_str(), *seq))? {
                    if let Ok(entry) = serde_json::from_slice::<AuditEntry>(v.value()) {
                        out.push(entry);
                    }
                }
            }
            Ok((out, more))
        })
    }

    fn last_audit_seq(&self) -> Result<u64, StoreError> {
        self.read(|db| {
            let txn = db.begin_read()?;
            let order = txn.open_table(AUDIT_ORDER)?;
            let last = order.last()?.map_or(0, |(seq, _)| seq.value());
            Ok(last)
        })
    }
}

/// redb's errors become storage errors with `?`; a failure of the disk (an I/O error, or
/// redb refusing work after one) is marked as such, so the engine reopens the file.
macro_rules! from_redb {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                let kind = if e.is_disk_failure() { Kind::Io } else { Kind::Other };
                StoreError::of_kind(kind, e)
            }
        })*
    };
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
);

/// Whether one of redb's errors is a failure of the disk.
trait DiskFailure {
    fn is_disk_failure(&self) -> bool;
}

impl DiskFailure for redb::StorageError {
    fn is_disk_failure(&self) -> bool {
        matches!(
            self,
            redb::StorageError::Io(_)
                | redb::StorageError::PreviousIo
                | redb::StorageError::DatabaseClosed
                | redb::StorageError::Backend(_)
        )
    }
}

/// The errors that wrap a [`redb::StorageError`].
macro_rules! wraps_storage {
    ($($t:ident),* $(,)?) => {
        $(impl DiskFailure for redb::$t {
            fn is_disk_failure(&self) -> bool {
                matches!(self, redb::$t::Storage(s) if s.is_disk_failure())
            }
        })*
    };
}

wraps_storage!(DatabaseError, TransactionError, TableError, CommitError);

impl DiskFailure for redb::SetDurabilityError {
    fn is_disk_failure(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(meeting: &str, seq: u64) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "seq": seq, "at": 1, "actor": "Chair", "role": null,
            "meeting": meeting, "event": "join", "detail": ""
        }))
        .expect("json")
    }

    fn seqs(entries: &[AuditEntry]) -> Vec<u64> {
        entries.iter().map(|e| e.seq).collect()
    }

    /// A store whose audit log was written before [`AUDIT_ORDER`] existed is ordered when
    /// opened: the whole log reads in pages, newest first, and its last sequence is found.
    #[test]
    fn an_audit_log_written_before_its_order_is_ordered_when_opened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.redb");
        {
            let db = Database::create(&path).expect("create");
            let txn = db.begin_write().expect("write");
            {
                let mut audit = txn.open_table(AUDIT).expect("audit table");
                for (meeting, seq) in [("m1", 1), ("", 2), ("m2", 3), ("m1", 4), ("m2", 5)] {
                    audit
                        .insert((meeting, seq), entry(meeting, seq).as_slice())
                        .expect("insert");
                }
            }
            txn.commit().expect("commit");
        }
        let engine = RedbEngine::open(&path, None).expect("open");
        assert_eq!(engine.last_audit_seq().expect("last"), 5);
        let (page, more) = engine.audit_page(None, u64::MAX, 3).expect("page");
        assert_eq!((seqs(&page), more), (vec![3, 4, 5], true));
        let (page, more) = engine.audit_page(None, 3, 3).expect("older page");
        assert_eq!((seqs(&page), more), (vec![1, 2], false));
        let (page, _) = engine.audit_page(Some("m1"), u64::MAX, 10).expect("m1");
        assert_eq!(seqs(&page), vec![1, 4]);
        assert_eq!(seqs(&engine.audit(None).expect("all")), vec![1, 2, 3, 4, 5]);
    }
}
