//! One Yjs document of a meeting as its actor holds it: the `yrs::Doc`, the name it is
//! stored under, and the bookkeeping that decides when its update log is folded into a
//! snapshot.
//!
//! A meeting's actor owns one replica per Yjs document of the meeting: the minutes and
//! Part II, the restricted document of its exempt items ([`crate::docs::part2`]). All of a meeting's writes
//! are numbered in one stream (the actor's [`crate::docs::gate::Gate`]), whichever
//! replica they go to, so one commit can cover writes to several replicas — sign-off
//! freezes them together — and a replica's stored log may skip numbers used by another
//! (ledger writes already do). The actor compacts one replica at a time, so a completed
//! compaction is the one in flight.
//!
//! Sans-IO: a replica plans writes ([`Replica::compaction`]) and is told what became
//! durable; the actor submits them. Its rules are unit-tested without tokio or a store.

use std::sync::Arc;

use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::docs::updates::build_doc;
use crate::store::{StoredDoc, WriteOp};

/// When a replica's update log is folded into a snapshot.
#[derive(Debug, Clone)]
pub struct CompactionPolicy {
    /// Compact once the log holds this many updates…
    pub max_log_entries: usize,
    /// …or once its bytes exceed both this and four times the snapshot's size.
    pub min_log_bytes: usize,
    /// On unload, compact if the log holds more than this many updates.
    pub unload_log_entries: usize,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy {
            max_log_entries: 20_000,
            min_log_bytes: 1 << 20,
            unload_log_entries: 64,
        }
    }
}

/// One Yjs document of a meeting.
pub struct Replica {
    /// The name the document is stored under.
    key: Arc<str>,
    doc: Doc,
    /// Updates (and their bytes) stored since the last snapshot.
    log_entries: usize,
    log_bytes: usize,
    snapshot_bytes: usize,
    /// A compaction was submitted and is not yet durable.
    compacting: bool,
}

impl Replica {
    /// The replica of document `key` as stored.
    pub fn new(key: Arc<str>, stored: &StoredDoc) -> Self {
        Replica {
            doc: build_doc(&key, stored),
            snapshot_bytes: stored.snapshot.as_ref().map_or(0, |(_, s)| s.len()),
            log_entries: stored.log.len(),
            log_bytes: stored.log.iter().map(|(_, u)| u.len()).sum(),
            key,
            compacting: false,
        }
    }

    /// The live document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The name the document is stored under.
    pub fn key(&self) -> &Arc<str> {
        &self.key
    }

    /// Replaces the live document with the stored one (after a contained panic: what
    /// is on disk never held the offending update).
    pub fn reload(&mut self, stored: &StoredDoc) {
        self.doc = build_doc(&self.key, stored);
    }

    /// Replaces the live document with `doc`, rebuilt from it and submitted as the new
    /// snapshot (of `snapshot_bytes` bytes) with an empty log.
    pub fn replace(&mut self, doc: Doc, snapshot_bytes: usize) {
        self.doc = doc;
        self.log_entries = 0;
        self.log_bytes = 0;
        self.snapshot_bytes = snapshot_bytes;
    }

    /// An update of `bytes` bytes was submitted to the log.
    pub fn logged(&mut self, bytes: usize) {
        self.log_entries += 1;
        self.log_bytes += bytes;
    }

    /// Whether a compaction is in flight.
    pub fn compacting(&self) -> bool {
        self.compacting
    }

    /// The in-flight compaction is durable (or failed: the log still holds everything).
    pub fn compacted(&mut self) {
        self.compacting = false;
    }

