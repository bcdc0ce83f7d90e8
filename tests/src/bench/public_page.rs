//! `public-page`: M8's target for a published meeting's public page (M7), "≥ 1,000
//! requests/s with p99 ≤ 20 ms", against the release server.
//!
//! A fresh `minutebook serve` (durable redb in a temp dir) gets a meeting of `scale`
//! fixtures (as `sign-off` does), the chair signs it off and publishes version 1, and
//! anonymous `GET /public/{series}/{meeting}` requests are then sent at a fixed rate for
//! a warm-up and a measurement window over keep-alive HTTP/1.1 connections.
//!
//! Open loop (as wrk2 does): request `i` is due at `start + i / rate` and goes out on
//! connection `i mod connections`; its latency runs from when it was *due* to the last
//! byte of the answer, so a connection held up by a slow answer sends its next request
//! late and that wait is counted (no coordinated omission). Every answer must be 200
//! with the page's length; anything else is counted as an error. Achieved requests/s
//! are the OK answers to the requests due in the window, per second of the window: the
//! offered rate when all are answered (a server that cannot keep up builds a queue,
//! which the latencies from due times show; one never answered within 10 s is an
//! error). The answers that completed inside the window are counted too, as a check.
//!
//! The client is a few lines of HTTP/1.1 over tokio's `TcpStream` (one request in
//! flight per connection, `Content-Length` bodies only): hyper is not a dependency of
//! this crate (only hyper-util, whose response body cannot be read without
//! `http-body`), and a client that does nothing else costs the shared cores least.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use minutebook_shared::client::http::{self, HttpResponse, Limits};
use minutebook_shared::trust::Role;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout_at, Instant};

use super::m2::{seed, MEETING};
use super::procfs;
use super::stats::{median, Samples, Summary};
use super::sut::{Bins, Kind, Sut};

/// The target from M8.
pub const TARGET_RPS: f64 = 1000.0;
pub const TARGET_P99_MS: f64 = 20.0;

/// The load.
#[derive(Debug, Clone, clap::Args)]
pub struct Params {
    /// Meeting size, in copies of the fixture (10 = the 10× meeting of `sign-off`).
    #[arg(long, default_value_t = 10)]
    pub scale: usize,
    /// Requests per second, sent on a fixed schedule whatever the answers do (open loop).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Length of the measurement window, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub seconds: f64,
    /// Requests at the same rate before the window opens (not measured), seconds.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Keep-alive HTTP/1.1 connections the requests are spread over (round robin).
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
}

impl Params {
    pub fn describe(&self) -> String {
        format!(
            "{}× meeting, {} req/s over {} connections, {} s (+{} s warm-up)",
            self.scale, self.rate, self.connections, self.seconds, self.warmup
        )
    }
}

/// One run's figures.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub items: usize,
    pub blocks: usize,
    pub path: String,
    pub page_bytes: usize,
    /// Requests due inside the window.
    pub scheduled: u64,
    /// Of those, answered 200 with the page's length (latency sampled for these).
    pub ok: u64,
    /// Answers other than 200 (to requests due in the window).
    pub non_200: u64,
    /// Transport errors, wrong lengths, time-outs, requests never answered (in the window).
    pub errors: u64,
    /// OK answers to the requests due in the window, per second of the window.
    pub achieved_rps: f64,
    /// OK answers (to any request) completed inside the window, per second.
    pub completed_rps: f64,
    pub latency: Option<Summary>,
    pub histogram: String,
    pub server_cpu_s: f64,
    pub bench_cpu_s: f64,
    /// Cores other processes kept busy during the window, on average.
    pub other_cores: f64,
    pub rss_start_mib: f64,
    pub rss_end_mib: f64,
    pub rss_peak_mib: f64,
    pub problems: Vec<String>,
}

impl Outcome {
    /// Errors of any kind (each fails the target).
    pub fn failures(&self) -> u64 {
        self.non_200 + self.errors
    }

    /// Whether this run meets "≥ 1,000 req/s and p99 ≤ 20 ms": at least that rate
    /// offered, every request due in the window answered 200 with the whole page, p99
    /// within the bound.
    pub fn passes(&self, params: &Params) -> bool {
        params.rate >= TARGET_RPS
            && self.failures() == 0
            && self.ok == self.scheduled
            && self.latency.is_some_and(|l| l.p99 <= TARGET_P99_MS)
    }
}

/// Sets up a published meeting on a fresh server and drives its public page once.
pub async fn run(bins: &Bins, params: &Params) -> Result<Outcome> {
    ensure!(
        params.rate > 0.0 && params.connections > 0 && params.seconds > 0.0,
        "need a positive rate, window and connection count"
    );
    let work = tempfile::tempdir()?;
    let data = work.path().join("data");
    std::fs::create_dir_all(&data)?;
    let sut = Sut::start(Kind::Minutebook, bins, &data, work.path()).await?;
    let result = measure(&sut, params).await;
    let logged = sut.stop().await?;
    let mut outcome = result?;
    outcome.problems.extend(logged);
    Ok(outcome)
}

