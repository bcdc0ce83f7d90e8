//! The save-state indicator: always visible, announced politely to screen readers.

use leptos::prelude::*;

use crate::sync::SaveState;

/// Shows `state` as text, with `data-state` carrying its machine-readable name.
#[component]
pub fn Status(state: Signal<SaveState>) -> impl IntoView {
    view! {
        <p id="status" class="status" role="status" aria-live="polite"
            data-state=move || state.get().as_str()>
            {move || state.get().label()}
        </p>
    }
}
