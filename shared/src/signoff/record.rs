//! What a record says it is: the lifecycle status the server's ledger gives a meeting
//! (never the minutes' own header, which any editor can change), the `Status:` line of an
//! export, and the sign-off facts the canonical Markdown of a signed version ends with —
//! so that its SHA-256 covers who signed, when, and any override.

use crate::trust::{Ledger, Lifecycle, VersionInfo};

use super::{escape, format_utc};

/// The canonical form of signed versions signed from now on: 2 = the `Status:` line says
/// "Signed off — version N — by … on …" and the Markdown ends with [`facts_section`].
/// Versions of form 1 (before) keep verifying: their stored Markdown is hashed as stored.
pub const CANONICAL_FORM: u32 = 2;

/// The heading of the sign-off facts section; the Markdown importer stops at it.
pub const FACTS_HEADING: &str = "## Signed off";

/// The minutes of a canonical Markdown rendering, for comparing a signed version with the
/// draft: without the `- Status:` line and without the sign-off facts section.
pub fn minutes_only(markdown: &str) -> String {
    let end = markdown
        .find(&format!("\n{FACTS_HEADING}\n"))
        .unwrap_or(markdown.len());
    markdown[..end]
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("- Status: "))
        .collect()
}

/// A meeting's lifecycle status, from its ledger, as the meeting list and the API show it:
/// `draft`, `reopened` (a draft again after a sign-off), `signed off vN (unapproved)` or
/// `signed off vN (approved)` (see [`Lifecycle`], which says it in words).
pub fn lifecycle(ledger: &Ledger) -> String {
    Lifecycle::of(ledger).short()
}

/// The `Status:` line of a draft export: clearly marked DRAFT, never "signed".
pub fn draft_status(ledger: &Ledger) -> String {
    match ledger.versions.last() {
        Some(v) if !ledger.signed() => format!(
            "DRAFT — not signed off (reopened after version {})",
            v.version
        ),
        _ => "DRAFT — not signed off".to_string(),
    }
}

/// The `Status:` line of the minutes as they stand: the signed version's while signed off,
/// else the draft's. What the exports and the web client's reading view say.
pub fn status_line(ledger: &Ledger) -> String {
    match ledger.versions.last() {
        Some(v) if ledger.signed() => signed_status(v.version, &v.signed.by, v.signed.at),
        _ => draft_status(ledger),
    }
}

/// The `Status:` line of signed version `version`: "Signed off — version N — by … on …".
pub fn signed_status(version: u32, signer: &str, signed_at: u64) -> String {
    format!(
        "Signed off — version {version} — by {} on {}",
        escape(signer),
        format_utc(signed_at)
    )
}

/// The sign-off facts a signed version's canonical Markdown ends with (form 2): version,
/// signer, time, and — when signed with an override — the reason and how many statements
/// were unconfirmed. `v.sha256` is not part of it (it is the hash of the whole).
pub fn facts_section(v: &VersionInfo) -> String {
    let mut out = format!(
        "\n{FACTS_HEADING}\n\n- Version: {}\n- Signed off by: {}\n- Signed at: {}\n",
        v.version,
        escape(&v.signed.by),
        format_utc(v.signed.at)
    );
    if !v.override_reason.is_empty() {
        let unconfirmed = v.readiness.unconfirmed_statements();
        out.push_str(&format!(
            "- Override: signed with {unconfirmed} unconfirmed statement{} and {} open \
             correction{}; reason: {}\n",
            if unconfirmed == 1 { "" } else { "s" },
            v.readiness.corrections_open,
            if v.readiness.corrections_open == 1 {
                ""
            } else {
                "s"
            },
            escape(&v.override_reason)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::{LockState, Readiness, Reopening, Stamp, StatementState, StatementStatus};

    fn version(n: u32, reason: &str) -> VersionInfo {
        VersionInfo {
            version: n,
            signed: Stamp {
                by: "Jane Chair".into(),
                person: None,
                at: 1_764_151_445_123,
                ..Stamp::default()
            },
            sha256: String::new(),
            override_reason: reason.into(),
            // Four statements: one confirmed, two pending, one changed since confirmed.
            readiness: Readiness {
                confirmed: 1,
                pending: 2,
                changed: 1,
                corrections_open: 0,
                statements: [
                    StatementStatus::Confirmed,
                    StatementStatus::Pending,
                    StatementStatus::Pending,
                    StatementStatus::Changed,
                ]
                .into_iter()
                .enumerate()
                .map(|(i, status)| StatementState {
                    block: format!("b{i}"),
                    item: "1".into(),
                    speakers: vec!["p".into()],
                    status,
                    by_speaker: Vec::new(),
                })
                .collect(),
            },
            withheld: None,
        }
    }

    #[test]
    fn lifecycle_comes_from_the_ledger() {
        let mut ledger = Ledger::default();
        assert_eq!(lifecycle(&ledger), "draft");
        assert_eq!(draft_status(&ledger), "DRAFT — not signed off");
        ledger.versions.push(version(1, ""));
        ledger.state = LockState::Signed;
        assert_eq!(lifecycle(&ledger), "signed off v1 (unapproved)");
        ledger.state = LockState::Draft;
        ledger.reopenings.push(Reopening {
            version: 1,
            stamp: version(1, "").signed,
            reason: "typo".into(),
        });
        assert_eq!(lifecycle(&ledger), "reopened");
        assert!(draft_status(&ledger).contains("reopened after version 1"));
    }

    #[test]
    fn facts_name_the_override_and_the_unconfirmed_count() {
        let plain = facts_section(&version(2, ""));
        assert!(plain.contains("- Version: 2\n- Signed off by: Jane Chair\n"));
        assert!(!plain.contains("Override"));
        let forced = facts_section(&version(2, "the others were absent"));
        assert!(
            forced.contains("3 unconfirmed statements")
                && forced.contains("the others were absent"),
            "{forced}"
        );
        let v = version(2, "");
        assert!(signed_status(v.version, &v.signed.by, v.signed.at)
            .starts_with("Signed off — version 2 — by Jane Chair on 2025-"));
    }
}
