//! One block of an item (`div.block`): its kind, its text (a textarea bound to the block's
//! Y.Text, caret kept under remote edits), speaker chips and picker, speaker suggestions,
//! and the "flag action" button. Ctrl+Enter adds a paragraph after it, Alt+A flags an
//! action (see [`crate::keys`]). A statement shows its confirmation status
//! ([`StatementStatusChip`]) and, to the chair and minute-takers, its open correction
//! proposals ([`BlockCorrections`]). While the page is read-only ([`crate::store::Store::editable`])
//! the text is `readonly`, the kind select disabled, the add/flag/delete controls and
//! speaker picker gone and the shortcuts inert.
//!
//! The component reads only its own memo ([`BlockInfo`]), so typing elsewhere never
//! re-renders it, and the textarea is created once per block id.

use leptos::html::Textarea;
use leptos::prelude::*;
use minutebook_shared::meeting::suggest::suggest_speakers;
use minutebook_shared::meeting::{BlockId, BlockKind, MeetingView};
use web_sys::KeyboardEvent;
use yrs::TextRef;

use crate::bindings::{Binding, Field};
use crate::focus::{focus_later, quoted};
use crate::keys::{block_command, BlockCommand, KeyPress};
use crate::meeting_trust::Trust;
use crate::presence::use_presence;
use crate::snapshot::BlockInfo;
use crate::store::{use_store, ActionTarget};
use crate::views::actions_here::ActionsHere;
use crate::views::corrections::BlockCorrections;
use crate::views::presence::{BlockPresence, RemoteCarets};
use crate::views::speakers::Speakers;
use crate::views::statement_status::StatementStatusChip;
use crate::views::suggestion::Suggestions;

/// Human label of a block kind.
pub fn kind_label(k: BlockKind) -> &'static str {
    match k {
        BlockKind::Paragraph => "Paragraph",
        BlockKind::SubHeading => "Sub-heading",
        BlockKind::Statement => "Statement",
        BlockKind::Decision => "Decision",
    }
}

