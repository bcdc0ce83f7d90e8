//! Durable storage of documents in redb, with group commit.
//!
//! Each document is stored as an optional **snapshot** (its merged state up to a sequence
//! number) plus a **log** of updates after it. Loading replays snapshot + log.
//!
//! All writes go through one writer thread. It takes every request queued while the
//! previous commit was being fsynced and commits them together in one
//! `Durability::Immediate` transaction (group commit), so throughput is not capped by
//! fsync latency. A request's completion is reported only after its transaction is
//! durable. A request that fails (e.g. a version that already exists) fails alone: the
//! batch is committed again without it (`commit_isolated`), so the documents batched
//! with it are not affected. Compaction writes the snapshot and deletes the log entries it covers in one
//! transaction, so there is no moment at which an update exists nowhere on disk.
//!
//! Two small tables sit beside the documents and are written in the same transactions:
//! the **meeting catalog** (document → header summary, see [`crate::store::catalog`]), written
//! with the update that changed a header, and the per-(series, year) **action reference
//! counters**, advanced only here, on the single writer, so no two documents of a series
//! can be given the same number.
//!
//! Files: this one is the store's API (reads, [`Store::submit`] for writes) and
//! [`StoreError`]; `ops` the writes and how each is written; `writer` the group-commit
//! thread; `tables` the table layouts; [`audit`] and [`catalog`] the audit log's and
//! the meeting catalog's records; [`faults`] storage fault injection for tests. No redb
//! type appears in the API: redb stays behind this module.

pub mod audit;
pub mod catalog;
pub mod faults;
mod ops;
mod tables;
mod writer;

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable};
use tokio::sync::mpsc;

use minutebook_shared::trust::{AuditEntry, Ledger};

use crate::store::catalog::CatalogEntry;

pub use ops::{Completion, Meta, Record, SignedVersion, WriteOp, Written};
use tables::*;
pub use writer::WriterThread;
use writer::{writer_loop, WriteRequest};

/// A storage failure. Cloneable so one failed group commit can be reported to every waiter.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage error: {message}")]
pub struct StoreError {
    message: Arc<str>,
    in_use: bool,
}

impl StoreError {
    fn new(e: impl std::fmt::Display) -> Self {
        StoreError {
            message: e.to_string().into(),
            in_use: false,
        }
    }

    /// The database file is locked by another process (a running server).
    pub fn is_in_use(&self) -> bool {
        self.in_use
    }

    /// A blocking storage task that panicked or was cancelled.
    pub fn from_join(e: tokio::task::JoinError) -> Self {
        StoreError::new(format!("storage task failed: {e}"))
    }
}

/// redb's and serde's errors become storage errors with `?` (the message is kept; redb's
/// types never leave this module).
macro_rules! store_error_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::new(e)
            }
        })*
    };
}

store_error_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error,
    std::io::Error,
);

/// A document as found on disk.
#[derive(Debug, Default)]
pub struct StoredDoc {
    /// The snapshot, if any: the last sequence number it covers and the merged update.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// Updates after the snapshot, in sequence order.
    pub log: Vec<(u64, Vec<u8>)>,
    /// The document's catalog entry, if it is a meeting.
    pub meeting: Option<CatalogEntry>,
}

impl StoredDoc {
    /// The highest sequence number stored for the document (0 when empty).
    pub fn last_seq(&self) -> u64 {
        let snap = self.snapshot.as_ref().map_or(0, |(s, _)| *s);
        self.log.last().map_or(snap, |(s, _)| (*s).max(snap))
    }
}

/// Handle to the store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: std_mpsc::Sender<WriteRequest>,
    /// Next audit sequence number (this process owns the database file exclusively).
    audit_next: Arc<std::sync::atomic::AtomicU64>,
}

impl Store {
    /// Opens (or creates) the database at `path` and starts the writer thread.
    pub fn open(path: &Path) -> Result<(Store, WriterThread), StoreError> {
        Self::open_with(path, None)
    }

