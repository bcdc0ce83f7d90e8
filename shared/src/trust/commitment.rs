//! The per-item commitment of a signed version (M7, Part I and Part II): a Merkle tree
//! over the [`Segment`]s of its canonical Markdown, so that a **public version** — the
//! same text with the exempt items withheld — can be checked against the signed full
//! version without the restricted text.
//!
//! # Hashes
//!
//! For segment *i* with text *tᵢ* and a 32-byte salt *sᵢ* (random, chosen by the server
//! with a CSPRNG at sign-off — this crate never draws it — so that a short withheld text
//! cannot be guessed from its hash):
//!
//! ```text
//! content_i = SHA-256(0x00 ‖ s_i ‖ t_i)                 what a `withheld` line carries
//! leaf_i    = SHA-256(0x02 ‖ code_i ‖ 0x0A ‖ content_i)  code_i: "-" when published, else
//!                                                        why withheld: "12A:3", "confidential"
//! node      = SHA-256(0x01 ‖ left ‖ right)
//! root      = RFC 6962 (§2.1) tree hash over leaf_0 … leaf_n-1, in order: for n > 1, the
//!             left subtree holds the largest power of two smaller than n leaves
//! ```
//!
//! The leaf binds each segment's *disclosure* (published, or withheld and why): a
//! published segment cannot be passed off as withheld nor a withheld one as published, and
//! a withheld item's reason cannot be changed, without changing the root. The reason of a
//! withheld item is also in the public text (its placeholder line), which the verifier
//! checks against the code; the confidential reason's words are bound by the public
//! Markdown's SHA-256, which the statement signs alongside the root
//! ([`crate::signoff::signature::Statement`], form 2).
//!
//! # Where the block goes
//!
//! A commitment block is appended **after** the canonical text (and after the sign-off
//! block, when there is one), like the sign-off block: it is *not* part of the bytes a
//! version's SHA-256 covers. It cannot be — the root is computed over those bytes — and it
//! need not be: the root itself is what the statement signs, and everything else in the
//! block (salts, lengths, withheld hashes) is checked by recomputing that root. The file:
//!
//! ```text
//! <canonical text, the segments concatenated>
//! [<sign-off block: "\n---\n\n<!-- minutebook:sign-off -->\n…">]
//!
//! <!-- minutebook:commitment -->
//! minutebook commitment
//! form: 1
//! kind: public                      (or: full)
//! segments: 5
//! shown 812 <salt hex>              (full: "segment <length> <salt hex> <code>")
//! shown 95 <salt hex>
//! withheld 88 <content hex> 2 12A:3
//! withheld 0 <content hex> 2.1 12A:3
//! shown 0 <salt hex>
//! root: <hex>
//! ```
//!
//! Lengths are in bytes of the text as published; they split the text unambiguously. The
//! **full** block gives every salt, so a holder of the full version recomputes the root
//! ([`verify_full`]). The **public** block gives the salts of published segments only; for
//! a withheld one it gives its content hash, its item number and the reason code. The item
//! withheld by itself has a non-empty public text — its placeholder (heading with public
//! title, then `*Exempt item — Schedule 12A paragraph 3*`), which must be exactly what the
//! exporter writes for the number and reason its line states; its sub-items' public texts
//! are **empty**, and their lines must name a sub-item of the item just withheld, with the
//! same reason. [`verify_public`] checks all that, recomputes the root and says which items
//! were withheld and why ([`PublicProof`]).
//!
//! What a public version still reveals: how many sub-items a withheld item has (one line
//! each) and their numbers; nothing of their text.
//!
//! Parsing is bounded ([`MAX_FILE_BYTES`], [`MAX_SEGMENTS`], [`MAX_LINE_BYTES`]) and never
//! panics (fuzzed).

use sha2::{Digest as _, Sha256};

