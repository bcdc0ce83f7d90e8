//! The trust model shared by the server and the browser client: roles, the signed-in
//! session, and the meeting's **ledger** — confirmations, correction proposals, sign-off
//! state and versions — which only the server writes.
//!
//! The minutes document (a Yjs document) is written by the chair and minute-takers only.
//! Everything an attendee may do (confirm a statement, propose a correction) is a
//! command to the server over HTTP; the server checks it against the live document and
//! records the outcome in the ledger, which clients can read (and receive live on the
//! minutes WebSocket: the whole ledger on join, [`crate::protocol::MSG_LEDGER`], then
//! what changed, [`crate::protocol::MSG_LEDGER_CHANGE`], see [`LedgerChange`]) but never
//! write.
//!
//! A statement is a block of kind statement with at least one speaker. It is confirmed
//! only when **each** of its speakers has confirmed it: confirmations are kept per
//! statement *and* person. Each is bound to the SHA-256 of the statement's text
//! ([`statement_hash`]) and to its attribution (the set of speakers it had); when either
//! changes, the confirmation shows as [`StatementStatus::Changed`] and counts as
//! unconfirmed. A confirmation by someone who is no longer among the speakers counts for
//! nothing, and the server drops it at the next ledger change ([`Ledger::prune`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::meeting::model::BlockKind;

mod approval;
pub mod commitment;
use crate::meeting::MeetingView;
pub use approval::{
    parse_file as parse_approval_file, record_key as approval_key, AmendedVersion, Approval,
    ApprovalFile, ApprovingMeeting, Lifecycle, Resolution, FILE_MARKER as APPROVAL_FILE_MARKER,
    MAX_AMENDMENTS,
};

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

    /// Whether a grant of this role has restricted access (sees exempt, Part II
    /// business) unless its invitation says otherwise: the chair and minute-takers.
    pub fn restricted_by_default(self) -> bool {
        matches!(self, Role::Chair | Role::MinuteTaker)
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
    /// Restricted access: sees exempt (Part II) business ([`Role::restricted_by_default`]
    /// unless the invitation says otherwise).
    #[serde(default)]
    pub restricted: bool,
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
    /// Restricted access (exempt, Part II business) for the grant it gives.
    #[serde(default)]
    pub restricted: bool,
    /// For an invitation to a whole series: the series; it opens every meeting of it,
    /// those created later included (`meeting` is the one it was issued from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
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

/// Who did something, and when — and through which invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stamp {
    /// Display name of the actor.
    pub by: String,
    /// Register person id of the actor, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Unix milliseconds.
    pub at: u64,
    /// The invitation the actor acted through (absent in ledgers written before it was
    /// recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<u64>,
    /// The administrator who issued that invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
}

impl Stamp {
    /// "via invitation #7 issued by Ada" (empty when not recorded).
    pub fn provenance(&self) -> String {
        match (self.invite, &self.issued_by) {
            (Some(id), Some(by)) => format!("via invitation #{id} issued by {by}"),
            (Some(id), None) => format!("via invitation #{id}"),
            _ => String::new(),
        }
    }
}

/// A speaker's confirmation of a statement attributed to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub stamp: Stamp,
    /// Hex SHA-256 of the statement's text when it was confirmed.
    pub sha256: String,
    /// The statement's speakers (register ids) when it was confirmed: the attribution the
    /// confirmation is bound to. `None` in confirmations migrated from ledgers written
    /// before attributions were bound (they stay bound to the text and the person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speakers: Option<Vec<String>>,
}

impl Confirmation {
    /// Whether it still holds for a statement with text `text` and speakers `speakers`.
    pub fn holds(&self, text: &str, speakers: &[String]) -> bool {
        self.sha256 == statement_hash(text)
            && self
                .speakers
                .as_ref()
                .is_none_or(|bound| same_speakers(bound, speakers))
    }
}

/// Whether two attributions name the same people (order and repetition aside).
pub fn same_speakers(a: &[String], b: &[String]) -> bool {
    fn set(s: &[String]) -> BTreeSet<&str> {
        s.iter().map(String::as_str).collect()
    }
    set(a) == set(b)
}