    /// Like [`Store::open`], with disk writes that fail while `faults` is on (tests).
    pub fn open_with(
        path: &Path,
        faults: Option<&faults::FaultSwitch>,
    ) -> Result<(Store, WriterThread), StoreError> {
        let db = match faults {
            None => Database::create(path),
            Some(switch) => faults::create(path, switch),
        };
        let db = db.map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError {
                message: format!("{} is in use by another process", path.display()).into(),
                in_use: true,
            },
            e => StoreError::new(e),
        })?;
        // Create the tables so that readers never see "table does not exist".
        let txn = db.begin_write()?;
        txn.open_table(UPDATES)?;
        txn.open_table(SNAPSHOTS)?;
        txn.open_table(MEETINGS)?;
        txn.open_table(REFERENCES)?;
        txn.open_table(RECORDS)?;
        txn.open_table(LEDGERS)?;
        txn.open_table(VERSIONS)?;
        txn.open_table(VERSION_STATES)?;
        txn.open_table(AUDIT)?;
        txn.commit()?;
        let audit_next = last_audit_seq(&db)? + 1;
        let db = Arc::new(db);
        let (tx, rx) = std_mpsc::channel();
        let writer_db = db.clone();
        let writer_faults = faults.cloned();
        let handle = std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer_loop(&writer_db, rx, writer_faults))?;
        let store = Store {
            db,
            writer: tx,
            audit_next: Arc::new(audit_next.into()),
        };
        Ok((store, WriterThread(handle)))
    }

    /// Queues a write; `reply` receives its [`Completion`] once it is durable (or failed).
    pub fn submit(&self, op: WriteOp, reply: mpsc::UnboundedSender<Completion>) {
        if let Err(std_mpsc::SendError(req)) = self.writer.send(WriteRequest { op, reply }) {
            let _ = req
                .reply
                .send(Err(StoreError::new("storage writer has stopped")));
        }
    }

    /// Queues a write and waits until it is durable.
    pub async fn write(&self, op: WriteOp) -> Result<Written, StoreError> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.submit(op, tx);
        rx.recv()
            .await
            .unwrap_or_else(|| Err(StoreError::new("storage writer has stopped")))
    }

    /// Assigns the next audit sequence number.
    pub fn audit_seq(&self) -> u64 {
        self.audit_next
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A trust record's JSON. Blocking (a point read; fine on async threads).
    pub fn record(&self, kind: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECORDS)?;
        Ok(table.get((kind, key))?.map(|v| v.value().to_vec()))
    }

    /// Every record of `kind` as (key, JSON). Blocking.
    pub fn records(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
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
    }

    /// A meeting's ledger (the default when none is stored). Blocking.
    pub fn ledger(&self, doc: &str) -> Result<Ledger, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LEDGERS)?;
        match table.get(doc)? {
            Some(v) => serde_json::from_slice(v.value())
                .map_err(|e| StoreError::new(format!("ledger of {doc} is unreadable: {e}"))),
            None => Ok(Ledger::default()),
        }
    }

    /// A signed version with its state. Blocking.
    pub fn version(&self, doc: &str, version: u32) -> Result<Option<SignedVersion>, StoreError> {
        let txn = self.db.begin_read()?;
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
    }

    /// A meeting's audit entries in order (or every entry when `doc` is `None`). Blocking.
    pub fn audit(&self, doc: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        let txn = self.db.begin_read()?;
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
                for entry in table.iter()? {
                    push(entry?.1.value());
                }
                out.sort_by_key(|e| e.seq);
            }
        }
        Ok(out)
    }

    /// Reads a document's snapshot and log. Blocking: call from `spawn_blocking`.
    pub fn load(&self, doc: &str) -> Result<StoredDoc, StoreError> {
        let txn = self.db.begin_read()?;
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
        Ok(StoredDoc {
            snapshot,
            log,
            meeting,
        })
    }

    /// Whether anything is stored under `doc`. Blocking.
    pub fn exists(&self, doc: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let snapshots = txn.open_table(SNAPSHOTS)?;
        if snapshots.get(doc)?.is_some() {
            return Ok(true);
        }
        let updates = txn.open_table(UPDATES)?;
        let mut range = updates.range((doc, 0)..=(doc, u64::MAX))?;
        Ok(range.next().is_some())
    }

    /// Every meeting in the catalog, as (document, entry), in document-name order. Blocking.
    pub fn meetings(&self) -> Result<Vec<(String, CatalogEntry)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MEETINGS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            if let Some(e) = CatalogEntry::from_json(v.value()) {
                out.push((k.value().to_string(), e));
            }
        }
        Ok(out)
    }

    /// The highest reference number given in (`series`, `year`), 0 if none. Blocking.
    pub fn reference_counter(&self, series: &str, year: u8) -> Result<u32, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REFERENCES)?;
        Ok(table.get((series, year))?.map_or(0, |v| v.value()))
    }

    /// Names of all stored documents. Blocking.
    pub fn list_docs(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let mut names = std::collections::BTreeSet::new();
        for entry in txn.open_table(SNAPSHOTS)?.iter()? {
            names.insert(entry?.0.value().to_string());
        }
        for entry in txn.open_table(UPDATES)?.iter()? {
            names.insert(entry?.0.value().0.to_string());
        }
        Ok(names.into_iter().collect())
    }
}

