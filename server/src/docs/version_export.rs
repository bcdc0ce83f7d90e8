//! The exports of a signed version, each ending in its sign-off block: the Markdown (the
//! canonical rendering the chair signed, plus the block) and the HTML page (frozen at
//! sign-off, so that later changes to the renderer never change a signed export).

use minutebook_shared::meeting::{self, export, Meeting, MeetingView};
use minutebook_shared::signoff::signature::{self, Carried, Statement};
use minutebook_shared::signoff::{self, SignOff, Superseded, VerifyAnswer};
use minutebook_shared::trust::commitment::{self, PublicProof};
use minutebook_shared::trust::{self, sha256_hex, Approval, Ledger, Stamp, VersionInfo};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

use crate::store::{PublicVersion, SignedVersion};

/// The signed version of `meeting` (merged with its Part II document `part2`) as it
/// stands, with the decided `ledger`: version
/// `number` signed by `signed`, the override reason kept only when the statements are not
/// all confirmed. Its canonical Markdown ends with the sign-off facts, so the hash covers
/// them; the whole state and the HTML page are frozen with it. CPU work proportional to
/// the meeting: run it through [`crate::docs::cpu::run`].
pub fn sign(
    meeting: &Meeting,
    part2: &Meeting,
    ledger: &Ledger,
    name: &str,
    number: u32,
    signed: Stamp,
    override_reason: String,
) -> SignedVersion {
    let txn = meeting.doc().transact();
    let view = meeting.full_view(&txn, part2, &part2.doc().transact());
    let readiness = trust::readiness(&view, ledger);
    let mut info = VersionInfo {
        version: number,
        signed,
        sha256: String::new(),
        override_reason: if readiness.complete() {
            String::new()
        } else {
            override_reason
        },
        readiness,
        withheld: None,
    };
    let markdown = canonical_markdown(&view, &info);
    info.sha256 = sha256_hex(markdown.as_bytes());
    // One document holding the whole meeting, Part II in place: what readers of the
    // frozen state (PDF, Word, published pages) render.
    let state = minutebook_shared::meeting::part2::merged_state(meeting, part2);
    let html = render_html(&view, &SignOff::of_version(&info, name));
    let public = public_version(&view, &info, &markdown);
    // The ledger's summary says what the public version withholds, so that pages offer
    // members without restricted access only what they may download.
    info.withheld = Some(
        public
            .as_ref()
            .map(|p| p.withheld.clone())
            .unwrap_or_default(),
    );
    SignedVersion {
        info,
        markdown,
        state,
        html: Some(html),
        form: signoff::CANONICAL_FORM,
        public,
    }
}

/// The public version of the minutes `view` signed as `info`, whose canonical Markdown is
/// `markdown`: its segments (one per item, exempt ones withheld) with a fresh random salt
/// each, the public text and both commitment blocks. `None` (logged) if the segments do
/// not make up `markdown` exactly or no salt could be drawn: the version is then signed
/// without a public version, and nothing is published for it.
fn public_version(view: &MeetingView, info: &VersionInfo, markdown: &str) -> Option<PublicVersion> {
    let status = signoff::signed_status(info.version, &info.signed.by, info.signed.at);
    let mut segments = meeting::markdown::segments(view, &status);
    meeting::segment::append_to_trailer(&mut segments, &signoff::facts_section(info));
    if meeting::segment::concat(&segments) != markdown {
        tracing::error!(
            version = info.version,
            "the segments do not make up the signed Markdown: no public version"
        );
        return None;
    }
    let mut salts = Vec::with_capacity(segments.len());
    for _ in &segments {
        let mut salt: commitment::Salt = [0; commitment::SALT_LEN];
        if let Err(e) = getrandom::fill(&mut salt) {
            tracing::error!(error = %e, "no randomness for the commitment's salts: no public version");
            return None;
        }
        salts.push(salt);
    }
    let made = (|| {
        let root = commitment::root(&segments, &salts)?;
        let public = commitment::public_markdown(&segments);
        Ok::<_, commitment::CommitmentError>(PublicVersion {
            sha256: sha256_hex(public.as_bytes()),
            markdown: public,
            root: commitment::hex(&root),
            full_block: commitment::full_block(&segments, &salts)?,
            public_block: commitment::public_block(&segments, &salts)?,
            withheld: segments
                .iter()
                .filter(|s| s.is_withheld())
                .filter_map(|s| s.number().map(str::to_owned))
                .collect(),
        })
    })();
    made.map_err(
        |e| tracing::error!(error = %e, "the commitment could not be made: no public version"),
    )
    .ok()
}

