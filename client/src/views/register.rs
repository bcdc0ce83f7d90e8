//! The attendance register (`table#register`): one row per person with name, capacity,
//! short form, organisation and attendance; `button#add-person` adds a row. Read-only
//! pages get `readonly` inputs, disabled selects and no add/remove buttons.

use leptos::prelude::*;
use minutebook_shared::meeting::{Attendance, ItemId, Person, PersonId};

use crate::progressive::progressive_limit;
use crate::store::use_store;

/// The `select.p-attendance` value of an attendance: `unknown` (not recorded yet),
/// `present`, `apologies`, `absent` or `joined` (the item is chosen in a second select,
/// `select.p-joined`).
pub fn attendance_value(a: &Attendance<ItemId>) -> &'static str {
    match a {
        Attendance::Present => "present",
        Attendance::Apologies => "apologies",
        Attendance::Absent => "absent",
        Attendance::JoinedFor(_) => "joined",
        Attendance::Unknown => "unknown",
    }
}

/// Reads a `select.p-attendance` value back; `joined` keeps the item of `current` when it
/// was already "joined for" one.
pub fn parse_attendance(v: &str, current: &Attendance<ItemId>) -> Option<Attendance<ItemId>> {
    match v {
        "present" => Some(Attendance::Present),
        "apologies" => Some(Attendance::Apologies),
        "absent" => Some(Attendance::Absent),
        "unknown" => Some(Attendance::Unknown),
        "joined" => Some(match current {
            Attendance::JoinedFor(i) => Attendance::JoinedFor(i.clone()),
            _ => Attendance::JoinedFor(None),
        }),
        _ => None,
    }
}

/// The register table.
#[component]
pub fn Register() -> impl IntoView {
    let store = use_store();
    let limit = progressive_limit(move || store.people.with(Vec::len), 10, 40);
    let ids = Memo::new(move |_| {
        let n = limit.get();
        store
            .people
            .with(|p| p.iter().take(n).map(|p| p.id.clone()).collect::<Vec<_>>())
    });
    let add = move |_| {
        let id = store.write("add person", |m, txn| {
            Ok(m.add_person(txn, &Person::default(), &Attendance::Present))
        });
        if let Some(id) = id {
            crate::focus::focus_later(format!(
                "#register tr[data-person={}] input.p-name",
                crate::focus::quoted(id.as_str())
            ));
        }
    };
    view! {
        <section class="panel register" aria-labelledby="register-heading">
            <h2 id="register-heading">"Attendance"</h2>
            <div class="table-wrap">
                <table id="register">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Capacity"</th>
                            <th scope="col">"Short"</th>
                            <th scope="col">"Organisation"</th>
                            <th scope="col">"Attendance"</th>
                            <th scope="col"><span class="sr-only">"Remove"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || ids.get() key=|id| id.clone()
                            children=|id| view! { <PersonRow id=id /> } />
                    </tbody>
                </table>
            </div>
            <Show when=move || store.editable.get()>
                <button type="button" id="add-person" on:click=add>"Add person"</button>
            </Show>
        </section>
    }
}

/// Which register field an input edits.
type Edit = fn(&mut Person, String);

/// One person's row.
#[component]
fn PersonRow(id: PersonId) -> impl IntoView {
    let store = use_store();
    let person = {
        let id = id.clone();
        Memo::new(move |_| {
            store
                .people
                .with(|p| p.iter().find(|p| p.id == id).cloned())
                .unwrap_or_default()
        })
    };
    let locked = move || !store.editable.get();
    let label = move || {
        let p = person.get().person;
        if p.name.is_empty() {
            "new person".to_owned()
        } else {
            p.name
        }
    };
    let input = {
        let id = id.clone();
        move |class: &'static str, what: &'static str, read: fn(&Person) -> String, edit: Edit| {
            let id = id.clone();
            view! {
                <td>
                    <input class=class type="text" autocomplete="off" readonly=locked
                        aria-label=move || format!("{what} of {}", label())
                        prop:value=move || read(&person.get().person)
                        on:input=move |ev| {
                            let mut p = person.get_untracked().person;
                            edit(&mut p, event_target_value(&ev));
                            store.write("register", |m, txn| m.update_person(txn, &id, &p));
                        } />
                </td>
            }
        }
    };
    let on_attendance = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let current = person.get_untracked().attendance;
            if let Some(a) = parse_attendance(&event_target_value(&ev), &current) {
                store.write("attendance", |m, txn| m.set_attendance(txn, &id, &a));
            }
        }
    };
    let on_joined = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            let a = Attendance::JoinedFor((!v.is_empty()).then(|| ItemId::from(v.as_str())));
            store.write("attendance", |m, txn| m.set_attendance(txn, &id, &a));
        }
    };
    let current = move || attendance_value(&person.get().attendance);
    let joined_item = move || match person.get().attendance {
        Attendance::JoinedFor(i) => Some(i),
        _ => None,
    };
    let remove = {
        let id = id.clone();
        move |_| {
            store.write("remove person", |m, txn| m.remove_person(txn, &id));
        }
    };
    view! {
        <tr data-person=id.0.clone()>
            {input("p-name", "Name", |p| p.name.clone(), |p, v| p.name = v)}
            {input("p-capacity", "Capacity", |p| p.capacity.clone(), |p, v| p.capacity = v)}
            {input("p-short", "Short form", |p| p.short.clone(), |p, v| p.short = v)}
            {input("p-org", "Organisation", |p| p.organisation.clone(), |p, v| p.organisation = v)}
            <td>
                <select class="p-attendance" on:change=on_attendance disabled=locked
                    aria-label=move || format!("Attendance of {}", label())>
                    {[("unknown", "Not recorded"), ("present", "Present"), ("apologies", "Apologies"),
                      ("absent", "Absent"), ("joined", "Joined for item…")].into_iter().map(|(v, text)| view! {
                        <option value=v prop:selected=move || current() == v>{text}</option>
                    }).collect_view()}
                </select>
                {move || joined_item().map(|chosen| {
                    let chosen = StoredValue::new(chosen);
                    view! {
                        <select class="p-joined" on:change=on_joined.clone() disabled=locked
                            aria-label=move || format!("Item {} joined for", label())>
                            <option value="" prop:selected=move || chosen.with_value(Option::is_none)>"(item)"</option>
                            <For each=move || store.items.get() key=|i| i.clone()
                                children=move |(item, number)| {
                                    let selected = {
                                        let item = item.clone();
                                        move || chosen.with_value(|c| c.as_ref() == Some(&item))
                                    };
                                    view! {
                                        <option value=item.0.clone() prop:selected=selected>
                                            {format!("Item {number}")}
                                        </option>
                                    }
                                } />
                        </select>
                    }
                })}
            </td>
            <td>
                <button type="button" class="icon" on:click=remove hidden=locked
                    aria-label=move || format!("Remove {} from the register", label())>"✕"</button>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_values_round_trip() {
        let joined = Attendance::JoinedFor(Some(ItemId::from("1a-2")));
        for a in [
            Attendance::Present,
            Attendance::Apologies,
            Attendance::Absent,
            Attendance::Unknown,
            Attendance::JoinedFor(None),
            joined.clone(),
        ] {
            assert_eq!(parse_attendance(attendance_value(&a), &a), Some(a));
        }
        // Choosing "joined" keeps a known item, else starts without one.
        assert_eq!(parse_attendance("joined", &joined), Some(joined.clone()));
        assert_eq!(
            parse_attendance("joined", &Attendance::Present),
            Some(Attendance::JoinedFor(None))
        );
        assert_eq!(parse_attendance("bogus", &joined), None);
    }
}
