//! The document actor: one task owns each loaded document, and orders its messages
//! ([`crate::docs::messages`]).
//!
//! The actor is the only code that touches its `yrs::Doc`, so there is no lock on the
//! hot path. For every update a connection sends it:
//! 1. applies it once (inside [`crate::docs::guard::contain`]: a panic discards the update and the
//!    document is rebuilt from disk);
//! 2. submits it to the [`Store`] for group commit;
//! 3. only once it is durable, relays it to the other connections and acknowledges it
//!    to the sender ("saved").
//!
//! Every outgoing frame that reveals document state is *gated* behind the store's
//! progress ([`crate::docs::gate`]), so nothing a client sees can be lost by a crash. Awareness (presence) is
//! ephemeral and goes out at once; [`crate::docs::presence`] keeps it (each client id
//! bound to its session, the verified name stamped on every state, per-connection limits).
//!
//! The meeting's Yjs documents are [`Replica`]s — the minutes and Part II, the restricted
//! document of its exempt items ([`crate::docs::part2`]) — whose writes share the actor's
//! one numbered write stream, so both are written and signed off in the same commits.
//! Each connection syncs one of them ([`Part`]): updates, relays, awareness rooms and
//! saved acks stay within it, and the ledger goes to the minutes' connections only,
//! filtered for grants without restricted access. Moving an item into Part II
//! ([`move_item`]) rebuilds the minutes and retires the old document's client ids; so does
//! public content an update leaves under an exempt item, moved as the server right after
//! that update is applied ([`DocActor::move_strays`]), before anything of it is relayed.
//!
//! When the last connection leaves and every write is durable, the actor compacts its
//! log if needed and exits (the registry then forgets it); its state is already on disk.
//!
//! The actor also keeps the meeting's side records ([`crate::docs::side_records`]): after each
//! applied update it reads the header summary (four fields) and, when it changed, writes
//! the catalog entry in the same transaction as the update. When the action map grows it
//! looks for actions without a reference, reserves the next numbers of the meeting's
//! series on the store's single writer, and writes them with
//! [`Meeting::assign_reference`] as a server change — stored and relayed like any update.
//! The server API writes documents through the same path ([`ToDoc::Apply`]) and reads
//! live state with [`ToDoc::Read`]. Work proportional to the whole meeting (applying an
//! import's update, rendering and hashing a signed version) runs on the blocking pool
//! ([`cpu::run`]) while the actor awaits it: the meeting's order is kept and no async
//! worker stalls.
//!
//! Trust: each connection joins with its [`Access`]. Only editors (chair, minute-takers,
//! administrators) may change the minutes, and nobody may once they are signed off; any
//! other update that would change the document is refused *before* it is applied
//! ([`protocol::MSG_REJECTED`] to the sender, an audit entry, and a 1008 close after
//! repeated attempts). The actor owns the meeting's [`Ledger`]: ledger commands
//! ([`ToDoc::Command`]) are decided by [`crate::docs::ledger::decide`] against the live
//! document, written (with a signed version, when signing) in the document's ordered
//! write stream, and once durable sent to every `minutebook.v1` connection as what
//! changed ([`protocol::MSG_LEDGER_CHANGE`]); a joining connection gets the whole ledger
//! once ([`protocol::MSG_LEDGER`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use minutebook_shared::meeting::part2::Moved;
use minutebook_shared::meeting::{Meeting, MeetingView};
use minutebook_shared::protocol::{self, AwarenessUpdate, Message, SyncMessage};
use minutebook_shared::time::now_ms;
use tokio::sync::{mpsc, oneshot};
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut};

use minutebook_shared::protocol::Rejected;
use minutebook_shared::trust::{self, AmendedVersion, Approval, Ledger};

use crate::auth::refusals::{self, Refusals};
use crate::auth::Access;
use crate::docs::cpu;
use crate::docs::gate::Gate;
use crate::docs::ledger::{Command, Decision, LedgerBudget, Refusal};
use crate::docs::messages::{
    ApplyError, CommandOk, ConnId, Incoming, JoinError, LiveState, Part, ToDoc,
};
use crate::docs::outbox::Outbox;
use crate::docs::part2;
use crate::docs::presence::{AwarenessLimits, Presence, RateLimit, Speaker};
use crate::docs::replica::{CompactionPolicy, Replica};
use crate::docs::side_records::{Allocation, MeetingState, SideWrites};
use crate::docs::updates;
use crate::docs::version_export;
use crate::metrics::name as mnames;
use crate::store::audit;
use crate::store::{
    Completion, Meta, Record, SignedVersion, Store, StoreError, StoredDoc, WriteOp, Written,
};
use minutebook_shared::protocol::close::{code, CloseReason};

mod client_ids;
mod move_item;
mod outage;
mod relays;
mod update_runs;

/// Refused writes after which a connection is closed (1008).
const MAX_REJECTIONS: u32 = 16;

/// The connection id of changes made by the server itself (no connection has it).
const SERVER: ConnId = 0;

struct Peer {
    outbox: Outbox,
    /// The document this connection syncs.
    part: Part,
    acks: bool,
    /// Update-carrying messages received on this connection.
    received: u64,
    access: Access,
    /// Who this connection is, stamped on the awareness states it announces.
    speaker: Speaker,
    awareness: AwarenessLimits,
    awareness_rate: RateLimit,
    rejections: u32,
}

enum Effect {
    To(ConnId, Bytes),
    Relay {
        from: ConnId,
        /// The update (v1), framed when it goes out (merged with the others of its
        /// commit, [`relays`]).
        update: Vec<u8>,
        part: Part,
        /// When the update was taken in (for the relay lag metric).
        received: Instant,
    },
    Saved(ConnId, u64),
    Applied(oneshot::Sender<Result<(), ApplyError>>),
    State(oneshot::Sender<LiveState>, LiveState),
    Moved(oneshot::Sender<Result<Moved, Refusal>>, Moved),
    /// A ledger change (from the first ledger to the second) to every connection to the
    /// minutes that speaks the Minutebook subprotocol, as its audience may see it.
    Ledger(Box<Ledger>, Box<Ledger>),
    Reply(oneshot::Sender<Result<CommandOk, Refusal>>, CommandOk),
    Refused(oneshot::Sender<Result<CommandOk, Refusal>>, Refusal),
    LedgerState(
        oneshot::Sender<(Ledger, trust::Readiness)>,
        Ledger,
        trust::Readiness,
    ),
}

