//! `bench compare`: Minutebook (durable: redb, fsync on every group commit) side by side
//! with the npm reference servers that keep everything in memory — y-websocket 1.5.4
//! and Hocuspocus 3.4.4 — through the same fan-out load generator, runs alternating
//! server by server, for the scenarios of M8's table. Prints medians with ratios against
//! y-websocket, the targets, every run's raw figures, and the disk's fsync floor
//! measured in the same session.

use std::fmt::Write;

use anyhow::{Context, Result};

use super::fanout::{self, Outcome};
use super::procfs;
use super::stats::{median, Summary};
use super::sut::{Bins, Kind};

/// One load of M8's table: documents × clients × writers × updates/s per writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    #[value(name = "50x10x2x5")]
    Moderate,
    #[value(name = "50x10x2x20")]
    Busy,
    #[value(name = "1x200x2x10")]
    Room200,
    #[value(name = "1x1000x2x5")]
    Room1000,
}

impl Scenario {
    /// (documents, clients per document, writers per document, Hz per writer)
    fn shape(self) -> (usize, usize, usize, f64) {
        match self {
            Scenario::Moderate => (50, 10, 2, 5.0),
            Scenario::Busy => (50, 10, 2, 20.0),
            Scenario::Room200 => (1, 200, 2, 10.0),
            Scenario::Room1000 => (1, 1000, 2, 5.0),
        }
    }

    fn label(self) -> String {
        let (d, c, w, r) = self.shape();
        format!("{d} × {c} × {w} × {r} Hz")
    }
}

/// What `bench compare` runs.
#[derive(Debug, Clone, clap::Args)]
pub struct Params {
    /// Scenarios (documents x clients x writers x Hz; comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Scenario::Moderate, Scenario::Busy, Scenario::Room200, Scenario::Room1000])]
    pub scenario: Vec<Scenario>,
    /// Servers, run in this order within each repeat (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Kind::Minutebook, Kind::YWebsocket, Kind::Hocuspocus])]
    pub servers: Vec<Kind>,
    /// Length of each run's measurement window, seconds.
    #[arg(long, default_value_t = 20.0)]
    pub seconds: f64,
    /// Writing before the window opens (not measured), seconds.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Runs per server and scenario (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// Appends + fdatasyncs in the session's fsync probes (before and after all runs).
const SESSION_FSYNCS: usize = 1000;

/// Runs every scenario `repeat` times per server, alternating servers; returns the
/// markdown and the problems seen.
pub async fn run(
    quiet: &procfs::Quiet,
    bins: &Bins,
    params: &Params,
) -> Result<(String, Vec<String>)> {
    let most_clients = params
        .scenario
        .iter()
        .map(|s| {
            let (d, c, _, _) = s.shape();
            d * c
        })
        .max()
        .unwrap_or(0);
    check_open_files(most_clients)?;
    let probe_dir = tempfile::tempdir()?;
    let fsync_before = super::disk::fsync_probe(probe_dir.path(), SESSION_FSYNCS).await?;
    eprintln!("compare: disk floor before the runs: {fsync_before}");
    let mut runs: Vec<(Scenario, usize, Outcome)> = Vec::new();
    let mut problems = Vec::new();
    for &scenario in &params.scenario {
        let (docs, clients, writers, rate) = scenario.shape();
        let load = fanout::Params {
            docs,
            clients,
            writers,
            rate,
            seconds: params.seconds,
            warmup: params.warmup,
        };
        for i in 1..=params.repeat {
            for &kind in &params.servers {
                eprintln!(
                    "compare {} run {i}/{} on {kind} (load {})",
                    scenario.label(),
                    params.repeat,
                    procfs::loadavg()
                );
                quiet.wait().await;
                match fanout::run(kind, bins, &load).await {
                    Ok(r) => {
                        eprintln!("  {}", raw_row(scenario, i, &r));
                        problems.extend(r.problems.iter().map(|p| {
                            format!("compare {} run {i} ({kind}): {p}", scenario.label())
                        }));
                        runs.push((scenario, i, r));
                    }
                    Err(e) => {
                        eprintln!("  failed: {e:#}");
                        problems.push(format!(
                            "compare {} run {i} ({kind}) failed: {e:#}",
                            scenario.label()
                        ));
                    }
                }
            }
        }
    }
    let fsync_after = super::disk::fsync_probe(probe_dir.path(), SESSION_FSYNCS).await?;
    Ok((report(params, &runs, fsync_before, fsync_after), problems))
}

/// Fails early when this process (and the servers it starts, which inherit the limit)
/// cannot open a socket per client with room to spare.
fn check_open_files(clients: usize) -> Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").context("reading limits")?;
    let soft: Option<u64> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok());
    let need = clients as u64 + 256;
    match soft {
        Some(soft) if soft < need => anyhow::bail!(
            "the open-file limit is {soft}; {clients} clients need about {need}: raise it (`ulimit -n {need}`)"
        ),
        _ => Ok(()),
    }
}

