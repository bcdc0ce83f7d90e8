//! Undo and redo on the meeting page: the Undo and Redo buttons, the notice after a
//! deletion ("Deleted … — Undo"), and the keys.
//!
//! Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y, and the browser's own undo (`beforeinput` with
//! `historyUndo` / `historyRedo`), go to the page's history ([`Store::undo`]) when focus
//! is on a bound field (a block text or an item title, marked `data-bound`) or on no field
//! at all: the browser's page-wide undo never runs there, so it can never take back
//! typing in another block, nor anybody else's words. Unbound inputs ("Your name", the
//! dialogs' fields) keep the browser's undo.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::keys::{history_command, history_input, HistoryCommand, KeyPress};
use crate::store::{use_store, Store};

/// How long the notice after a deletion stays.
const NOTICE_MS: u64 = 10_000;

/// The Undo and Redo buttons (disabled when there is nothing to take).
#[component]
pub fn HistoryButtons() -> impl IntoView {
    let store = use_store();
    view! {
        <Show when=move || store.editable.get()>
            <span class="history" role="group" aria-label="Undo and redo">
                <button type="button" id="undo" class="icon" title="Undo your last change (Ctrl+Z)"
                    aria-label="Undo" disabled=move || !store.can_undo.get()
                    on:click=move |_| { store.undo(); }>"↶"</button>
                <button type="button" id="redo" class="icon" title="Redo (Ctrl+Shift+Z)"
                    aria-label="Redo" disabled=move || !store.can_redo.get()
                    on:click=move |_| { store.redo(); }>"↷"</button>
            </span>
        </Show>
    }
}

/// "Deleted … — Undo", for [`NOTICE_MS`] after a deletion.
#[component]
pub fn UndoNotice() -> impl IntoView {
    let store = use_store();
    Effect::new(move |_| {
        if let Some(serial) = store.notice.with(|n| n.as_ref().map(|n| n.serial)) {
            set_timeout(
                move || {
                    if store
                        .notice
                        .with_untracked(|n| n.as_ref().map(|n| n.serial))
                        == Some(serial)
                    {
                        store.notice.set(None);
                    }
                },
                std::time::Duration::from_millis(NOTICE_MS),
            );
        }
    });
    let undo = move |_| {
        store.undo();
        store.notice.set(None);
    };
    view! {
        <div class="undo-notice" role="status" aria-live="polite">
            {move || store.notice.get().map(|n| view! {
                <span class="undo-text">{n.text}</span>
                " — "
                <button type="button" id="undo-notice" on:click=undo>"Undo"</button>
            })}
        </div>
    }
}

/// Routes the undo keys and the browser's own undo to the page's history, for as long
/// as the calling component lives.
pub fn install_history_keys(store: Store) {
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let Some(command) = KeyPress::of(&ev, history_command) else {
            return;
        };
        if ours(ev.target()) {
            ev.prevent_default();
            run(store, command);
        }
    });
    let inputs = window_event_listener(leptos::ev::beforeinput, move |ev| {
        let Some(command) = history_input(&ev.input_type()) else {
            return;
        };
        if ours(ev.target()) {
            ev.prevent_default();
            run(store, command);
        }
    });
    on_cleanup(move || {
        keys.remove();
        inputs.remove();
    });
}

fn run(store: Store, command: HistoryCommand) {
    match command {
        HistoryCommand::Undo => store.undo(),
        HistoryCommand::Redo => store.redo(),
    };
}

/// Whether a key event at `target` belongs to the page's history: a bound field, or
/// anything that is not a text field at all (the page, a button, a link).
fn ours(target: Option<web_sys::EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return true;
    };
    if element.has_attribute("data-bound") {
        return true;
    }
    let tag = element.tag_name().to_ascii_lowercase();
    let editable = element
        .dyn_ref::<web_sys::HtmlElement>()
        .is_some_and(|e| e.is_content_editable());
    !(tag == "input" || tag == "textarea" || tag == "select" || editable)
}
