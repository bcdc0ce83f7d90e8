//! Who is signed in, in the page's bar: `#session-user` (the name), on a meeting page
//! `#my-role[data-role]` (chair, minute-taker, attendee, observer, admin), and
//! `button#sign-out` ("Sign out", `DELETE /api/session`).

use leptos::prelude::*;

use crate::meeting_trust::Trust;
use crate::session::{sign_out, use_session};

/// The session part of the bar.
#[component]
pub fn SessionBar() -> impl IntoView {
    let session = use_session();
    let trust = use_context::<Trust>();
    let error = RwSignal::new(None::<String>);
    let name = move || match trust {
        Some(t) => t
            .access
            .with(|a| a.as_ref().map(|a| a.name.clone()))
            .unwrap_or_default(),
        None => session
            .map(|s| s.info.with(|i| i.name.clone()))
            .unwrap_or_default(),
    };
    let role = trust.map(|t| {
        let label = move || {
            t.access
                .with(|a| a.as_ref().map(|a| a.label()).unwrap_or_default())
        };
        let attr = move || {
            t.access
                .with(|a| a.as_ref().map(|a| a.role_attr()).unwrap_or(""))
        };
        view! {
            <span id="my-role" class="role-chip" data-role=attr title="Your role in this meeting">
                {label}
            </span>
        }
    });
    let admin = move || trust.is_none() && session.is_some_and(|s| s.info.with(|i| i.admin));
    view! {
        <span class="session">
            <span class="sr-only">"Signed in as "</span>
            <span id="session-user">{name}</span>
            {role}
            <Show when=admin>
                <span id="my-role" class="role-chip" data-role="admin">"Administrator"</span>
            </Show>
            <button type="button" id="sign-out"
                on:click=move |_| sign_out(move |e| { error.try_set(Some(e)); })>"Sign out"</button>
            <Show when=move || error.with(Option::is_some)>
                <span role="alert" class="error">{move || error.get().unwrap_or_default()}</span>
            </Show>
        </span>
    }
}
