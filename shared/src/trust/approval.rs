//! Approval at the next meeting: UK minutes become the approved record when the next
//! meeting of the series agrees them "as a correct record" (or "subject to amendments",
//! when the previous meeting's chair reopens, applies them and signs a new version, which
//! the resolution then agrees).
//!
//! An [`Approval`] is the resolution of the approving meeting on one signed version of the
//! previous meeting, bound to that version's SHA-256. The server stores it once, as its
//! own record next to the frozen version files (never a change to their bytes), in the
//! same transaction as the approving meeting's ledger (`Ledger::resolutions`); the approved
//! meeting's ledger shows it (`Ledger::approvals`), read from that record. It is signed
//! with the server's key like a version ([`Approval::statement`]; the signature is kept
//! beside it, as a version's is).

use serde::{Deserialize, Serialize};

use super::{Ledger, Stamp};
use crate::signoff::escape;

/// What the approving meeting resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// "agreed as a correct record".
    CorrectRecord,
    /// "agreed subject to amendments": approved once the amended version is signed.
    SubjectToAmendments,
}

impl Resolution {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::CorrectRecord => "correct-record",
            Resolution::SubjectToAmendments => "subject-to-amendments",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Resolution> {
        [Resolution::CorrectRecord, Resolution::SubjectToAmendments]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// How the minutes say it: "agreed as a correct record".
    pub fn words(self) -> &'static str {
        match self {
            Resolution::CorrectRecord => "agreed as a correct record",
            Resolution::SubjectToAmendments => "agreed as a correct record subject to amendments",
        }
    }
}

/// The meeting at which minutes were approved.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApprovingMeeting {
    /// Document name.
    pub meeting: String,
    /// Its title.
    pub title: String,
    /// Its date as its header gives it (may be empty).
    #[serde(default)]
    pub date: String,
}

/// The signed version that completed an approval subject to amendments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmendedVersion {
    pub version: u32,
    /// Hex SHA-256 of its canonical Markdown.
    pub sha256: String,
    /// Who signed it, and when.
    pub signed: Stamp,
}

/// A later meeting's resolution on one signed version of a meeting's minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The meeting whose minutes were resolved on (document name).
    pub meeting: String,
    /// The signed version resolved on.
    pub version: u32,
    /// Its hex SHA-256.
    pub sha256: String,
    pub resolution: Resolution,
    /// The amendments agreed (subject to amendments only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub amendments: String,
    /// Where it was resolved.
    pub at: ApprovingMeeting,
    /// Who recorded it (the approving meeting's chair), and when.
    pub stamp: Stamp,
    /// Subject to amendments: the amended version, once the meeting's chair signed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amended: Option<AmendedVersion>,
}

impl Approval {
    /// The record key: one approval per meeting and version resolved on.
    pub fn key(&self) -> String {
        record_key(&self.meeting, self.version)
    }

    /// The version this makes the approved record, with its hash: the version resolved
    /// on when agreed as a correct record; the amended version once it is signed.
    pub fn approved_version(&self) -> Option<(u32, &str)> {
        match self.resolution {
            Resolution::CorrectRecord => Some((self.version, &self.sha256)),
            Resolution::SubjectToAmendments => self
                .amended
                .as_ref()
                .map(|a| (a.version, a.sha256.as_str())),
        }
    }

    /// The exact bytes the server signs: a versioned, line-based text (names escaped, so
    /// no value can add a line). Signed again when the amended version completes it.
    pub fn statement(&self) -> Vec<u8> {
        let (approved, approved_sha) = match self.approved_version() {
            Some((v, sha)) => (v.to_string(), sha.to_ascii_lowercase()),
            None => ("-".to_owned(), "-".to_owned()),
        };
        format!(
            "minutebook approval\nform: 1\nmeeting: {}\nversion: {}\nsha256: {}\n\
             resolution: {}\namendments: {}\nat-meeting: {}\nat-title: {}\nat-date: {}\n\
             recorded-by: {}\nrecorded-at: {}\napproved-version: {approved}\n\
             approved-sha256: {approved_sha}\n",
            escape(&self.meeting),
            self.version,
            self.sha256.to_ascii_lowercase(),
            self.resolution.as_str(),
            escape(&self.amendments),
            escape(&self.at.meeting),
            escape(&self.at.title),
            escape(&self.at.date),
            escape(&self.stamp.by),
            self.stamp.at,
        )
        .into_bytes()
    }

