//! The free-text page (`?doc=NAME`): one textarea bound to the document's `text` root,
//! with the save-state indicator.

use leptos::prelude::*;
use minutebook_shared::schema;
use yrs::{Doc, OffsetKind, Options};

use crate::sync::{SaveState, SyncProvider};
use crate::views::editor::Editor;
use crate::views::status::Status;

/// The whole page for the free-text document `name` (a valid document name).
#[component]
pub fn DocPage(name: String) -> impl IntoView {
    // UTF-16 offsets: Y.Text indices are then the textarea's indices.
    let doc = Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    });
    let text = doc.get_or_insert_text(schema::TEXT);
    let state = RwSignal::new(SaveState::Connecting);
    let writer = crate::session::writer(&name);
    let provider = SyncProvider::start(doc.clone(), crate::socket_url(&name), &writer, move |s| {
        state.set(s)
    });
    // The provider lives as long as the page does.
    let _keep = StoredValue::new_local(provider.clone());
    crate::unload::warn_before_unload(provider.clone());

    view! {
        <header class="bar">
            <h1>"Minutebook"</h1>
            <p class="doc">"Document: " <strong id="doc-name">{name}</strong></p>
            <Status state=state.into() />
        </header>
        <main>
            <Editor doc=doc text=text provider=provider />
        </main>
    }
}
