//! Chromium performance traces from the browser benchmark: the switches that make each
//! session write one (`--trace-startup`), and a summary of where the page's main thread
//! spent the typing window.
//!
//! The window is marked by the page itself (`console.timeStamp("mb-typing-start")` and
//! `"mb-typing-end"`, which the trace records as `TimeStamp` events). Within it the
//! summary gives, for the renderer's main thread: how busy it was (top-level tasks), how
//! many tasks were long, and the self time of each kind of work (script, style, layout,
//! paint, garbage collection …), computed by nesting the trace's complete events.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// Trace categories: top-level tasks, the DevTools timeline (script, style, layout, paint,
/// GC, timers, animation frames, `console.timeStamp`) and V8's execution events.
const CATEGORIES: &str = "toplevel,devtools.timeline,v8.execute,blink.user_timing";

/// The page's marks around its typing.
pub const START_MARK: &str = "mb-typing-start";
pub const END_MARK: &str = "mb-typing-end";

/// Chromium switches that trace the browser from start for `seconds` into `file`.
pub fn switches(file: &Path, seconds: u64) -> Vec<String> {
    vec![
        format!("--trace-startup={CATEGORIES}"),
        "--trace-startup-format=json".into(),
        format!("--trace-startup-file={}", file.display()),
        format!("--trace-startup-duration={seconds}"),
    ]
}

#[derive(Deserialize)]
struct Trace {
    #[serde(rename = "traceEvents")]
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    name: String,
    #[serde(default)]
    ph: String,
    #[serde(default)]
    cat: String,
    #[serde(default)]
    pid: u64,
    #[serde(default)]
    tid: u64,
    #[serde(default)]
    ts: f64,
    #[serde(default)]
    dur: Option<f64>,
    /// Thread (CPU) time of a complete event, µs.
    #[serde(default)]
    tdur: Option<f64>,
    #[serde(default)]
    args: serde_json::Value,
}

/// Where one renderer's main thread spent the typing window.
#[derive(Debug, Clone)]
pub struct MainThread {
    /// The typing window, ms.
    pub window_ms: f64,
    /// Time inside top-level tasks, ms, and the CPU time they took (less when the thread
    /// waited for a core).
    pub busy_ms: f64,
    pub cpu_ms: f64,
    /// Top-level tasks, and those longer than 16 ms and 50 ms.
    pub tasks: usize,
    pub over_16ms: usize,
    pub over_50ms: usize,
    /// The longest task, ms.
    pub longest_ms: f64,
    /// Self time by event name, ms, largest first.
    pub self_ms: Vec<(String, f64)>,
    /// Busy time of every thread of the browser in the window, ms, by process and
    /// thread name, largest first.
    pub threads_ms: Vec<(String, f64)>,
}

/// Reads one session's trace and summarises its renderer's main thread over the window
/// its page marked. Errors when the file is not a trace or has no marked window.
pub fn summarise(path: &Path) -> Result<MainThread> {
    let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let trace: Trace = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("parse {}", path.display()))?;
    let mut names: HashMap<(u64, u64), String> = HashMap::new();
    let mut processes: HashMap<u64, String> = HashMap::new();
    for e in trace.events.iter().filter(|e| e.ph == "M") {
        let label = e.args["name"].as_str().unwrap_or_default().to_owned();
        match e.name.as_str() {
            "thread_name" => {
                names.insert((e.pid, e.tid), label);
            }
            "process_name" => {
                processes.insert(e.pid, label);
            }
            _ => {}
        }
    }
    let mark = |m: &str| {
        trace
            .events
            .iter()
            .find(|e| e.name == "TimeStamp" && e.args["data"]["message"].as_str() == Some(m))
    };
    let start = mark(START_MARK).context("no typing-start mark in the trace")?;
    let (pid, tid) = (start.pid, start.tid);
    let (t0, t1) = (
        start.ts,
        mark(END_MARK)
            .context("no typing-end mark in the trace")?
            .ts,
    );
    // Complete spans per thread, clipped to the window.
    let mut spans: HashMap<(u64, u64), Vec<Span>> = HashMap::new();
    let mut open: HashMap<(u64, u64), Vec<&Event>> = HashMap::new();
    for e in &trace.events {
        let key = (e.pid, e.tid);
        let span = match e.ph.as_str() {
            "X" => e.dur.map(|d| (e, e.ts, e.ts + d)),
            // Begin/end pairs carry no thread time; they count as wall time only.
            "B" => {
                open.entry(key).or_default().push(e);
                None
            }
            "E" => open
                .get_mut(&key)
                .and_then(Vec::pop)
                .map(|b| (b, b.ts, e.ts)),
            _ => None,
        };
        if let Some((e, a, b)) = span {
            if b > t0 && a < t1 {
                let (from, to) = (a.max(t0), b.min(t1));
                // Thread time in the window, in proportion when the span is clipped.
                let cpu = e.tdur.unwrap_or(0.0) * (to - from) / (b - a).max(1.0);
                spans.entry(key).or_default().push(Span {
                    name: e.name.clone(),
                    top: e.cat.contains("toplevel"),
                    from,
                    to,
                    cpu,
                });
            }
        }
    }
    let mut threads_ms: Vec<(String, f64)> = spans
        .iter()
        .map(|(&(p, t), s)| {
            let label = format!(
                "{} / {}",
                processes.get(&p).map_or("?", String::as_str),
                names.get(&(p, t)).map_or("?", String::as_str)
            );
            (
                label,
                outermost(s).iter().map(|s| s.to - s.from).sum::<f64>() / 1000.0,
            )
        })
        .collect();
    threads_ms.sort_by(|a, b| b.1.total_cmp(&a.1));
    let main = spans.remove(&(pid, tid)).unwrap_or_default();
    let top: Vec<&Span> = outermost(&main).into_iter().filter(|s| s.top).collect();
    let durations: Vec<f64> = top.iter().map(|s| (s.to - s.from) / 1000.0).collect();
    let cpu_ms = top.iter().map(|s| s.cpu).sum::<f64>() / 1000.0;
    let mut self_ms: Vec<(String, f64)> = self_times(main).into_iter().collect();
    self_ms.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(MainThread {
        window_ms: (t1 - t0) / 1000.0,
        busy_ms: durations.iter().sum(),
        cpu_ms,
        tasks: durations.len(),
        over_16ms: durations.iter().filter(|&&d| d > 16.0).count(),
        over_50ms: durations.iter().filter(|&&d| d > 50.0).count(),
        longest_ms: durations.iter().copied().fold(0.0, f64::max),
        self_ms,
        threads_ms,
    })
}

