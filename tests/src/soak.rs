//! The soak: the real server process under a steady, moderate load for a long time, its
//! memory and delivery latency sampled at intervals, so a leak or a slow drift shows as a
//! curve that is not flat.
//!
//! D documents, each with C `minutebook.v1` clients of which W write R updates a second.
//! A writer appends a short text carrying its send time (`~T<µs hex>~`) to its text, as
//! typing does, and deletes its own oldest characters past a bound, so the visible
//! document stays small while the history grows the way typing's does (consecutive
//! inserts and deletes of one client merge into runs). Every other client of
//! the document receives each update once: [`Report::delivered`] must equal
//! [`Report::expected`], every update is acknowledged ([`Report::acked`]), and no
//! connection is lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use minutebook_shared::protocol::{self, Message, SyncMessage, MSG_SAVED, SUBPROTOCOL};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Doc, Text, Transact};

use crate::raw::RawClient;
use crate::ServerProcess;

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    pub server_bin: std::path::PathBuf,
    pub data_dir: std::path::PathBuf,
    pub docs: usize,
    pub clients: usize,
    pub writers: usize,
    /// Updates a second per writer.
    pub rate: f64,
    pub duration: Duration,
    /// Between samples.
    pub interval: Duration,
}

/// One sample: the interval ending `at` after the start.
#[derive(Debug, Clone)]
pub struct Sample {
    pub at: Duration,
    pub rss_kib: u64,
    pub deliveries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub samples: Vec<Sample>,
    pub sent: u64,
    pub acked: u64,
    pub delivered: u64,
    pub expected: u64,
    pub disconnects: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acked: AtomicU64,
    delivered: AtomicU64,
    disconnects: AtomicU64,
    /// Connections the server has joined (its sync step 1 arrived).
    joined: AtomicU64,
    latencies_ms: Mutex<Vec<f64>>,
}

/// Characters a writer keeps of its own text before deleting its oldest.
const KEEP: u32 = 600;

/// Runs the soak; `log` gets one line per sample.
pub async fn run(params: &Params, mut log: impl FnMut(&Sample)) -> Result<Report> {
    if params.writers > params.clients || params.clients < 2 {
        bail!("need at least 2 clients, and no more writers than clients");
    }
    let server = ServerProcess::start_bin(
        &params.server_bin,
        &params.data_dir,
        &["--compact-after", "500"],
    )
    .await;
    let pid = server.child.id().context("the server's pid")?;
    let token = server.setup_admin().await;
    let counters = Arc::new(Counters::default());
    let epoch = Instant::now();
    let stop = tokio_util::sync::CancellationToken::new();
    let mut tasks = Vec::new();
    let mut sinks = Vec::new();
    for d in 0..params.docs {
        let url = server.ws_url(&format!("soak-{d}"));
        for c in 0..params.clients {
            let client = RawClient::try_connect_as(&url, Some(SUBPROTOCOL), Some(&token))
                .await
                .context("connecting a soak client")?;
            let (sink, stream) = client.ws.split();
            tasks.push(tokio::spawn(receive(stream, counters.clone(), epoch)));
            sinks.push((c < params.writers, sink));
        }
    }
    // Everyone has joined before the first write, so each update is relayed to all.
    let everyone = (params.docs * params.clients) as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while counters.joined.load(Ordering::SeqCst) < everyone {
        if Instant::now() > deadline {
            bail!("the server did not join every soak client");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (writes, sink) in sinks {
        if writes {
            tasks.push(tokio::spawn(write(
                sink,
                counters.clone(),
                epoch,
                params.rate,
                stop.clone(),
            )));
        } else {
            // Receivers keep their sink open (dropping it would close the socket).
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let _sink = sink;
                stop.cancelled().await;
            }));
        }
    }
    let mut report = Report::default();
    let mut tick = tokio::time::interval(params.interval);
    tick.tick().await;
    while epoch.elapsed() < params.duration {
        tick.tick().await;
        let mut latencies = std::mem::take(
            &mut *counters
                .latencies_ms
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?,
        );
        latencies.sort_by(f64::total_cmp);
        let pick = |q: f64| {
            if latencies.is_empty() {
                0.0
            } else {
                latencies[((latencies.len() - 1) as f64 * q).round() as usize]
            }
        };
        let sample = Sample {
            at: epoch.elapsed(),
            rss_kib: rss_kib(pid)?,
            deliveries: latencies.len(),
            p50_ms: pick(0.5),
            p99_ms: pick(0.99),
        };
        log(&sample);
        report.samples.push(sample);
    }
    stop.cancel();
    // What is in flight arrives.
    let others = (params.clients - 1) as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let sent = counters.sent.load(Ordering::SeqCst);
        if counters.delivered.load(Ordering::SeqCst) >= sent * others
            && counters.acked.load(Ordering::SeqCst) >= sent
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    report.sent = counters.sent.load(Ordering::SeqCst);
    report.acked = counters.acked.load(Ordering::SeqCst);
    report.delivered = counters.delivered.load(Ordering::SeqCst);
    report.expected = report.sent * others;
    report.disconnects = counters.disconnects.load(Ordering::SeqCst);
    for t in &tasks {
        t.abort();
    }
    server.kill9().await;
    Ok(report)
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading the server's /proc status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS")
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    WsMessage,
>;
type Stream = futures_util::stream::SplitStream<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
>;

