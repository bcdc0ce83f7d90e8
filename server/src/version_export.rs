//! The exports of a signed version, each ending in its sign-off block: the Markdown (the
//! canonical rendering the chair signed, plus the block) and the HTML page (frozen at
//! sign-off, so that later changes to the renderer never change a signed export).

use minutebook_shared::meeting::{export, Meeting, MeetingView};
use minutebook_shared::signoff::{self, SignOff, VerifyAnswer};
use minutebook_shared::trust::sha256_hex;
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

use crate::store::SignedVersion;

/// The sign-off facts of version `v` of meeting `name`.
pub fn facts(name: &str, v: &SignedVersion) -> SignOff {
    SignOff::of_version(&v.info, name)
}

/// The Markdown export of `v`.
pub fn markdown(name: &str, v: &SignedVersion) -> String {
    signoff::render_markdown(&v.markdown, &facts(name, v))
}

/// The HTML export of the minutes `view`, signed as `facts` (what is frozen at sign-off).
pub fn render_html(view: &MeetingView, facts: &SignOff) -> String {
    signoff::with_html_footer(&export::html(view), facts)
}

/// What `minutebook verify` needs of the stored version `v` of `name` (if stored): its
/// facts, and for an HTML file (`html`) the SHA-256 of its HTML export.
pub fn verify_answer(name: &str, v: Option<&SignedVersion>, html: bool) -> VerifyAnswer {
    let Some(v) = v else {
        return VerifyAnswer::default();
    };
    VerifyAnswer {
        stored: Some(signoff::stored_facts(&v.info, name)),
        html_sha256: html
            .then(|| self::html(name, v))
            .flatten()
            .map(|page| sha256_hex(page.as_bytes())),
    }
}

/// The HTML export of `v`: as frozen at sign-off, or (for versions signed before HTML
/// exports were frozen) rendered from the stored state. `None` if that state is unreadable.
pub fn html(name: &str, v: &SignedVersion) -> Option<String> {
    if let Some(html) = &v.html {
        return Some(html.clone());
    }
    let doc = Doc::new();
    let decoded = crate::guard::contain(|| {
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
    Some(render_html(&view, &facts(name, v)))
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

/// [`verify_answer`] off the async workers: an HTML file's answer renders and hashes.
pub async fn verify_answer_off_workers(
    name: String,
    v: Option<SignedVersion>,
    html: bool,
) -> Result<VerifyAnswer, crate::docs::cpu::CpuError> {
    crate::docs::cpu::run(move || verify_answer(&name, v.as_ref(), html)).await
}

/// The line diff from version `v`'s Markdown to `draft`, off the async workers.
pub async fn diff_off_workers(
    v: SignedVersion,
    draft: String,
) -> Result<Vec<minutebook_shared::diff::DiffLine>, crate::docs::cpu::CpuError> {
    crate::docs::cpu::run(move || minutebook_shared::diff::lines(&v.markdown, &draft)).await
}