    /// "Approved at Board — March on 11 March 2026", or for a resolution subject to
    /// amendments not yet completed, "Amendments agreed at Board — March on …".
    pub fn describe(&self) -> String {
        let on = if self.at.date.trim().is_empty() {
            String::new()
        } else {
            format!(" on {}", self.at.date.trim())
        };
        let title = if self.at.title.trim().is_empty() {
            &self.at.meeting
        } else {
            self.at.title.trim()
        };
        match self.approved_version() {
            Some(_) => format!("Approved at {title}{on}"),
            None => format!("Amendments agreed at {title}{on}"),
        }
    }
}

/// The first line of an approval record file ([`Approval::file`]).
pub const FILE_MARKER: &str = "<!-- minutebook:approval -->";
/// The prefix of its signature line.
const SIGNATURE_LINE: &str = "Signature: `";

impl Approval {
    /// The approval as a file anyone can keep and check offline (`minutebook verify --key
    /// KEYS FILE`): [`FILE_MARKER`], the signed statement, then (when signed) the line
    /// ``Signature: `TOKEN` `` (the token as a version's, `ed25519:KEY-ID:-:BASE64`).
    pub fn file(&self, token: Option<&str>) -> String {
        let mut out = format!("{FILE_MARKER}\n");
        out.push_str(&String::from_utf8_lossy(&self.statement()));
        if let Some(token) = token {
            out.push_str(&format!("{SIGNATURE_LINE}{token}`\n"));
        }
        out
    }
}

/// An approval record file, read back: the exact statement bytes, the signature token
/// (if any) and the statement's fields in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalFile {
    pub statement: Vec<u8>,
    pub token: Option<String>,
    pub fields: Vec<(String, String)>,
}

