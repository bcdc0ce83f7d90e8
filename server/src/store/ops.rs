//! The writes the store accepts ([`WriteOp`]) and how each is written inside a group
//! commit's transaction ([`apply_op`]); checks that can refuse a write run before any of
//! its writes, so a refused one leaves nothing behind.

use std::sync::Arc;

use redb::ReadableTable;

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
    },
    /// Audit entries ordered in a document's write stream at `seq` (nothing is stored
    /// under it), reported as [`Written::Appended`]: what is gated behind it is told only
    /// once the entries are durable.
    Audit { seq: u64, entries: Vec<AuditEntry> },
    /// Trust records and audit entries ([`crate::auth`]); reported as [`Written::Meta`].
    Records(Vec<Record>),
    /// Replace the snapshot and drop the log entries up to and including `upto`.
    Compact {
        doc: Arc<str>,
        upto: u64,
        snapshot: Vec<u8>,
    },
}

impl WriteOp {
    /// The document this operation writes to, if it is one document's.
    pub fn doc(&self) -> Option<&str> {
        match self {
            WriteOp::Append { doc, .. }
            | WriteOp::Ledger { doc, .. }
            | WriteOp::Compact { doc, .. } => Some(doc),
            WriteOp::Meta(_)
            | WriteOp::Allocate { .. }
            | WriteOp::Audit { .. }
            | WriteOp::Records(_) => None,
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
    /// The full document state as a v1 update (stored in its own table).
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
}

/// Completion of a write, reported once it is durable (or failed).
pub type Completion = Result<Written, StoreError>;

/// The open tables of a write transaction.
pub(super) struct Tables<'a, 't> {
    pub(super) updates: &'a mut redb::Table<'t, (&'static str, u64), &'static [u8]>,
    pub(super) snapshots: &'a mut redb::Table<'t, &'static str, (u64, &'static [u8])>,
    pub(super) meetings: &'a mut redb::Table<'t, &'static str, &'static str>,
    pub(super) references: &'a mut redb::Table<'t, (&'static str, u8), u32>,
    pub(super) records: &'a mut redb::Table<'t, (&'static str, &'static str), &'static [u8]>,
    pub(super) ledgers: &'a mut redb::Table<'t, &'static str, &'static [u8]>,
    pub(super) versions: &'a mut redb::Table<'t, (&'static str, u32), &'static [u8]>,
    pub(super) version_states: &'a mut redb::Table<'t, (&'static str, u32), &'static [u8]>,
    pub(super) audit: &'a mut redb::Table<'t, (&'static str, u64), &'static [u8]>,
}

/// Writes one operation. Checks that can refuse it (an existing version) run before any
/// of its writes; an error here aborts the attempt (see [`commit_isolated`]).
pub(super) fn apply_op(op: &WriteOp, t: &mut Tables<'_, '_>) -> Result<Written, StoreError> {
    match op {
        WriteOp::Append {
            doc,
            seq,
            update,
            meta,
        } => {
            t.updates.insert((&**doc, *seq), update.as_slice())?;
            write_meta(t.meetings, t.references, meta)?;
            Ok(Written::Appended(*seq))
        }
        WriteOp::Meta(meta) => {
            write_meta(t.meetings, t.references, meta)?;
            Ok(Written::Meta)
        }
        WriteOp::Allocate {
            series,
            year,
            floor,
            count,
        } => {
            let current = t
                .references
                .get((series.as_str(), *year))?
                .map_or(0, |v| v.value());
            let base = current.max(*floor);
            let last = base.saturating_add(*count);
            t.references.insert((series.as_str(), *year), last)?;
            Ok(Written::Allocated {
                first: base.saturating_add(1),
                count: last - base,
            })
        }
        WriteOp::Ledger {
            doc,
            seq,
            ledger,
            version,
            audit: entries,
        } => {
            // Versions are immutable: never overwrite one (checked before any write).
            if let Some(v) = version {
                if t.versions.get((&**doc, v.info.version))?.is_some() {
                    return Err(StoreError::new(format!(
                        "version {} of {doc} already exists",
                        v.info.version
                    )));
                }
            }
            let json = serde_json::to_vec(&**ledger)?;
            t.ledgers.insert(&**doc, json.as_slice())?;
            if let Some(v) = version {
                let key = (&**doc, v.info.version);
                let json = serde_json::to_vec(&**v)?;
                t.versions.insert(key, json.as_slice())?;
                t.version_states.insert(key, v.state.as_slice())?;
            }
            for entry in entries {
                write_audit(t.audit, entry)?;
            }
            Ok(Written::Appended(*seq))
        }
        WriteOp::Audit { seq, entries } => {
            for entry in entries {
                write_audit(t.audit, entry)?;
            }
            Ok(Written::Appended(*seq))
        }
        WriteOp::Records(list) => {
            for record in list {
                match record {
                    Record::Put { kind, key, json } => {
                        t.records.insert((*kind, key.as_str()), json.as_slice())?;
                    }
                    Record::Delete { kind, key } => {
                        t.records.remove((*kind, key.as_str()))?;
                    }
                    Record::Audit(entry) => write_audit(t.audit, entry)?,
                }
            }
            Ok(Written::Meta)
        }
        WriteOp::Compact {
            doc,
            upto,
            snapshot,
        } => {
            t.snapshots.insert(&**doc, (*upto, snapshot.as_slice()))?;
            t.updates
                .retain_in((&**doc, 0)..=(&**doc, *upto), |_, _| false)?;
            Ok(Written::Compacted(*upto))
        }
    }
}

fn write_audit(
    audit: &mut redb::Table<(&str, u64), &[u8]>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let json = serde_json::to_vec(entry)?;
    audit.insert((entry.meeting.as_str(), entry.seq), json.as_slice())?;
    Ok(())
}

fn write_meta(
    meetings: &mut redb::Table<&str, &str>,
    references: &mut redb::Table<(&str, u8), u32>,
    meta: &[Meta],
) -> Result<(), StoreError> {
    for m in meta {
        match m {
            Meta::Catalog { doc, entry } => {
                meetings.insert(&**doc, entry.to_json().as_str())?;
            }
            Meta::Bump {
                series,
                year,
                at_least,
            } => {
                let current = references
                    .get((series.as_str(), *year))?
                    .map_or(0, |v| v.value());
                if *at_least > current {
                    references.insert((series.as_str(), *year), *at_least)?;
                }
            }
        }
    }
    Ok(())
}
