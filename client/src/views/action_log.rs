//! The action log of the meeting's series (`section#action-log`), for everyone who may
//! open the meeting: every action of the series' meetings once (a carried action as the
//! latest meeting holding it has it), from `GET …/series-actions`.
//!
//! Collapsed by default so a big page stays fast: `button#show-action-log` (aria-expanded)
//! shows `div#action-log-body` and fetches the log each time it is opened;
//! `button#refresh-action-log` fetches it again. Filters by owner name
//! (`select#log-owner`), status (`select#log-status`) and meeting (`select#log-meeting`,
//! a meeting the action appears in), all on the client. `table#action-log-table` has one
//! `tr[data-action][data-status][data-meeting]` per action (reference, description,
//! owners, due, status, the meetings it appears in — this one marked — and the latest
//! status change), or a `tr.l-empty` row when nothing matches. Failures show in
//! `#action-log-error` (role=alert), keeping the rows last read.
//!
//! Meetings are labelled by title and date: from the log itself (each row carries its
//! latest meeting's), this page's header for this meeting, and, only when some meeting
//! is still unnamed, the meeting list (`GET /api/meetings`).

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::meeting::ActionStatus;

use crate::access::{iso_time, local_time};
use crate::api;
use crate::meeting_trust::use_trust;
use crate::store::use_store;
use minutebook_shared::api::SeriesAction;

use crate::trust_api;
use crate::views::actions_panel::action_status_label;

/// Which log rows are shown, from the filter `<select>` values (`""` = no filter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only actions this person (by name) owns.
    pub owner: Option<String>,
    /// Only actions with this status (an unknown value filters nothing out).
    pub status: Option<ActionStatus>,
    /// Only actions appearing in this meeting.
    pub meeting: Option<String>,
}

impl LogFilter {
    /// From the values of `#log-owner`, `#log-status` and `#log-meeting`.
    pub fn from_values(owner: &str, status: &str, meeting: &str) -> Self {
        LogFilter {
            owner: (!owner.is_empty()).then(|| owner.to_owned()),
            status: ActionStatus::parse(status),
            meeting: (!meeting.is_empty()).then(|| meeting.to_owned()),
        }
    }

    /// Whether `row` passes.
    pub fn matches(&self, row: &SeriesAction) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|o| row.owners.iter().any(|n| n == o))
            && self
                .status
                .is_none_or(|s| ActionStatus::parse(&row.status) == Some(s))
            && self.meeting.as_ref().is_none_or(|m| appears_in(row, m))
    }
}

/// Whether `row`'s action appears in meeting `name`.
fn appears_in(row: &SeriesAction, name: &str) -> bool {
    row.meeting == name || row.meetings.iter().any(|m| m == name)
}

/// The meetings a row lists, oldest first (its latest meeting when the server sent none).
fn meetings_of(row: &SeriesAction) -> Vec<String> {
    if row.meetings.is_empty() {
        vec![row.meeting.clone()]
    } else {
        row.meetings.clone()
    }
}

/// Every owner name in the log, once each, alphabetically (ignoring case).
pub fn owner_names(rows: &[SeriesAction]) -> Vec<String> {
    let mut names: Vec<String> = rows
        .iter()
        .flat_map(|r| r.owners.iter())
        .filter(|n| !n.trim().is_empty())
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    names.sort_by(|a, b| a.to_lowercase().cmp(&b.to_lowercase()).then(a.cmp(b)));
    names
}

/// Every meeting in the log, oldest first: each row lists its meetings oldest first, so
/// the rows' lists are merged in an order that keeps all of them (ties in order of first
/// mention).
pub fn meeting_order(rows: &[SeriesAction]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut after: Vec<HashSet<usize>> = Vec::new();
    let mut before_count: Vec<usize> = Vec::new();
    for row in rows {
        let mut previous: Option<usize> = None;
        for m in meetings_of(row) {
            let i = *index.entry(m.clone()).or_insert_with(|| {
                names.push(m);
                after.push(HashSet::new());
                before_count.push(0);
                names.len() - 1
            });
            if let Some(p) = previous.filter(|p| *p != i) {
                if after[p].insert(i) {
                    before_count[i] += 1;
                }
            }
            previous = Some(i);
        }
    }
    let mut done = vec![false; names.len()];
    let mut out = Vec::with_capacity(names.len());
    while out.len() < names.len() {
        // The first-mentioned meeting with nothing left before it; on a cycle (which
        // the server never sends), the first-mentioned one left.
        let next = (0..names.len())
            .find(|&i| !done[i] && before_count[i] == 0)
            .or_else(|| (0..names.len()).find(|&i| !done[i]))
            .unwrap_or_default();
        done[next] = true;
        for &j in &after[next] {
            before_count[j] = before_count[j].saturating_sub(1);
        }
        out.push(names[next].clone());
    }
    out
}