impl ApprovalFile {
    /// A field's value as the statement gives it (escaped).
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Reads an approval record file; `None` when it is not one (no marker first, no
/// statement header, or anything after the signature line).
pub fn parse_file(text: &str) -> Option<ApprovalFile> {
    let rest = text.strip_prefix(FILE_MARKER)?.strip_prefix('\n')?;
    if !rest.starts_with("minutebook approval\nform: 1\n") {
        return None;
    }
    let (statement, token) = match rest.find(&format!("\n{SIGNATURE_LINE}")) {
        Some(at) => {
            let line = &rest[at + 1..];
            let token = line
                .strip_prefix(SIGNATURE_LINE)?
                .strip_suffix("`\n")
                .filter(|t| !t.contains(['`', '\n']))?;
            (&rest[..=at], Some(token.to_owned()))
        }
        None => (rest, None),
    };
    let fields = statement
        .lines()
        .skip(1)
        .map(|l| {
            let (k, v) = l.split_once(": ")?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ApprovalFile {
        statement: statement.as_bytes().to_vec(),
        token,
        fields,
    })
}

/// The record key of the approval of `version` of `meeting`.
pub fn record_key(meeting: &str, version: u32) -> String {
    format!("{meeting}/{version:010}")
}

/// The longest amendments text accepted, in characters.
pub const MAX_AMENDMENTS: usize = 20_000;

/// Where a meeting's minutes stand: Draft → Signed (unapproved) → Approved. The one
/// place that says it; the list, the meeting page, the reading view, exports and `verify`
/// show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// Never signed.
    Draft,
    /// A draft again after version `after` was signed.
    Reopened { after: u32 },
    /// Signed off, not (yet) approved by a later meeting. `amendments`: a later meeting
    /// agreed it subject to amendments (what it says, e.g. "Amendments agreed at …").
    Signed {
        version: u32,
        amendments: Option<String>,
    },
    /// Signed off and approved as the correct record ("Approved at … on …").
    Approved { version: u32, approval: String },
}

impl Lifecycle {
    /// The lifecycle of the meeting whose ledger is `ledger`.
    pub fn of(ledger: &Ledger) -> Lifecycle {
        let Some(latest) = ledger.versions.last() else {
            return Lifecycle::Draft;
        };
        if !ledger.signed() {
            return Lifecycle::Reopened {
                after: latest.version,
            };
        }
        if let Some(a) = ledger.approval_of(latest.version, &latest.sha256) {
            return Lifecycle::Approved {
                version: latest.version,
                approval: a.describe(),
            };
        }
        let amendments = ledger
            .approvals
            .iter()
            .rev()
            .find(|a| a.amended.is_none() && a.resolution == Resolution::SubjectToAmendments)
            .map(Approval::describe);
        Lifecycle::Signed {
            version: latest.version,
            amendments,
        }
    }

    /// Whether the minutes are approved.
    pub fn approved(&self) -> bool {
        matches!(self, Lifecycle::Approved { .. })
    }

    /// Whether a later meeting may resolve on them now: signed, neither approved nor
    /// waiting for the version that applies agreed amendments.
    pub fn open_for_resolution(&self) -> bool {
        matches!(
            self,
            Lifecycle::Signed {
                amendments: None,
                ..
            }
        )
    }

    /// A short status for lists and the API's `status`: `draft`, `reopened`,
    /// `signed off vN (unapproved)`, `signed off vN (approved)`.
    pub fn short(&self) -> String {
        match self {
            Lifecycle::Draft => "draft".into(),
            Lifecycle::Reopened { .. } => "reopened".into(),
            Lifecycle::Signed { version, .. } => format!("signed off v{version} (unapproved)"),
            Lifecycle::Approved { version, .. } => format!("signed off v{version} (approved)"),
        }
    }

    /// What a person reads: "Draft", "Signed (unapproved) — version 2", "Approved at Board —
    /// March on 11 March 2026 — version 2".
    pub fn label(&self) -> String {
        match self {
            Lifecycle::Draft => "Draft".into(),
            Lifecycle::Reopened { after } => {
                format!("Draft (reopened after version {after})")
            }
            Lifecycle::Signed {
                version,
                amendments: None,
            } => format!("Signed (unapproved) — version {version}"),
            Lifecycle::Signed {
                version,
                amendments: Some(a),
            } => format!("Signed (unapproved) — version {version}; {a}"),
            Lifecycle::Approved { version, approval } => {
                format!("{approval} — version {version}")
            }
        }
    }
}

impl Ledger {
    /// The approval that makes version `version` (hashing to `sha256`) the approved record.
    pub fn approval_of(&self, version: u32, sha256: &str) -> Option<&Approval> {
        self.approvals.iter().rev().find(|a| {
            a.approved_version()
                .is_some_and(|(v, sha)| v == version && sha.eq_ignore_ascii_case(sha256))
        })
    }

    /// The resolution on version `version` still waiting for its amended version.
    pub fn pending_amendments(&self) -> Option<&Approval> {
        self.approvals
            .iter()
            .rev()
            .find(|a| a.resolution == Resolution::SubjectToAmendments && a.amended.is_none())
    }

    /// Sets `approval` in `approvals` (or `resolutions`): replaces the one for the same
    /// meeting and version, else appends. Whether anything changed.
    pub fn note_approval(list: &mut Vec<Approval>, approval: Approval) -> bool {
        match list
            .iter_mut()
            .find(|a| a.meeting == approval.meeting && a.version == approval.version)
        {
            Some(same) if *same == approval => false,
            Some(same) => {
                *same = approval;
                true
            }
            None => {
                list.push(approval);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::{LockState, Readiness, VersionInfo};

    fn signed(n: u32, sha: &str) -> Ledger {
        Ledger {
            state: LockState::Signed,
            versions: (1..=n)
                .map(|v| VersionInfo {
                    version: v,
                    signed: Stamp::default(),
                    sha256: if v == n {
                        sha.into()
                    } else {
                        format!("old{v}")
                    },
                    override_reason: String::new(),
                    readiness: Readiness::default(),
                    withheld: None,
                })
                .collect(),
            ..Ledger::default()
        }
    }

    fn approval(version: u32, sha: &str, resolution: Resolution) -> Approval {
        Approval {
            meeting: "board-jan".into(),
            version,
            sha256: sha.into(),
            resolution,
            amendments: String::new(),
            at: ApprovingMeeting {
                meeting: "board-feb".into(),
                title: "Board — February".into(),
                date: "11 February 2026".into(),
            },
            stamp: Stamp::default(),
            amended: None,
        }
    }

    #[test]
    fn the_lifecycle_runs_draft_signed_approved() {
        let mut ledger = Ledger::default();
        assert_eq!(Lifecycle::of(&ledger), Lifecycle::Draft);
        ledger = signed(1, "aa");
        assert_eq!(Lifecycle::of(&ledger).short(), "signed off v1 (unapproved)");
        ledger
            .approvals
            .push(approval(1, "aa", Resolution::CorrectRecord));
        let l = Lifecycle::of(&ledger);
        assert!(l.approved());
        assert_eq!(
            l.label(),
            "Approved at Board — February on 11 February 2026 — version 1"
        );
        // An approval of another hash approves nothing.
        let mut other = signed(1, "bb");
        other.approvals = ledger.approvals.clone();
        assert!(!Lifecycle::of(&other).approved());
        // Reopened: a draft again.
        ledger.state = LockState::Draft;
        assert_eq!(Lifecycle::of(&ledger), Lifecycle::Reopened { after: 1 });
    }

    #[test]
    fn amendments_approve_the_amended_version_once_signed() {
        let mut ledger = signed(1, "aa");
        ledger
            .approvals
            .push(approval(1, "aa", Resolution::SubjectToAmendments));
        let l = Lifecycle::of(&ledger);
        assert!(!l.approved());
        assert!(
            l.label().contains("Amendments agreed at Board — February"),
            "{l:?}"
        );
        ledger = Ledger {
            approvals: ledger.approvals,
            ..signed(2, "cc")
        };
        ledger.approvals[0].amended = Some(AmendedVersion {
            version: 2,
            sha256: "cc".into(),
            signed: Stamp::default(),
        });
        assert!(Lifecycle::of(&ledger).approved());
        assert_eq!(Lifecycle::of(&ledger).short(), "signed off v2 (approved)");
    }

    #[test]
    fn an_approval_file_reads_back_its_exact_statement() {
        let mut a = approval(2, "ab", Resolution::CorrectRecord);
        a.at.title = "Board `x` — Feb\nSignature: `forged`".into();
        let file = a.file(Some("ed25519:0123456789abcdef:-:AAAA"));
        let read = parse_file(&file).expect("reads");
        assert_eq!(read.statement, a.statement());
        assert_eq!(
            read.token.as_deref(),
            Some("ed25519:0123456789abcdef:-:AAAA")
        );
        assert_eq!(read.field("version"), "2");
        assert_eq!(read.field("resolution"), "correct-record");
        let unsigned = parse_file(&a.file(None)).expect("reads");
        assert_eq!(unsigned.token, None);
        assert_eq!(unsigned.statement, a.statement());
        // Anything added after the signature, or before the marker, is not an approval file.
        assert!(parse_file(&format!("{file}more\n")).is_none());
        assert!(parse_file(&format!(" {file}")).is_none());
    }

    #[test]
    fn the_statement_escapes_every_value_onto_one_line() {
        let mut a = approval(1, "AA", Resolution::SubjectToAmendments);
        a.amendments = "line one\nsha256: forged".into();
        let text = String::from_utf8(a.statement()).unwrap_or_default();
        assert_eq!(text.lines().count(), 14, "{text}");
        assert!(text.contains("sha256: aa\n") && text.contains("approved-version: -\n"));
        assert_eq!(
            Resolution::parse("correct-record"),
            Some(Resolution::CorrectRecord)
        );
        assert_eq!(Resolution::parse("nope"), None);
    }
}