/// One anonymous or signed-in API call; the answer whatever its status.
async fn call(
    sut: &Sut,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Result<HttpResponse> {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(b) = &bearer {
        headers.push(("authorization", b));
    }
    let body = body.map_or_else(Vec::new, |b| b.to_string().into_bytes());
    let limits = Limits {
        timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    http::request(
        method,
        &format!("http://{}{path}", sut.addr),
        &headers,
        body,
        limits,
    )
    .await
    .with_context(|| format!("{method} {path}"))
}

/// Seeds, signs off and publishes the meeting; returns its public page's path and the
/// page (items, blocks, path, body).
async fn publish(sut: &Sut, scale: usize) -> Result<(usize, usize, String, Vec<u8>)> {
    let (items, blocks) = seed(sut, scale).await?;
    let Some(admin) = &sut.token else {
        bail!("no administrator session");
    };
    let chair =
        minutebook_tests::member(sut.addr, admin, MEETING, "Chair", None, Role::Chair).await;
    let signed = format!("/api/meetings/{MEETING}/sign-off");
    let r = call(
        sut,
        "POST",
        &signed,
        Some(&chair),
        Some(json!({ "override_reason": "benchmark" })),
    )
    .await?;
    ensure!(r.status == 200, "sign-off: HTTP {}: {}", r.status, r.text());
    let published = format!("/api/meetings/{MEETING}/publication");
    let r = call(
        sut,
        "POST",
        &published,
        Some(&chair),
        Some(json!({ "version": 1 })),
    )
    .await?;
    ensure!(r.status == 200, "publish: HTTP {}: {}", r.status, r.text());
    let answer: serde_json::Value =
        serde_json::from_slice(&r.body).context("the publication answer is not JSON")?;
    let series = answer
        .get("series")
        .and_then(serde_json::Value::as_str)
        .context("the publication answer names no series")?;
    let path = format!("/public/{series}/{MEETING}");
    let page = call(sut, "GET", &path, None, None).await?;
    ensure!(
        page.status == 200,
        "GET {path}: HTTP {}: {}",
        page.status,
        page.text()
    );
    ensure!(
        page.text().contains("</html>"),
        "GET {path} is not a whole page"
    );
    Ok((items, blocks.len(), path, page.body))
}

/// When requests are due, shared by every connection.
struct Plan {
    addr: SocketAddr,
    request: Vec<u8>,
    page_bytes: usize,
    start: Instant,
    rate: f64,
    connections: usize,
    window_start: Instant,
    /// Also when the last request is due.
    window_end: Instant,
    /// Requests unanswered by then are errors.
    give_up: Instant,
}

impl Plan {
    fn due(&self, i: u64) -> Instant {
        self.start + Duration::from_secs_f64(i as f64 / self.rate)
    }
}

#[derive(Default)]
struct ConnStats {
    latency: Samples,
    scheduled: u64,
    ok: u64,
    non_200: u64,
    errors: u64,
    completed_in_window: u64,
    problems: Vec<String>,
}

async fn measure(sut: &Sut, params: &Params) -> Result<Outcome> {
    let (items, blocks, path, page) = publish(sut, params.scale).await?;
    eprintln!(
        "  {items} items, {blocks} blocks published at {path}: {} bytes; server pid {}",
        page.len(),
        sut.pid
    );
    let start = Instant::now() + Duration::from_millis(200);
    let window_start = start + Duration::from_secs_f64(params.warmup);
    let window_end = window_start + Duration::from_secs_f64(params.seconds);
    let plan = Arc::new(Plan {
        addr: sut.addr,
        request: format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: minutebook-bench\r\nAccept: text/html\r\n\r\n",
            sut.addr
        )
        .into_bytes(),
        page_bytes: page.len(),
        start,
        rate: params.rate,
        connections: params.connections,
        window_start,
        window_end,
        give_up: window_end + Duration::from_secs(10),
    });
    // Connect everyone before the schedule starts (connecting is not what is measured).
    let mut streams = Vec::with_capacity(params.connections);
    for _ in 0..params.connections {
        streams.push(connect(sut.addr).await?);
    }
    let rss_start = sut.sample()?;
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(k, s)| tokio::spawn(connection(k as u64, Some(s), plan.clone())))
        .collect();

    sleep_until(window_start).await;
    let (server_before, bench_before, machine_before) = (
        sut.sample()?,
        procfs::sample("self")?,
        procfs::machine_busy_s()?,
    );
    sleep_until(window_end).await;
    let (server_after, bench_after, machine_after) = (
        sut.sample()?,
        procfs::sample("self")?,
        procfs::machine_busy_s()?,
    );
    let mut all = ConnStats::default();
    for task in tasks {
        let s = task.await.context("connection task panicked")?;
        all.latency.extend(s.latency);
        all.scheduled += s.scheduled;
        all.ok += s.ok;
        all.non_200 += s.non_200;
        all.errors += s.errors;
        all.completed_in_window += s.completed_in_window;
        all.problems.extend(s.problems);
    }
    let end = sut.sample()?;
    let server_cpu_s = server_after.cpu_s - server_before.cpu_s;
    let bench_cpu_s = bench_after.cpu_s - bench_before.cpu_s;
    let mut problems = Vec::new();
    if all.failures() > 0 {
        problems.push(format!(
            "{} error(s) and {} non-200 answer(s) of {} requests",
            all.errors, all.non_200, all.scheduled
        ));
    }
    problems.extend(all.problems.into_iter().take(10));
    Ok(Outcome {
        items,
        blocks,
        path,
        page_bytes: page.len(),
        scheduled: all.scheduled,
        ok: all.ok,
        non_200: all.non_200,
        errors: all.errors,
        achieved_rps: all.ok as f64 / params.seconds,
        completed_rps: all.completed_in_window as f64 / params.seconds,
        histogram: all.latency.histogram(),
        latency: all.latency.summary(),
        server_cpu_s,
        bench_cpu_s,
        other_cores: ((machine_after - machine_before) - server_cpu_s - bench_cpu_s).max(0.0)
            / params.seconds,
        rss_start_mib: rss_start.rss_mib(),
        rss_end_mib: end.rss_mib(),
        rss_peak_mib: [rss_start, server_before, server_after, end]
            .iter()
            .map(|s| s.hwm_mib().max(s.rss_mib()))
            .fold(0.0, f64::max),
        problems,
    })
}