use crate::meeting::markdown::{read_placeholder, segment_number};
use crate::meeting::model::ItemPath;
use crate::meeting::segment::{self, Segment};
use crate::meeting::{Exemption, MAX_ITEM_DEPTH};
use crate::signoff::{self, SignOff};
use crate::trust::sha256_hex;

/// The line that starts a commitment block.
pub const MARKER: &str = "<!-- minutebook:commitment -->";
/// The block's first line after the marker.
const TITLE: &str = "minutebook commitment";
/// The only form so far.
const FORM: &str = "form: 1";
/// The code of a published segment.
pub const SHOWN_CODE: &str = "-";
/// Bytes of salt per segment.
pub const SALT_LEN: usize = 32;
/// The largest file [`verify_public`] and [`verify_full`] read.
pub const MAX_FILE_BYTES: usize = 64 << 20;
/// The most segments a block may list (a meeting of 19,998 items).
pub const MAX_SEGMENTS: usize = 20_000;
/// The longest line a block may have.
pub const MAX_LINE_BYTES: usize = 256;

/// A segment's salt.
pub type Salt = [u8; SALT_LEN];
/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Why a commitment could not be made or a file does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    #[error("{segments} segments but {salts} salts")]
    SaltCount { segments: usize, salts: usize },
    #[error("the file is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge,
    #[error("no commitment block (no line `{MARKER}`)")]
    NoBlock,
    #[error("line {line} of the commitment block: {why}")]
    Malformed { line: usize, why: String },
    #[error("this is a {found} commitment block, not a {expected} one")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    #[error("the segment lengths do not split the text: {0}")]
    Lengths(String),
    #[error("unexpected text between the minutes and the commitment block")]
    Trailing,
    #[error("segment {index}: {why}")]
    Segment { index: usize, why: String },
    #[error(
        "the commitment does not match: the block says root {declared}, the text gives {computed}"
    )]
    RootMismatch { declared: String, computed: String },
}

/// `SHA-256(0x00 ‖ salt ‖ text)`.
pub fn content_hash(salt: &Salt, text: &str) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(salt);
    h.update(text.as_bytes());
    h.finalize().into()
}

/// `SHA-256(0x02 ‖ code ‖ 0x0A ‖ content)`: a segment's disclosure bound to its content.
pub fn leaf_hash(code: &str, content: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x02]);
    h.update(code.as_bytes());
    h.update([0x0A]);
    h.update(content);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The RFC 6962 tree hash of `leaves` (`None` for none).
