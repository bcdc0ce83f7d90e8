//! Publication of the signed minutes (`section#publication`, in the Versions tab, once a
//! version is signed): where they stand (`#publication-state`, with `a#public-link` to the
//! public page when published), and for the chair and administrators `button#publish`
//! ("Publish version N", the latest signed version), which asks first
//! (`#publish-warning`, `button#publish-confirm`, `button#publish-cancel`), and
//! `button#unpublish`. Failures show in `#publication-error` (role=alert), outcomes in
//! `#publication-status` (role=status). The server decides and audits both.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::publication::Publication;

use crate::access::local_time;
use crate::meeting_trust::use_trust;
use crate::trust_api;
use crate::views::side_tabs::{SideTab, SideTabs};

/// The panel (nothing before the first sign-off).
#[component]
pub fn PublicationPanel(tabs: SideTabs) -> impl IntoView {
    let trust = use_trust();
    let published = RwSignal::new(None::<Publication>);
    // Read when the tab opens and whenever the ledger changes (a new version is signed).
    Effect::new(move |_| {
        trust.ledger.with(|l| l.revision);
        if tabs.selected.get() != SideTab::Versions {
            return;
        }
        let name = trust.name();
        spawn_local(async move {
            if let Ok(found) = trust_api::publication(&name).await {
                published.try_set(found);
            }
        });
    });
    let latest = Memo::new(move |_| trust.ledger.with(|l| l.versions.last().map(|v| v.version)));
    let may = move || {
        trust
            .access
            .with(|a| a.as_ref().is_some_and(|a| a.publishes()))
    };
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let act = move |publish: Option<u32>| {
        busy.set(true);
        error.set(None);
        status.set(None);
        let name = trust.name();
        spawn_local(async move {
            let done = match publish {
                Some(n) => trust_api::publish(&name, n).await.map(Some),
                None => trust_api::unpublish(&name).await.map(|_| None),
            };
            match done {
                Ok(now) => {
                    status.try_set(Some(match &now {
                        Some(p) => format!("Version {} is published.", p.version),
                        None => "The minutes are withdrawn from publication.".to_owned(),
                    }));
                    published.try_set(now);
                    confirming.try_set(false);
                }
                Err(e) => {
                    let what = if publish.is_some() {
                        "Not published"
                    } else {
                        "Not withdrawn"
                    };
                    error.try_set(Some(trust.explain(what, &e)));
                }
            }
            busy.try_set(false);
        });
    };
    let offer = move || {
        may()
            && latest
                .get()
                .is_some_and(|n| published.with(|p| p.as_ref().is_none_or(|p| p.version != n)))
    };
    view! {
        <Show when=move || latest.with(Option::is_some) || published.with(Option::is_some)>
            <section id="publication" class="panel trust-panel" aria-labelledby="publication-heading">
                <h2 id="publication-heading">"Publication"</h2>
                <p id="publication-state">
                    {move || match published.get() {
                        None => view! { "Not published: only people invited to this meeting can read it." }.into_any(),
                        Some(p) => view! {
                            {format!("Published: version {}, on ", p.version)}
                            <a id="public-link" href=p.path() target="_blank">"the public page"</a>
                            {format!(" (by {}, {}).", p.published_by, local_time(p.published_at))}
                        }.into_any(),
                    }}
                </p>
                <Show when=offer>
                    <button type="button" id="publish" disabled=move || busy.get()
                        aria-expanded=move || confirming.get().to_string()
                        on:click=move |_| confirming.set(true)>
                        {move || format!("Publish version {}", latest.get().unwrap_or_default())}
                    </button>
                    <Show when=move || confirming.get()>
                        <p id="publish-warning">
                            {move || format!("Anyone with the link will be able to read version {} and download it \
                                (PDF, Word, Markdown) without signing in. Publishing is recorded in the audit log.",
                                latest.get().unwrap_or_default())}
                        </p>
                        <button type="button" id="publish-confirm" class="primary" disabled=move || busy.get()
                            on:click=move |_| act(latest.get_untracked())>"Publish"</button>
                        " "
                        <button type="button" id="publish-cancel"
                            on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </Show>
                </Show>
                <Show when=move || may() && published.with(Option::is_some)>
                    " "
                    <button type="button" id="unpublish" disabled=move || busy.get()
                        on:click=move |_| act(None)>"Withdraw from publication"</button>
                </Show>
                <Show when=move || error.with(Option::is_some)>
                    <p id="publication-error" class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <Show when=move || status.with(Option::is_some)>
                    <p id="publication-status" class="hint" role="status">{move || status.get().unwrap_or_default()}</p>
                </Show>
            </section>
        </Show>
    }
}