/// How a meeting is named: "Title (date)", the title alone, else its document name.
pub fn meeting_label(title: &str, date: &str, name: &str) -> String {
    match (title.trim(), date.trim()) {
        ("", "") => name.to_owned(),
        ("", d) => format!("{name} ({d})"),
        (t, "") => t.to_owned(),
        (t, d) => format!("{t} ({d})"),
    }
}

/// Makes labels that several meetings share unique by adding the document name:
/// "Board (board-x1)".
pub fn disambiguate(labels: &mut HashMap<String, String>) {
    let mut uses: HashMap<String, usize> = HashMap::new();
    for label in labels.values() {
        *uses.entry(label.clone()).or_default() += 1;
    }
    for (name, label) in labels.iter_mut() {
        if uses.get(label.as_str()).is_some_and(|n| *n > 1) {
            *label = format!("{label} ({name})");
        }
    }
}

/// The meetings of the log whose title the log itself does not carry (it carries each
/// row's latest meeting's), other than `current` (named by the page's header).
pub fn unlabelled(rows: &[SeriesAction], current: &str) -> Vec<String> {
    let known: HashSet<&str> = rows.iter().map(|r| r.meeting.as_str()).collect();
    meeting_order(rows)
        .into_iter()
        .filter(|m| m != current && !known.contains(m.as_str()))
        .collect()
}