pub(crate) struct DocActor {
    name: Arc<str>,
    store: Store,
    policy: CompactionPolicy,
    /// The minutes: the Yjs document every invited member syncs.
    minutes: Replica,
    /// Part II: the exempt items' restricted content ([`part2`]), and its handle.
    part2: Replica,
    part2_meeting: Meeting,
    /// Client ids of the minutes before their last rebuild: never accepted again.
    retired: HashSet<u64>,
    /// Who owns each client id content was added under, per document ([`client_ids`]).
    client_ids: client_ids::ClientIds,
    client_ids2: client_ids::ClientIds,
    /// Awareness states (ephemeral; never stored), one room per document.
    presence: Presence,
    presence2: Presence,
    peers: HashMap<ConnId, Peer>,
    /// Holds every state-revealing effect until the write covering it is durable.
    gate: Gate<Effect>,
    /// A store write failed: nothing is written until it is resolved. With `outage`
    /// (the disk failed) the connections stay and the actor waits for the disk
    /// ([`outage`]); otherwise it closes them and unloads.
    failed: bool,
    outage: bool,
    /// A [`WriteOp::Probe`] of the disk is in flight.
    probing: bool,
    written_tx: mpsc::UnboundedSender<Completion>,
    written_rx: mpsc::UnboundedReceiver<Completion>,
    /// Connections whose outbox overflowed during the current step.
    dropped: Vec<ConnId>,
    meeting: MeetingState,
    ledger: Ledger,
    /// Repeated refusals are audited once per window, with a count ([`Refusals`]).
    refusals: Refusals,
}