/// Sends `rate` stamped inserts a second until `stop`.
async fn write(
    mut sink: Sink,
    counters: Arc<Counters>,
    epoch: Instant,
    rate: f64,
    stop: tokio_util::sync::CancellationToken,
) {
    let doc = Doc::new();
    let text = doc.get_or_insert_text("text");
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.01)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let update = {
            let mut txn = doc.transact_mut();
            let stamp = format!("~T{:x}~ ", epoch.elapsed().as_micros());
            let len = text.len(&txn);
            text.insert(&mut txn, len, &stamp);
            if len > KEEP {
                text.remove_range(&mut txn, 0, len - KEEP);
            }
            txn.encode_update_v1()
        };
        let frame = protocol::encode(&Message::Sync(SyncMessage::Update(update)));
        if sink.send(WsMessage::Binary(frame.into())).await.is_err() {
            return;
        }
        counters.sent.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts deliveries (with their latency) and acknowledgements until the socket closes.
async fn receive(mut stream: Stream, counters: Arc<Counters>, epoch: Instant) {
    let mut acked = 0u64;
    while let Some(frame) = stream.next().await {
        let bytes = match frame {
            Ok(WsMessage::Binary(b)) => b,
            Ok(WsMessage::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        match protocol::decode(&bytes) {
            Ok(Message::Sync(SyncMessage::Update(update))) => {
                // One update may be several writes merged (the server merges a commit's
                // relays): each stamp is a delivery.
                let sent = stamps(&update);
                counters
                    .delivered
                    .fetch_add(sent.len() as u64, Ordering::SeqCst);
                let now = epoch.elapsed().as_micros() as u64;
                if let Ok(mut l) = counters.latencies_ms.lock() {
                    l.extend(sent.iter().map(|s| now.saturating_sub(*s) as f64 / 1000.0));
                }
            }
            Ok(Message::Sync(SyncMessage::SyncStep1(_))) => {
                counters.joined.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Message::Custom(MSG_SAVED, payload)) => {
                if let Ok(count) = protocol::parse_saved(&payload) {
                    counters
                        .acked
                        .fetch_add(count.saturating_sub(acked), Ordering::SeqCst);
                    acked = acked.max(count);
                }
            }
            _ => {}
        }
    }
    counters.disconnects.fetch_add(1, Ordering::SeqCst);
}

/// The send times the inserted texts of an update carry (µs since the epoch), one per
/// write it holds.
fn stamps(update: &[u8]) -> Vec<u64> {
    let mut found = Vec::new();
    let mut rest = update;
    while let Some(at) = rest.windows(2).position(|w| w == b"~T") {
        rest = &rest[at + 2..];
        let Some(end) = rest.iter().position(|b| *b == b'~') else {
            break;
        };
        // Bytes that merely look like "~T" parse as nothing; the search goes on after them.
        if let Some(t) = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|h| u64::from_str_radix(h, 16).ok())
        {
            found.push(t);
            rest = &rest[end + 1..];
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::stamps;
    use yrs::{Doc, Text, Transact};

    #[test]
    fn every_write_of_a_merged_update_is_counted() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        let mut updates = Vec::new();
        for t in [0x1a2bu64, 0x1a2c, 0x1a2d] {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &format!("~T{t:x}~ "));
            updates.push(txn.encode_update_v1());
        }
        let merged = yrs::merge_updates_v1(updates.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(stamps(&merged), vec![0x1a2b, 0x1a2c, 0x1a2d]);
        assert_eq!(stamps(b"~Tzz~T12~"), vec![0x12], "a false start is skipped");
        assert!(stamps(b"nothing").is_empty());
    }
}
