//! How each [`WriteOp`] is written inside a group commit's redb transaction
//! ([`apply_op`]); checks that can refuse a write run before any of its writes, so a
//! refused one leaves nothing behind.

use redb::ReadableTable;

use minutebook_shared::trust::AuditEntry;

use crate::store::ops::{Meta, Record, WriteOp, Written};
use crate::store::StoreError;

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
/// of its writes; an error here aborts the attempt (see [`super::commit::commit_isolated`]).
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
        WriteOp::Probe => Ok(Written::Probe),
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
            records,
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
            write_records(t, records)?;
            Ok(Written::Appended(*seq))
        }
        WriteOp::Audit { seq, entries } => {
            for entry in entries {
                write_audit(t.audit, entry)?;
            }
            Ok(Written::Appended(*seq))
        }
        WriteOp::Records(list) => {
            write_records(t, list)?;
            Ok(Written::Meta)
        }
        WriteOp::Rebuild {
            doc,
            seq,
            snapshot,
            records,
        } => {
            t.snapshots.insert(&**doc, (*seq, snapshot.as_slice()))?;
            t.updates
                .retain_in((&**doc, 0)..=(&**doc, *seq), |_, _| false)?;
            write_records(t, records)?;
            Ok(Written::Appended(*seq))
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

fn write_records(t: &mut Tables<'_, '_>, list: &[Record]) -> Result<(), StoreError> {
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
    Ok(())
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
