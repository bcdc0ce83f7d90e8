//! `minutebook verify FILE.pdf|FILE.docx`: a signed version's PDF or Word document is
//! checked byte for byte — its SHA-256 looked up among the outputs the store froze at
//! sign-off (in the database, or asked of `--server`); nothing in the file is parsed to
//! decide that. A PDF that is not byte for byte a stored one is then read for the signed
//! Markdown it carries (`minutes.md`, bounded), which is checked against the SHA-256 its
//! own sign-off block states. The signature a downloaded output carries (a comment the
//! server adds) is set aside for the lookup; `--key` checks it offline instead
//! ([`minutebook_server::auth::signed_file::check_output`]).

use anyhow::Context;
use minutebook_server::auth::records::kind;
use minutebook_server::docs::outputs::Kind;
use minutebook_server::docs::version_export;
use minutebook_server::meetings::outputs::OutputRef;
use minutebook_shared::signoff::output_signature::Scope;
use minutebook_shared::signoff::{self, output_signature, Verdict, VerifyAnswer};
use minutebook_shared::time::format_utc;
use minutebook_shared::trust::sha256_hex;

use super::verify::{
    self, ask_server, exit_with, with_store, VerifyArgs, EXIT_ERROR, EXIT_MISMATCH,
};

/// Largest PDF or Word file read.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest attached Markdown read out of a PDF.
const MAX_MARKDOWN_BYTES: usize = 16 << 20;

/// `minutebook verify`: a PDF or Word file here, a public version's file by
/// [`super::verify_public`], any other file (or `--key`) by [`verify::verify`].
pub async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    if args.key.is_none() {
        if let Some(code) = check(&args).await {
            return exit_with(code);
        }
        if let Some(text) = super::verify_public::read_public(&args) {
            return super::verify_public::verify(&args, text).await;
        }
    }
    verify::verify(args).await
}

/// The exit code, when `args.file` is a PDF or Word file (`None`: it is not one).
async fn check(args: &VerifyArgs) -> Option<i32> {
    let shown = args.file.display();
    let mut head = [0u8; 8];
    let sniffed = std::fs::File::open(&args.file).ok().and_then(|mut f| {
        use std::io::Read;
        let n = f.read(&mut head).ok()?;
        Kind::sniff(&head[..n])
    })?;
    let bytes = match read(args) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Some(EXIT_ERROR);
        }
    };
    let answer = match &args.server {
        Some(url) => ask_server(url, args.token.as_deref(), &bytes).await,
        None => from_store(args, &bytes).await,
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Some(EXIT_ERROR);
        }
    };
    let sha = sha256_hex(&output_signature::frozen(&bytes).0);
    match (&answer.stored, answer.output.as_deref()) {
        (Some(s), Some(ext)) if ext == sniffed.ext() && answer.matches != Some(false) => {
            println!(
                "VERIFIED: {shown} is the {} of version {} of meeting `{}`, signed off by {} \
                 on {} (the file's SHA-256 without its signature {sha}; the minutes' SHA-256 \
                 {})",
                if answer.public_output {
                    Scope::Public.label(sniffed)
                } else {
                    sniffed.label().to_owned()
                },
                s.version,
                s.meeting,
                s.signer,
                format_utc(s.signed_at),
                s.sha256
            );
            if let Some(later) = &answer.superseded_by {
                println!("Superseded: {later}");
            }
            println!("{}", signoff::approval_line(&answer));
            Some(0)
        }
        _ => {
            println!(
                "DOES NOT MATCH: {shown} is not, byte for byte, the {} of any stored signed \
                 version with the server's signature, if it carries one (its SHA-256 without \
                 the signature {sha}){}",
                sniffed.label(),
                carried(&bytes, sniffed)
            );
            Some(EXIT_MISMATCH)
        }
    }
}

fn read(args: &VerifyArgs) -> anyhow::Result<Vec<u8>> {
    let shown = args.file.display();
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("reading {shown}"))?
        .len();
    if size > MAX_FILE_BYTES {
        anyhow::bail!(
            "{shown} is {size} bytes; a signed version's output is at most {MAX_FILE_BYTES}"
        );
    }
    std::fs::read(&args.file).with_context(|| format!("reading {shown}"))
}

/// What the database in `--data-dir` holds for the output hashing to the file's SHA-256
/// (without the signature it carries: the output as frozen).
async fn from_store(args: &VerifyArgs, bytes: &[u8]) -> anyhow::Result<VerifyAnswer> {
    let sha = sha256_hex(&output_signature::frozen(bytes).0);
    let what = format!("looking up the file's SHA-256 {sha}");
    with_store(&args.data_dir, what, move |store| {
        let Some(found) = store
            .record(kind::OUTPUT_HASH, &sha)?
            .and_then(|json| serde_json::from_slice::<OutputRef>(&json).ok())
        else {
            return Ok(VerifyAnswer::default());
        };
        let v = store.version(&found.meeting, found.version)?;
        let ledger = match &v {
            Some(_) => store.ledger(&found.meeting)?,
            None => Default::default(),
        };
        Ok(VerifyAnswer {
            output: Some(found.kind.ext().to_owned()),
            public_output: found.scope == Scope::Public,
            ..version_export::verify_answer(&found.meeting, v.as_ref(), false, &ledger)
        })
    })
    .await
}

/// For a PDF that is not a stored one: what the signed Markdown it carries says of itself.
fn carried(bytes: &[u8], kind: Kind) -> String {
    if kind != Kind::Pdf {
        return String::new();
    }
    match minutebook_render::embedded_markdown(bytes, MAX_MARKDOWN_BYTES) {
        Ok(Some(md)) => match signoff::check(&md, None) {
            Verdict::SelfConsistent(f) => format!(
                "; it carries the signed Markdown of version {} of meeting `{}`, which matches \
                 the SHA-256 it states ({}) — extract it and verify that file against the store",
                f.version, f.meeting, f.sha256
            ),
            verdict => format!("; the Markdown it carries does not check out: {verdict}"),
        },
        Ok(None) => "; it carries no signed Markdown".to_owned(),
        Err(e) => format!("; its attached Markdown could not be read: {e}"),
    }
}
