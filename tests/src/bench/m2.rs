//! The browser benchmark: the real web client in headless Chromium sessions on a meeting
//! `scale` times the size of the fixture, on the real server (redb, fsync).
//!
//! - **Page load to editable**: from navigation start to the first animation frame in
//!   which the status says synced (`saved` or `online`) and a block's textarea is in the
//!   page, and to the frame in which every block's textarea is (the client mounts long
//!   meetings a chunk at a time), read in the page itself (`performance.now()`), for each
//!   session's first load (fresh profile, empty cache) and for reloads (warm HTTP cache).
//! - **Keystroke to display**: every session types into its own block at `rate` keys per
//!   second through the textarea's input path (`setRangeText` + an `input` event, the
//!   path a real keystroke takes in the binding); the next session watches that block and
//!   records the first animation frame in which each new character is in its textarea.
//!   Both ends read `performance.timeOrigin + performance.now()` (one machine, one clock).
//! - **Bundle size** of the built client (raw and gzip -9).

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::Client;
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::{import::parse_minutes, Meeting};
use serde_json::{json, Value};
use yrs::Transact;

use super::chrome_trace;
use super::procfs;
use super::stats::{Samples, Summary};
use super::sut::{Bins, Kind, Sut};
use minutebook_tests::browser::{Browser, Driver};

/// The meeting's document name.
pub(crate) const MEETING: &str = "bench-meeting";

/// What one run does.
#[derive(Debug, Clone, clap::Args)]
pub struct Params {
    /// Browser sessions, all typing.
    #[arg(long, default_value_t = 5)]
    pub sessions: usize,
    /// Keystrokes per second per session.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Seconds of typing.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Reloads measured (warm cache) after the typing.
    #[arg(long, default_value_t = 10)]
    pub reloads: usize,
    /// Diagnostic: each session writes a Chromium performance trace into this directory
    /// (`run<N>-session<I>.json`), summarised after the run. Tracing slows the pages, so
    /// latency figures from traced runs are not comparable with untraced ones.
    #[arg(long)]
    pub trace_dir: Option<std::path::PathBuf>,
}

/// What one run measured.
#[derive(Debug)]
pub struct Outcome {
    /// Copies of the fixture in the meeting.
    pub scale: usize,
    /// Blocks and items in the meeting.
    pub blocks: usize,
    pub items: usize,
    /// Keystroke-to-display latency over all watched sessions.
    pub keystroke: Option<Summary>,
    /// Keystrokes sent.
    pub keystrokes: usize,
    /// First loads (fresh profiles).
    pub first_loads: Vec<Load>,
    /// Reloads (warm cache).
    pub reloads: Vec<Load>,
    /// CPU during the typing: the whole machine's busy cores (every process), and the
    /// server's CPU seconds.
    pub busy_cores: f64,
    pub server_cpu_s: f64,
    /// The disk's durable append just after the typing (a keystroke is relayed only once
    /// it is on disk, so this is part of every keystroke's path).
    pub fsync: Option<Summary>,
    /// The sessions' main threads during the typing, when traced.
    pub traces: Vec<chrome_trace::MainThread>,
    /// Anything that went wrong (missing keystrokes, server log lines).
    pub problems: Vec<String>,
}

/// Runs the benchmark once on a meeting of `scale` fixtures.
pub async fn run(bins: &Bins, web_dir: &Path, params: &Params, scale: usize) -> Result<Outcome> {
    let work = tempfile::tempdir()?;
    let data = work.path().join("data");
    std::fs::create_dir_all(&data)?;
    let sut =
        Sut::start_with_web(Kind::Minutebook, bins, &data, work.path(), Some(web_dir)).await?;
    let result = measure(&sut, work.path(), params, scale).await;
    let logged = sut.stop().await?;
    let mut outcome = result?;
    outcome.problems.extend(logged);
    Ok(outcome)
}