impl ConnStats {
    fn failures(&self) -> u64 {
        self.non_200 + self.errors
    }
}

/// Connection `k`: requests `k`, `k + connections`, … each at its due time (or at once
/// when already late), one at a time; reconnects after an error.
async fn connection(k: u64, mut stream: Option<TcpStream>, plan: Arc<Plan>) -> ConnStats {
    let mut stats = ConnStats::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut i = k;
    loop {
        let (n, due) = (i, plan.due(i));
        if due >= plan.window_end {
            break;
        }
        i += plan.connections as u64;
        sleep_until(due).await;
        let measured = due >= plan.window_start;
        stats.scheduled += u64::from(measured);
        let answer = timeout_at(
            plan.give_up.min(due + Duration::from_secs(10)),
            get(&mut stream, &plan, &mut buf),
        )
        .await;
        let done = Instant::now();
        let problem = match answer {
            Ok(Ok((200, len))) if len == plan.page_bytes => {
                if measured {
                    stats.ok += 1;
                    stats.latency.push(done - due);
                }
                if (plan.window_start..plan.window_end).contains(&done) {
                    stats.completed_in_window += 1;
                }
                continue;
            }
            Ok(Ok((200, len))) => {
                stats.errors += u64::from(measured);
                format!("200 with {len} bytes, not {}", plan.page_bytes)
            }
            Ok(Ok((status, _))) => {
                stats.non_200 += u64::from(measured);
                format!("HTTP {status}")
            }
            Ok(Err(e)) => {
                stream = None;
                stats.errors += u64::from(measured);
                format!("{e:#}")
            }
            Err(_) => {
                stream = None;
                stats.errors += u64::from(measured);
                "no answer in time".to_owned()
            }
        };
        if stats.problems.len() < 3 {
            stats
                .problems
                .push(format!("connection {k}, request {n}: {problem}"));
        }
        if Instant::now() >= plan.give_up {
            // Whatever is still due in the window will never be answered in time.
            let mut j = i;
            while plan.due(j) < plan.window_end {
                stats.scheduled += u64::from(plan.due(j) >= plan.window_start);
                stats.errors += u64::from(plan.due(j) >= plan.window_start);
                j += plan.connections as u64;
            }
            break;
        }
    }
    stats
}