/// Where a correction proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorrectionStatus {
    Open,
    Accepted,
    Declined,
    /// Replaced by a newer proposal of the same person for the same statement.
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
    /// The reason given when declined (or why it was withdrawn).
    #[serde(default)]
    pub reason: String,
    /// Hex SHA-256 of the statement's text when the correction was proposed (absent in
    /// proposals recorded before it was kept); accepting needs the text unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_sha256: Option<String>,
    /// The statement's speakers when the correction was proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_speakers: Option<Vec<String>>,
}

/// A signed version's summary (its full state lives in the server's store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: u32,
    /// Who signed, when, and through which invitation (issued by whom).
    pub signed: Stamp,
    /// Hex SHA-256 of the canonical Markdown rendering.
    pub sha256: String,
    /// Set when signed while statements were unconfirmed.
    #[serde(default)]
    pub override_reason: String,
    pub readiness: Readiness,
    /// The numbers of the items its public version withholds (exempt items, in order;
    /// empty when nothing is withheld). While it holds any, the full renderings are for
    /// restricted access only and members without it download the public version.
    /// `None` in ledgers stored before this was kept, until the meeting next loads (its
    /// actor fills it in from the stored version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Vec<String>>,
}

impl VersionInfo {
    /// Whether its public version withholds exempt items (as far as recorded).
    pub fn withholds(&self) -> bool {
        self.withheld.as_ref().is_some_and(|w| !w.is_empty())
    }
}

/// A reopening after sign-off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopening {
    /// The version that was reopened.
    pub version: u32,
    pub stamp: Stamp,
    pub reason: String,
}

/// Block id → register person id → that person's confirmation of the statement.
pub type Confirmations = BTreeMap<String, BTreeMap<String, Confirmation>>;

