//! The meeting page (`?meeting=NAME`): a header bar in one row (save state, meeting
//! status, reading/editing switch, undo and redo, the account menu with who is signed in
//! and their role, who is here as initials, the export menu), the trust notices
//! (read-only banner, refused writes, lost access), the main column (open corrections for
//! those who decide them, the user's own statements, then either the reading view or the
//! header form and the items with their blocks) and the side column as tabs
//! ([`crate::views::side_tabs`]: agenda, people and invitations, actions and the series'
//! action log, sign-off and versions, audit log).
//!
//! What the user may do comes from the session's grant and the ledger
//! ([`crate::meeting_trust`]): attendees and observers, and everyone once the minutes are
//! signed off, get a read-only page: the reading view ([`ReadingView`]). Those who may
//! edit start in the editor and switch with [`ModeSwitch`].

use leptos::prelude::*;

use crate::access::MeetingAccess;
use crate::meeting_trust::Trust;
use crate::presence::Presence;
use crate::session::use_session;
use crate::store::Store;
use crate::sync::SaveState;
use crate::unload::warn_before_unload;
use crate::views::action_form::ActionForm;
use crate::views::action_log::ActionLog;
use crate::views::actions_panel::ActionsPanel;
use crate::views::announcer::Announcer;
use crate::views::audit_log::AuditLog;
use crate::views::header_form::HeaderForm;
use crate::views::history::{install_history_keys, HistoryButtons, UndoNotice};
use crate::views::invites::Invites;
use crate::views::item::Items;
use crate::views::my_statements::MyStatements;
use crate::views::open_corrections::{OpenCorrections, ReadingChoice};
use crate::views::outline::Outline;
use crate::views::presence::PresenceList;
use crate::views::previous_minutes::PreviousMinutesPanel;
use crate::views::publication::PublicationPanel;
use crate::views::reading::{ModeSwitch, ReadingView};
use crate::views::register::Register;
use crate::views::session_bar::SessionBar;
use crate::views::side_tabs::{SidePanel, SideTab, SideTabList, SideTabs};
use crate::views::sign_off::SignOff;
use crate::views::status::Status;
use crate::views::trust_banner::TrustBanner;
use crate::views::versions::Versions;

