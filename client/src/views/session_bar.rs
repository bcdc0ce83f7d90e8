//! Who is signed in, in the page's bar: `#session-user` (the name), on a meeting page
//! `#my-role[data-role]` (chair, minute-taker, attendee, observer, admin),
//! the two making the summary of the `details#account-menu` menu, which holds
//! `button#device-link` ("Sign in on
//! another device": `POST /api/session/device-link`,
//! then `input#device-link-url` (read-only, selected) holds the single-use link and
//! `#device-link-expiry` says until when it works), and `button#sign-out` ("Sign out",
//! `DELETE /api/session`).

use leptos::prelude::*;

use leptos::task::spawn_local;

use crate::access::local_time;
use crate::meeting_trust::Trust;
use crate::session::{sign_out, use_session};
use crate::trust_api::{self, DeviceLink};

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
    let device = RwSignal::new(None::<DeviceLink>);
    let make_device_link = move |_| {
        spawn_local(async move {
            match trust_api::device_link().await {
                Ok(link) => {
                    error.try_set(None);
                    device.try_set(Some(link));
                }
                Err(e) => {
                    error.try_set(Some(format!("Cannot make a device link: {e}")));
                }
            }
        });
    };
    view! {
        <span class="session">
            <details id="account-menu" class="menu">
            <summary title="Your account">
                <span class="sr-only">"Signed in as "</span>
                <span id="session-user">{name}</span>
                " "
                {role}
                <Show when=admin>
                    <span id="my-role" class="role-chip" data-role="admin">"Administrator"</span>
                </Show>
            </summary>
            <div class="menu-body">
            <button type="button" id="device-link" on:click=make_device_link
                title="A link that signs you in on another of your devices (once, for 10 minutes)">
                "Sign in on another device"
            </button>
            {move || device.get().map(|d| view! {
                <span class="device-link">
                    <label for="device-link-url" class="sr-only">"Device sign-in link"</label>
                    <input id="device-link-url" type="text" readonly prop:value=d.link.clone()
                        on:focus=|ev| {
                            use wasm_bindgen::JsCast;
                            if let Some(input) = ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            {
                                input.select();
                            }
                        } />
                    <span id="device-link-expiry" class="hint" role="status">
                        "Open it on your other device before " {local_time(d.expires_at)}
                        "; it works once."
                    </span>
                </span>
            })}
            <button type="button" id="sign-out"
                on:click=move |_| sign_out(move |e| { error.try_set(Some(e)); })>"Sign out"</button>
            </div>
            </details>
            <Show when=move || error.with(Option::is_some)>
                <span role="alert" class="error">{move || error.get().unwrap_or_default()}</span>
            </Show>
        </span>
    }
}