type Get = fn(&Outcome) -> Option<f64>;

fn p50(r: &Outcome) -> Option<f64> {
    r.delivery.map(|s| s.p50)
}
fn p99(r: &Outcome) -> Option<f64> {
    r.delivery.map(|s| s.p99)
}
fn cpu(r: &Outcome) -> Option<f64> {
    Some(r.cpu_s_per_100k)
}
fn rss_end(r: &Outcome) -> Option<f64> {
    Some(r.rss_window_end_mib)
}
fn fsync_p99(r: &Outcome) -> Option<f64> {
    Some(r.fsync.p99)
}

/// The median of one figure over a server's runs of a scenario, and the run count.
fn med(runs: &[(Scenario, usize, Outcome)], s: Scenario, k: Kind, get: Get) -> (f64, usize) {
    let values: Vec<f64> = runs
        .iter()
        .filter(|(sc, _, r)| *sc == s && r.kind == k)
        .filter_map(|(_, _, r)| get(r))
        .collect();
    (median(values.iter().copied()), values.len())
}

fn num(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "–".into()
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

fn report(
    params: &Params,
    runs: &[(Scenario, usize, Outcome)],
    fsync_before: Summary,
    fsync_after: Summary,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Side by side: Minutebook (durable) and the npm reference servers (in memory)\n"
    );
    let _ = writeln!(
        out,
        "Each scenario: documents × clients × writers × updates/s per writer, {} s measured after {} s of warm-up, servers alternating within each of {} repeat(s). Medians over the runs shown (n); ratios are median ÷ y-websocket's median. Delivery latency: a writer's send → another client's receipt (echoes to the writer are not deliveries). CPU: the server process's user + system seconds over the window per 100,000 deliveries. RSS: the server's resident memory at the end of the measurement window, every client still connected.\n",
        params.seconds, params.warmup, params.repeat
    );
    let _ = writeln!(
        out,
        "Disk floor (4 KiB append + fdatasync, {SESSION_FSYNCS} in a row, temp dir): before the runs {fsync_before}; after {fsync_after}.\n"
    );
    let _ = writeln!(out, "| Scenario | Server | n | Delivery p50 (ms) | Delivery p99 (ms) | Server CPU s / 100k deliveries | Server RSS, window end (MiB) | p99 ÷ y-ws | CPU ÷ y-ws | RSS ÷ y-ws |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for &s in &params.scenario {
        for &k in &params.servers {
            let (mp50, n) = med(runs, s, k, p50);
            let (mp99, _) = med(runs, s, k, p99);
            let (mcpu, _) = med(runs, s, k, cpu);
            let (mrss, _) = med(runs, s, k, rss_end);
            let base = |get: Get| med(runs, s, Kind::YWebsocket, get).0;
            let _ = writeln!(
                out,
                "| {} | {k} | {n} | {} | {} | {} | {} | {} | {} | {} |",
                s.label(),
                num(mp50, 2),
                num(mp99, 2),
                num(mcpu, 2),
                num(mrss, 1),
                ratio(mp99, base(p99)),
                ratio(mcpu, base(cpu)),
                ratio(mrss, base(rss_end)),
            );
        }
    }
    out.push('\n');
    out.push_str(&paired(params, runs));
    out.push_str(&targets(params, runs));
    let _ = writeln!(out, "#### Every run\n");
    let _ = writeln!(out, "| Scenario | Run | Server | Delivery p50 / p99 / max (ms) | Saved p99 (ms) | Deliveries (expected) | Echoes | Server CPU s | CPU s / 100k | RSS idle / window end / peak / after close (MiB) | Bench CPU s | Others' cores | fsync p99 before (ms) | Problems |");
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (s, i, r) in runs {
        let _ = writeln!(out, "{}", raw_row(*s, *i, r));
    }
    out.push('\n');
    out
}