/// The editor for meeting document `name` (a valid document name).
#[component]
pub fn MeetingPage(name: String) -> impl IntoView {
    let state = RwSignal::new(SaveState::Connecting);
    let session =
        use_session().unwrap_or_else(|| crate::session::Session::provide(Default::default()));
    // Restricted access (or an administrator): the page syncs Part II as well.
    let restricted = session
        .info
        .with_untracked(|s| MeetingAccess::of(s, &name))
        .is_some_and(|a| a.restricted);
    let state2 = RwSignal::new(SaveState::Connecting);
    let store = Store::open(
        &name,
        move |s| state.set(s),
        restricted.then(|| Box::new(move |s| state2.set(s)) as Box<dyn Fn(SaveState)>),
    );
    provide_context(store);
    let trust = Trust::start(&name, session, store);
    if let Some(provider) = store.provider() {
        let default_name = trust.access_untracked().map(|a| a.name);
        Presence::start(&provider, default_name.as_deref());
        warn_before_unload(provider);
    }
    if let Some(provider) = store.part2_provider() {
        warn_before_unload(provider);
    }
    install_history_keys(store);
    // Reading unless this page may edit and its user chose the editor (the default then).
    let prefer_reading = RwSignal::new(false);
    let tabs = SideTabs::new();
    provide_context(ReadingChoice(prefer_reading));
    let reading = Memo::new(move |_| !store.editable.get() || prefer_reading.get());
    let title = Memo::new(move |_| store.header.with(|h| h.fields.title.clone()));
    // The lifecycle status comes from the server's ledger only (Draft, Signed (unapproved),
    // Approved at …), never from the minutes' editable header.
    let status = Memo::new(move |_| {
        trust
            .ledger
            .with(|l| minutebook_shared::trust::Lifecycle::of(l).label())
    });
    // While signed off, the export links give the signed version (verifiable).
    let signed_version = Memo::new(move |_| {
        trust.ledger.with(|l| {
            l.signed()
                .then(|| l.versions.last().map(|v| v.version))
                .flatten()
        })
    });
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
    // The window's title names the meeting (tabs, history, screen readers).
    {
        let shown_title = shown_title.clone();
        Effect::new(move |_| {
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                document.set_title(&format!("{} — Minutebook", shown_title()));
            }
        });
    }
    let export = {
        let name = name.clone();
        move |ext: &'static str| {
            let name = name.clone();
            move || match signed_version.get() {
                Some(n) => crate::trust_api::version_export_url(&name, n, ext),
                None => format!("/api/meetings/{name}/export.{ext}"),
            }
        }
    };
    let export_kind = move || {
        if signed_version.get().is_some() {
            "signed"
        } else {
            "draft"
        }
    };

    view! {
        <a class="skip-link" href="#minutes">"Skip to the minutes"</a>
        <header class="bar meeting-bar">
            <h1><a href="/" title="All meetings">"Minutebook"</a></h1>
            <p class="doc"><strong id="doc-name">{shown_title}</strong></p>
            <p class="meeting-status" data-status=move || status.get()>
                {move || status.get()}
            </p>
            <Status state=state.into() part2=state2.into() with_part2=restricted />
            <ModeSwitch prefer_reading=prefer_reading />
            <HistoryButtons />
            <SessionBar />
            <PresenceList />
            <details id="export-menu" class="menu">
                <summary>"Export"</summary>
                <nav class="exports menu-body" aria-label="Export">
                    <a id="export-md" href=export("md") data-kind=export_kind download="">
                        "Markdown" {move || (export_kind() == "draft").then_some(" (draft)")}
                    </a>
                    <a id="export-html" href=export("html") data-kind=export_kind target="_blank">
                        "HTML" {move || (export_kind() == "draft").then_some(" (draft)")}
                    </a>
                </nav>
            </details>
        </header>
        <TrustBanner />
        {move || store.reloading.get().map(|notice| view! {
            <p id="reload-notice" class="notice" role="alert">{notice}</p>
        })}
        {move || store.reloaded.get().map(|cause| view! {
            <p id="reloaded-notice" class="notice" role="alert">
                {format!("{cause}. The minutes were reloaded as saved.")} " "
                <button type="button" id="reloaded-dismiss"
                    on:click=move |_| store.reloaded.set(None)>"Dismiss"</button>
            </p>
        })}
        <div class="layout" class:read-only=move || !store.editable.get()
            class:reading=move || reading.get()>
            <main class="items-col" id="minutes" tabindex="-1">
                <OpenCorrections />
                <MyStatements />
                {move || if reading.get() {
                    view! { <ReadingView /> }.into_any()
                } else {
                    view! { <HeaderForm /> <Items /> }.into_any()
                }}
            </main>
            <aside class="side-col" aria-label="Agenda, people, actions, versions and activity">
                <SideTabList tabs=tabs />
                <SidePanel tabs=tabs tab=SideTab::Agenda><Outline /></SidePanel>
                <SidePanel tabs=tabs tab=SideTab::People><Register /><Invites /></SidePanel>
                <SidePanel tabs=tabs tab=SideTab::Actions><ActionsPanel /><ActionLog /></SidePanel>
                <SidePanel tabs=tabs tab=SideTab::Versions><SignOff /><PreviousMinutesPanel tabs=tabs /><Versions /><PublicationPanel tabs=tabs /></SidePanel>
                <SidePanel tabs=tabs tab=SideTab::Activity><AuditLog /></SidePanel>
            </aside>
        </div>
        <ActionForm />
        <UndoNotice />
        <Announcer />
    }
}