/// Everything the server records about a meeting beyond its minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ledger {
    /// Counts the ledger's changes (0 in ledgers stored before it was kept): each live
    /// [`LedgerChange`] takes it from `revision - 1` to `revision`.
    #[serde(default)]
    pub revision: u64,
    pub state: LockState,
    /// Per statement and speaker, the latest confirmation. Ledgers stored before
    /// confirmations were per speaker (block id → one confirmation) are read into this
    /// form, keyed by the confirming person ([`migrate`]).
    #[serde(deserialize_with = "migrate::confirmations")]
    pub confirmations: Confirmations,
    pub corrections: Vec<Correction>,
    pub versions: Vec<VersionInfo>,
    pub reopenings: Vec<Reopening>,
    /// Later meetings' resolutions on this meeting's signed versions ([`Approval`]; read
    /// from their records, which the approving meeting writes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// This meeting's resolutions on the previous meeting's minutes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolutions: Vec<Approval>,
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

    /// `person`'s confirmation of statement `block`.
    pub fn confirmation(&self, block: &str, person: &str) -> Option<&Confirmation> {
        self.confirmations.get(block)?.get(person)
    }

    /// Records `person`'s confirmation of `block`.
    pub fn confirm(&mut self, block: &str, person: &str, confirmation: Confirmation) {
        self.confirmations
            .entry(block.to_string())
            .or_default()
            .insert(person.to_string(), confirmation);
    }

    /// Entries that count against a meeting's ledger budget: confirmations, corrections,
    /// versions and reopenings.
    pub fn entries(&self) -> usize {
        self.confirmations
            .values()
            .map(BTreeMap::len)
            .sum::<usize>()
            + self.corrections.len()
            + self.versions.len()
            + self.reopenings.len()
            + self.approvals.len()
            + self.resolutions.len()
    }

    /// Drops confirmations that no longer count: of blocks that are no longer statements,
    /// and of people no longer among a statement's speakers (so attributing a statement to
    /// yourself, confirming it and restoring its speakers leaves nothing behind). Returns
    /// whether anything was dropped.
    pub fn prune(&mut self, view: &MeetingView) -> bool {
        let speakers: BTreeMap<&str, Vec<&str>> = statements(view)
            .into_iter()
            .map(|(_, b)| {
                (
                    b.id.0.as_str(),
                    b.speakers.iter().map(|p| p.0.as_str()).collect(),
                )
            })
            .collect();
        let before = self.entries();
        self.confirmations.retain(|block, by_person| {
            let Some(current) = speakers.get(block.as_str()) else {
                return false;
            };
            by_person.retain(|person, _| current.contains(&person.as_str()));
            !by_person.is_empty()
        });
        self.entries() != before
    }

    /// The ledger as seen without access to `hidden` statements (Part II's, see
    /// [`part2_hidden`]): their confirmations and corrections, and their entries in the
    /// signed versions' readiness, left out.
    pub fn without(&self, hidden: &BTreeSet<String>) -> Ledger {
        if hidden.is_empty() {
            return self.clone();
        }
        let mut out = self.clone();
        out.confirmations.retain(|block, _| !hidden.contains(block));
        out.corrections.retain(|c| !hidden.contains(&c.block));
        // A signed version's readiness lists its statements too (who spoke where).
        for v in &mut out.versions {
            v.readiness
                .statements
                .retain(|s| !hidden.contains(&s.block));
        }
        out
    }

    /// What changed from `self` to `next` (which must be `self` with changes applied by
    /// the server: corrections, versions and reopenings are only appended or updated).
    pub fn change_to(&self, next: &Ledger) -> LedgerChange {
        let mut confirmations = Vec::new();
        for (block, people) in &next.confirmations {
            for (person, c) in people {
                if self.confirmation(block, person) != Some(c) {
                    confirmations.push(ConfirmationChange {
                        block: block.clone(),
                        person: person.clone(),
                        confirmation: Some(c.clone()),
                    });
                }
            }
        }
        for (block, people) in &self.confirmations {
            for person in people.keys() {
                if next.confirmation(block, person).is_none() {
                    confirmations.push(ConfirmationChange {
                        block: block.clone(),
                        person: person.clone(),
                        confirmation: None,
                    });
                }
            }
        }
        let old: BTreeMap<u64, &Correction> = self.corrections.iter().map(|c| (c.id, c)).collect();
        let mut corrections = Vec::new();
        let mut decisions = Vec::new();
        for c in &next.corrections {
            match old.get(&c.id) {
                None => corrections.push(c.clone()),
                Some(was) if *was != c => decisions.push(CorrectionDecision {
                    id: c.id,
                    status: c.status,
                    decided: c.decided.clone(),
                    reason: c.reason.clone(),
                }),
                Some(_) => {}
            }
        }
        LedgerChange {
            revision: next.revision,
            state: (self.state != next.state).then_some(next.state),
            confirmations,
            corrections,
            decisions,
            versions: next
                .versions
                .get(self.versions.len()..)
                .unwrap_or_default()
                .to_vec(),
            reopenings: next
                .reopenings
                .get(self.reopenings.len()..)
                .unwrap_or_default()
                .to_vec(),
            approvals: (self.approvals != next.approvals).then(|| next.approvals.clone()),
            resolutions: (self.resolutions != next.resolutions).then(|| next.resolutions.clone()),
        }
    }

    /// Applies a live change. `Ok(false)`: already applied (its revision is not newer);
    /// `Err`: a change is missing in between (fetch the whole ledger again).
    pub fn apply(&mut self, change: &LedgerChange) -> Result<bool, ChangeGap> {
        if change.revision <= self.revision {
            return Ok(false);
        }
        if change.revision != self.revision + 1 {
            return Err(ChangeGap {
                have: self.revision,
                got: change.revision,
            });
        }
        self.revision = change.revision;
        if let Some(state) = change.state {
            self.state = state;
        }
        for c in &change.confirmations {
            match &c.confirmation {
                Some(confirmation) => self.confirm(&c.block, &c.person, confirmation.clone()),
                None => {
                    if let Some(people) = self.confirmations.get_mut(&c.block) {
                        people.remove(&c.person);
                        if people.is_empty() {
                            self.confirmations.remove(&c.block);
                        }
                    }
                }
            }
        }
        for d in &change.decisions {
            if let Some(c) = self.corrections.iter_mut().find(|c| c.id == d.id) {
                c.status = d.status;
                c.decided = d.decided.clone();
                c.reason = d.reason.clone();
            }
        }
        self.corrections.extend(change.corrections.iter().cloned());
        self.versions.extend(change.versions.iter().cloned());
        self.reopenings.extend(change.reopenings.iter().cloned());
        if let Some(approvals) = &change.approvals {
            self.approvals = approvals.clone();
        }
        if let Some(resolutions) = &change.resolutions {
            self.resolutions = resolutions.clone();
        }
        Ok(true)
    }
}

