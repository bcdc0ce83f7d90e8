//! Sign-off through the release server (`bench sign-off`): the chair's `POST …/sign-off`
//! on a meeting of `scale` fixtures, timed until it answers — the version, its public
//! version and commitment, made durable (fsync), then its PDF and Word document rendered
//! off the document actor and stored, and both signatures made — then reopened for the
//! next run. The 1× meeting is the baseline, in the same session.

use std::time::Instant;

use anyhow::{bail, Result};
use minutebook_shared::trust::Role;
use serde_json::json;

use super::m2::{seed, MEETING};
use super::stats::median;
use super::sut::{Bins, Kind, Sut};
use minutebook_tests::http::Client;

/// One scale's runs.
pub struct Outcome {
    pub scale: usize,
    pub items: usize,
    pub blocks: usize,
    /// Milliseconds per sign-off request.
    pub ms: Vec<f64>,
    /// Bytes of the PDF and the Word document of the last version.
    pub pdf_bytes: usize,
    pub docx_bytes: usize,
}

/// Signs the meeting of `scale` fixtures off `runs` times (reopening between runs).
pub async fn run(bins: &Bins, scale: usize, runs: usize) -> Result<Outcome> {
    let work = tempfile::tempdir()?;
    let data = work.path().join("data");
    std::fs::create_dir_all(&data)?;
    let sut = Sut::start(Kind::Minutebook, bins, &data, work.path()).await?;
    let result = measure(&sut, scale, runs).await;
    sut.stop().await?;
    result
}

async fn measure(sut: &Sut, scale: usize, runs: usize) -> Result<Outcome> {
    let (items, blocks) = seed(sut, scale).await?;
    let Some(admin) = &sut.token else {
        bail!("no administrator session");
    };
    let chair =
        minutebook_tests::member(sut.addr, admin, MEETING, "Chair", None, Role::Chair).await;
    let chair = Client::new(sut.addr, Some(chair));
    let mut ms = Vec::with_capacity(runs);
    let (mut pdf_bytes, mut docx_bytes) = (0, 0);
    for n in 1..=runs {
        let start = Instant::now();
        let r = chair
            .post_json(
                &format!("/api/meetings/{MEETING}/sign-off"),
                &json!({ "override_reason": "benchmark" }),
            )
            .await;
        let took = start.elapsed();
        if r.status != 200 {
            bail!("sign-off {n}: HTTP {}: {}", r.status, r.text());
        }
        ms.push(took.as_secs_f64() * 1000.0);
        for (ext, bytes) in [("pdf", &mut pdf_bytes), ("docx", &mut docx_bytes)] {
            let r = chair
                .get(&format!(
                    "/api/meetings/{MEETING}/versions/{n}/export.{ext}"
                ))
                .await;
            if r.status != 200 {
                bail!(
                    "version {n} has no {ext} when its sign-off answered: HTTP {}",
                    r.status
                );
            }
            *bytes = r.body.len();
        }
        let r = chair
            .post_json(
                &format!("/api/meetings/{MEETING}/reopen"),
                &json!({ "reason": "the next run" }),
            )
            .await;
        if r.status != 200 {
            bail!("reopen {n}: HTTP {}: {}", r.status, r.text());
        }
    }
    Ok(Outcome {
        scale,
        items,
        blocks: blocks.len(),
        ms,
        pdf_bytes,
        docx_bytes,
    })
}

/// The markdown section for the runs (the first scale is the baseline).
pub fn report(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "### Sign-off through the server\n\nThe chair's `POST /api/meetings/{name}/sign-off`, timed until it answers: the version and its public version made durable, the PDF and Word document rendered and stored, both signatures made. Then reopened, and again.\n\n| meeting | items / blocks | runs | median | min – max | ratio to the first row | PDF / DOCX bytes |\n|---|---|---|---|---|---|---|\n",
    );
    let base = outcomes.first().map(|o| median(o.ms.iter().copied()));
    for o in outcomes {
        let m = median(o.ms.iter().copied());
        let (lo, hi) = super::stats::range(o.ms.iter().copied());
        let ratio = base.map_or("–".to_owned(), |b| format!("{:.2}×", m / b));
        out.push_str(&format!(
            "| {}× fixture | {} / {} | {} | {m:.0} ms | {lo:.0} – {hi:.0} ms | {ratio} | {} / {} |\n",
            o.scale,
            o.items,
            o.blocks,
            o.ms.len(),
            o.pdf_bytes,
            o.docx_bytes
        ));
    }
    out
}