/// The section.
#[component]
pub fn ActionLog() -> impl IntoView {
    let store = use_store();
    let trust = use_trust();
    let current = trust.name();

    let shown = RwSignal::new(false);
    // `None` until the first answer; the answer's fetch number keys the rows, so each
    // answer redraws them (set together with the rows: one change).
    let log = RwSignal::new(None::<(u64, Vec<SeriesAction>)>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    // Bumped per fetch: an older answer arriving late is dropped.
    let generation = StoredValue::new(0u64);
    // Titles and dates from the meeting list, fetched only when the log lacks some.
    let listed = RwSignal::new(HashMap::<String, (String, String)>::new());

    let owner = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let meeting = RwSignal::new(String::new());

    let load = {
        let current = current.clone();
        move || {
            let fetch_no = generation.get_value() + 1;
            generation.set_value(fetch_no);
            loading.set(true);
            let name = current.clone();
            spawn_local(async move {
                let got = trust_api::series_actions(&name).await;
                if generation.try_get_value() != Some(fetch_no) {
                    return;
                }
                loading.try_set(false);
                let rows = match got {
                    Ok(rows) => rows,
                    Err(e) => {
                        error.try_set(Some(trust.explain("Cannot read the action log", &e)));
                        return;
                    }
                };
                // A filter value the new log no longer offers would hide everything
                // behind a select that shows "Everyone"/"All meetings".
                let owner_now = owner.get_untracked();
                if !owner_now.is_empty() && !owner_names(&rows).contains(&owner_now) {
                    owner.set(String::new());
                }
                let meeting_now = meeting.get_untracked();
                if !meeting_now.is_empty() && !meeting_order(&rows).contains(&meeting_now) {
                    meeting.set(String::new());
                }
                let missing = unlabelled(&rows, &name);
                error.try_set(None);
                log.try_set(Some((fetch_no, rows)));
                let have = listed.with_untracked(|l| missing.iter().all(|m| l.contains_key(m)));
                if !have {
                    match api::list().await {
                        Ok(list) => {
                            listed.try_set(
                                list.into_iter()
                                    .map(|m| (m.name, (m.title, m.date)))
                                    .collect(),
                            );
                        }
                        Err(e) => crate::warn(&format!("action log: meeting titles: {e}")),
                    }
                }
            });
        }
    };

    // Meeting name → label, best source first: this page's header (live), the log, the
    // meeting list, the name.
    let owners = Memo::new(move |_| {
        log.with(|l| l.as_ref().map(|(_, r)| owner_names(r)).unwrap_or_default())
    });
    let meetings = Memo::new(move |_| {
        log.with(|l| {
            l.as_ref()
                .map(|(_, r)| meeting_order(r))
                .unwrap_or_default()
        })
    });
    // The log's meetings (and this one) → label, best source first: this page's header
    // (live), the log, the meeting list, the name; labels shared within the log get the
    // name added.
    let labels = {
        let current = current.clone();
        Memo::new(move |_| {
            let mut out: HashMap<String, String> = HashMap::new();
            meetings.with(|names| {
                listed.with(|l| {
                    for name in names {
                        let label = match l.get(name) {
                            Some((title, date)) => meeting_label(title, date, name),
                            None => name.clone(),
                        };
                        out.insert(name.clone(), label);
                    }
                })
            });
            log.with(|rows| {
                for r in rows.iter().flat_map(|(_, rows)| rows) {
                    out.insert(
                        r.meeting.clone(),
                        meeting_label(&r.meeting_title, &r.meeting_date, &r.meeting),
                    );
                }
            });
            store.header.with(|h| {
                out.insert(
                    current.clone(),
                    meeting_label(&h.fields.title, &h.fields.date, &current),
                );
            });
            disambiguate(&mut out);
            out
        })
    };
    let label_of =
        move |name: &str| labels.with(|l| l.get(name).cloned().unwrap_or_else(|| name.to_owned()));

    let rows = Memo::new(move |_| {
        let filter = LogFilter::from_values(&owner.get(), &status.get(), &meeting.get());
        log.with(|l| {
            l.iter()
                .flat_map(|(n, rows)| rows.iter().map(move |r| (*n, r)))
                .filter(|(_, r)| filter.matches(r))
                .map(|(n, r)| (n, r.clone()))
                .collect::<Vec<_>>()
        })
    });
    let total = Memo::new(move |_| log.with(|l| l.as_ref().map(|(_, r)| r.len())));

    let series = Memo::new(move |_| {
        store.header.with(|h| {
            [&h.fields.series, &h.fields.title]
                .into_iter()
                .map(|s| s.trim())
                .find(|s| !s.is_empty())
                .map(str::to_owned)
        })
    });
    let heading = {
        let current = current.clone();
        move || {
            format!(
                "Action log — {}",
                series.get().unwrap_or_else(|| current.clone())
            )
        }
    };

    let toggle = {
        let load = load.clone();
        move |_| {
            let open = !shown.get_untracked();
            shown.set(open);
            if open {
                load();
            }
        }
    };
    let current_row = current.clone();

    view! {
        <section id="action-log" class="panel action-log" aria-labelledby="action-log-heading">
            <h2 id="action-log-heading">{heading}</h2>
            <p class="log-controls">
                <button type="button" id="show-action-log" aria-expanded=move || shown.get().to_string()
                    aria-controls="action-log-body" on:click=toggle>
                    {move || if shown.get() { "Hide the action log" } else { "Show the action log" }}
                </button>
            </p>
            <div id="action-log-body" hidden=move || !shown.get()>
                <div class="filters">
                    <button type="button" id="refresh-action-log" aria-label="Refresh the action log"
                        on:click=move |_| load()>"Refresh"</button>
                    <label for="log-owner">"Owner"</label>
                    <select id="log-owner" on:change=move |ev| owner.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || owner.get().is_empty()>"Everyone"</option>
                        <For each=move || owners.get() key=|n| n.clone()
                            children=move |n| {
                                let v = n.clone();
                                let value = n.clone();
                                view! {
                                    <option value=value prop:selected=move || owner.get() == v>{n}</option>
                                }
                            } />
                    </select>
                    <label for="log-status">"Status"</label>
                    <select id="log-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        {ActionStatus::ALL.iter().map(|s| view! {
                            <option value=s.as_str()>{action_status_label(*s)}</option>
                        }).collect_view()}
                    </select>
                    <label for="log-meeting">"Meeting"</label>
                    <select id="log-meeting" style="max-width: 100%" on:change=move |ev| meeting.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || meeting.get().is_empty()>"All meetings"</option>
                        <For each=move || meetings.get() key=|m| m.clone()
                            children=move |m| {
                                let v = m.clone();
                                let name = m.clone();
                                view! {
                                    <option value=m.clone() prop:selected=move || meeting.get() == v>
                                        {move || label_of(&name)}
                                    </option>
                                }
                            } />
                    </select>
                </div>
                <Show when=move || loading.get()>
                    <p class="hint" role="status">"Loading the action log…"</p>
                </Show>
                {move || error.get().map(|e| view! {
                    <p id="action-log-error" class="error" role="alert">{e}</p>
                })}
                <div class="table-wrap">
                    <table id="action-log-table" class="actions-table">
                        <caption class="sr-only">
                            {move || format!("Actions of the series {}, each once", series.get().unwrap_or_default())}
                        </caption>
                        <thead>
                            <tr>
                                <th scope="col">"Ref"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Owners"</th>
                                <th scope="col">"Due"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Meetings"</th>
                                <th scope="col">"Last change"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || rows.get()
                                key=|(n, r)| (*n, r.meeting.clone(), r.action.clone())
                                children=move |(_, r)| view! {
                                    <LogRow row=r current=current_row.clone() labels=labels />
                                } />
                            <Show when=move || total.get().is_some() && rows.with(Vec::is_empty)>
                                <tr class="l-empty">
                                    <td colspan="7">
                                        {move || if total.get() == Some(0) {
                                            "No actions in this series yet."
                                        } else {
                                            "No actions match the filters."
                                        }}
                                    </td>
                                </tr>
                            </Show>
                        </tbody>
                    </table>
                </div>
                <p class="hint" aria-live="polite">
                    {move || match (rows.with(Vec::len), total.get()) {
                        (_, None) | (_, Some(0)) => String::new(),
                        (n, Some(t)) if n == t => format!("{t} action(s) in the series."),
                        (n, Some(t)) => format!("Showing {n} of {t} actions."),
                    }}
                </p>
            </div>
        </section>
    }
}

