//! Moving an item into Part II, as the meeting's actor does it: a deliberate, audited act
//! that rebuilds the minutes without the item's restricted text
//! ([`minutebook_shared::meeting::part2::move_into_part2`]).
//!
//! In the actor's one write stream, in order: Part II receives the content (an ordinary
//! update, relayed to Part II's connections); then one transaction replaces the minutes'
//! stored snapshot and log with the rebuilt document, records the retired client ids and
//! the audit entry. Only then is the caller answered. Every connection to the minutes is
//! closed with [`code::REBUILT`]: their copies hold the old document, whose updates are
//! refused from now on.

use minutebook_shared::meeting::model::ItemId;
use minutebook_shared::meeting::part2::{self as shared_part2, Moved};
use minutebook_shared::meeting::{Exemption, Meeting};
use minutebook_shared::protocol::close::{code, CloseReason};
use tokio::sync::oneshot;
use yrs::Transact;

use super::{DocActor, Effect};
use crate::auth::Access;
use crate::docs::cpu;
use crate::docs::ledger::Refusal;
use crate::docs::messages::{ConnId, Part};
use crate::docs::part2;
use crate::store::{audit, Record, WriteOp};

/// The event name of the audit entry of a move into Part II.
pub const EVENT: &str = "item-exempt";
/// The event name of the audit entry of a move back into the minutes.
pub const EVENT_PUBLIC: &str = "item-public";

impl DocActor {
    /// Public content under an exempt item in the minutes
    /// ([`shared_part2::strays`]: an item marked exempt by a plain field write, a public
    /// item indented or moved under an exempt one, a block or action written into one, by
    /// a y-websocket client, an older page or a hostile one — or anything from before Part
    /// II existed) is moved into Part II as the server, audited like any move: when the
    /// meeting loads, before anyone joins, and after every update that could have placed
    /// content ([`crate::docs::updates::Applied::placing`]), before anything of it is
    /// relayed. Finding nothing costs one pass over the items' exemption fields when no
    /// item is exempt. Signed minutes wait until they are reopened.
    pub(super) async fn move_strays(&mut self) {
        if self.failed || self.ledger.signed() {
            return;
        }
        let strays = shared_part2::strays(&self.meeting.meeting, &self.doc().transact());
        for stray in strays {
            let (reply, _) = oneshot::channel();
            tracing::info!(doc = %self.name, item = %stray.item.0, "moving public content under an exempt item out of the minutes");
            self.move_to_part2(
                Access::server(),
                stray.item,
                stray.exemption,
                stray.public_title,
                reply,
            )
            .await;
        }
    }

    /// Why `access` may not move items between the minutes and Part II now (audited).
    fn move_refusal(&mut self, access: &Access, event: &str) -> Option<Refusal> {
        let refusal = if self.failed {
            Refusal::Unavailable("storage failure; try again".into())
        } else if !(access.edits() && access.restricted) {
            Refusal::Forbidden(
                "moving items between the minutes and Part II is for the chair, \
                 minute-takers and administrators with restricted access"
                    .into(),
            )
        } else if self.ledger.signed() {
            Refusal::Locked
        } else {
            return None;
        };
        self.audit_refusal(access, &format!("{event} refused: {refusal}"));
        Some(refusal)
    }

    /// Makes exempt item `item` public again: its Part II content back in the minutes
    /// (both changes stored and relayed like any server change), audited.
    pub(super) async fn move_to_part1(
        &mut self,
        access: Access,
        item: ItemId,
        reply: oneshot::Sender<Result<Moved, Refusal>>,
    ) {
        if let Some(refusal) = self.move_refusal(&access, EVENT_PUBLIC) {
            let _ = reply.send(Err(refusal));
            return;
        }
        let view = self.full_view();
        let Some(found) = view.item(&item) else {
            let _ = reply.send(Err(Refusal::NotFound(format!("no item {}", item.0))));
            return;
        };
        if found.exemption.is_none() {
            let _ = reply.send(Err(Refusal::Conflict(format!(
                "item {} is not marked exempt itself",
                found.number
            ))));
            return;
        }
        let number = found.number.clone();
        let (main, p2) = (self.meeting.meeting.clone(), self.part2_meeting.clone());
        let restored = cpu::run(move || shared_part2::move_into_part1(&main, &p2, &item)).await;
        let restored = match restored {
            Ok(Ok(restored)) => restored,
            Ok(Err(e)) => {
                let _ = reply.send(Err(Refusal::NotFound(e.to_string())));
                return;
            }
            Err(e) => {
                tracing::error!(doc = %self.name, error = %e, "moving an item back into the minutes failed");
                self.rebuild().await;
                let _ = reply.send(Err(Refusal::Unavailable(format!(
                    "could not move the item: {e}"
                ))));
                return;
            }
        };
        let moved = restored.moved;
        if !restored.part2_update.is_empty() {
            self.append(Part::Restricted, restored.part2_update, super::SERVER);
        }
        self.append(Part::Minutes, restored.main_update, super::SERVER);
        let entry = audit::entry(
            &self.store,
            &self.name,
            &access.name,
            access.role,
            EVENT_PUBLIC,
            format!(
                "item {number} moved back into the minutes: it is public again and every \
                 invited member receives its text"
            ),
        );
        self.audit_ordered(entry);
        self.emit(Effect::Moved(reply, moved));
    }

