//! The agenda items in the main column: one `section.item` per visible item (flat, in
//! reading order, indented by depth) with its number, its title (an input bound to the
//! title's Y.Text) and its blocks. Read-only pages get a `readonly` title and no add
//! buttons.
//!
//! Part II: inside an exempt item, the title, sub-items and blocks are bound to and
//! written into the Part II document ([`Store::write_item`]). Marking an item exempt
//! (`select.item-exempt`; for "confidential", `input.item-exempt-reason` and
//! `button.item-exempt-apply`) asks for confirmation, then `POST …/items/{id}/exempt`
//! moves its content into Part II and the server rebuilds the minutes without it (the
//! page reloads). A page without restricted access shows an exempt item only as its
//! placeholder (`section.item.exempt-placeholder`): number, public title and
//! "Exempt item — Schedule 12A paragraph 3".

use leptos::html::{Input, Select};
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use leptos::task::spawn_local;
use minutebook_shared::meeting::{BlockKind, Exemption, ItemId, Paragraph};

use crate::bindings::{Binding, Field};
use crate::focus::{focus_later, quoted};
use crate::in_view::InView;
use crate::presence::use_presence;
use crate::progressive::progressive_limit;
use crate::store::{use_store, Store, Which};
use crate::trust_api;
use crate::views::actions_here::ActionsHere;
use crate::views::block::Block;
use crate::views::outline::add_item;
use crate::views::presence::BlockPresence;

/// How far from the view an item is still rendered (CSS margin): well beyond the
/// browser's own margin for `content-visibility: auto`, so items near the view never
/// change size under the pointer when they start rendering.
const FAR_FROM_VIEW: &str = "150% 0px";

/// The observer marking items far from the view, for the item sections.
#[derive(Clone, Copy)]
struct FarItems(StoredValue<Option<InView>, LocalStorage>);

/// Items mounted in the first render.
const FIRST_ITEMS: usize = 4;
/// Items mounted per later task.
const MORE_ITEMS: usize = 25;

/// All items, keyed by id (a remote change never recreates another item's section).
#[component]
pub fn Items() -> impl IntoView {
    let store = use_store();
    // A big meeting is mounted a few items per task, so the first items are editable at
    // once and the page never freezes while the rest is built.
    let total = move || store.items.with(Vec::len);
    let limit = progressive_limit(total, FIRST_ITEMS, MORE_ITEMS);
    let ids = Memo::new(move |_| {
        let n = limit.get();
        store.items.with(|i| {
            i.iter()
                .take(n)
                .map(|(id, _)| id.clone())
                .collect::<Vec<_>>()
        })
    });
    let mounting = move || limit.get() < total();
    // Items far from the view are marked `data-far`: the stylesheet lets the browser skip
    // rendering them, so a keystroke anywhere in a long meeting (here or on another page)
    // re-lays out only what is near the view.
    let far = StoredValue::new_local(InView::new(FAR_FROM_VIEW, |el, near| {
        let _ = el.toggle_attribute_with_force("data-far", !near);
    }));
    provide_context(FarItems(far));
    view! {
        <div class="items" data-mounting=move || mounting().then_some("")>
            <Show when=move || ids.with(Vec::is_empty)>
                <p class="empty">"This meeting has no items yet."</p>
            </Show>
            <For each=move || ids.get() key=|id| id.clone()
                children=|id| view! { <ItemSection id=id /> } />
            <Show when=move || store.editable.get()>
                <button type="button" class="add-item-main" on:click=move |_| add_item(store)>
                    "Add item"
                </button>
            </Show>
        </div>
    }
}

/// Longest reason a confidential item may give (the server's limit).
const MAX_NOTE_CHARS: usize = 500;

/// What marking an item exempt warns about before the content moves.
fn move_warning(number: &str) -> String {
    format!(
        "Move item {number} into Part II (restricted)?\n\n\
         Everything already typed in this item was sent to everyone invited to the meeting, \
         including members without restricted access, and their browsers may still hold a \
         copy. The minutes will be rebuilt without it: from now on only members with \
         restricted access can read or edit this item's title, sub-items, paragraphs and \
         actions. Everyone's page reloads."
    )
}

/// One item's section: its placeholder for a page without restricted access when the
/// item is exempt, else the item itself.
#[component]
fn ItemSection(id: ItemId) -> impl IntoView {
    let store = use_store();
    let head = store.watch_item_head(&id);
    let placeholder = move || !store.has_part2() && head.with(|h| h.effective.is_some());
    let shown = id.clone();
    view! {
        <Show when=placeholder
            fallback=move || view! { <ItemEditor id=shown.clone() /> }>
            <ExemptPlaceholder id=id.clone() />
        </Show>
    }
}

