//! The setup page (`/?setup=TOKEN`, the one-time link the server prints at its first
//! start): `form#setup` with "Your name" (`input#setup-name`) and "Create administrator"
//! (`button#create-admin`) → `POST /api/setup`, then the meeting list. Failures show in
//! `#setup-error` (role=alert).

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::trust_api;

/// The setup page for `token`.
#[component]
pub fn SetupPage(token: String) -> impl IntoView {
    let name = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().map(|e| e.value()).unwrap_or_default();
        let n = n.trim().to_owned();
        if n.is_empty() {
            error.set(Some("Type your name first.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        let t = token.get_value();
        spawn_local(async move {
            match trust_api::setup(&t, &n).await {
                Ok(_) => crate::route::go("/"),
                Err(e) => {
                    let hint = match e.status {
                        401 | 403 | 404 | 409 | 410 => {
                            " This setup link was already used or is not valid; \
                             an administrator already exists."
                        }
                        _ => "",
                    };
                    error.set(Some(format!("Cannot create the administrator: {e}.{hint}")));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <header class="bar"><h1>"Minutebook"</h1><p class="doc">"Setup"</p></header>
        <main class="list-page">
            <form id="setup" class="panel stack" on:submit=submit aria-labelledby="setup-heading">
                <h2 id="setup-heading">"Create the administrator"</h2>
                <p class="hint">
                    "This one-time link makes you Minutebook's administrator: you create "
                    "meetings and invite the people who minute, attend or observe them."
                </p>
                <label for="setup-name">"Your name"</label>
                <input id="setup-name" type="text" node_ref=name required autocomplete="name"
                    maxlength="64" />
                <button type="submit" id="create-admin" class="primary"
                    disabled=move || busy.get()>"Create administrator"</button>
                <Show when=move || error.with(Option::is_some)>
                    <p role="alert" id="setup-error" class="error">
                        {move || error.get().unwrap_or_default()}
                    </p>
                </Show>
            </form>
        </main>
    }
}