/// One event's time on its thread, µs.
#[derive(Debug, Clone, Default)]
struct Span {
    name: String,
    top: bool,
    from: f64,
    to: f64,
    cpu: f64,
}

/// Spans not inside another span of the same thread.
fn outermost(spans: &[Span]) -> Vec<&Span> {
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort_by(|a, b| a.from.total_cmp(&b.from).then(b.to.total_cmp(&a.to)));
    let mut out: Vec<&Span> = Vec::new();
    for s in sorted {
        if out.last().is_none_or(|last| s.from >= last.to) {
            out.push(s);
        }
    }
    out
}

/// Self time (own duration minus its children's) by name, ms.
fn self_times(mut spans: Vec<Span>) -> HashMap<String, f64> {
    spans.sort_by(|a, b| a.from.total_cmp(&b.from).then(b.to.total_cmp(&a.to)));
    let mut totals: HashMap<String, f64> = HashMap::new();
    // The open spans, each with the time its children took so far.
    let mut stack: Vec<(Span, f64)> = Vec::new();
    let close = |(s, children): (Span, f64), totals: &mut HashMap<String, f64>| {
        *totals.entry(s.name).or_default() += ((s.to - s.from) - children).max(0.0) / 1000.0;
    };
    for s in spans {
        while stack.last().is_some_and(|(top, _)| s.from >= top.to) {
            if let Some(done) = stack.pop() {
                close(done, &mut totals);
            }
        }
        if let Some((parent, children)) = stack.last_mut() {
            *children += s.to.min(parent.to) - s.from;
        }
        stack.push((s, 0.0));
    }
    while let Some(done) = stack.pop() {
        close(done, &mut totals);
    }
    totals
}

/// A markdown table of the sessions' main threads (the top `kinds` kinds of work).
pub fn report(sessions: &[MainThread], kinds: usize) -> String {
    let mut out = String::from(
        "| session | window | main thread busy | its CPU | tasks | > 16 ms | > 50 ms | longest | self time (wall, ms), largest first |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for (i, s) in sessions.iter().enumerate() {
        let work: Vec<String> = s
            .self_ms
            .iter()
            .take(kinds)
            .map(|(n, ms)| format!("{n} {ms:.0}"))
            .collect();
        out.push_str(&format!(
            "| S{i} | {:.1} s | {:.0} ms ({:.0} %) | {:.0} ms | {} | {} | {} | {:.1} ms | {} |\n",
            s.window_ms / 1000.0,
            s.busy_ms,
            100.0 * s.busy_ms / s.window_ms.max(1.0),
            s.cpu_ms,
            s.tasks,
            s.over_16ms,
            s.over_50ms,
            s.longest_ms,
            work.join(", ")
        ));
    }
    out.push_str("\nBusiest threads per session (ms in the window):\n\n");
    for (i, s) in sessions.iter().enumerate() {
        let threads: Vec<String> = s
            .threads_ms
            .iter()
            .take(6)
            .map(|(n, ms)| format!("{n} {ms:.0}"))
            .collect();
        out.push_str(&format!("- S{i}: {}\n", threads.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &str, from: f64, to: f64) -> Span {
        Span {
            name: name.into(),
            top: true,
            from,
            to,
            cpu: 0.0,
        }
    }

    #[test]
    fn self_time_subtracts_nested_children() {
        let t = self_times(vec![
            span("task", 0.0, 10_000.0),
            span("script", 1_000.0, 6_000.0),
            span("gc", 2_000.0, 3_000.0),
            span("layout", 7_000.0, 9_000.0),
            span("task", 20_000.0, 21_000.0),
        ]);
        assert_eq!(t["task"], 4.0);
        assert_eq!(t["script"], 4.0);
        assert_eq!(t["gc"], 1.0);
        assert_eq!(t["layout"], 2.0);
    }

    #[test]
    fn outermost_skips_nested_spans() {
        let s = [
            span("a", 0.0, 10.0),
            span("b", 2.0, 3.0),
            span("c", 10.0, 12.0),
        ];
        let names: Vec<&str> = outermost(&s).iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
    }
}
