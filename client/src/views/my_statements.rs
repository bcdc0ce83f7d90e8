//! "My statements" (`section#my-statements`), for a user whose grant speaks for a register
//! person: every statement attributed to them, in context (item number and title), with
//! its status, and what they can do about it:
//!
//! - `button.confirm` ("Confirm", or "Confirm again" once the text changed since they
//!   confirmed) → `POST …/statements/{block}/confirm` with the SHA-256 of the text shown;
//! - `button.propose` ("Propose a correction") opens `form.correction-form`
//!   (`textarea.correction-text` prefilled with the statement, `textarea.correction-note`
//!   optional, `button.submit-correction`) → `POST …/statements/{block}/corrections`;
//! - their proposals: `li.my-correction[data-correction=ID][data-status=open|accepted|
//!   declined|withdrawn]`, a declined one with its reason (`.declined-reason`).
//!
//! Each statement is `li.my-statement[data-block=ID][data-status=pending|confirmed|changed]
//! [data-statement-status=…]`: `data-status` is the user's own confirmation, and
//! `data-statement-status` the statement's, which is confirmed only when every speaker
//! has confirmed it. For a statement attributed to others too, `p.my-others` says whose
//! confirmation is still missing (`span.awaiting[data-person=ID]` each, by short form).
//! Errors (409 changed, 403, 423 signed off) show in its `.my-error` (role=alert).
//!
//! Without restricted access the page's minutes hold only placeholders for exempt items:
//! the user's own statements there come from `GET …/restricted/mine` (fetched again as
//! the ledger or the minutes change), titled with the exempt item's public heading, and
//! are confirmed and corrected the same way.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::meeting::part2::OwnStatement;
use minutebook_shared::meeting::{BlockId, PersonId};
use minutebook_shared::trust::{self, Correction, CorrectionStatus, StatementStatus};

use crate::access::{correction_attr, correction_label, status_attr, status_label};
use crate::meeting_trust::{use_trust, Trust};
use crate::store::use_store;
use crate::trust_api;
use crate::views::correction_diff::CorrectionDiffView;
use crate::views::statement_status::{missing, speaker_label};

/// One statement of the user's.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Mine {
    block: String,
    item_number: String,
    item_title: String,
    text: String,
    /// The user's own confirmation.
    status: StatementStatus,
    /// The statement's (every speaker's).
    overall: StatementStatus,
    /// Other speakers: (register id, label), whose confirmation is missing.
    others_missing: Vec<(String, String)>,
    /// Whether others are among the speakers.
    shared: bool,
}

