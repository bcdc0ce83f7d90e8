//! The messages a document actor receives ([`ToDoc`]) and answers with, and the
//! connection ids they carry: the actor's whole interface, so connections, the HTTP API
//! and the registry depend on this file, not on the actor.

use tokio::sync::oneshot;
use yrs::StateVector;

use minutebook_shared::meeting::model::ItemId;
use minutebook_shared::meeting::part2::Moved;
use minutebook_shared::meeting::Exemption;
use minutebook_shared::protocol::AwarenessUpdate;
use minutebook_shared::trust::{self, Ledger, VersionInfo};

use crate::auth::Access;
use crate::docs::ledger::{Command, LedgerBudget, Refusal};
pub use crate::docs::outbox::ConnId;
use crate::docs::outbox::Outbox;
use crate::docs::presence::AwarenessLimits;
use crate::store::StoreError;

/// A message from a connection, decoded off the actor and checked for its type.
pub enum Incoming {
    SyncStep1(StateVector),
    /// SyncStep2 or Update: a v1 update (not yet decoded: yrs's `Update` is not `Send`),
    /// counted for "saved" acknowledgements.
    Update(Vec<u8>),
    Awareness(AwarenessUpdate),
    QueryAwareness,
}

/// Which of a meeting's Yjs documents a connection syncs ([`crate::docs::part2`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The minutes every invited member syncs (exempt items only as placeholders).
    Minutes,
    /// Part II: the exempt items' restricted content, for restricted access only.
    Restricted,
}

/// A loaded meeting's live state: both documents, each as one v1 update.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub main: Vec<u8>,
    pub part2: Vec<u8>,
}

/// Messages to a document actor.
pub enum ToDoc {
    Join {
        conn: ConnId,
        part: Part,
        outbox: Outbox,
        acks: bool,
        access: Access,
        /// This connection's awareness limits.
        awareness: AwarenessLimits,
        joined: oneshot::Sender<Result<(), JoinError>>,
    },
    /// A ledger command from the HTTP API; answered once durable.
    Command {
        access: Access,
        cmd: Command,
        budget: LedgerBudget,
        reply: oneshot::Sender<Result<CommandOk, Refusal>>,
    },
    /// Read this meeting's approval records again (another meeting recorded one).
    RefreshApprovals,
    /// The current ledger and readiness (once durable).
    Ledger {
        reply: oneshot::Sender<(Ledger, trust::Readiness)>,
    },
    /// Close every connection that joined through invitation `invite`.
    Disconnect {
        invite: u64,
        code: u16,
        reason: String,
    },
    Incoming {
        conn: ConnId,
        msg: Incoming,
    },
    Leave {
        conn: ConnId,
    },
    /// Apply a v1 update from the server itself (API, import, demo); `done` answers once
    /// it is durable (and relayed to every connection).
    Apply {
        update: Vec<u8>,
        done: oneshot::Sender<Result<(), ApplyError>>,
    },
    /// Both documents' whole state, answered once everything in them is durable.
    Read {
        state: oneshot::Sender<LiveState>,
    },
    /// Move an item into Part II ([`crate::docs::part2`]); answered once durable.
    MoveToPart2 {
        access: Access,
        item: ItemId,
        exemption: Exemption,
        public_title: String,
        reply: oneshot::Sender<Result<Moved, Refusal>>,
    },
    /// Move an exempt item back into the minutes; answered once durable.
    MoveToPart1 {
        access: Access,
        item: ItemId,
        reply: oneshot::Sender<Result<Moved, Refusal>>,
    },
}

/// What an accepted ledger command produced.
#[derive(Debug, Clone)]
pub enum CommandOk {
    Ledger(Ledger),
    Version(VersionInfo),
}

/// Why a connection could not join a document.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JoinError {
    #[error("document could not be loaded: {0}")]
    Load(#[from] StoreError),
    #[error("document is being unloaded; try again")]
    Busy,
    #[error("Part II is for restricted access only")]
    NotRestricted,
}

/// A server-side update could not be applied: refused, or ([`ApplyError::unavailable`])
/// not now — the disk is failing or the document kept unloading — so it may succeed when
/// tried again.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApplyError {
    pub message: String,
    pub unavailable: bool,
}

impl ApplyError {
    pub fn refused(message: impl Into<String>) -> Self {
        ApplyError {
            message: message.into(),
            unavailable: false,
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ApplyError {
            message: message.into(),
            unavailable: true,
        }
    }
}
