//! The sign-off block of an exported signed version, and checking an exported file.
//!
//! A signed version's canonical rendering is its Markdown export; its SHA-256 is what the
//! chair signed. An export of that version is the canonical Markdown, byte for byte,
//! followed by a sign-off block ([`render_markdown`]):
//!
//! ```text
//! …canonical Markdown…
//!
//! ---
//!
//! <!-- minutebook:sign-off -->
//! Signed off by Jane Chair
//!
//! Signed at 2026-11-26 10:04:05.123 UTC
//!
//! Version 1 of meeting `assurance-2026-11`
//!
//! SHA-256: `9f86d08…`
//! ```
//!
//! [`parse`] splits such a file back into the canonical Markdown (exactly) and the
//! [`SignOff`] facts; [`check`] decides whether the file is what was signed, against the
//! hash it carries and against the facts the server stored for that version.
//!
//! Field values are written with `\` → `\\` and line breaks → `\n` / `\r`, so any
//! signer or meeting name round-trips on one line.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::trust::{sha256_hex, VersionInfo};

mod html;
pub mod output_signature;
pub mod public;
mod record;
pub mod signature;
pub use html::{check_html, is_html_export, parse_html, render_html_footer, with_html_footer};
pub use record::{
    draft_status, facts_section, lifecycle, minutes_only, signed_status, status_line,
    CANONICAL_FORM, FACTS_HEADING,
};

/// The line that starts a sign-off block.
pub const MARKER: &str = "<!-- minutebook:sign-off -->";

/// What precedes [`MARKER`]: a thematic break between the minutes and the block.
const SEPARATOR: &str = "\n---\n\n";

const SIGNER: &str = "Signed off by ";
const SIGNED_AT: &str = "Signed at ";
const VERSION: &str = "Version ";
const OF_MEETING: &str = " of meeting `";
const SHA256: &str = "SHA-256: `";

/// The facts of one signed version, as carried by an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// The meeting (document) name.
    pub meeting: String,
    pub version: u32,
    /// Display name of the chair who signed.
    pub signer: String,
    /// Unix milliseconds.
    pub signed_at: u64,
    /// Hex SHA-256 of the canonical Markdown.
    pub sha256: String,
}

impl SignOff {
    /// The sign-off facts of a stored version of `meeting`.
    pub fn of_version(info: &VersionInfo, meeting: &str) -> SignOff {
        SignOff {
            meeting: meeting.to_string(),
            version: info.version,
            signer: info.signed.by.clone(),
            signed_at: info.signed.at,
            sha256: info.sha256.clone(),
        }
    }
}

/// What the server's store holds for a version: the same facts as a [`SignOff`]
/// (`POST /api/verify` answers `{"stored": StoredFacts | null}`).
pub type StoredFacts = SignOff;

/// What the store holds for the version a file names: what `minutebook verify --data-dir`
/// reads itself, and the answer of `POST /api/verify` — which tells only whether the
/// submitted file matches (`matches`), and the stored facts only when it does, so that
/// nobody learns from it whether (or by whom, or when) a meeting was signed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyAnswer {
    /// The version's facts; `None` when no such version is stored (or, from the server,
    /// when the file does not match).
    pub stored: Option<StoredFacts>,
    /// For an HTML file: the SHA-256 of that version's HTML export.
    #[serde(default)]
    pub html_sha256: Option<String>,
    /// The server's verdict on the submitted file (`None` from a local store read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<bool>,
    /// The latest version, when a later version replaced the one the file names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<Superseded>,
    /// The signature the file carries, checked with the server's published keys (`POST
    /// /api/verify` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<signature::SignatureVerdict>,
    /// Whether a later meeting approved this version: "Approved at Board — March on 11
    /// March 2026", "Amendments agreed at …"; `None` while unapproved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// For a PDF or Word file: which output of the version it is (`pdf`, `docx`), when it
    /// is one byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// For such a file: it renders the version's public version (exempt items withheld).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public_output: bool,
    /// For a public version's file that matches: the items it withholds
    /// ([`public::withheld`]; empty when nothing is withheld).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Vec<String>>,
}

/// The line `minutebook verify` prints after a verified file's verdict: whether a later
/// meeting approved that version.
pub fn approval_line(answer: &VerifyAnswer) -> String {
    match &answer.approval {
        Some(a) => format!("Approval: {a}"),
        None => "Approval: none recorded — unapproved minutes".to_owned(),
    }
}

