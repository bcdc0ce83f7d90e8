//! `cold-load`: store the final B4 document (one 400 KB update, acknowledged durable),
//! then time connect → first SyncStep2 for fresh connections while the document is not
//! in the server's memory, so every run loads it from redb.
//!
//! Modes: `unload` keeps the server process and verifies through `/healthz` that the
//! document was unloaded (`docs_loaded == 0`) before each run; `restart` starts a new
//! server process on the same data directory before each run; `warm` keeps a second
//! connection open so the document stays loaded (the in-memory baseline).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::stats::{Samples, Summary};
use super::sut::{Bins, Kind, Sut};
use super::trace;
use super::ws::{self, Frame, Next};

/// How each run is made cold (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Unload,
    Restart,
    Warm,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Unload => "cold (unloaded, same process)",
            Mode::Restart => "cold (fresh server process)",
            Mode::Warm => "warm (document in memory)",
        })
    }
}

/// One mode's figures.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub mode: Mode,
    pub load: Summary,
    /// Time from the last connection closing until `/healthz` showed no loaded document.
    pub unload: Option<Summary>,
    pub problems: Vec<String>,
}

const DOC: &str = "b4-cold";

/// Stores the document on a fresh data dir, then measures `runs` connections in `mode`.
pub async fn run(mode: Mode, runs: usize, bins: &Bins, data_dir: &Path) -> Result<Outcome> {
    let (final_text, update) = trace::load_final(data_dir)?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut sut = Sut::start(Kind::Minutebook, bins, &data, dir.path()).await?;
    seed(&sut, update).await?;
    let mut problems = Vec::new();
    let mut loads = Samples::default();
    let mut unloads = Samples::default();
    unloads.push(sut.wait_unloaded(Duration::from_secs(10)).await?);

    let mut holder = None;
    if mode == Mode::Warm {
        let mut ws = sut.connect(DOC, false).await?;
        ws::handshake(&mut ws, Duration::from_secs(10)).await?;
        holder = Some(ws);
    }
    for i in 0..runs {
        if mode == Mode::Restart {
            let token = sut.token.clone();
            problems.extend(sut.stop().await?);
            sut = Sut::restart(Kind::Minutebook, bins, &data, dir.path(), token).await?;
        }
        if mode != Mode::Warm {
            ensure!(
                sut.docs_loaded().await? == 0,
                "run {i}: the document is still loaded"
            );
        }
        let (elapsed, step2) = measure(&sut).await?;
        loads.push(elapsed);
        if i == 0 {
            let got = trace::text_of_updates(&[step2])?;
            ensure!(got == final_text, "the SyncStep2 does not hold the B4 text");
        }
        if mode == Mode::Unload {
            unloads.push(sut.wait_unloaded(Duration::from_secs(10)).await?);
        }
    }
    if let Some(mut ws) = holder {
        ws::close(&mut ws).await;
    }
    problems.extend(sut.stop().await?);
    Ok(Outcome {
        mode,
        load: loads.summary().context("no runs")?,
        unload: if mode == Mode::Unload {
            unloads.summary()
        } else {
            None
        },
        problems,
    })
}

/// Sends the whole document as one update and waits until it is durable.
async fn seed(sut: &Sut, update: Vec<u8>) -> Result<()> {
    let mut ws = sut.connect(DOC, true).await?;
    ws::handshake(&mut ws, Duration::from_secs(10)).await?;
    ws.send(WsMessage::Binary(ws::update(update))).await?;
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match ws::next(&mut ws).await {
                Next::Binary(frame) => {
                    if let Frame::Saved(n) = ws::parse(&frame)? {
                        if n >= 1 {
                            return Ok(());
                        }
                    }
                }
                Next::Closed(code, reason) => bail!("seeding connection closed: {code:?} {reason}"),
            }
        }
    })
    .await
    .context("the seed update was not acknowledged")??;
    ws::close(&mut ws).await;
    Ok(())
}

/// Connect (the session checked before the upgrade) → SyncStep1 sent → first SyncStep2
/// received; returns the time and its update.
async fn measure(sut: &Sut) -> Result<(Duration, Vec<u8>)> {
    let start = Instant::now();
    let mut ws = sut.connect(DOC, false).await?;
    let step2 = ws::handshake(&mut ws, Duration::from_secs(30)).await?;
    let elapsed = start.elapsed();
    ws::close(&mut ws).await;
    Ok((elapsed, step2))
}
