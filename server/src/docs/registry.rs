//! The registry of loaded documents: finds a document's actor, spawning (and loading) it
//! on first use. Only joining a document takes the registry's lock — never the
//! per-update hot path, which goes straight from a connection to its actor's channel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use crate::auth::refusals::{RefusalPolicy, Refusals};
use crate::auth::Access;
use crate::docs::actor::DocActor;
use crate::docs::ledger::{Command, LedgerBudget, Refusal};
use crate::docs::messages::{
    ApplyError, CommandOk, ConnId, Incoming, JoinError, LiveState, Part, ToDoc,
};
use crate::docs::outbox::Outbox;
use crate::docs::presence::AwarenessLimits;
use crate::docs::replica::CompactionPolicy;
use crate::store::Store;
use minutebook_shared::meeting::model::ItemId;
use minutebook_shared::meeting::part2::Moved;
use minutebook_shared::meeting::Exemption;
use minutebook_shared::trust::{Ledger, Readiness};

/// Messages a document actor buffers before connections wait to send more.
const ACTOR_QUEUE: usize = 1024;

/// A connection's line to the actor of the document it joined.
#[derive(Clone)]
pub struct DocHandle {
    conn: ConnId,
    tx: mpsc::Sender<ToDoc>,
}

/// The actor is gone (its document failed and unloaded).
#[derive(Debug)]
pub struct ActorGone;

impl DocHandle {
    /// Sends a decoded message; waits if the actor is behind (backpressure on the reader).
    pub async fn send(&self, msg: Incoming) -> Result<(), ActorGone> {
        self.tx
            .send(ToDoc::Incoming {
                conn: self.conn,
                msg,
            })
            .await
            .map_err(|_| ActorGone)
    }

    /// Tells the actor this connection has gone.
    pub async fn leave(&self) {
        let _ = self.tx.send(ToDoc::Leave { conn: self.conn }).await;
    }
}

struct Entry {
    generation: u64,
    tx: mpsc::Sender<ToDoc>,
}

struct Inner {
    docs: Mutex<HashMap<Arc<str>, Entry>>,
    generations: AtomicU64,
    store: Store,
    policy: CompactionPolicy,
    ledger_budget: LedgerBudget,
    actors: TaskTracker,
    /// Aggregates repeated refusals for the audit log (shared with the HTTP side).
    refusals: Refusals,
    /// Serialises the decisions that span two meetings' ledgers: a resolution on the
    /// previous minutes, and the reopening or signing of minutes a resolution concerns.
    approvals: tokio::sync::Mutex<()>,
}

/// Shared handle to the registry.
#[derive(Clone)]
pub struct Registry(Arc<Inner>);

impl Registry {
    pub fn new(store: Store, policy: CompactionPolicy) -> Self {
        Self::with(
            store,
            policy,
            LedgerBudget::default(),
            Refusals::new(RefusalPolicy::default()),
        )
    }

    /// A registry whose meetings' ledgers are limited by `ledger_budget` and whose actors
    /// count repeated refusals in `refusals`.
    pub fn with(
        store: Store,
        policy: CompactionPolicy,
        ledger_budget: LedgerBudget,
        refusals: Refusals,
    ) -> Self {
        Registry(Arc::new(Inner {
            docs: Mutex::new(HashMap::new()),
            generations: AtomicU64::new(0),
            store,
            policy,
            ledger_budget,
            actors: TaskTracker::new(),
            refusals,
            approvals: tokio::sync::Mutex::new(()),
        }))
    }

    /// Joins connection `conn` to document `name`; the actor then sends it the opening
    /// sync messages through `outbox`.
    #[allow(clippy::too_many_arguments)]
    pub async fn join(
        &self,
        name: &str,
        part: Part,
        conn: ConnId,
        outbox: Outbox,
        acks: bool,
        access: Access,
        awareness: AwarenessLimits,
    ) -> Result<DocHandle, JoinError> {
        // A join can race with the actor unloading; the retry then loads a fresh one.
        for _ in 0..8 {
            let tx = self.actor(name);
            let (joined, answer) = oneshot::channel();
            let join = ToDoc::Join {
                conn,
                part,
                outbox: outbox.clone(),
                acks,
                access: access.clone(),
                awareness: awareness.clone(),
                joined,
            };
            if tx.send(join).await.is_err() {
                continue;
            }
            match answer.await {
                Ok(Ok(())) => return Ok(DocHandle { conn, tx }),
                Ok(Err(JoinError::Busy)) | Err(_) => continue,
                Ok(Err(e)) => return Err(e),
            }
        }
        Err(JoinError::Busy)
    }

