//! `minutebook verify --key KEYS FILE`: an exported signed version checked offline, with
//! no server and no store: the file must be consistent with the hashes its signature
//! covers (the canonical Markdown's, or the frozen HTML page's), and the signature must
//! be a published key's over the file's own facts and hashes.
//!
//! KEYS is what the server publishes (`GET /api/signing-keys`, or `minutebook keys
//! list`): `{"keys": [...]}`, a bare list, one key, or a single base64 public key.

use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use minutebook_server::auth::signing;
use minutebook_shared::api::{PublicSigningKey, SigningKeys};
use minutebook_shared::signoff::signature::{self, Carried, Statement};
use minutebook_shared::signoff::{self, SignOff, Verdict};
use minutebook_shared::trust::sha256_hex;

/// Largest key file read.
const MAX_KEYS_BYTES: u64 = 1 << 20;

/// What the offline check concluded.
pub enum Offline {
    /// The verified line.
    Verified(String),
    /// `DOES NOT MATCH: …` (exit 1).
    Mismatch(String),
    /// Nothing can be said offline (exit 2).
    Unchecked(String),
}

/// Reads the published keys at `path`.
pub fn read_keys(path: &Path) -> anyhow::Result<Vec<PublicSigningKey>> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {shown}"))?
        .len();
    if size > MAX_KEYS_BYTES {
        bail!("{shown} is {size} bytes, too large for a key list");
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {shown}"))?;
    let text = text.trim();
    if let Ok(list) = serde_json::from_str::<SigningKeys>(text) {
        return Ok(list.keys);
    }
    if let Ok(list) = serde_json::from_str::<Vec<PublicSigningKey>>(text) {
        return Ok(list);
    }
    if let Ok(key) = serde_json::from_str::<PublicSigningKey>(text) {
        return Ok(vec![key]);
    }
    match STANDARD.decode(text) {
        Ok(bytes) if bytes.len() == 32 => Ok(vec![PublicSigningKey {
            id: signature::key_id(&bytes),
            algorithm: signature::ALGORITHM.to_owned(),
            public_key: text.to_owned(),
            created_at: 0,
            retired_at: None,
        }]),
        _ => bail!(
            "{shown} holds no signing keys: expected the JSON of GET /api/signing-keys (or \
             `minutebook keys list`), or one base64 Ed25519 public key"
        ),
    }
}

/// Checks `file` (its text) against `keys`.
pub fn check(keys: &[PublicSigningKey], file: &str) -> Offline {
    let (facts, carried, html_actual) = if signoff::is_html_export(file) {
        let facts = match signoff::parse_html(file) {
            Ok(facts) => facts,
            Err(e) => return Offline::Mismatch(format!("no readable sign-off footer: {e}")),
        };
        let (frozen, carried) = signature::strip_html(file);
        (facts, carried, Some(sha256_hex(frozen.as_bytes())))
    } else {
        let facts = match signoff::check(file, None) {
            Verdict::SelfConsistent(facts) => facts,
            verdict => return Offline::Mismatch(strip_verdict(&verdict.to_string())),
        };
        (facts, signature::in_markdown(file), None)
    };
    let carried = match carried {
        None => {
            return Offline::Unchecked(format!(
                "version {} of `{}` carries no signature (downloaded before the server \
                 signed versions, or not a download); check it with --server URL or \
                 --data-dir DIR",
                facts.version, facts.meeting
            ))
        }
        Some(None) => return Offline::Mismatch("the signature line is malformed".into()),
        Some(Some(carried)) => carried,
    };
    if let Some(actual) = html_actual {
        match &carried.html_sha256 {
            None => {
                return Offline::Unchecked(
                    "the signature covers no HTML page (this version has no page frozen at \
                     sign-off): verify its Markdown export instead"
                        .into(),
                )
            }
            Some(expected) if !expected.eq_ignore_ascii_case(&actual) => {
                return Offline::Mismatch(format!(
                    "the page's SHA-256 is {actual}, not the signed {expected}: the file was \
                     altered"
                ))
            }
            Some(_) => {}
        }
    }
    verdict(keys, facts, &carried)
}

fn verdict(keys: &[PublicSigningKey], facts: SignOff, carried: &Carried) -> Offline {
    let statement = Statement {
        facts,
        html_sha256: carried.html_sha256.clone(),
    };
    match signing::verify(keys, &statement, carried) {
        Ok(key) => {
            let f = &statement.facts;
            let retired = key
                .retired_at
                .map(|at| format!(", retired {}", minutebook_shared::time::iso_utc(at)))
                .unwrap_or_default();
            Offline::Verified(format!(
                "VERIFIED (signed by key {}{retired}): version {} of meeting `{}`, signed off \
                 by {} at {}; SHA-256 {}",
                key.id,
                f.version,
                f.meeting,
                f.signer,
                minutebook_shared::time::format_utc(f.signed_at),
                f.sha256
            ))
        }
        Err(e) => Offline::Mismatch(e.to_string()),
    }
}

/// A verdict's text without its leading "DOES NOT MATCH: ".
fn strip_verdict(text: &str) -> String {
    text.strip_prefix("DOES NOT MATCH: ")
        .unwrap_or(text)
        .to_owned()
}