/// The version that replaced a verified one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Superseded {
    pub version: u32,
    pub signer: String,
    /// Unix milliseconds.
    pub signed_at: u64,
}

impl fmt::Display for Superseded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "superseded by version {} signed on {} by {}",
            self.version,
            format_utc(self.signed_at),
            escape(&self.signer)
        )
    }
}

/// The verdict on `file` given what the store answered for the version it names.
pub fn verdict_of(file: &str, answer: &VerifyAnswer) -> Verdict {
    let stored = answer
        .stored
        .as_ref()
        .map_or(Stored::NotFound, Stored::Found);
    if is_html_export(file) {
        check_html(file, stored, answer.html_sha256.as_deref())
    } else {
        check_with(file, stored)
    }
}

/// The verdict line `minutebook verify` prints: the verdict, and for a verified version
/// that a later one replaced, `VERIFIED — version N, superseded by version M signed on …`.
pub fn verdict_line(verdict: &Verdict, superseded: Option<&Superseded>) -> String {
    match (verdict, superseded) {
        (Verdict::Verified(s), Some(later)) => {
            let rest = verdict.to_string();
            let rest = rest.strip_prefix("VERIFIED: ").unwrap_or(&rest);
            format!("VERIFIED — version {}, {later}: {rest}", s.version)
        }
        _ => verdict.to_string(),
    }
}

/// The facts the store holds for version `info` of `meeting` (for `/api/verify`).
pub fn stored_facts(info: &VersionInfo, meeting: &str) -> StoredFacts {
    SignOff::of_version(info, meeting)
}

/// Why a file's sign-off block could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignOffError {
    #[error("no sign-off block (no line `{MARKER}`)")]
    NoBlock,
    #[error("the sign-off marker is not preceded by a `---` line and a blank line")]
    NoRule,
    #[error("the sign-off block has no \"{0}\" line")]
    Missing(&'static str),
    #[error("the sign-off block has two \"{0}\" lines")]
    Duplicate(&'static str),
    #[error("the sign-off block's \"{field}\" line is malformed ({why}): {line:?}")]
    Malformed {
        field: &'static str,
        why: &'static str,
        line: String,
    },
    #[error("unexpected line in or after the sign-off block: {0:?}")]
    Unexpected(String),
}

/// `markdown` (the canonical rendering) followed by the sign-off block for `s`.
///
/// The canonical export ends with a newline; a body without one still round-trips
/// through [`parse`] exactly.
pub fn render_markdown(markdown: &str, s: &SignOff) -> String {
    let mut out = String::with_capacity(markdown.len() + 256);
    out.push_str(markdown);
    out.push_str(SEPARATOR);
    out.push_str(MARKER);
    out.push('\n');
    out.push_str(&format!("{SIGNER}{}\n\n", escape(&s.signer)));
    out.push_str(&format!("{SIGNED_AT}{}\n\n", format_utc(s.signed_at)));
    out.push_str(&format!(
        "{VERSION}{}{OF_MEETING}{}`\n\n",
        s.version,
        escape(&s.meeting)
    ));
    out.push_str(&format!("{SHA256}{}`\n", s.sha256));
    out
}

/// Splits an exported file into the canonical Markdown (exactly as signed, if unaltered)
/// and the facts of its **last** sign-off block.
pub fn parse(file: &str) -> Result<(String, SignOff), SignOffError> {
    let (marker_at, block) = find_marker(file).ok_or(SignOffError::NoBlock)?;
    let before = &file[..marker_at];
    let body = if let Some(body) = before.strip_suffix(SEPARATOR) {
        body
    } else if let Some(body) = before.strip_suffix("\r\n---\r\n\r\n") {
        // A file whose line endings were converted: parse it, so that the hash check can
        // say it was altered.
        body
    } else {
        return Err(SignOffError::NoRule);
    };
    let facts = parse_block(block)?;
    Ok((body.to_string(), facts))
}

/// The byte offset of the last line equal to [`MARKER`], and the text after that line.
fn find_marker(file: &str) -> Option<(usize, &str)> {
    file.rmatch_indices(MARKER).find_map(|(at, _)| {
        let line_start = at == 0 || file[..at].ends_with('\n');
        let rest = &file[at + MARKER.len()..];
        let rest = rest.strip_prefix('\r').unwrap_or(rest);
        let after = if rest.is_empty() {
            Some(rest)
        } else {
            rest.strip_prefix('\n')
        };
        match (line_start, after) {
            (true, Some(after)) => Some((at, after)),
            _ => None,
        }
    })
}

fn parse_block(block: &str) -> Result<SignOff, SignOffError> {
    let mut signer = None;
    let mut signed_at = None;
    let mut version = None;
    let mut sha256 = None;
    let mut signed = None;
    for line in block.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        // A commitment block may follow (see `trust::commitment`); it is read there.
        if line == crate::trust::commitment::MARKER {
            break;
        }
        if let Some(v) = line.strip_prefix(SIGNER) {
            set(
                &mut signer,
                "Signed off by",
                unescape(v, "Signed off by", line)?,
            )?;
        } else if let Some(v) = line.strip_prefix(SIGNED_AT) {
            let at = parse_utc(v).ok_or_else(|| malformed("Signed at", DATE_FORMAT, line))?;
            set(&mut signed_at, "Signed at", at)?;
        } else if let Some(v) = line.strip_prefix(VERSION) {
            set(&mut version, "Version", parse_version(v, line)?)?;
        } else if line.starts_with(signature::LINE) {
            // Read by `signature::in_markdown`; here only one is allowed.
            set(&mut signed, "Signature", ())?;
        } else if let Some(v) = line.strip_prefix(SHA256) {
            let hex = v
                .strip_suffix('`')
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| malformed("SHA-256", "expected 64 hex digits in backticks", line))?;
            set(&mut sha256, "SHA-256", hex.to_ascii_lowercase())?;
        } else {
            return Err(SignOffError::Unexpected(line.to_string()));
        }
    }
    let (version, meeting) = version.ok_or(SignOffError::Missing("Version … of meeting"))?;
    Ok(SignOff {
        meeting,
        version,
        signer: signer.ok_or(SignOffError::Missing("Signed off by"))?,
        signed_at: signed_at.ok_or(SignOffError::Missing("Signed at"))?,
        sha256: sha256.ok_or(SignOffError::Missing("SHA-256"))?,
    })
}

