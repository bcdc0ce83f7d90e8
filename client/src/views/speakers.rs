//! A block's speakers: initials chips (`span.speaker-chip`, short form shown, full name in
//! the title) and a picker (`button.speakers` opens checkboxes `input.speaker-option`).
//! Choosing a speaker makes a paragraph a statement (`Meeting::set_speakers`). The picker
//! is not offered while the page is read-only.

use leptos::prelude::*;
use minutebook_shared::meeting::{BlockId, PersonId};

use crate::snapshot::BlockInfo;
use crate::store::{use_store, Store, Which};

/// Attributes block `id` to `speakers`.
pub fn set_speakers(store: Store, id: &BlockId, speakers: &[PersonId]) {
    match store.block_home(id) {
        Some(Which::Part2) => {
            // Part II holds no register: the speakers are checked against the main one.
            let known = store.people.with_untracked(|people| {
                speakers.iter().all(|s| people.iter().any(|p| p.id == *s))
            });
            if known {
                store.write_in(Which::Part2, "speakers", |m, txn| {
                    m.set_part2_speakers(txn, id, speakers)
                });
            }
        }
        _ => {
            store.write("speakers", |m, txn| m.set_speakers(txn, id, speakers));
        }
    }
}

/// Chips and picker of block `id`.
#[component]
pub fn Speakers(id: BlockId, info: ReadSignal<BlockInfo>) -> impl IntoView {
    let store = use_store();
    let open = RwSignal::new(false);
    let speakers = Memo::new(move |_| info.with(|i| i.block.speakers.clone()));
    let where_ = move || info.with(|i| format!("block {} in item {}", i.position, i.item_number));
    let picker_id = format!("speakers-{}", id.as_str());
    let controls = picker_id.clone();

    let chips = move || {
        let ids = speakers.get();
        store.people.with(|people| {
            ids.iter()
                .filter_map(|sid| people.iter().find(|p| &p.id == sid))
                .map(|p| {
                    let label = p.person.label().to_owned();
                    let full = if p.person.capacity.is_empty() {
                        p.person.name.clone()
                    } else {
                        format!("{} – {}", p.person.name, p.person.capacity)
                    };
                    view! {
                        <span class="speaker-chip" data-person=p.id.0.clone() title=full>
                            {label}
                        </span>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <span class="speakers-wrap">
            <span class="chips">{chips}</span>
            <Show when=move || store.editable.get()>
            <button type="button" class="speakers" aria-haspopup="true"
                aria-expanded=move || open.get().to_string()
                aria-controls=controls.clone()
                aria-label=move || format!("Speakers of {}", where_())
                on:click=move |_| open.update(|o| *o = !*o)>"Speakers"</button>
            </Show>
            <Show when=move || open.get() && store.editable.get()>
                <fieldset class="speaker-picker" id=picker_id.clone()
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Escape" { open.set(false); }
                    }>
                    <legend>{move || format!("Who spoke ({})", where_())}</legend>
                    <Show when=move || store.people.with(Vec::is_empty)>
                        <p class="hint">"Add people to the register first."</p>
                    </Show>
                    <For each=move || store.people.get() key=|p| (p.id.clone(), p.person.clone())
                        children={
                            let id = id.clone();
                            move |p| {
                                let pid = p.id.clone();
                                let pid2 = p.id.clone();
                                let id = id.clone();
                                let checked = move || speakers.with(|s| s.contains(&pid));
                                view! {
                                    <label class="speaker-choice">
                                        <input type="checkbox" class="speaker-option"
                                            value=p.id.0.clone() prop:checked=checked
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let mut now = speakers.get_untracked();
                                                now.retain(|s| s != &pid2);
                                                if on { now.push(pid2.clone()); }
                                                set_speakers(store, &id, &now);
                                            } />
                                        {crate::views::header_form::person_option(&p.person)}
                                    </label>
                                }
                            }
                        } />
                    <button type="button" on:click=move |_| open.set(false)>"Done"</button>
                </fieldset>
            </Show>
        </span>
    }
}