    /// The compaction to submit now, if the log holds more than `max_entries` updates
    /// (or too many bytes: at least the policy's floor and four times the snapshot),
    /// folding everything up to write `upto`. The snapshot must read back; a document
    /// yrs can no longer encode readably keeps its log, which still holds everything.
    pub fn compaction(
        &mut self,
        policy: &CompactionPolicy,
        max_entries: usize,
        upto: u64,
    ) -> Option<WriteOp> {
        if self.compacting || self.log_entries == 0 {
            return None;
        }
        let too_many_bytes = self.log_bytes >= policy.min_log_bytes.max(4 * self.snapshot_bytes);
        if self.log_entries <= max_entries && !too_many_bytes {
            return None;
        }
        let encoded = crate::docs::guard::contain(|| {
            self.doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
        });
        self.log_entries = 0;
        self.log_bytes = 0;
        let snapshot = match encoded {
            Ok(snapshot) if minutebook_shared::prescan::scan_update_v1(&snapshot).is_ok() => {
                snapshot
            }
            _ => {
                tracing::error!(doc = %self.key, "the document does not encode readably; not compacting its log");
                return None;
            }
        };
        self.snapshot_bytes = snapshot.len();
        self.compacting = true;
        Some(WriteOp::Compact {
            doc: self.key.clone(),
            upto,
            snapshot,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Text, Update};

    fn policy() -> CompactionPolicy {
        CompactionPolicy {
            max_log_entries: 3,
            min_log_bytes: 1000,
            unload_log_entries: 1,
        }
    }

    fn replica() -> Replica {
        Replica::new("m".into(), &StoredDoc::default())
    }

    fn type_text(r: &mut Replica, text: &str) {
        let root = r.doc.get_or_insert_text("t");
        let mut txn = r.doc.transact_mut();
        root.push(&mut txn, text);
        let update = txn.encode_update_v1();
        drop(txn);
        r.logged(update.len());
    }

    #[test]
    fn a_short_log_is_not_compacted() {
        let mut r = replica();
        assert!(r.compaction(&policy(), 3, 0).is_none(), "an empty log");
        for _ in 0..3 {
            type_text(&mut r, "x");
        }
        assert!(r.compaction(&policy(), 3, 3).is_none(), "at the limit");
    }

    #[test]
    fn a_long_log_is_folded_into_a_snapshot_that_holds_everything() {
        let mut r = replica();
        for word in ["a", "b", "c", "d"] {
            type_text(&mut r, word);
        }
        let Some(WriteOp::Compact {
            doc,
            upto,
            snapshot,
        }) = r.compaction(&policy(), 3, 4)
        else {
            panic!("four updates over a limit of three compact");
        };
        assert_eq!((&*doc, upto), ("m", 4));
        let back = Doc::new();
        back.transact_mut()
            .apply_update(Update::decode_v1(&snapshot).unwrap())
            .unwrap();
        let text = back.get_or_insert_text("t");
        assert_eq!(text.get_string(&back.transact()), "abcd");
    }

    #[test]
    fn one_compaction_at_a_time() {
        let mut r = replica();
        for _ in 0..4 {
            type_text(&mut r, "x");
        }
        assert!(r.compaction(&policy(), 3, 4).is_some());
        assert!(r.compacting());
        for _ in 0..4 {
            type_text(&mut r, "y");
        }
        assert!(r.compaction(&policy(), 3, 8).is_none(), "one in flight");
        r.compacted();
        assert!(r.compaction(&policy(), 3, 8).is_some(), "the next one");
    }

    #[test]
    fn a_few_large_updates_compact_by_bytes() {
        let mut r = replica();
        type_text(&mut r, &"x".repeat(600));
        assert!(
            r.compaction(&policy(), 3, 1).is_none(),
            "under the byte floor"
        );
        type_text(&mut r, &"y".repeat(600));
        assert!(
            r.compaction(&policy(), 3, 2).is_some(),
            "two updates over the byte floor compact"
        );
    }

    #[test]
    fn the_byte_limit_grows_with_the_snapshot() {
        let mut r = replica();
        r.snapshot_bytes = 10_000;
        type_text(&mut r, &"x".repeat(2000));
        assert!(
            r.compaction(&policy(), 3, 1).is_none(),
            "a log under four times the snapshot waits"
        );
    }
}
