//! Applying a run of updates that one connection sent back to back, in one transaction.
//!
//! A client that types quickly, or sends its queued edits after a reconnect, sends many
//! small updates, and the document actor finds them waiting together. Applied one
//! transaction each, every one costs a transaction, a check of its encoding, a stored row
//! and a relay (the B4 trace's 259,778 one-character updates made those the server's
//! largest costs: BENCHMARKS.md, M8). [`apply_run`] applies the leading plain edits of a
//! run in one transaction and returns the transaction's own encoding: one update, stored
//! and relayed for all of them, as Yjs servers relay a transaction.
//!
//! Each update passes the checks [`updates::apply`] makes (the pre-scan, the gap check,
//! nothing left waiting for missing changes); the encoding is checked once for the run.
//! The run stops before an update that needs the single path: one that creates shared
//! types (their nesting is checked after applying), one that touches retired content, or
//! one that fails a check. The caller applies the rest one by one, which refuses a
//! failing update exactly as it would have been refused alone. If yrs panicked or left
//! the document unsound, the error is returned: nothing of the run may be kept, and the
//! caller rebuilds the document from disk and applies the run one by one.

use std::collections::HashSet;

use minutebook_shared::prescan;
use yrs::block::ClientID;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

use crate::docs::guard;
use crate::docs::part2::scanned_touches_retired;
use crate::docs::updates::{has_pending, UpdateError};

/// What [`apply_run`] applied.
#[derive(Debug, Default)]
pub struct Run {
    /// How many updates, from the start of the run, are applied.
    pub applied: usize,
    /// They added something that must be stored.
    pub changed: bool,
    /// One of them could have changed where content sits (see [`updates::Applied`]).
    ///
    /// [`updates::Applied`]: crate::docs::updates::Applied
    pub placing: bool,
    /// What they added, as one v1 update (empty unless [`Run::changed`]).
    pub update: Vec<u8>,
}

