//! The action log of a series: every action of the meetings of the series the caller may
//! open, once each, with its latest status change (who and when, from the audit log).
//!
//! Open actions are carried into the next meeting with their reference, so one action
//! can appear in several meetings. The log shows it once, as the latest meeting that
//! holds it has it (that is its current status), and lists every meeting it appears in.

use std::collections::HashMap;

use minutebook_shared::api::SeriesAction;
use minutebook_shared::meeting::reference::{series_key, ActionReference};
use minutebook_shared::trust::{AuditEntry, Stamp};

use super::{read_store, MeetingError};
use crate::docs::registry::Registry;

/// The actions of the series of meeting `name`, by reference, from the meetings of the
/// series that `may_open` allows (meeting `name` itself must be catalogued); an action
/// raised in an exempt (Part II) item only from the meetings where `sees_exempt` says the
/// caller has restricted access.
pub async fn series_actions(
    registry: &Registry,
    name: &str,
    may_open: impl Fn(&str) -> bool,
    sees_exempt: impl Fn(&str) -> bool,
) -> Result<Vec<SeriesAction>, MeetingError> {
    let listed = read_store(registry, |store| store.meetings()).await?;
    let Some((_, this)) = listed.iter().find(|(n, _)| n == name) else {
        return Err(MeetingError::NotFound(name.to_string()));
    };
    let key = series_key(&this.series, name);
    let mut members: Vec<_> = listed
        .iter()
        .filter(|(n, e)| series_key(&e.series, n) == key && may_open(n))
        .collect();
    members.sort_by_key(|(_, e)| e.created);
    // Linear in the number of actions: entries are found by reference through a map (a
    // replaced copy leaves a hole), and each meeting's audit log is read once.
    let mut out: Vec<Option<SeriesAction>> = Vec::new();
    let mut by_reference: HashMap<String, usize> = HashMap::new();
    for (meeting, entry) in members {
        let view = match super::read_view(registry, meeting).await {
            Ok(view) => view,
            Err(e) => {
                tracing::warn!(meeting = %meeting, error = %e, "meeting left out of the action log");
                continue;
            }
        };
        let audit = super::records::audit(registry, Some(meeting)).await?;
        // The latest status change of each action ("action {id} …").
        let mut last_change: HashMap<&str, &AuditEntry> = HashMap::new();
        for e in audit.iter().filter(|e| e.event == "action-status") {
            if let Some(id) = e
                .detail
                .strip_prefix("action ")
                .and_then(|rest| rest.split_once(' '))
                .map(|(id, _)| id)
            {
                last_change.insert(id, e);
            }
        }
        let index = minutebook_shared::meeting::ViewIndex::new(&view);
        let restricted = sees_exempt(meeting);
        for action in &view.actions {
            let exempt = action
                .item
                .as_ref()
                .and_then(|i| index.item(i))
                .is_some_and(|i| i.effective_exemption.is_some());
            if exempt && !restricted {
                continue;
            }
            let changed = last_change.get(action.id.as_str()).map(|e| Stamp {
                by: e.actor.clone(),
                person: None,
                at: e.at,
                ..Stamp::default()
            });
            // A carried action (same reference) replaces its earlier copy.
            let earlier = action
                .fields
                .reference
                .as_ref()
                .and_then(|r| by_reference.get(r).copied());
            let mut meetings = match earlier.and_then(|at| out[at].take()) {
                Some(e) => e.meetings,
                None => Vec::new(),
            };
            meetings.push(meeting.clone());
            if let Some(r) = &action.fields.reference {
                by_reference.insert(r.clone(), out.len());
            }
            out.push(Some(SeriesAction {
                meeting: meeting.clone(),
                meetings,
                meeting_title: entry.title.clone(),
                meeting_date: entry.date.clone(),
                action: action.id.0.clone(),
                reference: action.fields.reference.clone(),
                description: action.fields.description.clone(),
                owners: action
                    .owners
                    .iter()
                    .filter_map(|p| index.person(p).map(|v| v.person.name.clone()))
                    .collect(),
                due: action.fields.due.clone(),
                status: action.fields.status.as_str().to_string(),
                changed,
            }));
        }
    }
    let mut out: Vec<SeriesAction> = out.into_iter().flatten().collect();
    out.sort_by(|a, b| {
        reference_key(a.reference.as_deref()).cmp(&reference_key(b.reference.as_deref()))
    });
    Ok(out)
}

/// Orders "06/23" by year, then number; actions without a reference last.
fn reference_key(reference: Option<&str>) -> (u8, u32, u32) {
    match reference.and_then(ActionReference::parse) {
        Some(r) => (0, u32::from(r.year), r.number),
        None => (1, 0, 0),
    }
}
