//! Signatures anyone can check offline: what the server signs for a signed version (a
//! [`Statement`]: the sign-off facts, the canonical Markdown's SHA-256 and the frozen HTML
//! page's), and how an export carries the signature.
//!
//! A version with a public version (exempt items withheld, M7) is signed in **form 2**,
//! which adds the public Markdown's SHA-256 and the per-item commitment's root
//! ([`crate::trust::commitment`]); every other version keeps form 1, byte for byte, so
//! signatures made before form 2 keep verifying. (How an export carries the two extra
//! values for an offline check is not decided yet: the commitment block carries the
//! root's inputs, and a verifier recomputes both from a public file.)
//!
//! - A Markdown export carries it as one more line of its sign-off block:
//!   ``Signature: `ed25519:KEY-ID:HTML-SHA256:BASE64` `` (the HTML hash is `-` when the
//!   version has no frozen page). The canonical Markdown, which the hash covers, ends
//!   before the block, so the line changes nothing that is hashed.
//! - An HTML export carries it as the footer's last paragraph,
//!   `<p data-minutebook="signature">…</p>`, added when the page is downloaded: the page
//!   frozen at sign-off is the file without that paragraph ([`strip_html`]), and that is
//!   what the statement's HTML hash covers.
//!
//! Checking the Ed25519 signature itself needs the public key, published by the server
//! (`GET /api/signing-keys`); the key id is the first 16 hex digits of the SHA-256 of the
//! 32 public-key bytes ([`key_id`]). This module holds the formats only; the crypto is the
//! server's.

use serde::{Deserialize, Serialize};

use crate::trust::sha256_hex;

use super::{escape, SignOff};

/// The only algorithm so far.
pub const ALGORITHM: &str = "ed25519";
/// The prefix of the Markdown block's signature line.
pub const LINE: &str = "Signature: `";
/// The opening tag of the HTML footer's signature paragraph.
const HTML_OPEN: &str = "<p data-minutebook=\"signature\">Signature: <code>";
const HTML_CLOSE: &str = "</code></p>\n";

/// What the server signs for one signed version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The sign-off facts; `sha256` is the canonical Markdown's.
    pub facts: SignOff,
    /// SHA-256 of the HTML page frozen at sign-off, if the version has one.
    pub html_sha256: Option<String>,
    /// SHA-256 of the public version's Markdown (exempt items withheld), if the version
    /// has one (form 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_sha256: Option<String>,
    /// The per-item commitment's root ([`crate::trust::commitment`]), hex, if the version
    /// has one (form 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment_root: Option<String>,
}

impl Statement {
    /// The statement's form: 1 for a version with neither a public version nor a
    /// commitment (the bytes every version signed before M7 has), else 2.
    pub fn form(&self) -> u32 {
        if self.public_sha256.is_none() && self.commitment_root.is_none() {
            1
        } else {
            2
        }
    }

    /// The exact bytes signed: a versioned, line-based text (names escaped as in the
    /// sign-off block, so no value can add a line). Form 1 (see [`Statement::form`]) is
    /// byte for byte what it always was, so old signatures keep verifying; form 2 adds
    /// `public-sha256:` and `commitment-root:` lines (`-` for one the version lacks).
    pub fn bytes(&self) -> Vec<u8> {
        let f = &self.facts;
        let hash = |h: Option<&str>| h.map_or_else(|| "-".to_owned(), str::to_ascii_lowercase);
        let mut text = format!(
            "minutebook signed version\nform: {}\nmeeting: {}\nversion: {}\nsigner: {}\n\
             signed-at: {}\nmarkdown-sha256: {}\nhtml-sha256: {}\n",
            self.form(),
            escape(&f.meeting),
            f.version,
            escape(&f.signer),
            f.signed_at,
            f.sha256.to_ascii_lowercase(),
            hash(self.html_sha256.as_deref()),
        );
        if self.form() == 2 {
            text.push_str(&format!(
                "public-sha256: {}\ncommitment-root: {}\n",
                hash(self.public_sha256.as_deref()),
                hash(self.commitment_root.as_deref()),
            ));
        }
        text.into_bytes()
    }
}

/// What `POST /api/verify` says of the signature a file carries, checked with the
/// server's published keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureVerdict {
    /// The file is what a published key signed.
    pub verified: bool,
    /// The key that signed it, when verified.
    pub key: Option<String>,
    /// What was found, in words.
    pub detail: String,
}

/// A signature as an export carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    /// The signing key's id ([`key_id`]).
    pub key_id: String,
    /// The statement's HTML hash.
    pub html_sha256: Option<String>,
    /// The Ed25519 signature, standard base64.
    pub signature: String,
}

