//! Durable storage of documents in redb, with group commit.
//!
//! Each document is stored as an optional **snapshot** (its merged state up to a sequence
//! number) plus a **log** of updates after it. Loading replays snapshot + log.
//!
//! All writes go through one writer thread. It takes every request queued while the
//! previous commit was being fsynced and commits them together in one
//! `Durability::Immediate` transaction (group commit), so throughput is not capped by
//! fsync latency. A request's completion is reported only after its transaction is
//! durable. Compaction writes the snapshot and deletes the log entries it covers in one
//! transaction, so there is no moment at which an update exists nowhere on disk.

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::mpsc;

/// Update log: (document, sequence number) → one v1 update.
const UPDATES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("updates");
/// Snapshot: document → (last sequence number it covers, merged v1 update).
const SNAPSHOTS: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("snapshots");

/// Most write requests folded into one transaction.
const MAX_BATCH: usize = 4096;

/// A storage failure. Cloneable so one failed group commit can be reported to every waiter.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(Arc<str>);

impl StoreError {
    fn new(e: impl std::fmt::Display) -> Self {
        StoreError(e.to_string().into())
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
    /// Append one update to a document's log.
    Append {
        doc: Arc<str>,
        seq: u64,
        update: Vec<u8>,
    },
    /// Replace the snapshot and drop the log entries up to and including `upto`.
    Compact {
        doc: Arc<str>,
        upto: u64,
        snapshot: Vec<u8>,
    },
}

/// What became durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The update with this sequence number is on disk.
    Appended(u64),
    /// The snapshot covering sequence numbers up to this one is on disk.
    Compacted(u64),
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
        let db = Database::create(path).map_err(StoreError::new)?;
        // Create the tables so that readers never see "table does not exist".
        let txn = db.begin_write().map_err(StoreError::new)?;
        txn.open_table(UPDATES).map_err(StoreError::new)?;
        txn.open_table(SNAPSHOTS).map_err(StoreError::new)?;
        txn.commit().map_err(StoreError::new)?;
        let db = Arc::new(db);
        let (tx, rx) = std_mpsc::channel();
        let writer_db = db.clone();
        let handle = std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer_loop(&writer_db, rx))
            .map_err(StoreError::new)?;
        Ok((Store { db, writer: tx }, WriterThread(handle)))
    }

    /// Queues a write; `reply` receives its [`Completion`] once it is durable (or failed).
    pub fn submit(&self, op: WriteOp, reply: mpsc::UnboundedSender<Completion>) {
        if let Err(std_mpsc::SendError(req)) = self.writer.send(WriteRequest { op, reply }) {
            let _ = req
                .reply
                .send(Err(StoreError::new("storage writer has stopped")));
        }
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
        Ok(StoredDoc { snapshot, log })
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

fn writer_loop(db: &Database, rx: std_mpsc::Receiver<WriteRequest>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(req) => batch.push(req),
                Err(_) => break,
            }
        }
        let result = commit_batch(db, &batch);
        if let Err(e) = &result {
            tracing::error!(error = %e, writes = batch.len(), "group commit failed");
        }
        for req in batch {
            let done = match (&result, &req.op) {
                (Err(e), _) => Err(e.clone()),
                (Ok(()), WriteOp::Append { seq, .. }) => Ok(Written::Appended(*seq)),
                (Ok(()), WriteOp::Compact { upto, .. }) => Ok(Written::Compacted(*upto)),
            };
            let _ = req.reply.send(done);
        }
    }
}

fn commit_batch(db: &Database, batch: &[WriteRequest]) -> Result<(), StoreError> {
    let mut txn = db.begin_write().map_err(StoreError::new)?;
    txn.set_durability(Durability::Immediate)
        .map_err(StoreError::new)?;
    {
        let mut updates = txn.open_table(UPDATES).map_err(StoreError::new)?;
        let mut snapshots = txn.open_table(SNAPSHOTS).map_err(StoreError::new)?;
        for req in batch {
            match &req.op {
                WriteOp::Append { doc, seq, update } => {
                    updates
                        .insert((&**doc, *seq), update.as_slice())
                        .map_err(StoreError::new)?;
                }
                WriteOp::Compact {
                    doc,
                    upto,
                    snapshot,
                } => {
                    snapshots
                        .insert(&**doc, (*upto, snapshot.as_slice()))
                        .map_err(StoreError::new)?;
                    updates
                        .retain_in((&**doc, 0)..=(&**doc, *upto), |_, _| false)
                        .map_err(StoreError::new)?;
                }
            }
        }
    }
    txn.commit().map_err(StoreError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        drop(store);
        writer.join();
        // Reopen: still there.
        let (store, _w) = Store::open(&path).unwrap();
        assert_eq!(store.load("d").unwrap().last_seq(), 5);
        assert!(store.load("other").unwrap().snapshot.is_none());
    }
}
