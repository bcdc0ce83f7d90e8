//! The action-flagging dialog (`form#action-form`): what, owners (from the register: one
//! in `select#action-owner`, more under `details#action-more-owners` as
//! `input.action-co-owner` checkboxes), due (`input#action-due`, free text such as "next
//! meeting", which the date picker `input#action-due-date` fills with a date). Opened
//! from a block (button or Alt+A); submitting adds the action raised at that
//! block (`Meeting::add_action`), Escape or Cancel closes it; either way the focus goes
//! back to the block's text. While it is open, Tab and Shift+Tab cycle through its
//! fields and buttons and never leave it. It closes when the page turns read-only.

use leptos::html::{Input, Select, Textarea};
use leptos::prelude::*;
use minutebook_shared::meeting::{ActionFields, NewAction, PersonId};
use wasm_bindgen::JsCast;

use crate::focus::{focus_later, quoted};
use crate::store::{use_store, ActionTarget, Which};
use crate::views::header_form::person_option;

/// The dialog; renders nothing while no block asked for it.
#[component]
pub fn ActionForm() -> impl IntoView {
    let store = use_store();
    let desc = NodeRef::<Textarea>::new();
    let owner = NodeRef::<Select>::new();
    let due = NodeRef::<Input>::new();

    let close = move |target: Option<ActionTarget>| {
        store.action_target.set(None);
        if let Some(t) = target {
            focus_later(format!(
                "div.block[data-block={}] textarea.block-text",
                quoted(t.block.as_str())
            ));
        }
    };
    let cancel = move || close(store.action_target.get_untracked());
    // The further owners ticked (register ids), cleared each time the dialog opens.
    let co_owners = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if store.action_target.with(Option::is_some) {
            co_owners.set(Vec::new());
        }
    });
    let pick_date = move |ev: leptos::ev::Event| {
        let picked = event_target_value(&ev);
        if let Some(field) = due.get_untracked() {
            if !picked.is_empty() {
                field.set_value(&picked);
            }
        }
    };
    Effect::new(move |_| {
        if !store.editable.get() && store.action_target.with_untracked(Option::is_some) {
            store.action_target.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(target) = store.action_target.get_untracked() else {
            return;
        };
        let description = desc.get_untracked().map(|e| e.value()).unwrap_or_default();
        let first = owner
            .get_untracked()
            .map(|e| e.value())
            .filter(|v| !v.is_empty());
        let mut owners: Vec<String> = first.into_iter().collect();
        for id in co_owners.get_untracked() {
            if !owners.contains(&id) {
                owners.push(id);
            }
        }
        let due = due.get_untracked().map(|e| e.value()).unwrap_or_default();
        let action = NewAction {
            fields: ActionFields {
                description: description.trim().to_owned(),
                due: due.trim().to_owned(),
                ..ActionFields::default()
            },
            owners: owners.into_iter().map(PersonId).collect(),
            item: Some(target.item.clone()),
            block: Some(target.block.clone()),
        };
        match store.item_doc(&target.item) {
            // Raised inside an exempt item: the action belongs to Part II, whose document
            // holds no register (the owners were picked from the main one).
            Some(Which::Part2) => {
                let known = store.people.with_untracked(|people| {
                    action
                        .owners
                        .iter()
                        .all(|o| people.iter().any(|p| p.id == *o))
                });
                if known {
                    store.write_in(Which::Part2, "flag action", |m, txn| {
                        m.add_part2_action(txn, &action)
                    });
                }
            }
            Some(Which::Main) => {
                store.write("flag action", |m, txn| m.add_action(txn, &action));
            }
            None => crate::warn("flag action: the item is exempt and this page has no Part II"),
        }
        close(Some(target));
    };
    let place = move || {
        store.action_target.with(|t| {
            t.as_ref()
                .and_then(|t| store.with_untracked(|s| s.block(&t.block)))
                .map(|i| format!("Raised at block {} in item {}", i.position, i.item_number))
                .unwrap_or_default()
        })
    };

    view! {
        <Show when=move || store.action_target.with(Option::is_some)>
            <div class="dialog-backdrop">
                <form id="action-form" class="dialog" role="dialog" aria-modal="true"
                    aria-labelledby="action-form-title" on:submit=submit
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            cancel();
                        } else if ev.key() == "Tab" {
                            keep_focus_inside(&ev);
                        }
                    }>
                    <h2 id="action-form-title">"Flag an action"</h2>
                    <p class="hint">{place}</p>
                    <label for="action-desc">"What is to be done"</label>
                    <textarea id="action-desc" node_ref=desc rows="3"></textarea>
                    <label for="action-owner">"Owner"</label>
                    <select id="action-owner" node_ref=owner>
                        <option value="">"(not assigned)"</option>
                        <For each=move || store.people.get() key=|p| (p.id.clone(), p.person.clone())
                            children=|p| view! {
                                <option value=p.id.0.clone()>{person_option(&p.person)}</option>
                            } />
                    </select>
                    <details id="action-more-owners">
                        <summary>"More owners"</summary>
                        <fieldset class="co-owners">
                            <legend class="sr-only">"Also responsible"</legend>
                            <For each=move || store.people.get() key=|p| (p.id.clone(), p.person.clone())
                                children=move |p| {
                                    let id = p.id.0.clone();
                                    let toggle = {
                                        let id = id.clone();
                                        move |ev: leptos::ev::Event| {
                                            let on = event_target_checked(&ev);
                                            co_owners.update(|list| {
                                                list.retain(|x| *x != id);
                                                if on {
                                                    list.push(id.clone());
                                                }
                                            });
                                        }
                                    };
                                    view! {
                                        <label class="check">
                                            <input type="checkbox" class="action-co-owner" value=id
                                                on:change=toggle />
                                            {person_option(&p.person)}
                                        </label>
                                    }
                                } />
                        </fieldset>
                    </details>
                    <label for="action-due">"Due"</label>
                    <input id="action-due" node_ref=due type="text" autocomplete="off"
                        placeholder="e.g. 2022-03-11 or next meeting" />
                    <label for="action-due-date">"or pick the day"</label>
                    <input id="action-due-date" type="date" on:change=pick_date />
                    <div class="dialog-buttons">
                        <button type="submit" class="primary">"Flag action"</button>
                        <button type="button" on:click=move |_| cancel()>"Cancel"</button>
                    </div>
                </form>
            </div>
            {focus_later("#action-desc".to_owned())}
        </Show>
    }
}

/// Tab on the dialog's last control goes to its first, Shift+Tab on the first to the last.
fn keep_focus_inside(ev: &web_sys::KeyboardEvent) {
    let Some(dialog) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let find = |css: &str| {
        dialog
            .query_selector(css)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    };
    // The first control is the description, the last the last button.
    let (Some(first), Some(last)) = (
        find("#action-desc"),
        find(".dialog-buttons button:last-child"),
    ) else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let (from, to) = if ev.shift_key() {
        (&first, &last)
    } else {
        (&last, &first)
    };
    if active.as_ref() == Some(from.unchecked_ref::<web_sys::Element>()) {
        ev.prevent_default();
        let _ = to.focus();
    }
}
