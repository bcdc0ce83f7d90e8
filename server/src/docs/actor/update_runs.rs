//! Runs of updates: what one connection sent back to back is gathered from the mailbox
//! ([`gather`]) and applied as one transaction where it can be ([`runs::apply_run`]),
//! then stored, relayed and acknowledged as one update.
//!
//! Nothing is lost by running: every update of the run counts for the sender's "saved"
//! acknowledgement; an update the run stops before is applied alone, exactly as without
//! runs; and a run yrs could not apply soundly leaves nothing behind (the document is
//! rebuilt from disk, where nothing of the run was written) before its updates are
//! applied one by one.

use std::collections::HashSet;

use tokio::sync::mpsc;
use yrs::{ReadTxn, Transact};

use super::{client_ids, DocActor, Effect};
use crate::docs::messages::{ConnId, Incoming, Part, ToDoc};
use crate::docs::runs;

/// Most updates gathered into one run.
const MAX_RUN: usize = 256;
/// A run stops growing once its updates hold this many bytes.
const MAX_RUN_BYTES: usize = 256 * 1024;

/// Gathers the updates from `conn` waiting right behind `first` in the mailbox; returns
/// them and the first other message taken, to be handled next.
pub(super) fn gather(
    rx: &mut mpsc::Receiver<ToDoc>,
    conn: ConnId,
    first: Vec<u8>,
) -> (Vec<Vec<u8>>, Option<ToDoc>) {
    let mut bytes = first.len();
    let mut run = vec![first];
    while run.len() < MAX_RUN && bytes < MAX_RUN_BYTES {
        match rx.try_recv() {
            Ok(ToDoc::Incoming {
                conn: from,
                msg: Incoming::Update(raw),
            }) if from == conn => {
                bytes += raw.len();
                run.push(raw);
            }
            Ok(other) => return (run, Some(other)),
            Err(_) => break,
        }
    }
    (run, None)
}

impl DocActor {
    /// Applies updates `conn` sent back to back: the leading plain edits in one
    /// transaction, the rest one by one ([`Self::on_update`]).
    pub(super) async fn on_update_run(&mut self, conn: ConnId, mut raws: Vec<Vec<u8>>) {
        let Some(peer) = self.peers.get(&conn) else {
            return;
        };
        let part = peer.part;
        let owner = client_ids::owner(&peer.access);
        let runnable =
            raws.len() > 1 && !self.outage && !self.ledger.signed() && peer.access.edits();
        if runnable {
            let doc = self.replica(part).doc().clone();
            // Who the run writes as; if anyone else owns one of those client ids, the
            // updates go one by one and the culprit is refused alone.
            let sv = doc.transact().state_vector();
            let writers: Vec<Vec<u64>> = raws
                .iter()
                .map(|raw| client_ids::writers_past(&sv, raw))
                .collect();
            let owners = self.client_ids(part);
            let foreign = writers.iter().any(|w| owners.foreign(w, &owner).is_some());
            let empty = HashSet::new();
            let retired = match part {
                Part::Minutes => &self.retired,
                Part::Restricted => &empty,
            };
            let run = if foreign {
                Ok(runs::Run::default())
            } else {
                runs::apply_run(&doc, &raws, retired)
            };
            match run {
                Ok(run) if run.applied > 0 => {
                    raws.drain(..run.applied);
                    let claimed = self.client_ids(part);
                    for w in &writers[..run.applied] {
                        claimed.claim(w, &owner);
                    }
                    self.take_run(conn, part, run).await;
                }
                Ok(_) => {}
                Err(e) => {
                    // Nothing of the run was stored: rebuild from disk, then apply its
                    // updates one by one, which refuses (and counts) the culprit alone.
                    tracing::warn!(doc = %self.name, conn, error = %e, updates = raws.len(), "a run of updates could not be applied together; applying them one by one");
                    self.rebuild().await;
                }
            }
        }
        for raw in raws {
            if !self.peers.contains_key(&conn) {
                break;
            }
            self.on_update(conn, raw).await;
        }
    }

    /// Stores, relays and acknowledges the updates a run applied.
    async fn take_run(&mut self, conn: ConnId, part: Part, run: runs::Run) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        peer.received += run.applied as u64;
        let (count, acks) = (peer.received, peer.acks);
        if run.changed {
            self.append(part, run.update, conn);
        }
        if acks {
            self.emit(Effect::Saved(conn, count));
        }
        if part == Part::Minutes && run.changed && run.placing {
            self.move_strays().await;
        }
    }
}