/// The panel (nothing unless the user's grant has a register person).
#[component]
pub fn MyStatements() -> impl IntoView {
    let trust = use_trust();
    let store = use_store();
    let person = Memo::new(move |_| {
        trust
            .access
            .with(|a| a.as_ref().and_then(|a| a.person.clone()))
    });
    let restricted = Memo::new(move |_| {
        trust
            .access
            .with(|a| a.as_ref().is_some_and(|a| a.restricted))
    });
    let part2 = RwSignal::new(Vec::<OwnStatement>::new());
    Effect::new(move |_| {
        trust.ledger.with(|l| l.revision);
        store.revision.track();
        if person.with(Option::is_none) || restricted.get() {
            return;
        }
        let name = trust.name();
        spawn_local(async move {
            if let Ok(list) = trust_api::part2_mine(&name).await {
                part2.try_set(list);
            }
        });
    });
    let mine = Memo::new(move |_| {
        store.revision.track();
        let Some(person) = person.get() else {
            return Vec::new();
        };
        let person = PersonId(person);
        let own_part2 = part2.get();
        trust
            .ledger
            .with(|ledger| {
                store.with_untracked(|snap| {
                    snap.view
                        .items
                        .iter()
                        .flat_map(|item| item.blocks.iter().map(move |b| (item, b)))
                        .filter(|(_, b)| {
                            b.kind == minutebook_shared::meeting::BlockKind::Statement
                                && b.speakers.contains(&person)
                        })
                        .map(|(item, b)| {
                            let speakers = trust::speaker_ids(b);
                            let states =
                                trust::speaker_states(ledger, b.id.as_str(), &b.text, &speakers);
                            let status = states
                                .iter()
                                .find(|s| s.person == person.0)
                                .map_or(StatementStatus::Pending, |s| s.status);
                            let others_missing = missing(&states)
                                .into_iter()
                                .filter(|p| *p != person.0)
                                .map(|p| {
                                    let label = speaker_label(&snap.view.people, &p);
                                    (p, label)
                                })
                                .collect();
                            Mine {
                                block: b.id.0.clone(),
                                item_number: item.number.clone(),
                                item_title: item.title.clone(),
                                text: b.text.clone(),
                                status,
                                overall: trust::overall_status(&states),
                                others_missing,
                                shared: speakers.len() > 1,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .into_iter()
            .chain(own_part2.into_iter().map(|s| {
                let speakers = vec![person.0.clone()];
                let status = trust.ledger.with(|ledger| {
                    trust::speaker_states(ledger, &s.block, &s.text, &speakers)
                        .first()
                        .map_or(StatementStatus::Pending, |st| st.status)
                });
                Mine {
                    block: s.block,
                    item_number: s.item,
                    item_title: s.heading,
                    text: s.text,
                    status,
                    overall: status,
                    others_missing: Vec::new(),
                    shared: false,
                }
            }))
            .collect::<Vec<_>>()
    });
    let summary = move || {
        mine.with(|m| {
            let n = m.len();
            let done = m
                .iter()
                .filter(|s| s.status == StatementStatus::Confirmed)
                .count();
            match n {
                0 => "No statements are attributed to you in these minutes yet.".to_owned(),
                1 if done == 1 => "Your one statement is confirmed.".to_owned(),
                1 => "One statement is attributed to you; it awaits your confirmation.".to_owned(),
                n if done == n => format!("All your {n} statements are confirmed."),
                n => format!(
                    "{n} statements are attributed to you: {done} confirmed, {} to check.",
                    n - done
                ),
            }
        })
    };
    view! {
        <Show when=move || person.with(Option::is_some)>
            <section id="my-statements" class="panel trust-panel" aria-labelledby="my-statements-heading">
                <h2 id="my-statements-heading">"My statements"</h2>
                <p class="hint" aria-live="polite">{summary}</p>
                <Show when=move || trust.ledger.with(|l| l.signed())>
                    <p class="hint">"The minutes are signed off: nothing can be confirmed or corrected until the chair reopens them."</p>
                </Show>
                <ol class="my-statement-list">
                    <For each=move || mine.with(|m| m.iter().map(|s| s.block.clone()).collect::<Vec<_>>())
                        key=|b| b.clone()
                        children=move |b| view! { <MyStatement block=b mine=mine /> } />
                </ol>
            </section>
        </Show>
    }
}

/// One statement of the user's, with its actions.
#[component]
fn MyStatement(block: String, mine: Memo<Vec<Mine>>) -> impl IntoView {
    let trust = use_trust();
    let row = {
        let block = block.clone();
        Memo::new(move |_| mine.with(|m| m.iter().find(|s| s.block == block).cloned()))
    };
    let get =
        move |f: fn(&Mine) -> String| move || row.with(|r| r.as_ref().map(f).unwrap_or_default());
    let status = move || {
        row.with(|r| r.as_ref().map(|r| r.status))
            .unwrap_or(StatementStatus::Pending)
    };
    let overall = move || {
        row.with(|r| r.as_ref().map(|r| r.overall))
            .unwrap_or(StatementStatus::Pending)
    };
    let others = move || {
        row.with(|r| r.as_ref().map(|r| r.others_missing.clone()))
            .unwrap_or_default()
    };
    let shared = move || row.with(|r| r.as_ref().is_some_and(|r| r.shared));
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let proposing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let signed = move || trust.ledger.with(|l| l.signed());
    let block = StoredValue::new(block);
    let where_ = move || {
        row.with(|r| {
            r.as_ref()
                .map(|r| format!("item {}", r.item_number))
                .unwrap_or_default()
        })
    };
    let ids = block.with_value(|b| {
        (
            format!("correction-text-{b}"),
            format!("correction-note-{b}"),
        )
    });

    let confirm = move |_| {
        let Some(text) = row.with_untracked(|r| r.as_ref().map(|r| r.text.clone())) else {
            return;
        };
        let sha = trust::statement_hash(&text);
        busy.set(true);
        error.set(None);
        done.set(None);
        let (name, b) = (trust.name(), block.get_value());
        spawn_local(async move {
            match trust_api::confirm(&name, &b, &sha).await {
                Ok(l) => {
                    done.try_set(Some("Confirmed.".to_owned()));
                    trust.after_command(Some(l));
                }
                Err(e) => {
                    let hint = match e.status {
                        409 => {
                            " The statement changed while you read it: read it again, then confirm."
                        }
                        403 => " Only the person the statement is attributed to can confirm it.",
                        423 => " The minutes are signed off.",
                        _ => "",
                    };
                    error.try_set(Some(format!(
                        "{}{hint}",
                        explain(trust, "Not confirmed", &e)
                    )));
                }
            }
            busy.try_set(false);
        });
    };
    let open_form = move |_| {
        draft.set(row.with_untracked(|r| r.as_ref().map(|r| r.text.clone()).unwrap_or_default()));
        note.set(String::new());
        error.set(None);
        done.set(None);
        proposing.set(true);
        crate::focus::focus_later(format!(
            "li.my-statement[data-block={}] textarea.correction-text",
            crate::focus::quoted(&block.get_value())
        ));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            error.set(Some("Type the corrected statement first.".to_owned()));
            return;
        }
        let n = note.get_untracked().trim().to_owned();
        busy.set(true);
        error.set(None);
        let (name, b) = (trust.name(), block.get_value());
        spawn_local(async move {
            match trust_api::propose(&name, &b, &text, &n).await {
                Ok(l) => {
                    proposing.try_set(false);
                    done.try_set(Some(
                        "Your correction was sent to the minute-takers.".to_owned(),
                    ));
                    trust.after_command(Some(l));
                }
                Err(e) => {
                    let hint = if e.status == 423 {
                        " The minutes are signed off."
                    } else {
                        ""
                    };
                    error.try_set(Some(format!("{}{hint}", explain(trust, "Not sent", &e))));
                }
            }
            busy.try_set(false);
        });
    };
    let proposals = Memo::new(move |_| {
        let me = trust
            .access
            .with(|a| a.as_ref().map(|a| (a.person.clone(), a.name.clone())));
        let Some((person, name)) = me else {
            return Vec::new();
        };
        block.with_value(|b| {
            trust.ledger.with(|l| {
                l.corrections
                    .iter()
                    .filter(|c| &c.block == b && is_mine(c, person.as_deref(), &name))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    });

    view! {
        <li class="my-statement" data-block=block.get_value() data-status=move || status_attr(status())
            data-statement-status=move || status_attr(overall())>
            <p class="my-where">
                <span class="num">{get(|r| r.item_number.clone())}</span> " "
                <span class="my-item-title">{get(|r| r.item_title.clone())}</span>
                " "
                <span class="statement-status" data-status=move || status_attr(status())>
                    {move || status_label(status())}
                </span>
            </p>
            <blockquote class="my-text">{get(|r| r.text.clone())}</blockquote>
            <Show when=shared>
                <p class="my-others hint">
                    {move || {
                        let others = others();
                        if others.is_empty() {
                            view! { "Every speaker has confirmed this statement." }.into_any()
                        } else {
                            view! {
                                "Still waiting for "
                                {others.into_iter().map(|(id, label)| view! {
                                    <span class="awaiting" data-person=id>{label}</span>" "
                                }).collect_view()}
                                "to confirm it: a statement counts as confirmed once every speaker has."
                            }.into_any()
                        }
                    }}
                </p>
            </Show>
            <Show when=move || status() == StatementStatus::Changed>
                <p class="hint">"This statement changed since you confirmed it: read it again and confirm it, or propose a correction."</p>
            </Show>
            <Show when=move || !signed()>
                <div class="my-actions">
                    <Show when=move || status() != StatementStatus::Confirmed>
                        <button type="button" class="confirm primary" disabled=move || busy.get()
                            aria-label=move || format!("Confirm your statement in {}", where_())
                            on:click=confirm>
                            {move || if status() == StatementStatus::Changed { "Confirm again" } else { "Confirm" }}
                        </button>
                    </Show>
                    <button type="button" class="propose" aria-expanded=move || proposing.get().to_string()
                        aria-label=move || format!("Propose a correction of your statement in {}", where_())
                        on:click=open_form>"Propose a correction"</button>
                </div>
            </Show>
            <Show when=move || proposing.get() && !signed()>
                <form class="correction-form" on:submit=submit
                    aria-label=move || format!("Correction of your statement in {}", where_())>
                    <label for=ids.0.clone()>"Corrected text"</label>
                    <textarea class="correction-text" id=ids.0.clone() rows="4"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                    <label for=ids.1.clone()>"Note for the minute-takers (optional)"</label>
                    <textarea class="correction-note" id=ids.1.clone() rows="2"
                        prop:value=move || note.get()
                        on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    <div class="dialog-buttons">
                        <button type="submit" class="submit-correction primary" disabled=move || busy.get()>
                            "Send proposal"
                        </button>
                        <button type="button" class="cancel-correction" on:click=move |_| proposing.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </form>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p class="my-error error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            // "Sent" holds only while the proposal is open: once decided, its status says.
            <Show when=move || done.with(Option::is_some)
                && proposals.with(|p| p.iter().any(|c| c.status == CorrectionStatus::Open))>
                <p class="my-done hint" role="status">{move || done.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || proposals.with(|p| !p.is_empty())>
                <ul class="my-corrections" aria-label="Your correction proposals">
                    <For each=move || proposals.get() key=|c| (c.id, correction_attr(c.status), c.reason.clone())
                        children=|c| view! {
                            <li class="my-correction" data-correction=c.id.to_string()
                                data-status=correction_attr(c.status)>
                                <span class="my-correction-status">{correction_label(c.status)}</span>
                                ": “" {c.text.clone()} "”"
                                {(c.status == CorrectionStatus::Open).then(|| view! {
                                    <CorrectionDiffView id=c.id block=BlockId(c.block.clone()) />
                                })}
                                {(!c.reason.trim().is_empty()).then(|| view! {
                                    <span class="declined-reason">" — reason: " {c.reason.clone()}</span>
                                })}
                            </li>
                        } />
                </ul>
            </Show>
        </li>
    }
}

/// Whether correction `c` was proposed by this user.
fn is_mine(c: &Correction, person: Option<&str>, name: &str) -> bool {
    match (&c.proposed.person, person) {
        (Some(p), Some(me)) => p == me,
        _ => c.proposed.by == name,
    }
}

fn explain(trust: Trust, what: &str, e: &trust_api::ApiError) -> String {
    trust.explain(what, e)
}
