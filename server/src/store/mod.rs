//! Durable storage of documents, with group commit, behind one boundary.
//!
//! Each document is stored as an optional **snapshot** (its merged state up to a sequence
//! number) plus a **log** of updates after it. Loading replays snapshot + log.
//!
//! All writes go through one writer thread. It takes every request queued while the
//! previous commit was being fsynced and has the engine commit them together in one
//! durable transaction (group commit), so throughput is not capped by fsync latency;
//! under load it paces commits ([`StoreOptions::commit_interval`]) so more share one. A
//! request's completion is reported only after its transaction is durable. A request that
//! fails (e.g. a version that already exists) fails alone: the documents batched with it
//! are not affected. Compaction writes the snapshot and deletes the log entries it covers
//! in one transaction, so there is no moment at which an update exists nowhere on disk.
//!
//! Two small tables sit beside the documents and are written in the same transactions:
//! the **meeting catalog** (document → header summary, see [`crate::store::catalog`]), written
//! with the update that changed a header, and the per-(series, year) **action reference
//! counters**, advanced only here, on the single writer, so no two documents of a series
//! can be given the same number.
//!
//! **The boundary.** [`Store`] is the API the actors, the HTTP handlers and the command
//! line use: blocking reads, and [`Store::submit`]/[`Store::write`] for writes with an
//! asynchronous result per request. Beneath it, an [`Engine`] commits batches and answers
//! reads; redb (`redb_engine`, the embedded default and the only engine for now) reopens
//! its file after a disk failure. No engine type appears in this API.
//!
//! The store serialises three `shared::trust` types — the [`Ledger`], [`AuditEntry`] and
//! the `VersionInfo` inside a [`SignedVersion`] — because they *are* the stored records:
//! a meeting's ledger, its audit entries and its signed versions are kept in the form the
//! API serves them, and the audit table's key is the entry's meeting and sequence number.
//! Their serde form is therefore an on-disk format: a field added to them needs a serde
//! default so older records keep reading.
//!
//! Files: this one is the API; `engine` the boundary; `ops` the writes; `writer` the
//! group-commit thread; `error` [`StoreError`]; [`audit`] and [`catalog`] the audit log's
//! and the meeting catalog's records; [`faults`] storage fault injection for tests.

pub mod audit;
pub mod catalog;
mod engine;
mod error;
pub mod faults;
mod ops;
mod redb_engine;
mod writer;

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use tokio::sync::mpsc;

use minutebook_shared::trust::{Approval, AuditEntry, Ledger, VersionInfo};

use crate::store::catalog::CatalogEntry;

pub use engine::Engine;
pub use error::StoreError;
pub use ops::{Completion, Meta, PublicVersion, Record, SignedVersion, WriteOp, Written};
pub use writer::WriterThread;
use writer::{writer_loop, WriteRequest};

/// The record kind of approvals (`meeting/version` zero-padded → a
/// `minutebook_shared::trust::Approval`).
pub const APPROVAL_RECORDS: &str = "approval";

/// Of `all` approvals, those of `doc`'s versions (made at later meetings) and those `doc`
/// made (its resolutions on the previous meeting's minutes).
pub fn approvals_of(all: &[Approval], doc: &str) -> (Vec<Approval>, Vec<Approval>) {
    let of = |pick: fn(&Approval) -> &str| {
        all.iter()
            .filter(|a| pick(a) == doc)
            .cloned()
            .collect::<Vec<_>>()
    };
    (of(|a| &a.meeting), of(|a| &a.at.meeting))
}

/// A document as found on disk.
#[derive(Debug, Default)]
pub struct StoredDoc {
    /// The snapshot, if any: the last sequence number it covers and the merged update.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// Updates after the snapshot, in sequence order.
    pub log: Vec<(u64, Vec<u8>)>,
    /// The document's catalog entry, if it is a meeting.
    pub meeting: Option<CatalogEntry>,
    /// Who owns each Yjs client id written under ([`Meta::ClientOwners`]).
    pub owners: Vec<(u64, String)>,
}

