//! The meeting header form (`form#header`): title, series, date, time, venue, chair,
//! next meeting, and the minute-takers (`#minute-takers`). The status (`output#h-status`)
//! is the server's lifecycle status from the ledger, shown read-only.
//!
//! Plain fields are last-writer-wins: every input writes just the field it edits.
//! Read-only pages get `readonly` inputs, disabled selects and no add/remove buttons.

use leptos::prelude::*;
use minutebook_shared::meeting::{Header, HeaderView, MinuteTaker, MinuteTakerId, PersonId};

use crate::store::use_store;

/// Which header field an input edits.
#[derive(Clone, Copy)]
enum F {
    Title,
    Series,
    Date,
    Time,
    Venue,
    NextDate,
    NextTime,
    NextType,
    NextVenue,
}

impl F {
    fn get(self, h: &Header) -> &str {
        match self {
            F::Title => &h.title,
            F::Series => &h.series,
            F::Date => &h.date,
            F::Time => &h.start_time,
            F::Venue => &h.venue,
            F::NextDate => &h.next.date,
            F::NextTime => &h.next.time,
            F::NextType => &h.next.kind,
            F::NextVenue => &h.next.venue,
        }
    }

    fn set(self, h: &mut Header, v: String) {
        match self {
            F::Title => h.title = v,
            F::Series => h.series = v,
            F::Date => h.date = v,
            F::Time => h.start_time = v,
            F::Venue => h.venue = v,
            F::NextDate => h.next.date = v,
            F::NextTime => h.next.time = v,
            F::NextType => h.next.kind = v,
            F::NextVenue => h.next.venue = v,
        }
    }
}

/// The header form.
#[component]
pub fn HeaderForm() -> impl IntoView {
    let store = use_store();
    let header = store.header;
    let locked = move || !store.editable.get();
    let field = move |id: &'static str, label: &'static str, f: F| {
        let on_input = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let mut h = store.header.with_untracked(|h| h.fields.clone());
            f.set(&mut h, value);
            store.write("header", |m, txn| {
                m.set_header(txn, &h);
                Ok(())
            });
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="text" autocomplete="off" readonly=locked
                    prop:value=move || header.with(|h: &HeaderView| f.get(&h.fields).to_owned())
                    on:input=on_input />
            </div>
        }
    };
    let on_chair = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let chair = (!v.is_empty()).then_some(PersonId(v));
        store.write("chair", |m, txn| m.set_chair(txn, chair.as_ref()));
    };
    // The lifecycle status is the server's (its ledger): shown, never edited here.
    let trust = crate::meeting_trust::use_trust();
    let status = move || {
        trust
            .ledger
            .with(|l| minutebook_shared::trust::Lifecycle::of(l).label())
    };

    view! {
        <form id="header" class="header-form" aria-labelledby="header-heading"
            on:submit=|ev| ev.prevent_default()>
            <h2 id="header-heading">"Meeting"</h2>
            <div class="grid">
                {field("h-title", "Title", F::Title)}
                {field("h-series", "Series", F::Series)}
                {field("h-date", "Date", F::Date)}
                {field("h-time", "Start time", F::Time)}
                {field("h-venue", "Venue", F::Venue)}
                <div class="field">
                    <label for="h-chair">"Chair"</label>
                    <select id="h-chair" on:change=on_chair disabled=locked>
                        <option value="" prop:selected=move || header.with(|h| h.chair.is_none())>
                            "(none)"
                        </option>
                        <For each=move || store.people.get() key=|p| (p.id.clone(), p.person.clone())
                            children=move |p| {
                                let id = p.id.clone();
                                let selected = move || header.with(|h| h.chair.as_ref() == Some(&id));
                                view! {
                                    <option value=p.id.0.clone() prop:selected=selected>
                                        {person_option(&p.person)}
                                    </option>
                                }
                            } />
                    </select>
                </div>
                <div class="field">
                    <label for="h-status">"Status"</label>
                    <output id="h-status" data-status=status
                        title="Set by signing off and reopening; not editable">
                        {status}
                    </output>
                </div>
            </div>
            <fieldset class="next">
                <legend>"Next meeting"</legend>
                <div class="grid">
                    {field("h-next-date", "Date", F::NextDate)}
                    {field("h-next-time", "Time", F::NextTime)}
                    {field("h-next-type", "Type", F::NextType)}
                    {field("h-next-venue", "Venue", F::NextVenue)}
                </div>
            </fieldset>
            <MinuteTakers />
        </form>
    }
}

/// "Name (SHORT) – capacity" for a person option.
pub fn person_option(p: &minutebook_shared::meeting::Person) -> String {
    let name = if p.name.is_empty() {
        "(unnamed)"
    } else {
        &p.name
    };
    match (p.short.is_empty(), p.capacity.is_empty()) {
        (true, true) => name.to_owned(),
        (false, true) => format!("{name} ({})", p.short),
        (true, false) => format!("{name} – {}", p.capacity),
        (false, false) => format!("{name} ({}) – {}", p.short, p.capacity),
    }
}

/// The minute-takers: one row each (name, role), add and remove.
#[component]
fn MinuteTakers() -> impl IntoView {
    let store = use_store();
    let takers = Memo::new(move |_| store.header.with(|h| h.minute_takers.clone()));
    let locked = move || !store.editable.get();
    let add = move |_| {
        store.write("add minute-taker", |m, txn| {
            Ok(m.add_minute_taker(txn, &MinuteTaker::default()))
        });
        crate::focus::focus_later("#minute-takers li:last-child input.mt-name".to_owned());
    };
    let update = move |id: MinuteTakerId, edit: fn(&mut MinuteTaker, String), v: String| {
        let Some(mut t) = store.header.with_untracked(|h| {
            h.minute_takers
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.taker.clone())
        }) else {
            return;
        };
        edit(&mut t, v);
        store.write("minute-taker", |m, txn| m.update_minute_taker(txn, &id, &t));
    };
    view! {
        <fieldset class="takers">
            <legend>"Minute-takers"</legend>
            <ul id="minute-takers">
                <For each=move || takers.get() key=|t| t.id.clone()
                    children=move |t| {
                        let id = t.id.clone();
                        let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
                        let current = Memo::new(move |_| {
                            takers.with(|all| all.iter().find(|x| x.id == id).map(|x| x.taker.clone()))
                                .unwrap_or_default()
                        });
                        view! {
                            <li data-taker=t.id.0.clone()>
                                <input class="mt-name" type="text" aria-label="Minute-taker's name" readonly=locked
                                    prop:value=move || current.get().name
                                    on:input=move |ev| update(id1.clone(), |t, v| t.name = v, event_target_value(&ev)) />
                                <input class="mt-capacity" type="text" aria-label="Minute-taker's role" readonly=locked
                                    placeholder="Role"
                                    prop:value=move || current.get().capacity
                                    on:input=move |ev| update(id2.clone(), |t, v| t.capacity = v, event_target_value(&ev)) />
                                <button type="button" class="icon" hidden=locked
                                    aria-label=move || format!("Remove minute-taker {}", current.get().name)
                                    on:click=move |_| {
                                        let id = id3.clone();
                                        store.write("remove minute-taker", |m, txn| m.remove_minute_taker(txn, &id));
                                    }>"✕"</button>
                            </li>
                        }
                    } />
            </ul>
            <button type="button" on:click=add hidden=locked>"Add minute-taker"</button>
        </fieldset>
    }
}