fn set<T>(slot: &mut Option<T>, field: &'static str, value: T) -> Result<(), SignOffError> {
    if slot.replace(value).is_some() {
        return Err(SignOffError::Duplicate(field));
    }
    Ok(())
}

fn malformed(field: &'static str, why: &'static str, line: &str) -> SignOffError {
    SignOffError::Malformed {
        field,
        why,
        line: line.to_string(),
    }
}

/// `N of meeting `name`` → (N, name).
fn parse_version(v: &str, line: &str) -> Result<(u32, String), SignOffError> {
    const FIELD: &str = "Version";
    const WHY: &str = "expected: Version N of meeting `name`";
    let (number, rest) = v
        .split_once(OF_MEETING)
        .ok_or_else(|| malformed(FIELD, WHY, line))?;
    let number = number
        .parse::<u32>()
        .map_err(|_| malformed(FIELD, "the version is not a number", line))?;
    let name = rest
        .strip_suffix('`')
        .ok_or_else(|| malformed(FIELD, WHY, line))?;
    Ok((number, unescape(name, FIELD, line)?))
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(s: &str, field: &'static str, line: &str) -> Result<String, SignOffError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => {
                return Err(malformed(
                    field,
                    "a `\\` must be followed by `\\`, `n` or `r`",
                    line,
                ))
            }
        }
    }
    Ok(out)
}

/// What the server's store said about the version a file names.
#[derive(Clone, Copy, Debug)]
pub enum Stored<'a> {
    /// The stored facts of that version.
    Found(&'a StoredFacts),
    /// The store has no such version (or no such meeting).
    NotFound,
    /// The store was not (or could not be) consulted.
    Unchecked,
}

/// The outcome of checking an exported file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// (a) The file has no (readable) sign-off block.
    NoSignOff(SignOffError),
    /// (b) The text's SHA-256 is not the one the block carries: the file was altered.
    Altered {
        carried: SignOff,
        actual_sha256: String,
        /// Converting the file's CRLF line endings back to LF would make it match.
        line_endings_only: bool,
    },
    /// (c) The file is consistent with itself, but not with what the store holds for
    /// that version; `stored` is `None` when no such version is stored.
    NotAsStored {
        carried: SignOff,
        stored: Option<StoredFacts>,
    },
    /// (d) The file matches the hash it carries; the stored version was not checked.
    SelfConsistent(SignOff),
    /// (e) The file matches its hash and the stored version.
    Verified(SignOff),
    /// An HTML export whose facts match the stored version but whose bytes are not that
    /// version's HTML export: the file was altered.
    HtmlAltered {
        carried: SignOff,
        actual_sha256: String,
        expected_sha256: String,
    },
    /// An HTML export, not checked: only the stored version can vouch for its bytes.
    HtmlUnchecked(SignOff),
    /// The server found no stored version this file matches (it does not say why, so that
    /// a forged file learns nothing about what is stored).
    NoMatch(SignOff),
}

