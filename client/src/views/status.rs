//! The save-state indicator, always visible, and a separate polite live region that
//! announces only what needs the user's attention (see [`SaveState::announcement`]):
//! a live `#status` would read "Saving…", "All changes saved" aloud on every keystroke.
//!
//! A page that also syncs Part II shows the two documents' combined state
//! ([`combined`]) and, while Part II itself cannot be saved, says so apart
//! (`#status-part2`), so a failing restricted connection is never silent.

use leptos::prelude::*;

use crate::sync::combined::{combined, failing};
use crate::sync::SaveState;

/// Shows `state` as text, with `data-state` carrying its machine-readable name, and
/// announces connection changes and refusals in `#status-announcer`.
#[component]
pub fn Status(
    state: Signal<SaveState>,
    /// Part II's own state (counted only `with_part2`).
    #[prop(optional)]
    part2: Option<Signal<SaveState>>,
    /// Whether the page syncs Part II.
    #[prop(optional)]
    with_part2: bool,
) -> impl IntoView {
    let part2 = part2.filter(|_| with_part2);
    let main = state;
    let state = Signal::derive(move || combined(main.get(), part2.map(|p| p.get())));
    let part2_failing = move || part2.map(|p| p.get()).filter(|s| failing(*s));
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
    // Part II failing while the combined state already said so for the main document:
    // still say it once.
    Effect::new(move |was: Option<bool>| {
        let now = part2_failing().is_some();
        if now && was == Some(false) {
            announced.set("Part II (restricted items) cannot be saved right now".to_owned());
        }
        now
    });
    view! {
        <p id="status" class="status" aria-live="off" data-state=move || state.get().as_str()>
            {move || state.get().label()}
        </p>
        {move || part2_failing().map(|s| view! {
            <p id="status-part2" class="status status-part2" data-state=s.as_str()>
                {format!("Part II (restricted items): {}", s.label())}
            </p>
        })}
        <p id="status-announcer" class="sr-only" role="status" aria-live="polite">
            {move || announced.get()}
        </p>
    }
}