impl Carried {
    /// `ed25519:KEY-ID:HTML-SHA256:BASE64`.
    pub fn token(&self) -> String {
        format!(
            "{ALGORITHM}:{}:{}:{}",
            self.key_id,
            self.html_sha256.as_deref().unwrap_or("-"),
            self.signature
        )
    }

    /// Reads a [`Carried::token`]; `None` when malformed.
    pub fn parse_token(token: &str) -> Option<Carried> {
        let mut parts = token.split(':');
        let (alg, key, html, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || alg != ALGORITHM {
            return None;
        }
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        let base64 = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        };
        if !hex(key, 16) || !(html == "-" || hex(html, 64)) || !base64(sig) {
            return None;
        }
        Some(Carried {
            key_id: key.to_ascii_lowercase(),
            html_sha256: (html != "-").then(|| html.to_ascii_lowercase()),
            signature: sig.to_owned(),
        })
    }

    /// The Markdown block's line (without its newline).
    pub fn markdown_line(&self) -> String {
        format!("{LINE}{}`", self.token())
    }

    /// The HTML footer's paragraph (with its newline).
    pub fn html_paragraph(&self) -> String {
        format!("{HTML_OPEN}{}{HTML_CLOSE}", self.token())
    }
}

/// The id of an Ed25519 public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8]) -> String {
    sha256_hex(public_key)[..16].to_owned()
}

/// The signature line of a Markdown export's last sign-off block: `None` when it has none,
/// `Some(None)` when the line is malformed.
pub fn in_markdown(file: &str) -> Option<Option<Carried>> {
    let (_, block) = super::find_marker(file)?;
    let line = block
        .lines()
        .map(str::trim_end)
        .find(|l| l.starts_with(LINE))?;
    let token = line.strip_prefix(LINE)?.strip_suffix('`');
    Some(token.and_then(Carried::parse_token))
}

/// A Markdown export with `carried`'s line appended to its sign-off block.
pub fn add_to_markdown(export: &str, carried: &Carried) -> String {
    let mut out = String::with_capacity(export.len() + 160);
    out.push_str(export);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&carried.markdown_line());
    out.push('\n');
    out
}

/// The HTML page frozen at sign-off `page` with `carried`'s paragraph as the last of its
/// sign-off footer (the page unchanged when it has no footer).
pub fn add_to_html(page: &str, carried: &Carried) -> String {
    let Some(at) = footer_end(page) else {
        return page.to_owned();
    };
    format!("{}{}{}", &page[..at], carried.html_paragraph(), &page[at..])
}

/// An HTML export without its signature paragraph (the page as frozen at sign-off), and
/// the signature it carried: `None` when it carries none, `Some(None)` when malformed.
pub fn strip_html(file: &str) -> (String, Option<Option<Carried>>) {
    let Some(end) = footer_end(file) else {
        return (file.to_owned(), None);
    };
    let footer_start = file[..end].rfind(super::html::FOOTER).unwrap_or(0);
    let Some(open) = file[footer_start..end]
        .rfind(HTML_OPEN)
        .map(|i| footer_start + i)
    else {
        return (file.to_owned(), None);
    };
    let inner = &file[open + HTML_OPEN.len()..end];
    let token = inner.strip_suffix(HTML_CLOSE);
    let stripped = format!("{}{}", &file[..open], &file[end..]);
    (stripped, Some(token.and_then(Carried::parse_token)))
}

