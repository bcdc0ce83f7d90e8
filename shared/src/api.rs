//! The JSON bodies of the HTTP API that the server sends and the clients read, each
//! defined once (the ledger, readiness and signed versions are in [`crate::trust`], a
//! diff's lines in [`crate::diff`]).

use serde::{Deserialize, Serialize};

use crate::diff::DiffLine;
use crate::trust::Stamp;

/// One meeting of `GET /api/meetings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingSummary {
    /// Document name (what `?meeting=` takes).
    pub name: String,
    pub title: String,
    pub series: String,
    /// Date as written in the header.
    pub date: String,
    /// Lifecycle status from the ledger (`draft`, `signed off v2 (approved)`, …), never
    /// the header's ([`crate::signoff::lifecycle`]).
    pub status: String,
    /// The same in words: "Approved at Board — March on 11 March 2026 — version 2"
    /// ([`crate::trust::Lifecycle::label`]).
    pub lifecycle: String,
}

/// `GET /api/meetings/{name}/previous-minutes`: the minutes this meeting agrees — the
/// previous meeting of its series — and where they stand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousMinutes {
    /// Document name of the previous meeting.
    pub meeting: String,
    pub title: String,
    /// Its date as its header gives it.
    pub date: String,
    /// Its lifecycle status ([`crate::signoff::lifecycle`]: `signed off v1 (unapproved)`).
    pub status: String,
    /// The same in words ([`crate::trust::Lifecycle::label`]).
    pub lifecycle: String,
    /// Whether this meeting may resolve on them now
    /// ([`crate::trust::Lifecycle::open_for_resolution`]).
    pub open: bool,
    /// Its latest signed version, when it is signed off.
    pub latest: Option<SignedSummary>,
    /// The resolutions on it (this meeting's, and any other's).
    pub approvals: Vec<crate::trust::Approval>,
}

/// A signed version, in brief.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSummary {
    pub version: u32,
    pub sha256: String,
    pub signed_by: String,
    /// Unix milliseconds.
    pub signed_at: u64,
}

/// `POST /api/meetings/{name}/previous-minutes`: the chair records the meeting's
/// resolution on the previous meeting's latest signed version, named by its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveRequest {
    pub version: u32,
    pub sha256: String,
    pub resolution: crate::trust::Resolution,
    /// The amendments agreed (required for `subject-to-amendments`).
    #[serde(default)]
    pub amendments: String,
}

/// One action of a series' action log (`GET …/series-actions`): each action once, as the
/// latest meeting that holds it has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeriesAction {
    /// The latest meeting that holds the action (its status is this meeting's).
    pub meeting: String,
    /// Every meeting it appears in, oldest first (the first is where it was raised).
    pub meetings: Vec<String>,
    /// Title of `meeting`.
    pub meeting_title: String,
    /// Date of `meeting`, as written.
    pub meeting_date: String,
    /// The action's id in `meeting`.
    pub action: String,
    /// "06/23", once assigned.
    pub reference: Option<String>,
    /// What is to be done.
    pub description: String,
    /// Owners' names.
    pub owners: Vec<String>,
    /// Due, as written.
    pub due: String,
    /// `open`, `done` or `dropped`.
    pub status: String,
    /// The latest recorded status change.
    pub changed: Option<Stamp>,
}

/// `GET …/versions/{n}/diff`: a signed version against the current draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDiff {
    /// The signed version compared.
    pub version: u32,
    /// Signed version → current draft, line by line.
    pub lines: Vec<DiffLine>,
}

/// `GET /api/meetings/{name}/corrections/{id}/diff`: a proposed correction against the
/// statement's current text, word by word ([`crate::diff::words`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionDiff {
    /// The correction.
    pub id: u64,
    /// Current text → proposed text, in runs of words.
    pub runs: Vec<DiffLine>,
    /// Whether the statement changed since the correction was proposed.
    pub stale: bool,
}

/// One of the server's signing keys, public half only (`GET /api/signing-keys`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSigningKey {
    /// The first 16 hex digits of the SHA-256 of the public key's 32 bytes.
    pub id: String,
    /// `ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, standard base64.
    pub public_key: String,
    /// Unix milliseconds.
    pub created_at: u64,
    /// When a rotation retired it (it still verifies what it signed); `None` for the
    /// current key.
    pub retired_at: Option<u64>,
}

/// The server's signing keys, the current one first (`GET /api/signing-keys`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeys {
    pub keys: Vec<PublicSigningKey>,
}
