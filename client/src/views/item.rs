//! The agenda items in the main column: one `section.item` per visible item (flat, in
//! reading order, indented by depth) with its number, its title (an input bound to the
//! title's Y.Text) and its blocks. Read-only pages get a `readonly` title and no add
//! buttons.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use minutebook_shared::meeting::{BlockKind, Exemption, ItemId, Paragraph};

use crate::bindings::{Binding, Field};
use crate::focus::{focus_later, quoted};
use crate::in_view::InView;
use crate::presence::use_presence;
use crate::progressive::progressive_limit;
use crate::store::use_store;
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

/// One item's section.
#[component]
fn ItemSection(id: ItemId) -> impl IntoView {
    let store = use_store();
    let presence = use_presence();
    let head = store.watch_item_head(&id);
    let blocks = store.watch_item_blocks(&id);
    let number = move || head.with(|h| h.number.clone());

    let title = NodeRef::<Input>::new();
    let binding = StoredValue::new_local(None::<Binding>);
    {
        let id = id.clone();
        title.on_load(move |el| binding.set_value(store.bind_title(&id, Field::Input(el))));
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
            let new = store.write("add block", |m, txn| {
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
                readonly=move || !store.editable.get()
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
    let exempt = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let code = event_target_value(&ev);
            let reason = Exemption::parse_code(&code, "");
            store.write("mark an item exempt", |m, txn| {
                m.set_exemption(txn, &id, reason.as_ref())
            });
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
                <select class="item-exempt" disabled=move || !store.editable.get()
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
            <Show when=move || head.with(|h| h.exemption.is_some())>
                <input class="item-public-title" type="text" autocomplete="off"
                    readonly=move || !store.editable.get()
                    placeholder="Public title (default: the item's own)"
                    aria-label=move || format!("Public title of item {}", number())
                    prop:value=move || head.with(|h| h.public_title.clone())
                    on:change=public_title.clone() />
                <p class="item-exempt-note hint">
                    "Withheld, with its sub-items, from the public version and published minutes. \
                     Everyone invited to this meeting can still read it."
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
        </section>
    }
}