/// The offset of the last sign-off footer's `</footer>`.
fn footer_end(page: &str) -> Option<usize> {
    let start = page.rfind(super::html::FOOTER)?;
    page[start..].find("</footer>").map(|i| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signoff::{parse, render_markdown, with_html_footer};

    fn facts() -> SignOff {
        SignOff {
            meeting: "board-2026-11".into(),
            version: 2,
            signer: "Jane\nChair".into(),
            signed_at: 1_795_000_000_123,
            sha256: "ab".repeat(32),
        }
    }

    fn carried() -> Carried {
        Carried {
            key_id: "0123456789abcdef".into(),
            html_sha256: Some("cd".repeat(32)),
            signature: "c2lnbmF0dXJl+/==".into(),
        }
    }

    #[test]
    fn form_1_bytes_are_unchanged() {
        let s = Statement {
            facts: facts(),
            html_sha256: Some("CD".repeat(32)),
            public_sha256: None,
            commitment_root: None,
        };
        assert_eq!(s.form(), 1);
        let expected = format!(
            "minutebook signed version\nform: 1\nmeeting: board-2026-11\nversion: 2\n\
             signer: Jane\\nChair\nsigned-at: 1795000000123\nmarkdown-sha256: {}\n\
             html-sha256: {}\n",
            "ab".repeat(32),
            "cd".repeat(32)
        );
        assert_eq!(String::from_utf8(s.bytes()).unwrap(), expected);
        // A statement stored before form 2 reads as form 1.
        let json = r#"{"facts":{"meeting":"m","version":1,"signer":"s","signed_at":1,"sha256":"ab"},"html_sha256":null}"#;
        let old: Statement = serde_json::from_str(json).unwrap();
        assert_eq!(
            (old.form(), old.public_sha256, old.commitment_root),
            (1, None, None)
        );
        assert!(!serde_json::to_string(&s).unwrap().contains("public_sha256"));
    }

    #[test]
    fn form_2_adds_the_public_hash_and_the_commitment_root() {
        let one = Statement {
            facts: facts(),
            html_sha256: None,
            public_sha256: None,
            commitment_root: None,
        };
        let two = Statement {
            public_sha256: Some("EF".repeat(32)),
            commitment_root: Some("12".repeat(32)),
            ..one.clone()
        };
        assert_eq!(two.form(), 2);
        let text = String::from_utf8(two.bytes()).unwrap();
        let one_text = String::from_utf8(one.bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "{}public-sha256: {}\ncommitment-root: {}\n",
                one_text.replace("form: 1\n", "form: 2\n"),
                "ef".repeat(32),
                "12".repeat(32)
            )
        );
        // Each of the two alone makes form 2, the other written as "-".
        let only_root = Statement {
            public_sha256: None,
            ..two.clone()
        };
        let t = String::from_utf8(only_root.bytes()).unwrap();
        assert!(
            t.contains("form: 2\n") && t.contains("public-sha256: -\n"),
            "{t}"
        );
        // Every field changes the bytes.
        let other_root = Statement {
            commitment_root: Some("13".repeat(32)),
            ..two.clone()
        };
        let other_public = Statement {
            public_sha256: Some("ee".repeat(32)),
            ..two.clone()
        };
        assert_ne!(two.bytes(), other_root.bytes());
        assert_ne!(two.bytes(), other_public.bytes());
        assert_ne!(two.bytes(), only_root.bytes());
        let back: Statement = serde_json::from_str(&serde_json::to_string(&two).unwrap()).unwrap();
        assert_eq!(back, two);
    }

    #[test]
    fn statement_bytes_escape_names_and_name_every_fact() {
        let s = Statement {
            facts: facts(),
            html_sha256: None,
            public_sha256: None,
            commitment_root: None,
        };
        let text = String::from_utf8(s.bytes()).expect("utf-8");
        assert_eq!(text.lines().count(), 8, "{text}");
        assert!(text.contains("signer: Jane\\nChair\n"), "{text}");
        assert!(text.ends_with("html-sha256: -\n"), "{text}");
        let other = Statement {
            html_sha256: Some("cd".repeat(32)),
            ..s.clone()
        };
        assert_ne!(s.bytes(), other.bytes());
    }

    #[test]
    fn markdown_carries_the_signature_without_changing_what_is_hashed() {
        let body = "# Minutes\n\nText.\n";
        let export = render_markdown(body, &facts());
        let signed = add_to_markdown(&export, &carried());
        assert_eq!(in_markdown(&signed), Some(Some(carried())));
        assert_eq!(in_markdown(&export), None);
        let (canonical, parsed) = parse(&signed).expect("the block still parses");
        assert_eq!((canonical.as_str(), parsed), (body, facts()));
        let broken = signed.replace("ed25519:", "rsa:");
        assert_eq!(in_markdown(&broken), Some(None));
    }

    #[test]
    fn html_signature_strips_back_to_the_frozen_page() {
        let frozen = with_html_footer("<html><body><h1>M</h1></body></html>\n", &facts());
        let signed = add_to_html(&frozen, &carried());
        assert_ne!(signed, frozen);
        let (stripped, found) = strip_html(&signed);
        assert_eq!(stripped, frozen);
        assert_eq!(found, Some(Some(carried())));
        assert_eq!(strip_html(&frozen), (frozen.clone(), None));
        // A signature paragraph outside the footer is not the signature.
        let outside = frozen.replace("<h1>M</h1>", &carried().html_paragraph());
        assert_eq!(strip_html(&outside).1, None);
    }

    #[test]
    fn tokens_refuse_what_they_did_not_write() {
        let good = carried().token();
        assert_eq!(Carried::parse_token(&good), Some(carried()));
        for bad in [
            "",
            "ed25519:0123:-:abc",
            "ed25519:0123456789abcdef:-:",
            "ed25519:0123456789abcdef:xyz:abc",
            "ed25519:0123456789abcdef:-:abc:extra",
            "ed25519:0123456789abcdef:-:a b",
        ] {
            assert_eq!(Carried::parse_token(bad), None, "{bad}");
        }
    }
}