/// Applies the leading plain edits of `raws` to `doc` in one transaction.
///
/// An error means the document holds content that must not be kept (yrs panicked, or
/// left content waiting for changes nobody sent, or wrote what it cannot read back):
/// the caller must rebuild the document from disk.
///
/// [`updates::apply`]: crate::docs::updates::apply
pub fn apply_run(doc: &Doc, raws: &[Vec<u8>], retired: &HashSet<u64>) -> Result<Run, UpdateError> {
    // The document's clocks as the run advances them (one state vector for the run, not
    // one per update): an update continues where the document is, so afterwards each of
    // its clients stands at the end of its structs, or where it was if that is further.
    let mut clocks = doc.transact().state_vector();
    guard::contain(|| {
        let mut run = Run::default();
        let mut txn = doc.transact_mut();
        let mut carries_deletes = false;
        for raw in raws {
            let Ok(scanned) = prescan::scan_update_v1(raw) else {
                break;
            };
            if scanned.types > 0 || scanned_touches_retired(&scanned, retired) {
                break;
            }
            let Some(ends) = scanned
                .clocks
                .iter()
                .map(|&(client, first, end)| {
                    let client = ClientID::new(client);
                    let end = u32::try_from(end).ok()?;
                    (first <= clocks.get(&client)).then_some((client, end))
                })
                .collect::<Option<Vec<_>>>()
            else {
                break;
            };
            let Ok(update) = Update::decode_v1(raw) else {
                break;
            };
            carries_deletes |= !update.delete_set().is_empty();
            txn.apply_update(update)
                .map_err(|e| UpdateError::Apply(e.to_string()))?;
            if has_pending(&txn) {
                return Err(UpdateError::MissingDependencies);
            }
            for (client, end) in ends {
                clocks.set_max(client, end);
            }
            run.applied += 1;
            run.placing |= scanned.placing > 0;
        }
        if run.applied == 0 {
            return Ok(run);
        }
        run.changed = txn.before_state() != txn.after_state() || !txn.delete_set().is_empty();
        if run.changed || carries_deletes {
            // As in `updates::apply`: what the run added must encode readably again.
            let own = txn.encode_update_v1();
            if prescan::scan_update_v1(&own).is_err() || Update::decode_v1(&own).is_err() {
                return Err(UpdateError::Unencodable);
            }
            if run.changed {
                run.update = own;
            }
        }
        Ok(run)
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::updates;
    use yrs::{GetString, Map, MapPrelim, Text};

    /// Types `parts` one transaction each into text "t" of a document by `client`; the
    /// updates in order.
    fn typed(client: u64, parts: &[&str]) -> (Doc, Vec<Vec<u8>>) {
        let source = Doc::with_client_id(client);
        let text = source.get_or_insert_text("t");
        let updates = parts
            .iter()
            .map(|part| {
                let mut txn = source.transact_mut();
                let len = text.len(&txn);
                text.insert(&mut txn, len, part);
                txn.encode_update_v1()
            })
            .collect();
        (source, updates)
    }

    fn text_of(doc: &Doc) -> String {
        doc.get_or_insert_text("t").get_string(&doc.transact())
    }

    fn load(update: &[u8]) -> Doc {
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).expect("decodes"))
            .expect("applies");
        doc
    }

    #[test]
    fn a_run_of_edits_becomes_one_update_holding_them_all() {
        let (_, updates) = typed(7, &["a", "b", "c", "d"]);
        let doc = Doc::new();
        let run = apply_run(&doc, &updates, &HashSet::new()).expect("applies");
        assert_eq!(run.applied, 4);
        assert!(run.changed);
        assert!(
            run.placing,
            "the first characters of an empty text place content"
        );
        assert_eq!(text_of(&doc), "abcd");
        // The one update is all a reader needs.
        assert_eq!(text_of(&load(&run.update)), "abcd");
        // Sent again, nothing changes and nothing is stored.
        let again = apply_run(&doc, &updates, &HashSet::new()).expect("applies");
        assert_eq!(again.applied, 4);
        assert!(!again.changed);
        assert!(again.update.is_empty());
    }

    #[test]
    fn a_run_stops_before_an_update_that_fails_a_check() {
        let (_, mut updates) = typed(7, &["a", "b", "c"]);
        let (_, later) = typed(8, &["x", "y"]);
        // Client 8's second update without its first: a gap.
        updates.push(later[1].clone());
        updates.push(vec![0xff, 0xff, 0xff]);
        let doc = Doc::new();
        let run = apply_run(&doc, &updates, &HashSet::new()).expect("no harm done");
        assert_eq!(run.applied, 3);
        assert_eq!(text_of(&doc), "abc");
        assert_eq!(text_of(&load(&run.update)), "abc");
        // Alone, the update the run stopped before is refused as before.
        let err = updates::apply(&doc, &updates[3]).expect_err("a gap");
        assert!(matches!(err, UpdateError::Gap), "{err}");
        // Garbage first: nothing is applied.
        let run = apply_run(&doc, &updates[4..], &HashSet::new()).expect("no harm done");
        assert_eq!(run.applied, 0);
    }

    #[test]
    fn a_run_stops_before_new_shared_types_and_retired_clients() {
        let (source, mut updates) = typed(7, &["a", "b"]);
        let sv = source.transact().state_vector();
        source
            .get_or_insert_map("m")
            .insert(&mut source.transact_mut(), "k", MapPrelim::default());
        updates.push(source.transact().encode_diff_v1(&sv));
        let doc = Doc::new();
        let run = apply_run(&doc, &updates, &HashSet::new()).expect("applies");
        assert_eq!(run.applied, 2, "the nested map is applied alone");

        let (_, updates) = typed(9, &["r", "s"]);
        let fresh = Doc::new();
        let run = apply_run(&fresh, &updates, &HashSet::from([9])).expect("no harm done");
        assert_eq!(
            run.applied, 0,
            "a retired client's content is handled alone"
        );
        assert_eq!(text_of(&fresh), "");
    }

    #[test]
    fn content_depending_on_changes_nobody_sent_poisons_the_run() {
        // Client 6 continues client 5's text, which this document never got.
        let (source, _) = typed(5, &["a"]);
        let other = Doc::with_client_id(6);
        other
            .transact_mut()
            .apply_update(
                Update::decode_v1(
                    &source
                        .transact()
                        .encode_state_as_update_v1(&Default::default()),
                )
                .expect("decodes"),
            )
            .expect("applies");
        let sv = other.transact().state_vector();
        other
            .get_or_insert_text("t")
            .insert(&mut other.transact_mut(), 1, "b");
        let continuation = other.transact().encode_diff_v1(&sv);
        let (_, mut updates) = typed(7, &["x"]);
        updates.push(continuation);
        let err = apply_run(&Doc::new(), &updates, &HashSet::new()).expect_err("refused");
        assert!(matches!(err, UpdateError::MissingDependencies), "{err}");
        assert!(err.poisoned(), "the caller rebuilds the document");
    }
}