impl Verdict {
    /// Only a fully verified file passes.
    pub fn verified(&self) -> bool {
        matches!(self, Verdict::Verified(_))
    }

    /// A definite mismatch (a, b or c), as opposed to verified or not checkable.
    pub fn mismatch(&self) -> bool {
        matches!(
            self,
            Verdict::NoSignOff(_)
                | Verdict::Altered { .. }
                | Verdict::NotAsStored { .. }
                | Verdict::HtmlAltered { .. }
                | Verdict::NoMatch(_)
        )
    }

    /// The facts the file carries, when it has a readable block.
    pub fn carried(&self) -> Option<&SignOff> {
        match self {
            Verdict::NoSignOff(_) => None,
            Verdict::Altered { carried, .. }
            | Verdict::NotAsStored { carried, .. }
            | Verdict::HtmlAltered { carried, .. } => Some(carried),
            Verdict::SelfConsistent(s)
            | Verdict::Verified(s)
            | Verdict::HtmlUnchecked(s)
            | Verdict::NoMatch(s) => Some(s),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::NoSignOff(e) => write!(f, "DOES NOT MATCH: {e}"),
            Verdict::Altered {
                carried,
                actual_sha256,
                line_endings_only,
            } => {
                write!(
                    f,
                    "DOES NOT MATCH: the file was altered after sign-off: its text has SHA-256 \
                     {actual_sha256}, its sign-off block says {}",
                    carried.sha256
                )?;
                if *line_endings_only {
                    write!(f, " (only its line endings were changed to CRLF)")?;
                }
                Ok(())
            }
            Verdict::NotAsStored {
                carried,
                stored: None,
            } => write!(
                f,
                "DOES NOT MATCH: no version {} of meeting `{}` is stored",
                carried.version, carried.meeting
            ),
            Verdict::NotAsStored {
                carried,
                stored: Some(stored),
            } => write!(
                f,
                "DOES NOT MATCH: the stored version {} of meeting `{}` differs: {}",
                carried.version,
                carried.meeting,
                differences(carried, stored).join("; ")
            ),
            Verdict::SelfConsistent(s) => write!(
                f,
                "NOT VERIFIED: the file matches the SHA-256 it carries ({}), but it was not \
                 checked against the stored version {} of meeting `{}`",
                s.sha256, s.version, s.meeting
            ),
            Verdict::HtmlAltered {
                carried,
                actual_sha256,
                expected_sha256,
            } => write!(
                f,
                "DOES NOT MATCH: the file was altered after sign-off: it is not the HTML export \
                 of the stored version {} of meeting `{}` (its SHA-256 is {actual_sha256}, the \
                 export's is {expected_sha256})",
                carried.version,
                escape(&carried.meeting)
            ),
            Verdict::NoMatch(s) => write!(
                f,
                "DOES NOT MATCH: the server holds no signed version that this file matches \
                 (the file claims version {} of meeting `{}`, signed off by {} at {})",
                s.version,
                escape(&s.meeting),
                escape(&s.signer),
                format_utc(s.signed_at)
            ),
            Verdict::HtmlUnchecked(s) => write!(
                f,
                "NOT VERIFIED: an HTML export can only be checked against the stored version \
                 {} of meeting `{}`: pass --data-dir DIR or --server URL (or verify the \
                 Markdown export, which carries its own hash)",
                s.version,
                escape(&s.meeting)
            ),
            Verdict::Verified(s) => write!(
                f,
                "VERIFIED: version {} of meeting `{}`, signed off by {} at {}, SHA-256 {}",
                s.version,
                s.meeting,
                escape(&s.signer),
                format_utc(s.signed_at),
                s.sha256
            ),
        }
    }
}

