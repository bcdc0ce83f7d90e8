//! The chair's sign-off panel (`section#sign-off-panel`): readiness counts
//! (`dl#readiness[data-complete]` with `#ready-confirmed`, `#ready-pending`,
//! `#ready-changed`, `#ready-corrections`, computed live with
//! `minutebook_shared::trust::readiness`; confirmations count per statement **and**
//! speaker, so a statement by two people counts twice), the statements not yet confirmed
//! by every speaker and whose confirmation is missing (`ul#unconfirmed-list >
//! li.unconfirmed[data-block=ID][data-missing="ID ID"]`, "2.1 — waiting for PCC, CC"),
//! and
//!
//! - while a draft: `button#sign-off` ("Sign off"); when not everything is confirmed,
//!   `textarea#override-reason` must say why → `POST …/sign-off`;
//! - when signed: `textarea#reopen-reason` and `button#reopen` ("Reopen") → `POST …/reopen`.
//!
//! Outcomes show in `#sign-off-status` (role=status), failures in `#sign-off-error`
//! (role=alert).

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::trust;

use crate::meeting_trust::use_trust;
use crate::store::use_store;
use crate::trust_api;
use crate::views::statement_status::{join_names, missing, speaker_label};

/// The panel (nothing unless the user chairs the meeting).
#[component]
pub fn SignOff() -> impl IntoView {
    let trust = use_trust();
    view! {
        <Show when=move || trust.access.with(|a| a.as_ref().is_some_and(|a| a.signs()))>
            <SignOffPanel />
        </Show>
    }
}

#[component]
fn SignOffPanel() -> impl IntoView {
    let trust = use_trust();
    let store = use_store();
    let readiness = Memo::new(move |_| {
        store.revision.track();
        trust
            .ledger
            .with(|l| store.with_untracked(|snap| trust::readiness(&snap.view, l)))
    });
    let counts = Memo::new(move |_| {
        readiness.with(|r| {
            (
                r.confirmed,
                r.pending,
                r.changed,
                r.corrections_open,
                r.complete(),
            )
        })
    });
    let complete = move || counts.get().4;
    // (block, item number, missing ids, "waiting for …", changed since confirmed)
    let unconfirmed = Memo::new(move |_| {
        readiness.with(|r| {
            store.people.with(|people| {
                r.statements
                    .iter()
                    .filter(|s| s.status != trust::StatementStatus::Confirmed)
                    .map(|s| {
                        let ids = missing(&s.by_speaker);
                        let names: Vec<String> =
                            ids.iter().map(|id| speaker_label(people, id)).collect();
                        (
                            s.block.clone(),
                            s.item.clone(),
                            ids.join(" "),
                            join_names(&names),
                            s.status == trust::StatementStatus::Changed,
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let signed = move || trust.ledger.with(|l| l.signed());
    let reason = RwSignal::new(String::new());
    let reopen_reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let sign = move |_| {
        let why = reason.get_untracked().trim().to_owned();
        if !complete() && why.is_empty() {
            error.set(Some(
                "Not everything is confirmed: say why you sign off anyway (override reason)."
                    .to_owned(),
            ));
            crate::focus::focus_later("#override-reason".to_owned());
            return;
        }
        busy.set(true);
        error.set(None);
        status.set(None);
        let name = trust.name();
        let why = if complete() { String::new() } else { why };
        spawn_local(async move {
            match trust_api::sign_off(&name, &why).await {
                Ok(v) => {
                    status.try_set(Some(format!(
                        "Signed off as version {} (SHA-256 {}).",
                        v.version,
                        crate::access::short_hash(&v.sha256)
                    )));
                    reason.try_set(String::new());
                    trust.after_command(None);
                }
                Err(e) => {
                    error.try_set(Some(trust.explain("Not signed off", &e)));
                }
            }
            busy.try_set(false);
        });
    };
    let reopen = move |_| {
        let why = reopen_reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            error.set(Some("Say why the minutes are reopened.".to_owned()));
            crate::focus::focus_later("#reopen-reason".to_owned());
            return;
        }
        busy.set(true);
        error.set(None);
        status.set(None);
        let name = trust.name();
        spawn_local(async move {
            match trust_api::reopen(&name, &why).await {
                Ok(l) => {
                    status.try_set(Some("Reopened: the minutes are a draft again.".to_owned()));
                    reopen_reason.try_set(String::new());
                    trust.after_command(Some(l));
                }
                Err(e) => {
                    error.try_set(Some(trust.explain("Not reopened", &e)));
                }
            }
            busy.try_set(false);
        });
    };
    let count = move |id: &'static str,
                      label: &'static str,
                      pick: fn((usize, usize, usize, usize, bool)) -> usize| {
        view! {
            <div class="count">
                <dt>{label}</dt>
                <dd id=id>{move || pick(counts.get()).to_string()}</dd>
            </div>
        }
    };
    let latest = move || {
        trust.ledger.with(|l| {
            l.versions.last().map(|v| {
                format!(
                    "Signed off as version {} by {} on {}.",
                    v.version,
                    v.signed.by,
                    crate::access::local_time(v.signed.at)
                )
            })
        })
    };

    view! {
        <section id="sign-off-panel" class="panel trust-panel" aria-labelledby="sign-off-heading">
            <h2 id="sign-off-heading">"Sign-off"</h2>
            <dl id="readiness" class="readiness" data-complete=move || complete().to_string()>
                {count("ready-confirmed", "Confirmed", |c| c.0)}
                {count("ready-pending", "Awaiting confirmation", |c| c.1)}
                {count("ready-changed", "Changed since confirmed", |c| c.2)}
                {count("ready-corrections", "Corrections open", |c| c.3)}
            </dl>
            <Show when=move || unconfirmed.with(|u| !u.is_empty())>
                <p class="hint" id="unconfirmed-heading">"Not yet confirmed by every speaker:"</p>
                <ul id="unconfirmed-list" aria-labelledby="unconfirmed-heading">
                    <For each=move || unconfirmed.get() key=|u| u.clone()
                        children=|(block, item, ids, names, changed)| view! {
                            <li class="unconfirmed" data-block=block data-missing=ids>
                                <span class="num">{item}</span>
                                {format!(" — waiting for {names}{}", if changed { " (changed since confirmed)" } else { "" })}
                            </li>
                        } />
                </ul>
            </Show>
            <Show when=move || !signed()
                fallback=move || view! {
                    <p class="hint">{latest}</p>
                    <label for="reopen-reason">"Reason for reopening"</label>
                    <textarea id="reopen-reason" rows="2"
                        prop:value=move || reopen_reason.get()
                        on:input=move |ev| reopen_reason.set(event_target_value(&ev))></textarea>
                    <button type="button" id="reopen" disabled=move || busy.get() on:click=reopen>
                        "Reopen"
                    </button>
                }>
                <p class="hint">
                    {move || if complete() {
                        "Every statement is confirmed and no correction is open: ready to sign off."
                    } else {
                        "Not everything is confirmed yet. You can still sign off, giving a reason."
                    }}
                </p>
                <Show when=move || !complete()>
                    <label for="override-reason">"Reason for signing off before everything is confirmed"</label>
                    <textarea id="override-reason" rows="2" required
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                </Show>
                <button type="button" id="sign-off" class="primary" disabled=move || busy.get()
                    on:click=sign>"Sign off"</button>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p id="sign-off-error" class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || status.with(Option::is_some)>
                <p id="sign-off-status" class="hint" role="status">{move || status.get().unwrap_or_default()}</p>
            </Show>
        </section>
    }
}
