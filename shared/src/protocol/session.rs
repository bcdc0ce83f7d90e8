//! The sync session: the client side of the protocol, sans-IO, driven by both clients —
//! the browser's provider (`client/src/sync.rs`) and the native [`crate::client`].
//!
//! A driver owns the socket and the document and tells the session what happened: a
//! connection opened ([`SyncSession::opened`], whose answer is the sync step 1 to send) or
//! closed, a local change was made, a message was sent ([`SyncSession::sent`]), a frame
//! arrived ([`SyncSession::receive`], which does the bookkeeping and says what the
//! driver must do with it). The session keeps what both clients report: whether the
//! handshake is done, which local changes are durable (`MSG_SAVED`, [`coverage`]),
//! which were refused (`MSG_REJECTED`), and so the [`SaveState`] a user is shown.
//!
//! Handshake: on open the client sends sync step 1 with its state vector; it answers the
//! server's sync step 1 with a sync step 2 ([`step2`]); the server's sync step 2 (applied
//! by the driver, which then calls [`SyncSession::synced`]) completes it.

mod coverage;
mod save_state;
#[cfg(test)]
mod tests;

use yrs::{ReadTxn, StateVector};

use super::{
    parse_ledger, parse_ledger_change, parse_rejected, parse_saved, AwarenessUpdate, Message,
    Rejected, SyncMessage, MSG_LEDGER, MSG_LEDGER_CHANGE, MSG_REJECTED, MSG_SAVED, MSG_STORAGE,
};
use crate::trust::{Ledger, LedgerChange};
use coverage::Coverage;
pub use save_state::SaveState;

/// What the driver must do with a frame the server sent.
#[derive(Debug)]
pub enum Received {
    /// Answer with [`step2`] against this state vector.
    SyncStep1(StateVector),
    /// Apply this remote update; for the server's sync step 2 (`step2`), call
    /// [`SyncSession::synced`] once it is applied.
    Update { update: Vec<u8>, step2: bool },
    /// Awareness states of other clients.
    Awareness(AwarenessUpdate),
    /// The server asks for this client's awareness state.
    AwarenessQuery,
    /// The meeting's whole ledger (on join).
    Ledger(Ledger),
    /// One change to the ledger.
    LedgerChange(LedgerChange),
    /// The server refused one of this client's writes (already counted).
    Rejected(Rejected),
    /// A `MSG_SAVED` count, already counted.
    Saved,
    /// The server's storage state changed (`MSG_STORAGE`; true: it cannot write).
    Storage(bool),
    /// A custom message whose payload this client cannot read (`what`: why), or one it
    /// does not know: nothing to do, the connection goes on.
    Ignored(String),
}

/// Why the connection must end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The server broke the protocol (unreadable frame, impossible saved count).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server denied access.
    #[error("permission denied: {0}")]
    Denied(String),
}

/// The client side of one document's sync, across its connections.
#[derive(Debug, Default)]
pub struct SyncSession {
    open: bool,
    /// The server negotiated the subprotocol, so `MSG_SAVED` acknowledgements come.
    acks: bool,
    /// A connection attempt has ended at least once.
    ever_closed: bool,
    /// The server's sync step 2 arrived on this connection.
    synced: bool,
    /// The driver stopped reconnecting.
    stopped: bool,
    coverage: Coverage,
    /// Writes the server refused, and the reason for the last one.
    rejected: u64,
    last_rejection: Option<String>,
    /// The server said it cannot write to its disk (until it says it can again, or the
    /// connection ends).
    storage_failing: bool,
}

/// The sync step 1 that opens the handshake.
pub fn step1(txn: &impl ReadTxn) -> Message {
    Message::Sync(SyncMessage::SyncStep1(txn.state_vector()))
}

/// The sync step 2 answering the server's sync step 1 (`sv`): what the server lacks.
pub fn step2(txn: &impl ReadTxn, sv: &StateVector) -> Message {
    Message::Sync(SyncMessage::SyncStep2(txn.encode_diff_v1(sv)))
}

impl SyncSession {
    /// A connection opened; `acks`: it negotiated the subprotocol. Send [`step1`] next.
    pub fn opened(&mut self, acks: bool) {
        self.open = true;
        self.stopped = false;
        self.acks = acks;
        self.synced = false;
        self.coverage.opened();
    }

    /// The connection (or the attempt to make one) ended.
    pub fn closed(&mut self) {
        self.open = false;
        self.storage_failing = false;
        self.ever_closed = true;
        self.synced = false;
    }

    /// The driver stopped reconnecting (after [`Self::closed`]).
    pub fn stopped(&mut self) {
        self.stopped = true;
    }

