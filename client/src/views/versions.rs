//! Signed versions, for everyone (`section#versions`): `ol#version-list >
//! li.version[data-version=N]` with the signer (`.v-signer`), the time (`.v-time`), the
//! SHA-256 of the signed rendering (`.v-sha`), an override reason when it was signed with
//! unconfirmed statements (`.v-override`), downloads (`a.v-export-md`, `a.v-export-html`,
//! `a.v-export-pdf`, `a.v-export-docx`, `a.v-public` (the public version, exempt items
//! withheld), `a.v-public-pdf` and `a.v-public-docx` (its PDF and Word document, for a
//! version that withholds exempt items),
//! and `a.v-approval`, the signed approval record, when a later meeting resolved on it)
//! and `button.v-compare` ("Compare with current draft"), which shows
//! `#version-diff[data-version=N]`: `li.diff-line[data-op=insert|delete|equal]`, inserted
//! lines in `<ins>` and deleted ones in `<del>`, each with a visible "+"/"−" marker and a
//! screen-reader prefix ("Added:", "Removed:"); long unchanged runs fold into
//! `li.diff-skip`. Reopenings are listed in `ul#reopenings`.
//!
//! A member without restricted access is offered only what the server gives them: for a
//! version that withholds exempt items, the public version's downloads, not the full
//! ones nor the comparison (both refused with 403); nor the comparison while the draft
//! holds exempt items.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::access::{iso_time, local_time};
use crate::meeting_trust::use_trust;
use crate::store::use_store;
use minutebook_shared::api::VersionDiff;
use minutebook_shared::diff::{DiffLine, DiffOp};

use crate::trust_api;

/// Unchanged lines kept around each change when a diff is shown.
const CONTEXT: usize = 2;

/// A line of a shown diff: a line, or a run of unchanged lines folded away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A line with what happened to it.
    Line(DiffOp, String),
    /// This many unchanged lines, not shown.
    Skipped(usize),
}

/// Folds runs of unchanged lines longer than `2 × context` (keeping `context` lines next
/// to each change).
pub fn fold(lines: &[DiffLine], context: usize) -> Vec<Shown> {
    let changed: Vec<bool> = lines.iter().map(|l| l.op != DiffOp::Equal).collect();
    let near = |i: usize| {
        let lo = i.saturating_sub(context);
        let hi = (i + context).min(lines.len().saturating_sub(1));
        (lo..=hi).any(|j| changed[j])
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, line) in lines.iter().enumerate() {
        if changed[i] || near(i) {
            if skipped > 0 {
                out.push(Shown::Skipped(skipped));
                skipped = 0;
            }
            out.push(Shown::Line(line.op, line.text.clone()));
        } else {
            skipped += 1;
        }
    }
    if skipped > 0 {
        out.push(Shown::Skipped(skipped));
    }
    out
}

