//! Actions in the minutes, where they were flagged: under the block they were raised
//! after, or at the end of their item when raised in no block (carried actions land under
//! "Matters arising" this way). Each shows its reference, what is to be done, its owners'
//! short forms, its due date and its status; the action log and the export list them too.

use leptos::prelude::*;
use minutebook_shared::meeting::{reading, ActionView, BlockId, ItemId};

use crate::store::use_store;

/// The actions raised at `block` of `item` (or in `item` outside any block).
#[component]
pub fn ActionsHere(item: ItemId, block: Option<BlockId>) -> impl IntoView {
    let store = use_store();
    let here = Memo::new(move |_| {
        store.actions.with(|all| {
            all.iter()
                .filter(|a| a.item.as_ref() == Some(&item) && a.block == block)
                .cloned()
                .collect::<Vec<ActionView>>()
        })
    });
    move || {
        let actions = here.get();
        (!actions.is_empty()).then(|| {
            view! {
                <ul class="actions-here" aria-label="Actions raised here">
                    {actions.into_iter().map(|a| view! { <ActionLine action=a /> }).collect_view()}
                </ul>
            }
        })
    }
}

/// One action as a line of the minutes, in the reading view's words
/// ([`minutebook_shared::meeting::reading::ActionLine`]), "overdue" added.
#[component]
fn ActionLine(action: ActionView) -> impl IntoView {
    let store = use_store();
    let owners = store.people.with_untracked(|people| {
        action
            .owners
            .iter()
            .filter_map(|id| people.iter().find(|p| &p.id == id))
            .map(|p| p.person.label().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let line = reading::ActionLine::of(&action, owners);
    let overdue = line.overdue(minutebook_shared::time::now_ms());
    view! {
        <li class="action-here" data-action=line.id.0.clone() data-status=line.status.as_str()
            data-overdue=overdue.then_some("")>
            <strong class="a-label">{line.label.clone()}</strong>" "
            <span class="a-what">{line.description.clone()}</span>
            <span class="a-meta">{line.tail()}{overdue.then_some(" (overdue)")}</span>
        </li>
    }
}
