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

pub mod audit;
pub mod catalog;
pub mod faults;

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::mpsc;

use minutebook_shared::trust::{AuditEntry, Ledger, VersionInfo};

use crate::store::catalog::CatalogEntry;

/// Update log: (document, sequence number) → one v1 update.
const UPDATES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("updates");
/// Snapshot: document → (last sequence number it covers, merged v1 update).
const SNAPSHOTS: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("snapshots");
/// Meeting catalog: document → its [`CatalogEntry`] as JSON.
const MEETINGS: TableDefinition<&str, &str> = TableDefinition::new("meetings");
/// Action reference counters: (series key, two-digit year) → highest number given.
const REFERENCES: TableDefinition<(&str, u8), u32> = TableDefinition::new("references");

/// Trust records (see [`crate::auth`]): kind → key → JSON. Kinds: `secret`, `admin`,
/// `invite`, `session`, `setup`.
const RECORDS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("records");
/// Ledger of each meeting: document → [`Ledger`] as JSON (written only by the server).
const LEDGERS: TableDefinition<&str, &[u8]> = TableDefinition::new("ledgers");
/// Signed versions: (document, version) → [`SignedVersion`] without its state, as JSON.
const VERSIONS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("versions");
/// Signed versions' full document state: (document, version) → v1 update.
const VERSION_STATES: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("version_states");
/// Audit log: (document or "", sequence) → [`AuditEntry`] as JSON.
const AUDIT: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("audit");

/// Most write requests folded into one transaction.
const MAX_BATCH: usize = 4096;

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

/// A write for the writer thread.
pub enum WriteOp {
    /// Append one update to a document's log, with the side writes it causes (committed
    /// in the same transaction).
    Append {
        doc: Arc<str>,
        seq: u64,
        update: Vec<u8>,
        meta: Vec<Meta>,
    },
    /// Side writes alone (e.g. counters bumped past references found on load).
    Meta(Vec<Meta>),
    /// Reserve `count` consecutive action numbers of (`series`, `year`): one more than
    /// the larger of the counter and `floor`, onwards.
    Allocate {
        series: String,
        year: u8,
        floor: u32,
        count: u32,
    },
    /// A meeting's ledger change, ordered with its updates: written at sequence `seq` of
    /// the document's write stream (no update is stored under it) and reported as
    /// [`Written::Appended`]. Optionally freezes a signed version in the same transaction.
    Ledger {
        doc: Arc<str>,
        seq: u64,
        ledger: Box<Ledger>,
        version: Option<Box<SignedVersion>>,
        audit: Vec<AuditEntry>,
    },
    /// Audit entries ordered in a document's write stream at `seq` (nothing is stored
    /// under it), reported as [`Written::Appended`]: what is gated behind it is told only
    /// once the entries are durable.
    Audit { seq: u64, entries: Vec<AuditEntry> },
    /// Trust records and audit entries ([`crate::auth`]); reported as [`Written::Meta`].
    Records(Vec<Record>),
    /// Replace the snapshot and drop the log entries up to and including `upto`.
    Compact {
        doc: Arc<str>,
        upto: u64,
        snapshot: Vec<u8>,
    },
}

impl WriteOp {
    /// The document this operation writes to, if it is one document's.
    pub fn doc(&self) -> Option<&str> {
        match self {
            WriteOp::Append { doc, .. }
            | WriteOp::Ledger { doc, .. }
            | WriteOp::Compact { doc, .. } => Some(doc),
            WriteOp::Meta(_)
            | WriteOp::Allocate { .. }
            | WriteOp::Audit { .. }
            | WriteOp::Records(_) => None,
        }
    }
}

/// A write beside a document's updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// Insert or replace a document's catalog entry.
    Catalog { doc: Arc<str>, entry: CatalogEntry },
    /// Raise the reference counter of (`series`, `year`) to at least `at_least`.
    Bump {
        series: String,
        year: u8,
        at_least: u32,
    },
}