    /// A local change was made (sent at once while connected, else by the next sync
    /// step 2); its number.
    pub fn local_change(&mut self) -> u64 {
        self.coverage.change()
    }

    /// `msg` was sent on the current connection. An update carries the changes made
    /// since the last message; a sync step 2 every change so far. Count every local
    /// change a sync step 2 holds *before* encoding it.
    pub fn sent(&mut self, msg: &Message) {
        match msg {
            Message::Sync(SyncMessage::Update(_)) => self.coverage.sent_update(),
            Message::Sync(SyncMessage::SyncStep2(_)) => self.coverage.sent_step2(),
            _ => {}
        }
    }

    /// The server's sync step 2 was applied: the handshake is done.
    pub fn synced(&mut self) {
        self.synced = true;
    }

    /// Reads a frame from the server, does the bookkeeping, and says what is left to do.
    pub fn receive(&mut self, frame: &[u8]) -> Result<Received, SessionError> {
        let msg = super::decode(frame).map_err(|e| SessionError::Protocol(e.to_string()))?;
        Ok(match msg {
            Message::Sync(SyncMessage::SyncStep1(sv)) => Received::SyncStep1(sv),
            Message::Sync(SyncMessage::SyncStep2(update)) => Received::Update {
                update,
                step2: true,
            },
            Message::Sync(SyncMessage::Update(update)) => Received::Update {
                update,
                step2: false,
            },
            Message::Awareness(update) => Received::Awareness(update),
            Message::AwarenessQuery => Received::AwarenessQuery,
            Message::Auth(Some(reason)) => return Err(SessionError::Denied(reason)),
            Message::Custom(MSG_SAVED, payload) => {
                let count =
                    parse_saved(&payload).map_err(|e| SessionError::Protocol(e.to_string()))?;
                self.coverage.acked(count).map_err(SessionError::Protocol)?;
                Received::Saved
            }
            Message::Custom(MSG_REJECTED, payload) => {
                let rejected = parse_rejected(&payload);
                // Unreadable: assume the worst — nothing more is saved.
                self.coverage
                    .refused(rejected.as_ref().ok().map(|r| r.count));
                let rejected = rejected.unwrap_or_else(|_| Rejected {
                    count: 0,
                    reason: "the server refused a change".to_owned(),
                });
                self.rejected += 1;
                self.last_rejection = Some(rejected.reason.clone());
                Received::Rejected(rejected)
            }
            Message::Custom(MSG_STORAGE, payload) => {
                self.storage_failing = payload.first().is_some_and(|b| *b != 0);
                Received::Storage(self.storage_failing)
            }
            Message::Custom(MSG_LEDGER, payload) => match parse_ledger(&payload) {
                Ok(ledger) => Received::Ledger(ledger),
                Err(e) => Received::Ignored(e.to_string()),
            },
            Message::Custom(MSG_LEDGER_CHANGE, payload) => match parse_ledger_change(&payload) {
                Ok(change) => Received::LedgerChange(change),
                Err(e) => Received::Ignored(e.to_string()),
            },
            other => Received::Ignored(format!("an unknown message: {other:?}")),
        })
    }

    /// Whether a connection is open.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether the handshake is done on the open connection.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Local changes made so far.
    pub fn local(&self) -> u64 {
        self.coverage.local()
    }

    /// Every local change numbered ≤ this is durable on the server; it never reaches a
    /// change the server refused.
    pub fn saved(&self) -> u64 {
        self.coverage.saved()
    }

    /// Writes the server refused so far, and the reason it gave for the last one.
    pub fn rejected(&self) -> (u64, Option<&str>) {
        (self.rejected, self.last_rejection.as_deref())
    }

    /// Whether some local change is not known to be durable (closing the page now could
    /// lose it). Unknowable on a connection without acknowledgements, so then false;
    /// after a refusal nothing more can be saved by staying, so false as well.
    pub fn has_unsaved(&self) -> bool {
        if self.rejected > 0 || (self.open && !self.acks) {
            return false;
        }
        self.coverage.behind() || (self.open && self.coverage.in_flight())
    }

    /// What to tell the user now.
    pub fn state(&self) -> SaveState {
        if self.rejected > 0 {
            return SaveState::NotSaved;
        }
        if !self.open {
            return if self.stopped {
                SaveState::Stopped
            } else if self.ever_closed {
                SaveState::Offline
            } else {
                SaveState::Connecting
            };
        }
        if !self.acks {
            return SaveState::Online;
        }
        if self.storage_failing {
            return SaveState::CannotWrite;
        }
        if self.coverage.in_flight() || self.coverage.behind() {
            SaveState::Saving
        } else if self.synced {
            SaveState::Saved
        } else {
            SaveState::Online
        }
    }
}
