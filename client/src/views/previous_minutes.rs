//! The previous meeting's minutes, agreed at this one (`section#previous-minutes`, in the
//! Versions tab; nothing for a first meeting): which meeting, its latest signed version
//! and hash (`#previous-version`, linking to the signed export), where it stands
//! (`#previous-lifecycle`: "Signed (unapproved) — version 1", "Approved at …"), and for
//! this meeting's chair while it is a draft, the resolution (`fieldset#resolution` with
//! radios `#resolution-correct` and `#resolution-amended`, `textarea#amendments`,
//! `button#record-resolution`) → `POST …/previous-minutes`. The server adds the
//! resolution to the "Minutes of the previous meeting" item. Outcomes show in
//! `#resolution-status` (role=status), failures in `#resolution-error` (role=alert).

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::api::{PreviousMinutes, ResolveRequest};
use minutebook_shared::trust::Resolution;

use crate::meeting_trust::use_trust;
use crate::trust_api;
use crate::views::side_tabs::{SideTab, SideTabs};

/// How often the open panel reads the previous minutes again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

/// The panel (nothing until the server names a previous meeting).
#[component]
pub fn PreviousMinutesPanel(tabs: SideTabs) -> impl IntoView {
    let trust = use_trust();
    let previous = RwSignal::new(None::<PreviousMinutes>);
    // The previous meeting changes elsewhere (signed, approved): read again every
    // REFRESH while its tab is open.
    let tick = RwSignal::new(0u32);
    if let Ok(handle) = set_interval_with_handle(move || tick.update(|n| *n += 1), REFRESH) {
        on_cleanup(move || handle.clear());
    }
    // Fetched again when the tab opens, on each tick while it is open, and whenever this
    // meeting's ledger changes (its resolutions among it).
    Effect::new(move |_| {
        trust.ledger.with(|l| l.revision);
        if tabs.selected.get() != SideTab::Versions {
            return;
        }
        tick.track();
        let name = trust.name();
        spawn_local(async move {
            if let Ok(found) = trust_api::previous_minutes(&name).await {
                previous.try_set(found);
            }
        });
    });
    view! {
        <Show when=move || previous.with(Option::is_some)>
            <PreviousMinutesBody previous=previous />
        </Show>
    }
}

#[component]
fn PreviousMinutesBody(previous: RwSignal<Option<PreviousMinutes>>) -> impl IntoView {
    let trust = use_trust();
    let field = move |f: fn(&PreviousMinutes) -> String| {
        move || previous.with(|p| p.as_ref().map(f).unwrap_or_default())
    };
    let title = field(|p| {
        let title = if p.title.trim().is_empty() {
            p.meeting.clone()
        } else {
            p.title.clone()
        };
        if p.date.trim().is_empty() {
            title
        } else {
            format!("{title} ({})", p.date.trim())
        }
    });
    let href = field(|p| format!("/?meeting={}", crate::route::escape(&p.meeting)));
    let lifecycle = field(|p| p.lifecycle.clone());
    let latest = move || previous.with(|p| p.as_ref().and_then(|p| p.latest.clone()));
    let version_href = field(|p| {
        p.latest
            .as_ref()
            .map(|v| trust_api::version_export_url(&p.meeting, v.version, "md"))
            .unwrap_or_default()
    });
    // Only while agreeing is open: this meeting's chair, a draft, signed minutes that are
    // neither approved nor waiting for their amended version.
    let may_resolve = move || {
        trust.access.with(|a| a.as_ref().is_some_and(|a| a.signs()))
            && !trust.ledger.with(|l| l.signed())
            && previous.with(|p| p.as_ref().is_some_and(|p| p.latest.is_some() && p.open))
    };
    let amended = RwSignal::new(false);
    let amendments = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let record = move |_| {
        let Some(v) = latest() else {
            return;
        };
        let resolution = if amended.get_untracked() {
            Resolution::SubjectToAmendments
        } else {
            Resolution::CorrectRecord
        };
        let said = amendments.get_untracked().trim().to_owned();
        if resolution == Resolution::SubjectToAmendments && said.is_empty() {
            error.set(Some("Say which amendments were agreed.".to_owned()));
            crate::focus::focus_later("#amendments".to_owned());
            return;
        }
        let req = ResolveRequest {
            version: v.version,
            sha256: v.sha256,
            resolution,
            amendments: said,
        };
        busy.set(true);
        error.set(None);
        status.set(None);
        let name = trust.name();
        spawn_local(async move {
            match trust_api::resolve(&name, &req).await {
                Ok(a) => {
                    status.try_set(Some(format!(
                        "Recorded: the minutes were {} (version {}).",
                        a.resolution.words(),
                        a.version
                    )));
                    amendments.try_set(String::new());
                    trust.after_command(None);
                }
                Err(e) => {
                    error.try_set(Some(trust.explain("Not recorded", &e)));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        <section id="previous-minutes" class="panel trust-panel"
            aria-labelledby="previous-minutes-heading">
            <h2 id="previous-minutes-heading">"Previous minutes"</h2>
            <p>"Minutes of " <a href=href>{title}</a></p>
            <p id="previous-lifecycle" class="hint">{lifecycle}</p>
            {move || latest().map(|v| {
                let short = crate::access::short_hash(&v.sha256).to_owned();
                view! {
                    <p id="previous-version" data-sha=v.sha256>
                        <a href=version_href download="">{format!("Version {}", v.version)}</a>
                        ", SHA-256 " <code>{short}</code>
                    </p>
                }
            })}
            <Show when=may_resolve>
                <fieldset id="resolution">
                    <legend>"Resolution"</legend>
                    <label>
                        <input type="radio" name="resolution" id="resolution-correct"
                            prop:checked=move || !amended.get()
                            on:change=move |_| amended.set(false) />
                        " Agreed as a correct record"
                    </label>
                    <label>
                        <input type="radio" name="resolution" id="resolution-amended"
                            prop:checked=move || amended.get()
                            on:change=move |_| amended.set(true) />
                        " Agreed subject to amendments"
                    </label>
                    <Show when=move || amended.get()>
                        <label for="amendments">"Amendments agreed"</label>
                        <textarea id="amendments" rows="3"
                            prop:value=move || amendments.get()
                            on:input=move |ev| amendments.set(event_target_value(&ev))></textarea>
                    </Show>
                </fieldset>
                <button type="button" id="record-resolution" class="primary"
                    disabled=move || busy.get() on:click=record>"Record resolution"</button>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p id="resolution-error" class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || status.with(Option::is_some)>
                <p id="resolution-status" class="hint" role="status">{move || status.get().unwrap_or_default()}</p>
            </Show>
        </section>
    }
}
