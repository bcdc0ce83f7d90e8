//! The HTML export of a signed version: the rendered minutes with a sign-off footer
//! before `</body>`.
//!
//! Unlike the Markdown export, an HTML file cannot be checked against itself: the hash it
//! carries is the canonical Markdown's. So an HTML export is verified against the stored
//! version: the facts its footer carries must be the stored ones, and its bytes (without
//! the signature paragraph a download adds, see [`super::signature`]) must be that
//! version's HTML export (frozen by the server at sign-off).

use crate::meeting::html::esc;
use crate::trust::sha256_hex;

use super::{differences, format_utc, iso_utc, parse_utc, SignOff, SignOffError, Stored, Verdict};

/// The opening tag of the footer; its presence makes a file an HTML export.
pub(super) const FOOTER: &str = "<footer class=\"sign-off\" data-minutebook=\"sign-off\">";

/// The HTML export's sign-off footer for `s` (every value escaped).
pub fn render_html_footer(s: &SignOff) -> String {
    format!(
        "{FOOTER}\n\
         <p>Signed off by <strong>{signer}</strong> at \
         <time datetime=\"{iso}\">{shown}</time>.</p>\n\
         <p>Version {version} of meeting <code>{meeting}</code>.</p>\n\
         <p>SHA-256 of the canonical Markdown: <code>{sha}</code></p>\n\
         </footer>\n",
        signer = esc(&s.signer),
        iso = iso_utc(s.signed_at),
        shown = format_utc(s.signed_at),
        version = s.version,
        meeting = esc(&s.meeting),
        sha = esc(&s.sha256),
    )
}

/// `html` (a whole rendered page) with the sign-off footer for `s` before `</body>`.
pub fn with_html_footer(html: &str, s: &SignOff) -> String {
    let footer = render_html_footer(s);
    match html.rfind("</body>") {
        Some(at) => format!("{}{footer}\n{}", &html[..at], &html[at..]),
        None => format!("{html}\n{footer}"),
    }
}

/// Whether `file` looks like an HTML export of a signed version.
pub fn is_html_export(file: &str) -> bool {
    file.contains(FOOTER)
}

/// The facts carried by the **last** sign-off footer of an HTML export.
pub fn parse_html(file: &str) -> Result<SignOff, SignOffError> {
    let start = file.rfind(FOOTER).ok_or(SignOffError::NoBlock)?;
    let footer = &file[start + FOOTER.len()..];
    let footer = &footer[..footer
        .find("</footer>")
        .ok_or(SignOffError::Missing("</footer>"))?];
    let field = |name: &'static str, before: &str, after: &str| -> Result<String, SignOffError> {
        let from = footer.find(before).ok_or(SignOffError::Missing(name))? + before.len();
        let len = footer[from..]
            .find(after)
            .ok_or(SignOffError::Missing(name))?;
        Ok(unescape(&footer[from..from + len]))
    };
    let signer = field("Signed off by", "Signed off by <strong>", "</strong>")?;
    let shown = field("Signed at", "\">", "</time>")?;
    let signed_at = parse_utc(&shown).ok_or_else(|| SignOffError::Malformed {
        field: "Signed at",
        why: "expected YYYY-MM-DD HH:MM:SS.mmm UTC",
        line: shown.clone(),
    })?;
    let version = field("Version", "<p>Version ", " of meeting")?;
    let version = version.parse().map_err(|_| SignOffError::Malformed {
        field: "Version",
        why: "not a number",
        line: version.clone(),
    })?;
    let meeting = field("of meeting", " of meeting <code>", "</code>")?;
    let sha256 = field("SHA-256", "canonical Markdown: <code>", "</code>")?;
    Ok(SignOff {
        meeting,
        version,
        signer,
        signed_at,
        sha256,
    })
}

/// Checks an HTML export against the stored version it names: its facts must be the
/// stored ones and its SHA-256 `expected_sha256`, that of the version's HTML export.
pub fn check_html(file: &str, stored: Stored<'_>, expected_sha256: Option<&str>) -> Verdict {
    let carried = match parse_html(file) {
        Ok(carried) => carried,
        Err(e) => return Verdict::NoSignOff(e),
    };
    let facts = match stored {
        Stored::Unchecked => return Verdict::HtmlUnchecked(carried),
        Stored::NotFound => {
            return Verdict::NotAsStored {
                carried,
                stored: None,
            }
        }
        Stored::Found(facts) => facts,
    };
    if !differences(&carried, facts).is_empty() {
        return Verdict::NotAsStored {
            carried,
            stored: Some(facts.clone()),
        };
    }
    // A download carries the signature paragraph; the page frozen at sign-off does not.
    let (frozen, _) = super::signature::strip_html(file);
    let actual_sha256 = sha256_hex(frozen.as_bytes());
    match expected_sha256 {
        Some(expected) if expected.eq_ignore_ascii_case(&actual_sha256) => {
            Verdict::Verified(carried)
        }
        Some(expected) => Verdict::HtmlAltered {
            carried,
            actual_sha256,
            expected_sha256: expected.to_string(),
        },
        None => Verdict::HtmlUnchecked(carried),
    }
}

/// Reverses [`esc`].
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SignOff {
        SignOff {
            meeting: "board-2026-11".into(),
            version: 3,
            signer: "O'Brien & <Co> \"x\"\nsecond line".into(),
            signed_at: 1_795_000_000_123,
            sha256: "ab".repeat(32),
        }
    }

    const PAGE: &str = "<!doctype html>\n<html><body>\n<h1>Minutes</h1>\n</body></html>\n";

    #[test]
    fn footer_round_trips_and_sits_before_body_end() {
        let s = facts();
        let file = with_html_footer(PAGE, &s);
        assert!(is_html_export(&file));
        assert!(!is_html_export(PAGE));
        assert!(file.ends_with("</footer>\n\n</body></html>\n"), "{file}");
        assert!(
            file.contains("&lt;Co&gt;") && !file.contains("<Co>"),
            "{file}"
        );
        assert_eq!(parse_html(&file).expect("parses"), s);
    }

    #[test]
    fn html_export_verifies_only_against_the_stored_version() {
        let s = facts();
        let file = with_html_footer(PAGE, &s);
        let sha = sha256_hex(file.as_bytes());
        let verdict = check_html(&file, Stored::Found(&s), Some(&sha));
        assert!(verdict.verified(), "{verdict}");
        // Without the store nothing can be said; it is not a mismatch either.
        let verdict = check_html(&file, Stored::Unchecked, None);
        assert!(!verdict.verified() && !verdict.mismatch(), "{verdict}");
        // One changed byte of the minutes.
        let altered = file.replace("Minutes", "Minutez");
        let verdict = check_html(&altered, Stored::Found(&s), Some(&sha));
        assert!(matches!(verdict, Verdict::HtmlAltered { .. }), "{verdict}");
        assert!(
            verdict.to_string().starts_with("DOES NOT MATCH"),
            "{verdict}"
        );
        // A forged footer naming another signer.
        let mut other = s.clone();
        other.signer = "Someone Else".into();
        let forged = with_html_footer(PAGE, &other);
        let verdict = check_html(&forged, Stored::Found(&s), Some(&sha));
        assert!(matches!(verdict, Verdict::NotAsStored { .. }), "{verdict}");
        // No such version stored; no footer at all.
        assert!(check_html(&file, Stored::NotFound, None).mismatch());
        assert!(matches!(
            check_html(PAGE, Stored::Unchecked, None),
            Verdict::NoSignOff(_)
        ));
    }
}