/// The block `id`.
#[component]
pub fn Block(id: BlockId) -> impl IntoView {
    let store = use_store();
    let presence = use_presence();
    let info = store.watch_block(&id);
    let editable = move || store.editable.get();
    // Suggestions scan the text for every attendee: only for blocks someone works in
    // here (computing them for a whole big meeting at load would be slow).
    let engaged = RwSignal::new(false);
    let suggestions = Memo::new(move |_| {
        if !engaged.get() {
            return Vec::new();
        }
        let block = info.with(|i| i.block.clone());
        store.people.with(|people| {
            let view = MeetingView {
                people: people.clone(),
                ..MeetingView::default()
            };
            suggest_speakers(&view, &block)
        })
    });
    let where_ = move || {
        info.with(|i: &BlockInfo| format!("block {} in item {}", i.position, i.item_number))
    };
    let kind = move || info.with(|i| i.block.kind);
    let initial_kind = info.with_untracked(|i| i.block.kind);

    let area = NodeRef::<Textarea>::new();
    let binding = StoredValue::new_local(None::<Binding>);
    {
        let id = id.clone();
        area.on_load(move |el| binding.set_value(store.bind_block(&id, Field::Area(el))));
    }
    // The block's Y.Text, looked up on first use (a lookup opens a transaction: not
    // worth doing at mount for every block of a big meeting).
    let text_ref = StoredValue::new_local(None::<TextRef>);
    let text = {
        let id = id.clone();
        move || {
            if text_ref.with_value(Option::is_none) {
                text_ref.set_value(store.block_text(&id));
            }
            text_ref.get_value()
        }
    };
    let report = {
        let (id, text) = (id.clone(), text.clone());
        move || {
            let Some(p) = presence else { return };
            let item = info.with_untracked(|i| i.item.clone());
            let (Some(text), Some(el)) = (text(), area.get_untracked()) else {
                // A Part II block: only "in item N" (no block, no caret) goes out.
                p.set_focus(&item, None, None);
                return;
            };
            p.focus_textarea(&item, Some(&id), &text, &el);
        }
    };
    let on_input = {
        let report = report.clone();
        move |_| {
            binding.with_value(|b| b.as_ref().map(Binding::on_input));
            report();
        }
    };
    let on_focus = {
        let report = report.clone();
        move |_| {
            binding.with_value(|b| b.as_ref().map(Binding::on_focus));
            if store.editable.get_untracked() {
                engaged.set(true);
            }
            report();
        }
    };
    let on_blur = move |_| {
        binding.with_value(|b| b.as_ref().map(Binding::on_blur));
        if let Some(p) = presence {
            p.clear_focus();
        }
    };
    let flag = {
        let id = id.clone();
        move || {
            if !store.editable.get_untracked() {
                return;
            }
            let item = info.with_untracked(|i| i.item.clone());
            store.action_target.set(Some(ActionTarget {
                item,
                block: id.clone(),
            }));
        }
    };
    let on_key = {
        let flag = flag.clone();
        move |ev: KeyboardEvent| match KeyPress::of(&ev, block_command)
            .filter(|_| store.editable.get_untracked())
        {
            Some(BlockCommand::AddBlockAfter) => {
                ev.prevent_default();
                let (item, position) = info.with_untracked(|i| (i.item.clone(), i.position));
                let new = store.write_item(&item, "add block", |m, txn| {
                    m.insert_block(txn, &item, position, BlockKind::Paragraph, "")
                });
                if let Some(b) = new {
                    focus_later(format!(
                        "div.block[data-block={}] textarea.block-text",
                        quoted(b.as_str())
                    ));
                }
            }
            Some(BlockCommand::FlagAction) => {
                ev.prevent_default();
                flag();
            }
            None => {}
        }
    };
    let on_kind = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            if let Some(k) = BlockKind::parse(&event_target_value(&ev)) {
                store.write_block(&id, "block kind", |m, txn| m.set_block_kind(txn, &id, k));
            }
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            // No confirmation: the deletion can be undone (the notice's Undo, or Ctrl+Z).
            // Focus goes to the next block of the item, else the previous one, else the
            // item's title — never to the page, where a key press would get lost.
            let (item, position, label) = info.with_untracked(|i| {
                let what = kind_label(i.block.kind).to_lowercase();
                (
                    i.item.clone(),
                    i.position,
                    format!("Deleted {what} {} in item {}", i.position, i.item_number),
                )
            });
            let neighbour = store.with_untracked(|s| {
                let ids = s.block_ids(&item);
                ids.get(position)
                    .or_else(|| position.checked_sub(2).and_then(|p| ids.get(p)))
                    .cloned()
            });
            if store
                .write_block(&id, "delete block", |m, txn| m.delete_block(txn, &id))
                .is_some()
            {
                store.notify_undoable(label);
                focus_later(match neighbour {
                    Some(b) => format!(
                        "div.block[data-block={}] textarea.block-text",
                        quoted(b.as_str())
                    ),
                    None => format!(
                        "section.item[data-item={}] input.item-title",
                        quoted(item.as_str())
                    ),
                });
            }
        }
    };
    // The presence overlays exist only while a peer is in this block: mounting them for
    // every block of a big meeting would cost more than the rest of the block.
    let peers_here = {
        let id = id.clone();
        Memo::new(move |_| {
            presence.is_some_and(|p| {
                p.any_peer(|peer| {
                    !peer.is_self
                        && peer.focus.as_ref().and_then(|f| f.block.as_deref()) == Some(id.as_str())
                })
            })
        })
    };
    let carets = {
        let id = id.clone();
        move || {
            peers_here.get().then(&text).flatten().map(|t| {
                view! { <RemoteCarets text=t block=id.clone() textarea=area /> }
            })
        }
    };
    let badges = {
        let id = id.clone();
        move || {
            peers_here.get().then(|| {
                let item = info.with_untracked(|i| i.item.clone());
                view! { <BlockPresence item=item block=id.clone() /> }
            })
        }
    };
    let placeholder = move || match kind() {
        _ if !editable() => "",
        BlockKind::SubHeading => "Sub-heading",
        BlockKind::Decision => "Decision",
        BlockKind::Statement => "What was said",
        BlockKind::Paragraph => "Minutes text (Ctrl+Enter adds a paragraph, Alt+A flags an action)",
    };

    // Open correction proposals: mounted only for those who decide on them.
    let moderates = use_context::<Trust>()
        .map(|t| t.access)
        .map(|a| Signal::derive(move || a.with(|a| a.as_ref().is_some_and(|a| a.moderates()))));
    let corrections = {
        let id = id.clone();
        move || {
            moderates
                .is_some_and(|m| m.get())
                .then(|| view! { <BlockCorrections id=id.clone() info=info /> })
        }
    };

    // Mounted only once the block has had the focus (see `engaged`).
    let suggestions_view = {
        let id = id.clone();
        move || {
            (engaged.get() && editable()).then(|| {
                view! { <Suggestions id=id.clone() info=info suggestions=suggestions /> }
            })
        }
    };

    view! {
        <div class="block" data-block=id.0.clone() data-kind=move || kind().as_str()>
            <div class="block-bar">
                <select class="block-kind" on:change=on_kind prop:value=move || kind().as_str()
                    disabled=move || !editable()
                    aria-label=move || format!("Kind of {}", where_())>
                    // Static options (the initial kind by attribute): one effect per
                    // select, not one per option, keeps mounting a big meeting cheap.
                    {BlockKind::ALL.iter().map(|k| {
                        view! {
                            <option value=k.as_str() selected=initial_kind == *k>
                                {kind_label(*k)}
                            </option>
                        }
                    }).collect_view()}
                </select>
                <Speakers id=id.clone() info=info />
                <StatementStatusChip id=id.clone() info=info />
                {badges}
                <Show when=editable>
                <span class="block-buttons">
                    <button type="button" class="flag-action"
                        aria-label=move || format!("Flag action at {}", where_())
                        title="Flag an action (Alt+A)"
                        on:click={ let flag = flag.clone(); move |_| flag() }>"Flag action"</button>
                    <button type="button" class="icon delete-block"
                        aria-label=move || format!("Delete {}", where_())
                        title="Delete block"
                        on:click=delete.clone()>"✕"</button>
                </span>
                </Show>
            </div>
            <div class="block-text-wrap">
                <textarea class="block-text" node_ref=area rows="2" spellcheck="true"
                    placeholder=placeholder readonly=move || !editable()
                    aria-label=move || format!("Text of {}", where_())
                    on:input=on_input on:focus=on_focus on:blur=on_blur on:keydown=on_key
                    on:keyup={ let r = report.clone(); move |_| r() } on:mouseup={ let r = report.clone(); move |_| r() }
                    on:select={ let r = report.clone(); move |_| r() }></textarea>
                {carets}
            </div>
            {suggestions_view}
            {corrections}
            <ActionsHere item=info.with_untracked(|i| i.item.clone()) block=Some(id.clone()) />
        </div>
    }
}