/// A write to the trust records.
#[derive(Debug, Clone)]
pub enum Record {
    /// Insert or replace `kind`/`key` with a JSON value.
    Put {
        kind: &'static str,
        key: String,
        json: Vec<u8>,
    },
    /// Remove `kind`/`key`.
    Delete { kind: &'static str, key: String },
    /// Append an audit entry (its `seq` is already assigned by [`Store::audit_seq`]).
    Audit(AuditEntry),
}

/// A signed, immutable version of a meeting.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SignedVersion {
    pub info: VersionInfo,
    /// The canonical Markdown rendering whose SHA-256 is `info.sha256`.
    pub markdown: String,
    /// The full document state as a v1 update (stored in its own table).
    #[serde(skip)]
    pub state: Vec<u8>,
    /// The HTML export, sign-off footer included, frozen at sign-off (`None` for
    /// versions signed before it was kept: see [`crate::docs::version_export::html`]).
    #[serde(default)]
    pub html: Option<String>,
    /// The canonical form of `markdown` (`minutebook_shared::signoff::CANONICAL_FORM`);
    /// 1 for versions signed before the form carried its sign-off facts.
    #[serde(default = "first_form")]
    pub form: u32,
}

fn first_form() -> u32 {
    1
}

/// What became durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The update with this sequence number is on disk.
    Appended(u64),
    /// The snapshot covering sequence numbers up to this one is on disk.
    Compacted(u64),
    /// Side writes are on disk.
    Meta,
    /// Numbers `first .. first + count` were reserved.
    Allocated { first: u32, count: u32 },
}

/// Completion of a write, reported once it is durable (or failed).
pub type Completion = Result<Written, StoreError>;

struct WriteRequest {
    op: WriteOp,
    reply: mpsc::UnboundedSender<Completion>,
}

/// Handle to the store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: std_mpsc::Sender<WriteRequest>,
    /// Next audit sequence number (this process owns the database file exclusively).
    audit_next: Arc<std::sync::atomic::AtomicU64>,
}

/// Owns the writer thread; dropping every [`Store`] clone and then calling
/// [`WriterThread::join`] waits for the last commit.
pub struct WriterThread(JoinHandle<()>);

