//! `b4-stream`: all 259,778 B4 edits through the server as individual pipelined
//! updates from one writer connection, to one reader connection that applies each one
//! and converges on the final text. Reports first send → reader converged, first send →
//! every write acknowledged durable, and the raw-yrs apply baseline.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::decoder::Decode;
use yrs::{GetString, Text, Transact, Update};

use super::procfs::{self, ProcSample};
use super::sut::{Bins, Kind, Sut};
use super::trace;
use super::ws::{self, Frame, Next};

/// Longest a run may take before it is declared stuck.
const LIMIT: Duration = Duration::from_secs(300);

/// The precomputed workload.
pub struct Workload {
    /// One Update frame per trace operation.
    pub frames: Vec<Bytes>,
    pub updates: Vec<Vec<u8>>,
    pub final_text: String,
}

impl Workload {
    pub fn load(data_dir: &std::path::Path) -> Result<Workload> {
        let ops = trace::load_ops(data_dir)?;
        let (final_text, _) = trace::load_final(data_dir)?;
        let updates = trace::updates_of(&ops, &final_text)?;
        let frames = updates.iter().map(|u| ws::update(u.clone())).collect();
        Ok(Workload {
            frames,
            updates,
            final_text,
        })
    }
}

/// One run's figures (`None`: that milestone was never reached; see `problems`).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: Kind,
    /// First send → the reader's text equals the final text.
    pub converged: Option<Duration>,
    /// First send → the last frame was handed to the socket.
    pub sent: Option<Duration>,
    /// First send → the "saved" ack covering every update.
    pub durable: Option<Duration>,
    pub server_cpu_s: f64,
    /// CPU seconds of the bench process itself (writer, reader, acks).
    pub bench_cpu_s: f64,
    /// Cores kept busy by other processes during the run, on average.
    pub other_cores: f64,
    pub rss_peak_mib: f64,
    pub problems: Vec<String>,
}