/// What the server signs for the public version of version `v` of `name` (form 2: the
/// full version's facts, the public text's SHA-256 and the commitment root).
pub fn public_statement(name: &str, v: &SignedVersion) -> Option<Statement> {
    let public = v.public.as_ref()?;
    Some(Statement {
        facts: facts(name, v),
        html_sha256: None,
        public_sha256: Some(public.sha256.clone()),
        commitment_root: Some(public.root.clone()),
    })
}

/// The public version's file of version `v` of `name`: the public text, the sign-off block
/// (the full version's facts), the signature of the public statement when given, and the
/// public commitment block. `None` for a version without a public version.
pub fn public_file(name: &str, v: &SignedVersion, signature: Option<&Carried>) -> Option<String> {
    let public = v.public.as_ref()?;
    let mut file = signoff::render_markdown(&public.markdown, &facts(name, v));
    if let Some(c) = signature {
        file = signature::add_to_markdown(&file, c);
    }
    file.push_str(&public.public_block);
    Some(file)
}

/// What the server signs for version `v` of meeting `name`: its facts and the SHA-256 of
/// its frozen HTML page (none for versions signed before pages were frozen).
pub fn statement(name: &str, v: &SignedVersion) -> Statement {
    Statement {
        facts: facts(name, v),
        html_sha256: v.html.as_ref().map(|page| sha256_hex(page.as_bytes())),
        // The version's own statement stays form 1; its public version is signed apart
        // ([`public_statement`]).
        public_sha256: None,
        commitment_root: None,
    }
}

/// The sign-off facts of version `v` of meeting `name`.
pub fn facts(name: &str, v: &SignedVersion) -> SignOff {
    SignOff::of_version(&v.info, name)
}

/// The Markdown export of `v`.
pub fn markdown(name: &str, v: &SignedVersion) -> String {
    signoff::render_markdown(&v.markdown, &facts(name, v))
}

/// The HTML export of the minutes `view`, signed as `facts` (what is frozen at sign-off):
/// its Status says "Signed off — version N — by … on …".
pub fn render_html(view: &MeetingView, facts: &SignOff) -> String {
    let status = signoff::signed_status(facts.version, &facts.signer, facts.signed_at);
    signoff::with_html_footer(&export::html_as(view, &status), facts)
}

/// The canonical Markdown of the minutes `view` signed as `info` (form
/// [`signoff::CANONICAL_FORM`]): its Status line says "Signed off — version N — by … on …"
/// and it ends with the sign-off facts (override reason and unconfirmed count included),
/// so the SHA-256 the chair signs covers them. `info.sha256` is not read.
pub fn canonical_markdown(view: &MeetingView, info: &VersionInfo) -> String {
    let status = signoff::signed_status(info.version, &info.signed.by, info.signed.at);
    let mut markdown = export::markdown_as(view, &status);
    markdown.push_str(&signoff::facts_section(info));
    markdown
}

/// What `minutebook verify` needs of the stored version `v` of `name` (if stored): its
/// facts, for an HTML file (`html`) the SHA-256 of its HTML export, the later version
/// that replaced it, if any, and its approval (`ledger`: the meeting's).
pub fn verify_answer(
    name: &str,
    v: Option<&SignedVersion>,
    html: bool,
    ledger: &Ledger,
) -> VerifyAnswer {
    let Some(v) = v else {
        return VerifyAnswer::default();
    };
    let approval = ledger
        .approval_of(v.info.version, &v.info.sha256)
        .or_else(|| {
            ledger
                .pending_amendments()
                .filter(|a| a.version == v.info.version)
        })
        .map(Approval::describe);
    let superseded_by = ledger
        .versions
        .iter()
        .filter(|later| later.version > v.info.version)
        .max_by_key(|later| later.version)
        .map(|later| Superseded {
            version: later.version,
            signer: later.signed.by.clone(),
            signed_at: later.signed.at,
        });
    VerifyAnswer {
        stored: Some(signoff::stored_facts(&v.info, name)),
        html_sha256: html
            .then(|| self::html(name, v))
            .flatten()
            .map(|page| sha256_hex(page.as_bytes())),
        matches: None,
        superseded_by,
        signature: None,
        approval,
        output: None,
        public_output: false,
        withheld: None,
    }
}

