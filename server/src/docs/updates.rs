//! Applying untrusted Yjs updates to a meeting document.
//!
//! Every update from the network passes [`minutebook_shared::prescan`] first: a
//! non-recursive scan that bounds nesting (yrs's recursive decoder would otherwise
//! overflow the stack and abort the process, which no panic handler can catch) and
//! refuses content Minutebook never uses. Only then is it decoded and applied by yrs,
//! inside [`guard::contain`] for whatever else yrs might panic on.
//!
//! yrs also deletes and garbage-collects nested shared types recursively, so type
//! nesting is bounded too: within one update by the pre-scan, and across updates by
//! [`deepest_type`] after applying one that creates types.
//!
//! An update from a role that may not write is never decoded by yrs at all: the scan's
//! struct count and delete set (parsed without recursion) are enough to tell whether it
//! would change anything.

use minutebook_shared::depth::MAX_NESTING;
use minutebook_shared::prescan::{self, ScanError, Scanned};
use yrs::block::ClientID;
use yrs::branch::{Branch, BranchPtr};
use yrs::types::text::YChange;
use yrs::types::TypeRef;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Array, ArrayRef, Doc, IdSet, Map, MapRef, Out, ReadTxn, Text, TextRef, Transact, Update, ID,
};

use crate::docs::guard::{self, Panicked};
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
    #[error("it nests shared types deeper than {MAX_NESTING} levels")]
    TypesTooDeep,
    #[error("it depends on changes this server does not have, in a form that cannot be stored")]
    MissingDependencies,
}

