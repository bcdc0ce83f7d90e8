//! The writes the store accepts ([`WriteOp`]) and what each reports once durable
//! ([`Written`]), whatever the engine.

use std::sync::Arc;

use minutebook_shared::trust::{AuditEntry, Ledger, VersionInfo};

use super::catalog::CatalogEntry;
use super::StoreError;

/// A write for the writer thread.
pub enum WriteOp {
    /// Append one update to a document's log, with the side writes it causes (committed
    /// in the same transaction).
    Append {
        doc: Arc<str>,
        seq: u64,
        update: Vec<u8>,
        meta: Vec<Meta>,
    },
    /// Side writes alone (e.g. counters bumped past references found on load).
    Meta(Vec<Meta>),
    /// Reserve `count` consecutive action numbers of (`series`, `year`): one more than
    /// the larger of the counter and `floor`, onwards.
    Allocate {
        series: String,
        year: u8,
        floor: u32,
        count: u32,
    },
    /// A meeting's ledger change, ordered with its updates: written at sequence `seq` of
    /// the document's write stream (no update is stored under it) and reported as
    /// [`Written::Appended`]. Optionally freezes a signed version in the same transaction.
    Ledger {
        doc: Arc<str>,
        seq: u64,
        ledger: Box<Ledger>,
        version: Option<Box<SignedVersion>>,
        audit: Vec<AuditEntry>,
        /// Records written in the same transaction (an approval it records).
        records: Vec<Record>,
    },
    /// Audit entries ordered in a document's write stream at `seq` (nothing is stored
    /// under it), reported as [`Written::Appended`]: what is gated behind it is told only
    /// once the entries are durable.
    Audit { seq: u64, entries: Vec<AuditEntry> },
    /// Trust records and audit entries ([`crate::auth`]); reported as [`Written::Meta`].
    Records(Vec<Record>),
    /// A document rebuilt without part of its history (an item moved into Part II):
    /// its snapshot becomes `snapshot` at `seq`, every log entry up to `seq` is dropped,
    /// and `records` (the audit entry, the retired client ids) are written in the same
    /// transaction. Reported as [`Written::Appended`]`(seq)`.
    Rebuild {
        doc: Arc<str>,
        seq: u64,
        snapshot: Vec<u8>,
        records: Vec<Record>,
    },
    /// Replace the snapshot and drop the log entries up to and including `upto`.
    Compact {
        doc: Arc<str>,
        upto: u64,
        snapshot: Vec<u8>,
    },
    /// Writes nothing, durably: succeeds once the disk takes commits again (after a
    /// failure, the engine reopens its files first). Reported as [`Written::Probe`].
    Probe,
}

impl WriteOp {
    /// The document this operation writes to, if it is one document's.
    pub fn doc(&self) -> Option<&str> {
        match self {
            WriteOp::Append { doc, .. }
            | WriteOp::Ledger { doc, .. }
            | WriteOp::Rebuild { doc, .. }
            | WriteOp::Compact { doc, .. } => Some(doc),
            WriteOp::Meta(_)
            | WriteOp::Allocate { .. }
            | WriteOp::Audit { .. }
            | WriteOp::Records(_)
            | WriteOp::Probe => None,
        }
    }
}

/// A write beside a document's updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// Insert or replace a document's catalog entry.
    Catalog { doc: Arc<str>, entry: CatalogEntry },
    /// Raise the reference counter of (`series`, `year`) to at least `at_least`.
    Bump {
        series: String,
        year: u8,
        at_least: u32,
    },
    /// Record who first wrote under each of these Yjs client ids of `doc` (written with
    /// the update that first did).
    ClientOwners {
        doc: Arc<str>,
        owners: Vec<(u64, Arc<str>)>,
    },
    /// Append an audit entry about the update itself (who changed an action's status),
    /// stored with it: once the update is acknowledged, so is its record.
    Audit(AuditEntry),
}

/// A write to the trust records.
#[derive(Debug, Clone)]
pub enum Record {
    /// Insert or replace `kind`/`key` with a JSON value.
    Put {
        kind: &'static str,
        key: String,
        json: Vec<u8>,
    },
    /// Remove `kind`/`key`.
    Delete { kind: &'static str, key: String },
    /// Append an audit entry (its `seq` is already assigned by [`super::Store::audit_seq`]).
    Audit(AuditEntry),
}

/// A signed, immutable version of a meeting.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SignedVersion {
    pub info: VersionInfo,
    /// The canonical Markdown rendering whose SHA-256 is `info.sha256`.
    pub markdown: String,
    /// The whole meeting's state as one document's v1 update (stored in its own table):
    /// the minutes with Part II's content in place
    /// (`minutebook_shared::meeting::part2::merged_state`).
    #[serde(skip)]
    pub state: Vec<u8>,
    /// The HTML export, sign-off footer included, frozen at sign-off (`None` for
    /// versions signed before it was kept: see [`crate::docs::version_export::html`]).
    #[serde(default)]
    pub html: Option<String>,
    /// The canonical form of `markdown` (`minutebook_shared::signoff::CANONICAL_FORM`);
    /// 1 for versions signed before the form carried its sign-off facts.
    #[serde(default = "first_form")]
    pub form: u32,
    /// The public version frozen with it (`None` for versions signed before public
    /// versions were kept, or when it could not be made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<PublicVersion>,
}

/// A signed version's public version, frozen with it: its text (exempt items replaced by
/// their placeholders) and the per-item commitment that proves it is the full version
/// with exactly those items withheld (`minutebook_shared::trust::commitment`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicVersion {
    /// The public canonical text.
    pub markdown: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// The commitment's Merkle root (hex).
    pub root: String,
    /// The full version's commitment block (every segment's salt).
    pub full_block: String,
    /// The public version's commitment block.
    pub public_block: String,
    /// The numbers of the items withheld (in order).
    #[serde(default)]
    pub withheld: Vec<String>,
}

impl SignedVersion {
    /// Whether its public version withholds anything (exempt items): its full renderings
    /// are then for restricted access only.
    pub fn withholds(&self) -> bool {
        self.public.as_ref().is_some_and(|p| !p.withheld.is_empty())
    }
}

fn first_form() -> u32 {
    1
}

/// What became durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The update with this sequence number is on disk.
    Appended(u64),
    /// The snapshot covering sequence numbers up to this one is on disk.
    Compacted(u64),
    /// Side writes are on disk.
    Meta,
    /// Numbers `first .. first + count` were reserved.
    Allocated { first: u32, count: u32 },
    /// A [`WriteOp::Probe`] committed: the disk takes writes.
    Probe,
}

/// Completion of a write, reported once it is durable (or failed).
pub type Completion = Result<Written, StoreError>;
