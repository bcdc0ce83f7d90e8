//! The meeting editor page (`?meeting=NAME`): a sticky header bar (save state, meeting
//! status, display name, who is here, export links), the main column (header form and
//! the items with their blocks) and the side column (outline, register, actions).

use leptos::prelude::*;

use crate::presence::Presence;
use crate::store::Store;
use crate::sync::SaveState;
use crate::views::action_form::ActionForm;
use crate::views::actions_panel::ActionsPanel;
use crate::views::app::warn_before_unload;
use crate::views::header_form::HeaderForm;
use crate::views::item::Items;
use crate::views::outline::Outline;
use crate::views::presence::{DisplayNameInput, PresenceList};
use crate::views::register::Register;
use crate::views::status::Status;

/// The editor for meeting document `name` (a valid document name).
#[component]
pub fn MeetingPage(name: String) -> impl IntoView {
    let state = RwSignal::new(SaveState::Connecting);
    let store = Store::open(&name, move |s| state.set(s));
    provide_context(store);
    if let Some(provider) = store.provider() {
        Presence::start(&provider);
        warn_before_unload(provider);
    }
    let title = Memo::new(move |_| store.header.with(|h| h.fields.title.clone()));
    let status = Memo::new(move |_| store.header.with(|h| h.fields.status));
    let shown_title = {
        let name = name.clone();
        move || {
            let t = title.get();
            if t.trim().is_empty() {
                name.clone()
            } else {
                t
            }
        }
    };
    let export = |ext: &str| format!("/api/meetings/{name}/export.{ext}");

    view! {
        <header class="bar meeting-bar">
            <h1><a href="/" title="All meetings">"Minutebook"</a></h1>
            <p class="doc"><strong id="doc-name">{shown_title}</strong></p>
            <p class="meeting-status" data-status=move || status.get().as_str()>
                {move || status.get().as_str()}
            </p>
            <Status state=state.into() />
            <DisplayNameInput />
            <PresenceList />
            <nav class="exports" aria-label="Export">
                <a id="export-md" href=export("md") download="">"Markdown"</a>
                <a id="export-html" href=export("html") target="_blank">"HTML"</a>
            </nav>
        </header>
        <div class="layout">
            <main class="items-col">
                <HeaderForm />
                <Items />
            </main>
            <aside class="side-col" aria-label="Agenda, register and actions">
                <Outline />
                <Register />
                <ActionsPanel />
            </aside>
        </div>
        <ActionForm />
    }
}
