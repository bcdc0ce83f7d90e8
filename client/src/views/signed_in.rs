//! A page for the signed-in user: every page but setup and invitations needs a session
//! (`GET /api/session`), which is then provided as context ([`crate::session`]). Without
//! one the signed-out page explains how to get in; a meeting the session has no grant for
//! says so (`#no-access`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::trust::SessionInfo;

use crate::access::MeetingAccess;
use crate::route::Route;
use crate::session::Session;
use crate::views::doc_page::DocPage;
use crate::views::meeting::MeetingPage;
use crate::views::meeting_list::MeetingList;
use crate::views::session_bar::SessionBar;
use crate::views::signed_out::SignedOut;

/// Where signing in stands.
#[derive(Clone, Debug, PartialEq)]
enum Boot {
    Loading,
    Ready,
    SignedOut,
    Failed(String),
}

/// `route`'s page for the signed-in user: `known` is the session when the caller already
/// has it (a just-redeemed invitation), else it is fetched.
#[component]
pub fn SignedIn(route: Route, known: Option<SessionInfo>) -> impl IntoView {
    let boot = RwSignal::new(if known.is_some() {
        Boot::Ready
    } else {
        Boot::Loading
    });
    let session = Session::provide(known.unwrap_or_default());
    let load = move || {
        boot.set(Boot::Loading);
        spawn_local(async move {
            boot.try_set(match session.refresh().await {
                Ok(_) => Boot::Ready,
                Err(e) if e.status == 401 => Boot::SignedOut,
                Err(e) => Boot::Failed(e.message),
            });
        });
    };
    if boot.get_untracked() == Boot::Loading {
        load();
    }
    let route = StoredValue::new(route);
    move || match boot.get() {
        Boot::Loading => view! {
            <header class="bar"><h1>"Minutebook"</h1></header>
            <main><p class="hint" role="status">"Signing in…"</p></main>
        }
        .into_any(),
        Boot::SignedOut => view! { <SignedOut /> }.into_any(),
        Boot::Failed(e) => view! {
            <header class="bar"><h1>"Minutebook"</h1></header>
            <main>
                <p role="alert" id="session-error">"Cannot load your session: " {e}</p>
                <button type="button" on:click=move |_| load()>"Try again"</button>
            </main>
        }
        .into_any(),
        Boot::Ready => match route.get_value() {
            Route::List => view! { <MeetingList /> }.into_any(),
            Route::Meeting(name) => {
                let allowed = session
                    .info
                    .with_untracked(|s| MeetingAccess::of(s, &name).is_some());
                if allowed {
                    view! { <MeetingPage name=name /> }.into_any()
                } else {
                    view! { <NoAccess name=name /> }.into_any()
                }
            }
            Route::Doc(name) => view! { <DocPage name=name /> }.into_any(),
            Route::BadName(name) => view! { <BadName name=name /> }.into_any(),
            // Handled by `App`; here only if a token route is passed on by mistake.
            Route::Setup(_) | Route::Invite(_) | Route::DeviceSignIn(_) => {
                view! { <MeetingList /> }.into_any()
            }
        },
    }
}

/// Shown instead of a meeting the session has no grant for (`#no-access`).
#[component]
fn NoAccess(name: String) -> impl IntoView {
    view! {
        <header class="bar"><h1>"Minutebook"</h1><SessionBar /></header>
        <main class="list-page">
            <p role="alert" id="no-access">
                "You have no access to the meeting “" {name} "”: open your personal "
                "invitation link for it, or ask an administrator for one. "
                <a href="/">"Your meetings"</a>
            </p>
        </main>
    }
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
