//! Open correction proposals of one statement, inline under its block, for the chair and
//! minute-takers: `div.corrections > div.correction[data-correction=ID]` with the
//! proposed text (`.proposed-text`), the note (`.correction-note`), the proposer
//! (`.proposer`), `button.accept` ("Accept": the text replaces the statement's) and
//! `input.decline-reason` + `button.decline` ("Decline", a reason is required). Errors
//! show in `.correction-error` (role=alert). No decisions while the minutes are signed off.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::meeting::BlockId;
use minutebook_shared::trust::Correction;

use crate::access::local_time;
use crate::meeting_trust::{use_trust, Trust};
use crate::snapshot::BlockInfo;
use crate::trust_api;
use crate::views::correction_diff::CorrectionDiffView;

/// The open proposals of block `id` (the block mounts it only for those who decide on
/// them; nothing for others all the same).
#[component]
pub fn BlockCorrections(id: BlockId, info: ReadSignal<BlockInfo>) -> impl IntoView {
    let trust = use_context::<Trust>();
    let open = Memo::new(move |_| {
        let Some(trust) = trust else {
            return Vec::new();
        };
        if !trust
            .access
            .with(|a| a.as_ref().is_some_and(|a| a.moderates()))
        {
            return Vec::new();
        }
        trust.ledger.with(|l| {
            l.open_corrections(id.as_str())
                .map(|c| c.id)
                .collect::<Vec<_>>()
        })
    });
    let where_ = move || info.with(|i| format!("block {} in item {}", i.position, i.item_number));
    view! {
        <Show when=move || open.with(|o| !o.is_empty())>
            <div class="corrections" role="group"
                aria-label=move || format!("Correction proposals for {}", where_())>
                <For each=move || open.get() key=|id| *id
                    children=move |cid| view! { <CorrectionRow id=cid /> } />
            </div>
        </Show>
    }
}

/// One open proposal.
#[component]
fn CorrectionRow(id: u64) -> impl IntoView {
    let trust = use_trust();
    let correction = Memo::new(move |_| {
        trust
            .ledger
            .with(|l| l.corrections.iter().find(|c| c.id == id).cloned())
    });
    let field = move |f: fn(&Correction) -> String| {
        move || correction.with(|c| c.as_ref().map(f).unwrap_or_default())
    };
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let signed = move || trust.ledger.with(|l| l.signed());
    let reason_id = format!("decline-reason-{id}");

    let accept = move |_| {
        busy.set(true);
        error.set(None);
        let name = trust.name();
        spawn_local(async move {
            match trust_api::accept(&name, id).await {
                Ok(l) => trust.after_command(Some(l)),
                Err(e) => {
                    error.try_set(Some(trust.explain("Not accepted", &e)));
                }
            }
            busy.try_set(false);
        });
    };
    let decline = move |_| {
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            error.set(Some(
                "Give a reason for declining: the proposer sees it.".to_owned(),
            ));
            crate::focus::focus_later(format!("#decline-reason-{id}"));
            return;
        }
        busy.set(true);
        error.set(None);
        let name = trust.name();
        spawn_local(async move {
            match trust_api::decline(&name, id, &why).await {
                Ok(l) => trust.after_command(Some(l)),
                Err(e) => {
                    error.try_set(Some(trust.explain("Not declined", &e)));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <div class="correction" data-correction=id.to_string()>
            <p class="correction-head">
                "Correction proposed by "
                <span class="proposer">{field(|c| c.proposed.by.clone())}</span>
                " on " {field(|c| local_time(c.proposed.at))} ":"
            </p>
            <blockquote class="proposed-text">{field(|c| c.text.clone())}</blockquote>
            {move || correction.with(|c| c.as_ref().map(|c| view! {
                <CorrectionDiffView id=id block=BlockId(c.block.clone()) />
            }))}
            <Show when=move || correction.with(|c| c.as_ref().is_some_and(|c| !c.note.trim().is_empty()))>
                <p class="correction-note">"Note: " {field(|c| c.note.clone())}</p>
            </Show>
            <Show when=move || !signed()
                fallback=|| view! { <p class="hint">"The minutes are signed off: reopen them to decide."</p> }>
                <div class="correction-actions">
                    <button type="button" class="accept primary" disabled=move || busy.get()
                        on:click=accept
                        aria-label=format!("Accept correction {id}")>"Accept"</button>
                    <label for=reason_id.clone()>"Reason for declining"</label>
                    <input type="text" class="decline-reason" id=reason_id.clone() autocomplete="off"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev)) />
                    <button type="button" class="decline" disabled=move || busy.get()
                        on:click=decline
                        aria-label=format!("Decline correction {id}")>"Decline"</button>
                </div>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p class="correction-error error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </div>
    }
}
