//! A meeting document's side records, kept by its actor ([`crate::docs::actor`]): the catalog
//! entry (header summary) and the action references.
//!
//! After each update the actor asks `MeetingState::side_writes` what to write beside
//! it: the catalog entry when the header summary (four fields of one root map) changed,
//! counter bumps past the references the meeting holds, and — when the action map grew and
//! some live action has no reference — a reservation of the next numbers of the meeting's
//! series and year ([`WriteOp::Allocate`], run on the store's single writer so two
//! documents of one series never get the same number).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use minutebook_shared::meeting::reference::{next_reference, ActionReference};
use minutebook_shared::meeting::reference::{reference_year, series_key};
use minutebook_shared::meeting::Meeting;
use minutebook_shared::time::now_micros;
use yrs::{Doc, Transact};

use crate::store::catalog::CatalogEntry;
use crate::store::{Meta, WriteOp};

/// Actions waiting for reference numbers reserved by one [`WriteOp::Allocate`].
pub(crate) struct Allocation {
    pub(crate) year: u8,
    pub(crate) actions: Vec<String>,
}

/// Side records of a meeting document (catalog entry, references).
pub(crate) struct MeetingState {
    pub(crate) meeting: Meeting,
    /// The catalog entry as last stored (or loaded).
    catalog: Option<CatalogEntry>,
    /// Size of the actions map at the last scan (entities are never removed from it).
    actions_seen: u32,
    /// Actions whose numbers are being reserved.
    pub(crate) pending: HashSet<String>,
    pub(crate) allocations: VecDeque<Allocation>,
    /// Counters this actor already raised: (series key, year) → at least this.
    bumped: HashMap<(String, u8), u32>,
    /// Action id → (reference, status) as last seen, to record who changed a status.
    statuses: HashMap<String, (String, String)>,
}

/// An action whose status changed in one update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusChange {
    pub(crate) action: String,
    pub(crate) reference: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

impl MeetingState {
    pub(crate) fn new(doc: &Doc, catalog: Option<CatalogEntry>) -> Self {
        MeetingState {
            meeting: Meeting::new(doc.clone()),
            catalog,
            actions_seen: 0,
            pending: HashSet::new(),
            allocations: VecDeque::new(),
            bumped: HashMap::new(),
            statuses: HashMap::new(),
        }
    }

    /// Actions whose status differs from the last call (the first call only records).
    pub(crate) fn status_changes(&mut self, doc: &Doc) -> Vec<StatusChange> {
        let txn = doc.transact();
        let first = self.statuses.is_empty();
        let mut changes = Vec::new();
        for a in self.meeting.action_records(&txn) {
            let previous = self
                .statuses
                .insert(a.id.clone(), (a.reference.clone(), a.status.clone()));
            if let Some((_, old)) = previous {
                if old != a.status && !first {
                    changes.push(StatusChange {
                        action: a.id,
                        reference: a.reference,
                        from: old,
                        to: a.status,
                    });
                }
            }
        }
        changes
    }

    /// Rebinds to a rebuilt document, keeping what was stored.
    pub(crate) fn rebind(&mut self, doc: &Doc) {
        self.meeting = Meeting::new(doc.clone());
        self.actions_seen = 0;
    }

    /// Compares the header summary and the action map with what was last stored.
    pub(crate) fn side_writes(&mut self, doc: &Doc, name: &Arc<str>) -> SideWrites {
        let mut out = SideWrites::default();
        let txn = doc.transact();
        let m = self;
        let summary = m.meeting.summary(&txn).map(CatalogEntry::of);
        if let Some(mut entry) = summary.clone() {
            let changed = m.catalog.as_ref().is_none_or(|c| !c.same_header(&entry));
            if changed {
                entry.created = m.catalog.as_ref().map_or_else(now_micros, |c| c.created);
                out.meta.push(Meta::Catalog {
                    doc: name.clone(),
                    entry: entry.clone(),
                });
                m.catalog = Some(entry);
            }
        }
        let n = m.meeting.action_entries(&txn);
        if n == m.actions_seen {
            return out;
        }
        m.actions_seen = n;
        let summary = summary.unwrap_or_default();
        let series = series_key(&summary.series, name);
        let mut references: Vec<String> = Vec::new();
        let mut unassigned: Vec<(String, String)> = Vec::new();
        for a in m.meeting.action_records(&txn) {
            if !a.reference.is_empty() {
                references.push(a.reference);
            } else if !a.deleted && !m.pending.contains(&a.id) {
                unassigned.push((a.order, a.id));
            }
        }
        // Raise the series' counters past every reference this meeting holds.
        let mut highest: BTreeMap<u8, u32> = BTreeMap::new();
        for r in references.iter().filter_map(|r| ActionReference::parse(r)) {
            let h = highest.entry(r.year).or_default();
            *h = (*h).max(r.number);
        }
        for (year, at_least) in highest {
            let known = m.bumped.entry((series.clone(), year)).or_default();
            if at_least > *known {
                *known = at_least;
                out.meta.push(Meta::Bump {
                    series: series.clone(),
                    year,
                    at_least,
                });
            }
        }
        if !unassigned.is_empty() {
            unassigned.sort();
            let year = reference_year(&summary.date, &summary.title);
            let next = next_reference(references.iter().map(String::as_str), year);
            let actions: Vec<String> = unassigned.into_iter().map(|(_, id)| id).collect();
            let count = u32::try_from(actions.len()).unwrap_or(u32::MAX);
            out.allocate = Some((
                WriteOp::Allocate {
                    series,
                    year: next.year,
                    floor: next.number.saturating_sub(1),
                    count,
                },
                Allocation {
                    year: next.year,
                    actions,
                },
            ));
        }
        out
    }
}

/// What the current state asks to be written beside it.
#[derive(Default)]
pub(crate) struct SideWrites {
    pub(crate) meta: Vec<Meta>,
    pub(crate) allocate: Option<(WriteOp, Allocation)>,
}
