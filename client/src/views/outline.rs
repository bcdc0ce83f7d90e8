//! The agenda outline (`ol#outline`): every item with its computed number, and controls to
//! add, reorder, indent, outdent and delete items — by buttons, by keyboard on a focused
//! entry (Alt+Arrow keys, see [`crate::keys`]) and by HTML5 drag and drop (drop an entry
//! onto another to move it before that one). None of these while the page is read-only.
//! A move into or out of an exempt item is refused, and `p#move-refused` says why.

use leptos::prelude::*;
use minutebook_shared::meeting::ItemId;
use web_sys::{DragEvent, KeyboardEvent};

use crate::announce;
use crate::focus::{focus_later, quoted};
use crate::keys::{outline_command, KeyPress, OutlineCommand};
use crate::moves::{self, Move};
use crate::progressive::progressive_limit;
use crate::snapshot::ItemHead;
use crate::store::{use_store, Store};

/// Applies a computed move to item `id`.
/// A move that would take an item into or out of an exempt item is refused instead, and
/// `p#move-refused` (role=alert) says why and what to do.
pub fn apply_move(store: Store, id: &ItemId, mv: Move) {
    if let Some(why) = store.with_untracked(|s| moves::refusal(&s.view, id, &mv)) {
        // The same words again are announced again.
        store.move_refused.set(None);
        set_timeout(
            move || store.move_refused.set(Some(why)),
            std::time::Duration::ZERO,
        );
        return;
    }
    store.move_refused.set(None);
    let Some(home) = store.item_home(id) else {
        return;
    };
    let moved = store.write_in(home, "move item", |m, txn| match &mv {
        Move::To { parent, index } => m.move_item(txn, id, parent.as_ref(), *index),
        Move::Indent => m.indent_item(txn, id),
        Move::Outdent => m.outdent_item(txn, id),
    });
    if moved.is_some() {
        // Once the snapshot has the new numbers (a microtask, before this task).
        let id = id.clone();
        set_timeout(
            move || {
                let head = store.with_untracked(|s| s.item_head(&id).cloned());
                if let Some(h) = head {
                    store.announce(announce::moved(&h.title, &h.number));
                }
            },
            std::time::Duration::ZERO,
        );
    }
}

/// Runs an outline command on item `id` (if it applies) and keeps the focus on `refocus`.
fn run(store: Store, id: &ItemId, cmd: OutlineCommand, refocus: String) {
    let mv = store.with_untracked(|s| moves::for_command(&s.view, id, cmd));
    if let Some(mv) = mv {
        apply_move(store, id, mv);
        // A moved entry's node is moved in the DOM, which takes the focus away.
        focus_later(refocus);
    }
}

/// Adds an item at the end of the top level and focuses its title.
pub fn add_item(store: Store) {
    if let Some(id) = store.write("add item", |m, txn| {
        m.insert_item(txn, None, usize::MAX, "")
    }) {
        focus_later(format!(
            "section.item[data-item={}] input.item-title",
            quoted(id.as_str())
        ));
    }
}

/// The outline panel.
#[component]
pub fn Outline() -> impl IntoView {
    let store = use_store();
    let limit = progressive_limit(move || store.items.with(Vec::len), 30, 60);
    let ids = Memo::new(move |_| {
        let n = limit.get();
        store.items.with(|i| {
            i.iter()
                .take(n)
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>()
        })
    });
    let dragged = RwSignal::new(None::<ItemId>);
    view! {
        <nav class="panel outline" aria-labelledby="outline-heading">
            <h2 id="outline-heading">"Agenda"</h2>
            <p class="hint" id="outline-hint" hidden=move || !store.editable.get()>
                "Alt+↑/↓ moves the focused item, Alt+→/← indents or outdents it; or drag it onto another."
            </p>
            {move || store.move_refused.get().map(|why| view! {
                <p id="move-refused" class="error" role="alert">{why}</p>
            })}
            <ol id="outline" aria-describedby="outline-hint">
                <For each=move || ids.get() key=|id| id.clone()
                    children=move |id| view! { <OutlineEntry id=id dragged=dragged /> } />
            </ol>
            <Show when=move || store.editable.get()>
                <button type="button" id="add-item" on:click=move |_| add_item(store)>"Add item"</button>
            </Show>
        </nav>
    }
}