fn last_audit_seq(db: &Database) -> Result<u64, StoreError> {
    let txn = db.begin_read()?;
    let table = txn.open_table(AUDIT)?;
    let mut last = 0;
    for entry in table.iter()? {
        last = last.max(entry?.0.value().1);
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::writer::commit_isolated;
    use super::*;
    use minutebook_shared::trust::VersionInfo;

    fn append(doc: &str, seq: u64) -> WriteOp {
        WriteOp::Append {
            doc: doc.into(),
            seq,
            update: vec![seq as u8],
            meta: Vec::new(),
        }
    }

    fn ledger_with_version(doc: &str, seq: u64, version: u32) -> WriteOp {
        let info: VersionInfo = serde_json::from_value(serde_json::json!({
            "version": version,
            "signed": { "by": "Chair", "at": 1 },
            "sha256": "00",
            "readiness": {
                "confirmed": 0, "pending": 0, "changed": 0,
                "corrections_open": 0, "statements": []
            }
        }))
        .expect("a version record");
        WriteOp::Ledger {
            doc: doc.into(),
            seq,
            ledger: Box::default(),
            version: Some(Box::new(SignedVersion {
                info,
                markdown: format!("# v{version}"),
                state: vec![version as u8],
                html: None,
                form: 2,
            })),
            audit: Vec::new(),
        }
    }

    /// One failing operation in a group commit (a version that already exists) fails
    /// alone: the operations of other documents batched with it are committed and
    /// durable, on a real redb file.
    #[test]
    fn a_failing_write_fails_alone_in_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.redb");
        {
            let (store, writer) = Store::open(&path).unwrap();
            // Version 1 of "signed" exists.
            let first = commit_isolated(&store.db, &[&ledger_with_version("signed", 1, 1)], None);
            assert!(matches!(first[..], [Ok(Written::Appended(1))]));
            // One batch: good writes of two other documents around a duplicate version,
            // and a good write after it.
            let ops = [
                append("a", 1),
                ledger_with_version("signed", 2, 1),
                append("b", 1),
                append("a", 2),
            ];
            let refs: Vec<&WriteOp> = ops.iter().collect();
            let results = commit_isolated(&store.db, &refs, None);
            assert_eq!(results.len(), 4);
            assert_eq!(results[0].as_ref().ok(), Some(&Written::Appended(1)));
            let refused = results[1]
                .as_ref()
                .expect_err("the duplicate version fails");
            assert!(refused.to_string().contains("already exists"), "{refused}");
            assert_eq!(results[2].as_ref().ok(), Some(&Written::Appended(1)));
            assert_eq!(results[3].as_ref().ok(), Some(&Written::Appended(2)));
            drop(store);
            writer.join();
        }
        // Reopened from disk: the good writes are durable; the failed one left nothing
        // (its ledger write was not committed, the stored version is the first one).
        let (store, _w) = Store::open(&path).unwrap();
        assert_eq!(
            store.load("a").unwrap().log,
            vec![(1, vec![1]), (2, vec![2])]
        );
        assert_eq!(store.load("b").unwrap().log, vec![(1, vec![1])]);
        let v1 = store.version("signed", 1).unwrap().expect("version 1 kept");
        assert_eq!(v1.markdown, "# v1");
        assert!(store.version("signed", 2).unwrap().is_none());
    }

    /// Through the writer thread: the duplicate version's request gets an error, the
    /// others queued around it succeed.
    #[tokio::test]
    async fn the_writer_answers_each_request_of_a_mixed_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _w) = Store::open(&dir.path().join("t.redb")).unwrap();
        store.write(ledger_with_version("s", 1, 1)).await.unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (bad_tx, mut bad_rx) = mpsc::unbounded_channel();
        store.submit(append("x", 1), tx.clone());
        store.submit(ledger_with_version("s", 2, 1), bad_tx);
        store.submit(append("y", 1), tx.clone());
        for _ in 0..2 {
            assert_eq!(rx.recv().await.unwrap().unwrap(), Written::Appended(1));
        }
        assert!(bad_rx.recv().await.unwrap().is_err());
        assert_eq!(store.load("x").unwrap().last_seq(), 1);
        assert_eq!(store.load("y").unwrap().last_seq(), 1);
    }

    #[tokio::test]
    async fn appends_are_durable_and_compaction_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.redb");
        let (store, writer) = Store::open(&path).unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let doc: Arc<str> = "d".into();
        for seq in 1..=5 {
            store.submit(
                WriteOp::Append {
                    doc: doc.clone(),
                    seq,
                    update: vec![seq as u8],
                    meta: Vec::new(),
                },
                tx.clone(),
            );
        }
        for seq in 1..=5 {
            assert_eq!(rx.recv().await.unwrap().unwrap(), Written::Appended(seq));
        }
        store.submit(
            WriteOp::Compact {
                doc: doc.clone(),
                upto: 3,
                snapshot: vec![42],
            },
            tx.clone(),
        );
        assert_eq!(rx.recv().await.unwrap().unwrap(), Written::Compacted(3));
        let loaded = store.load("d").unwrap();
        assert_eq!(loaded.snapshot, Some((3, vec![42])));
        assert_eq!(loaded.log, vec![(4, vec![4]), (5, vec![5])]);
        assert_eq!(loaded.last_seq(), 5);
        assert_eq!(store.list_docs().unwrap(), vec!["d".to_string()]);
        assert!(store.exists("d").unwrap());
        assert!(!store.exists("e").unwrap());
        // Reference counters: bumps only raise, allocations never overlap.
        let bump = |at_least| Meta::Bump {
            series: "S".into(),
            year: 23,
            at_least,
        };
        store.submit(WriteOp::Meta(vec![bump(4), bump(2)]), tx.clone());
        assert_eq!(rx.recv().await.unwrap().unwrap(), Written::Meta);
        for (floor, first) in [(0, 5), (9, 10), (0, 12)] {
            store.submit(
                WriteOp::Allocate {
                    series: "S".into(),
                    year: 23,
                    floor,
                    count: 2,
                },
                tx.clone(),
            );
            assert_eq!(
                rx.recv().await.unwrap().unwrap(),
                Written::Allocated { first, count: 2 }
            );
        }
        assert_eq!(store.reference_counter("S", 23).unwrap(), 13);
        assert_eq!(store.reference_counter("S", 24).unwrap(), 0);
        drop(store);
        writer.join();
        // Reopen: still there.
        let (store, _w) = Store::open(&path).unwrap();
        assert_eq!(store.load("d").unwrap().last_seq(), 5);
        assert!(store.load("other").unwrap().snapshot.is_none());
    }
}
