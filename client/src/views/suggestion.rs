//! Speaker suggestions: when a block's text names an attendee as a speaker ("The DCC
//! responded that…"), a `button.suggestion` offers to attribute the block to them; one
//! click accepts.

use leptos::prelude::*;
use minutebook_shared::meeting::suggest::Suggestion;
use minutebook_shared::meeting::BlockId;

use crate::snapshot::BlockInfo;
use crate::store::use_store;
use crate::views::speakers::set_speakers;

/// The suggestion buttons of block `id`.
#[component]
pub fn Suggestions(
    id: BlockId,
    info: ReadSignal<BlockInfo>,
    suggestions: Memo<Vec<Suggestion>>,
) -> impl IntoView {
    let store = use_store();
    view! {
        <Show when=move || suggestions.with(|s| !s.is_empty())>
            <div class="suggestions" role="group" aria-label="Speaker suggestions">
                <For each=move || suggestions.get() key=|s| s.person.clone()
                    children={
                        let id = id.clone();
                        move |s: Suggestion| {
                            let id = id.clone();
                            let person = s.person.clone();
                            let label = store.with_untracked(|snap| snap.person_label(&s.person));
                            view! {
                                <button type="button" class="suggestion" data-person=s.person.0.clone()
                                    title=format!("“{}”", s.phrase)
                                    on:click=move |_| {
                                        let mut now = info.with_untracked(|i| i.block.speakers.clone());
                                        if !now.contains(&person) { now.push(person.clone()); }
                                        set_speakers(store, &id, &now);
                                    }>
                                    {format!("Attribute to {label}")}
                                </button>
                            }
                        }
                    } />
            </div>
        </Show>
    }
}