async fn measure(sut: &Sut, work_dir: &Path, params: &Params, scale: usize) -> Result<Outcome> {
    let (items, blocks) = seed(sut, scale).await?;
    if blocks.len() < params.sessions {
        bail!("the meeting has fewer blocks than sessions");
    }
    // Blocks spread over the whole meeting, the last one near its end.
    let typed: Vec<String> = (0..params.sessions)
        .map(|i| blocks[(i + 1) * blocks.len() / params.sessions - 1].clone())
        .collect();
    let url = format!("http://{}/?meeting={MEETING}", sut.addr);
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = async {
        let mut first_loads = Vec::new();
        // Traces run from each browser's start until well after the typing ends.
        let trace_seconds = 20 + 10 * params.sessions as u64 + params.seconds.ceil() as u64;
        let trace_files: Vec<std::path::PathBuf> = match &params.trace_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let run = next_run(dir);
                (0..params.sessions)
                    .map(|i| dir.join(format!("run{run}-session{i}.json")))
                    .collect()
            }
            None => Vec::new(),
        };
        for i in 0..params.sessions {
            let switches = trace_files
                .get(i)
                .map(|f| chrome_trace::switches(f, trace_seconds))
                .unwrap_or_default();
            let browser = Browser::open_with(&driver, &switches).await?;
            // Signed in first (the administrator's session cookie, set on the server's
            // origin from `/healthz`); the first load still starts with an empty cache.
            if let Some(token) = &sut.token {
                browser
                    .sign_in(&format!("http://{}/", sut.addr), token)
                    .await?;
            }
            first_loads
                .push(load(&browser.client, &format!("{url}&name=S{i}"), blocks.len()).await?);
            browsers.push(browser);
        }
        // Watchers first (they note each watched block's length), then the typists.
        for (i, browser) in browsers.iter().enumerate() {
            let watched = &typed[(i + params.sessions - 1) % params.sessions];
            browser
                .js(WATCH_JS, vec![json!(watched)])
                .await
                .context("install watcher")?;
        }
        for (i, browser) in browsers.iter().enumerate() {
            browser
                .js(
                    TYPE_JS,
                    vec![json!(typed[i]), json!(params.rate), json!(params.seconds)],
                )
                .await
                .context("start typing")?;
        }
        let busy_before = procfs::machine_busy_s()?;
        let server_before = sut.sample()?.cpu_s;
        let typing_from = std::time::Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(params.seconds + 3.0)).await;
        let busy_cores =
            (procfs::machine_busy_s()? - busy_before) / typing_from.elapsed().as_secs_f64();
        let server_cpu_s = sut.sample()?.cpu_s - server_before;
        let fsync = super::disk::fsync_probe(work_dir, 200).await.ok();
        let traces = wait_for_traces(&trace_files, trace_seconds).await?;
        let mut sent = Vec::new();
        let mut seen = Vec::new();
        for browser in &browsers {
            let v = browser.js("return window.__mb || null;", vec![]).await?;
            sent.push(times(&v["sent"]));
            seen.push(times(&v["seen"]));
        }
        let mut samples = Samples::default();
        let mut problems = Vec::new();
        let mut keystrokes = 0;
        for (i, s) in sent.iter().enumerate() {
            let watcher = (i + 1) % params.sessions;
            let w = &seen[watcher];
            keystrokes += s.len();
            for (k, t0) in s.iter().enumerate() {
                match w.get(k) {
                    Some(t1) => samples.push_us(((t1 - t0).max(0.0) * 1000.0) as u64),
                    None => {
                        problems.push(format!(
                            "session {watcher} saw {} of session {i}'s {} keystrokes",
                            w.len(),
                            s.len()
                        ));
                        break;
                    }
                }
            }
        }
        let mut reloads = Vec::new();
        if let Some(browser) = browsers.first() {
            for _ in 0..params.reloads {
                reloads.push(load(&browser.client, &format!("{url}&name=S0"), blocks.len()).await?);
            }
        }
        anyhow::Ok(Outcome {
            scale,
            blocks: blocks.len(),
            items,
            keystroke: samples.summary(),
            keystrokes,
            first_loads,
            reloads,
            busy_cores,
            server_cpu_s,
            fsync,
            traces,
            problems,
        })
    }
    .await;
    for browser in browsers {
        browser.close().await;
    }
    outcome
}

/// The first unused run number in a trace directory.
fn next_run(dir: &Path) -> usize {
    (1..)
        .find(|n| !dir.join(format!("run{n}-session0.json")).exists())
        .unwrap_or(1)
}