pub fn merkle_root(leaves: &[Hash]) -> Option<Hash> {
    match leaves {
        [] => None,
        [one] => Some(*one),
        _ => {
            // The largest power of two smaller than n (n ≥ 2).
            let k = 1usize << (usize::BITS - 1 - (leaves.len() - 1).leading_zeros());
            let (l, r) = leaves.split_at(k);
            Some(node_hash(&merkle_root(l)?, &merkle_root(r)?))
        }
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Exactly 64 lower-case hex digits.
fn parse_hash(s: &str) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// What a segment's leaf binds: [`SHOWN_CODE`], or the code of the exemption it is withheld
/// for (its withholding item's).
pub fn disclosure_code(s: &Segment) -> String {
    s.withheld()
        .map_or_else(|| SHOWN_CODE.to_owned(), |w| w.reason.code())
}

fn check_salts(segments: &[Segment], salts: &[Salt]) -> Result<(), CommitmentError> {
    if segments.len() != salts.len() {
        return Err(CommitmentError::SaltCount {
            segments: segments.len(),
            salts: salts.len(),
        });
    }
    Ok(())
}

/// The leaves of the full segments.
fn leaves(segments: &[Segment], salts: &[Salt]) -> Vec<Hash> {
    segments
        .iter()
        .zip(salts)
        .map(|(s, salt)| leaf_hash(&disclosure_code(s), &content_hash(salt, &s.text)))
        .collect()
}

/// The root over the (full) `segments`, with one salt each.
pub fn root(segments: &[Segment], salts: &[Salt]) -> Result<Hash, CommitmentError> {
    check_salts(segments, salts)?;
    merkle_root(&leaves(segments, salts)).ok_or(CommitmentError::Lengths("no segments".into()))
}

fn block(kind: &str, lines: &[String], root: &Hash) -> String {
    let mut out = format!(
        "\n{MARKER}\n{TITLE}\n{FORM}\nkind: {kind}\nsegments: {}\n",
        lines.len()
    );
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&format!("root: {}\n", hex(root)));
    out
}

/// The full version's commitment block (to append after its export): every segment's
/// length, salt and disclosure code.
pub fn full_block(segments: &[Segment], salts: &[Salt]) -> Result<String, CommitmentError> {
    let root = root(segments, salts)?;
    let lines: Vec<String> = segments
        .iter()
        .zip(salts)
        .map(|(s, salt)| {
            format!(
                "segment {} {} {}",
                s.text.len(),
                hex(salt),
                disclosure_code(s)
            )
        })
        .collect();
    Ok(block("full", &lines, &root))
}

/// The public version's text: the segments' public counterparts concatenated.
pub fn public_markdown(segments: &[Segment]) -> String {
    segment::public_concat(segments)
}

/// The public version's commitment block (to append after [`public_markdown`] and its
/// sign-off block, if any): published segments' lengths and salts, withheld ones' public
/// lengths, content hashes, numbers and reason codes.
pub fn public_block(segments: &[Segment], salts: &[Salt]) -> Result<String, CommitmentError> {
    let root = root(segments, salts)?;
    let lines: Vec<String> = segments
        .iter()
        .zip(salts)
        .map(|(s, salt)| match (s.withheld(), s.number()) {
            (Some(w), Some(number)) => format!(
                "withheld {} {} {number} {}",
                s.public().text.len(),
                hex(&content_hash(salt, &s.text)),
                w.reason.code()
            ),
            _ => format!("shown {} {}", s.text.len(), hex(salt)),
        })
        .collect();
    Ok(block("public", &lines, &root))
}

// ------------------------------------------------------------------------------ verify

/// What a full version's commitment proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullProof {
    /// The root, recomputed (lower-case hex).
    pub root: String,
    /// SHA-256 of the canonical text (what the sign-off block's `SHA-256:` names).
    pub markdown_sha256: String,
    /// The segments' disclosure codes, in order.
    pub codes: Vec<String>,
    /// The sign-off block between the text and the commitment, if there is one.
    pub sign_off: Option<SignOff>,
}

/// What a public version's commitment proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicProof {
    /// The root, recomputed (lower-case hex): the signed statement's `commitment-root`.
    pub root: String,
    /// SHA-256 of the public text: the signed statement's `public-sha256`.
    pub public_sha256: String,
    /// Every item, in order, published or withheld.
    pub items: Vec<ProvenItem>,
    /// The sign-off block between the text and the commitment, if there is one.
    pub sign_off: Option<SignOff>,
}

impl PublicProof {
    /// The items withheld, in order.
    pub fn withheld(&self) -> impl Iterator<Item = &ProvenItem> {
        self.items.iter().filter(|i| i.withheld.is_some())
    }
}

/// One item of a verified public version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenItem {
    /// "2.1".
    pub number: String,
    /// Set when the public version withholds it.
    pub withheld: Option<WithheldItem>,
}

/// Why a verified public version withholds an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithheldItem {
    /// The reason, as its placeholder states it.
    pub reason: Exemption,
    /// "Exempt item — Schedule 12A paragraph 3".
    pub label: String,
    /// For a sub-item: the number of the item it is withheld with.
    pub with_item: Option<String>,
}

/// One parsed line of a block.
enum Entry<'a> {
    Full {
        len: usize,
        salt: Salt,
        code: &'a str,
    },
    Shown {
        len: usize,
        salt: Salt,
    },
    Withheld {
        len: usize,
        content: Hash,
        number: &'a str,
        code: &'a str,
    },
}

