//! Asks before the page closes while changes are unsaved (offline edits live only in
//! this page until they reach the server).

use leptos::prelude::*;

use crate::sync::SyncProvider;

/// Asks before the page closes while `provider` has unsaved changes (offline edits live
/// only in this page).
pub fn warn_before_unload(provider: SyncProvider) {
    let _listener = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if provider.has_unsaved_changes() {
            ev.prevent_default();
            ev.set_return_value("Some changes are not saved yet.");
        }
    });
}
