//! The meeting list (`/`): every meeting the user may open (the server filters the list
//! by the session's grants) with its series, date, status and the user's role in it; for
//! administrators only, a form to create a meeting (empty, or from a previous meeting of
//! the series), one to import minutes (legacy text or canonical Markdown) and the
//! organisation's branding ([`crate::views::branding`]).

use leptos::html::{Input, Select};
use leptos::prelude::*;
use leptos::task::spawn_local;

use minutebook_shared::api::MeetingSummary;

use crate::api;
use crate::session::use_session;
use crate::views::branding::BrandingForm;
use crate::views::session_bar::SessionBar;

fn go_to(name: &str) {
    let href = format!(
        "?meeting={}",
        String::from(js_sys::encode_uri_component(name))
    );
    if let Some(w) = web_sys::window() {
        if let Err(e) = w.location().set_href(&href) {
            crate::warn(&format!("cannot open {href}: {e:?}"));
        }
    }
}

/// The list page.
#[component]
pub fn MeetingList() -> impl IntoView {
    let session = use_session();
    let admin = move || session.is_some_and(|s| s.info.with(|i| i.admin));
    let role_in = move |name: &str| {
        session
            .and_then(|s| s.info.with(|i| i.grant(name).map(|g| g.role.label())))
            .unwrap_or("")
    };
    let meetings = RwSignal::new(None::<Result<Vec<MeetingSummary>, String>>);
    spawn_local(async move { meetings.set(Some(api::list().await)) });
    let all = move || {
        meetings.with(|m| match m {
            Some(Ok(list)) => list.clone(),
            _ => Vec::new(),
        })
    };

    view! {
        <header class="bar">
            <h1>"Minutebook"</h1>
            <p class="doc">"Meetings"</p>
            <SessionBar />
        </header>
        <main class="list-page">
            <section aria-labelledby="meetings-heading">
                <h2 id="meetings-heading">"Meetings"</h2>
                {move || meetings.with(|m| match m {
                    None => view! { <p class="hint">"Loading…"</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <p role="alert">"Cannot list the meetings: " {e.clone()}</p>
                    }.into_any(),
                    Some(Ok(list)) if list.is_empty() && admin() => view! {
                        <p class="hint">"No meetings yet: create or import one below."</p>
                    }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p class="hint">
                            "You have no meetings yet: open the invitation link you were sent "
                            "for a meeting, or ask an administrator for one."
                        </p>
                    }.into_any(),
                    Some(Ok(_)) => ().into_any(),
                })}
                <ul id="meetings">
                    <For each=all key=|m| m.clone() children=move |m| view! {
                        <li data-meeting=m.name.clone()>
                            <a href=format!("?meeting={}", m.name)>
                                {if m.title.trim().is_empty() { m.name.clone() } else { m.title.clone() }}
                            </a>
                            <span class="series">{m.series.clone()}</span>
                            <span class="date">{m.date.clone()}</span>
                            <span class="m-status" data-status=m.status.clone()>
                                {if m.lifecycle.is_empty() { m.status.clone() } else { m.lifecycle.clone() }}
                            </span>
                            <span class="m-role">{role_in(&m.name)}</span>
                        </li>
                    } />
                </ul>
            </section>
            <Show when=admin>
                <NewMeeting meetings=Signal::derive(all) />
                <ImportMeeting />
                <BrandingForm />
            </Show>
        </main>
    }
}

/// `form#new-meeting`.
#[component]
fn NewMeeting(meetings: Signal<Vec<MeetingSummary>>) -> impl IntoView {
    let title = NodeRef::<Input>::new();
    let from = NodeRef::<Select>::new();
    let series = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Meetings of the typed series first, the rest after.
    let options = move || {
        let s = series.get();
        let mut list = meetings.get();
        list.sort_by_key(|m| (m.series.trim() != s.trim()) as u8);
        list
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = title.get_untracked().map(|e| e.value()).unwrap_or_default();
        let f = from
            .get_untracked()
            .map(|e| e.value())
            .filter(|v| !v.is_empty());
        let s = series.get_untracked();
        busy.set(true);
        spawn_local(async move {
            match api::create(t.trim(), s.trim(), f.as_deref()).await {
                Ok(name) => go_to(&name),
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <form id="new-meeting" class="panel" on:submit=submit aria-labelledby="new-heading">
            <h2 id="new-heading">"New meeting"</h2>
            <label for="new-title">"Title"</label>
            <input id="new-title" type="text" node_ref=title required autocomplete="off" />
            <label for="new-series">"Series"</label>
            <input id="new-series" type="text" autocomplete="off"
                placeholder="e.g. Monthly Assurance Meeting"
                on:input=move |ev| series.set(event_target_value(&ev)) />
            <label for="new-from">"Start from"</label>
            <select id="new-from" node_ref=from>
                <option value="">"An empty meeting"</option>
                <For each=options key=|m| m.name.clone() children=|m| view! {
                    <option value=m.name.clone()>
                        {format!("{} ({}{}{})",
                            if m.title.is_empty() { &m.name } else { &m.title },
                            m.series, if m.date.is_empty() { "" } else { ", " }, m.date)}
                    </option>
                } />
            </select>
            <button type="submit" class="primary" disabled=move || busy.get()>"Create meeting"</button>
            <Show when=move || error.with(Option::is_some)>
                <p role="alert" class="error">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </form>
    }
}

/// `form#import-meeting`.
#[component]
fn ImportMeeting() -> impl IntoView {
    let file = NodeRef::<Input>::new();
    let format = NodeRef::<Select>::new();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let picked = file
            .get_untracked()
            .and_then(|e| e.files())
            .and_then(|f| f.get(0));
        let Some(picked) = picked else {
            error.set(Some("Choose a file to import.".to_owned()));
            return;
        };
        let fmt = format
            .get_untracked()
            .map(|e| e.value())
            .unwrap_or_else(|| "legacy".to_owned());
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let outcome = match api::read_file(&picked).await {
                Ok(text) => api::import(&fmt, text).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(name) => go_to(&name),
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <form id="import-meeting" class="panel" on:submit=submit aria-labelledby="import-heading">
            <h2 id="import-heading">"Import minutes"</h2>
            <label for="import-file">"File"</label>
            <input id="import-file" type="file" node_ref=file accept=".txt,.md,text/plain,text/markdown" />
            <label for="import-format">"Format"</label>
            <select id="import-format" node_ref=format>
                <option value="legacy">"Published minutes (text)"</option>
                <option value="markdown">"Minutebook Markdown"</option>
            </select>
            <button type="submit" class="primary" disabled=move || busy.get()>"Import"</button>
            <Show when=move || error.with(Option::is_some)>
                <p role="alert" class="error">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </form>
    }
}