/// One action's row (redrawn on every fetch).
#[component]
fn LogRow(
    row: SeriesAction,
    current: String,
    labels: Memo<HashMap<String, String>>,
) -> impl IntoView {
    let status_text = ActionStatus::parse(&row.status)
        .map(action_status_label)
        .map(str::to_owned)
        .unwrap_or_else(|| row.status.clone());
    let pending = row.reference.is_none();
    let reference = row
        .reference
        .clone()
        .unwrap_or_else(|| "pending".to_owned());
    let changed = match &row.changed {
        Some(c) => view! {
            "by " <span class="l-by">{c.by.clone()}</span> ", "
            <time datetime=iso_time(c.at)>{local_time(c.at)}</time>
        }
        .into_any(),
        None => view! { <span aria-label="no change recorded">"—"</span> }.into_any(),
    };
    let meetings = meetings_of(&row);
    let count = meetings.len();
    let meeting_list = meetings
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let name = m.clone();
            let label =
                move || labels.with(|l| l.get(&name).cloned().unwrap_or_else(|| name.clone()));
            let sep = if i + 1 < count { ", " } else { "" };
            if m == current {
                view! {
                    <strong class="l-current" aria-current="page">{label}</strong>
                    " (this meeting)" {sep}
                }
                .into_any()
            } else {
                view! { <a href=format!("?meeting={m}")>{label}</a> {sep} }.into_any()
            }
        })
        .collect_view();
    view! {
        <tr data-action=row.action.clone() data-status=row.status.clone() data-meeting=row.meeting.clone()>
            <td class="l-ref" class:pending=pending>
                {reference}
            </td>
            <td class="l-desc">{row.description.clone()}</td>
            <td class="l-owners">{row.owners.join(", ")}</td>
            <td class="l-due">{row.due.clone()}</td>
            <td class="l-status">{status_text}</td>
            <td class="l-meetings">{meeting_list}</td>
            <td class="l-changed">{changed}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(reference: &str, meetings: &[&str], owners: &[&str], status: &str) -> SeriesAction {
        SeriesAction {
            meeting: meetings.last().map(|m| (*m).to_owned()).unwrap_or_default(),
            meetings: meetings.iter().map(|m| (*m).to_owned()).collect(),
            meeting_title: String::new(),
            meeting_date: String::new(),
            action: format!("a-{reference}"),
            reference: Some(reference.to_owned()),
            description: String::new(),
            owners: owners.iter().map(|o| (*o).to_owned()).collect(),
            due: String::new(),
            status: status.to_owned(),
            changed: None,
        }
    }

    fn refs<'a>(rows: &'a [SeriesAction], f: &LogFilter) -> Vec<&'a str> {
        rows.iter()
            .filter(|r| f.matches(r))
            .filter_map(|r| r.reference.as_deref())
            .collect()
    }

    #[test]
    fn filters_by_owner_status_and_meeting() {
        let rows = [
            row("1", &["m1", "m2"], &["Ann"], "open"),
            row("2", &["m1"], &["Ann", "Bo"], "done"),
            row("3", &["m2"], &[], "dropped"),
        ];
        let f = LogFilter::from_values;
        assert_eq!(refs(&rows, &f("", "", "")), ["1", "2", "3"]);
        assert_eq!(refs(&rows, &f("Ann", "", "")), ["1", "2"]);
        assert_eq!(refs(&rows, &f("Bo", "", "")), ["2"]);
        assert_eq!(refs(&rows, &f("", "open", "")), ["1"]);
        assert_eq!(refs(&rows, &f("", "", "m1")), ["1", "2"]);
        assert_eq!(refs(&rows, &f("", "", "m2")), ["1", "3"]);
        assert_eq!(refs(&rows, &f("Ann", "done", "m1")), ["2"]);
        assert_eq!(refs(&rows, &f("", "bogus", "")), ["1", "2", "3"]);
        assert!(refs(&rows, &f("", "", "m9")).is_empty());
    }

    #[test]
    fn owners_once_alphabetically() {
        let rows = [
            row("1", &["m1"], &["bo", "Ann"], "open"),
            row("2", &["m1"], &["Ann", " "], "open"),
            row("3", &["m1"], &["Cy"], "open"),
        ];
        assert_eq!(owner_names(&rows), ["Ann", "bo", "Cy"]);
    }

    #[test]
    fn meetings_merge_oldest_first() {
        // Sorted by reference, so a late meeting's action can come first.
        let rows = [
            row("1", &["m3"], &[], "open"),
            row("2", &["m1", "m2", "m3"], &[], "open"),
            row("3", &["m2"], &[], "open"),
            row("4", &["m1", "m3"], &[], "open"),
        ];
        assert_eq!(meeting_order(&rows), ["m1", "m2", "m3"]);
        let mut lone = row("5", &[], &[], "open");
        lone.meeting = "m0".to_owned();
        assert_eq!(meeting_order(&[lone.clone()]), ["m0"]);
        assert!(LogFilter::from_values("", "", "m0").matches(&lone));
        assert!(meeting_order(&[]).is_empty());
    }

    #[test]
    fn labels_and_unlabelled() {
        assert_eq!(meeting_label("Board", "2 May", "m1"), "Board (2 May)");
        assert_eq!(meeting_label("Board", " ", "m1"), "Board");
        assert_eq!(meeting_label("", "2 May", "m1"), "m1 (2 May)");
        assert_eq!(meeting_label(" ", "", "m1"), "m1");
        let rows = [
            row("1", &["m1", "m2", "m3"], &[], "open"),
            row("2", &["m2"], &[], "open"),
        ];
        // m3 and m2 are some row's latest meeting; m1 is not.
        assert_eq!(unlabelled(&rows, "m3"), ["m1"]);
        assert!(unlabelled(&rows, "m1").is_empty());
    }

    #[test]
    fn shared_labels_get_the_name() {
        let mut labels: HashMap<String, String> =
            [("b1", "Board"), ("b2", "Board"), ("c", "Other")]
                .into_iter()
                .map(|(n, l)| (n.to_owned(), l.to_owned()))
                .collect();
        disambiguate(&mut labels);
        assert_eq!(labels["b1"], "Board (b1)");
        assert_eq!(labels["b2"], "Board (b2)");
        assert_eq!(labels["c"], "Other");
    }
}