/// The versions panel.
#[component]
pub fn Versions() -> impl IntoView {
    let trust = use_trust();
    let store = use_store();
    let versions = Memo::new(move |_| trust.ledger.with(|l| l.versions.clone()));
    let restricted = Memo::new(move |_| {
        trust
            .access
            .with(|a| a.as_ref().is_some_and(|a| a.restricted))
    });
    // The draft holds exempt items: its comparison is for restricted access only.
    let draft_exempt = Memo::new(move |_| {
        store.structure.track();
        store.with_untracked(|s| s.view.items.iter().any(|i| i.exemption.is_some()))
    });
    let reopenings = Memo::new(move |_| trust.ledger.with(|l| l.reopenings.clone()));
    let compared = RwSignal::new(None::<u32>);
    let diff = RwSignal::new(None::<Result<VersionDiff, String>>);
    let load = move |n: u32| {
        compared.set(Some(n));
        diff.set(None);
        let name = trust.name();
        spawn_local(async move {
            let d = trust_api::diff(&name, n).await.map_err(|e| e.message);
            if compared.try_get_untracked() == Some(Some(n)) {
                diff.try_set(Some(d));
            }
        });
    };
    // What a later meeting resolved on version `n` (or approved it as the amended
    // version), and the version its record is kept under.
    let approval = move |n: u32| {
        trust.ledger.with(|l| {
            l.approvals
                .iter()
                .rev()
                .find(|a| a.version == n || a.amended.as_ref().is_some_and(|v| v.version == n))
                .map(|a| {
                    let words = if a.version == n && a.amended.is_some() {
                        format!("Amendments agreed at {}", a.at.title)
                    } else {
                        a.describe()
                    };
                    (words, a.version)
                })
        })
    };
    view! {
        <section id="versions" class="panel trust-panel" aria-labelledby="versions-heading">
            <h2 id="versions-heading">"Signed versions"</h2>
            <Show when=move || versions.with(Vec::is_empty)>
                <p class="hint">"Not signed off yet."</p>
            </Show>
            <ol id="version-list">
                <For each=move || versions.get() key=|v| (v.version, v.sha256.clone())
                    children=move |v| {
                        let n = v.version;
                        let name = trust.name();
                        let open = move || compared.get() == Some(n);
                        let withholds = v.withholds();
                        // Full downloads: restricted access, or nothing withheld.
                        let full = move || restricted.get() || !withholds;
                        let compare = move || full() && (restricted.get() || !draft_exempt.get());
                        let (md, html, pdf, docx) = (
                            trust_api::version_export_url(&name, n, "md"),
                            trust_api::version_export_url(&name, n, "html"),
                            trust_api::version_export_url(&name, n, "pdf"),
                            trust_api::version_export_url(&name, n, "docx"),
                        );
                        let (public_pdf, public_docx) = (
                            trust_api::public_output_url(&name, n, "pdf"),
                            trust_api::public_output_url(&name, n, "docx"),
                        );
                        view! {
                            <li class="version" data-version=n.to_string()>
                                <p>
                                    <strong>{format!("Version {n}")}</strong>
                                    ", signed by " <span class="v-signer">{v.signed.by.clone()}</span>
                                    " on " <time class="v-time" datetime=iso_time(v.signed.at)>{local_time(v.signed.at)}</time>
                                    {(!v.signed.provenance().is_empty()).then(|| view! {
                                        " " <span class="v-provenance">{format!("({})", v.signed.provenance())}</span>
                                    })}
                                </p>
                                <p class="v-hash">"SHA-256 " <code class="v-sha">{v.sha256.clone()}</code></p>
                                {(!v.override_reason.trim().is_empty()).then(|| view! {
                                    <p class="v-override">
                                        {format!("Signed with {} unconfirmed statement(s) and {} open correction(s); reason: ",
                                            v.readiness.unconfirmed_statements(), v.readiness.corrections_open)}
                                        {v.override_reason.clone()}
                                    </p>
                                })}
                                <p class="v-links">
                                    <Show when=full>
                                        <a class="v-export-md" href=md.clone() download="">
                                            {format!("Version {n} (Markdown)")}
                                        </a>
                                        " "
                                        <a class="v-export-html" href=html.clone() target="_blank">
                                            {format!("Version {n} (HTML)")}
                                        </a>
                                        " "
                                        <a class="v-export-pdf" href=pdf.clone() download="">
                                            {format!("Version {n} (PDF)")}
                                        </a>
                                        " "
                                        <a class="v-export-docx" href=docx.clone() download="">
                                            {format!("Version {n} (Word)")}
                                        </a>
                                        " "
                                    </Show>
                                    <a class="v-public" href=trust_api::public_version_url(&name, n) download="">
                                        {format!("Version {n}, public (Markdown)")}
                                    </a>
                                    " "
                                    {withholds.then(|| view! {
                                        <a class="v-public-pdf" href=public_pdf download="">
                                            {format!("Version {n}, public (PDF)")}
                                        </a>
                                        " "
                                        <a class="v-public-docx" href=public_docx download="">
                                            {format!("Version {n}, public (Word)")}
                                        </a>
                                    })}
                                    " "
                                    {move || approval(n).map(|(words, resolved)| view! {
                                        <a class="v-approval" href=trust_api::approval_url(&trust.name(), resolved)
                                            download="">
                                            {format!("{words} (signed record)")}
                                        </a>
                                        " "
                                    })}
                                    <Show when=compare>
                                        <button type="button" class="v-compare"
                                            aria-expanded=move || open().to_string()
                                            aria-controls="version-diff"
                                            on:click=move |_| if open() { compared.set(None) } else { load(n) }>
                                            {move || if open() { "Hide comparison" } else { "Compare with current draft" }}
                                        </button>
                                    </Show>
                                </p>
                            </li>
                        }
                    } />
            </ol>
            <Show when=move || compared.with(Option::is_some)>
                <div id="version-diff" data-version=move || compared.get().map(|n| n.to_string()).unwrap_or_default()>
                    <h3>{move || format!("Changes from version {} to the current draft", compared.get().unwrap_or_default())}</h3>
                    <button type="button" id="refresh-diff"
                        on:click=move |_| if let Some(n) = compared.get_untracked() { load(n) }>"Refresh"</button>
                    {move || diff.with(|d| match d {
                        None => view! { <p class="hint" role="status">"Comparing…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error" role="alert">"Cannot compare: " {e.clone()}</p> }.into_any(),
                        Some(Ok(d)) => diff_view(d).into_any(),
                    })}
                </div>
            </Show>
            <Show when=move || reopenings.with(|r| !r.is_empty())>
                <h3>"Reopenings"</h3>
                <ul id="reopenings">
                    <For each=move || reopenings.get() key=|r| (r.version, r.stamp.at)
                        children=|r| view! {
                            <li>
                                {format!("Version {} reopened by {} on {}: ", r.version, r.stamp.by, local_time(r.stamp.at))}
                                {r.reason.clone()}
                            </li>
                        } />
                </ul>
            </Show>
        </section>
    }
}

