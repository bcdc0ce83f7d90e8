//! The benchmark suite behind the `bench` binary: each module is one benchmark or one
//! piece of support; this module runs them with repeats and prints the results.

pub mod attack;
pub mod b4;
pub mod chrome_trace;
pub mod cold;
pub mod compare;
pub mod disk;
pub mod fanout;
pub mod framing;
pub mod m2;
pub mod procfs;
pub mod public_page;
pub mod reference;
pub mod relay;
pub mod report;
pub mod signoff;
pub mod stats;
pub mod sut;
pub mod trace;
pub mod ws;

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use stats::median;
use sut::{Bins, Kind};

/// Which servers a benchmark runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Targets {
    /// The real server and the bare-relay baseline, runs interleaved.
    Both,
    /// The real server only.
    Minutebook,
    /// The bare-relay baseline only.
    Relay,
    /// Diagnostic: the bare relay with Nagle's algorithm left on (as the server does).
    RelayNagle,
    /// The real server, the relay and the relay with Nagle on.
    All,
}

impl Targets {
    fn kinds(self) -> &'static [Kind] {
        match self {
            Targets::Both => &[Kind::Minutebook, Kind::Relay],
            Targets::Minutebook => &[Kind::Minutebook],
            Targets::Relay => &[Kind::Relay],
            Targets::RelayNagle => &[Kind::RelayNagle],
            Targets::All => &[Kind::Minutebook, Kind::Relay, Kind::RelayNagle],
        }
    }
}

/// Runs the fan-out benchmark `repeat` times per target; prints each run, returns the table.
pub async fn fanout(
    quiet: &procfs::Quiet,
    bins: &Bins,
    params: &fanout::Params,
    repeat: usize,
    targets: Targets,
) -> Result<(String, Vec<String>)> {
    let mut runs = Vec::new();
    for i in 0..repeat {
        for &kind in targets.kinds() {
            eprintln!(
                "fanout run {}/{repeat} on {kind}: {} (load {})",
                i + 1,
                params.describe(),
                procfs::loadavg()
            );
            quiet.wait().await;
            let r = fanout::run(kind, bins, params).await?;
            eprintln!(
                "  fsync {} | delivery {} | ack {} | {:.0} deliveries/s | server CPU {:.2} s ({:.2} s/100k) | RSS idle {:.1} peak {:.1} end {:.1} MiB | bench CPU {:.1} s | others {:.2} cores{}",
                r.fsync,
                r.delivery.map_or("–".into(), |s| s.to_string()),
                r.ack.map_or("–".into(), |s| s.to_string()),
                r.deliveries_per_s,
                r.server_cpu_s,
                r.cpu_s_per_100k,
                r.rss_idle_mib,
                r.rss_peak_mib,
                r.rss_end_mib,
                r.bench_cpu_s,
                r.other_cores,
                if r.problems.is_empty() { String::new() } else { format!(" | {} problem(s)", r.problems.len()) }
            );
            runs.push(r);
        }
    }
    let problems = runs
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(|p| format!("fanout ({}): {p}", r.kind))
        })
        .collect();
    Ok((report::fanout(params, &runs), problems))
}

/// Runs the B4 stream `repeat` times per target and in-flight window, plus the raw-yrs
/// baseline.
pub async fn b4_stream(
    quiet: &procfs::Quiet,
    bins: &Bins,
    data_dir: &Path,
    repeat: usize,
    targets: Targets,
    windows: &[u64],
) -> Result<(String, Vec<String>)> {
    eprintln!(
        "b4-stream: parsing the trace and precomputing {} updates",
        trace::OPS
    );
    let work = b4::Workload::load(data_dir)?;
    let mut raw = Vec::new();
    for _ in 0..repeat.max(3) {
        raw.push(trace::raw_apply(&work.updates, &work.final_text)?);
    }
    eprintln!(
        "  raw yrs apply: median {:.3} s",
        median(raw.iter().map(Duration::as_secs_f64))
    );
    let mut sections = String::new();
    let mut problems = Vec::new();
    for &window in windows {
        let mut runs = Vec::new();
        for i in 0..repeat {
            for &kind in targets.kinds() {
                eprintln!(
                    "b4-stream run {}/{repeat} on {kind}, {} (load {})",
                    i + 1,
                    report::window(window),
                    procfs::loadavg()
                );
                quiet.wait().await;
                let r = b4::run(kind, bins, &work, window).await?;
                let secs = |d: Option<Duration>| {
                    d.map_or("never".into(), |d| format!("{:.3} s", d.as_secs_f64()))
                };
                eprintln!(
                    "  converged {} | all durable {} | last frame written {} | server CPU {:.2} s | bench CPU {:.2} s | RSS peak {:.1} MiB | others {:.2} cores{}",
                    secs(r.converged),
                    secs(r.durable),
                    secs(r.sent),
                    r.server_cpu_s,
                    r.bench_cpu_s,
                    r.rss_peak_mib,
                    r.other_cores,
                    if r.problems.is_empty() { String::new() } else { format!(" | problems: {}", r.problems.join("; ")) }
                );
                problems.extend(
                    r.problems.iter().map(|p| {
                        format!("b4-stream ({}, {}): {p}", r.kind, report::window(window))
                    }),
                );
                runs.push(r);
            }
        }
        sections.push_str(&report::b4(&raw, &runs, window));
        sections.push('\n');
    }
    Ok((sections, problems))
}

