//! Every open correction of the meeting, for those who decide on them (the chair and the
//! minute-takers): `section#open-corrections` ("Open corrections (N)", shown while there
//! are any) listing `li.open-correction[data-correction=ID][data-block=ID]` — where
//! (item number and statement), who proposed it, the change word by word
//! ([`CorrectionDiffView`]) and `button.go-to-statement`, which opens the editor at the
//! statement, where it is accepted or declined.

use leptos::prelude::*;
use minutebook_shared::meeting::BlockId;
use minutebook_shared::trust::{Correction, CorrectionStatus};

use crate::focus::{focus_later, quoted};
use crate::meeting_trust::use_trust;
use crate::store::use_store;
use crate::views::correction_diff::CorrectionDiffView;

/// Whether the page shows the reading view by choice (see `views::meeting`); the list
/// switches to the editor to show a statement.
#[derive(Clone, Copy)]
pub struct ReadingChoice(pub RwSignal<bool>);

/// The list (nothing for those who do not decide on corrections, or with none open).
#[component]
pub fn OpenCorrections() -> impl IntoView {
    let trust = use_trust();
    let open = Memo::new(move |_| {
        if !trust
            .access
            .with(|a| a.as_ref().is_some_and(|a| a.moderates()))
        {
            return Vec::new();
        }
        trust.ledger.with(|l| {
            l.corrections
                .iter()
                .filter(|c| c.status == CorrectionStatus::Open)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <Show when=move || open.with(|o| !o.is_empty())>
            <section id="open-corrections" class="panel trust-panel"
                aria-labelledby="open-corrections-heading">
                <h2 id="open-corrections-heading">
                    {move || format!("Open corrections ({})", open.with(Vec::len))}
                </h2>
                <ul class="open-corrections">
                    <For each=move || open.get() key=|c| c.id
                        children=|c| view! { <Entry correction=c /> } />
                </ul>
            </section>
        </Show>
    }
}

/// One open correction.
#[component]
fn Entry(correction: Correction) -> impl IntoView {
    let store = use_store();
    let block = BlockId(correction.block.clone());
    let info = store.watch_block(&block);
    let place = move || {
        info.with(|i| {
            if i.item_number.is_empty() {
                "A statement no longer in the minutes".to_owned()
            } else {
                format!("Item {}, statement {}", i.item_number, i.position)
            }
        })
    };
    let choice = use_context::<ReadingChoice>();
    let go = {
        let id = correction.block.clone();
        move |_| {
            if let Some(ReadingChoice(reading)) = choice {
                reading.set(false);
            }
            focus_later(format!(
                "div.block[data-block={}] textarea.block-text",
                quoted(&id)
            ));
        }
    };
    view! {
        <li class="open-correction" data-correction=correction.id.to_string()
            data-block=correction.block.clone()>
            <p class="oc-head">
                <strong class="oc-where">{place}</strong>
                " — proposed by " <span class="proposer">{correction.proposed.by.clone()}</span>
            </p>
            <CorrectionDiffView id=correction.id block=block />
            <button type="button" class="go-to-statement" on:click=go>
                "Go to the statement"
            </button>
        </li>
    }
}