/// One outline entry.
#[component]
fn OutlineEntry(id: ItemId, dragged: RwSignal<Option<ItemId>>) -> impl IntoView {
    let store = use_store();
    let head = store.watch_item_head(&id);
    let number = move || head.with(|h: &ItemHead| h.number.clone());
    let selector = format!("#outline li[data-item={}]", quoted(id.as_str()));
    let over = RwSignal::new(false);

    let on_key = {
        let (id, selector) = (id.clone(), selector.clone());
        move |ev: KeyboardEvent| {
            // Only the entry itself: its buttons keep their own keys.
            let on_entry = ev
                .target()
                .zip(ev.current_target())
                .is_some_and(|(t, c)| t == c);
            if !on_entry {
                return;
            }
            // Enter takes the focus to the item itself, editable or not.
            let plain = !(ev.alt_key() || ev.ctrl_key() || ev.meta_key() || ev.shift_key());
            if ev.key() == "Enter" && plain {
                ev.prevent_default();
                focus_later(format!(
                    "section.item[data-item={}] input.item-title",
                    quoted(id.as_str())
                ));
                return;
            }
            if !store.editable.get_untracked() {
                return;
            }
            if let Some(cmd) = KeyPress::of(&ev, outline_command) {
                ev.prevent_default();
                run(store, &id, cmd, selector.clone());
            }
        }
    };
    let button = {
        let (id, selector) = (id.clone(), selector.clone());
        move |class: &'static str, text: &'static str, what: &'static str, cmd: OutlineCommand| {
            let (id, selector) = (id.clone(), selector.clone());
            let enabled = move || {
                head.with(|h| match cmd {
                    OutlineCommand::MoveUp | OutlineCommand::Indent => h.sibling.0 > 0,
                    OutlineCommand::MoveDown => h.sibling.0 + 1 < h.sibling.1,
                    OutlineCommand::Outdent => h.parent.is_some(),
                })
            };
            view! {
                <button type="button" class=format!("icon {class}")
                    aria-label=move || format!("{what} item {}", number())
                    title=what
                    aria-disabled=move || (!enabled()).then_some("true")
                    on:click=move |_| {
                        if let Some(mv) = store.with_untracked(|s| moves::for_command(&s.view, &id, cmd)) {
                            apply_move(store, &id, mv);
                            focus_later(format!("{selector} button.{class}"));
                        }
                    }>{text}</button>
            }
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            let (number, title) =
                head.with_untracked(|h: &ItemHead| (h.number.clone(), h.title.clone()));
            let question = format!(
                "Delete item {number} “{title}” with its sub-items and everything written in them?"
            );
            // Focus goes to the entry before it, else to the first one left (never to
            // the page, where a key press would get lost).
            let before = store.items.with_untracked(|items| {
                let at = items.iter().position(|(i, _)| *i == id)?;
                at.checked_sub(1).map(|p| items[p].0.clone())
            });
            if crate::confirm(&question)
                && store
                    .item_home(&id)
                    .and_then(|home| {
                        store.write_in(home, "delete item", |m, txn| m.delete_item(txn, &id))
                    })
                    .is_some()
            {
                store.notify_undoable(format!("Deleted item {number} “{title}”"));
                focus_later(match before {
                    Some(b) => format!("#outline li[data-item={}]", quoted(b.as_str())),
                    None => "#outline li[data-item], #add-item".to_owned(),
                });
            }
        }
    };
    let on_drag_start = {
        let id = id.clone();
        move |ev: DragEvent| {
            if let Some(dt) = ev.data_transfer() {
                let _ = dt.set_data("text/plain", id.as_str());
                dt.set_effect_allowed("move");
            }
            dragged.set(Some(id.clone()));
        }
    };
    let on_drop = {
        let id = id.clone();
        move |ev: DragEvent| {
            ev.prevent_default();
            over.set(false);
            let from = dragged.get_untracked().or_else(|| {
                ev.data_transfer()
                    .and_then(|dt| dt.get_data("text/plain").ok())
                    .filter(|s| !s.is_empty())
                    .map(|s| ItemId::from(s.as_str()))
            });
            dragged.set(None);
            let Some(from) = from else { return };
            if let Some(mv) = store.with_untracked(|s| moves::for_drop(&s.view, &from, &id)) {
                apply_move(store, &from, mv);
            }
        }
    };

    view! {
        <li data-item=id.0.clone() data-number=number tabindex="0"
            draggable=move || if store.editable.get() { "true" } else { "false" }
            class:drop-target=move || over.get()
            style=move || format!("--depth: {}", head.with(|h| h.depth))
            aria-label=move || head.with(|h| format!("Item {}: {}", h.number, h.title))
            on:keydown=on_key
            on:dragstart=on_drag_start
            on:dragend=move |_| { dragged.set(None); over.set(false); }
            on:dragover=move |ev: DragEvent| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: DragEvent| if store.editable.get_untracked() { on_drop(ev) }>
            <span class="num">{number}</span>
            <a class="o-title" href=format!("#item-{}", id.as_str()) tabindex="-1">
                {move || head.with(|h| {
                    // Without Part II an exempt item has no title here: its public one.
                    let shown = if h.title.trim().is_empty() && h.effective.is_some() {
                        h.public_title.as_str()
                    } else {
                        h.title.as_str()
                    };
                    if shown.trim().is_empty() { "(untitled)".to_owned() } else { shown.to_owned() }
                })}
            </a>
            <Show when=move || store.editable.get()>
            <span class="o-buttons">
                {button("up", "↑", "Move up", OutlineCommand::MoveUp)}
                {button("down", "↓", "Move down", OutlineCommand::MoveDown)}
                {button("indent", "→", "Indent", OutlineCommand::Indent)}
                {button("outdent", "←", "Outdent", OutlineCommand::Outdent)}
                <button type="button" class="icon delete" title="Delete"
                    aria-label=move || format!("Delete item {}", number())
                    on:click=delete.clone()>"✕"</button>
            </span>
            </Show>
        </li>
    }
}