/// The answer for a public version's file whose commitment verified as `proof`, against
/// the stored version `v` of `name`: it matches when it states that version's sign-off
/// facts and its public text and commitment root are the ones frozen with it; the stored
/// facts, and the items withheld, only then.
pub fn public_file_answer(
    name: &str,
    proof: &PublicProof,
    v: Option<&SignedVersion>,
    ledger: &Ledger,
) -> VerifyAnswer {
    let matches = v.is_some_and(|v| {
        proof.sign_off.as_ref() == Some(&facts(name, v))
            && v.public
                .as_ref()
                .is_some_and(|p| p.root == proof.root && p.sha256 == proof.public_sha256)
    });
    if !matches {
        return VerifyAnswer {
            matches: Some(false),
            ..VerifyAnswer::default()
        };
    }
    VerifyAnswer {
        matches: Some(true),
        withheld: Some(signoff::public::withheld(proof)),
        ..verify_answer(name, v, false, ledger)
    }
}

/// The answer of `POST /api/verify` for `file`: whether it matches the stored version it
/// names; the stored facts only when it does (a forged or altered file learns nothing
/// about what is stored — not whether the meeting was signed, by whom or when).
pub fn public_answer(file: &str, stored: VerifyAnswer) -> VerifyAnswer {
    if signoff::verdict_of(file, &stored).verified() {
        VerifyAnswer {
            matches: Some(true),
            ..stored
        }
    } else {
        VerifyAnswer {
            matches: Some(false),
            ..VerifyAnswer::default()
        }
    }
}

/// The HTML export of `v`: as frozen at sign-off, or (for versions signed before HTML
/// exports were frozen) rendered from the stored state. `None` if that state is unreadable.
pub fn html(name: &str, v: &SignedVersion) -> Option<String> {
    if let Some(html) = &v.html {
        return Some(html.clone());
    }
    Some(render_html(&view(v)?, &facts(name, v)))
}

/// The minutes of `v` as signed, from its stored state; `None` if that state is
/// unreadable (decoding is contained: a corrupt state cannot take the caller down).
pub fn view(v: &SignedVersion) -> Option<MeetingView> {
    let doc = Doc::new();
    let decoded = crate::docs::guard::contain(|| {
        let update = Update::decode_v1(&v.state).map_err(|e| e.to_string())?;
        doc.transact_mut()
            .apply_update(update)
            .map_err(|e| e.to_string())
    });
    if !matches!(decoded, Ok(Ok(()))) {
        return None;
    }
    let meeting = Meeting::new(doc);
    let view = meeting.view(&meeting.doc().transact());
    Some(view)
}

/// [`markdown`] off the async workers ([`crate::docs::cpu`]).
pub async fn markdown_off_workers(
    name: String,
    v: SignedVersion,
) -> Result<String, crate::docs::cpu::CpuError> {
    crate::docs::cpu::run(move || markdown(&name, &v)).await
}

/// [`html`] off the async workers: an old version's page is rendered from its state.
pub async fn html_off_workers(
    name: String,
    v: SignedVersion,
) -> Result<Option<String>, crate::docs::cpu::CpuError> {
    crate::docs::cpu::run(move || html(&name, &v)).await
}

/// [`public_answer`] for `file` against [`verify_answer`], off the async workers (an
/// HTML file's answer renders and hashes).
pub async fn public_answer_off_workers(
    file: String,
    name: String,
    v: Option<SignedVersion>,
    html: bool,
    ledger: Ledger,
) -> Result<VerifyAnswer, crate::docs::cpu::CpuError> {
    crate::docs::cpu::run(move || {
        public_answer(&file, verify_answer(&name, v.as_ref(), html, &ledger))
    })
    .await
}

/// The line diff from version `v`'s Markdown to `draft`, off the async workers.
pub async fn diff_off_workers(
    v: SignedVersion,
    draft: String,
) -> Result<Vec<minutebook_shared::diff::DiffLine>, crate::docs::cpu::CpuError> {
    // The minutes only: not the Status lines or the signed version's sign-off facts.
    crate::docs::cpu::run(move || {
        minutebook_shared::diff::lines(
            &signoff::minutes_only(&v.markdown),
            &signoff::minutes_only(&draft),
        )
    })
    .await
}