/// Waits until Chromium has written every trace (when its tracing time is up), then
/// summarises each.
async fn wait_for_traces(
    files: &[std::path::PathBuf],
    seconds: u64,
) -> Result<Vec<chrome_trace::MainThread>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    eprintln!("  waiting for {} Chromium traces", files.len());
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds + 60);
    let mut out = Vec::new();
    for file in files {
        loop {
            // Chromium writes the file in one go once tracing stops; a parse error means
            // it is still being written.
            if file.exists() {
                match chrome_trace::summarise(file) {
                    Ok(summary) => {
                        out.push(summary);
                        break;
                    }
                    Err(e) if std::time::Instant::now() > deadline => return Err(e),
                    Err(_) => {}
                }
            } else if std::time::Instant::now() > deadline {
                bail!("Chromium wrote no trace to {}", file.display());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    Ok(out)
}

/// Imports the fixture `scale` times into the meeting through a native client, durably;
/// returns the item count and every block id in reading order.
pub(crate) async fn seed(sut: &Sut, scale: usize) -> Result<(usize, Vec<String>)> {
    let text = include_str!("../../../shared/fixtures/assurance-meeting-2022-01.txt");
    let minutes = parse_minutes(text).context("the fixture")?;
    let mut options = ClientOptions::new(sut.ws_url(MEETING));
    if let Some(token) = &sut.token {
        options = options.with_bearer(token);
    }
    let client = SyncClient::connect(options);
    let patience = Duration::from_secs(60);
    client.wait_synced(patience).await?;
    let meeting = Meeting::new(client.doc().clone());
    for _ in 0..scale {
        let mut txn = client.doc().transact_mut();
        meeting
            .import_minutes(&mut txn, &minutes)
            .context("import into the doc")?;
    }
    client.wait_saved(patience).await?;
    let view = meeting.view(&client.doc().transact());
    client.close().await;
    let blocks = view
        .items
        .iter()
        .flat_map(|i| i.blocks.iter().map(|b| b.id.as_str().to_owned()))
        .collect();
    Ok((view.items.len(), blocks))
}

/// Navigates to `url`; milliseconds from navigation start until the first block can be
/// typed into, and until every block is in the page.
async fn load(client: &Client, url: &str, blocks: usize) -> Result<Load> {
    client.goto(url).await.context("navigate")?;
    let v = client
        .execute_async(LOAD_JS, vec![json!(blocks)])
        .await
        .context("wait for the editor")?;
    Ok(Load {
        editable: v["editable"].as_f64().context("time to editable")?,
        complete: v["complete"].as_f64().context("time to complete")?,
    })
}

/// One page load, milliseconds from navigation start.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// The status says synced and a block's textarea is in the page.
    pub editable: f64,
    /// Every block's textarea is in the page.
    pub complete: f64,
}

fn times(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Bytes of the built client's wasm and JS, raw and gzip -9.
pub fn bundle(web_dir: &Path) -> Result<Vec<(String, u64, u64)>> {
    let mut out = Vec::new();
    for file in [
        "minutebook_client_bg.wasm",
        "minutebook_client.js",
        "index.html",
    ] {
        let path = web_dir.join(file);
        let raw = std::fs::metadata(&path)
            .with_context(|| format!("{} (run scripts/build-client.sh)", path.display()))?
            .len();
        let gz = std::process::Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&path)
            .output()
            .context("gzip")?
            .stdout
            .len() as u64;
        out.push((file.to_owned(), raw, gz));
    }
    Ok(out)
}

/// Resolves, at the first animation frame where all `blocks` textareas are in the page,
/// with that time and the first frame's time where the status said synced and a block
/// could be typed into (`performance.now()`, from navigation start).
const LOAD_JS: &str = "
    const [blocks, done] = arguments;
    let editable = null;
    const check = () => {
        const s = document.getElementById('status');
        const st = s && s.dataset.state;
        const synced = st === 'saved' || st === 'online';
        const mounted = document.querySelectorAll('textarea.block-text').length;
        const now = performance.now();
        if (synced && mounted > 0 && editable === null) editable = now;
        if (synced && mounted >= blocks) done({ editable, complete: now });
        else requestAnimationFrame(check);
    };
    check();";

/// Records, per animation frame, when new characters appear in the watched block.
const WATCH_JS: &str = "
    const [block] = arguments;
    const el = document.querySelector(`div.block[data-block=\"${block}\"] textarea.block-text`);
    if (!el) throw new Error('no block ' + block);
    const mb = window.__mb = window.__mb || { sent: [], seen: [] };
    const base = el.value.length;
    const frame = () => {
        const n = el.value.length - base;
        const t = performance.timeOrigin + performance.now();
        while (mb.seen.length < n) mb.seen.push(t);
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);";

/// Types one character at the end of the block `rate` times a second for `seconds`.
const TYPE_JS: &str = "
    const [block, rate, seconds] = arguments;
    const el = document.querySelector(`div.block[data-block=\"${block}\"] textarea.block-text`);
    if (!el) throw new Error('no block ' + block);
    const mb = window.__mb = window.__mb || { sent: [], seen: [] };
    const end = performance.now() + seconds * 1000;
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    el.focus();
    console.timeStamp('mb-typing-start');
    const tick = () => {
        if (performance.now() > end) {
            console.timeStamp('mb-typing-end');
            return;
        }
        const at = el.value.length;
        el.setSelectionRange(at, at);
        const ch = letters[mb.sent.length % letters.length];
        mb.sent.push(performance.timeOrigin + performance.now());
        el.setRangeText(ch, at, at, 'end');
        el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: ch }));
        setTimeout(tick, (1000 / rate) * (0.5 + Math.random()));
    };
    setTimeout(tick, Math.random() * 1000 / rate);";

