//! Actions in the minutes, where they were flagged: under the block they were raised
//! after, or at the end of their item when raised in no block (carried actions land under
//! "Matters arising" this way). Each shows its reference, what is to be done, its owners'
//! short forms, its due date and its status; the action log and the export list them too.

use leptos::prelude::*;
use minutebook_shared::meeting::{ActionStatus, ActionView, BlockId, ItemId};

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

/// One action as a line of the minutes.
#[component]
fn ActionLine(action: ActionView) -> impl IntoView {
    let store = use_store();
    let owners = store.people.with_untracked(|people| {
        action
            .owners
            .iter()
            .filter_map(|id| people.iter().find(|p| &p.id == id))
            .map(|p| {
                if p.person.short.trim().is_empty() {
                    p.person.name.clone()
                } else {
                    p.person.short.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    let f = action.fields;
    let label = match &f.reference {
        Some(r) => format!("Action {r}"),
        None => "Action".to_owned(),
    };
    let mut meta = Vec::new();
    if !owners.is_empty() {
        meta.push(owners);
    }
    let overdue = f.status == ActionStatus::Open
        && minutebook_shared::time::is_overdue(&f.due, minutebook_shared::time::now_ms());
    if !f.due.trim().is_empty() {
        meta.push(format!("due {}", f.due.trim()));
    }
    meta.push(if overdue {
        "open, overdue".to_owned()
    } else {
        f.status.as_str().to_owned()
    });
    view! {
        <li class="action-here" data-action=action.id.0.clone() data-status=f.status.as_str()
            data-overdue=overdue.then_some("")>
            <strong class="a-label">{label}</strong>": "
            <span class="a-what">{f.description}</span>
            <span class="a-meta">" — "{meta.join(" · ")}</span>
        </li>
    }
}