impl WriterThread {
    /// Waits until every queued write is committed.
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("storage writer thread panicked");
        }
    }
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
        let txn = db.begin_write().map_err(StoreError::new)?;
        txn.open_table(UPDATES).map_err(StoreError::new)?;
        txn.open_table(SNAPSHOTS).map_err(StoreError::new)?;
        txn.open_table(MEETINGS).map_err(StoreError::new)?;
        txn.open_table(REFERENCES).map_err(StoreError::new)?;
        txn.open_table(RECORDS).map_err(StoreError::new)?;
        txn.open_table(LEDGERS).map_err(StoreError::new)?;
        txn.open_table(VERSIONS).map_err(StoreError::new)?;
        txn.open_table(VERSION_STATES).map_err(StoreError::new)?;
        txn.open_table(AUDIT).map_err(StoreError::new)?;
        txn.commit().map_err(StoreError::new)?;
        let audit_next = last_audit_seq(&db)? + 1;
        let db = Arc::new(db);
        let (tx, rx) = std_mpsc::channel();
        let writer_db = db.clone();
        let writer_faults = faults.cloned();
        let handle = std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer_loop(&writer_db, rx, writer_faults))
            .map_err(StoreError::new)?;
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
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(RECORDS).map_err(StoreError::new)?;
        Ok(table
            .get((kind, key))
            .map_err(StoreError::new)?
            .map(|v| v.value().to_vec()))
    }

    /// Every record of `kind` as (key, JSON). Blocking.
    pub fn records(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(RECORDS).map_err(StoreError::new)?;
        let mut out = Vec::new();
        for entry in table.range((kind, "")..).map_err(StoreError::new)? {
            let (k, v) = entry.map_err(StoreError::new)?;
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
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(LEDGERS).map_err(StoreError::new)?;
        match table.get(doc).map_err(StoreError::new)? {
            Some(v) => serde_json::from_slice(v.value())
                .map_err(|e| StoreError::new(format!("ledger of {doc} is unreadable: {e}"))),
            None => Ok(Ledger::default()),
        }
    }

    /// A signed version with its state. Blocking.
    pub fn version(&self, doc: &str, version: u32) -> Result<Option<SignedVersion>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(VERSIONS).map_err(StoreError::new)?;
        let Some(v) = table.get((doc, version)).map_err(StoreError::new)? else {
            return Ok(None);
        };
        let mut signed: SignedVersion = serde_json::from_slice(v.value()).map_err(|e| {
            StoreError::new(format!("version {version} of {doc} is unreadable: {e}"))
        })?;
        let states = txn.open_table(VERSION_STATES).map_err(StoreError::new)?;
        if let Some(state) = states.get((doc, version)).map_err(StoreError::new)? {
            signed.state = state.value().to_vec();
        }
        Ok(Some(signed))
    }

    /// A meeting's audit entries in order (or every entry when `doc` is `None`). Blocking.
    pub fn audit(&self, doc: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(AUDIT).map_err(StoreError::new)?;
        let mut out = Vec::new();
        let mut push = |v: &[u8]| {
            if let Ok(entry) = serde_json::from_slice::<AuditEntry>(v) {
                out.push(entry);
            }
        };
        match doc {
            Some(doc) => {
                for entry in table
                    .range((doc, 0)..=(doc, u64::MAX))
                    .map_err(StoreError::new)?
                {
                    push(entry.map_err(StoreError::new)?.1.value());
                }
            }
            None => {
                for entry in table.iter().map_err(StoreError::new)? {
                    push(entry.map_err(StoreError::new)?.1.value());
                }
                out.sort_by_key(|e| e.seq);
            }
        }
        Ok(out)
    }

    /// Reads a document's snapshot and log. Blocking: call from `spawn_blocking`.
    pub fn load(&self, doc: &str) -> Result<StoredDoc, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let snapshots = txn.open_table(SNAPSHOTS).map_err(StoreError::new)?;
        let snapshot = snapshots.get(doc).map_err(StoreError::new)?.map(|v| {
            let (seq, bytes) = v.value();
            (seq, bytes.to_vec())
        });
        let after = snapshot.as_ref().map_or(0, |(s, _)| s + 1);
        let updates = txn.open_table(UPDATES).map_err(StoreError::new)?;
        let mut log = Vec::new();
        for entry in updates
            .range((doc, after)..=(doc, u64::MAX))
            .map_err(StoreError::new)?
        {
            let (key, value) = entry.map_err(StoreError::new)?;
            log.push((key.value().1, value.value().to_vec()));
        }
        let meetings = txn.open_table(MEETINGS).map_err(StoreError::new)?;
        let meeting = match meetings.get(doc).map_err(StoreError::new)? {
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
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let snapshots = txn.open_table(SNAPSHOTS).map_err(StoreError::new)?;
        if snapshots.get(doc).map_err(StoreError::new)?.is_some() {
            return Ok(true);
        }
        let updates = txn.open_table(UPDATES).map_err(StoreError::new)?;
        let mut range = updates
            .range((doc, 0)..=(doc, u64::MAX))
            .map_err(StoreError::new)?;
        Ok(range.next().is_some())
    }

    /// Every meeting in the catalog, as (document, entry), in document-name order. Blocking.
    pub fn meetings(&self) -> Result<Vec<(String, CatalogEntry)>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(MEETINGS).map_err(StoreError::new)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(StoreError::new)? {
            let (k, v) = entry.map_err(StoreError::new)?;
            if let Some(e) = CatalogEntry::from_json(v.value()) {
                out.push((k.value().to_string(), e));
            }
        }
        Ok(out)
    }

    /// The highest reference number given in (`series`, `year`), 0 if none. Blocking.
    pub fn reference_counter(&self, series: &str, year: u8) -> Result<u32, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let table = txn.open_table(REFERENCES).map_err(StoreError::new)?;
        Ok(table
            .get((series, year))
            .map_err(StoreError::new)?
            .map_or(0, |v| v.value()))
    }

    /// Names of all stored documents. Blocking.
    pub fn list_docs(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read().map_err(StoreError::new)?;
        let mut names = std::collections::BTreeSet::new();
        for entry in txn
            .open_table(SNAPSHOTS)
            .map_err(StoreError::new)?
            .iter()
            .map_err(StoreError::new)?
        {
            names.insert(entry.map_err(StoreError::new)?.0.value().to_string());
        }
        for entry in txn
            .open_table(UPDATES)
            .map_err(StoreError::new)?
            .iter()
            .map_err(StoreError::new)?
        {
            names.insert(entry.map_err(StoreError::new)?.0.value().0.to_string());
        }
        Ok(names.into_iter().collect())
    }
}