impl Entry<'_> {
    fn len(&self) -> usize {
        match self {
            Entry::Full { len, .. } | Entry::Shown { len, .. } | Entry::Withheld { len, .. } => {
                *len
            }
        }
    }
}

/// A parsed file: the text before the block (split by the lengths), what lies between it
/// and the block, and the entries and declared root.
struct Parsed<'a> {
    texts: Vec<&'a str>,
    text: &'a str,
    sign_off: Option<SignOff>,
    entries: Vec<Entry<'a>>,
    root: Hash,
}

fn malformed(line: usize, why: impl Into<String>) -> CommitmentError {
    CommitmentError::Malformed {
        line,
        why: why.into(),
    }
}

/// A decimal length without leading zeros.
fn parse_len(s: &str) -> Option<usize> {
    let ok = !s.is_empty()
        && s.len() <= 10
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

fn parse_salt(s: &str) -> Option<Salt> {
    parse_hash(s)
}

/// A reason code: [`SHOWN_CODE`] for `allow_shown`, or an exemption code.
fn valid_code(code: &str, allow_shown: bool) -> bool {
    (allow_shown && code == SHOWN_CODE) || Exemption::parse_code(code, "").is_some()
}

fn parse_file<'a>(file: &'a str, kind: &'static str) -> Result<Parsed<'a>, CommitmentError> {
    if file.len() > MAX_FILE_BYTES {
        return Err(CommitmentError::TooLarge);
    }
    let needle = format!("\n{MARKER}\n");
    let at = file.rfind(&needle).ok_or(CommitmentError::NoBlock)?;
    let (before, block) = (&file[..at], &file[at + needle.len()..]);
    let Some(body) = block.strip_suffix('\n') else {
        return Err(malformed(0, "the block does not end with a line break"));
    };
    let mut lines = body.split('\n').enumerate().map(|(i, l)| (i + 1, l));
    let mut next = |what: &str| -> Result<(usize, &'a str), CommitmentError> {
        let (n, line) = lines
            .next()
            .ok_or_else(|| malformed(0, format!("the block ends before {what}")))?;
        if line.len() > MAX_LINE_BYTES {
            return Err(malformed(n, "line too long"));
        }
        Ok((n, line))
    };
    let (n, l) = next("its title")?;
    if l != TITLE {
        return Err(malformed(n, format!("expected {TITLE:?}")));
    }
    let (n, l) = next("its form")?;
    if l != FORM {
        return Err(malformed(
            n,
            format!("expected {FORM:?} (an unknown form?)"),
        ));
    }
    let (n, l) = next("its kind")?;
    let found = l
        .strip_prefix("kind: ")
        .ok_or_else(|| malformed(n, "expected \"kind: full\" or \"kind: public\""))?;
    if found != kind {
        return Err(CommitmentError::WrongKind {
            expected: kind,
            found: found.chars().take(16).collect(),
        });
    }
    let (n, l) = next("its segment count")?;
    let count = l
        .strip_prefix("segments: ")
        .and_then(parse_len)
        .filter(|c| (2..=MAX_SEGMENTS).contains(c))
        .ok_or_else(|| {
            malformed(
                n,
                format!("expected \"segments: N\" with N from 2 to {MAX_SEGMENTS}"),
            )
        })?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let (n, l) = next("all its segments")?;
        let words: Vec<&str> = l.split(' ').collect();
        let len_of = |s: &str| parse_len(s).ok_or_else(|| malformed(n, "bad length"));
        let salt_of = |s: &str| parse_salt(s).ok_or_else(|| malformed(n, "bad salt"));
        let entry = match (kind, words.as_slice()) {
            ("full", ["segment", len, salt, code]) if valid_code(code, true) => Entry::Full {
                len: len_of(len)?,
                salt: salt_of(salt)?,
                code,
            },
            ("public", ["shown", len, salt]) => Entry::Shown {
                len: len_of(len)?,
                salt: salt_of(salt)?,
            },
            ("public", ["withheld", len, content, number, code]) if valid_code(code, false) => {
                Entry::Withheld {
                    len: len_of(len)?,
                    content: parse_hash(content).ok_or_else(|| malformed(n, "bad hash"))?,
                    number,
                    code,
                }
            }
            _ => return Err(malformed(n, "not a segment line")),
        };
        entries.push(entry);
    }
    let (n, l) = next("its root")?;
    let root = l
        .strip_prefix("root: ")
        .and_then(parse_hash)
        .ok_or_else(|| malformed(n, "expected \"root: <64 hex digits>\""))?;
    if let Some((n, _)) = lines.next() {
        return Err(malformed(n, "text after the root"));
    }

    // Split the text by the lengths.
    let mut total: usize = 0;
    for e in &entries {
        total = total
            .checked_add(e.len())
            .ok_or_else(|| CommitmentError::Lengths("they overflow".into()))?;
    }
    let text = before.get(..total).ok_or_else(|| {
        CommitmentError::Lengths(format!(
            "they add up to {total} bytes, which is not where the text ends ({} bytes)",
            before.len()
        ))
    })?;
    let between = &before[total..];
    let sign_off = if between.is_empty() {
        None
    } else {
        // Only a sign-off block may stand between the text and the commitment.
        let (body, facts) = signoff::parse(before).map_err(|_| CommitmentError::Trailing)?;
        if body != text {
            return Err(CommitmentError::Trailing);
        }
        Some(facts)
    };
    let mut texts = Vec::with_capacity(entries.len());
    let mut at = 0;
    for (i, e) in entries.iter().enumerate() {
        let end = at + e.len();
        let t = text.get(at..end).ok_or_else(|| CommitmentError::Segment {
            index: i,
            why: "its length ends inside a character".into(),
        })?;
        texts.push(t);
        at = end;
    }
    Ok(Parsed {
        texts,
        text,
        sign_off,
        entries,
        root,
    })
}

