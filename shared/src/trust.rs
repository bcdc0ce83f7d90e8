//! The trust model shared by the server and the browser client: roles, the signed-in
//! session, and the meeting's **ledger** — confirmations, correction proposals, sign-off
//! state and versions — which only the server writes.
//!
//! The minutes document (a Yjs document) is written by the chair and minute-takers only.
//! Everything an attendee may do (confirm a statement, propose a correction) is a
//! command to the server over HTTP; the server checks it against the live document and
//! records the outcome in the ledger, which clients can read (and receive live on the
//! minutes WebSocket, see [`crate::protocol::MSG_LEDGER`]) but never write.
//!
//! A statement is a block of kind statement with at least one speaker. Its confirmation
//! is bound to the SHA-256 of the statement's text ([`statement_hash`]); when the text
//! changes, the confirmation shows as [`StatementStatus::Changed`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::meeting::model::BlockKind;
use crate::meeting::MeetingView;

/// A person's role in one meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Edits the minutes, signs them off and reopens them.
    Chair,
    /// Edits the minutes, decides on correction proposals.
    MinuteTaker,
    /// Reads the minutes; confirms, or proposes corrections to, their own statements.
    Attendee,
    /// Reads only.
    Observer,
}

impl Role {
    /// Every role, in order of authority.
    pub const ALL: [Role; 4] = [
        Role::Chair,
        Role::MinuteTaker,
        Role::Attendee,
        Role::Observer,
    ];

    /// The wire name ("minute-taker").
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Chair => "chair",
            Role::MinuteTaker => "minute-taker",
            Role::Attendee => "attendee",
            Role::Observer => "observer",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Human label ("Minute-taker").
    pub fn label(self) -> &'static str {
        match self {
            Role::Chair => "Chair",
            Role::MinuteTaker => "Minute-taker",
            Role::Attendee => "Attendee",
            Role::Observer => "Observer",
        }
    }

    /// Whether this role may change the minutes' text and structure (while a draft).
    pub fn edits_minutes(self) -> bool {
        matches!(self, Role::Chair | Role::MinuteTaker)
    }

    /// Whether this role may accept or decline correction proposals and read the audit log.
    pub fn moderates(self) -> bool {
        matches!(self, Role::Chair | Role::MinuteTaker)
    }
}

/// One meeting a session may open, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The meeting (document) name.
    pub meeting: String,
    pub role: Role,
    /// The register person this grant speaks for (statements attributed to them are theirs).
    pub person: Option<String>,
    /// The display name given on the invitation.
    pub name: String,
    /// The invitation this grant came from.
    pub invite: u64,
}

/// `GET /api/session`: who the caller is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SessionInfo {
    /// Display name (the administrator's, or the first grant's).
    pub name: String,
    /// Administrators create meetings, invite people and may edit any draft.
    pub admin: bool,
    pub grants: Vec<Grant>,
    /// Bearer token, only in the answer that created the session and only when the client
    /// asked for it (`"want_token": true` or `?token=1`; browsers use the HttpOnly cookie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The meeting of the invitation just redeemed (only in that answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<String>,
}

impl SessionInfo {
    /// The grant for `meeting`, if any.
    pub fn grant(&self, meeting: &str) -> Option<&Grant> {
        self.grants.iter().find(|g| g.meeting == meeting)
    }
}

/// An invitation as shown to administrators (never the token itself, except on creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub id: u64,
    pub meeting: String,
    pub name: String,
    pub person: Option<String>,
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: u64,
    pub expires_at: u64,
    pub revoked_at: Option<u64>,
    /// Whether the current link has been used to start a session.
    pub redeemed: bool,
    /// The link, present only in the answer that created or re-issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Whether the minutes may still change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LockState {
    #[default]
    Draft,
    Signed,
}

/// Who did something, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Display name of the actor.
    pub by: String,
    /// Register person id of the actor, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Unix milliseconds.
    pub at: u64,
}

/// An attendee's confirmation of a statement attributed to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub stamp: Stamp,
    /// Hex SHA-256 of the statement's text when it was confirmed.
    pub sha256: String,
}

/// Where a correction proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorrectionStatus {
    Open,
    Accepted,
    Declined,
    /// The statement it corrects was deleted or the proposer lost access.
    Withdrawn,
}

/// A proposed replacement for a statement's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub id: u64,
    pub block: String,
    pub proposed: Stamp,
    pub text: String,
    #[serde(default)]
    pub note: String,
    pub status: CorrectionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided: Option<Stamp>,
    /// The reason given when declined.
    #[serde(default)]
    pub reason: String,
}