fn last_audit_seq(db: &Database) -> Result<u64, StoreError> {
    let txn = db.begin_read().map_err(StoreError::new)?;
    let table = txn.open_table(AUDIT).map_err(StoreError::new)?;
    let mut last = 0;
    for entry in table.iter().map_err(StoreError::new)? {
        last = last.max(entry.map_err(StoreError::new)?.0.value().1);
    }
    Ok(last)
}

fn writer_loop(
    db: &Database,
    rx: std_mpsc::Receiver<WriteRequest>,
    faults: Option<faults::FaultSwitch>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        if let Some(faults) = faults.as_ref().filter(|f| f.held()) {
            // Tests: while the writer is held, every request joins this one batch.
            faults.took_one();
            loop {
                match rx.recv_timeout(std::time::Duration::from_millis(2)) {
                    Ok(req) => {
                        faults.took_one();
                        batch.push(req);
                    }
                    Err(std_mpsc::RecvTimeoutError::Timeout) if faults.held() => {}
                    Err(_) => break,
                }
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(req) => batch.push(req),
                Err(_) => break,
            }
        }
        let ops: Vec<&WriteOp> = batch.iter().map(|r| &r.op).collect();
        for (req, done) in batch.iter().zip(commit_isolated(db, &ops, faults.as_ref())) {
            let _ = req.reply.send(done);
        }
    }
}

/// Why a batch did not commit.
enum BatchError {
    /// The operation at this index of the batch failed (e.g. a version that already
    /// exists): only that operation is at fault.
    Op(usize, StoreError),
    /// The transaction itself failed (begin, open, commit/fsync): every operation failed.
    Txn(StoreError),
}

/// Commits `ops` as one group commit in which a failing operation fails alone: one
/// [`Completion`] per operation, in order.
///
/// redb has no cheap per-operation rollback (a savepoint is a whole-database snapshot), so
/// the writer does the simple correct thing: when an operation fails, the transaction is
/// aborted — nothing of the batch was written — that operation is answered with its
/// error, and the batch is committed again without it. Each retry drops one operation, so
/// a batch ends after at most `ops.len()` attempts, and an aborted transaction costs no
/// fsync. Only a failure of the transaction itself (e.g. the fsync) fails every
/// operation of the batch, since then none of them is durable.
fn commit_isolated(
    db: &Database,
    ops: &[&WriteOp],
    faults: Option<&faults::FaultSwitch>,
) -> Vec<Completion> {
    let mut results: Vec<Option<Completion>> = vec![None; ops.len()];
    // Indices of the operations still to commit.
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    while !pending.is_empty() {
        let attempt: Vec<&WriteOp> = pending.iter().map(|&i| ops[i]).collect();
        match commit_batch(db, &attempt, faults) {
            Ok(written) => {
                for (&i, done) in pending.iter().zip(written) {
                    results[i] = Some(Ok(done));
                }
                break;
            }
            Err(BatchError::Op(k, e)) => {
                tracing::warn!(error = %e, "a write failed; committing the rest of its batch without it");
                let i = pending.remove(k.min(pending.len() - 1));
                results[i] = Some(Err(e));
            }
            Err(BatchError::Txn(e)) => {
                tracing::error!(error = %e, writes = pending.len(), "group commit failed");
                for &i in &pending {
                    results[i] = Some(Err(e.clone()));
                }
                break;
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::new("write was not attempted"))))
        .collect()
}