    pub(super) async fn move_to_part2(
        &mut self,
        access: Access,
        item: ItemId,
        exemption: Exemption,
        public_title: String,
        reply: oneshot::Sender<Result<Moved, Refusal>>,
    ) {
        if let Some(refusal) = self.move_refusal(&access, EVENT) {
            let _ = reply.send(Err(refusal));
            return;
        }
        let number = self.full_view().item(&item).map(|i| i.number.clone());
        let Some(number) = number else {
            let _ = reply.send(Err(Refusal::NotFound(format!(
                "no item {item}",
                item = item.0
            ))));
            return;
        };
        let (main, p2) = (self.meeting.meeting.clone(), self.part2_meeting.clone());
        let label = exemption.label();
        let rebuilt = cpu::run(move || {
            shared_part2::move_into_part2(&main, &p2, &item, &exemption, &public_title)
        })
        .await;
        let rebuilt = match rebuilt {
            Ok(Ok(rebuilt)) => rebuilt,
            Ok(Err(e)) => {
                let _ = reply.send(Err(Refusal::NotFound(e.to_string())));
                return;
            }
            Err(e) => {
                // Part II was changed in place and may be half-written: reload both
                // documents from disk, which never saw any of it.
                tracing::error!(doc = %self.name, error = %e, "moving an item into Part II failed");
                self.rebuild().await;
                let _ = reply.send(Err(Refusal::Unavailable(format!(
                    "could not move the item: {e}"
                ))));
                return;
            }
        };
        let moved = rebuilt.moved;
        if !rebuilt.part2_update.is_empty() {
            self.append(Part::Restricted, rebuilt.part2_update, super::SERVER);
        }
        self.retired.extend(rebuilt.retired);
        let entry = audit::entry(
            &self.store,
            &self.name,
            &access.name,
            access.role,
            EVENT,
            format!(
                "item {number} moved into Part II ({label}): {} items, {} blocks, {} actions; \
                 the minutes were rebuilt without them",
                moved.items, moved.blocks, moved.actions
            ),
        );
        let seq = self.gate.submit();
        let snapshot_len = rebuilt.main_state.len();
        self.store.submit(
            WriteOp::Rebuild {
                doc: self.minutes.key().clone(),
                seq,
                snapshot: rebuilt.main_state,
                records: vec![
                    part2::retired_record(&self.name, &self.retired),
                    Record::Audit(entry),
                ],
            },
            self.written_tx.clone(),
        );
        self.minutes.replace(rebuilt.main, snapshot_len);
        // Updates of the old minutes waiting to be relayed never go out: a connection
        // made after the rebuild would receive the moved text in them.
        self.gate.retain(|e| {
            !matches!(
                e,
                Effect::Relay {
                    part: Part::Minutes,
                    ..
                }
            )
        });
        let doc = self.doc().clone();
        self.meeting.rebind(&doc);
        self.part2_meeting = Meeting::new(self.part2.doc().clone());
        let conns: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.part == Part::Minutes)
            .map(|(c, _)| *c)
            .collect();
        for c in conns {
            self.close_peer(
                c,
                CloseReason::new(
                    code::REBUILT,
                    "the minutes were rebuilt (an item moved into Part II): load them afresh",
                ),
            );
        }
        tracing::info!(doc = %self.name, item = %number, ?moved, "item moved into Part II; minutes rebuilt");
        self.emit(Effect::Moved(reply, moved));
    }
}
