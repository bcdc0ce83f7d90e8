//! Moving the keyboard focus to an element that is about to be rendered (a new block, a
//! moved outline entry, the block an action was flagged from).

use std::time::Duration;

use wasm_bindgen::JsCast;

/// How many times [`focus_later`] looks for its element before giving up.
const ATTEMPTS: u32 = 30;

/// Focuses the first element matching `selector` once it exists (polled a few times over
/// about half a second, since renders run after the change that causes them).
pub fn focus_later(selector: String) {
    attempt(selector, ATTEMPTS);
}

fn attempt(selector: String, left: u32) {
    leptos::prelude::set_timeout(
        move || {
            let el = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(&selector).ok().flatten())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            match el {
                Some(el) => {
                    if let Err(e) = el.focus() {
                        crate::warn(&format!("cannot focus {selector}: {e:?}"));
                    }
                }
                None if left > 0 => attempt(selector, left - 1),
                None => {}
            }
        },
        Duration::from_millis(16),
    );
}

/// A CSS attribute selector value for an id (ids are `[0-9a-f-]`, quoted anyway).
pub fn quoted(id: &str) -> String {
    format!("\"{}\"", id.replace('\\', "\\\\").replace('"', "\\\""))
}
