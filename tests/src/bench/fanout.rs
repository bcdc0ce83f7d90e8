//! `fanout`: D documents × C clients, W of them writing R small inserts per second.
//!
//! Every insert is one Update message whose text carries its send time (`~T<µs hex>~`,
//! microseconds since the bench's epoch), so each receiving client computes the delivery
//! latency send → receipt. Writers use the `minutebook.v1` subprotocol where the server
//! offers it and also time send → the "saved" acknowledgement covering the message. Only
//! updates sent inside the measurement window (after a warm-up) are counted; the server's
//! CPU time over the window is divided by the deliveries made in it. Servers that echo an
//! update to its writer (y-websocket, Hocuspocus) have the echoes counted apart: they are
//! not deliveries.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::time::{sleep_until, Instant as TokioInstant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Doc, Text, Transact};

use super::framing::{update_client, Framing};
use super::procfs;
use super::stats::{Samples, Summary};
use super::sut::{Bins, Kind, Sut};
use super::ws::{self, Frame, Next, Ws};

/// The load.
#[derive(Debug, Clone, clap::Args)]
pub struct Params {
    /// Documents.
    #[arg(long, default_value_t = 50)]
    pub docs: usize,
    /// Clients per document (writers included).
    #[arg(long, default_value_t = 10)]
    pub clients: usize,
    /// Writers per document.
    #[arg(long, default_value_t = 2)]
    pub writers: usize,
    /// Updates per second per writer.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Length of the measurement window, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub seconds: f64,
    /// Writing before the window opens (not measured), seconds.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
}

impl Params {
    pub fn describe(&self) -> String {
        format!(
            "{} docs × {} clients ({} writers × {} Hz), {} s (+{} s warm-up)",
            self.docs, self.clients, self.writers, self.rate, self.seconds, self.warmup
        )
    }
}

/// One run's figures.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: Kind,
    /// One 4 KiB append + fdatasync in the data dir's filesystem, just before the run.
    pub fsync: Summary,
    pub delivery: Option<Summary>,
    pub ack: Option<Summary>,
    /// Updates sent inside the window.
    pub sent: u64,
    /// Deliveries expected (sent × other clients) and made, for updates sent in the window.
    pub expected: u64,
    pub delivered: u64,
    /// Updates sent inside the window that came back to their own writer.
    pub echoes: u64,
    pub deliveries_per_s: f64,
    pub server_cpu_s: f64,
    pub cpu_s_per_100k: f64,
    pub bench_cpu_s: f64,
    /// Cores kept busy by other processes during the window, on average.
    pub other_cores: f64,
    pub rss_idle_mib: f64,
    /// After every client has closed.
    pub rss_end_mib: f64,
    /// At the end of the measurement window, every client still connected.
    pub rss_window_end_mib: f64,
    pub rss_peak_mib: f64,
    /// Disconnects, errors and server log lines.
    pub problems: Vec<String>,
}

/// Times shared by every client of a run.
struct Plan {
    epoch: Instant,
    /// Writers start here…
    start: TokioInstant,
    /// …measure updates sent from here…
    window_start: u64,
    /// …until here (µs since epoch), and stop writing then.
    window_end: u64,
    stop: TokioInstant,
    /// Clients keep reading until here.
    end: TokioInstant,
    period: Duration,
}

impl Plan {
    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    fn in_window(&self, ts: u64) -> bool {
        (self.window_start..self.window_end).contains(&ts)
    }
}

#[derive(Default)]
struct ClientStats {
    deliveries: Samples,
    acks: Samples,
    sent_in_window: u64,
    echoes: u64,
    problems: Vec<String>,
}