fn compare_root(declared: &Hash, leaves: &[Hash]) -> Result<String, CommitmentError> {
    let computed = merkle_root(leaves).ok_or(CommitmentError::Lengths("no segments".into()))?;
    if &computed != declared {
        return Err(CommitmentError::RootMismatch {
            declared: hex(declared),
            computed: hex(&computed),
        });
    }
    Ok(hex(&computed))
}

/// Checks a full version's file (its text, optional sign-off block, and full commitment
/// block): the root its salts give.
pub fn verify_full(file: &str) -> Result<FullProof, CommitmentError> {
    let p = parse_file(file, "full")?;
    let mut leaves = Vec::with_capacity(p.entries.len());
    let mut codes = Vec::with_capacity(p.entries.len());
    for (e, t) in p.entries.iter().zip(&p.texts) {
        if let Entry::Full { salt, code, .. } = e {
            leaves.push(leaf_hash(code, &content_hash(salt, t)));
            codes.push((*code).to_owned());
        }
    }
    Ok(FullProof {
        root: compare_root(&p.root, &leaves)?,
        markdown_sha256: sha256_hex(p.text.as_bytes()),
        codes,
        sign_off: p.sign_off,
    })
}

/// The withheld item whose sub-items follow: (its path, its code, its reason).
struct Open {
    path: ItemPath,
    number: String,
    code: String,
    reason: Exemption,
}

