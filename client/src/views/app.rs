//! The root view: picks the page from the URL (`client/DOM.md`, "Routes").

use leptos::prelude::*;

use crate::route::{self, Route};
use crate::sync::SyncProvider;
use crate::views::doc_page::DocPage;
use crate::views::meeting::MeetingPage;
use crate::views::meeting_list::MeetingList;

/// The page the URL names: meeting list, meeting editor, or the M1 free-text editor.
#[component]
pub fn App() -> impl IntoView {
    match route::current() {
        Route::List => view! { <MeetingList /> }.into_any(),
        Route::Meeting(name) => view! { <MeetingPage name=name /> }.into_any(),
        Route::Doc(name) => view! { <DocPage name=name /> }.into_any(),
        Route::BadName(name) => view! { <BadName name=name /> }.into_any(),
    }
}

/// Asks before the page closes while `provider` has unsaved changes (offline edits live
/// only in this page).
pub fn warn_before_unload(provider: SyncProvider) {
    let _listener = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if provider.has_unsaved_changes() {
            ev.prevent_default();
            ev.set_return_value("Some changes are not saved yet.");
        }
    });
}

/// Shown instead of a page when the URL names a document the server would refuse.
#[component]
fn BadName(name: String) -> impl IntoView {
    view! {
        <header class="bar"><h1>"Minutebook"</h1></header>
        <main>
            <p role="alert">
                "“" {name} "” is not a document name: names are 1–128 characters of "
                "A–Z, a–z, 0–9, “.”, “_” and “-”. "
                <a href="/">"Open the meeting list"</a>
            </p>
        </main>
    }
}