/// The markdown section for a set of runs (several scales, repeated), with the bundle.
pub fn report(params: &Params, runs: &[Outcome], bundle: &[(String, u64, u64)]) -> String {
    use super::stats::median;
    let mut out = format!(
        "### Meeting editor in the browser\n\n{} headless Chromium sessions each type {} keys/s for {} s into their own block; the next session records when each key is displayed. Medians over {} run(s) per scale; the 1× meeting is the baseline.\n\n",
        params.sessions,
        params.rate,
        params.seconds,
        runs.len() / scales(runs).len().max(1),
    );
    out.push_str("| meeting | items / blocks | keystroke→display p50 | p99 | max | keystrokes | first load: editable / all blocks (cold cache) | reload: editable / all blocks (warm cache) |\n|---|---|---|---|---|---|---|---|\n");
    let mut rows = Vec::new();
    for scale in scales(runs) {
        let of: Vec<&Outcome> = runs.iter().filter(|r| r.scale == scale).collect();
        let ks: Vec<Summary> = of.iter().filter_map(|r| r.keystroke).collect();
        let p50 = median(ks.iter().map(|s| s.p50));
        let p99 = median(ks.iter().map(|s| s.p99));
        let max = median(ks.iter().map(|s| s.max));
        let first = median(
            of.iter()
                .map(|r| median(r.first_loads.iter().map(|l| l.editable))),
        );
        let first_all = median(
            of.iter()
                .map(|r| median(r.first_loads.iter().map(|l| l.complete))),
        );
        let reload = median(
            of.iter()
                .map(|r| median(r.reloads.iter().map(|l| l.editable))),
        );
        let reload_all = median(
            of.iter()
                .map(|r| median(r.reloads.iter().map(|l| l.complete))),
        );
        let keys: usize = of.iter().map(|r| r.keystrokes).sum();
        let (items, blocks) = of.first().map_or((0, 0), |r| (r.items, r.blocks));
        out.push_str(&format!(
            "| {scale}× fixture | {items} / {blocks} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {keys} | {first:.0} / {first_all:.0} ms | {reload:.0} / {reload_all:.0} ms |\n"
        ));
        rows.push((scale, p50, p99, first, reload));
    }
    if let (Some(base), Some(top)) = (rows.first(), rows.last()) {
        if rows.len() > 1 {
            out.push_str(&format!(
                "\nRatio {}× / {}×: keystroke p50 {:.2}, p99 {:.2}; first load to editable {:.2}; reload to editable {:.2}.\n",
                top.0,
                base.0,
                top.1 / base.1,
                top.2 / base.2,
                top.3 / base.3,
                top.4 / base.4
            ));
        }
    }
    out.push_str("\nCPU while typing, per run: ");
    let cpu: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{}×: machine {:.2} of its cores busy, server {:.2} CPU s, disk fsync after it {}",
                r.scale,
                r.busy_cores,
                r.server_cpu_s,
                r.fsync.map_or("–".into(), |s| s.to_string())
            )
        })
        .collect();
    out.push_str(&cpu.join("; "));
    out.push_str(".\n");
    for (i, r) in runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.traces.is_empty())
    {
        out.push_str(&format!(
            "\nRun {} ({}×), Chromium traces of the typing window (tracing on):\n\n{}",
            i + 1,
            r.scale,
            chrome_trace::report(&r.traces, 8)
        ));
    }
    out.push_str("\n| bundle file | raw | gzip -9 |\n|---|---|---|\n");
    for (file, raw, gz) in bundle {
        out.push_str(&format!(
            "| {file} | {:.1} KB | {:.1} KB |\n",
            *raw as f64 / 1000.0,
            *gz as f64 / 1000.0
        ));
    }
    out
}

fn scales(runs: &[Outcome]) -> Vec<usize> {
    let mut s: Vec<usize> = runs.iter().map(|r| r.scale).collect();
    s.sort_unstable();
    s.dedup();
    s
}