    /// Applies an update from the server itself to document `name` (loading it if needed);
    /// returns once it is durable and relayed to the document's connections.
    pub async fn apply(&self, name: &str, update: Vec<u8>) -> Result<(), ApplyError> {
        for _ in 0..8 {
            let tx = self.actor(name);
            let (done, answer) = oneshot::channel();
            let msg = ToDoc::Apply {
                update: update.clone(),
                done,
            };
            if tx.send(msg).await.is_err() {
                continue;
            }
            match answer.await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => return Err(e),
                // The actor unloaded (or failed) without applying it: a fresh one will.
                Err(_) => continue,
            }
        }
        Err(ApplyError::unavailable("document is busy; try again"))
    }

    /// Runs a ledger command on meeting `name` (loading it if needed); answers once durable.
    pub async fn command(
        &self,
        name: &str,
        access: &Access,
        cmd: Command,
    ) -> Result<CommandOk, Refusal> {
        let budget = self.0.ledger_budget;
        self.ask(name, |reply| ToDoc::Command {
            access: access.clone(),
            cmd: cmd.clone(),
            budget,
            reply,
        })
        .await
    }

    /// Moves item `item` of meeting `name` into Part II ([`crate::docs::part2`]);
    /// answered once durable.
    pub async fn move_to_part2(
        &self,
        name: &str,
        access: &Access,
        item: ItemId,
        exemption: Exemption,
        public_title: String,
    ) -> Result<Moved, Refusal> {
        self.ask(name, |reply| ToDoc::MoveToPart2 {
            access: access.clone(),
            item: item.clone(),
            exemption: exemption.clone(),
            public_title: public_title.clone(),
            reply,
        })
        .await
    }

    /// Moves exempt item `item` of meeting `name` back into the minutes (Part I);
    /// answered once durable.
    pub async fn move_to_part1(
        &self,
        name: &str,
        access: &Access,
        item: ItemId,
    ) -> Result<Moved, Refusal> {
        self.ask(name, |reply| ToDoc::MoveToPart1 {
            access: access.clone(),
            item: item.clone(),
            reply,
        })
        .await
    }

    /// Sends `make(reply)` to meeting `name`'s actor and waits for the answer, retrying
    /// when the actor was unloading.
    async fn ask<R>(
        &self,
        name: &str,
        make: impl Fn(oneshot::Sender<Result<R, Refusal>>) -> ToDoc,
    ) -> Result<R, Refusal> {
        for _ in 0..8 {
            let tx = self.actor(name);
            let (reply, answer) = oneshot::channel();
            if tx.send(make(reply)).await.is_err() {
                continue;
            }
            match answer.await {
                Ok(result) => return result,
                Err(_) => continue,
            }
        }
        Err(Refusal::Unavailable(
            "the meeting is busy; try again".into(),
        ))
    }

    /// The ledger of meeting `name` and its readiness, from its actor (loading it).
    pub async fn ledger(&self, name: &str) -> Option<(Ledger, Readiness)> {
        for _ in 0..8 {
            let tx = self.actor(name);
            let (reply, answer) = oneshot::channel();
            if tx.send(ToDoc::Ledger { reply }).await.is_err() {
                continue;
            }
            if let Ok(found) = answer.await {
                return Some(found);
            }
        }
        None
    }

    /// Held across a decision that spans two meetings' ledgers (see `Inner::approvals`).
    pub async fn approvals_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.0.approvals.lock().await
    }

    /// Has meeting `name`, if loaded, read its approval records again (one was written
    /// for it by another meeting); a meeting not loaded reads them when it loads.
    pub async fn refresh_approvals(&self, name: &str) {
        let tx = {
            let docs = self.0.docs.lock().unwrap_or_else(|p| p.into_inner());
            docs.get(name).map(|e| e.tx.clone())
        };
        if let Some(tx) = tx {
            let _ = tx.send(ToDoc::RefreshApprovals).await;
        }
    }

    /// Closes the connections to `name` that joined through invitation `invite`.
    pub async fn disconnect(&self, name: &str, invite: u64, code: u16, reason: &str) {
        let tx = {
            let docs = self.0.docs.lock().unwrap_or_else(|p| p.into_inner());
            docs.get(name).map(|e| e.tx.clone())
        };
        if let Some(tx) = tx {
            let _ = tx
                .send(ToDoc::Disconnect {
                    invite,
                    code,
                    reason: reason.to_string(),
                })
                .await;
        }
    }

    /// The current state of meeting `name` if it is loaded (once everything in it is
    /// durable); `None` when it is not loaded.
    pub async fn read_loaded(&self, name: &str) -> Option<LiveState> {
        let tx = {
            let docs = self.0.docs.lock().unwrap_or_else(|p| p.into_inner());
            docs.get(name)
                .filter(|e| !e.tx.is_closed())
                .map(|e| e.tx.clone())?
        };
        let (state, answer) = oneshot::channel();
        tx.send(ToDoc::Read { state }).await.ok()?;
        answer.await.ok()
    }

    /// Whether document `name` is loaded.
    pub fn is_loaded(&self, name: &str) -> bool {
        let docs = self.0.docs.lock().unwrap_or_else(|p| p.into_inner());
        docs.contains_key(name)
    }

    /// The store behind every document.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The refusal counter shared by every actor and the HTTP side.
    pub fn refusals(&self) -> &Refusals {
        &self.0.refusals
    }

    fn actor(&self, name: &str) -> mpsc::Sender<ToDoc> {
        let mut docs = self.0.docs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = docs.get(name) {
            if !entry.tx.is_closed() {
                return entry.tx.clone();
            }
        }
        let name: Arc<str> = name.into();
        let generation = self.0.generations.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(ACTOR_QUEUE);
        docs.insert(
            name.clone(),
            Entry {
                generation,
                tx: tx.clone(),
            },
        );
        let run = DocActor::run(
            name.clone(),
            self.0.store.clone(),
            self.0.policy.clone(),
            rx,
            self.0.refusals.clone(),
        );
        let registry = self.clone();
        self.0.actors.spawn(async move {
            run.await;
            registry.unregister(&name, generation);
        });
        tx
    }

    /// Removes a finished actor's entry (only its own: a fresh actor may have replaced
    /// it since it closed its mailbox).
    fn unregister(&self, name: &str, generation: u64) {
        let mut docs = self.0.docs.lock().unwrap_or_else(|p| p.into_inner());
        if docs.get(name).is_some_and(|e| e.generation == generation) {
            docs.remove(name);
        }
    }

    /// Number of documents currently loaded in memory.
    pub fn loaded(&self) -> usize {
        self.0.docs.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Waits for every actor to finish (after all connections are gone).
    pub async fn wait_unloaded(&self) {
        self.0.actors.close();
        self.0.actors.wait().await;
    }
}
