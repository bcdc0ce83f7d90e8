//! The root view: picks the document from the URL, creates its yrs doc and sync
//! provider, and lays out the page.

use leptos::either::Either;
use leptos::prelude::*;
use minutebook_shared::protocol::valid_doc_name;
use minutebook_shared::schema;
use yrs::{Doc, OffsetKind, Options};

use crate::sync::{SaveState, SyncProvider};
use crate::views::editor::Editor;
use crate::views::status::Status;

/// The document opened when the URL names none.
const DEFAULT_DOC: &str = "welcome";

/// The whole page for the document named by `?doc=` (default `welcome`).
#[component]
pub fn App() -> impl IntoView {
    let name = doc_name();
    if !valid_doc_name(&name) {
        return Either::Right(view! { <BadName name=name /> });
    }
    // UTF-16 offsets: Y.Text indices are then the textarea's indices.
    let doc = Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    });
    let text = doc.get_or_insert_text(schema::TEXT);
    let state = RwSignal::new(SaveState::Connecting);
    let provider = SyncProvider::start(doc.clone(), socket_url(&name), move |s| state.set(s));
    // The provider lives as long as the page does.
    let _keep = StoredValue::new_local(provider.clone());
    // Offline edits live only in this page: ask before it closes with any unsaved.
    let _unload = window_event_listener(leptos::ev::beforeunload, {
        let provider = provider.clone();
        move |ev| {
            if provider.has_unsaved_changes() {
                ev.prevent_default();
                ev.set_return_value("Some changes are not saved yet.");
            }
        }
    });

    Either::Left(view! {
        <header class="bar">
            <h1>"Minutebook"</h1>
            <p class="doc">"Document: " <strong id="doc-name">{name}</strong></p>
            <Status state=state.into() />
        </header>
        <main>
            <Editor doc=doc text=text provider=provider />
        </main>
    })
}

/// Shown instead of the editor when the URL names a document the server would refuse.
#[component]
fn BadName(name: String) -> impl IntoView {
    view! {
        <header class="bar"><h1>"Minutebook"</h1></header>
        <main>
            <p role="alert">
                "“" {name} "” is not a document name: names are 1–128 characters of "
                "A–Z, a–z, 0–9, “.”, “_” and “-”. "
                <a href=format!("?doc={DEFAULT_DOC}")>"Open “" {DEFAULT_DOC} "”"</a>
            </p>
        </main>
    }
}

/// The `doc` query parameter, or [`DEFAULT_DOC`].
fn doc_name() -> String {
    let search = window().location().search().unwrap_or_default();
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|params| params.get("doc"))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_DOC.to_owned())
}

/// `ws(s)://<host>/ws/<name>` on the server that served the page.
fn socket_url(name: &str) -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    let name = String::from(js_sys::encode_uri_component(name));
    format!("{scheme}://{host}/ws/{name}")
}
