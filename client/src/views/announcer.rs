//! The page's polite voice for screen readers: `p#announcer` (visually hidden,
//! role=status, aria-live=polite) holds the last sentence of [`crate::announce`].

use leptos::prelude::*;

use crate::store::use_store;

/// The live region.
#[component]
pub fn Announcer() -> impl IntoView {
    let store = use_store();
    view! {
        <p id="announcer" class="sr-only" role="status" aria-live="polite">
            {move || store.announcement.get()}
        </p>
    }
}
