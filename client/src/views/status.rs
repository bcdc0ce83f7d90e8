//! The save-state indicator, always visible, and a separate polite live region that
//! announces only what needs the user's attention (see [`SaveState::announcement`]):
//! a live `#status` would read "Saving…", "All changes saved" aloud on every keystroke.

use leptos::prelude::*;

use crate::sync::SaveState;

/// Shows `state` as text, with `data-state` carrying its machine-readable name, and
/// announces connection changes and refusals in `#status-announcer`.
#[component]
pub fn Status(state: Signal<SaveState>) -> impl IntoView {
    let announced = RwSignal::new(String::new());
    let previous = StoredValue::new(state.get_untracked());
    Effect::new(move |_| {
        let next = state.get();
        let before = previous.get_value();
        previous.set_value(next);
        if let Some(text) = before.announcement(next) {
            announced.set(text.to_owned());
        }
    });
    view! {
        <p id="status" class="status" aria-live="off" data-state=move || state.get().as_str()>
            {move || state.get().label()}
        </p>
        <p id="status-announcer" class="sr-only" role="status" aria-live="polite">
            {move || announced.get()}
        </p>
    }
}