impl DocActor {
    /// Loads the document from the store and runs the actor until it unloads: it then
    /// closes its mailbox (so the registry starts a fresh actor for anyone who comes
    /// later) and returns; the registry removes its entry.
    pub(crate) async fn run(
        name: Arc<str>,
        store: Store,
        policy: CompactionPolicy,
        mut rx: mpsc::Receiver<ToDoc>,
        refusals: Refusals,
    ) {
        let mut actor = match Self::load(name.clone(), store, policy, refusals).await {
            Ok(actor) => actor,
            Err(e) => {
                tracing::error!(doc = %name, error = %e, "loading document failed");
                rx.close();
                while let Ok(msg) = rx.try_recv() {
                    if let ToDoc::Join { joined, .. } = msg {
                        let _ = joined.send(Err(JoinError::Load(e.clone())));
                    }
                }
                return;
            }
        };
        let _loaded = crate::metrics::Counted::new(mnames::DOCUMENTS_LOADED);
        let mut probe = tokio::time::interval(outage::PROBE_EVERY);
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                Some(done) = actor.written_rx.recv() => actor.on_completions(done).await,
                _ = probe.tick(), if actor.outage => actor.probe(),
                msg = rx.recv() => match msg {
                    Some(ToDoc::Incoming { conn, msg: Incoming::Update(raw) }) => {
                        let (run, next) = update_runs::gather(&mut rx, conn, raw);
                        actor.on_update_run(conn, run).await;
                        if let Some(next) = next {
                            actor.handle(next).await;
                        }
                    }
                    Some(msg) => actor.handle(msg).await,
                    None => break,
                },
            }
            actor.reap();
            // A message already waiting is handled first: unloading then would drop it,
            // and a fresh actor whose own load writes complete first would do the same,
            // so a request could be dropped on every retry.
            if actor.peers.is_empty() && rx.is_empty() && actor.ready_to_unload() {
                if actor.maybe_compact(actor.policy.unload_log_entries) {
                    continue; // wait for the compaction to be durable first
                }
                rx.close();
                // Joins that raced with the unload get no answer; their senders retry and
                // load a fresh actor from disk, which already holds everything.
                while rx.try_recv().is_ok() {}
                break;
            }
        }
        tracing::debug!(doc = %actor.name, "document unloaded");
    }

    async fn load(
        name: Arc<str>,
        store: Store,
        policy: CompactionPolicy,
        refusals: Refusals,
    ) -> Result<Self, StoreError> {
        let stored = load_stored(&store, &name).await?;
        let ledger = {
            let (store, name) = (store.clone(), name.clone());
            tokio::task::spawn_blocking(move || {
                let mut ledger = store.ledger(&name)?;
                // Versions recorded before the ledger said what they withhold: from the
                // stored version (kept with the next ledger write).
                for v in ledger.versions.iter_mut().filter(|v| v.withheld.is_none()) {
                    let stored = store.version(&name, v.version)?;
                    v.withheld = Some(
                        stored
                            .and_then(|s| s.public)
                            .map(|p| p.withheld)
                            .unwrap_or_default(),
                    );
                }
                Ok(ledger)
            })
            .await
            .unwrap_or_else(|e| Err(StoreError::from_join(e)))?
        };
        let key2: Arc<str> = part2::key(&name).into();
        let stored2 = load_stored(&store, &key2).await?;
        let retired = {
            let (store, name) = (store.clone(), name.clone());
            tokio::task::spawn_blocking(move || part2::load_retired(&store, &name))
                .await
                .unwrap_or_else(|e| Err(StoreError::from_join(e)))?
        };
        let minutes = Replica::new(name.clone(), &stored);
        let part2 = Replica::new(key2, &stored2);
        let part2_meeting = Meeting::new(part2.doc().clone());
        let (written_tx, written_rx) = mpsc::unbounded_channel();
        // Every replica's writes are numbered in one stream: it resumes after the last.
        let last = stored.last_seq().max(stored2.last_seq());
        tracing::debug!(doc = %name, log = stored.log.len(), "document loaded");
        let meeting = MeetingState::new(minutes.doc(), stored.meeting.clone());
        let mut actor = DocActor {
            name,
            store,
            policy,
            minutes,
            part2,
            part2_meeting,
            retired,
            client_ids: client_ids::ClientIds::stored(&stored.owners),
            client_ids2: client_ids::ClientIds::stored(&stored2.owners),
            presence: Presence::default(),
            presence2: Presence::default(),
            peers: HashMap::new(),
            gate: Gate::new(last),
            failed: false,
            outage: false,
            probing: false,
            written_tx,
            written_rx,
            dropped: Vec::new(),
            meeting,
            ledger,
            refusals,
        };
        let doc = actor.minutes.doc().clone();
        actor.meeting.status_changes(&doc);
        // Documents stored before their side records existed get them now.
        let side = actor.side_writes();
        if !side.meta.is_empty() {
            actor
                .store
                .submit(WriteOp::Meta(side.meta), actor.written_tx.clone());
        }
        actor.start_allocation(side.allocate);
        actor.move_strays().await;
        Ok(actor)
    }

    fn doc(&self) -> &Doc {
        self.minutes.doc()
    }

    fn replica(&self, part: Part) -> &Replica {
        match part {
            Part::Minutes => &self.minutes,
            Part::Restricted => &self.part2,
        }
    }

    fn presence_of(&mut self, part: Part) -> &mut Presence {
        match part {
            Part::Minutes => &mut self.presence,
            Part::Restricted => &mut self.presence2,
        }
    }

    /// The whole meeting: the minutes merged with Part II.
    fn full_view(&self) -> MeetingView {
        let (txn, txn2) = (self.doc().transact(), self.part2.doc().transact());
        self.meeting
            .meeting
            .full_view(&txn, &self.part2_meeting, &txn2)
    }

    fn ready_to_unload(&self) -> bool {
        self.failed
            || (self.gate.settled()
                && !self.minutes.compacting()
                && !self.part2.compacting()
                && self.meeting.allocations.is_empty())
    }

    async fn handle(&mut self, msg: ToDoc) {
        match msg {
            ToDoc::Join {
                conn,
                part,
                outbox,
                acks,
                access,
                awareness,
                joined,
            } => {
                if self.failed && !self.outage {
                    let _ = joined.send(Err(JoinError::Busy));
                    return;
                }
                if part == Part::Restricted && !access.restricted {
                    let _ = joined.send(Err(JoinError::NotRestricted));
                    return;
                }
                // The first connection of a caller in a window is audited at once, the
                // rest counted into one entry when the window ends ([`Refusals`]).
                let what = match part {
                    Part::Minutes => "connected",
                    Part::Restricted => "connected to Part II",
                };
                let first = self.refusals.note_event(
                    "join",
                    &refusals::Refusal {
                        caller: access.session.as_deref().unwrap_or(&access.name),
                        actor: &access.name,
                        role: access.role,
                        meeting: &self.name,
                        what,
                    },
                );
                if first {
                    let audit = audit::entry(
                        &self.store,
                        &self.name,
                        &access.name,
                        access.role,
                        "join",
                        format!("{what} (connection {conn})"),
                    );
                    self.store.submit(
                        WriteOp::Records(vec![Record::Audit(audit)]),
                        self.written_tx.clone(),
                    );
                }
                let (restricted, person) = (access.restricted, access.person.clone());
                self.peers.insert(
                    conn,
                    Peer {
                        outbox,
                        part,
                        acks,
                        received: 0,
                        speaker: speaker(conn, &access),
                        awareness_rate: RateLimit::new(awareness.per_second, Instant::now()),
                        awareness,
                        access,
                        rejections: 0,
                    },
                );
                // The ledger goes to the minutes' connections only (once per browser), as
                // this connection may see it.
                if acks && part == Part::Minutes {
                    let mut ledger = self.shown_ledger();
                    if !restricted {
                        let view = self.full_view();
                        ledger = ledger.without(&trust::part2_hidden(&view, person.as_deref()));
                    }
                    self.emit(Effect::To(conn, frame(&protocol::ledger(&ledger))));
                }
                let sv = self.replica(part).doc().transact().state_vector();
                self.emit(Effect::To(
                    conn,
                    frame(&Message::Sync(SyncMessage::SyncStep1(sv))),
                ));
                if let Some(states) = self.awareness_states(part) {
                    self.send_now(conn, states);
                }
                self.tell_joiner(conn);
                let _ = joined.send(Ok(()));
            }
            ToDoc::Incoming { conn, msg } => {
                if self.peers.contains_key(&conn) {
                    self.on_incoming(conn, msg).await;
                }
            }
            ToDoc::Leave { conn } => self.remove_peer(conn),
            ToDoc::Apply { update, done } => {
                if self.failed {
                    let _ = done.send(Err(ApplyError::unavailable("storage failure; try again")));
                    return;
                }
                if self.ledger.signed() {
                    let _ = done.send(Err(ApplyError::refused(
                        "the minutes are signed off and read-only",
                    )));
                    return;
                }
                // An import's update is as large as the meeting: decode and apply it on the
                // blocking pool while the actor waits (ordering is kept).
                let doc = self.doc().clone();
                let applied = cpu::run(move || {
                    let outcome = updates::apply(&doc, &update);
                    (outcome, update)
                })
                .await;
                let (outcome, update) = match applied {
                    Ok(applied) => applied,
                    Err(e) => {
                        let _ = done.send(Err(ApplyError::refused(format!(
                            "could not apply the update: {e}"
                        ))));
                        return;
                    }
                };
                match outcome {
                    Ok(applied) if applied.changed => {
                        self.append(Part::Minutes, update, SERVER);
                        self.emit(Effect::Applied(done));
                        if applied.placing {
                            self.move_strays().await;
                        }
                    }
                    Ok(_) => self.emit(Effect::Applied(done)),
                    Err(e) => {
                        let _ =
                            done.send(Err(ApplyError::refused(format!("update rejected: {e}"))));
                        if e.poisoned() {
                            self.rebuild().await;
                        }
                    }
                }
            }
            ToDoc::Command {
                access,
                cmd,
                budget,
                reply,
            } => self.on_command(access, cmd, budget, reply).await,
            ToDoc::RefreshApprovals => self.refresh_approvals(),
            ToDoc::Ledger { reply } => {
                let view = self.full_view();
                let mut ledger = self.ledger.clone();
                ledger.prune(&view);
                let readiness = trust::readiness(&view, &ledger);
                self.emit(Effect::LedgerState(reply, ledger, readiness));
            }
            ToDoc::Disconnect {
                invite,
                code,
                reason,
            } => {
                let conns: Vec<ConnId> = self
                    .peers
                    .iter()
                    .filter(|(_, p)| p.access.invite == Some(invite))
                    .map(|(c, _)| *c)
                    .collect();
                for c in conns {
                    self.close_peer(c, CloseReason::new(code, reason.clone()));
                }
            }
            ToDoc::Read { state } => {
                let encode = |r: &Replica| {
                    r.doc()
                        .transact()
                        .encode_state_as_update_v1(&StateVector::default())
                };
                let live = LiveState {
                    main: encode(&self.minutes),
                    part2: encode(&self.part2),
                };
                self.emit(Effect::State(state, live));
            }
            ToDoc::MoveToPart2 {
                access,
                item,
                exemption,
                public_title,
                reply,
            } => {
                self.move_to_part2(access, item, exemption, public_title, reply)
                    .await
            }
            ToDoc::MoveToPart1 {
                access,
                item,
                reply,
            } => self.move_to_part1(access, item, reply).await,
        }
    }

    /// Stores an update already applied to the document (with the side writes it causes),
    /// relays it to every connection but `from` once durable, and starts any reference
    /// allocation it calls for.
    fn append(&mut self, part: Part, raw: Vec<u8>, from: ConnId) {
        let seq = self.gate.submit();
        let relay = raw.clone();
        // Client ids this update was the first to write under: their owners are stored
        // with it.
        let owners = self.client_ids(part).take_new();
        let owned = |doc: &Arc<str>| {
            (!owners.is_empty()).then(|| Meta::ClientOwners {
                doc: doc.clone(),
                owners,
            })
        };
        if part == Part::Restricted {
            // Part II has no other side records: the catalog and the action references
            // are the minutes' (an action raised in an exempt item gets no series
            // reference).
            self.part2.logged(raw.len());
            self.store.submit(
                WriteOp::Append {
                    doc: self.part2.key().clone(),
                    seq,
                    update: raw,
                    meta: owned(self.part2.key()).into_iter().collect(),
                },
                self.written_tx.clone(),
            );
            self.emit(Effect::Relay {
                from,
                update: relay,
                part,
                received: Instant::now(),
            });
            self.maybe_compact(self.policy.max_log_entries);
            return;
        }
        self.minutes.logged(raw.len());
        let mut side = self.side_writes();
        side.meta.extend(owned(self.minutes.key()));
        side.meta.extend(self.status_change_audit(from));
        self.store.submit(
            WriteOp::Append {
                doc: self.minutes.key().clone(),
                seq,
                update: raw,
                meta: side.meta,
            },
            self.written_tx.clone(),
        );
        self.emit(Effect::Relay {
            from,
            update: relay,
            part,
            received: Instant::now(),
        });
        self.start_allocation(side.allocate);
        self.maybe_compact(self.policy.max_log_entries);
    }

    /// The audit entries of the action status changes made by connection `from` (who and
    /// when, for the series' action log), stored with the update that made them.
    fn status_change_audit(&mut self, from: ConnId) -> Vec<Meta> {
        let doc = self.doc().clone();
        let changes = self.meeting.status_changes(&doc);
        let Some(peer) = self.peers.get(&from) else {
            return Vec::new();
        };
        let access = &peer.access;
        changes
            .into_iter()
            .map(|c| {
                Meta::Audit(audit::entry(
                    &self.store,
                    &self.name,
                    &access.name,
                    access.role,
                    "action-status",
                    format!("action {} {}: {} → {}", c.action, c.reference, c.from, c.to),
                ))
            })
            .collect()
    }

    /// Compares the header summary and the action map with what was last stored.
    fn side_writes(&mut self) -> SideWrites {
        let doc = self.doc().clone();
        self.meeting.side_writes(&doc, &self.name)
    }

    fn start_allocation(&mut self, allocate: Option<(WriteOp, Allocation)>) {
        if let Some((op, allocation)) = allocate {
            self.meeting
                .pending
                .extend(allocation.actions.iter().cloned());
            self.meeting.allocations.push_back(allocation);
            self.store.submit(op, self.written_tx.clone());
        }
    }

    /// Numbers were reserved: write them into their actions as one server change.
    fn on_allocated(&mut self, first: u32, count: u32) {
        let Some(allocation) = self.meeting.take_allocation() else {
            return;
        };
        if self.failed {
            return;
        }
        let assigned = self.server_change(Part::Minutes, |meeting, txn| {
            allocation.assign(meeting, txn, first, count)
        });
        if !assigned.is_empty() {
            tracing::info!(doc = %self.name, references = ?assigned, "action references assigned");
        }
    }

    /// Makes a change to document `part` as the server: applies `f` in one transaction,
    /// stores and relays it.
    fn server_change<R>(
        &mut self,
        part: Part,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> R,
    ) -> R {
        let meeting = match part {
            Part::Minutes => self.meeting.meeting.clone(),
            Part::Restricted => self.part2_meeting.clone(),
        };
        let (result, update) = {
            let mut txn = meeting.doc().transact_mut();
            let result = f(&meeting, &mut txn);
            let changed = txn.before_state() != txn.after_state() || !txn.delete_set().is_empty();
            (result, changed.then(|| txn.encode_update_v1()))
        };
        if let Some(update) = update {
            self.append(part, update, SERVER);
        }
        result
    }

    async fn on_incoming(&mut self, conn: ConnId, msg: Incoming) {
        let Some(part) = self.peers.get(&conn).map(|p| p.part) else {
            return;
        };
        match msg {
            Incoming::SyncStep1(sv) => {
                let diff = self.replica(part).doc().transact().encode_diff_v1(&sv);
                self.emit(Effect::To(
                    conn,
                    frame(&Message::Sync(SyncMessage::SyncStep2(diff))),
                ));
            }
            Incoming::Update(raw) => self.on_update(conn, raw).await,
            Incoming::Awareness(update) => self.on_awareness(conn, update),
            Incoming::QueryAwareness => {
                if let Some(states) = self.awareness_states(part) {
                    self.send_now(conn, states);
                }
            }
        }
    }

    async fn on_update(&mut self, conn: ConnId, raw: Vec<u8>) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        peer.received += 1;
        if self.outage {
            // Counted (acknowledgements count messages) but neither applied nor stored:
            // the client keeps it and sends it again when the disk heals.
            return;
        }
        let count = peer.received;
        let acks = peer.acks;
        let part = peer.part;
        // Content of the minutes as they were before a rebuild (an item moved into Part
        // II): an old copy, never to be merged again, whoever sends it.
        if part == Part::Minutes && part2::touches_retired(&raw, &self.retired).unwrap_or(false) {
            return self.close_peer(
                conn,
                CloseReason::new(
                    code::REBUILT,
                    "the minutes were rebuilt (an item moved into Part II): load them afresh",
                ),
            );
        }
        let owner = client_ids::owner(&peer.access);
        let refusal = if self.ledger.signed() {
            Some("the minutes are signed off and read-only")
        } else if !peer.access.edits() {
            Some("your role may not change the minutes")
        } else {
            None
        };
        // A refused role's update is only inspected (without yrs decoding it), never
        // applied.
        let doc = self.replica(part).doc().clone();
        let mut writers = Vec::new();
        if refusal.is_none() {
            writers = client_ids::writers(&doc, &raw);
            if let Some(client) = self.client_ids(part).foreign(&writers, &owner) {
                metrics::counter!(mnames::REJECTED_UPDATES, mnames::REASON => "foreign-client")
                    .increment(1);
                tracing::warn!(doc = %self.name, conn, client, "update refused: it writes under another member's client id");
                return self.close_peer(
                    conn,
                    CloseReason::new(
                        code::INVALID_PAYLOAD,
                        format!("update rejected: client id {client} is another member's"),
                    ),
                );
            }
        }
        let outcome = match refusal {
            Some(_) => updates::would_change(&doc, &raw).map(|changed| updates::Applied {
                changed,
                placing: false,
            }),
            None => updates::apply(&doc, &raw),
        };
        let applied = match outcome {
            Ok(applied) => applied,
            Err(e) => {
                metrics::counter!(mnames::REJECTED_UPDATES, mnames::REASON => e.kind())
                    .increment(1);
                if matches!(e, updates::UpdateError::Panicked(_)) {
                    tracing::error!(doc = %self.name, conn, error = %e, "decoding or applying an update panicked; discarding it");
                } else if e.poisoned() {
                    tracing::warn!(doc = %self.name, conn, error = %e, "update refused; the document is rebuilt from disk without it");
                } else {
                    tracing::warn!(doc = %self.name, conn, error = %e, "update refused as invalid");
                }
                self.close_peer(
                    conn,
                    CloseReason::new(code::INVALID_PAYLOAD, format!("update rejected: {e}")),
                );
                if e.poisoned() && refusal.is_none() {
                    self.rebuild().await;
                }
                return;
            }
        };
        match (refusal, applied.changed) {
            (Some(reason), true) => return self.reject(conn, count, reason),
            (None, true) => {
                self.client_ids(part).claim(&writers, &owner);
                self.append(part, raw, conn)
            }
            // Nothing new (e.g. a read-only client's sync step 2): acknowledged below once
            // what it duplicates is durable.
            (_, false) => {}
        }
        if acks {
            self.emit(Effect::Saved(conn, count));
        }
        // Content the update may have put under an exempt item leaves the minutes before
        // anything of it is relayed (the move closes every connection to them).
        if part == Part::Minutes && applied.changed && applied.placing {
            self.move_strays().await;
        }
    }

    /// The client-id owners of document `part`.
    fn client_ids(&mut self, part: Part) -> &mut client_ids::ClientIds {
        match part {
            Part::Minutes => &mut self.client_ids,
            Part::Restricted => &mut self.client_ids2,
        }
    }

    /// Refuses a write: tells the sender why, audits it, and closes a persistent offender.
    fn reject(&mut self, conn: ConnId, count: u64, reason: &str) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        peer.rejections += 1;
        metrics::counter!(mnames::REFUSED_WRITES).increment(1);
        let rejections = peer.rejections;
        let acks = peer.acks;
        let access = peer.access.clone();
        tracing::warn!(doc = %self.name, conn, actor = %access.name, reason, "write refused");
        self.audit_refusal(&access, &format!("write to the minutes refused: {reason}"));
        // Tag 102 is part of `minutebook.v1`; plain Yjs clients never see it (only the
        // close, for a persistent offender).
        if acks {
            let msg = protocol::rejected(&Rejected {
                count,
                reason: reason.to_string(),
            });
            self.emit(Effect::To(conn, frame(&msg)));
        }
        if rejections >= MAX_REJECTIONS {
            self.close_peer(
                conn,
                CloseReason::new(
                    code::POLICY_VIOLATION,
                    format!("too many refused writes: {reason}"),
                ),
            );
        }
    }

    /// Audits a refusal in the ordered write stream — the first of its kind from this
    /// session in the current window; repeats are counted and written at its end.
    fn audit_refusal(&mut self, access: &Access, what: &str) {
        let refusal = refusals::Refusal {
            caller: access.session.as_deref().unwrap_or(&access.name),
            actor: &access.name,
            role: access.role,
            meeting: &self.name,
            what,
        };
        if self.refusals.note(&refusal) {
            let entry = audit::entry(
                &self.store,
                &self.name,
                &access.name,
                access.role,
                "rejected",
                what,
            );
            self.audit_ordered(entry);
        }
    }

    /// Stores audit entries in the document's ordered write stream, so what is emitted
    /// after them is released only once they are durable.
    fn audit_ordered(&mut self, entry: trust::AuditEntry) {
        let seq = self.gate.submit();
        self.store.submit(
            WriteOp::Audit {
                seq,
                entries: vec![entry],
            },
            self.written_tx.clone(),
        );
    }

    /// The ledger as clients see it: without the confirmations that no longer count
    /// (of people no longer among a statement's speakers). The next ledger change drops
    /// them from the stored ledger too; changes that drop them again are harmless.
    fn shown_ledger(&self) -> Ledger {
        let view = self.full_view();
        let mut ledger = self.ledger.clone();
        ledger.prune(&view);
        ledger
    }

    /// Decides a ledger command and carries it out as one durable step.
    async fn on_command(
        &mut self,
        access: Access,
        cmd: Command,
        budget: LedgerBudget,
        reply: oneshot::Sender<Result<CommandOk, Refusal>>,
    ) {
        if self.failed {
            let _ = reply.send(Err(Refusal::Unavailable(
                "storage failure; try again".into(),
            )));
            return;
        }
        let now = now_ms();
        let view = self.full_view();
        let decision = match crate::docs::ledger::decide(
            &self.ledger,
            &view,
            &access,
            &cmd,
            now,
            &budget,
        ) {
            Ok(decision) => decision,
            Err(refusal) => {
                tracing::warn!(doc = %self.name, actor = %access.name, event = cmd.event(), %refusal, "command refused");
                self.audit_refusal(&access, &format!("{} refused: {refusal}", cmd.event()));
                self.emit(Effect::Refused(reply, refusal));
                return;
            }
        };
        if decision.unchanged {
            // Ordered behind any write still in flight, like every answer.
            let shown = self.shown_ledger();
            self.emit(Effect::Reply(reply, CommandOk::Ledger(shown)));
            return;
        }
        let Decision {
            mut ledger,
            detail,
            set_text,
            sign,
            resolution_text,
            records: mut approvals,
            unchanged: _,
        } = decision;
        if let Some(text) = resolution_text {
            self.server_change(Part::Minutes, |meeting, txn| {
                record_resolution(meeting, txn, &text)
            });
        }
        if let Some((block, text)) = set_text {
            // The statement is in the minutes or, inside an exempt item, in Part II.
            let block = minutebook_shared::meeting::model::BlockId(block);
            let in_minutes = self.server_change(Part::Minutes, |meeting, txn| {
                meeting.set_block_text(txn, &block, &text).is_ok()
            });
            if !in_minutes {
                self.server_change(Part::Restricted, |meeting, txn| {
                    let _ = meeting.set_block_text(txn, &block, &text);
                });
            }
        }
        let mut version = None;
        if let Some(number) = sign {
            let override_reason = match &cmd {
                Command::SignOff { override_reason } => override_reason.clone(),
                _ => String::new(),
            };
            let stamp = crate::docs::ledger::stamp(&access, now);
            match self
                .build_version(&ledger, number, stamp, override_reason)
                .await
            {
                Ok(signed) => {
                    ledger.versions.push(signed.info.clone());
                    // A later meeting agreed the minutes subject to amendments: this
                    // version, which the chair signed after applying them, completes it.
                    if let Some(pending) = ledger.pending_amendments().cloned() {
                        let done = Approval {
                            amended: Some(AmendedVersion {
                                version: signed.info.version,
                                sha256: signed.info.sha256.clone(),
                                signed: signed.info.signed.clone(),
                            }),
                            ..pending
                        };
                        Ledger::note_approval(&mut ledger.approvals, done.clone());
                        approvals.push(done);
                    }
                    version = Some(signed);
                }
                Err(e) => {
                    tracing::error!(doc = %self.name, error = %e, "building the signed version failed");
                    self.emit(Effect::Refused(
                        reply,
                        Refusal::Unavailable(format!("could not build the signed version: {e}")),
                    ));
                    return;
                }
            }
        }
        let audit = audit::entry(
            &self.store,
            &self.name,
            &access.name,
            access.role,
            cmd.event(),
            detail,
        );
        let old = std::mem::replace(&mut self.ledger, ledger.clone());
        let seq = self.gate.submit();
        let answer = match &version {
            Some(v) => CommandOk::Version(v.info.clone()),
            None => CommandOk::Ledger(ledger.clone()),
        };
        let broadcast = Effect::Ledger(Box::new(old), Box::new(ledger.clone()));
        self.store.submit(
            WriteOp::Ledger {
                doc: self.name.clone(),
                seq,
                ledger: Box::new(ledger),
                version: version.map(Box::new),
                audit: vec![audit],
                records: approvals.iter().map(approval_record).collect(),
            },
            self.written_tx.clone(),
        );
        self.emit(broadcast);
        self.emit(Effect::Reply(reply, answer));
    }

    /// Reads the approval records concerning this meeting again (another meeting's actor
    /// wrote one) and, when they changed, stores and sends the ledger with them.
    fn refresh_approvals(&mut self) {
        if self.failed {
            return;
        }
        let all = match self.store.approvals() {
            Ok(all) => all,
            Err(e) => {
                tracing::error!(doc = %self.name, error = %e, "reading approvals failed");
                return;
            }
        };
        let mut ledger = self.ledger.clone();
        (ledger.approvals, ledger.resolutions) = crate::store::approvals_of(&all, &self.name);
        if ledger == self.ledger {
            return;
        }
        ledger.revision += 1;
        let old = std::mem::replace(&mut self.ledger, ledger.clone());
        let broadcast = Effect::Ledger(Box::new(old), Box::new(ledger.clone()));
        let seq = self.gate.submit();
        self.store.submit(
            WriteOp::Ledger {
                doc: self.name.clone(),
                seq,
                ledger: Box::new(ledger),
                version: None,
                audit: Vec::new(),
                records: Vec::new(),
            },
            self.written_tx.clone(),
        );
        self.emit(broadcast);
    }

    /// The signed version of the document as it stands, with the decided `ledger`: its
    /// canonical Markdown (ending with the sign-off facts, so the hash covers them), the
    /// hash, the whole state and the frozen HTML page.
    ///
    /// Rendering and hashing are proportional to the meeting's size, so they run on the
    /// blocking pool ([`cpu::run`]); the actor awaits them, so nothing is ordered between
    /// the decision and the write, and no async worker stalls meanwhile.
    async fn build_version(
        &self,
        ledger: &Ledger,
        number: u32,
        signed: trust::Stamp,
        override_reason: String,
    ) -> Result<SignedVersion, cpu::CpuError> {
        let (meeting, part2, ledger, name) = (
            self.meeting.meeting.clone(),
            self.part2_meeting.clone(),
            ledger.clone(),
            self.name.clone(),
        );
        cpu::run(move || {
            version_export::sign(
                &meeting,
                &part2,
                &ledger,
                &name,
                number,
                signed,
                override_reason,
            )
        })
        .await
    }

    /// An awareness message: applied to [`Presence`] (which keeps ownership, limits and
    /// the verified identity); what changed is relayed to everyone, the sender included
    /// (y-websocket clients rely on the echo), within the sender's rate. Messages that
    /// change nothing (a y-websocket client echoing others' states) cost no rate.
    fn on_awareness(&mut self, conn: ConnId, update: AwarenessUpdate) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        let part = peer.part;
        let presence = match part {
            Part::Minutes => &mut self.presence,
            Part::Restricted => &mut self.presence2,
        };
        let applied = match presence.apply(conn, &peer.speaker, update, &peer.awareness) {
            Ok(applied) => applied,
            Err(reason) => return self.close_peer(conn, reason),
        };
        if applied.foreign > 0 {
            tracing::debug!(doc = %self.name, conn, dropped = applied.foreign, "dropped awareness states of other sessions' client ids");
        }
        let Some(update) = applied.relay else {
            return;
        };
        if !peer.awareness_rate.allow(Instant::now()) {
            let reason = format!(
                "awareness flood: more than {} changes a second",
                peer.awareness.per_second
            );
            // Its states are removed (and that is relayed) as it leaves.
            return self.close_peer(conn, CloseReason::new(code::POLICY_VIOLATION, reason));
        }
        self.broadcast_now(part, frame(&Message::Awareness(update)));
    }

    fn awareness_states(&mut self, part: Part) -> Option<Bytes> {
        let update = self.presence_of(part).current()?;
        Some(frame(&Message::Awareness(update)))
    }

    /// Sends an ephemeral frame (awareness) to every connection of document `part` now.
    fn broadcast_now(&mut self, part: Part, frame: Bytes) {
        let conns: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.part == part)
            .map(|(c, _)| *c)
            .collect();
        for c in conns {
            self.send_now(c, frame.clone());
        }
    }

    /// Sends a state-revealing effect now, or queues it until the store catches up.
    fn emit(&mut self, effect: Effect) {
        if let Some(effect) = self.gate.pass(effect) {
            self.perform(effect);
        }
    }

    fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::To(conn, frame) => self.send_now(conn, frame),
            Effect::Relay {
                from,
                update,
                part,
                received,
            } => self.relay_run(vec![relays::Relay {
                from,
                update,
                part,
                received,
            }]),
            Effect::Saved(conn, count) => self.send_now(conn, frame(&protocol::saved(count))),
            Effect::Applied(done) => {
                let _ = done.send(Ok(()));
            }
            Effect::State(reply, state) => {
                let _ = reply.send(state);
            }
            Effect::Moved(reply, moved) => {
                let _ = reply.send(Ok(moved));
            }
            Effect::Ledger(old, new) => {
                let targets: Vec<(ConnId, bool, Option<String>)> = self
                    .peers
                    .iter()
                    .filter(|(_, p)| p.acks && p.part == Part::Minutes)
                    .map(|(c, p)| (*c, p.access.restricted, p.access.person.clone()))
                    .collect();
                let full = frame(&protocol::ledger_change(&old.change_to(&new)));
                // Without restricted access: nothing of Part II's statements but one's own.
                let view = targets
                    .iter()
                    .any(|(_, restricted, _)| !restricted)
                    .then(|| self.full_view());
                let mut filtered: HashMap<Option<String>, Bytes> = HashMap::new();
                for (conn, restricted, person) in targets {
                    let out = match (&view, restricted) {
                        (Some(view), false) => filtered
                            .entry(person.clone())
                            .or_insert_with(|| {
                                let hidden = trust::part2_hidden(view, person.as_deref());
                                let change = old.without(&hidden).change_to(&new.without(&hidden));
                                frame(&protocol::ledger_change(&change))
                            })
                            .clone(),
                        _ => full.clone(),
                    };
                    self.send_now(conn, out);
                }
            }
            Effect::Reply(reply, answer) => {
                let _ = reply.send(Ok(answer));
            }
            Effect::Refused(reply, refusal) => {
                let _ = reply.send(Err(refusal));
            }
            Effect::LedgerState(reply, ledger, readiness) => {
                let _ = reply.send((ledger, readiness));
            }
        }
    }

    fn send_now(&mut self, conn: ConnId, frame: Bytes) {
        if let Some(peer) = self.peers.get(&conn) {
            if peer.outbox.send(frame).is_err() {
                tracing::warn!(doc = %self.name, conn, "disconnecting a client that cannot keep up");
                self.dropped.push(conn);
            }
        }
    }

    /// Removes connections that were closed while sending (may cascade through awareness).
    fn reap(&mut self) {
        while let Some(conn) = self.dropped.pop() {
            self.remove_peer(conn);
        }
    }

    fn close_peer(&mut self, conn: ConnId, reason: CloseReason) {
        tracing::warn!(doc = %self.name, conn, code = reason.code, reason = %reason.reason, "closing connection");
        if let Some(peer) = self.peers.get(&conn) {
            peer.outbox.close(reason);
        }
        self.remove_peer(conn);
    }

    fn remove_peer(&mut self, conn: ConnId) {
        let Some(peer) = self.peers.remove(&conn) else {
            return;
        };
        peer.outbox.close(CloseReason::new(code::NORMAL, "bye"));
        // As y-protocols' server does: a null state at the client's *current* clock, for
        // the ids no other connection of the same session still holds.
        if let Some(update) = self.presence_of(peer.part).leave(conn) {
            self.broadcast_now(peer.part, frame(&Message::Awareness(update)));
        }
    }

    /// Handles `first` and every completion already waiting behind it. The completions
    /// of one group commit arrive together: their effects are released at once (so a
    /// commit's relays go out coalesced, [`relays`]).
    async fn on_completions(&mut self, first: Completion) {
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match self.written_rx.try_recv() {
                Ok(done) => batch.push(done),
                Err(_) => break,
            }
        }
        // Writes complete in order, so "durable up to" the last of a run covers the run.
        let mut upto: Option<u64> = None;
        for done in batch {
            match done {
                Ok(Written::Appended(seq)) => upto = Some(upto.map_or(seq, |u| u.max(seq))),
                other => {
                    if let Some(seq) = upto.take() {
                        self.on_written(Ok(Written::Appended(seq)));
                    }
                    match other {
                        Ok(Written::Probe) => self.leave_outage().await,
                        other => self.on_written(other),
                    }
                }
            }
        }
        if let Some(seq) = upto {
            self.on_written(Ok(Written::Appended(seq)));
        }
    }

    fn on_written(&mut self, done: Completion) {
        let released = match done {
            Ok(Written::Appended(seq)) => self.gate.durable_up_to(seq),
            Ok(Written::Compacted(_)) => {
                // One compaction is in flight at a time: this was it.
                self.minutes.compacted();
                self.part2.compacted();
                return;
            }
            Ok(Written::Meta) | Ok(Written::Probe) => return,
            Ok(Written::Allocated { first, count }) => {
                self.on_allocated(first, count);
                return;
            }
            Err(e) if self.outage => {
                self.probe_failed();
                tracing::debug!(doc = %self.name, error = %e, "the disk still fails");
                return;
            }
            Err(e) if e.is_io() => {
                self.enter_outage(&e);
                return;
            }
            Err(e) => {
                tracing::error!(doc = %self.name, error = %e, "storage failed; disconnecting everyone");
                self.failed = true;
                self.minutes.compacted();
                self.part2.compacted();
                self.gate.fail();
                self.meeting.allocations.clear();
                self.meeting.pending.clear();
                let conns: Vec<ConnId> = self.peers.keys().copied().collect();
                for c in conns {
                    self.close_peer(
                        c,
                        CloseReason::new(code::INTERNAL_ERROR, "storage failure; reconnect later"),
                    );
                }
                return;
            }
        };
        // "Saved" counts are cumulative: per connection, only the last one released by
        // this commit needs to go out (one frame per commit, not one per update).
        let mut last_saved: HashMap<ConnId, u64> = HashMap::new();
        for effect in &released {
            if let Effect::Saved(conn, count) = effect {
                last_saved.insert(*conn, *count);
            }
        }
        self.perform_released(released, |effect| {
            matches!(effect, Effect::Saved(conn, count) if last_saved.get(conn) != Some(count))
        });
    }

    /// Starts a compaction if the log is longer than `max_entries` (or too many bytes).
    /// Returns whether one was started.
    fn maybe_compact(&mut self, max_entries: usize) -> bool {
        if self.failed || self.minutes.compacting() || self.part2.compacting() {
            return false;
        }
        let upto = self.gate.submitted();
        let op = match self.minutes.compaction(&self.policy, max_entries, upto) {
            Some(op) => Some(op),
            None => self.part2.compaction(&self.policy, max_entries, upto),
        };
        match op {
            Some(op) => {
                self.store.submit(op, self.written_tx.clone());
                true
            }
            None => false,
        }
    }

    /// After a panic inside yrs the in-memory document is suspect: wait until everything
    /// applied before it is durable, then reload from disk (which never saw the bad update).
    async fn rebuild(&mut self) {
        while !self.gate.settled() && !self.failed {
            match self.written_rx.recv().await {
                Some(done) => self.on_written(done),
                None => break,
            }
        }
        match self.reload_documents().await {
            Ok(()) => tracing::info!(doc = %self.name, "document rebuilt from disk after a panic"),
            Err(e) => {
                tracing::error!(doc = %self.name, error = %e, "rebuilding document failed");
                self.on_written(Err(e));
            }
        }
    }

    /// Replaces both documents in memory with what is on disk (nothing is changed if
    /// either cannot be read).
    async fn reload_documents(&mut self) -> Result<(), StoreError> {
        let stored = load_stored(&self.store, &self.name).await?;
        let key2 = self.part2.key().clone();
        let stored2 = load_stored(&self.store, &key2).await?;
        self.minutes.reload(&stored);
        self.part2.reload(&stored2);
        self.part2_meeting = Meeting::new(self.part2.doc().clone());
        let doc = self.doc().clone();
        self.meeting.rebind(&doc);
        Ok(())
    }
}