impl UpdateError {
    /// Whether the document holds part or all of the refused update (yrs panicked
    /// part-way, or it was applied before being found too deep), so it must be rebuilt
    /// from disk.
    pub fn poisoned(&self) -> bool {
        matches!(
            self,
            UpdateError::Panicked(_) | UpdateError::TypesTooDeep | UpdateError::MissingDependencies
        )
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
///
/// An update that creates shared types is checked once applied: if the document's types
/// now nest deeper than [`MAX_NESTING`], it is refused with
/// [`UpdateError::TypesTooDeep`] (and the caller rebuilds the document from disk); so is
/// an update that leaves pending content yrs cannot encode again
/// ([`UpdateError::MissingDependencies`], see `pending_encodes`). With
/// the pre-scan bounding chains inside one update, yrs's recursive delete and garbage
/// collection never go deeper than twice the limit.
pub fn apply(doc: &Doc, raw: &[u8]) -> Result<bool, UpdateError> {
    let scanned = prescan::scan_update_v1(raw)?;
    let changed = guard::contain(|| {
        let update = Update::decode_v1(raw).map_err(|e| UpdateError::Decode(e.to_string()))?;
        let carries_deletes = !update.delete_set().is_empty();
        let mut txn = doc.transact_mut();
        txn.apply_update(update)
            .map_err(|e| UpdateError::Apply(e.to_string()))?;
        if has_pending(&txn) && !pending_encodes(&txn) {
            return Err(UpdateError::MissingDependencies);
        }
        Ok::<bool, UpdateError>(
            txn.before_state() != txn.after_state()
                || !txn.delete_set().is_empty()
                || carries_deletes,
        )
    })??;
    if scanned.types > 0 && deepest_type(doc) > MAX_NESTING {
        return Err(UpdateError::TypesTooDeep);
    }
    Ok(changed)
}

/// Whether the document holds content yrs could not integrate yet (structs or deletions
/// waiting for changes it has not seen). A y-websocket client can cause this honestly:
/// an edit typed while it reconnects goes out before its sync step 2 with the offline
/// edits it builds on.
fn has_pending<T: ReadTxn>(txn: &T) -> bool {
    txn.store().pending_update().is_some() || txn.store().pending_ds().is_some()
}

/// Whether the document's pending content encodes and merges again, as yrs does each
/// time it encodes the document. Crafted pending content can break that (yrs 0.28's
/// merge panics on it, found by fuzzing), and then every later join, compaction and
/// sign-off would fail; an update that leaves such content is refused and the document
/// rebuilt from disk. The cost is proportional to the pending content only.
fn pending_encodes<T: ReadTxn>(txn: &T) -> bool {
    guard::contain(|| {
        let mut parts = Vec::new();
        if let Some(pending) = txn.store().pending_update() {
            parts.push(pending.update.encode_v1());
        }
        if let Some(deletes) = txn.store().pending_ds() {
            // An update holding no structs (0 client groups), then the delete set.
            let mut part = vec![0];
            part.extend(deletes.encode_v1());
            parts.push(part);
        }
        yrs::merge_updates_v1(parts).is_ok()
    })
    .unwrap_or(false)
}

/// How deep the document's live shared types nest below its root types (a type in a
/// root is depth 1, as the pre-scan counts), found without recursion; stops counting
/// past the limit.
pub fn deepest_type(doc: &Doc) -> usize {
    let txn = doc.transact();
    let mut open: Vec<(BranchPtr, usize)> = txn
        .root_refs()
        .filter_map(|(_, out)| branch(&out))
        .map(|b| (b, 0))
        .collect();
    let mut deepest = 0;
    while let Some((b, depth)) = open.pop() {
        deepest = deepest.max(depth);
        if depth > MAX_NESTING {
            break;
        }
        let children: Vec<Out> = match b.type_ref() {
            // Texts hold their (rare) embedded types among their chunks.
            TypeRef::Text | TypeRef::XmlText => TextRef::from(b)
                .diff(&txn, YChange::identity)
                .into_iter()
                .map(|d| d.insert)
                .collect(),
            // Any other branch may hold children in its sequence and in its map.
            _ => ArrayRef::from(b)
                .iter(&txn)
                .chain(MapRef::from(b).iter(&txn).map(|(_, v)| v))
                .collect(),
        };
        open.extend(
            children
                .iter()
                .filter_map(branch)
                .map(|child| (child, depth + 1)),
        );
    }
    deepest
}

fn branch(out: &Out) -> Option<BranchPtr> {
    let b: &Branch = match out {
        Out::YText(t) => t.as_ref(),
        Out::YArray(a) => a.as_ref(),
        Out::YMap(m) => m.as_ref(),
        Out::YXmlElement(x) => x.as_ref(),
        Out::YXmlFragment(x) => x.as_ref(),
        Out::YXmlText(x) => x.as_ref(),
        Out::UndefinedRef(b) => return Some(*b),
        Out::Any(_) | Out::YDoc(_) => return None,
    };
    Some(BranchPtr::from(b))
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

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::MapPrelim;

    /// Nests one more map under the deepest one, as a separate update each time.
    fn deepen(source: &Doc, target: &Doc, levels: usize) -> Result<(), UpdateError> {
        let root = source.get_or_insert_map("r");
        let mut cur = root;
        loop {
            let next = match cur.get(&source.transact(), "k") {
                Some(Out::YMap(m)) => m,
                _ => break,
            };
            cur = next;
        }
        for _ in 0..levels {
            let sv = source.transact().state_vector();
            cur = cur.insert(&mut source.transact_mut(), "k", MapPrelim::default());
            let update = source.transact().encode_diff_v1(&sv);
            apply(target, &update)?;
        }
        Ok(())
    }

    #[test]
    fn types_nested_across_updates_stop_at_the_limit() {
        let source = Doc::with_client_id(1);
        let target = Doc::new();
        deepen(&source, &target, MAX_NESTING).expect("within the limit");
        assert_eq!(deepest_type(&target), MAX_NESTING);
        let err = deepen(&source, &target, 1).expect_err("one level too deep");
        assert!(matches!(err, UpdateError::TypesTooDeep), "{err}");
        assert!(err.poisoned(), "the caller rebuilds the document");
    }

    /// Found by fuzzing (`sync_message`): structs of client 73 from clock 9,056 on, under
    /// a parent nobody has, and deletions of unknown clients. yrs keeps them pending and
    /// then panics encoding the document; the update is refused instead.
    const PENDING_CRASH: [u8; 28] = [
        1, 2, 73, 224, 70, 1, 1, 2, 77, 28, 224, 0, 2, 70, 1, 0, 1, 0, 0, 2, 77, 1, 0, 2, 1, 1, 0,
        2,
    ];

    #[test]
    fn pending_content_that_cannot_be_encoded_again_is_refused() {
        let doc = Doc::new();
        let err = apply(&doc, &PENDING_CRASH).expect_err("refused");
        assert!(matches!(err, UpdateError::MissingDependencies), "{err}");
        assert!(err.poisoned(), "the caller rebuilds the document");
    }

    #[test]
    fn honest_pending_content_is_kept_until_what_it_builds_on_arrives() {
        let source = Doc::with_client_id(5);
        let text = source.get_or_insert_text("t");
        text.insert(&mut source.transact_mut(), 0, "first");
        let first = source
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let sv = source.transact().state_vector();
        text.insert(&mut source.transact_mut(), 5, " second");
        text.remove_range(&mut source.transact_mut(), 0, 1);
        let second = source.transact().encode_diff_v1(&sv);
        // The second change arrives first (an edit typed while reconnecting).
        let target = Doc::new();
        assert!(apply(&target, &second).expect("kept"), "it must be stored");
        assert!(has_pending(&target.transact()));
        let _ = target
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        assert!(apply(&target, &first).expect("applies"));
        assert!(!has_pending(&target.transact()));
        let t = target.get_or_insert_text("t");
        assert_eq!(
            yrs::GetString::get_string(&t, &target.transact()),
            "irst second"
        );
    }

    #[test]
    fn a_meeting_is_shallow() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "plain text");
        assert_eq!(deepest_type(&doc), 0);
    }
}
