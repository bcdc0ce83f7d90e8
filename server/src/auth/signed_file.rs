//! Checking a downloaded signed version against the signature it carries, with the
//! public keys alone: the file must be consistent with the hashes its signature covers
//! (the canonical Markdown's, or the frozen HTML page's), and the signature must be one
//! of the keys' over the file's own facts and hashes. A PDF or Word file carries the
//! server's signed claim on it instead ([`check_output`]). Used by `minutebook verify
//! --key` (offline) and by `POST /api/verify` (with the server's published keys).

use minutebook_shared::api::PublicSigningKey;
use minutebook_shared::signoff::output_signature::{self, OutputClaim};
use minutebook_shared::signoff::public;
use minutebook_shared::signoff::signature::{self, Carried, SignatureVerdict, Statement};
use minutebook_shared::signoff::{self, SignOff, Verdict};
use minutebook_shared::trust::commitment;
use minutebook_shared::trust::{self, sha256_hex};

use super::signing;

/// What the offline check concluded.
pub enum Offline {
    /// Verified by key `key`; the verified line.
    Verified { key: String, line: String },
    /// `DOES NOT MATCH: …` (exit 1).
    Mismatch(String),
    /// Nothing can be said offline (exit 2).
    Unchecked(String),
}

impl Offline {
    /// The verdict as `POST /api/verify` gives it.
    pub fn verdict(&self) -> SignatureVerdict {
        match self {
            Offline::Verified { key, line } => SignatureVerdict {
                verified: true,
                key: Some(key.clone()),
                detail: line.clone(),
            },
            Offline::Mismatch(why) | Offline::Unchecked(why) => SignatureVerdict {
                verified: false,
                key: None,
                detail: why.clone(),
            },
        }
    }
}

