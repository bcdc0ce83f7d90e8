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
    #[error("it depends on changes this server does not have")]
    MissingDependencies,
    #[error("it skips changes this server does not have")]
    Gap,
    #[error("it would leave the document unreadable")]
    Unencodable,
}

impl UpdateError {
    /// A short, stable name for the kind of refusal (a metrics label).
    pub fn kind(&self) -> &'static str {
        match self {
            UpdateError::Scan(_) => "scan",
            UpdateError::Decode(_) => "decode",
            UpdateError::Apply(_) => "apply",
            UpdateError::Panicked(_) => "panicked",
            UpdateError::TypesTooDeep => "too-deep",
            UpdateError::MissingDependencies => "missing-dependencies",
            UpdateError::Gap => "gap",
            UpdateError::Unencodable => "unencodable",
        }
    }

    /// Whether the document holds part or all of the refused update (yrs panicked
    /// part-way, or it was applied before being found too deep), so it must be rebuilt
    /// from disk.
    pub fn poisoned(&self) -> bool {
        matches!(
            self,
            UpdateError::Panicked(_)
                | UpdateError::TypesTooDeep
                | UpdateError::MissingDependencies
                | UpdateError::Unencodable
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

/// What [`apply`] did with an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// It added something that must be stored.
    pub changed: bool,
    /// It could have changed where content sits ([`Scanned::placing`]: a field written, a
    /// first character typed), unlike typing into existing text or deleting.
    pub placing: bool,
}

/// Scans, decodes and applies an update; [`Applied::changed`] when it added anything
/// that must be stored.
///
/// An update that creates shared types is checked once applied: if the document's types
/// now nest deeper than [`MAX_NESTING`], it is refused with
/// [`UpdateError::TypesTooDeep`] (and the caller rebuilds the document from disk); so is
/// an update that leaves content waiting for changes the document lacks
/// ([`UpdateError::MissingDependencies`], see `has_pending`). With
/// the pre-scan bounding chains inside one update, yrs's recursive delete and garbage
/// collection never go deeper than twice the limit.
pub fn apply(doc: &Doc, raw: &[u8]) -> Result<Applied, UpdateError> {
    let scanned = prescan::scan_update_v1(raw)?;
    // Structs must continue from what the document holds: ones that start past it depend
    // on changes nobody sent. (yrs 0.28 integrated some such updates anyway, leaving a
    // document it could no longer encode readably: found by fuzzing.)
    let sv = doc.transact().state_vector();
    if scanned
        .clocks
        .iter()
        .any(|&(client, first, _)| first > sv.get(&ClientID::new(client)))
    {
        return Err(UpdateError::Gap);
    }
    let changed = guard::contain(|| {
        let update = Update::decode_v1(raw).map_err(|e| UpdateError::Decode(e.to_string()))?;
        let carries_deletes = !update.delete_set().is_empty();
        let mut txn = doc.transact_mut();
        txn.apply_update(update)
            .map_err(|e| UpdateError::Apply(e.to_string()))?;
        if has_pending(&txn) {
            return Err(UpdateError::MissingDependencies);
        }
        // What this update added must encode readably again (it is what the document will
        // be stored and sent as). yrs 0.28 integrated some crafted updates into structs it
        // then wrote unreadably, even for itself (found by fuzzing); checking the
        // transaction's own encoding costs as much as the update, not the document.
        let own = txn.encode_update_v1();
        if prescan::scan_update_v1(&own).is_err() || Update::decode_v1(&own).is_err() {
            return Err(UpdateError::Unencodable);
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
    Ok(Applied {
        changed,
        placing: scanned.placing > 0,
    })
}

/// Whether the document holds content yrs could not integrate (structs or deletions
/// waiting for changes it has not seen).
///
/// The server never keeps such content. yrs 0.28 cannot always encode a document holding
/// it again (merging crafted pending content panics, found twice by fuzzing), and then
/// every compaction, sign-off and export would fail, again after a restart since the
/// update was stored. An honest client causes it only in a race (a y-websocket client
/// sends an edit typed while reconnecting before the sync step 2 it builds on): its
/// update is refused (1007), the client reconnects, and its sync step 2 carries every
/// change in order.
pub(crate) fn has_pending<T: ReadTxn>(txn: &T) -> bool {
    txn.store().pending_update().is_some() || txn.store().pending_ds().is_some()
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
    fn content_depending_on_changes_nobody_sent_is_refused() {
        let doc = Doc::new();
        let err = apply(&doc, &PENDING_CRASH).expect_err("refused");
        assert!(
            matches!(err, UpdateError::MissingDependencies | UpdateError::Gap),
            "{err}"
        );
        assert!(!has_pending(&doc.transact()));
        // Client 6's insert continues client 5's text, which this document never got:
        // its own clocks start at 0, but its origin is missing.
        let source = Doc::with_client_id(5);
        let text = source.get_or_insert_text("t");
        text.insert(&mut source.transact_mut(), 0, "a");
        let other = Doc::with_client_id(6);
        let before = other.transact().state_vector();
        other
            .transact_mut()
            .apply_update(
                Update::decode_v1(&source.transact().encode_state_as_update_v1(&before))
                    .expect("decodes"),
            )
            .expect("applies");
        let sv = other.transact().state_vector();
        let t = other.get_or_insert_text("t");
        t.insert(&mut other.transact_mut(), 1, "b");
        let continuation = other.transact().encode_diff_v1(&sv);
        let err = apply(&doc, &continuation).expect_err("refused");
        assert!(matches!(err, UpdateError::MissingDependencies), "{err}");
        assert!(err.poisoned(), "the caller rebuilds the document");
    }

    /// The same, found again by fuzzing after a first fix that only re-merged the
    /// pending content alone.
    const PENDING_CRASH_2: [u8; 28] = [
        1, 2, 73, 224, 70, 1, 1, 2, 77, 28, 224, 0, 2, 1, 0, 1, 0, 3, 1, 1, 1, 1, 0, 2, 1, 1, 117,
        1,
    ];

    #[test]
    fn out_of_order_changes_are_refused_and_apply_when_resent_in_order() {
        let doc = Doc::new();
        let err = apply(&doc, &PENDING_CRASH_2).expect_err("refused");
        assert!(
            matches!(err, UpdateError::MissingDependencies | UpdateError::Gap),
            "{err}"
        );
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
        // The second change arrives first (an edit typed while reconnecting): refused.
        let target = Doc::new();
        let err = apply(&target, &second).expect_err("refused");
        assert!(
            matches!(err, UpdateError::MissingDependencies | UpdateError::Gap),
            "{err}"
        );
        // The caller rebuilds from disk; the client's sync step 2 then carries both.
        let rebuilt = Doc::new();
        assert!(apply(&rebuilt, &first).expect("applies").changed);
        assert!(apply(&rebuilt, &second).expect("applies").changed);
        assert!(!has_pending(&rebuilt.transact()));
        let t = rebuilt.get_or_insert_text("t");
        assert_eq!(
            yrs::GetString::get_string(&t, &rebuilt.transact()),
            "irst second"
        );
    }

    /// Found by fuzzing: structs of client 73 starting at clock 9,056 of a document that
    /// holds none; yrs integrated them and then encoded the document unreadably.
    #[test]
    fn structs_starting_past_what_the_document_holds_are_refused() {
        let update = [
            1, 2, 73, 224, 70, 2, 1, 6, 1, 0, 0, 0, 101, 28, 1, 0, 1, 4, 1, 0, 77, 1, 0, 2, 1, 0,
            31, 0,
        ];
        let doc = Doc::new();
        // (Its items are empty, so the pre-scan now refuses it first.)
        apply(&doc, &update).expect_err("refused");
        assert_eq!(doc.transact().state_vector(), yrs::StateVector::default());
        // An honest-looking change that continues text this document never got.
        let source = Doc::with_client_id(5);
        let text = source.get_or_insert_text("t");
        text.insert(&mut source.transact_mut(), 0, "abc");
        let sv = source.transact().state_vector();
        text.insert(&mut source.transact_mut(), 3, "d");
        let later = source.transact().encode_diff_v1(&sv);
        let err = apply(&doc, &later).expect_err("refused");
        assert!(matches!(err, UpdateError::Gap), "{err}");
        assert!(!err.poisoned(), "nothing was applied");
        assert_eq!(doc.transact().state_vector(), yrs::StateVector::default());
    }

    /// Found by fuzzing: an item under a root with an empty name, followed by garbage
    /// collected ranges; yrs integrated it and wrote it back in a form it cannot read.
    #[test]
    fn an_update_yrs_cannot_write_back_readably_is_refused() {
        let update = [
            2, 1, 70, 0, 68, 1, 0, 0, 4, 1, 0, 1, 0, 1, 0, 0, 2, 1, 0, 1, 0, 1, 0, 0, 2, 0, 77, 0,
        ];
        let doc = Doc::new();
        // Its items are empty, so the pre-scan refuses it before yrs sees it; the check of
        // the transaction's own encoding stays for what the pre-scan does not know.
        let err = apply(&doc, &update).expect_err("refused");
        assert!(
            matches!(err, UpdateError::Scan(_) | UpdateError::Unencodable),
            "{err}"
        );
        assert_eq!(doc.transact().state_vector(), yrs::StateVector::default());
    }

    #[test]
    fn a_meeting_is_shallow() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "plain text");
        assert_eq!(deepest_type(&doc), 0);
    }
}

/// The web client's undo and redo produce updates the server accepts (none is taken for
/// a crafted one: a redo re-creates a deleted block under its old key).
#[cfg(test)]
mod undo_updates {
    use super::*;
    use minutebook_shared::meeting::undo::{History, LOCAL_ORIGIN};
    use minutebook_shared::meeting::{BlockKind, Meeting};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use yrs::{Text, Transact};

    #[test]
    fn every_update_of_an_undo_redo_cycle_is_accepted() {
        let server = Doc::new();
        let m = Meeting::new(Doc::with_client_id(5));
        let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let s2 = sent.clone();
        m.doc()
            .observe_update_v1("sent", move |_, e: &yrs::UpdateEvent| {
                s2.lock().unwrap().push(e.update.clone())
            })
            .unwrap();
        let clock = Arc::new(AtomicU64::new(1_000_000));
        let c = clock.clone();
        let mut history = History::new(&m, move || c.fetch_add(1000, Ordering::SeqCst));
        let item = {
            let mut txn = m.doc().transact_mut_with("setup");
            let item = m.insert_item(&mut txn, None, 0, "One").unwrap();
            m.insert_block(&mut txn, &item, 0, BlockKind::Statement, "A.")
                .unwrap();
            item
        };
        let local = || m.doc().transact_mut_with(LOCAL_ORIGIN);
        let scratch = {
            let mut txn = local();
            m.insert_block(&mut txn, &item, 1, BlockKind::Paragraph, "")
                .unwrap()
        };
        history.stop_capturing();
        {
            let mut txn = local();
            let text = m.block_text(&txn, &scratch).unwrap();
            text.insert(&mut txn, 0, "Scratch.");
        }
        history.stop_capturing();
        {
            let mut txn = local();
            m.delete_block(&mut txn, &scratch).unwrap();
        }
        history.stop_capturing();
        for _ in 0..3 {
            assert!(history.undo());
        }
        assert!(history.redo());
        assert!(history.redo());
        for (i, u) in sent.lock().unwrap().iter().enumerate() {
            let r = apply(&server, u);
            assert!(r.is_ok(), "update {i}: {r:?}");
        }
    }
}