/// Checks a public version's file: splits its text by the block's lengths, checks each
/// withheld item's placeholder against its line (number and reason) and each withheld
/// sub-item's empty text against the item it is withheld with, recomputes the root, and
/// says which items were withheld and why.
pub fn verify_public(file: &str) -> Result<PublicProof, CommitmentError> {
    let p = parse_file(file, "public")?;
    let last = p.entries.len() - 1;
    let mut leaves = Vec::with_capacity(p.entries.len());
    let mut items = Vec::new();
    let mut open: Option<Open> = None;
    for (index, (e, text)) in p.entries.iter().zip(&p.texts).enumerate() {
        let bad = |why: String| CommitmentError::Segment { index, why };
        let middle = index != 0 && index != last;
        match e {
            Entry::Full { .. } => return Err(bad("not a public entry".into())),
            Entry::Shown { salt, .. } => {
                leaves.push(leaf_hash(SHOWN_CODE, &content_hash(salt, text)));
                if !middle {
                    continue;
                }
                let number = segment_number(text).ok_or_else(|| {
                    bad("a published item segment must start with its heading".into())
                })?;
                let path =
                    ItemPath::parse_number(number).ok_or_else(|| bad("bad item number".into()))?;
                if let Some(o) = &open {
                    if is_under(&path, &o.path) {
                        return Err(bad(format!(
                            "item {number} is published, but item {} it belongs to is withheld",
                            o.number
                        )));
                    }
                }
                open = None;
                items.push(ProvenItem {
                    number: number.to_owned(),
                    withheld: None,
                });
            }
            Entry::Withheld {
                content,
                number,
                code,
                ..
            } => {
                if !middle {
                    return Err(bad("only items can be withheld".into()));
                }
                leaves.push(leaf_hash(code, content));
                let path = ItemPath::parse_number(number)
                    .filter(|p| !number.ends_with('.') && p.0.len() <= MAX_ITEM_DEPTH)
                    .ok_or_else(|| bad("bad item number".into()))?;
                let withheld = if text.is_empty() {
                    let o = open
                        .as_ref()
                        .filter(|o| is_under(&path, &o.path))
                        .ok_or_else(|| {
                            bad(format!(
                                "item {number} is withheld without a placeholder, but is not a \
                             sub-item of a withheld item"
                            ))
                        })?;
                    if &o.code != code {
                        return Err(bad(format!(
                            "item {number} is withheld for {code}, the item {} it belongs to \
                             for {}",
                            o.number, o.code
                        )));
                    }
                    WithheldItem {
                        label: o.reason.label(),
                        reason: o.reason.clone(),
                        with_item: Some(o.number.clone()),
                    }
                } else {
                    let (shown_number, reason) = read_placeholder(text)
                        .ok_or_else(|| bad(format!("item {number}'s text is not a placeholder")))?;
                    if shown_number != *number {
                        return Err(bad(format!(
                            "the placeholder is for item {shown_number}, the line says {number}"
                        )));
                    }
                    if reason.code() != *code {
                        return Err(bad(format!(
                            "the placeholder says {:?}, the line says {code}",
                            reason.label()
                        )));
                    }
                    if let Some(o) = &open {
                        if is_under(&path, &o.path) {
                            return Err(bad(format!(
                                "item {number} has a placeholder inside withheld item {}",
                                o.number
                            )));
                        }
                    }
                    open = Some(Open {
                        path,
                        number: (*number).to_owned(),
                        code: (*code).to_owned(),
                        reason: reason.clone(),
                    });
                    WithheldItem {
                        label: reason.label(),
                        reason,
                        with_item: None,
                    }
                };
                items.push(ProvenItem {
                    number: (*number).to_owned(),
                    withheld: Some(withheld),
                });
            }
        }
    }
    Ok(PublicProof {
        root: compare_root(&p.root, &leaves)?,
        public_sha256: sha256_hex(p.text.as_bytes()),
        items,
        sign_off: p.sign_off,
    })
}

/// Whether `path` is a sub-item (at any depth) of `ancestor`.
fn is_under(path: &ItemPath, ancestor: &ItemPath) -> bool {
    path.0.len() > ancestor.0.len() && path.0.starts_with(&ancestor.0)
}

#[cfg(test)]
mod tests;
