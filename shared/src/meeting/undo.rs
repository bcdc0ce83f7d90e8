//! Undo and redo of this client's own changes to a meeting ([`History`]).
//!
//! Every local change is made in a transaction with origin [`LOCAL_ORIGIN`]; the history
//! is a `yrs::UndoManager` over the meeting's root maps that tracks only that origin. So
//! undo reverts what this person did — text, and structure: items and blocks added,
//! deleted, moved or indented, kinds, speakers, actions — and never another person's edits
//! or the server's (those arrive with other origins). Where someone else has edited what
//! is undone, the CRDT merges: their words stay.
//!
//! Changes made within [`CAPTURE_MS`] of each other form one step (typing a sentence is one
//! undo, not one per letter); [`History::stop_capturing`] ends a step early (after a
//! structural change, so that undo takes back exactly it).

use std::collections::HashSet;
use std::sync::Arc;

use yrs::undo::Options;
use yrs::{Origin, Transact, UndoManager};

use super::Meeting;

/// The origin of this client's own transactions (the only ones undo takes back).
pub const LOCAL_ORIGIN: &str = "minutebook/local";

/// Changes closer together than this (ms) are one undo step.
pub const CAPTURE_MS: u64 = 500;

/// The undo and redo stacks of this client's changes to one meeting.
pub struct History {
    doc: yrs::Doc,
    manager: UndoManager,
}

impl History {
    /// A history of `meeting`'s local changes; `clock` gives the time in milliseconds (the
    /// browser has no `SystemTime`). Create it while no transaction is open.
    pub fn new(meeting: &Meeting, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        let mut tracked_origins = HashSet::new();
        tracked_origins.insert(Origin::from(LOCAL_ORIGIN));
        let options = Options {
            capture_timeout_millis: CAPTURE_MS,
            tracked_origins,
            capture_transaction: None,
            timestamp: Arc::new(clock),
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        };
        let mut manager = UndoManager::with_options(options);
        let doc = meeting.doc();
        for root in [
            &meeting.header,
            &meeting.people,
            &meeting.minute_takers,
            &meeting.items,
            &meeting.blocks,
            &meeting.actions,
        ] {
            manager.expand_scope(doc, root);
        }
        History {
            doc: doc.clone(),
            manager,
        }
    }

    /// Whether a transaction could be opened now. yrs's undo waits for the document's
    /// lock, and in a browser (one thread) a wait never ends: refuse instead.
    fn free(&self) -> bool {
        self.doc.try_transact_mut().is_ok()
    }

    /// Takes back the last step of this client's changes; whether anything changed
    /// (nothing while a transaction is open).
    pub fn undo(&mut self) -> bool {
        self.free() && self.manager.undo_blocking()
    }

    /// Does again the last step undone; whether anything changed (nothing while a
    /// transaction is open).
    pub fn redo(&mut self) -> bool {
        self.free() && self.manager.redo_blocking()
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        self.manager.can_undo()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        self.manager.can_redo()
    }

    /// The next change starts a new step.
    pub fn stop_capturing(&mut self) {
        self.manager.reset();
    }

    /// Forgets both stacks (the page turned read-only).
    pub fn clear(&mut self) {
        self.manager.clear_all();
    }
}

#[cfg(test)]
mod tests;