/// An exempt item as a member without restricted access sees it: nothing of its
/// content, nothing editable.
#[component]
fn ExemptPlaceholder(id: ItemId) -> impl IntoView {
    let store = use_store();
    let head = store.watch_item_head(&id);
    let number = move || head.with(|h| h.number.clone());
    let label = move || {
        head.with(|h| match (&h.effective, h.inherited) {
            (Some(_), true) => "Part of an exempt item".to_owned(),
            (Some(e), false) => e.label(),
            (None, _) => String::new(),
        })
    };
    let shown_title = move || {
        head.with(|h| {
            if h.inherited {
                String::new()
            } else {
                h.public_title.clone()
            }
        })
    };
    view! {
        <section class="item exempt-placeholder" id=format!("item-{}", id.as_str())
            data-item=id.0.clone() data-number=number
            style=move || format!("--depth: {}", head.with(|h| h.depth))>
            {view! {
                <div class="item-head" role="heading">
                    <span class="num">{number}</span>
                    " "
                    <span class="item-public-title-shown">{shown_title}</span>
                </div>
            }
            .add_any_attr(custom_attribute("aria-level", move || {
                (head.with(|h| h.depth) + 2).min(6).to_string()
            }))}
            <p class="item-exempt-label"><em>{label}</em></p>
        </section>
    }
}

/// Moves item `id` into Part II after the user confirmed: `POST …/exempt`, then the
/// minutes are loaded afresh. `reset` puts the control back on failure.
fn move_into_part2(
    store: Store,
    id: ItemId,
    number: String,
    code: String,
    note: String,
    public_title: String,
    reset: impl Fn() + 'static,
) {
    if !crate::confirm(&move_warning(&number)) {
        reset();
        return;
    }
    store.announce(format!("Moving item {number} into Part II…"));
    spawn_local(async move {
        match trust_api::make_exempt(&store.name(), id.as_str(), &code, &note, &public_title).await
        {
            Ok(moved) => {
                store.announce(format!(
                    "Item {number} moved into Part II ({} items, {} blocks, {} actions)",
                    moved.items, moved.blocks, moved.actions
                ));
                // The server rebuilt the minutes: this page's copy is dead.
                store.rebuilt();
            }
            Err(e) => {
                reset();
                store.announce(format!("Item {number} was not moved into Part II: {e}"));
                crate::warn(&format!("exempt: {e}"));
            }
        }
    });
}

/// Moves exempt item `id` back into Part I (`DELETE …/exempt`); a server without that
/// route (404/405) gets the exemption cleared in the main document, as before Part II.
fn move_into_part1(store: Store, id: ItemId, number: String, reset: impl Fn() + 'static) {
    let question = format!(
        "Make item {number} public again?\n\nIts title, sub-items, paragraphs and actions \
         become readable by everyone invited, and are included in the public version."
    );
    if !crate::confirm(&question) {
        reset();
        return;
    }
    spawn_local(async move {
        match trust_api::make_public(&store.name(), id.as_str()).await {
            Ok(()) => store.announce(format!("Item {number} is public again")),
            Err(e) if matches!(e.status, 404 | 405) => {
                let done = store.write("make an item public", |m, txn| {
                    m.set_exemption(txn, &id, None)
                });
                if done.is_some() {
                    store.announce(format!("Item {number} is public again"));
                } else {
                    reset();
                }
            }
            Err(e) => {
                reset();
                store.announce(format!("Item {number} stays exempt: {e}"));
            }
        }
    });
}