impl StoredDoc {
    /// The highest sequence number stored for the document (0 when empty).
    pub fn last_seq(&self) -> u64 {
        let snap = self.snapshot.as_ref().map_or(0, |(s, _)| *s);
        self.log.last().map_or(snap, |(s, _)| (*s).max(snap))
    }
}

/// How the store is run: group commit pacing, and fault injection for tests.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// Least time from one commit's start to the next one's (see [`writer`]); zero
    /// commits as soon as the previous commit is durable.
    pub commit_interval: std::time::Duration,
    /// Disk writes fail while this switch is on (tests only).
    pub faults: Option<faults::FaultSwitch>,
}

/// Handle to the store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
    writer: std_mpsc::Sender<WriteRequest>,
    /// Next audit sequence number (this process owns the database file exclusively).
    audit_next: Arc<std::sync::atomic::AtomicU64>,
}

impl Store {
    /// Opens (or creates) the redb database at `path` and starts the writer thread.
    pub fn open(path: &Path) -> Result<(Store, WriterThread), StoreError> {
        Self::open_with(path, &StoreOptions::default())
    }

    /// Like [`Store::open`], with the writer's pacing and, in tests, disk writes that
    /// fail while a fault switch is on.
    pub fn open_with(
        path: &Path,
        options: &StoreOptions,
    ) -> Result<(Store, WriterThread), StoreError> {
        let engine = redb_engine::RedbEngine::open(path, options.faults.as_ref())?;
        Self::start(Arc::new(engine), options.clone())
    }

    /// Starts the writer thread over `engine`.
    fn start(
        engine: Arc<dyn Engine>,
        options: StoreOptions,
    ) -> Result<(Store, WriterThread), StoreError> {
        let audit_next = engine.last_audit_seq()? + 1;
        let (tx, rx) = std_mpsc::channel();
        let writer_engine = engine.clone();
        let handle = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(&*writer_engine, rx, &options))?;
        let store = Store {
            engine,
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
        self.engine.record(kind, key)
    }

    /// Whether a trust record is stored, without reading it. Blocking.
    pub fn has_record(&self, kind: &str, key: &str) -> Result<bool, StoreError> {
        self.engine.has_record(kind, key)
    }

    /// Every record of `kind` as (key, JSON). Blocking.
    pub fn records(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.engine.records(kind)
    }

    /// A meeting's ledger (the default when none is stored), with its approvals and
    /// resolutions as their records hold them ([`APPROVAL_RECORDS`]: the record is the one
    /// truth, written in the approving meeting's transaction). Blocking.
    pub fn ledger(&self, doc: &str) -> Result<Ledger, StoreError> {
        self.ledger_with(doc, &self.approvals()?)
    }

    /// [`Store::ledger`] with every approval record already read ([`Store::approvals`]),
    /// for reading many ledgers. Blocking.
    pub fn ledger_with(&self, doc: &str, approvals: &[Approval]) -> Result<Ledger, StoreError> {
        let mut ledger = self.engine.ledger(doc)?.unwrap_or_default();
        (ledger.approvals, ledger.resolutions) = approvals_of(approvals, doc);
        Ok(ledger)
    }

    /// A meeting's signed versions, in order (its ledger's, without reading approvals).
    /// Blocking.
    pub fn versions(&self, doc: &str) -> Result<Vec<VersionInfo>, StoreError> {
        Ok(self.engine.ledger(doc)?.unwrap_or_default().versions)
    }

    /// Every approval record, in key order (meeting, then version). Blocking.
    pub fn approvals(&self) -> Result<Vec<Approval>, StoreError> {
        Ok(self
            .engine
            .records(APPROVAL_RECORDS)?
            .into_iter()
            .filter_map(|(_, json)| serde_json::from_slice::<Approval>(&json).ok())
            .collect())
    }

    /// A signed version with its state. Blocking.
    pub fn version(&self, doc: &str, version: u32) -> Result<Option<SignedVersion>, StoreError> {
        self.engine.version(doc, version)
    }

    /// A meeting's audit entries in order (or every entry when `doc` is `None`). Blocking.
    pub fn audit(&self, doc: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        self.engine.audit(doc)
    }

