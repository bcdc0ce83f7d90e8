//! Group commit on redb: a batch is one `Durability::Immediate` transaction, and an
//! operation that fails fails alone ([`commit_isolated`]).

use redb::{Database, Durability};

use super::apply::{apply_op, Tables};
use crate::store::faults;
use crate::store::ops::{Completion, WriteOp, Written};
use crate::store::StoreError;

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
        let mut tables = Tables::new(&txn);
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
            // A disk failure (tables open as operations first need them, so opening one
            // can meet it too) fails the transaction, not the operation.
            apply_op(op, &mut tables)
                .map(|w| written.push(w))
                .map_err(|e| {
                    if e.is_io() {
                        BatchError::Txn(e)
                    } else {
                        BatchError::Op(k, e)
                    }
                })?;
        }
    }
    txn.commit().map_err(txn_err)?;
    Ok(written)
}

fn txn_err(e: impl Into<StoreError>) -> BatchError {
    BatchError::Txn(e.into())
}