async fn connect(addr: SocketAddr) -> Result<TcpStream> {
    let s = TcpStream::connect(addr).await.context("connect")?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// One GET on `stream` (connecting first if it is closed): the status and the body's
/// length, the body read to its end and dropped. Leaves `stream` closed when the server
/// asked to close.
async fn get(stream: &mut Option<TcpStream>, plan: &Plan, buf: &mut [u8]) -> Result<(u16, usize)> {
    if stream.is_none() {
        *stream = Some(connect(plan.addr).await?);
    }
    let Some(s) = stream.as_mut() else {
        bail!("no connection");
    };
    s.write_all(&plan.request).await.context("write")?;
    // The head: read until the blank line.
    let mut filled = 0;
    let head_end = loop {
        if filled == buf.len() {
            bail!("a response head longer than {} bytes", buf.len());
        }
        let n = s.read(&mut buf[filled..]).await.context("read")?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        let from = filled.saturating_sub(3);
        filled += n;
        if let Some(at) = buf[from..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break from + at + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("a response head not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no status line in {head:?}"))?;
    let mut length = None;
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("content-length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("transfer-encoding {value} (the bench reads Content-Length bodies only)");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    let length = length.context("no content-length")?;
    let already = filled - head_end;
    ensure!(already <= length, "more bytes than the content-length");
    let mut left = length - already;
    while left > 0 {
        let want = left.min(buf.len());
        let n = s.read(&mut buf[..want]).await.context("read body")?;
        if n == 0 {
            bail!("the server closed the connection {left} bytes before the body's end");
        }
        left -= n;
    }
    if close {
        *stream = None;
    }
    Ok((status, length))
}

/// The markdown section for the runs.
pub fn report(params: &Params, runs: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Public page: {}\n", params.describe());
    let Some(first) = runs.first() else {
        return out;
    };
    let _ = writeln!(
        out,
        "Anonymous `GET {}` ({} items, {} blocks; the page is **{} bytes**) on a fresh release server per run, after the chair signed version 1 off and published it. \
         Requests are due on a fixed schedule and go out round robin on {} keep-alive HTTP/1.1 connections; latency runs from a request's due time to the last byte of its answer (open loop: a late send counts). \
         Achieved req/s: OK answers to the requests due in the window, per second of it. Every answer must be 200 with the page's length. \
         PASS: ≥ {TARGET_RPS:.0} req/s offered, every request in the window answered OK, p99 ≤ {TARGET_P99_MS} ms.\n",
        first.path, first.items, first.blocks, first.page_bytes, params.connections
    );
    let _ = writeln!(out, "| Run | Achieved req/s | p50 (ms) | p99 (ms) | Max (ms) | Requests in window | Errors / non-200 | Server CPU (s) | Server CPU per request (µs) | Server RSS start / end / peak (MiB) | Bench CPU (s) | Others (cores) | Target |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let figure = |s: Option<Summary>, f: fn(Summary) -> f64| {
        s.map_or("–".into(), |s| format!("{:.2}", f(s)))
    };
    for (n, r) in runs.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} | {} | {} | {} | {} / {} | {:.2} | {:.2} | {:.1} / {:.1} / {:.1} | {:.2} | {:.2} | {} |",
            n + 1,
            r.achieved_rps,
            figure(r.latency, |s| s.p50),
            figure(r.latency, |s| s.p99),
            figure(r.latency, |s| s.max),
            r.scheduled,
            r.errors,
            r.non_200,
            r.server_cpu_s,
            r.server_cpu_s / (r.ok.max(1) as f64) * 1e6,
            r.rss_start_mib,
            r.rss_end_mib,
            r.rss_peak_mib,
            r.bench_cpu_s,
            r.other_cores,
            if r.passes(params) { "PASS" } else { "FAIL" }
        );
    }
    let med = |f: &dyn Fn(&Outcome) -> Option<f64>| median(runs.iter().filter_map(f));
    let rps = med(&|r| Some(r.achieved_rps));
    let p50 = med(&|r| r.latency.map(|l| l.p50));
    let p99 = med(&|r| r.latency.map(|l| l.p99));
    let max = med(&|r| r.latency.map(|l| l.max));
    let failures: u64 = runs.iter().map(Outcome::failures).sum();
    let _ = writeln!(
        out,
        "| **Median of {}** | **{rps:.1}** | **{p50:.2}** | **{p99:.2}** | **{max:.2}** | | {failures} in all | {:.2} | | {:.1} peak | {:.2} | {:.2} | |",
        runs.len(),
        med(&|r| Some(r.server_cpu_s)),
        med(&|r| Some(r.rss_peak_mib)),
        med(&|r| Some(r.bench_cpu_s)),
        med(&|r| Some(r.other_cores)),
    );
    let answered = runs.iter().all(|r| r.ok == r.scheduled);
    let pass = params.rate >= TARGET_RPS && failures == 0 && answered && p99 <= TARGET_P99_MS;
    let _ = writeln!(
        out,
        "\nLatency histogram per run: {}\n",
        runs.iter()
            .map(|r| format!("({})", r.histogram))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let _ = writeln!(
        out,
        "**{}**: target ≥ {TARGET_RPS:.0} req/s and p99 ≤ {TARGET_P99_MS} ms with no error; medians {rps:.1} req/s, p99 {p99:.2} ms, {failures} error(s) in {} run(s) ({} of {} runs pass on their own).",
        if pass { "PASS" } else { "FAIL" },
        runs.len(),
        runs.iter().filter(|r| r.passes(params)).count(),
        runs.len()
    );
    out
}