/// The fields in which the carried facts differ from the stored ones, in words.
pub(crate) fn differences(carried: &SignOff, stored: &StoredFacts) -> Vec<String> {
    let mut out = Vec::new();
    if carried.meeting != stored.meeting {
        out.push(format!(
            "meeting `{}` in the file, `{}` stored",
            escape(&carried.meeting),
            escape(&stored.meeting)
        ));
    }
    if carried.version != stored.version {
        out.push(format!(
            "version {} in the file, {} stored",
            carried.version, stored.version
        ));
    }
    if !carried.sha256.eq_ignore_ascii_case(&stored.sha256) {
        out.push(format!(
            "SHA-256 {} in the file, {} stored",
            carried.sha256, stored.sha256
        ));
    }
    if carried.signer != stored.signer {
        out.push(format!(
            "signed off by {:?} in the file, {:?} stored",
            carried.signer, stored.signer
        ));
    }
    if carried.signed_at != stored.signed_at {
        out.push(format!(
            "signed at {} in the file, {} stored",
            format_utc(carried.signed_at),
            format_utc(stored.signed_at)
        ));
    }
    out
}

/// Checks an exported file against the hash it carries and, when given, the facts the
/// store holds for the version it names (`None`: not checked against the store).
pub fn check(file: &str, stored: Option<&StoredFacts>) -> Verdict {
    check_with(file, stored.map_or(Stored::Unchecked, Stored::Found))
}

/// [`check`], telling "no such version stored" apart from "store not consulted".
pub fn check_with(file: &str, stored: Stored<'_>) -> Verdict {
    let (body, carried) = match parse(file) {
        Ok(parsed) => parsed,
        Err(e) => return Verdict::NoSignOff(e),
    };
    let actual_sha256 = sha256_hex(body.as_bytes());
    if actual_sha256 != carried.sha256 {
        let line_endings_only = body.contains('\r')
            && sha256_hex(body.replace("\r\n", "\n").as_bytes()) == carried.sha256;
        return Verdict::Altered {
            carried,
            actual_sha256,
            line_endings_only,
        };
    }
    match stored {
        Stored::Unchecked => Verdict::SelfConsistent(carried),
        Stored::NotFound => Verdict::NotAsStored {
            carried,
            stored: None,
        },
        Stored::Found(facts) if differences(&carried, facts).is_empty() => {
            Verdict::Verified(carried)
        }
        Stored::Found(facts) => Verdict::NotAsStored {
            carried,
            stored: Some(facts.clone()),
        },
    }
}