/// Commits a batch in one durable transaction; one [`Written`] per operation, in order.
fn commit_batch(
    db: &Database,
    batch: &[&WriteOp],
    faults: Option<&faults::FaultSwitch>,
) -> Result<Vec<Written>, BatchError> {
    let mut txn = db.begin_write().map_err(txn_err)?;
    txn.set_durability(Durability::Immediate).map_err(txn_err)?;
    let mut written = Vec::with_capacity(batch.len());
    {
        let mut updates = txn.open_table(UPDATES).map_err(txn_err)?;
        let mut snapshots = txn.open_table(SNAPSHOTS).map_err(txn_err)?;
        let mut meetings = txn.open_table(MEETINGS).map_err(txn_err)?;
        let mut references = txn.open_table(REFERENCES).map_err(txn_err)?;
        let mut records = txn.open_table(RECORDS).map_err(txn_err)?;
        let mut ledgers = txn.open_table(LEDGERS).map_err(txn_err)?;
        let mut versions = txn.open_table(VERSIONS).map_err(txn_err)?;
        let mut version_states = txn.open_table(VERSION_STATES).map_err(txn_err)?;
        let mut audit = txn.open_table(AUDIT).map_err(txn_err)?;
        for (k, op) in batch.iter().enumerate() {
            if let Some(doc) = op
                .doc()
                .filter(|d| faults.is_some_and(|f| f.fails_document(d)))
            {
                return Err(BatchError::Op(
                    k,
                    StoreError::new(format!("injected failure of a write to {doc}")),
                ));
            }
            apply_op(
                op,
                &mut Tables {
                    updates: &mut updates,
                    snapshots: &mut snapshots,
                    meetings: &mut meetings,
                    references: &mut references,
                    records: &mut records,
                    ledgers: &mut ledgers,
                    versions: &mut versions,
                    version_states: &mut version_states,
                    audit: &mut audit,
                },
            )
            .map(|w| written.push(w))
            .map_err(|e| BatchError::Op(k, e))?;
        }
    }
    txn.commit().map_err(txn_err)?;
    Ok(written)
}

fn txn_err(e: impl std::fmt::Display) -> BatchError {
    BatchError::Txn(StoreError::new(e))
}