/// A live change that does not follow the ledger it was applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ledger change {got} does not follow revision {have}")]
pub struct ChangeGap {
    pub have: u64,
    pub got: u64,
}

/// One speaker's confirmation set (`Some`) or dropped (`None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationChange {
    pub block: String,
    pub person: String,
    pub confirmation: Option<Confirmation>,
}

/// A correction's new status (decided, declined with a reason, or withdrawn).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionDecision {
    pub id: u64,
    pub status: CorrectionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided: Option<Stamp>,
    #[serde(default)]
    pub reason: String,
}

/// What one ledger change did: the payload of the live message
/// [`crate::protocol::MSG_LEDGER_CHANGE`]. Apply it with [`Ledger::apply`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LedgerChange {
    /// The ledger's revision after this change (one more than before it).
    pub revision: u64,
    /// The new lock state, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<LockState>,
    /// Confirmations recorded or dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmations: Vec<ConfirmationChange>,
    /// New correction proposals (appended).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
    /// Status changes of existing proposals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<CorrectionDecision>,
    /// New signed versions (appended).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<VersionInfo>,
    /// New reopenings (appended).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopenings: Vec<Reopening>,
    /// The approvals, when they changed (all of them: they are few).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<Vec<Approval>>,
    /// The resolutions, when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolutions: Option<Vec<Approval>>,
}

/// Reading ledgers stored by earlier versions.
pub mod migrate {
    use super::{BTreeMap, Confirmation, Confirmations};
    use serde::{Deserialize, Deserializer};

    /// A statement's confirmations as stored: per person, or (before they were per
    /// person) one confirmation.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        PerPerson(BTreeMap<String, Confirmation>),
        One(Confirmation),
    }

    /// Reads `confirmations` in either form. An old single confirmation is kept under
    /// the person who made it (its stamp's register id) and stays bound to the text
    /// only; one without a person cannot be attributed to a speaker and is dropped.
    pub fn confirmations<'de, D: Deserializer<'de>>(d: D) -> Result<Confirmations, D::Error> {
        let stored = BTreeMap::<String, Stored>::deserialize(d)?;
        let mut out = Confirmations::new();
        for (block, entry) in stored {
            let people = match entry {
                Stored::PerPerson(people) => people,
                Stored::One(c) => match c.stamp.person.clone() {
                    Some(person) => BTreeMap::from([(person, c)]),
                    None => continue,
                },
            };
            if !people.is_empty() {
                out.insert(block, people);
            }
        }
        Ok(out)
    }
}

/// Where one statement's (or one speaker's) confirmation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementStatus {
    Pending,
    Confirmed,
    /// Confirmed, but the text or the attribution changed since.
    Changed,
}

/// One speaker's confirmation of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerState {
    /// Register person id.
    pub person: String,
    pub status: StatementStatus,
}

/// One statement and its status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementState {
    pub block: String,
    /// Number of the item it is in ("2.1").
    pub item: String,
    pub speakers: Vec<String>,
    /// Confirmed only when every speaker confirmed it ([`overall_status`]).
    pub status: StatementStatus,
    /// Each speaker's status (absent in versions signed before it was recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_speaker: Vec<SpeakerState>,
}

impl StatementState {
    /// The speakers whose confirmation is missing (pending or changed since).
    pub fn missing(&self) -> impl Iterator<Item = &SpeakerState> {
        self.by_speaker
            .iter()
            .filter(|s| s.status != StatementStatus::Confirmed)
    }
}

/// Counts the chair sees before signing off. `confirmed`, `pending` and `changed` count
/// per statement **and speaker** (a statement by two people counts twice); in versions
/// signed before that, per statement.
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

    /// Statements not confirmed by every speaker.
    pub fn unconfirmed_statements(&self) -> usize {
        self.statements
            .iter()
            .filter(|s| s.status != StatementStatus::Confirmed)
            .count()
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

/// A statement's speakers as register ids, each once, in attribution order.
pub fn speaker_ids(block: &crate::meeting::view::BlockView) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(block.speakers.len());
    for p in &block.speakers {
        if !out.contains(&p.0) {
            out.push(p.0.clone());
        }
    }
    out
}