const DATE_FORMAT: &str = "expected YYYY-MM-DD HH:MM:SS.mmm UTC";
/// Unix milliseconds as ISO 8601 (`2026-11-26T10:04:05.123Z`), for `<time datetime>`.
pub(crate) use crate::time::iso_utc_ms as iso_utc;
pub use crate::time::{format_utc, parse_utc};

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "# Board meeting\n\n- Series: Board\n\n## 1. Welcome\n\nHello.\n";

    fn facts(body: &str) -> SignOff {
        SignOff {
            meeting: "board-2026-11".into(),
            version: 1,
            signer: "Jane Chair".into(),
            signed_at: 1_795_687_445_123,
            sha256: sha256_hex(body.as_bytes()),
        }
    }

    #[test]
    fn round_trip_is_exact() {
        for body in [BODY, "no final newline", "", "\n\n", "a\n---\n\n"] {
            let s = facts(body);
            let file = render_markdown(body, &s);
            let (parsed, parsed_facts) = parse(&file).expect("parses");
            assert_eq!(parsed, body);
            assert_eq!(parsed_facts, s);
            assert_eq!(check(&file, Some(&s)), Verdict::Verified(s));
        }
    }

    #[test]
    fn odd_names_round_trip() {
        let mut s = facts(BODY);
        s.signer = "O'Brien \\ <b>\"x\"</b>\nsecond line `tick`".into();
        s.meeting = "a`b\\n".into();
        let (_, parsed) = parse(&render_markdown(BODY, &s)).expect("parses");
        assert_eq!(parsed, s);
        let footer = render_html_footer(&s);
        assert!(footer.contains("&lt;b&gt;"), "{footer}");
        assert!(!footer.contains("<b>"), "{footer}");
    }

    #[test]
    fn block_is_readable() {
        let file = render_markdown(BODY, &facts(BODY));
        let block = &file[BODY.len()..];
        assert!(
            block.starts_with("\n---\n\n<!-- minutebook:sign-off -->\n"),
            "{block}"
        );
        assert!(block.contains("Signed off by Jane Chair\n"), "{block}");
        assert!(block.contains("Signed at 2026-11-26 "), "{block}");
        assert!(
            block.contains("Version 1 of meeting `board-2026-11`\n"),
            "{block}"
        );
        assert!(block.contains(&format!("SHA-256: `{}`", sha256_hex(BODY.as_bytes()))));
    }

    #[test]
    fn last_marker_wins() {
        let body = format!("# Quote\n\n{MARKER}\nSigned off by Mallory\n");
        let s = facts(&body);
        let (parsed, parsed_facts) = parse(&render_markdown(&body, &s)).expect("parses");
        assert_eq!(parsed, body);
        assert_eq!(parsed_facts, s);
    }

    #[test]
    fn one_changed_byte_in_the_body_fails() {
        let s = facts(BODY);
        let file = render_markdown(BODY, &s);
        let altered = file.replacen("Hello.", "Hellp.", 1);
        let verdict = check(&altered, Some(&s));
        assert!(matches!(verdict, Verdict::Altered { .. }), "{verdict}");
        assert!(verdict.mismatch());
        assert!(verdict
            .to_string()
            .starts_with("DOES NOT MATCH: the file was altered"));
    }

    #[test]
    fn crlf_conversion_is_named() {
        let s = facts(BODY);
        let file = render_markdown(BODY, &s).replace('\n', "\r\n");
        let verdict = check(&file, Some(&s));
        assert!(
            matches!(
                verdict,
                Verdict::Altered {
                    line_endings_only: true,
                    ..
                }
            ),
            "{verdict}"
        );
        assert!(verdict.to_string().contains("CRLF"));
    }

    #[test]
    fn a_changed_hash_line_fails() {
        let s = facts(BODY);
        let file = render_markdown(BODY, &s);
        let other = sha256_hex(b"something else");
        let forged = file.replace(&s.sha256, &other);
        // The body no longer matches the carried hash.
        assert!(matches!(check(&forged, Some(&s)), Verdict::Altered { .. }));
        // Body and hash changed together: consistent with itself, not with the store.
        let forged = render_markdown("# Forged\n", &facts("# Forged\n"));
        let verdict = check(&forged, Some(&s));
        assert!(matches!(verdict, Verdict::NotAsStored { .. }), "{verdict}");
        assert!(verdict.to_string().contains("SHA-256"), "{verdict}");
        // A hash line that is not a hash.
        let broken = file.replace(&s.sha256, "xyz");
        assert!(matches!(
            parse(&broken),
            Err(SignOffError::Malformed {
                field: "SHA-256",
                ..
            })
        ));
    }

    #[test]
    fn stored_mismatch_fails() {
        let s = facts(BODY);
        let file = render_markdown(BODY, &s);
        let mut stored = s.clone();
        stored.signer = "Someone Else".into();
        stored.signed_at += 60_000;
        let verdict = check(&file, Some(&stored));
        assert!(matches!(verdict, Verdict::NotAsStored { .. }));
        let text = verdict.to_string();
        assert!(
            text.contains("Someone Else") && text.contains("signed at"),
            "{text}"
        );
        let verdict = check_with(&file, Stored::NotFound);
        assert!(verdict.mismatch());
        assert!(
            verdict.to_string().contains("no version 1 of meeting"),
            "{verdict}"
        );
        let verdict = check(&file, None);
        assert_eq!(verdict, Verdict::SelfConsistent(s));
        assert!(!verdict.verified() && !verdict.mismatch());
    }

    #[test]
    fn missing_block_or_fields() {
        assert_eq!(check(BODY, None), Verdict::NoSignOff(SignOffError::NoBlock));
        let file = render_markdown(BODY, &facts(BODY));
        let no_signer: String = file
            .lines()
            .filter(|l| !l.starts_with("Signed off by"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            parse(&no_signer).map(|_| ()),
            Err(SignOffError::Missing("Signed off by"))
        );
        let no_rule = file.replace("\n---\n", "\n");
        assert_eq!(parse(&no_rule).map(|_| ()), Err(SignOffError::NoRule));
        let appended = format!("{file}\nInjected text\n");
        assert!(matches!(parse(&appended), Err(SignOffError::Unexpected(_))));
        let doubled = file.replace(
            "Version 1",
            "Signed at 2026-01-01 00:00:00.000 UTC\n\nVersion 1",
        );
        assert_eq!(
            parse(&doubled).map(|_| ()),
            Err(SignOffError::Duplicate("Signed at"))
        );
    }
}
