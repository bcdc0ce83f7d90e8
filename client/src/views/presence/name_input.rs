//! The display-name field: `input#display-name` labelled "Your name". Every edit is
//! announced to the others (throttled by the provider) and remembered in `localStorage`;
//! a blank field keeps the previous name.

use leptos::prelude::*;

use crate::presence::use_presence;

/// `label[for=display-name]` + `input#display-name`, starting with the presence name.
#[component]
pub fn DisplayNameInput() -> impl IntoView {
    let presence = use_presence();
    // Uncontrolled after the first render: writing the trimmed name back while the user
    // types would swallow the space between two words.
    let initial = presence.map(|p| p.name_untracked()).unwrap_or_default();
    let on_input = move |ev: leptos::ev::Event| {
        if let Some(p) = presence {
            p.set_name(&event_target_value(&ev));
        }
    };
    view! {
        <span class="display-name">
            <label for="display-name">"Your name"</label>
            " "
            <input id="display-name" type="text" autocomplete="name" maxlength="64"
                value=initial on:input=on_input />
        </span>
    }
}
