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
use minutebook_shared::meeting::{ActionId, Meeting};
use minutebook_shared::time::now_micros;
use yrs::{Doc, Transact, TransactionMut};

use crate::store::catalog::CatalogEntry;
use crate::store::{Meta, WriteOp};

/// Actions waiting for reference numbers reserved by one [`WriteOp::Allocate`].
pub(crate) struct Allocation {
    pub(crate) year: u8,
    pub(crate) actions: Vec<String>,
}

impl Allocation {
    /// Writes the reserved numbers `first..first + count` into the actions, in order; the
    /// references given. An action deleted, or given a reference meanwhile, leaves a gap
    /// in the series, never a duplicate.
    pub(crate) fn assign(
        &self,
        meeting: &Meeting,
        txn: &mut TransactionMut,
        first: u32,
        count: u32,
    ) -> Vec<String> {
        let mut given = Vec::new();
        for (i, id) in self.actions.iter().enumerate().take(count as usize) {
            let reference = ActionReference {
                year: self.year,
                number: first.saturating_add(i as u32),
            }
            .to_string();
            if meeting
                .assign_reference(txn, &ActionId(id.clone()), &reference)
                .is_ok()
            {
                given.push(reference);
            }
        }
        given
    }
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

    /// The oldest allocation, whose numbers the store has just reserved: its actions are
    /// no longer waiting.
    pub(crate) fn take_allocation(&mut self) -> Option<Allocation> {
        let allocation = self.allocations.pop_front()?;
        for id in &allocation.actions {
            self.pending.remove(id);
        }
        Some(allocation)
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

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::meeting::NewAction;

    /// Three actions in a meeting; the second deleted, the third given a reference.
    fn meeting_with_actions() -> (Meeting, Vec<String>) {
        let m = Meeting::new(Doc::new());
        let mut txn = m.doc().transact_mut();
        let ids: Vec<String> = (0..3)
            .map(|_| {
                m.add_action(&mut txn, &NewAction::default())
                    .expect("adds")
                    .0
            })
            .collect();
        m.delete_action(&mut txn, &ActionId(ids[1].clone()))
            .expect("deletes");
        m.assign_reference(&mut txn, &ActionId(ids[2].clone()), "09/26")
            .expect("assigns");
        drop(txn);
        (m, ids)
    }

    #[test]
    fn reserved_numbers_go_to_the_actions_in_order_leaving_gaps_not_duplicates() {
        let (m, ids) = meeting_with_actions();
        let allocation = Allocation {
            year: 26,
            actions: ids,
        };
        let given = allocation.assign(&m, &mut m.doc().transact_mut(), 4, 3);
        // The first gets 04/26; the deleted one and the one already numbered keep 05 and
        // 06 unused rather than shifting anyone.
        assert_eq!(given, ["04/26"]);
        let records = m.action_records(&m.doc().transact());
        let mut references: Vec<&str> = records.iter().map(|r| r.reference.as_str()).collect();
        references.sort_unstable();
        assert_eq!(references, ["", "04/26", "09/26"]);
    }

    #[test]
    fn fewer_numbers_than_actions_number_only_the_first() {
        let (m, ids) = meeting_with_actions();
        let allocation = Allocation {
            year: 26,
            actions: vec![ids[0].clone()],
        };
        assert!(allocation
            .assign(&m, &mut m.doc().transact_mut(), 7, 0)
            .is_empty());
        assert_eq!(
            allocation.assign(&m, &mut m.doc().transact_mut(), 7, 1),
            ["07/26"]
        );
    }

    #[test]
    fn a_taken_allocation_no_longer_waits() {
        let (m, ids) = meeting_with_actions();
        let mut state = MeetingState::new(m.doc(), None);
        state.pending.extend(ids.iter().cloned());
        state.allocations.push_back(Allocation {
            year: 26,
            actions: ids.clone(),
        });
        let taken = state.take_allocation().expect("one");
        assert_eq!(taken.actions, ids);
        assert!(state.pending.is_empty());
        assert!(state.take_allocation().is_none());
    }
}
