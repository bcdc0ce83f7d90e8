//! The shared minutes editor: one labelled textarea bound to the document's Y.Text.

use std::rc::Rc;

use leptos::html::Textarea;
use leptos::prelude::*;
use yrs::{Doc, TextRef};

use crate::binding::TextareaBinding;
use crate::sync::SyncProvider;

/// The textarea, bound to `text` once it is in the page; remote updates that `provider`
/// applies go through the binding so the local caret stays put.
#[component]
pub fn Editor(doc: Doc, text: TextRef, provider: SyncProvider) -> impl IntoView {
    let textarea = NodeRef::<Textarea>::new();
    let binding: Rc<std::cell::OnceCell<Rc<TextareaBinding>>> = Rc::default();

    textarea.on_load({
        let binding = binding.clone();
        move |el| {
            let bound = Rc::new(TextareaBinding::new(doc, text, el));
            let guard = bound.clone();
            provider.set_remote_guard(Rc::new(move |apply| guard.around_remote(apply)));
            let _ = binding.set(bound);
        }
    });
    let on_input = move |_| {
        if let Some(bound) = binding.get() {
            bound.on_input();
        }
    };

    view! {
        <div class="editor">
            <label for="editor">"Minutes"</label>
            <textarea id="editor" node_ref=textarea on:input=on_input
                spellcheck="true" autocomplete="off"
                placeholder="Type the minutes here; everyone on this page sees them live."></textarea>
        </div>
    }
}
