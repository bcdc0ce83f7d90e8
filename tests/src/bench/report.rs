//! Markdown for the results: one table per benchmark with medians over repeated runs,
//! the baseline, their ratio and the target with met / not met.

use std::fmt::Write;
use std::time::Duration;

use super::stats::{median, range, Summary};
use super::sut::Kind;
use super::{b4, cold, fanout as fo};

/// Targets from the brief.
pub const FANOUT_P99_MS: f64 = 10.0;
pub const B4_CONVERGE_S: f64 = 3.0;
pub const COLD_LOAD_MS: f64 = 30.0;

fn met(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**not met**"
    }
}

/// "median (min–max)" of one figure over runs.
fn med(values: &[f64], digits: usize) -> String {
    let m = median(values.iter().copied());
    if values.is_empty() {
        return "–".into();
    }
    if values.len() < 2 {
        return format!("{m:.digits$}");
    }
    let (lo, hi) = range(values.iter().copied());
    format!("{m:.digits$} ({lo:.digits$}–{hi:.digits$})")
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.1}×", a / b)
    } else {
        "–".into()
    }
}

/// Fan-out table over runs of both targets.
pub fn fanout(params: &fo::Params, runs: &[fo::Outcome]) -> String {
    let of = |k: Kind| runs.iter().filter(|r| r.kind == k).collect::<Vec<_>>();
    let (mb, relay, nagle) = (of(Kind::Minutebook), of(Kind::Relay), of(Kind::RelayNagle));
    let pick = |rs: &[&fo::Outcome], f: &dyn Fn(&fo::Outcome) -> Option<f64>| -> Vec<f64> {
        rs.iter().filter_map(|r| f(r)).collect()
    };
    let mut out = String::new();
    let _ = writeln!(out, "### Fan-out: {}\n", params.describe());
    let _ = writeln!(
        out,
        "Medians over {} run(s) each (min–max in brackets); the baseline is the bench's bare relay (no CRDT, no fsync).\n",
        mb.len().max(relay.len())
    );
    let nagle_col = !nagle.is_empty();
    if nagle_col {
        let _ = writeln!(
            out,
            "| Figure | Minutebook | Bare relay | Ratio | Target | Bare relay, Nagle on |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
    } else {
        let _ = writeln!(out, "| Figure | Minutebook | Bare relay | Ratio | Target |");
        let _ = writeln!(out, "|---|---|---|---|---|");
    }
    type Get = fn(&fo::Outcome) -> Option<f64>;
    let rows: [(&str, Get, usize); 14] = [
        (
            "Delivery latency p50 (ms)",
            |r| r.delivery.map(|s| s.p50),
            2,
        ),
        (
            "Delivery latency p99 (ms)",
            |r| r.delivery.map(|s| s.p99),
            2,
        ),
        (
            "Delivery latency max (ms)",
            |r| r.delivery.map(|s| s.max),
            2,
        ),
        ("Durable-ack latency p50 (ms)", |r| r.ack.map(|s| s.p50), 2),
        ("Durable-ack latency p99 (ms)", |r| r.ack.map(|s| s.p99), 2),
        ("Deliveries/s", |r| Some(r.deliveries_per_s), 0),
        (
            "Server CPU s per 100k deliveries",
            |r| Some(r.cpu_s_per_100k),
            2,
        ),
        (
            "Bench (client) CPU s over the window",
            |r| Some(r.bench_cpu_s),
            1,
        ),
        (
            "Other processes' CPU over the window (cores)",
            |r| Some(r.other_cores),
            2,
        ),
        (
            "Disk floor: 4 KiB append + fdatasync p50 before the run (ms)",
            |r| Some(r.fsync.p50),
            2,
        ),
        (
            "Disk floor: 4 KiB append + fdatasync p99 before the run (ms)",
            |r| Some(r.fsync.p99),
            2,
        ),
        (
            "Server RSS idle, all connected (MiB)",
            |r| Some(r.rss_idle_mib),
            1,
        ),
        ("Server RSS peak (MiB)", |r| Some(r.rss_peak_mib), 1),
        ("Server RSS end (MiB)", |r| Some(r.rss_end_mib), 1),
    ];
    for (i, (name, get, digits)) in rows.iter().enumerate() {
        let a = pick(&mb, get);
        let b = pick(&relay, get);
        let target = if i == 1 {
            let m = median(a.iter().copied());
            format!("≤ {FANOUT_P99_MS} ms: {}", met(m <= FANOUT_P99_MS))
        } else {
            String::new()
        };
        let extra = if nagle_col {
            format!(" {} |", med(&pick(&nagle, get), *digits))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {target} |{extra}",
            med(&a, *digits),
            med(&b, *digits),
            ratio(median(a.iter().copied()), median(b.iter().copied()))
        );
    }
    let lost: u64 = mb
        .iter()
        .map(|r| r.expected.saturating_sub(r.delivered))
        .sum();
    let _ = writeln!(
        out,
        "\nUpdates sent in the window per run: {}; deliveries missing (minutebook, all runs): {lost}.",
        mb.first().map_or(0, |r| r.sent)
    );
    out
}

/// B4 streaming table.
pub fn b4(raw: &[Duration], runs: &[b4::Outcome], max_in_flight: u64) -> String {
    let secs = |k: Kind, f: fn(&b4::Outcome) -> Option<f64>| -> Vec<f64> {
        // Figures of failed runs (a disconnect) would not be comparable: successful runs only.
        runs.iter()
            .filter(|r| r.kind == k && r.converged.is_some() && r.durable.is_some())
            .filter_map(f)
            .collect()
    };
    let raw_s: Vec<f64> = raw.iter().map(Duration::as_secs_f64).collect();
    let raw_m = median(raw_s.iter().copied());
    let conv = secs(Kind::Minutebook, |r| r.converged.map(|d| d.as_secs_f64()));
    let relay_conv = secs(Kind::Relay, |r| r.converged.map(|d| d.as_secs_f64()));
    let failed = |k: Kind| {
        let of_kind = runs.iter().filter(|r| r.kind == k);
        let n = of_kind.clone().count();
        let bad = of_kind
            .filter(|r| r.converged.is_none() || r.durable.is_none())
            .count();
        (bad, n)
    };
    let failures = [Kind::Minutebook, Kind::Relay]
        .into_iter()
        .filter_map(|k| {
            let (bad, n) = failed(k);
            (bad > 0).then(|| format!("**{k}: {bad} of {n} runs failed**"))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### B4 stream: 259,778 single-op updates, one writer → one reader, {}\n",
        window(max_in_flight)
    );
    let _ = writeln!(
        out,
        "Medians over {} successful run(s) (min–max){}. Baselines: raw yrs decode+apply of the same updates in one process without network, and the bare relay.\n",
        conv.len(),
        if failures.is_empty() { String::new() } else { format!("; {failures} (see Problems)") }
    );
    let _ = writeln!(out, "| Figure | Minutebook | Bare relay | Raw yrs apply | Minutebook / raw | Minutebook / relay | Target |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let cm = median(conv.iter().copied());
    let _ = writeln!(
        out,
        "| First send → reader converged (s) | {} | {} | {} | {} | {} | ≤ {B4_CONVERGE_S} s: {} |",
        med(&conv, 2),
        med(&relay_conv, 2),
        med(&raw_s, 2),
        ratio(cm, raw_m),
        ratio(cm, median(relay_conv.iter().copied())),
        met(cm <= B4_CONVERGE_S)
    );
    type Get = fn(&b4::Outcome) -> Option<f64>;
    let rows: [(&str, Get); 6] = [
        ("First send → all writes durable (s)", |r| {
            r.durable.map(|d| d.as_secs_f64())
        }),
        ("First send → last frame written (s)", |r| {
            r.sent.map(|d| d.as_secs_f64())
        }),
        ("Server CPU (s)", |r| Some(r.server_cpu_s)),
        ("Bench (writer + reader) CPU (s)", |r| Some(r.bench_cpu_s)),
        ("Other processes' CPU during the run (cores)", |r| {
            Some(r.other_cores)
        }),
        ("Server RSS peak (MiB)", |r| Some(r.rss_peak_mib)),
    ];
    for (name, f) in rows {
        let a = secs(Kind::Minutebook, f);
        let b = secs(Kind::Relay, f);
        let _ = writeln!(
            out,
            "| {name} | {} | {} | | | {} | |",
            med(&a, 2),
            med(&b, 2),
            ratio(median(a.iter().copied()), median(b.iter().copied()))
        );
    }
    out
}

/// Cold-load table.
pub fn cold(raw_load: &[Duration], runs: usize, outcomes: &[cold::Outcome]) -> String {
    let raw_ms = median(raw_load.iter().map(|d| d.as_secs_f64() * 1000.0));
    let warm = outcomes
        .iter()
        .find(|o| o.mode == cold::Mode::Warm)
        .map(|o| o.load.p50);
    let mut out = String::new();
    let _ = writeln!(out, "### Cold load: connect → first SyncStep2 for the final B4 document (400,972-byte update, 104,852 chars)\n");
    let _ = writeln!(
        out,
        "{runs} connections per mode, one after another. Baselines: raw yrs decode+apply+re-encode of b4-update.bin in-process (median {raw_ms:.2} ms), and a warm connect while the document is in memory.\n"
    );
    let _ = writeln!(out, "| Mode | Median (ms) | p99 (ms) | Max (ms) | Median / raw yrs | Median / warm | Target (median) |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for o in outcomes {
        let target = if o.mode == cold::Mode::Warm {
            String::new()
        } else {
            format!("≤ {COLD_LOAD_MS} ms: {}", met(o.load.p50 <= COLD_LOAD_MS))
        };
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} | {:.2} | {} | {} | {target} |",
            o.mode,
            o.load.p50,
            o.load.p99,
            o.load.max,
            ratio(o.load.p50, raw_ms),
            warm.map_or("–".into(), |w| ratio(o.load.p50, w))
        );
    }
    if let Some(u) = outcomes.iter().find_map(|o| o.unload) {
        let _ = writeln!(
            out,
            "\nLast connection closed → `/healthz` shows the document unloaded: {}.",
            summary_ms(&u)
        );
    }
    out
}

/// How the B4 writer paces itself.
pub fn window(max_in_flight: u64) -> String {
    if max_in_flight == 0 {
        "fully pipelined (no flow control)".into()
    } else {
        format!("at most {max_in_flight} updates unacknowledged")
    }
}

fn summary_ms(s: &Summary) -> String {
    format!("median {:.1} ms, p99 {:.1} ms", s.p50, s.p99)
}

/// Problems seen during the runs, deduplicated, as a list (empty string when none).
pub fn problems<'a>(all: impl IntoIterator<Item = &'a String>) -> String {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for p in all {
        // Server log lines differ in timestamps and connection ids: group by their tail.
        let key = p
            .split_once(" WARN ")
            .or_else(|| p.split_once(" ERROR "))
            .map_or(p.as_str(), |(_, t)| t)
            .to_string();
        match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => seen.push((key, 1)),
        }
    }
    let mut out = String::new();
    for (p, n) in seen.iter().take(20) {
        let _ = writeln!(
            out,
            "- {p}{}",
            if *n > 1 {
                format!(" (×{n})")
            } else {
                String::new()
            }
        );
    }
    if seen.len() > 20 {
        let _ = writeln!(out, "- … and {} more kinds", seen.len() - 20);
    }
    out
}