/// Streams the workload once through a fresh server of `kind`. With `max_in_flight > 0`
/// the writer keeps at most that many updates unacknowledged (flow control); 0 sends
/// everything without waiting.
pub async fn run(kind: Kind, bins: &Bins, work: &Workload, max_in_flight: u64) -> Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let sut = Sut::start(kind, bins, &dir.path().join("data"), dir.path()).await?;
    let total = work.frames.len() as u64;

    let mut reader = sut.connect("b4", false).await?;
    ws::handshake(&mut reader, Duration::from_secs(10)).await?;
    let mut writer = sut.connect("b4", true).await?;
    ws::handshake(&mut writer, Duration::from_secs(10)).await?;
    let before = sut.sample()?;
    let (bench_before, machine_before) = (procfs::sample("self")?, procfs::machine_busy_s()?);

    let start = Instant::now();
    let final_text = work.final_text.clone();
    let mut read = tokio::spawn(async move {
        let doc = trace::doc(3);
        let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
        let final_len = {
            let tmp = trace::doc(4);
            let t = tmp.get_or_insert_text(minutebook_shared::schema::TEXT);
            let mut txn = tmp.transact_mut();
            t.insert(&mut txn, 0, &final_text);
            t.len(&txn)
        };
        let mut applied = 0u64;
        loop {
            let frame = match ws::next(&mut reader).await {
                Next::Binary(frame) => frame,
                Next::Closed(code, reason) => {
                    bail!("reader disconnected after {applied} updates, at {:.2} s: {code:?} {reason}", start.elapsed().as_secs_f64())
                }
            };
            if let Frame::Update(u) | Frame::Step2(u) = ws::parse(&frame)? {
                let mut txn = doc.transact_mut();
                txn.apply_update(Update::decode_v1(u)?)?;
                applied += 1;
                if text.len(&txn) == final_len && text.get_string(&txn) == final_text {
                    drop(txn);
                    let at = start.elapsed();
                    ws::close(&mut reader).await;
                    return Ok((at, applied));
                }
            }
        }
    });

    let (mut sink, mut acks) = writer.split();
    let (acked_tx, mut acked_rx) = tokio::sync::watch::channel(0u64);
    let mut acked = tokio::spawn(async move {
        let mut last = 0;
        loop {
            match ws::next(&mut acks).await {
                Next::Binary(frame) => {
                    if let Frame::Saved(n) = ws::parse(&frame)? {
                        last = n;
                        acked_tx.send_replace(n);
                        if n >= total {
                            return Ok((start.elapsed(), acks));
                        }
                    }
                }
                Next::Closed(code, reason) => bail!(
                    "writer disconnected at {:.2} s with {last} of {total} updates acknowledged: {code:?} {reason}",
                    start.elapsed().as_secs_f64()
                ),
            }
        }
    });
    let mut written = 0u64;
    let send = async {
        for frame in &work.frames {
            if max_in_flight > 0 && written >= *acked_rx.borrow() + max_in_flight {
                sink.flush().await?;
                let floor = written - max_in_flight;
                acked_rx
                    .wait_for(|&a| a > floor)
                    .await
                    .context("acknowledgements stopped")?;
            }
            sink.feed(WsMessage::Binary(frame.clone())).await?;
            written += 1;
        }
        sink.flush().await?;
        anyhow::Ok(start.elapsed())
    };
    let mut problems = Vec::new();
    let sent = match tokio::time::timeout(LIMIT, send).await {
        Ok(Ok(at)) => Some(at),
        Ok(Err(e)) => {
            problems.push(format!(
                "writer: sending failed after {written} frames: {e}"
            ));
            None
        }
        Err(_) => {
            problems.push(format!("writer: sending timed out after {written} frames"));
            None
        }
    };
    // Once sending failed, convergence is impossible: do not wait long.
    let patience = if sent.is_some() {
        LIMIT
    } else {
        Duration::from_secs(5)
    };
    let converged = match tokio::time::timeout(patience, &mut read).await {
        Ok(Ok(Ok((at, applied)))) => {
            // Convergence is checked on the text. The real server merges a commit's
            // relays, so its reader applies fewer (merged) updates than were sent.
            eprintln!("b4-stream: reader converged after applying {applied} merged updates ({total} sent)");
            Some(at)
        }
        Ok(Ok(Err(e))) => {
            problems.push(e.to_string());
            None
        }
        Ok(Err(e)) => {
            problems.push(format!("reader task failed: {e}"));
            None
        }
        Err(_) => {
            problems.push("reader did not converge in time".into());
            None
        }
    };
    let durable = match tokio::time::timeout(patience, &mut acked).await {
        Ok(Ok(Ok((at, acks)))) => {
            if let Ok(mut writer) = sink.reunite(acks) {
                ws::close(&mut writer).await;
            }
            Some(at)
        }
        Ok(Ok(Err(e))) => {
            problems.push(e.to_string());
            None
        }
        Ok(Err(e)) => {
            problems.push(format!("ack task failed: {e}"));
            None
        }
        Err(_) => {
            problems.push("writes were not all acknowledged in time".into());
            None
        }
    };
    read.abort();
    acked.abort();
    let after: ProcSample = sut.sample()?;
    let (bench_after, machine_after) = (procfs::sample("self")?, procfs::machine_busy_s()?);
    let elapsed = start.elapsed().as_secs_f64();
    problems.extend(sut.stop().await?);
    Ok(Outcome {
        kind,
        converged,
        sent,
        durable,
        server_cpu_s: after.cpu_s - before.cpu_s,
        bench_cpu_s: bench_after.cpu_s - bench_before.cpu_s,
        other_cores: ((machine_after - machine_before)
            - (after.cpu_s - before.cpu_s)
            - (bench_after.cpu_s - bench_before.cpu_s))
            .max(0.0)
            / elapsed,
        rss_peak_mib: after.hwm_mib(),
        problems,
    })
}
