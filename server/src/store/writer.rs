//! The writer thread: group commit. It takes every request queued while the previous
//! commit was being fsynced, commits them in one `Durability::Immediate` transaction, and
//! answers each request once that is durable; a request that fails fails alone
//! ([`commit_isolated`]).

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use redb::{Database, Durability};
use tokio::sync::mpsc;

use super::faults;
use super::ops::{apply_op, Tables, WriteOp, Written};
use super::tables::*;
use super::{Completion, StoreError};

/// Most write requests folded into one transaction.
const MAX_BATCH: usize = 4096;

pub(super) struct WriteRequest {
    pub(super) op: WriteOp,
    pub(super) reply: mpsc::UnboundedSender<Completion>,
}

/// Owns the writer thread; dropping every [`super::Store`] clone and then calling
/// [`WriterThread::join`] waits for the last commit.
pub struct WriterThread(pub(super) JoinHandle<()>);

impl WriterThread {
    /// Waits until every queued write is committed.
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("storage writer thread panicked");
        }
    }
}

pub(super) fn writer_loop(
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
pub(super) fn commit_isolated(
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