/// `person`'s status on statement `block` with text `text` and speakers `speakers`.
pub fn speaker_status(
    ledger: &Ledger,
    block: &str,
    person: &str,
    text: &str,
    speakers: &[String],
) -> StatementStatus {
    match ledger.confirmation(block, person) {
        None => StatementStatus::Pending,
        Some(c) if c.holds(text, speakers) => StatementStatus::Confirmed,
        Some(_) => StatementStatus::Changed,
    }
}

/// Every speaker's status on statement `block`.
pub fn speaker_states(
    ledger: &Ledger,
    block: &str,
    text: &str,
    speakers: &[String],
) -> Vec<SpeakerState> {
    speakers
        .iter()
        .map(|p| SpeakerState {
            person: p.clone(),
            status: speaker_status(ledger, block, p, text, speakers),
        })
        .collect()
}

/// A statement's status from its speakers': confirmed when every one confirmed it,
/// changed when any confirmation no longer holds, else pending.
pub fn overall_status(by_speaker: &[SpeakerState]) -> StatementStatus {
    if by_speaker.is_empty() {
        StatementStatus::Pending
    } else if by_speaker
        .iter()
        .all(|s| s.status == StatementStatus::Confirmed)
    {
        StatementStatus::Confirmed
    } else if by_speaker
        .iter()
        .any(|s| s.status == StatementStatus::Changed)
    {
        StatementStatus::Changed
    } else {
        StatementStatus::Pending
    }
}

/// The status of statement `block` with text `text` and speakers `speakers`.
pub fn statement_status(
    ledger: &Ledger,
    block: &str,
    text: &str,
    speakers: &[String],
) -> StatementStatus {
    overall_status(&speaker_states(ledger, block, text, speakers))
}

/// Readiness of the minutes for sign-off.
/// The blocks of `view`'s exempt (Part II) items that someone without restricted access
/// may not see, speaking for register person `person`: all of them but the statements
/// `person` is a speaker of (an attendee sees and confirms their own).
pub fn part2_hidden(view: &MeetingView, person: Option<&str>) -> BTreeSet<String> {
    view.items
        .iter()
        .filter(|i| i.effective_exemption.is_some())
        .flat_map(|i| &i.blocks)
        .filter(|b| !person.is_some_and(|p| b.speakers.iter().any(|s| s.0 == p)))
        .map(|b| b.id.0.clone())
        .collect()
}

impl Readiness {
    /// The readiness as seen without access to `hidden` statements: their entries left
    /// out of the list (the counts stay whole, so sign-off readiness reads the same).
    pub fn without(mut self, hidden: &BTreeSet<String>) -> Readiness {
        self.statements.retain(|s| !hidden.contains(&s.block));
        self
    }
}