/// Runs the load once against a fresh server of `kind`.
pub async fn run(kind: Kind, bins: &Bins, params: &Params) -> Result<Outcome> {
    anyhow::ensure!(
        params.writers <= params.clients && params.clients >= 2,
        "need 2+ clients and writers ≤ clients"
    );
    let dir = tempfile::tempdir()?;
    let fsync = super::disk::fsync_probe(dir.path(), 200).await?;
    let sut = Sut::start(kind, bins, &dir.path().join("data"), dir.path()).await?;

    // Connect everyone (64 handshakes at a time) and wait for each initial sync.
    let mut sockets: Vec<(usize, usize, Ws, Framing)> =
        Vec::with_capacity(params.docs * params.clients);
    let slots: Vec<(usize, usize)> = (0..params.docs)
        .flat_map(|d| (0..params.clients).map(move |c| (d, c)))
        .collect();
    for chunk in slots.chunks(64) {
        let mut pending: FuturesUnordered<_> = chunk
            .iter()
            .map(|&(d, c)| {
                let doc = format!("fanout-{d}");
                let writer = c < params.writers;
                let sut = &sut;
                async move {
                    let mut ws = sut.connect(&doc, writer).await?;
                    let framing = sut.framing(&doc);
                    framing
                        .handshake(&mut ws, Duration::from_secs(30))
                        .await
                        .with_context(|| format!("{kind}: doc {d} client {c}"))?;
                    anyhow::Ok((d, c, ws, framing))
                }
            })
            .collect();
        while let Some(result) = pending.next().await {
            sockets.push(result?);
        }
    }
    let idle = sut.sample()?;

    let period = Duration::from_secs_f64(1.0 / params.rate);
    let start = TokioInstant::now() + Duration::from_millis(200);
    let epoch = start.into_std();
    let stop = start + Duration::from_secs_f64(params.warmup + params.seconds);
    let plan = Arc::new(Plan {
        epoch: epoch - Duration::from_secs(1), // keep timestamps of the warm-up positive
        start,
        window_start: 1_000_000 + (params.warmup * 1e6) as u64,
        window_end: 1_000_000 + ((params.warmup + params.seconds) * 1e6) as u64,
        stop,
        end: stop + Duration::from_secs(2),
        period,
    });
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|(d, c, ws, framing)| {
            let writer = c < params.writers;
            tokio::spawn(client(
                ws,
                Role {
                    writer,
                    acks: writer && kind.acks(),
                    framing,
                },
                format!("doc {d} client {c}"),
                plan.clone(),
            ))
        })
        .collect();

    sleep_until(start + Duration::from_secs_f64(params.warmup)).await;
    let (server_before, bench_before, machine_before) = (
        sut.sample()?,
        procfs::sample("self")?,
        procfs::machine_busy_s()?,
    );
    sleep_until(stop).await;
    let (server_after, bench_after, machine_after) = (
        sut.sample()?,
        procfs::sample("self")?,
        procfs::machine_busy_s()?,
    );

    let mut all = ClientStats::default();
    for task in tasks {
        let stats = task.await.context("client task panicked")?;
        all.deliveries.extend(stats.deliveries);
        all.acks.extend(stats.acks);
        all.sent_in_window += stats.sent_in_window;
        all.echoes += stats.echoes;
        all.problems.extend(stats.problems);
    }
    let end = sut.sample()?;
    let mut problems = all.problems;
    problems.extend(sut.stop().await?);

    let delivered = all.deliveries.len() as u64;
    eprintln!(
        "  delivery latency histogram (ms): {}",
        all.deliveries.histogram()
    );
    let expected = all.sent_in_window * (params.clients as u64 - 1);
    if delivered != expected {
        problems.push(format!(
            "{} of {expected} deliveries missing",
            expected.saturating_sub(delivered)
        ));
    }
    let server_cpu_s = server_after.cpu_s - server_before.cpu_s;
    Ok(Outcome {
        kind,
        fsync,
        delivery: all.deliveries.summary(),
        ack: all.acks.summary(),
        sent: all.sent_in_window,
        expected,
        delivered,
        echoes: all.echoes,
        deliveries_per_s: delivered as f64 / params.seconds,
        server_cpu_s,
        cpu_s_per_100k: server_cpu_s / delivered.max(1) as f64 * 100_000.0,
        bench_cpu_s: bench_after.cpu_s - bench_before.cpu_s,
        other_cores: ((machine_after - machine_before)
            - server_cpu_s
            - (bench_after.cpu_s - bench_before.cpu_s))
            .max(0.0)
            / params.seconds,
        rss_idle_mib: idle.rss_mib(),
        rss_end_mib: end.rss_mib(),
        rss_window_end_mib: server_after.rss_mib(),
        rss_peak_mib: [idle, server_before, server_after, end]
            .iter()
            .map(|s| s.hwm_mib().max(s.rss_mib()))
            .fold(0.0, f64::max),
        problems,
    })
}

/// What one client does and how it frames its messages.
struct Role {
    writer: bool,
    /// Expects "saved" acknowledgements for what it writes.
    acks: bool,
    framing: Framing,
}