/// One item, editable where the page may edit.
#[component]
fn ItemEditor(id: ItemId) -> impl IntoView {
    let store = use_store();
    let presence = use_presence();
    let head = store.watch_item_head(&id);
    let blocks = store.watch_item_blocks(&id);
    let number = move || head.with(|h| h.number.clone());

    let title = NodeRef::<Input>::new();
    let binding = StoredValue::new_local(None::<Binding>);
    let bound = RwSignal::new(false);
    {
        // Bound once the field is in the page and its text exists (inside an exempt item
        // the Part II document's, which may arrive after the main one): retried after
        // every structural change until then.
        let id = id.clone();
        Effect::new(move |_| {
            store.structure.track();
            let Some(el) = title.get() else { return };
            if binding.with_value(Option::is_some) {
                return;
            }
            let b = store.bind_title(&id, Field::Input(el));
            bound.set(b.is_some());
            binding.set_value(b);
        });
    }
    let on_focus = {
        let id = id.clone();
        move |_| {
            binding.with_value(|b| b.as_ref().map(Binding::on_focus));
            if let Some(p) = presence {
                p.set_focus(&id, None, None);
            }
        }
    };
    let on_blur = move |_| {
        binding.with_value(|b| b.as_ref().map(Binding::on_blur));
        if let Some(p) = presence {
            p.clear_focus();
        }
    };
    let add_block = {
        let id = id.clone();
        move |_| {
            let new = store.write_item(&id, "add block", |m, txn| {
                m.insert_block(txn, &id, usize::MAX, BlockKind::Paragraph, "")
            });
            if let Some(b) = new {
                focus_later(format!(
                    "div.block[data-block={}] textarea.block-text",
                    quoted(b.as_str())
                ));
            }
        }
    };

    let heading = view! {
        <div class="item-head" role="heading">
            <span class="num">{number}</span>
            <input class="item-title" type="text" node_ref=title autocomplete="off"
                readonly=move || !store.editable.get() || !bound.get()
                placeholder="Item title"
                aria-label=move || format!("Title of item {}", number())
                on:input=move |_| { binding.with_value(|b| b.as_ref().map(Binding::on_input)); }
                on:focus=on_focus on:blur=on_blur />
            <BlockPresence item=id.clone() />
        </div>
    }
    .add_any_attr(custom_attribute("aria-level", move || {
        (head.with(|h| h.depth) + 2).min(6).to_string()
    }));
    let standing = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            store.write("mark a standing item", |m, txn| {
                m.set_standing(txn, &id, on)
            });
        }
    };

    // Part II: why the item is withheld from the public version ("" = public).
    let select = NodeRef::<Select>::new();
    // "Confidential" chosen for a public item: waiting for the reason before moving.
    let pending = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let reset = move || {
        pending.set(false);
        if let Some(el) = select.get_untracked() {
            let current = head.with_untracked(|h| {
                h.exemption
                    .as_ref()
                    .map(Exemption::code)
                    .unwrap_or_default()
            });
            el.set_value(&current);
        }
    };
    let exempt = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let code = event_target_value(&ev);
            let (current, number, public) = head.with_untracked(|h| {
                (
                    h.exemption.clone(),
                    h.number.clone(),
                    h.public_title.clone(),
                )
            });
            match (current, code.is_empty()) {
                (None, true) => pending.set(false),
                (Some(_), true) => move_into_part1(store, id.clone(), number, reset),
                // Already in Part II: only the reason changes (in the main document).
                (Some(_), false) => {
                    let reason = Exemption::parse_code(&code, &reason.get_untracked());
                    store.write("change an item's exemption", |m, txn| {
                        m.set_exemption(txn, &id, reason.as_ref())
                    });
                }
                (None, false) if code == "confidential" => {
                    pending.set(true);
                    focus_later(format!(
                        "section.item[data-item={}] input.item-exempt-reason",
                        quoted(id.as_str())
                    ));
                }
                (None, false) => move_into_part2(
                    store,
                    id.clone(),
                    number,
                    code,
                    String::new(),
                    public,
                    reset,
                ),
            }
        }
    };
    let item_id = StoredValue::new(id.clone());
    let apply_confidential = {
        move || {
            let id = item_id.get_value();
            let (number, public) =
                head.with_untracked(|h| (h.number.clone(), h.public_title.clone()));
            let note: String = reason
                .get_untracked()
                .trim()
                .chars()
                .take(MAX_NOTE_CHARS)
                .collect();
            move_into_part2(
                store,
                id.clone(),
                number,
                "confidential".to_owned(),
                note,
                public,
                reset,
            );
        }
    };
    // The reason of an item already confidential: changed in the main document.
    let reason_changed = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            reason.set(text.clone());
            if head.with_untracked(|h| matches!(h.exemption, Some(Exemption::Confidential(_)))) {
                let e = Exemption::confidential(text.trim());
                store.write("give a confidential item its reason", |m, txn| {
                    m.set_exemption(txn, &id, Some(&e))
                });
            }
        }
    };
    let show_reason = move || {
        pending.get() || head.with(|h| matches!(h.exemption, Some(Exemption::Confidential(_))))
    };
    let shown_reason = move || {
        head.with(|h| match &h.exemption {
            Some(Exemption::Confidential(n)) => n.clone(),
            _ => reason.get(),
        })
    };
    let restricted = store.has_part2();
    let add_sub_item = {
        let id = id.clone();
        move |_| {
            let new = store.write_in(Which::Part2, "add sub-item", |m, txn| {
                m.insert_item(txn, Some(&id), usize::MAX, "")
            });
            if let Some(sub) = new {
                focus_later(format!(
                    "section.item[data-item={}] input.item-title",
                    quoted(sub.as_str())
                ));
            }
        }
    };
    let public_title = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            store.write("give an exempt item its public title", |m, txn| {
                m.set_public_title(txn, &id, &text)
            });
        }
    };
    let code = move || {
        head.with(|h| {
            h.exemption
                .as_ref()
                .map(Exemption::code)
                .unwrap_or_default()
        })
    };

    let section = NodeRef::<leptos::html::Section>::new();
    if let Some(FarItems(far)) = use_context::<FarItems>() {
        let observed = StoredValue::new_local(None::<web_sys::Element>);
        section.on_load(move |el| {
            let el: web_sys::Element = el.into();
            far.with_value(|f| f.as_ref().map(|f| f.observe(&el)));
            observed.set_value(Some(el));
        });
        on_cleanup(move || {
            if let Some(el) = observed.try_update_value(Option::take).flatten() {
                far.try_with_value(|f| f.as_ref().map(|f| f.unobserve(&el)));
            }
        });
    }
    view! {
        <section class="item" id=format!("item-{}", id.as_str()) data-item=id.0.clone()
            node_ref=section
            data-number=number
            style=move || format!("--depth: {}", head.with(|h| h.depth))>
            {heading}
            <label class="item-standing check"
                title="Every meeting of the series has it: the next meeting starts with it">
                <input type="checkbox" class="item-standing-box"
                    prop:checked=move || head.with(|h| h.standing)
                    disabled=move || !store.editable.get()
                    on:change=standing />
                "Standing item"
            </label>
            <Show when=move || !head.with(|h| h.inherited)>
                <select class="item-exempt" node_ref=select
                    disabled=move || !store.editable.get() || !restricted
                    title=(!restricted).then_some("Only members with restricted access mark items exempt")
                    aria-label=move || format!("Item {} in the public version", number())
                    on:change=exempt.clone()>
                    <option value="" selected=move || code().is_empty()>"Public"</option>
                    {Paragraph::ALL.into_iter().map(|p| {
                        let value = Exemption::Schedule12A(p).code();
                        let shown = value.clone();
                        view! {
                            <option value=value selected=move || code() == shown>
                                {format!("Exempt: Schedule 12A paragraph {}", p.number())}
                            </option>
                        }
                    }).collect_view()}
                    <option value="confidential" selected=move || code() == "confidential">"Confidential"</option>
                </select>
            </Show>
            <Show when=show_reason>
                <input class="item-exempt-reason" type="text" autocomplete="off"
                    maxlength=MAX_NOTE_CHARS.to_string()
                    readonly=move || !store.editable.get()
                    placeholder="Why it is confidential"
                    aria-label=move || format!("Reason item {} is confidential", number())
                    prop:value=shown_reason
                    on:input=move |ev| reason.set(event_target_value(&ev))
                    on:change=reason_changed.clone()
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && pending.get_untracked() {
                            ev.prevent_default();
                            apply_confidential();
                        }
                    } />
                <Show when=move || pending.get()>
                    <button type="button" class="item-exempt-apply"
                        aria-label=move || format!("Move item {} into Part II as confidential", number())
                        on:click=move |_| apply_confidential()>
                        "Move into Part II"
                    </button>
                    <button type="button" class="item-exempt-cancel"
                        aria-label=move || format!("Keep item {} public", number())
                        on:click=move |_| reset()>
                        "Cancel"
                    </button>
                </Show>
            </Show>
            <Show when=move || head.with(|h| h.exemption.is_some())>
                <input class="item-public-title" type="text" autocomplete="off"
                    readonly=move || !store.editable.get()
                    placeholder="Public title (default: the item's own)"
                    aria-label=move || format!("Public title of item {}", number())
                    prop:value=move || head.with(|h| h.public_title.clone())
                    on:change=public_title.clone() />
                <p class="item-exempt-note hint">
                    "Part II: withheld, with its sub-items, from the public version and published \
                     minutes. Only members with restricted access can still read it."
                </p>
            </Show>
            <div class="blocks">
                <For each=move || blocks.get() key=|b| b.clone()
                    children=|b| view! { <Block id=b /> } />
            </div>
            <ActionsHere item=id.clone() block=None />
            <Show when=move || store.editable.get()>
                <button type="button" class="add-block" on:click=add_block.clone()
                    aria-label=move || format!("Add a paragraph to item {}", number())>
                    "+ Paragraph"
                </button>
            </Show>
            <Show when=move || store.editable.get() && restricted && head.with(|h| h.effective.is_some())>
                <button type="button" class="add-sub-item" on:click=add_sub_item.clone()
                    aria-label=move || format!("Add a restricted sub-item to item {}", number())>
                    "+ Sub-item"
                </button>
            </Show>
        </section>
    }
}
