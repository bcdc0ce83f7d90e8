//! The signature a signed version's PDF or Word file carries, so that `minutebook verify
//! --key KEYS FILE` checks it offline.
//!
//! The server signs an [`OutputClaim`]'s statement ([`statement`]: the meeting, the
//! version, the kind of file, the file's SHA-256 as frozen after sign-off, and the
//! canonical Markdown's SHA-256) and puts the claim in the file as it is downloaded,
//! where the format lets a reader ignore it:
//!
//! - a PDF gets one comment line after its end, `\n%minutebook-signature: …\n` (PDF
//!   readers read from the last `%%EOF`; a comment is never content);
//! - a Word file (a ZIP archive) gets it as the archive's comment (the end-of-central-
//!   directory record's, which Word ignores).
//!
//! [`split`] takes it out again: the rest is, byte for byte, the file frozen after
//! sign-off, which is what the statement's hash covers and what the server's store holds.
//! Everything read from a file is bounded: the claim is looked for only in the last
//! [`MAX_LINE`] bytes and parsed field by field.

use serde::{Deserialize, Serialize};

use super::signature::Carried;
use crate::trust::sha256_hex;

/// How the claim starts.
pub const PREFIX: &str = "minutebook-signature: ";
/// The longest claim line.
pub const MAX_LINE: usize = 1024;
/// The end-of-central-directory record's signature, and its length without comment.
const EOCD: &[u8; 4] = b"PK\x05\x06";
const EOCD_LEN: usize = 22;

/// A signed version's output: which file it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    Pdf,
    Docx,
}

impl OutputKind {
    /// Both kinds.
    pub const ALL: [OutputKind; 2] = [OutputKind::Pdf, OutputKind::Docx];

    /// The file extension: `pdf` or `docx`.
    pub fn ext(self) -> &'static str {
        match self {
            OutputKind::Pdf => "pdf",
            OutputKind::Docx => "docx",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            OutputKind::Pdf => "application/pdf",
            OutputKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            OutputKind::Pdf => "PDF",
            OutputKind::Docx => "Word document",
        }
    }

    /// The kind a file's first bytes announce (`%PDF-`, or a ZIP archive for Word).
    pub fn sniff(bytes: &[u8]) -> Option<OutputKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(OutputKind::Pdf)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(OutputKind::Docx)
        } else {
            None
        }
    }

    fn parse(s: &str) -> Option<OutputKind> {
        OutputKind::ALL.into_iter().find(|k| k.ext() == s)
    }
}

/// Which rendering of a version an output is: of the full version, or of its public
/// version (exempt items withheld).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Full,
    Public,
}

impl Scope {
    /// `full` or `public`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Full => "full",
            Scope::Public => "public",
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        [Scope::Full, Scope::Public]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// How an output of this scope is named: "PDF", "public PDF".
    pub fn label(self, kind: OutputKind) -> String {
        match self {
            Scope::Full => kind.label().to_owned(),
            Scope::Public => format!("public {}", kind.label()),
        }
    }
}

/// What the server says of a file it renders: it is the `kind` output (of `scope`) of
/// `version` of `meeting`, whose canonical Markdown hashes to `markdown_sha256`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputClaim {
    pub meeting: String,
    pub version: u32,
    pub kind: OutputKind,
    pub scope: Scope,
    pub markdown_sha256: String,
    /// The signature over [`statement`] (its `html_sha256` unused).
    pub carried: Carried,
}

/// The exact bytes signed for an output whose frozen bytes hash to `sha256`.
pub fn statement(
    meeting: &str,
    version: u32,
    kind: OutputKind,
    scope: Scope,
    sha256: &str,
    markdown_sha256: &str,
) -> Vec<u8> {
    format!(
        "minutebook signed output\nform: 1\nmeeting: {meeting}\nversion: {version}\nkind: {}\n\
         scope: {}\nsha256: {}\nmarkdown-sha256: {}\n",
        kind.ext(),
        scope.as_str(),
        sha256.to_ascii_lowercase(),
        markdown_sha256.to_ascii_lowercase()
    )
    .into_bytes()
}

impl OutputClaim {
    /// The statement this claim's signature must cover, for a file whose frozen bytes are
    /// `frozen`.
    pub fn statement_for(&self, frozen: &[u8]) -> Vec<u8> {
        statement(
            &self.meeting,
            self.version,
            self.kind,
            self.scope,
            &sha256_hex(frozen),
            &self.markdown_sha256,
        )
    }