/// A connection's verified identity for presence: its session (or, without one, its
/// connection), name and role.
fn speaker(conn: ConnId, access: &Access) -> Speaker {
    let session = access
        .session
        .clone()
        .unwrap_or_else(|| format!("connection {conn}"));
    let role = match access.role {
        Some(role) => role.as_str().to_owned(),
        None if access.admin => "administrator".to_owned(),
        None => String::new(),
    };
    Speaker {
        session: session.into(),
        name: access.name.clone(),
        role,
    }
}

fn frame(msg: &Message) -> Bytes {
    Bytes::from(protocol::encode(msg))
}

async fn load_stored(store: &Store, name: &Arc<str>) -> Result<StoredDoc, StoreError> {
    let (store, name) = (store.clone(), name.clone());
    tokio::task::spawn_blocking(move || store.load(&name))
        .await
        .unwrap_or_else(|e| Err(StoreError::from_join(e)))
}

/// The store record of an approval ([`crate::store::APPROVAL_RECORDS`]).
fn approval_record(a: &Approval) -> crate::store::Record {
    crate::store::Record::Put {
        kind: crate::store::APPROVAL_RECORDS,
        key: a.key(),
        json: serde_json::to_vec(a).unwrap_or_default(),
    }
}

/// Adds the resolution on the previous minutes as a decision at the end of the item
/// where they are agreed (a new first item when the agenda has none).
fn record_resolution(meeting: &Meeting, txn: &mut TransactionMut, text: &str) {
    use minutebook_shared::meeting::model::BlockKind;
    use minutebook_shared::meeting::series::{is_previous_minutes, PREVIOUS_MINUTES};
    let view = meeting.view(txn);
    let found = view
        .items
        .iter()
        .find(|i| i.depth == 0 && is_previous_minutes(&i.title))
        .map(|i| (i.id.clone(), i.blocks.len()));
    let (item, at) = match found {
        Some(found) => found,
        None => match meeting.insert_item(txn, None, 0, PREVIOUS_MINUTES) {
            Ok(id) => (id, 0),
            Err(e) => {
                tracing::error!(error = %e, "could not add the previous minutes item");
                return;
            }
        },
    };
    if let Err(e) = meeting.insert_block(txn, &item, at, BlockKind::Decision, text) {
        tracing::error!(error = %e, "could not record the resolution in the minutes");
    }
}
