//! What the store keeps about people and sessions (never a secret itself: tokens are
//! stored as their SHA-256).

use minutebook_shared::trust::{InviteInfo, Role};
use serde::{Deserialize, Serialize};

/// Record kinds in the store's `records` table.
pub mod kind {
    /// `hmac` → the server secret (raw bytes).
    pub const SECRET: &str = "secret";
    /// token hash → [`super::SetupRecord`]: a one-time administrator setup link.
    pub const SETUP: &str = "setup";
    /// invite id (zero-padded) → [`super::InviteRecord`].
    pub const INVITE: &str = "invite";
    /// administrator name → [`super::AdminRecord`].
    pub const ADMIN: &str = "admin";
    /// token hash → [`super::SessionRecord`].
    pub const SESSION: &str = "session";
    /// token hash → [`super::DeviceRecord`]: a single-use link to sign in on another device.
    pub const DEVICE: &str = "device";
    /// Series name → its meetings ([`crate::auth::series::SeriesRecord`]).
    pub const SERIES: &str = "series";
    /// Meeting name → the series it belongs to (a JSON string).
    pub const MEETING_SERIES: &str = "meeting-series";
    /// Key id → a signing key pair ([`crate::auth::signing`]); never served.
    pub const SIGNING_KEY: &str = "signing-key";
    /// `meeting/version` (zero-padded) → the version's signature
    /// (`minutebook_shared::signoff::signature::Carried`).
    pub const VERSION_SIGNATURE: &str = "version-signature";
    /// `meeting/version` (zero-padded) → the signature of the version's public statement
    /// (form 2: the public text's SHA-256 and the commitment root), when it has a public
    /// version.
    pub const PUBLIC_SIGNATURE: &str = "public-signature";
    /// `meeting/version` (zero-padded) → a later meeting's resolution on that version
    /// (`minutebook_shared::trust::Approval`); written by the store's ledger writes.
    pub const APPROVAL: &str = crate::store::APPROVAL_RECORDS;
    /// `meeting/version` → the signature of that approval's statement.
    pub const APPROVAL_SIGNATURE: &str = "approval-signature";
    /// `texts` / `logo` → the organisation's branding of its outputs
    /// ([`crate::branding`]).
    pub const BRANDING: &str = "branding";
    /// `meeting/version.pdf` or `.docx` (version zero-padded) → that version's rendered
    /// output, raw bytes (`crate::meetings::outputs`).
    pub const VERSION_OUTPUT: &str = "version-output";
    /// An output's hex SHA-256 → which version and kind it is (`verify` of a PDF or Word
    /// file finds it by its hash).
    pub const OUTPUT_HASH: &str = "output-hash";
    /// Meeting name → its published version
    /// (`minutebook_shared::publication::Publication`, `crate::meetings::publication`).
    pub const PUBLICATION: &str = "publication";
    /// Meeting name → the meeting it was started from (a JSON string): the previous
    /// meeting whose minutes it agrees.
    pub const PREVIOUS_MEETING: &str = "previous-meeting";
}

/// A pending one-time setup link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupRecord {
    pub created_at: u64,
    pub expires_at: u64,
}

/// An administrator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminRecord {
    pub name: String,
    pub created_at: u64,
}

/// An invitation to one meeting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InviteRecord {
    pub id: u64,
    pub meeting: String,
    pub name: String,
    pub person: Option<String>,
    pub role: Role,
    pub created_at: u64,
    pub expires_at: u64,
    pub revoked_at: Option<u64>,
    /// Bumped by every re-issue; links and sessions of older generations are void.
    pub generation: u32,
    /// SHA-256 of the current link's token.
    pub token_hash: String,
    /// Whether the current link was used: a link signs in once.
    pub redeemed: bool,
    pub created_by: String,
    /// An invitation to every meeting of this series (see [`super::series`]); `meeting`
    /// is the meeting it was issued from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// Restricted access set on the invitation; `None`: the role's default
    /// ([`Role::restricted_by_default`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted: Option<bool>,
}

impl InviteRecord {
    pub fn key(id: u64) -> String {
        format!("{id:020}")
    }

    /// Whether a session with administrator rights may not hold it: the chair's, or one
    /// that speaks for a register person (an administrator must not sign off or confirm
    /// as someone through their own session).
    pub fn barred_from_admin_sessions(&self) -> bool {
        self.role == Role::Chair || self.person.is_some()
    }

    /// Whether the grant it gives has restricted access (sees exempt business).
    pub fn restricted_access(&self) -> bool {
        self.restricted
            .unwrap_or_else(|| self.role.restricted_by_default())
    }

    pub fn info(&self) -> InviteInfo {
        InviteInfo {
            id: self.id,
            meeting: self.meeting.clone(),
            name: self.name.clone(),
            person: self.person.clone(),
            role: self.role,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            redeemed: self.redeemed,
            restricted: self.restricted_access(),
            series: self.series.clone(),
            link: None,
        }
    }
}

/// A grant held by a session: valid while the invitation is live at this generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionGrant {
    pub invite: u64,
    pub generation: u32,
}

/// A signed-in browser or API client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The administrator's name, for administrator sessions.
    pub admin: Option<String>,
    pub grants: Vec<SessionGrant>,
    pub created_at: u64,
    pub expires_at: u64,
}

/// A pending device sign-in link: the grants it hands to the device that opens it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Who made it (for the audit log).
    pub name: String,
    pub admin: Option<String>,
    pub grants: Vec<SessionGrant>,
    pub created_at: u64,
    pub expires_at: u64,
}