/// Runs the cold-load benchmark in each mode.
pub async fn cold_load(
    quiet: &procfs::Quiet,
    bins: &Bins,
    data_dir: &Path,
    runs: usize,
    modes: &[cold::Mode],
) -> Result<(String, Vec<String>)> {
    let (_, update) = trace::load_final(data_dir)?;
    let raw: Vec<Duration> = (0..runs.max(5))
        .map(|_| trace::raw_load(&update))
        .collect::<Result<_>>()?;
    let mut outcomes = Vec::new();
    for &mode in modes {
        eprintln!(
            "cold-load: {runs} runs, {mode} (load {})",
            procfs::loadavg()
        );
        quiet.wait().await;
        let o = cold::run(mode, runs, bins, data_dir).await?;
        eprintln!("  {}", o.load);
        outcomes.push(o);
    }
    let problems = outcomes
        .iter()
        .flat_map(|o| {
            o.problems
                .iter()
                .map(|p| format!("cold-load ({}): {p}", o.mode))
        })
        .collect();
    Ok((report::cold(&raw, runs, &outcomes), problems))
}

/// `bench public-page`: the published meeting's public page at a fixed rate, `repeat`
/// runs on fresh servers; prints each run, returns the table.
pub async fn public_page(
    quiet: &procfs::Quiet,
    bins: &Bins,
    params: &public_page::Params,
    repeat: usize,
) -> Result<(String, Vec<String>)> {
    let mut runs = Vec::new();
    for i in 0..repeat {
        eprintln!(
            "public-page run {}/{repeat}: {} (load {})",
            i + 1,
            params.describe(),
            procfs::loadavg()
        );
        quiet.wait().await;
        let r = public_page::run(bins, params).await?;
        eprintln!(
            "  {:.1} req/s ({:.1}/s completed in the window) | {} | {} of {} OK, {} errors, {} non-200 | server CPU {:.2} s | RSS start {:.1} end {:.1} peak {:.1} MiB | bench CPU {:.2} s | others {:.2} cores | {}",
            r.achieved_rps,
            r.completed_rps,
            r.latency.map_or("no latency".into(), |s| s.to_string()),
            r.ok,
            r.scheduled,
            r.errors,
            r.non_200,
            r.server_cpu_s,
            r.rss_start_mib,
            r.rss_end_mib,
            r.rss_peak_mib,
            r.bench_cpu_s,
            r.other_cores,
            if r.passes(params) { "PASS" } else { "FAIL" }
        );
        eprintln!("  latency histogram (ms): {}", r.histogram);
        runs.push(r);
    }
    let problems = runs
        .iter()
        .enumerate()
        .flat_map(|(n, r)| {
            r.problems
                .iter()
                .map(move |p| format!("public-page run {}: {p}", n + 1))
        })
        .collect();
    Ok((public_page::report(params, &runs), problems))
}

/// Runs the browser benchmark `repeat` times per meeting scale.
/// `bench sign-off`: sign-off through the server at each scale, `runs` times each.
pub async fn sign_off(
    quiet: &procfs::Quiet,
    bins: &Bins,
    scales: &[usize],
    runs: usize,
) -> Result<(String, Vec<String>)> {
    let mut outcomes = Vec::new();
    for &scale in scales {
        quiet.wait().await;
        eprintln!(
            "sign-off: meeting {scale}× the fixture (load {})",
            procfs::loadavg()
        );
        let o = signoff::run(bins, scale, runs).await?;
        eprintln!("  {:?} ms", o.ms);
        outcomes.push(o);
    }
    Ok((signoff::report(&outcomes), Vec::new()))
}

pub async fn m2(
    quiet: &procfs::Quiet,
    bins: &Bins,
    web_dir: &Path,
    params: &m2::Params,
    repeat: usize,
    scales: &[usize],
) -> Result<(String, Vec<String>)> {
    let bundle = m2::bundle(web_dir)?;
    let mut runs = Vec::new();
    for i in 0..repeat {
        for &scale in scales {
            eprintln!(
                "m2 run {}/{repeat}, meeting {scale}× the fixture (load {})",
                i + 1,
                procfs::loadavg()
            );
            quiet.wait().await;
            let r = m2::run(bins, web_dir, params, scale).await?;
            eprintln!(
                "  {} items, {} blocks | busy cores {:.2}, server {:.2} CPU s, fsync {} | keystroke {} | first loads (editable, all) {:?} ms | reloads {:?} ms{}",
                r.items,
                r.blocks,
                r.busy_cores,
                r.server_cpu_s,
                r.fsync.map_or("–".into(), |s| s.to_string()),
                r.keystroke.map_or("–".into(), |s| s.to_string()),
                r.first_loads.iter().map(|l| (l.editable.round(), l.complete.round())).collect::<Vec<_>>(),
                r.reloads.iter().map(|l| (l.editable.round(), l.complete.round())).collect::<Vec<_>>(),
                if r.problems.is_empty() {
                    String::new()
                } else {
                    format!(" | problems: {}", r.problems.join("; "))
                }
            );
            runs.push(r);
        }
    }
    let problems = runs
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(move |p| format!("m2 ({}×): {p}", r.scale))
        })
        .collect();
    Ok((m2::report(params, &runs, &bundle), problems))
}