/// The lines of a diff.
fn diff_view(d: &VersionDiff) -> impl IntoView {
    let added = d.lines.iter().filter(|l| l.op == DiffOp::Insert).count();
    let removed = d.lines.iter().filter(|l| l.op == DiffOp::Delete).count();
    let summary = if added + removed == 0 {
        "No changes since this version was signed.".to_owned()
    } else {
        format!("{added} line(s) added, {removed} line(s) removed.")
    };
    let lines = fold(&d.lines, CONTEXT)
        .into_iter()
        .map(|s| match s {
            Shown::Line(op, text) => {
                let body = match op {
                    DiffOp::Insert => view! {
                        <span class="marker" aria-hidden="true">"+ "</span>
                        <ins><span class="sr-only">"Added: "</span>{text}</ins>
                    }
                    .into_any(),
                    DiffOp::Delete => view! {
                        <span class="marker" aria-hidden="true">"− "</span>
                        <del><span class="sr-only">"Removed: "</span>{text}</del>
                    }
                    .into_any(),
                    DiffOp::Equal => view! {
                        <span class="marker" aria-hidden="true">"  "</span>
                        <span>{text}</span>
                    }
                    .into_any(),
                };
                view! { <li class="diff-line" data-op=op.as_str()>{body}</li> }.into_any()
            }
            Shown::Skipped(n) => view! {
                <li class="diff-skip">{format!("… {n} unchanged line(s) …")}</li>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <p class="hint" role="status">{summary}</p>
        <ol class="diff">{lines}</ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(op: DiffOp, text: &str) -> DiffLine {
        DiffLine {
            op,
            text: text.into(),
        }
    }

    #[test]
    fn folds_long_unchanged_runs() {
        let mut lines: Vec<DiffLine> = (0..10).map(|i| l(DiffOp::Equal, &i.to_string())).collect();
        lines.insert(5, l(DiffOp::Insert, "new"));
        lines.push(l(DiffOp::Delete, "old"));
        let shown = fold(&lines, 2);
        assert_eq!(shown[0], Shown::Skipped(3));
        assert_eq!(shown[1], Shown::Line(DiffOp::Equal, "3".into()));
        assert_eq!(shown[3], Shown::Line(DiffOp::Insert, "new".into()));
        assert_eq!(shown[5], Shown::Line(DiffOp::Equal, "6".into()));
        assert_eq!(shown[6], Shown::Skipped(1));
        assert_eq!(
            shown.last(),
            Some(&Shown::Line(DiffOp::Delete, "old".into()))
        );
        assert_eq!(fold(&[l(DiffOp::Equal, "a")], 2), vec![Shown::Skipped(1)]);
        assert!(fold(&[], 2).is_empty());
    }
}