    /// `minutebook-signature: form=1 meeting=… version=… kind=… scope=… markdown-sha256=…
    /// token=…`.
    pub fn line(&self) -> String {
        format!(
            "{PREFIX}form=1 meeting={} version={} kind={} scope={} markdown-sha256={} token={}",
            self.meeting,
            self.version,
            self.kind.ext(),
            self.scope.as_str(),
            self.markdown_sha256.to_ascii_lowercase(),
            self.carried.token()
        )
    }

    /// Reads a [`OutputClaim::line`]; `None` when malformed.
    pub fn parse_line(line: &str) -> Option<OutputClaim> {
        if line.len() > MAX_LINE {
            return None;
        }
        let mut fields = line.strip_prefix(PREFIX)?.split(' ');
        let mut field = |name: &str| {
            fields
                .next()
                .and_then(|f| f.strip_prefix(name))
                .and_then(|f| f.strip_prefix('='))
        };
        if field("form")? != "1" {
            return None;
        }
        let meeting = field("meeting")?;
        let version = field("version")?.parse().ok()?;
        let kind = OutputKind::parse(field("kind")?)?;
        let scope = Scope::parse(field("scope")?)?;
        let markdown_sha256 = field("markdown-sha256")?;
        let carried = Carried::parse_token(field("token")?)?;
        let valid_name = (1..=128).contains(&meeting.len())
            && meeting
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        let hex =
            markdown_sha256.len() == 64 && markdown_sha256.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid_name || !hex || fields.next().is_some() {
            return None;
        }
        Some(OutputClaim {
            meeting: meeting.to_owned(),
            version,
            kind,
            scope,
            markdown_sha256: markdown_sha256.to_ascii_lowercase(),
            carried,
        })
    }
}

/// `frozen` (an output as stored) carrying `claim`; `None` for a Word file whose end is
/// not a plain end-of-central-directory record (it has a comment already).
pub fn attach(frozen: &[u8], claim: &OutputClaim) -> Option<Vec<u8>> {
    let line = claim.line();
    match claim.kind {
        OutputKind::Pdf => {
            let mut out = Vec::with_capacity(frozen.len() + line.len() + 3);
            out.extend_from_slice(frozen);
            out.extend_from_slice(b"\n%");
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
            Some(out)
        }
        OutputKind::Docx => {
            let at = frozen.len().checked_sub(EOCD_LEN)?;
            if &frozen[at..at + 4] != EOCD || frozen[frozen.len() - 2..] != [0, 0] {
                return None;
            }
            let len = u16::try_from(line.len()).ok()?;
            let mut out = Vec::with_capacity(frozen.len() + line.len());
            out.extend_from_slice(&frozen[..frozen.len() - 2]);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(line.as_bytes());
            Some(out)
        }
    }
}

/// What a file carries: the file without its claim (the output as frozen), and the claim
/// — `None` when it carries none, `Some(None)` when what it carries is malformed.
pub fn split(file: &[u8]) -> (&[u8], Option<Option<OutputClaim>>) {
    match OutputKind::sniff(file) {
        Some(OutputKind::Pdf) => split_pdf(file),
        Some(OutputKind::Docx) => split_docx(file)
            .map(|(frozen, claim)| (frozen, Some(claim)))
            .unwrap_or((file, None)),
        None => (file, None),
    }
}

fn split_pdf(file: &[u8]) -> (&[u8], Option<Option<OutputClaim>>) {
    let marker = format!("\n%{PREFIX}");
    let tail_from = file.len().saturating_sub(MAX_LINE + marker.len() + 1);
    let tail = &file[tail_from..];
    let Some(at) = rfind(tail, marker.as_bytes()) else {
        return (file, None);
    };
    let line = &tail[at + 2..];
    // The claim is the file's last line, whole.
    let Some(line) = line.strip_suffix(b"\n") else {
        return (file, None);
    };
    if line.contains(&b'\n') {
        return (file, None);
    }
    let claim = std::str::from_utf8(line)
        .ok()
        .and_then(OutputClaim::parse_line);
    (&file[..tail_from + at], Some(claim))
}

/// A Word file whose archive comment is a claim: the file up to the comment's length
/// field (frozen, that field was 0: [`frozen`] puts the zeros back), and the claim.
fn split_docx(file: &[u8]) -> Option<(&[u8], Option<OutputClaim>)> {
    let tail_from = file.len().saturating_sub(MAX_LINE + EOCD_LEN);
    let tail = &file[tail_from..];
    let at = rfind(tail, EOCD)?;
    let record = &tail[at..];
    if record.len() < EOCD_LEN {
        return None;
    }
    let comment_len = usize::from(u16::from_le_bytes([record[20], record[21]]));
    let comment = &record[EOCD_LEN..];
    if comment.len() != comment_len || !comment.starts_with(PREFIX.as_bytes()) {
        return None;
    }
    let claim = std::str::from_utf8(comment)
        .ok()
        .and_then(OutputClaim::parse_line);
    // Up to (not including) the comment length field.
    Some((&file[..tail_from + at + 20], claim))
}

