//! The organisation's branding, for administrators (`section#branding` on the meeting
//! list): its name, the footer text of every page and its logo with what the logo shows
//! (alt text), which the PDF and Word documents of every version signed from then on use,
//! and the published pages name (`GET`/`PUT /api/branding`, `PUT`/`DELETE
//! /api/branding/logo`). One form of labelled controls, usable by keyboard alone;
//! `#branding-status` (role=status) says what was saved, `#branding-error` (role=alert)
//! why not.

use leptos::html::{Input, Textarea};
use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::branding::{
    Branding, BrandingTexts, MAX_FOOTER_CHARS, MAX_LOGO_ALT_CHARS, MAX_ORGANISATION_CHARS,
};

use crate::trust_api;

/// What the current logo is, in words.
fn logo_words(b: &Branding) -> String {
    match &b.logo {
        None => "No logo.".to_owned(),
        Some(l) => format!(
            "Current logo: {} ({} KB){}.",
            l.kind.to_uppercase(),
            l.bytes.div_ceil(1024),
            if b.source == "flags" {
                ", from the server's settings"
            } else {
                ""
            }
        ),
    }
}

/// `section#branding`.
#[component]
pub fn BrandingForm() -> impl IntoView {
    let loaded = RwSignal::new(None::<Branding>);
    let status = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let (organisation, alt, logo, remove) = (
        NodeRef::<Input>::new(),
        NodeRef::<Input>::new(),
        NodeRef::<Input>::new(),
        NodeRef::<Input>::new(),
    );
    let footer = NodeRef::<Textarea>::new();
    spawn_local(async move {
        match trust_api::branding().await {
            Ok(b) => {
                loaded.try_set(Some(b));
            }
            Err(e) => {
                error.try_set(Some(format!("Cannot read the branding: {e}")));
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = |n: NodeRef<Input>| n.get_untracked().map(|e| e.value()).unwrap_or_default();
        let texts = BrandingTexts {
            organisation: value(organisation),
            footer: footer
                .get_untracked()
                .map(|e| e.value())
                .unwrap_or_default(),
            logo_alt: value(alt),
        };
        let file = logo
            .get_untracked()
            .and_then(|e| e.files())
            .and_then(|f| f.get(0));
        let removing = remove.get_untracked().is_some_and(|e| e.checked());
        busy.set(true);
        error.set(None);
        status.set(String::new());
        spawn_local(async move {
            let mut answer = trust_api::set_branding(&texts).await;
            if answer.is_ok() {
                if removing {
                    answer = trust_api::remove_logo().await;
                } else if let Some(file) = &file {
                    answer = trust_api::set_logo(file).await;
                }
            }
            match answer {
                Ok(b) => {
                    // The form is drawn afresh: no file picked, nothing to remove.
                    loaded.try_set(Some(b));
                    crate::focus::focus_later("#save-branding".to_owned());
                    status.try_set(
                        "Saved. Minutes signed from now on carry this branding.".to_owned(),
                    );
                }
                Err(e) => {
                    error.try_set(Some(format!("Not saved: {e}")));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <section id="branding" class="panel" aria-labelledby="branding-heading">
            <h2 id="branding-heading">"Organisation branding"</h2>
            <p class="hint">"The PDF and Word documents of minutes signed from now on show it; the published pages name the organisation."</p>
            {move || loaded.get().map(|b| view! {
            <form id="branding-form" on:submit=submit>
                <label for="brand-organisation">"Organisation name"</label>
                <input id="brand-organisation" node_ref=organisation
                    maxlength=MAX_ORGANISATION_CHARS.to_string() value=b.organisation.clone() />
                <label for="brand-footer">"Footer text (on every page)"</label>
                <textarea id="brand-footer" node_ref=footer rows="2"
                    maxlength=MAX_FOOTER_CHARS.to_string() prop:value=b.footer.clone()></textarea>
                <p id="brand-logo-current">{logo_words(&b)}</p>
                <label for="brand-logo">"New logo (PNG, or SVG: kept to shapes only; at most 512 KB)"</label>
                <input id="brand-logo" type="file" node_ref=logo
                    accept=".png,.svg,image/png,image/svg+xml" />
                <label for="brand-logo-alt">"What the logo shows (alt text, for screen readers)"</label>
                <input id="brand-logo-alt" node_ref=alt
                    maxlength=MAX_LOGO_ALT_CHARS.to_string() value=b.logo_alt.clone() />
                <label class="check">
                    <input id="brand-logo-remove" type="checkbox" node_ref=remove />
                    " Remove the logo"
                </label>
                <button type="submit" id="save-branding" class="primary"
                    disabled=move || busy.get()>"Save branding"</button>
            </form>
            })}
            <p id="branding-status" role="status">{move || status.get()}</p>
            <Show when=move || error.with(Option::is_some)>
                <p id="branding-error" role="alert" class="error">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </section>
    }
}
