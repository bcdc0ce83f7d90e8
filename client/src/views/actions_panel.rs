//! The actions panel (`section#actions-panel`): every action of the meeting, live, with
//! filters by owner and status; each row's status select writes the action's status. The
//! reference shows once the server has assigned it ("pending" before). The status select
//! is disabled while the page is read-only.

use leptos::prelude::*;
use minutebook_shared::meeting::{ActionId, ActionStatus, ActionView};

use crate::filters::ActionFilter;
use crate::store::use_store;
use crate::views::header_form::person_option;

/// Human label of an action status.
pub fn action_status_label(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "Open",
        ActionStatus::Done => "Done",
        ActionStatus::Dropped => "Dropped",
    }
}

/// The panel.
#[component]
pub fn ActionsPanel() -> impl IntoView {
    let store = use_store();
    let owner = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let rows = Memo::new(move |_| {
        let filter = ActionFilter::from_values(&owner.get(), &status.get());
        store.actions.with(|actions| {
            actions
                .iter()
                .filter(|a| filter.matches(a))
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
        })
    });
    let total = Memo::new(move |_| store.actions.with(Vec::len));

    view! {
        <section id="actions-panel" class="panel actions" aria-labelledby="actions-heading">
            <h2 id="actions-heading">"Actions"</h2>
            <div class="filters">
                <label for="filter-owner">"Owner"</label>
                <select id="filter-owner" on:change=move |ev| owner.set(event_target_value(&ev))>
                    <option value="">"Everyone"</option>
                    <For each=move || store.people.get() key=|p| (p.id.clone(), p.person.clone())
                        children=move |p| {
                            let v = p.id.0.clone();
                            let v2 = v.clone();
                            view! {
                                <option value=v prop:selected=move || owner.get() == v2>
                                    {person_option(&p.person)}
                                </option>
                            }
                        } />
                </select>
                <label for="filter-status">"Status"</label>
                <select id="filter-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    {ActionStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str()>{action_status_label(*s)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="table-wrap">
                <table class="actions-table">
                    <thead>
                        <tr>
                            <th scope="col">"Ref"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Owner"</th>
                            <th scope="col">"Due"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Item"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|id| id.clone()
                            children=|id| view! { <ActionRow id=id /> } />
                    </tbody>
                </table>
            </div>
            <p class="hint" aria-live="polite">
                {move || match (rows.with(Vec::len), total.get()) {
                    (_, 0) => "No actions yet: flag one from a block (Alt+A).".to_owned(),
                    (n, t) if n == t => format!("{t} action(s)."),
                    (n, t) => format!("Showing {n} of {t} actions."),
                }}
            </p>
        </section>
    }
}

/// One action's row.
#[component]
fn ActionRow(id: ActionId) -> impl IntoView {
    let store = use_store();
    let row = {
        let id = id.clone();
        Memo::new(move |_| {
            let a = store
                .actions
                .with(|all| all.iter().find(|a| a.id == id).cloned())?;
            let owners: Vec<String> = store.people.with(|people| {
                a.owners
                    .iter()
                    .filter_map(|o| people.iter().find(|p| &p.id == o))
                    .map(|p| p.person.label().to_owned())
                    .collect()
            });
            let place = store.items.with(|items| {
                a.item
                    .as_ref()
                    .and_then(|i| items.iter().find(|(id, _)| id == i))
                    .map(|(_, n)| n.clone())
            });
            Some((a, owners.join(", "), place.unwrap_or_default()))
        })
    };
    let action = move || row.with(|r| r.as_ref().map(|r| r.0.clone()).unwrap_or_default());
    let status = move || action().fields.status;
    let reference = move || {
        action()
            .fields
            .reference
            .unwrap_or_else(|| "pending".to_owned())
    };
    let on_status = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            if let Some(s) = ActionStatus::parse(&event_target_value(&ev)) {
                store.write_action(&id, "action status", |m, txn| {
                    m.set_action_status(txn, &id, s)
                });
            }
        }
    };
    let name = move || {
        let a: ActionView = action();
        a.fields
            .reference
            .unwrap_or_else(|| a.fields.description.chars().take(40).collect())
    };
    view! {
        <tr data-action=id.0.clone() data-status=move || status().as_str()>
            <td class="a-ref" class:pending=move || action().fields.reference.is_none()>{reference}</td>
            <td class="a-desc">{move || action().fields.description}</td>
            <td class="a-owner">{move || row.with(|r| r.as_ref().map(|r| r.1.clone()).unwrap_or_default())}</td>
            <td class="a-due" class:overdue=move || {
                let f = action().fields;
                f.status.overdue(&f.due, minutebook_shared::time::now_ms())
            }>{move || action().fields.due}</td>
            <td>
                <select class="a-status" on:change=on_status disabled=move || !store.editable.get()
                    aria-label=move || format!("Status of action {}", name())>
                    {ActionStatus::ALL.iter().map(|s| {
                        let s = *s;
                        view! {
                            <option value=s.as_str() prop:selected=move || status() == s>
                                {action_status_label(s)}
                            </option>
                        }
                    }).collect_view()}
                </select>
            </td>
            <td class="a-where">{move || row.with(|r| r.as_ref().map(|r| r.2.clone()).unwrap_or_default())}</td>
        </tr>
    }
}