/// The bytes frozen after sign-off of a file [`split`] split: a Word file's frozen
/// archive ends in a zero comment length, which the split-off prefix lacks.
pub fn frozen(file: &[u8]) -> (Vec<u8>, Option<Option<OutputClaim>>) {
    let (prefix, claim) = split(file);
    let mut bytes = prefix.to_vec();
    if claim.is_some() && OutputKind::sniff(file) == Some(OutputKind::Docx) {
        bytes.extend_from_slice(&[0, 0]);
    }
    (bytes, claim)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claim(kind: OutputKind) -> OutputClaim {
        OutputClaim {
            meeting: "board-2026-03".into(),
            version: 2,
            kind,
            scope: Scope::Public,
            markdown_sha256: "ab".repeat(32),
            carried: Carried {
                key_id: "0123456789abcdef".into(),
                html_sha256: None,
                signature: "c2lnbmF0dXJl".into(),
            },
        }
    }

    /// A minimal archive end: a local header, then an end record without comment.
    fn docx() -> Vec<u8> {
        let mut z = b"PK\x03\x04 some archive bytes".to_vec();
        z.extend_from_slice(EOCD);
        z.extend_from_slice(&[0; EOCD_LEN - 4]);
        z
    }

    #[test]
    fn a_claim_comes_out_as_it_went_in() {
        let pdf = b"%PDF-1.7\n...\n%%EOF\n".to_vec();
        for (file, kind) in [(pdf, OutputKind::Pdf), (docx(), OutputKind::Docx)] {
            let c = claim(kind);
            let signed = attach(&file, &c).expect("attached");
            assert_ne!(signed, file);
            let (frozen, found) = frozen(&signed);
            assert_eq!(frozen, file, "{kind:?}");
            assert_eq!(found, Some(Some(c.clone())));
            assert_eq!(OutputClaim::parse_line(&c.line()), Some(c));
            // A file without a claim is itself.
            assert_eq!(super::frozen(&file), (file.clone(), None));
        }
    }

    #[test]
    fn only_a_whole_last_line_or_the_whole_comment_counts() {
        let c = claim(OutputKind::Pdf);
        let mut signed = attach(b"%PDF-1.7\n%%EOF\n", &c).expect("attached");
        signed.extend_from_slice(b"% more\n");
        assert_eq!(split(&signed), (&signed[..], None));
        let mut bad = attach(b"%PDF-1.7\n%%EOF\n", &c).expect("attached");
        let n = bad.len();
        bad[n - 5] = b'!';
        let (frozen, found) = split(&bad);
        assert_eq!(frozen, b"%PDF-1.7\n%%EOF\n");
        assert_eq!(found, Some(None), "malformed");
        let mut z = attach(&docx(), &claim(OutputKind::Docx)).expect("attached");
        z.push(b'x');
        assert_eq!(
            frozen_docx_len(&z),
            None,
            "the comment length no longer fits"
        );
        assert!(
            attach(&z, &claim(OutputKind::Docx)).is_none(),
            "has a comment"
        );
    }

    fn frozen_docx_len(file: &[u8]) -> Option<usize> {
        split_docx(file).map(|(p, _)| p.len())
    }

    #[test]
    fn the_statement_names_everything() {
        let s = String::from_utf8(claim(OutputKind::Docx).statement_for(b"x")).expect("text");
        assert!(s.contains("meeting: board-2026-03\nversion: 2\nkind: docx\nscope: public\n"));
        assert!(s.contains(&format!("sha256: {}\n", sha256_hex(b"x"))));
        assert!(s.ends_with(&format!("markdown-sha256: {}\n", "ab".repeat(32))));
    }

    proptest! {
        #[test]
        fn any_bytes_split_without_panicking(head in prop::sample::select(vec![&b"%PDF-"[..], b"PK\x03\x04", b""]),
                                             body in prop::collection::vec(any::<u8>(), 0..3000)) {
            let mut file = head.to_vec();
            file.extend_from_slice(&body);
            let (frozen, _) = super::frozen(&file);
            prop_assert!(frozen.len() <= file.len());
        }

        #[test]
        fn any_line_parses_without_panicking(line in ".{0,400}") {
            let _ = OutputClaim::parse_line(&format!("{PREFIX}{line}"));
        }
    }
}
