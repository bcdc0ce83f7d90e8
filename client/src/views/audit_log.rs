//! The audit log (`section#audit-panel`), for the chair, minute-takers and
//! administrators: `button#show-audit` shows `table#audit-log` (time, who, role, event,
//! detail; `tr[data-seq][data-event]`), refreshed on `button#refresh-audit` and whenever
//! the ledger changes while it is shown; `a#audit-csv` downloads it as CSV. Details show
//! item numbers and names where the server wrote ids ([`humanise`]; the exact text is the
//! cell's `title`). It shows the newest [`PAGE`] entries; `button#audit-older` shows
//! [`PAGE`] more each time, up to [`MOST`] (then the download has the rest), so a long
//! log is never fetched whole on every refresh.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::trust::AuditEntry;

use crate::access::{iso_time, local_time};
use crate::audit_text::humanise;
use crate::meeting_trust::use_trust;
use crate::store::use_store;
use crate::trust_api;

/// Entries shown at first, and added by each "Show older entries".
pub const PAGE: usize = 200;
/// Most entries shown (below the server's most in one answer, 5,000).
pub const MOST: usize = 4_000;

/// The panel (nothing for attendees and observers).
#[component]
pub fn AuditLog() -> impl IntoView {
    let trust = use_trust();
    view! {
        <Show when=move || trust.access.with(|a| a.as_ref().is_some_and(|a| a.audits()))>
            <AuditPanel />
        </Show>
    }
}

#[component]
fn AuditPanel() -> impl IntoView {
    let trust = use_trust();
    let store = use_store();
    let shown = RwSignal::new(false);
    let wanted = RwSignal::new(PAGE);
    // The entries shown, and whether older ones exist.
    let entries = RwSignal::new(None::<Result<(Vec<AuditEntry>, bool), String>>);
    let load = move || {
        let name = trust.name();
        let count = wanted.get_untracked();
        spawn_local(async move {
            let got = trust_api::audit(&name, count)
                .await
                .map_err(|e| trust.explain("Cannot read the audit log", &e));
            entries.try_set(Some(got));
        });
    };
    let more = move || entries.with(|e| matches!(e, Some(Ok((_, true)))));
    // Every ledger change is an audited event: follow it while shown.
    Effect::new(move |_| {
        trust.ledger.track();
        if shown.get() {
            load();
        }
    });
    let csv = trust_api::audit_csv_url(&trust.name());
    view! {
        <section id="audit-panel" class="panel trust-panel" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit log"</h2>
            <p class="audit-controls">
                <button type="button" id="show-audit" aria-expanded=move || shown.get().to_string()
                    aria-controls="audit-log"
                    on:click=move |_| shown.update(|s| *s = !*s)>
                    {move || if shown.get() { "Hide the audit log" } else { "Show the audit log" }}
                </button>
                " "
                <Show when=move || shown.get()>
                    <button type="button" id="refresh-audit" on:click=move |_| load()>"Refresh"</button>
                </Show>
                " "
                <a id="audit-csv" href=csv download="">"Download CSV"</a>
            </p>
            <Show when=move || shown.get()>
                {move || entries.with(|e| match e {
                    None => view! { <p class="hint" role="status">"Loading…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p id="audit-error" class="error" role="alert">{e.clone()}</p> }.into_any(),
                    Some(Ok(_)) => ().into_any(),
                })}
                <div class="table-wrap">
                    <table id="audit-log">
                        <caption class="sr-only">"Audit log of this meeting, newest last"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Time"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"Role"</th>
                                <th scope="col">"Event"</th>
                                <th scope="col">"Detail"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || entries.with(|e| match e {
                                    Some(Ok((list, _))) => list.clone(),
                                    _ => Vec::new(),
                                })
                                key=|e| e.seq
                                children=move |e| view! {
                                    <tr data-seq=e.seq.to_string() data-event=e.event.clone()>
                                        <td><time datetime=iso_time(e.at)>{local_time(e.at)}</time></td>
                                        <td class="au-actor">{e.actor.clone()}</td>
                                        <td class="au-role">{e.role.map(|r| r.label()).unwrap_or("")}</td>
                                        <td class="au-event">{e.event.clone()}</td>
                                        <td class="au-detail" title=e.detail.clone()>
                                            {store.with_untracked(|snap| humanise(&e.detail, snap))}
                                        </td>
                                    </tr>
                                } />
                        </tbody>
                    </table>
                </div>
                <Show when=more>
                    {move || if wanted.get() < MOST {
                        view! {
                            <button type="button" id="audit-older" on:click=move |_| {
                                wanted.update(|w| *w = (*w + PAGE).min(MOST));
                                load();
                            }>"Show older entries"</button>
                        }.into_any()
                    } else {
                        view! {
                            <p id="audit-older-hint" class="hint">
                                "Older entries are in the CSV download."
                            </p>
                        }.into_any()
                    }}
                </Show>
            </Show>
        </section>
    }
}