    /// One page of [`Store::audit`]: the newest `limit` entries numbered below `before`,
    /// in order, and whether older ones exist. Reads at most `limit + 1` entries for a
    /// meeting; every key (not every entry) for the whole log. Blocking.
    pub fn audit_page(
        &self,
        doc: Option<&str>,
        before: u64,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, bool), StoreError> {
        self.engine.audit_page(doc, before, limit)
    }

    /// Reads a document's snapshot and log. Blocking: call from `spawn_blocking`.
    pub fn load(&self, doc: &str) -> Result<StoredDoc, StoreError> {
        self.engine.load(doc)
    }

    /// Whether anything is stored under `doc`. Blocking.
    pub fn exists(&self, doc: &str) -> Result<bool, StoreError> {
        self.engine.exists(doc)
    }

    /// Every meeting in the catalog, as (document, entry), in document-name order. Blocking.
    pub fn meetings(&self) -> Result<Vec<(String, CatalogEntry)>, StoreError> {
        self.engine.meetings()
    }

    /// The highest reference number given in (`series`, `year`), 0 if none. Blocking.
    pub fn reference_counter(&self, series: &str, year: u8) -> Result<u32, StoreError> {
        self.engine.reference_counter(series, year)
    }

    /// Names of all stored documents. Blocking.
    pub fn list_docs(&self) -> Result<Vec<String>, StoreError> {
        self.engine.list_docs()
    }
}

#[cfg(test)]
mod tests {
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
                public: None,
                form: 2,
            })),
            audit: Vec::new(),
            records: Vec::new(),
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
            let first = store.engine.commit(&[&ledger_with_version("signed", 1, 1)]);
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
            let results = store.engine.commit(&refs);
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

    /// Pacing: the next commit does not start before the interval since the previous
    /// commit's start has passed, and the writes queued meanwhile are all answered.
    #[tokio::test]
    async fn a_paced_writer_holds_the_next_commit_for_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let interval = std::time::Duration::from_millis(300);
        let options = StoreOptions {
            commit_interval: interval,
            ..StoreOptions::default()
        };
        let (store, _w) = Store::open_with(&dir.path().join("t.redb"), &options).unwrap();
        let submitted = std::time::Instant::now();
        store.write(append("p", 1)).await.unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        for seq in 2..=4 {
            store.submit(append("p", seq), tx.clone());
        }
        for _ in 2..=4 {
            assert!(rx.recv().await.unwrap().is_ok());
        }
        // The first commit started after `submitted`, so the next one no sooner than
        // `submitted + interval`.
        assert!(
            submitted.elapsed() >= interval,
            "answered {:?} after the first write",
            submitted.elapsed()
        );
        assert_eq!(store.load("p").unwrap().last_seq(), 4);
    }

    /// A disk failure fails the writes of its commit (as disk failures), and the engine
    /// reopens the file by itself once the disk is healthy: later writes and reads work
    /// with no restart, and what failed is not there.
    #[tokio::test]
    async fn the_store_reopens_itself_after_a_disk_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.redb");
        let faults = faults::FaultSwitch::default();
        let options = StoreOptions {
            faults: Some(faults.clone()),
            ..StoreOptions::default()
        };
        let (store, writer) = Store::open_with(&path, &options).unwrap();
        store.write(append("d", 1)).await.unwrap();
        faults.fail_writes();
        let failed = store
            .write(append("d", 2))
            .await
            .expect_err("the disk fails");
        assert!(failed.is_io(), "{failed}");
        // While the disk fails, writes fail (and the disk is checked before a reopen), but
        // what was committed can still be read.
        assert!(store.write(append("d", 3)).await.is_err());
        assert_eq!(store.load("d").unwrap().log, vec![(1, vec![1])]);
        faults.heal();
        assert_eq!(
            store.write(append("d", 4)).await.unwrap(),
            Written::Appended(4)
        );
        let log = store.load("d").unwrap().log;
        assert_eq!(log, vec![(1, vec![1]), (4, vec![4])]);
        drop(store);
        writer.join();
        let (store, _w) = Store::open(&path).unwrap();
        assert_eq!(store.load("d").unwrap().log, log);
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