/// One client: reads (timing deliveries and acks) and, if a writer, writes on schedule.
async fn client(ws: Ws, role: Role, name: String, plan: Arc<Plan>) -> ClientStats {
    let Role {
        writer,
        acks,
        framing,
    } = role;
    let own_id = rand::rng().random_range(1..u64::from(u32::MAX));
    let framing = Arc::new(framing);
    let (mut sink, mut stream) = ws.split();
    // Update-carrying messages sent on this connection: (count, send time µs).
    let pending: Arc<Mutex<VecDeque<(u64, u64)>>> = Arc::default();
    let write = {
        let (plan, pending, framing) = (plan.clone(), pending.clone(), framing.clone());
        async move {
            if !writer {
                return Ok((sink, 0));
            }
            let doc = Doc::with_client_id(own_id);
            let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
            let phase =
                Duration::from_secs_f64(rand::rng().random_range(0.0..plan.period.as_secs_f64()));
            let mut ticks = tokio::time::interval_at(plan.start + phase, plan.period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let (mut count, mut in_window) = (0u64, 0u64);
            loop {
                let tick = ticks.tick().await;
                if tick >= plan.stop {
                    break;
                }
                let ts = plan.now_us();
                let update = {
                    let mut txn = doc.transact_mut();
                    let len = text.len(&txn);
                    text.insert(&mut txn, len, &format!("~T{ts:016x}~"));
                    txn.encode_update_v1()
                };
                count += 1;
                if plan.in_window(ts) {
                    in_window += 1;
                }
                pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back((count, ts));
                sink.send(WsMessage::Binary(framing.update(update))).await?;
            }
            anyhow::Ok((sink, in_window))
        }
    };
    let read = {
        let (plan, pending, name) = (plan.clone(), pending.clone(), name.clone());
        async move {
            let mut stats = ClientStats::default();
            loop {
                let next = tokio::select! {
                    next = ws::next(&mut stream) => next,
                    _ = sleep_until(plan.end) => break,
                };
                let frame = match next {
                    Next::Binary(frame) => frame,
                    Next::Closed(code, reason) => {
                        stats.problems.push(format!(
                            "{name}: disconnected during the run ({code:?} {reason})"
                        ));
                        break;
                    }
                };
                let now = plan.now_us();
                match framing.parse(&frame) {
                    Ok(Frame::Update(update)) => {
                        // A merged update (Minutebook merges a commit's relays) carries
                        // several writes: each is a delivery.
                        let stamps = find_timestamps(update);
                        if stamps.is_empty() {
                            stats
                                .problems
                                .push(format!("{name}: an update without a timestamp"));
                        }
                        let echo = writer && update_client(update) == Some(own_id);
                        for ts in stamps.into_iter().filter(|ts| plan.in_window(*ts)) {
                            if echo {
                                stats.echoes += 1;
                            } else {
                                stats.deliveries.push_us(now.saturating_sub(ts));
                            }
                        }
                    }
                    Ok(Frame::Saved(n)) => {
                        let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
                        while pending.front().is_some_and(|(count, _)| *count <= n) {
                            if let Some((_, ts)) = pending.pop_front() {
                                if plan.in_window(ts) {
                                    stats.acks.push_us(now.saturating_sub(ts));
                                }
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => stats.problems.push(format!("{name}: bad frame: {e}")),
                }
            }
            (stream, stats)
        }
    };
    let (written, (stream, mut stats)) = tokio::join!(write, read);
    match written {
        Ok((sink, in_window)) => {
            stats.sent_in_window = in_window;
            if let Ok(mut ws) = sink.reunite(stream) {
                ws::close(&mut ws).await;
            }
        }
        Err(e) => stats.problems.push(format!("{name}: send failed: {e}")),
    }
    if acks {
        let unacked = pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, ts)| plan.in_window(*ts))
            .count();
        if unacked > 0 {
            stats
                .problems
                .push(format!("{name}: {unacked} updates never acknowledged"));
        }
    }
    stats
}

/// Every `~T<16 hex digits>~` in an update's bytes (strings are stored verbatim in v1,
/// and a merged update holds the writes it merged).
fn find_timestamps(update: &[u8]) -> Vec<u64> {
    update
        .windows(19)
        .filter_map(|w| {
            if w[0] == b'~' && w[1] == b'T' && w[18] == b'~' {
                std::str::from_utf8(&w[2..18])
                    .ok()
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_survive_the_update_encoding() {
        let doc = Doc::with_client_id(7);
        let text = doc.get_or_insert_text("text");
        let mut updates = Vec::new();
        for (at, ts) in [(0, 123_456_789u64), (19, 987_654_321)] {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, at, &format!("~T{ts:016x}~"));
            updates.push(txn.encode_update_v1());
        }
        assert_eq!(find_timestamps(&updates[0]), vec![123_456_789]);
        let merged = yrs::merge_updates_v1(updates.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(find_timestamps(&merged), vec![123_456_789, 987_654_321]);
        assert!(find_timestamps(b"nothing here").is_empty());
    }
}
