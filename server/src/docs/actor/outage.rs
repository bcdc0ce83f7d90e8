//! Storage outages: when the disk fails (`EIO`, a full disk), the document keeps its
//! connections and waits for the disk.
//!
//! On the failure the gate drops everything held behind the failed writes (no relay, no
//! "saved", no answer reveals them), every `minutebook.v1` connection is told the server
//! cannot write ([`protocol::storage`]), and from then on updates are counted but not
//! applied (the clients keep them: they were never acknowledged). Reads go on from memory:
//! joins are answered, the API reads the live document. Ledger commands, imports and
//! moves are refused with "storage failure; try again".
//!
//! Every [`PROBE_EVERY`] the actor submits a [`WriteOp::Probe`]; the store reopens its
//! database first (redb requires it after an I/O error), so the probe commits once the
//! disk takes writes again. Then the actor reloads both documents and the ledger from
//! disk (dropping whatever the failed writes had put in memory), tells its connections
//! the server can write, and sends each its sync step 1: each client answers with a sync
//! step 2 holding every change it has that the server lacks, which is applied, stored,
//! relayed and acknowledged like any update, so the page reaches "All changes saved".
//!
//! Caveat: between the failure and the reload, the in-memory documents may still hold
//! the updates of the failed commit; a connection that joins (or an API read) during the
//! outage can see them. Their writers still hold them and send them again on recovery.

use std::time::Duration;

use minutebook_shared::protocol::{self, Message, SyncMessage};
use yrs::{ReadTxn, Transact};

use super::{frame, DocActor};
use crate::docs::gate::Gate;
use crate::docs::messages::ConnId;
use crate::metrics::name as mnames;
use crate::store::{StoreError, WriteOp};

/// How often a failing document checks whether the disk takes writes again.
pub(super) const PROBE_EVERY: Duration = Duration::from_millis(250);

impl DocActor {
    /// The disk failed under one of this document's writes.
    pub(super) fn enter_outage(&mut self, e: &StoreError) {
        if self.outage {
            return;
        }
        tracing::error!(doc = %self.name, error = %e, "storage failed; holding every change until the disk takes writes again");
        metrics::counter!(mnames::STORAGE_OUTAGES).increment(1);
        self.failed = true;
        self.outage = true;
        // Nothing held behind the failed writes may ever be performed; what comes next
        // (reads, joins) reveals only what is in memory and is not held.
        self.gate.reset();
        self.minutes.compacted();
        self.part2.compacted();
        self.meeting.allocations.clear();
        self.meeting.pending.clear();
        self.tell_storage(true);
    }

    /// Sends `minutebook.v1` connections the storage state.
    fn tell_storage(&mut self, failing: bool) {
        let notice = frame(&protocol::storage(failing));
        let conns: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.acks)
            .map(|(c, _)| *c)
            .collect();
        for c in conns {
            self.send_now(c, notice.clone());
        }
    }

    /// Tells a connection that joined during an outage.
    pub(super) fn tell_joiner(&mut self, conn: ConnId) {
        if self.outage && self.peers.get(&conn).is_some_and(|p| p.acks) {
            self.send_now(conn, frame(&protocol::storage(true)));
        }
    }

    /// Checks whether the disk takes writes again (one probe at a time).
    pub(super) fn probe(&mut self) {
        if self.outage && !self.probing {
            self.probing = true;
            self.store.submit(WriteOp::Probe, self.written_tx.clone());
        }
    }

    /// A probe failed: try again at the next tick.
    pub(super) fn probe_failed(&mut self) {
        self.probing = false;
    }

    /// A probe committed: reloads from disk and has every client send what is unsaved.
    pub(super) async fn leave_outage(&mut self) {
        self.probing = false;
        if !self.outage {
            return;
        }
        let (store, name) = (self.store.clone(), self.name.clone());
        let ledger = tokio::task::spawn_blocking(move || store.ledger(&name))
            .await
            .unwrap_or_else(|e| Err(StoreError::from_join(e)));
        let reloaded = match ledger {
            Ok(ledger) => self.reload_documents().await.map(|()| ledger),
            Err(e) => Err(e),
        };
        match reloaded {
            Ok(ledger) => self.ledger = ledger,
            Err(e) => {
                tracing::warn!(doc = %self.name, error = %e, "the disk takes writes but the document could not be read yet");
                return;
            }
        }
        // Writes numbered before the failure are either on disk or lost; number on.
        self.gate = Gate::new(self.gate.submitted());
        self.failed = false;
        self.outage = false;
        tracing::warn!(doc = %self.name, "storage recovered; asking every client for its unsaved changes");
        let side = self.side_writes();
        if !side.meta.is_empty() {
            self.store
                .submit(WriteOp::Meta(side.meta), self.written_tx.clone());
        }
        self.start_allocation(side.allocate);
        self.tell_storage(false);
        let conns: Vec<(ConnId, super::Part)> =
            self.peers.iter().map(|(c, p)| (*c, p.part)).collect();
        for (c, part) in conns {
            let sv = self.replica(part).doc().transact().state_vector();
            self.send_now(c, frame(&Message::Sync(SyncMessage::SyncStep1(sv))));
        }
    }
}
