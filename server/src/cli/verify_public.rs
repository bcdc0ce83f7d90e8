//! `minutebook verify PUBLIC-FILE` (with `--server` or `--data-dir`): a public version's
//! file — the public text, the full version's sign-off block and the public commitment —
//! checked against the store. Its commitment must verify (the text is the full signed
//! version with exactly the listed items withheld), and its root and public hash must be
//! the ones frozen with the version it names. (`--key` checks it offline instead:
//! [`minutebook_server::auth::signed_file::check_public`].)

use anyhow::Context;
use minutebook_server::docs::version_export;
use minutebook_shared::signoff::{self, public, VerifyAnswer};
use minutebook_shared::time::format_utc;
use minutebook_shared::trust::commitment;

use super::verify::{ask_server, exit_with, with_store, VerifyArgs, EXIT_ERROR, EXIT_MISMATCH};

/// Largest public file read.
const MAX_FILE_BYTES: u64 = commitment::MAX_FILE_BYTES as u64;

/// The file at `args.file` if it is a public version's (`None`: it is not one, or cannot
/// be read — the caller's general path reports that).
pub fn read_public(args: &VerifyArgs) -> Option<String> {
    let size = std::fs::metadata(&args.file).ok()?.len();
    if size > MAX_FILE_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(&args.file).ok()?;
    public::is_public_file(&text).then_some(text)
}

/// Prints the verdict on the public file `text` and exits 0, 1 or 2.
pub async fn verify(args: &VerifyArgs, text: String) -> anyhow::Result<()> {
    let shown = args.file.display().to_string();
    let proof = match commitment::verify_public(&text) {
        Ok(proof) => proof,
        Err(e) => {
            println!("DOES NOT MATCH: {shown} is not a public version that verifies: {e}");
            return exit_with(EXIT_MISMATCH);
        }
    };
    let Some(facts) = proof.sign_off.clone() else {
        println!("DOES NOT MATCH: {shown} carries no sign-off block");
        return exit_with(EXIT_MISMATCH);
    };
    let answer = match &args.server {
        Some(url) => ask_server(url, args.token.as_deref(), text.as_bytes()).await,
        None => {
            let (meeting, version) = (facts.meeting.clone(), facts.version);
            let what = format!("reading version {version} of `{meeting}`");
            let proof = proof.clone();
            with_store(&args.data_dir, what, move |store| {
                let v = store.version(&meeting, version)?;
                let ledger = match &v {
                    Some(_) => store.ledger(&meeting)?,
                    None => Default::default(),
                };
                Ok(version_export::public_file_answer(
                    &meeting,
                    &proof,
                    v.as_ref(),
                    &ledger,
                ))
            })
            .await
        }
    };
    let answer: VerifyAnswer = match answer.context("checking against the store") {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit_with(EXIT_ERROR);
        }
    };
    if answer.matches != Some(true) || answer.stored.is_none() {
        println!(
            "DOES NOT MATCH: {shown} is not the public version frozen with version {} of \
             meeting `{}`",
            facts.version, facts.meeting
        );
        return exit_with(EXIT_MISMATCH);
    }
    let withheld = answer
        .withheld
        .clone()
        .unwrap_or_else(|| public::withheld(&proof));
    println!(
        "VERIFIED: {shown} is the public version of version {} of meeting `{}`, signed off \
         by {} on {}: the signed full version (SHA-256 {}) with exactly the exempt items \
         withheld — {} (public SHA-256 {}; commitment root {})",
        facts.version,
        facts.meeting,
        facts.signer,
        format_utc(facts.signed_at),
        facts.sha256,
        public::summary(&withheld),
        proof.public_sha256,
        proof.root
    );
    if let Some(later) = &answer.superseded_by {
        println!("Superseded: {later}");
    }
    println!("{}", signoff::approval_line(&answer));
    exit_with(0)
}
