//! Relays released by one group commit, coalesced: each connection gets the updates of a
//! commit as one merged update instead of one frame per update.
//!
//! A writer that pipelines (a paste, an import through a client, the B4 trace) has many
//! updates in each commit; sent one by one, every reader pays a frame, a wake-up and an
//! apply per update, and a slow reader's queue fills with frames. Merged (`yrs`'s
//! `merge_updates_v1`, on updates the actor has already validated and applied), a
//! reader gets one frame per commit. A connection never gets its own updates back: one
//! that sent some of the commit's updates gets the others merged.
//!
//! Runs of fewer than [`MERGE_FROM`] updates go out as they are (merging costs a decode
//! and an encode, more than it saves for one or two small updates); longer runs than
//! [`MERGE_AT_MOST`] go out as several merged frames.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use minutebook_shared::protocol::{Message, SyncMessage};

use super::{frame, DocActor, Effect};
use crate::docs::guard;
use crate::docs::messages::{ConnId, Part};
use crate::metrics::name as mnames;

/// Updates in one commit's run from which they are merged.
const MERGE_FROM: usize = 3;
/// Most updates merged into one frame: yrs's merge costs more than linearly in the
/// number of updates (a whole B4 commit of ~4,000 updates at once took a quarter of the
/// server's CPU; BENCHMARKS.md, M8), so longer runs go out as several merged frames.
const MERGE_AT_MOST: usize = 128;

/// One relay waiting to go out.
pub(super) struct Relay {
    pub(super) from: ConnId,
    pub(super) update: Vec<u8>,
    pub(super) part: Part,
    pub(super) received: Instant,
}

impl DocActor {
    /// Performs the effects one durable commit released, in order, except that relays
    /// are gathered into runs (acknowledgements, which concern the sender's own updates,
    /// do not end a run) and each run goes out coalesced. `skip` tells the superseded
    /// acknowledgements (only the last per connection goes out).
    pub(super) fn perform_released(
        &mut self,
        released: Vec<Effect>,
        skip: impl Fn(&Effect) -> bool,
    ) {
        let mut run: Vec<Relay> = Vec::new();
        let mut saved: Vec<Effect> = Vec::new();
        for effect in released {
            if skip(&effect) {
                continue;
            }
            match effect {
                Effect::Relay {
                    from,
                    update,
                    part,
                    received,
                } => run.push(Relay {
                    from,
                    update,
                    part,
                    received,
                }),
                effect @ Effect::Saved(..) => saved.push(effect),
                effect => {
                    self.relay_run(std::mem::take(&mut run));
                    for s in saved.drain(..) {
                        self.perform(s);
                    }
                    self.perform(effect);
                }
            }
        }
        self.relay_run(run);
        for s in saved {
            self.perform(s);
        }
    }

    /// Sends a run of relays, merged per connection when it is long enough.
    pub(super) fn relay_run(&mut self, run: Vec<Relay>) {
        for part in [Part::Minutes, Part::Restricted] {
            let relays: Vec<&Relay> = run.iter().filter(|r| r.part == part).collect();
            if relays.is_empty() {
                continue;
            }
            for r in &relays {
                metrics::histogram!(mnames::RELAY_LAG).record(r.received.elapsed().as_secs_f64());
            }
            for relays in relays.chunks(MERGE_AT_MOST) {
                let merged = if relays.len() >= MERGE_FROM {
                    self.merged_per_connection(relays, part)
                } else {
                    None
                };
                match merged {
                    Some(frames) => {
                        for (conn, frame) in frames {
                            self.send_now(conn, frame);
                        }
                    }
                    None => {
                        for r in relays {
                            let frame = update_frame(&r.update);
                            self.relay_one(r.from, frame, part);
                        }
                    }
                }
            }
        }
    }

    /// Sends one relayed update to every connection to `part` but its sender.
    pub(super) fn relay_one(&mut self, from: ConnId, frame: Bytes, part: Part) {
        let conns: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(c, p)| **c != from && p.part == part)
            .map(|(c, _)| *c)
            .collect();
        for c in conns {
            self.send_now(c, frame.clone());
        }
    }

    /// One merged frame per connection to `part` (without its own updates); `None` if
    /// merging failed (the relays then go out one by one).
    fn merged_per_connection(&self, relays: &[&Relay], part: Part) -> Option<Vec<(ConnId, Bytes)>> {
        let all = merge(relays.iter().map(|r| r.update.as_slice()))?;
        let senders: Vec<ConnId> = {
            let mut s: Vec<ConnId> = relays.iter().map(|r| r.from).collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let mut without: HashMap<ConnId, Option<Bytes>> = HashMap::new();
        for sender in &senders {
            let others: Vec<&[u8]> = relays
                .iter()
                .filter(|r| r.from != *sender)
                .map(|r| r.update.as_slice())
                .collect();
            let frame = match others.len() {
                0 => None,
                1 => Some(update_frame(others[0])),
                _ => Some(merge(others.into_iter())?),
            };
            without.insert(*sender, frame);
        }
        Some(
            self.peers
                .iter()
                .filter(|(_, p)| p.part == part)
                .filter_map(|(c, _)| match without.get(c) {
                    Some(frame) => frame.clone().map(|f| (*c, f)),
                    None => Some((*c, all.clone())),
                })
                .collect(),
        )
    }
}

/// The frame relaying `update`.
fn update_frame(update: &[u8]) -> Bytes {
    frame(&Message::Sync(SyncMessage::Update(update.to_vec())))
}

/// The frame relaying `updates` merged into one.
fn merge<'a>(updates: impl Iterator<Item = &'a [u8]>) -> Option<Bytes> {
    let updates: Vec<&[u8]> = updates.collect();
    match guard::contain(|| yrs::merge_updates_v1(updates)) {
        Ok(Ok(merged)) => Some(update_frame(&merged)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "merging relayed updates failed; relaying them one by one");
            None
        }
        Err(p) => {
            tracing::warn!(error = %p, "merging relayed updates panicked; relaying them one by one");
            None
        }
    }
}
