//! The meeting page's notices under its bar: `#readonly-banner` (role=status) while the
//! minutes are read-only here ("Signed off — version 2 — read-only", "You are an
//! attendee: …"), `#rejected-alert` (role=alert, "Not saved: {reason}", with a button
//! that reloads the minutes from the server) when the server refused a write, and
//! `#access-alert` (role=alert) once access to the meeting was revoked or has expired.

use leptos::prelude::*;

use crate::meeting_trust::use_trust;

/// The notices.
#[component]
pub fn TrustBanner() -> impl IntoView {
    let trust = use_trust();
    let reason = move || {
        if trust.ledger.with(|l| l.signed()) {
            "signed"
        } else {
            "role"
        }
    };
    let reload = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    view! {
        <div class="notices">
            <Show when=move || trust.revoked.get()>
                <div id="access-alert" class="notice bad" role="alert">
                    <p>
                        "Your access to this meeting was revoked or has expired. "
                        "Ask an administrator for a new invitation link. "
                        <a href="/">"Your meetings"</a>
                    </p>
                </div>
            </Show>
            <Show when=move || trust.rejected.with(Option::is_some)>
                <div id="rejected-alert" class="notice bad" role="alert">
                    <p>
                        {move || format!("Not saved: {}", trust.rejected.get().unwrap_or_default())}
                        " — this page still shows the refused change. "
                    </p>
                    <button type="button" id="reload-minutes" on:click=reload>
                        "Reload the minutes"
                    </button>
                </div>
            </Show>
            <Show when=move || trust.notice.with(Option::is_some)>
                <p id="readonly-banner" class="notice" role="status" data-reason=reason>
                    {move || trust.notice.get().unwrap_or_default()}
                </p>
            </Show>
        </div>
    }
}