/// Ratios against y-websocket within each repeat (the servers ran back to back, so
/// these are steadier than ratios of medians when other load comes and goes).
fn paired(params: &Params, runs: &[(Scenario, usize, Outcome)]) -> String {
    let mut out = String::from(
        "Ratios to y-websocket within each repeat (run 1 / run 2 / …), CPU per 100k deliveries and p99:\n\n",
    );
    let of = |s: Scenario, i: usize, k: Kind| {
        runs.iter()
            .find(|(sc, n, r)| *sc == s && *n == i && r.kind == k)
            .map(|(_, _, r)| r)
    };
    for &s in &params.scenario {
        for &k in params.servers.iter().filter(|&&k| k != Kind::YWebsocket) {
            let per_run = |get: Get| {
                (1..=params.repeat)
                    .map(|i| {
                        match (
                            of(s, i, k).and_then(get),
                            of(s, i, Kind::YWebsocket).and_then(get),
                        ) {
                            (Some(a), Some(b)) => ratio(a, b),
                            _ => "–".into(),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let _ = writeln!(
                out,
                "- {}, {k}: CPU {}; p99 {}",
                s.label(),
                per_run(cpu),
                per_run(p99)
            );
        }
    }
    out.push('\n');
    out
}

/// One run as a markdown table row.
fn raw_row(s: Scenario, i: usize, r: &Outcome) -> String {
    let lat = r.delivery.map_or("–".into(), |d| {
        format!("{:.2} / {:.2} / {:.2}", d.p50, d.p99, d.max)
    });
    format!(
        "| {} | {i} | {} | {lat} | {} | {} ({}) | {} | {:.2} | {:.2} | {:.1} / {:.1} / {:.1} / {:.1} | {:.1} | {:.2} | {:.2} | {} |",
        s.label(),
        r.kind,
        r.ack.map_or("–".into(), |a| format!("{:.2}", a.p99)),
        r.delivered,
        r.expected,
        r.echoes,
        r.server_cpu_s,
        r.cpu_s_per_100k,
        r.rss_idle_mib,
        r.rss_window_end_mib,
        r.rss_peak_mib,
        r.rss_end_mib,
        r.bench_cpu_s,
        r.other_cores,
        r.fsync.p99,
        r.problems.len()
    )
}

/// M8's targets for Minutebook, checked against this session's medians.
fn targets(params: &Params, runs: &[(Scenario, usize, Outcome)]) -> String {
    let mut out = String::from("#### M8's targets (Minutebook, this session's medians)\n\n| Scenario | Target | Measured | |\n|---|---|---|---|\n");
    let mb = |s, get| med(runs, s, Kind::Minutebook, get).0;
    let yws = |s, get| med(runs, s, Kind::YWebsocket, get).0;
    let mut row = |s: Scenario, target: String, measured: f64, bound: f64, unit: &str| {
        let verdict = if !measured.is_finite() || !bound.is_finite() {
            "not measured"
        } else if measured <= bound {
            "**met**"
        } else {
            "**not met**"
        };
        let _ = writeln!(
            out,
            "| {} | {target} | {} {unit} | {verdict} |",
            s.label(),
            num(measured, 2)
        );
    };
    for &s in &params.scenario {
        match s {
            Scenario::Moderate | Scenario::Busy | Scenario::Room200 => {
                let share = if s == Scenario::Room200 { 0.75 } else { 0.5 };
                let bound = share * yws(s, cpu);
                row(
                    s,
                    format!("CPU ≤ {share} × y-websocket's ({} s)", num(bound, 2)),
                    mb(s, cpu),
                    bound,
                    "s / 100k",
                );
                let fsync = mb(s, fsync_p99);
                let (bound, why) = match s {
                    Scenario::Moderate => (8.0, "p99 ≤ 8 ms".to_string()),
                    Scenario::Busy if fsync > 5.0 => (
                        fsync + 5.0,
                        format!("p99 ≤ fsync p99 ({}) + 5 ms", num(fsync, 2)),
                    ),
                    _ => (10.0, "p99 ≤ 10 ms".to_string()),
                };
                row(s, why, mb(s, p99), bound, "ms");
            }
            Scenario::Room1000 => {
                row(s, "p99 ≤ 25 ms".into(), mb(s, p99), 25.0, "ms");
                // 60 MB = 57.2 MiB.
                row(
                    s,
                    "RSS ≤ 60 MB (57.2 MiB)".into(),
                    mb(s, rss_end),
                    60e6 / 1048576.0,
                    "MiB",
                );
            }
        }
    }
    out.push('\n');
    out
}