/// Checks `file` (its text) against `keys`: a signed version's export, or an approval
/// record ([`check_approval`]).
pub fn check(keys: &[PublicSigningKey], file: &str) -> Offline {
    if file.starts_with(trust::APPROVAL_FILE_MARKER) {
        return check_approval(keys, file);
    }
    if public::is_public_file(file) {
        return check_public(keys, file);
    }
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
        public_sha256: None,
        commitment_root: None,
    };
    match signing::verify(keys, &statement, carried) {
        Ok(key) => {
            let f = &statement.facts;
            let retired = key
                .retired_at
                .map(|at| format!(", retired {}", minutebook_shared::time::iso_utc(at)))
                .unwrap_or_default();
            Offline::Verified {
                key: key.id.clone(),
                line: format!(
                    "VERIFIED (signed by key {}{retired}): version {} of meeting `{}`, signed off \
                 by {} at {}; SHA-256 {}",
                    key.id,
                    f.version,
                    f.meeting,
                    f.signer,
                    minutebook_shared::time::format_utc(f.signed_at),
                    f.sha256
                ),
            }
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

/// An approval record file (`GET …/versions/{n}/approval.txt`): its statement must be
/// signed by one of `keys`; the verified line says what was resolved, where and on which
/// version (by hash).
pub fn check_approval(keys: &[PublicSigningKey], file: &str) -> Offline {
    let Some(read) = trust::parse_approval_file(file) else {
        return Offline::Mismatch(
            "not a readable approval record (its lines were changed, or text was added)".into(),
        );
    };
    let Some(carried) = read.token.as_deref().and_then(Carried::parse_token) else {
        return Offline::Unchecked(
            "the approval record carries no (readable) signature, so it cannot be checked \
             offline"
                .into(),
        );
    };
    match signing::verify_bytes(keys, &read.statement, &carried) {
        Ok(key) => {
            let f = |name: &'static str| read.field(name).to_owned();
            let approved = match f("approved-version").as_str() {
                "-" => "not yet approved: the amended version is not signed".to_owned(),
                v => format!("approved version {v} (SHA-256 {})", f("approved-sha256")),
            };
            let resolution = trust::Resolution::parse(&f("resolution"))
                .map_or_else(|| f("resolution"), |r| r.words().to_owned());
            Offline::Verified {
                key: key.id.clone(),
                line: format!(
                    "VERIFIED: the minutes of meeting `{}` version {} (SHA-256 {}) were {} \
                     at meeting `{}` ({}, {}), recorded by {}; {approved}; signed by key {}",
                    f("meeting"),
                    f("version"),
                    f("sha256"),
                    resolution,
                    f("at-meeting"),
                    f("at-title"),
                    f("at-date"),
                    f("recorded-by"),
                    key.id
                ),
            }
        }
        Err(e) => Offline::Mismatch(format!("the approval record's signature: {e}")),
    }
}

/// A PDF or Word file (`file`, its bytes) against the claim it carries: the signature
/// must be one of `keys`' over the claim and the SHA-256 of the file without it (the
/// output as frozen after sign-off). Also the claim, when it is readable.
pub fn check_output(keys: &[PublicSigningKey], file: &[u8]) -> (Offline, Option<OutputClaim>) {
    let (frozen, claim) = output_signature::frozen(file);
    let claim = match claim {
        None => {
            return (
                Offline::Unchecked(
                    "the file carries no signature (downloaded before outputs were signed,                      or not a download); check it with --server URL or --data-dir DIR"
                        .into(),
                ),
                None,
            )
        }
        Some(None) => return (Offline::Mismatch("the signature it carries is malformed".into()), None),
        Some(Some(claim)) => claim,
    };
    let sha = sha256_hex(&frozen);
    let verdict = match signing::verify_bytes(keys, &claim.statement_for(&frozen), &claim.carried) {
        Ok(key) => Offline::Verified {
            key: key.id.clone(),
            line: format!(
                "VERIFIED (signed by key {}): the {} of version {} of meeting `{}` (the minutes' \
                 SHA-256 {}; the file's SHA-256 without its signature {sha})",
                key.id,
                claim.scope.label(claim.kind),
                claim.version,
                claim.meeting,
                claim.markdown_sha256
            ),
        },
        Err(e) => Offline::Mismatch(format!(
            "{e}: the file is not the {} of version {} of `{}` as signed",
            claim.scope.label(claim.kind),
            claim.version,
            claim.meeting
        )),
    };
    (verdict, Some(claim))
}

/// A public version's file: its commitment must verify (the public text is the signed
/// full version with exactly the items it lists withheld) and its signature must be one
/// of `keys`' over the public statement (the full version's facts, the public text's
/// SHA-256 and the commitment root).
pub fn check_public(keys: &[PublicSigningKey], file: &str) -> Offline {
    let proof = match commitment::verify_public(file) {
        Ok(proof) => proof,
        Err(e) => return Offline::Mismatch(format!("the public version does not verify: {e}")),
    };
    let Some(statement) = public::statement(&proof) else {
        return Offline::Mismatch("the public version carries no sign-off block".into());
    };
    let carried = match signature::in_markdown(file) {
        None => {
            return Offline::Unchecked(
                "the public version carries no signature; check it with --server URL or \
                 --data-dir DIR"
                    .into(),
            )
        }
        Some(None) => return Offline::Mismatch("the signature line is malformed".into()),
        Some(Some(carried)) => carried,
    };
    match signing::verify(keys, &statement, &carried) {
        Ok(key) => {
            let f = &statement.facts;
            Offline::Verified {
                key: key.id.clone(),
                line: format!(
                    "VERIFIED (signed by key {}): the public version of version {} of meeting \
                     `{}`, signed off by {} at {}: it is the signed full version (SHA-256 {}) \
                     with exactly the exempt items withheld — {} (public SHA-256 {}; \
                     commitment root {})",
                    key.id,
                    f.version,
                    f.meeting,
                    f.signer,
                    minutebook_shared::time::format_utc(f.signed_at),
                    f.sha256,
                    public::summary(&public::withheld(&proof)),
                    proof.public_sha256,
                    proof.root
                ),
            }
        }
        Err(e) => Offline::Mismatch(format!("the public version's signature: {e}")),
    }
}