/// The open tables of a write transaction.
struct Tables<'a, 't> {
    updates: &'a mut redb::Table<'t, (&'static str, u64), &'static [u8]>,
    snapshots: &'a mut redb::Table<'t, &'static str, (u64, &'static [u8])>,
    meetings: &'a mut redb::Table<'t, &'static str, &'static str>,
    references: &'a mut redb::Table<'t, (&'static str, u8), u32>,
    records: &'a mut redb::Table<'t, (&'static str, &'static str), &'static [u8]>,
    ledgers: &'a mut redb::Table<'t, &'static str, &'static [u8]>,
    versions: &'a mut redb::Table<'t, (&'static str, u32), &'static [u8]>,
    version_states: &'a mut redb::Table<'t, (&'static str, u32), &'static [u8]>,
    audit: &'a mut redb::Table<'t, (&'static str, u64), &'static [u8]>,
}

/// Writes one operation. Checks that can refuse it (an existing version) run before any
/// of its writes; an error here aborts the attempt (see [`commit_isolated`]).
fn apply_op(op: &WriteOp, t: &mut Tables<'_, '_>) -> Result<Written, StoreError> {
    match op {
        WriteOp::Append {
            doc,
            seq,
            update,
            meta,
        } => {
            t.updates
                .insert((&**doc, *seq), update.as_slice())
                .map_err(StoreError::new)?;
            write_meta(t.meetings, t.references, meta)?;
            Ok(Written::Appended(*seq))
        }
        WriteOp::Meta(meta) => {
            write_meta(t.meetings, t.references, meta)?;
            Ok(Written::Meta)
        }
        WriteOp::Allocate {
            series,
            year,
            floor,
            count,
        } => {
            let current = t
                .references
                .get((series.as_str(), *year))
                .map_err(StoreError::new)?
                .map_or(0, |v| v.value());
            let base = current.max(*floor);
            let last = base.saturating_add(*count);
            t.references
                .insert((series.as_str(), *year), last)
                .map_err(StoreError::new)?;
            Ok(Written::Allocated {
                first: base.saturating_add(1),
                count: last - base,
            })
        }
        WriteOp::Ledger {
            doc,
            seq,
            ledger,
            version,
            audit: entries,
        } => {
            // Versions are immutable: never overwrite one (checked before any write).
            if let Some(v) = version {
                if t.versions
                    .get((&**doc, v.info.version))
                    .map_err(StoreError::new)?
                    .is_some()
                {
                    return Err(StoreError::new(format!(
                        "version {} of {doc} already exists",
                        v.info.version
                    )));
                }
            }
            let json = serde_json::to_vec(&**ledger).map_err(StoreError::new)?;
            t.ledgers
                .insert(&**doc, json.as_slice())
                .map_err(StoreError::new)?;
            if let Some(v) = version {
                let key = (&**doc, v.info.version);
                let json = serde_json::to_vec(&**v).map_err(StoreError::new)?;
                t.versions
                    .insert(key, json.as_slice())
                    .map_err(StoreError::new)?;
                t.version_states
                    .insert(key, v.state.as_slice())
                    .map_err(StoreError::new)?;
            }
            for entry in entries {
                write_audit(t.audit, entry)?;
            }
            Ok(Written::Appended(*seq))
        }
        WriteOp::Audit { seq, entries } => {
            for entry in entries {
                write_audit(t.audit, entry)?;
            }
            Ok(Written::Appended(*seq))
        }
        WriteOp::Records(list) => {
            for record in list {
                match record {
                    Record::Put { kind, key, json } => {
                        t.records
                            .insert((*kind, key.as_str()), json.as_slice())
                            .map_err(StoreError::new)?;
                    }
                    Record::Delete { kind, key } => {
                        t.records
                            .remove((*kind, key.as_str()))
                            .map_err(StoreError::new)?;
                    }
                    Record::Audit(entry) => write_audit(t.audit, entry)?,
                }
            }
            Ok(Written::Meta)
        }
        WriteOp::Compact {
            doc,
            upto,
            snapshot,
        } => {
            t.snapshots
                .insert(&**doc, (*upto, snapshot.as_slice()))
                .map_err(StoreError::new)?;
            t.updates
                .retain_in((&**doc, 0)..=(&**doc, *upto), |_, _| false)
                .map_err(StoreError::new)?;
            Ok(Written::Compacted(*upto))
        }
    }
}

fn write_audit(
    audit: &mut redb::Table<(&str, u64), &[u8]>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let json = serde_json::to_vec(entry).map_err(StoreError::new)?;
    audit
        .insert((entry.meeting.as_str(), entry.seq), json.as_slice())
        .map_err(StoreError::new)?;
    Ok(())
}

fn write_meta(
    meetings: &mut redb::Table<&str, &str>,
    references: &mut redb::Table<(&str, u8), u32>,
    meta: &[Meta],
) -> Result<(), StoreError> {
    for m in meta {
        match m {
            Meta::Catalog { doc, entry } => {
                meetings
                    .insert(&**doc, entry.to_json().as_str())
                    .map_err(StoreError::new)?;
            }
            Meta::Bump {
                series,
                year,
                at_least,
            } => {
                let current = references
                    .get((series.as_str(), *year))
                    .map_err(StoreError::new)?
                    .map_or(0, |v| v.value());
                if *at_least > current {
                    references
                        .insert((series.as_str(), *year), *at_least)
                        .map_err(StoreError::new)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
