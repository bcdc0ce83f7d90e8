//! Applying untrusted Yjs updates to a meeting document.
//!
//! Every update from the network passes [`minutebook_shared::prescan`] first: a
//! non-recursive scan that bounds nesting (yrs's recursive decoder would otherwise
//! overflow the stack and abort the process, which no panic handler can catch) and
//! refuses content Minutebook never uses. Only then is it decoded and applied by yrs,
//! inside [`guard::contain`] for whatever else yrs might panic on.
//!
//! An update from a role that may not write is never decoded by yrs at all: the scan's
//! struct count and delete set (parsed without recursion) are enough to tell whether it
//! would change anything.

use minutebook_shared::prescan::{self, ScanError, Scanned};
use yrs::block::ClientID;
use yrs::updates::decoder::Decode;
use yrs::{Doc, IdSet, ReadTxn, Transact, Update, ID};

use crate::guard::{self, Panicked};
use crate::store::StoredDoc;

/// Why an update could not be applied (the connection is closed with 1007).
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("cannot apply: {0}")]
    Apply(String),
    #[error("it crashed the decoder")]
    Panicked(#[from] Panicked),
}

impl UpdateError {
    /// Whether yrs panicked part-way, so the document must be rebuilt from disk.
    pub fn poisoned(&self) -> bool {
        matches!(self, UpdateError::Panicked(_))
    }
}

/// Whether an update from a read-only role would change the document, decided without
/// decoding it: a read-only client's sync step 2 is accepted only when it carries no
/// structs and a delete set that deletes nothing the document does not already have
/// deleted.
pub fn would_change(doc: &Doc, raw: &[u8]) -> Result<bool, UpdateError> {
    let scanned = prescan::scan_update_v1(raw)?;
    Ok(holds_new_structs(doc, &scanned) || deletes_something_new(doc, &scanned))
}

/// Whether any client group reaches beyond the document's state vector. (Structs the
/// document already holds can arrive when an update was relayed to the client while it
/// was answering the server's sync step 1.)
fn holds_new_structs(doc: &Doc, scanned: &Scanned) -> bool {
    let sv = doc.transact().state_vector();
    scanned
        .clocks
        .iter()
        .any(|&(client, _, end)| end > u64::from(sv.get(&ClientID::new(client))))
}

fn deletes_something_new(doc: &Doc, scanned: &Scanned) -> bool {
    if !scanned.deletes_anything() {
        return false;
    }
    let mut extra = IdSet::new();
    for range in scanned.deletes.iter().filter(|r| r.len > 0) {
        extra.insert(ID::new(ClientID::new(range.client), range.clock), range.len);
    }
    extra.diff_with(&doc.transact().snapshot().delete_set);
    extra
        .iter()
        .any(|(_, ranges)| ranges.iter().any(|r| !r.is_empty()))
}

/// Scans, decodes and applies an update; `Ok(true)` when it added anything that must be
/// stored.
pub fn apply(doc: &Doc, raw: &[u8]) -> Result<bool, UpdateError> {
    prescan::scan_update_v1(raw)?;
    guard::contain(|| {
        let update = Update::decode_v1(raw).map_err(|e| UpdateError::Decode(e.to_string()))?;
        let update_sv = update.state_vector();
        let carries_deletes = !update.delete_set().is_empty();
        let mut txn = doc.transact_mut();
        txn.apply_update(update)
            .map_err(|e| UpdateError::Apply(e.to_string()))?;
        let after = txn.after_state();
        // Content stashed as pending (missing its predecessors) must be stored too.
        let pending = update_sv
            .iter()
            .any(|(client, clock)| *clock > after.get(client));
        Ok(txn.before_state() != after
            || !txn.delete_set().is_empty()
            || pending
            || carries_deletes)
    })?
}

/// Rebuilds a document from its snapshot and log. Stored updates were validated before
/// they were written; one that still fails is logged and skipped rather than blocking
/// the whole document.
pub fn build_doc(name: &str, stored: &StoredDoc) -> Doc {
    let doc = Doc::new();
    let parts = stored
        .snapshot
        .iter()
        .map(|(s, u)| (*s, u))
        .chain(stored.log.iter().map(|(s, u)| (*s, u)));
    for (seq, bytes) in parts {
        // Nothing stored should nest too deep (updates are scanned before they are
        // stored), but a stack overflow cannot be contained, so check anyway.
        if let Err(ScanError::TooDeep) = prescan::scan_update_v1(bytes) {
            tracing::error!(doc = name, seq, "stored update nests too deep; skipped");
            continue;
        }
        let result = guard::contain(|| {
            let update = Update::decode_v1(bytes).map_err(|e| e.to_string())?;
            doc.transact_mut()
                .apply_update(update)
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(doc = name, seq, error = %e, "stored update could not be applied")
            }
            Err(p) => {
                tracing::error!(doc = name, seq, error = %p, "stored update could not be applied")
            }
        }
    }
    doc
}