/// A signed version's summary (its full state lives in the server's store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: u32,
    pub signed: Stamp,
    /// Hex SHA-256 of the canonical Markdown rendering.
    pub sha256: String,
    /// Set when signed while statements were unconfirmed.
    #[serde(default)]
    pub override_reason: String,
    pub readiness: Readiness,
}

/// A reopening after sign-off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopening {
    /// The version that was reopened.
    pub version: u32,
    pub stamp: Stamp,
    pub reason: String,
}

/// Everything the server records about a meeting beyond its minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ledger {
    pub state: LockState,
    /// Block id → the latest confirmation of that statement.
    pub confirmations: BTreeMap<String, Confirmation>,
    pub corrections: Vec<Correction>,
    pub versions: Vec<VersionInfo>,
    pub reopenings: Vec<Reopening>,
}

impl Ledger {
    /// Whether the minutes are signed off (read-only for everyone).
    pub fn signed(&self) -> bool {
        self.state == LockState::Signed
    }

    /// The next correction id.
    pub fn next_correction_id(&self) -> u64 {
        self.corrections.iter().map(|c| c.id).max().unwrap_or(0) + 1
    }

    /// Open corrections of `block`.
    pub fn open_corrections<'a>(&'a self, block: &'a str) -> impl Iterator<Item = &'a Correction> {
        self.corrections
            .iter()
            .filter(move |c| c.block == block && c.status == CorrectionStatus::Open)
    }
}

/// Where one statement's confirmation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementStatus {
    Pending,
    Confirmed,
    /// Confirmed, but the text changed since.
    Changed,
}

/// One statement and its status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementState {
    pub block: String,
    /// Number of the item it is in ("2.1").
    pub item: String,
    pub speakers: Vec<String>,
    pub status: StatementStatus,
}

/// Counts the chair sees before signing off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Readiness {
    pub confirmed: usize,
    pub pending: usize,
    pub changed: usize,
    pub corrections_open: usize,
    pub statements: Vec<StatementState>,
}

impl Readiness {
    /// Whether everything is confirmed and no correction is open.
    pub fn complete(&self) -> bool {
        self.pending == 0 && self.changed == 0 && self.corrections_open == 0
    }
}

/// Hex SHA-256 of a statement's text: what a confirmation is bound to.
pub fn statement_hash(text: &str) -> String {
    sha256_hex(text.as_bytes())
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Every statement of the meeting (visible blocks of kind statement with a speaker), in
/// document order, with its item number.
pub fn statements(view: &MeetingView) -> Vec<(&str, &crate::meeting::view::BlockView)> {
    view.items
        .iter()
        .flat_map(|item| {
            item.blocks
                .iter()
                .filter(|b| b.kind == BlockKind::Statement && !b.speakers.is_empty())
                .map(move |b| (item.number.as_str(), b))
        })
        .collect()
}

/// The status of one statement with text `text` given the ledger.
pub fn statement_status(ledger: &Ledger, block: &str, text: &str) -> StatementStatus {
    match ledger.confirmations.get(block) {
        None => StatementStatus::Pending,
        Some(c) if c.sha256 == statement_hash(text) => StatementStatus::Confirmed,
        Some(_) => StatementStatus::Changed,
    }
}

/// Readiness of the minutes for sign-off.
pub fn readiness(view: &MeetingView, ledger: &Ledger) -> Readiness {
    let mut r = Readiness::default();
    for (number, block) in statements(view) {
        let status = statement_status(ledger, &block.id.0, &block.text);
        match status {
            StatementStatus::Pending => r.pending += 1,
            StatementStatus::Confirmed => r.confirmed += 1,
            StatementStatus::Changed => r.changed += 1,
        }
        r.statements.push(StatementState {
            block: block.id.0.clone(),
            item: number.to_string(),
            speakers: block.speakers.iter().map(|p| p.0.clone()).collect(),
            status,
        });
    }
    r.corrections_open = ledger
        .corrections
        .iter()
        .filter(|c| c.status == CorrectionStatus::Open)
        .count();
    r
}

/// One line of a meeting's audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the server's audit log (increasing).
    pub seq: u64,
    /// Unix milliseconds.
    pub at: u64,
    /// Display name of who did it ("anonymous" before authentication).
    pub actor: String,
    /// Their role in the meeting, when they had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The meeting ("" for events outside any meeting).
    pub meeting: String,
    /// What happened: `join`, `sign-in`, `invite`, `reissue`, `revoke`, `role-change`,
    /// `confirm`, `correction-proposed`, `correction-accepted`, `correction-declined`,
    /// `sign-off`, `reopen`, `action-status`, `setup`, or `rejected` (a refused attempt).
    pub event: String,
    /// Details in words.
    pub detail: String,
}