pub fn readiness(view: &MeetingView, ledger: &Ledger) -> Readiness {
    let mut r = Readiness::default();
    for (number, block) in statements(view) {
        let speakers = speaker_ids(block);
        let by_speaker = speaker_states(ledger, &block.id.0, &block.text, &speakers);
        for s in &by_speaker {
            match s.status {
                StatementStatus::Pending => r.pending += 1,
                StatementStatus::Confirmed => r.confirmed += 1,
                StatementStatus::Changed => r.changed += 1,
            }
        }
        r.statements.push(StatementState {
            block: block.id.0.clone(),
            item: number.to_string(),
            status: overall_status(&by_speaker),
            speakers,
            by_speaker,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(by: &str, person: Option<&str>) -> Stamp {
        Stamp {
            by: by.into(),
            person: person.map(Into::into),
            at: 1,
            ..Stamp::default()
        }
    }

    fn confirmation(by: &str, person: &str, text: &str, speakers: &[&str]) -> Confirmation {
        Confirmation {
            stamp: stamp(by, Some(person)),
            sha256: statement_hash(text),
            speakers: Some(speakers.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn old_ledgers_load_per_speaker() {
        let hash = statement_hash("Said.");
        let old = format!(
            r#"{{"state":"draft","confirmations":{{
                "b1":{{"stamp":{{"by":"Pat","person":"p1","at":5}},"sha256":"{hash}"}},
                "b2":{{"stamp":{{"by":"Anon","at":6}},"sha256":"{hash}"}}
            }},"corrections":[{{"id":1,"block":"b1","proposed":{{"by":"Pat","person":"p1","at":7}},
               "text":"x","note":"","status":"open","reason":""}}],
            "versions":[],"reopenings":[]}}"#
        );
        let ledger: Ledger = serde_json::from_str(&old).expect("old ledger loads");
        assert_eq!(ledger.revision, 0);
        let c = ledger.confirmation("b1", "p1").expect("migrated");
        assert_eq!(c.stamp.by, "Pat");
        assert_eq!(c.speakers, None);
        // Bound to the text and the person only.
        let speakers = vec!["p1".to_string(), "p2".to_string()];
        assert!(c.holds("Said.", &speakers));
        assert!(!c.holds("Said otherwise.", &speakers));
        assert_eq!(
            statement_status(&ledger, "b1", "Said.", &speakers),
            StatementStatus::Pending
        );
        assert_eq!(
            statement_status(&ledger, "b1", "Said.", &speakers[..1]),
            StatementStatus::Confirmed
        );
        // Nobody to attribute it to: dropped.
        assert!(!ledger.confirmations.contains_key("b2"));
        assert_eq!(ledger.corrections[0].base_sha256, None);
        // And the new form round-trips.
        let json = serde_json::to_string(&ledger).expect("json");
        assert_eq!(
            serde_json::from_str::<Ledger>(&json).expect("loads"),
            ledger
        );
    }

    #[test]
    fn a_confirmation_is_bound_to_the_attribution() {
        let c = confirmation("Pat", "p1", "Said.", &["p1", "p2"]);
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(c.holds("Said.", &s(&["p2", "p1"])));
        assert!(!c.holds("Said.", &s(&["p1"])));
        assert!(!c.holds("Said.", &s(&["p1", "p3"])));
    }

    #[test]
    fn every_speaker_counts() {
        let mut ledger = Ledger::default();
        let speakers = vec!["p1".to_string(), "p2".to_string()];
        ledger.confirm("b", "p1", confirmation("Pat", "p1", "T", &["p1", "p2"]));
        let states = speaker_states(&ledger, "b", "T", &speakers);
        assert_eq!(states[0].status, StatementStatus::Confirmed);
        assert_eq!(states[1].status, StatementStatus::Pending);
        assert_eq!(overall_status(&states), StatementStatus::Pending);
        ledger.confirm("b", "p2", confirmation("Quinn", "p2", "T", &["p1", "p2"]));
        assert_eq!(
            statement_status(&ledger, "b", "T", &speakers),
            StatementStatus::Confirmed
        );
        assert_eq!(
            statement_status(&ledger, "b", "T2", &speakers),
            StatementStatus::Changed
        );
    }

    #[test]
    fn changes_rebuild_the_ledger() {
        let mut a = Ledger::default();
        a.confirm("b1", "p1", confirmation("Pat", "p1", "T", &["p1"]));
        a.confirm("b2", "p2", confirmation("Quinn", "p2", "U", &["p2"]));
        a.corrections.push(Correction {
            id: 1,
            block: "b1".into(),
            proposed: stamp("Pat", Some("p1")),
            text: "x".into(),
            note: String::new(),
            status: CorrectionStatus::Open,
            decided: None,
            reason: String::new(),
            base_sha256: None,
            base_speakers: None,
        });
        let mut b = a.clone();
        b.revision = 1;
        b.confirmations.remove("b2");
        b.confirm("b1", "p3", confirmation("Cleo", "p3", "T", &["p1", "p3"]));
        b.corrections[0].status = CorrectionStatus::Withdrawn;
        b.corrections[0].reason = "replaced by correction #2".into();
        let mut second = b.corrections[0].clone();
        second.id = 2;
        second.status = CorrectionStatus::Open;
        b.corrections.push(second);
        b.state = LockState::Signed;
        let change = a.change_to(&b);
        assert_eq!(change.decisions.len(), 1);
        assert_eq!(change.corrections.len(), 1);
        assert_eq!(change.confirmations.len(), 2);
        let mut rebuilt = a.clone();
        assert_eq!(rebuilt.apply(&change), Ok(true));
        assert_eq!(rebuilt, b);
        // Applying it again changes nothing; a later one after a gap is refused.
        assert_eq!(rebuilt.apply(&change), Ok(false));
        let mut later = change.clone();
        later.revision = 3;
        assert_eq!(rebuilt.apply(&later), Err(ChangeGap { have: 1, got: 3 }));
        assert_eq!(rebuilt, b);
    }
}

#[cfg(test)]
mod readiness_tests;
