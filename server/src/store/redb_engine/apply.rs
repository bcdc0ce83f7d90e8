//! How each [`WriteOp`] is written inside a group commit's redb transaction
//! ([`apply_op`]); checks that can refuse a write run before any of its writes, so a
//! refused one leaves nothing behind.

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::tables::*;

use minutebook_shared::trust::AuditEntry;

use crate::store::ops::{Meta, Record, WriteOp, Written};
use crate::store::StoreError;

/// A table of a write transaction, opened on first use.
type Slot<'t, K, V> = Option<redb::Table<'t, K, V>>;

/// Opens `definition` into `slot` unless it is open already.
fn opened<'s, 't, K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &'t WriteTransaction,
    slot: &'s mut Slot<'t, K, V>,
    definition: TableDefinition<K, V>,
) -> Result<&'s mut redb::Table<'t, K, V>, StoreError> {
    if slot.is_none() {
        *slot = Some(txn.open_table(definition)?);
    }
    slot.as_mut()
        .ok_or_else(|| StoreError::new("a table could not be opened"))
}

macro_rules! tables {
    ($($name:ident: $def:ident => ($k:ty, $v:ty);)*) => {
        /// The tables of a write transaction, each opened when an operation first needs
        /// it: most commits only append updates, and opening all ten tables for each
        /// took an eighth of the writer thread's CPU (BENCHMARKS.md, M8).
        pub(super) struct Tables<'t> {
            txn: &'t WriteTransaction,
            $($name: Slot<'t, $k, $v>,)*
        }

        impl<'t> Tables<'t> {
            pub(super) fn new(txn: &'t WriteTransaction) -> Self {
                Tables { txn, $($name: None,)* }
            }

            $(
                fn $name(&mut self) -> Result<&mut redb::Table<'t, $k, $v>, StoreError> {
                    opened(self.txn, &mut self.$name, $def)
                }
            )*
        }
    };
}

tables! {
    updates: UPDATES => ((&'static str, u64), &'static [u8]);
    snapshots: SNAPSHOTS => (&'static str, (u64, &'static [u8]));
    meetings: MEETINGS => (&'static str, &'static str);
    references: REFERENCES => ((&'static str, u8), u32);
    records: RECORDS => ((&'static str, &'static str), &'static [u8]);
    ledgers: LEDGERS => (&'static str, &'static [u8]);
    versions: VERSIONS => ((&'static str, u32), &'static [u8]);
    version_states: VERSION_STATES => ((&'static str, u32), &'static [u8]);
    audit: AUDIT => ((&'static str, u64), &'static [u8]);
    audit_order: AUDIT_ORDER => (u64, &'static str);
    client_owners: CLIENT_OWNERS => ((&'static str, u64), &'static str);
}

/// Writes one operation. Checks that can refuse it (an existing version) run before any
/// of its writes; an error here aborts the attempt (see [`super::commit::commit_isolated`]).
pub(super) fn apply_op(op: &WriteOp, t: &mut Tables<'_>) -> Result<Written, StoreError> {
    match op {
        WriteOp::Append {
            doc,
            seq,
            update,
            meta,
        } => {
            t.updates()?.insert((&**doc, *seq), update.as_slice())?;
            write_meta(t, meta)?;
            Ok(Written::Appended(*seq))
        }
        WriteOp::Probe => Ok(Written::Probe),
        WriteOp::Meta(meta) => {
            write_meta(t, meta)?;
            Ok(Written::Meta)
        }
        WriteOp::Allocate {
            series,
            year,
            floor,
            count,
        } => {
            let current = t
                .references()?
                .get((series.as_str(), *year))?
                .map_or(0, |v| v.value());
            let base = current.max(*floor);
            let last = base.saturating_add(*count);
            t.references()?.insert((series.as_str(), *year), last)?;
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
                if t.versions()?.get((&**doc, v.info.version))?.is_some() {
                    return Err(StoreError::new(format!(
                        "version {} of {doc} already exists",
                        v.info.version
                    )));
                }
            }
            let json = serde_json::to_vec(&**ledger)?;
            t.ledgers()?.insert(&**doc, json.as_slice())?;
            if let Some(v) = version {
                let key = (&**doc, v.info.version);
                let json = serde_json::to_vec(&**v)?;
                t.versions()?.insert(key, json.as_slice())?;
                t.version_states()?.insert(key, v.state.as_slice())?;
            }
            for entry in entries {
                write_audit(t, entry)?;
            }
            write_records(t, records)?;
            Ok(Written::Appended(*seq))
        }
        WriteOp::Audit { seq, entries } => {
            for entry in entries {
                write_audit(t, entry)?;
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
            t.snapshots()?.insert(&**doc, (*seq, snapshot.as_slice()))?;
            t.updates()?
                .retain_in((&**doc, 0)..=(&**doc, *seq), |_, _| false)?;
            write_records(t, records)?;
            Ok(Written::Appended(*seq))
        }
        WriteOp::Compact {
            doc,
            upto,
            snapshot,
        } => {
            t.snapshots()?
                .insert(&**doc, (*upto, snapshot.as_slice()))?;
            t.updates()?
                .retain_in((&**doc, 0)..=(&**doc, *upto), |_, _| false)?;
            Ok(Written::Compacted(*upto))
        }
    }
}

fn write_records(t: &mut Tables<'_>, list: &[Record]) -> Result<(), StoreError> {
    for record in list {
        match record {
            Record::Put { kind, key, json } => {
                t.records()?
                    .insert((*kind, key.as_str()), json.as_slice())?;
            }
            Record::Delete { kind, key } => {
                t.records()?.remove((*kind, key.as_str()))?;
            }
            Record::Audit(entry) => write_audit(t, entry)?,
        }
    }
    Ok(())
}

fn write_audit(t: &mut Tables<'_>, entry: &AuditEntry) -> Result<(), StoreError> {
    let json = serde_json::to_vec(entry)?;
    t.audit()?
        .insert((entry.meeting.as_str(), entry.seq), json.as_slice())?;
    t.audit_order()?.insert(entry.seq, entry.meeting.as_str())?;
    Ok(())
}

fn write_meta(t: &mut Tables<'_>, meta: &[Meta]) -> Result<(), StoreError> {
    for m in meta {
        match m {
            Meta::Catalog { doc, entry } => {
                t.meetings()?.insert(&**doc, entry.to_json().as_str())?;
            }
            Meta::Bump {
                series,
                year,
                at_least,
            } => {
                let current = t
                    .references()?
                    .get((series.as_str(), *year))?
                    .map_or(0, |v| v.value());
                if *at_least > current {
                    t.references()?
                        .insert((series.as_str(), *year), *at_least)?;
                }
            }
            Meta::ClientOwners { doc, owners } => {
                for (client, owner) in owners {
                    t.client_owners()?.insert((&**doc, *client), &**owner)?;
                }
            }
            Meta::Audit(entry) => write_audit(t, entry)?,
        }
    }
    Ok(())
}
