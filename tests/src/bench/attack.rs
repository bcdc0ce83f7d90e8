//! `bench attack`: the attacks RELIABILITY.md lists, each a bounded loop against the
//! release server as a separate process (every limit at its default, redb in a temp dir,
//! fsync on every group commit), while a victim on another meeting keeps saving edits
//! and asking `/healthz`.
//!
//! Attackers connect from other loopback addresses (127.0.0.2 and up: all of 127/8
//! reaches the machine), as they would from other machines, so the per-address caps
//! apply to them and not to the victim. After each attack the report gives what the
//! server answered, its resident memory (now and peak), the store's size on disk, and
//! the victim's probes during the attack. The run fails if the server goes down or a
//! victim probe fails.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::SinkExt;
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::{Attendance, BlockKind, Meeting, Person};
use minutebook_shared::protocol::{self, Message, SyncMessage};
use minutebook_shared::trust::Role;
use minutebook_tests::hostile;
use minutebook_tests::http::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Doc, Text, Transact};

use super::stats::Samples;
use super::sut::{Bins, Sut};
use super::ws::{self, Frame, Next};

/// Longest wait for any one answer before it counts as a failure.
const PATIENCE: Duration = Duration::from_secs(20);

/// One attack's outcome.
pub struct Row {
    pub attack: &'static str,
    pub volume: String,
    /// What the server answered: close codes or HTTP statuses, with counts.
    pub answers: String,
    pub seconds: f64,
    pub rss_mib: f64,
    pub hwm_mib: f64,
    pub store_mib: f64,
    pub victim: Victim,
}

/// The victim's probes during one attack.
#[derive(Default)]
pub struct Victim {
    pub saves: Samples,
    pub health: Samples,
    pub failures: Vec<String>,
}

/// Tallies answers ("1007", "HTTP 400", …).
#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, answer: impl Into<String>) {
        *self.0.entry(answer.into()).or_default() += 1;
    }

    fn show(&self) -> String {
        self.0
            .iter()
            .map(|(a, n)| format!("{n} × {a}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs every attack in turn against a fresh server; the report table and any problems.
pub async fn run(bins: &Bins, work_dir: &Path) -> Result<(Vec<Row>, String, Vec<String>)> {
    let data_dir = work_dir.join("data");
    std::fs::create_dir_all(&data_dir)?;
    let sut = Sut::start_hardened(bins, &data_dir, work_dir).await?;
    let admin = sut.token.clone().context("the server gave no session")?;
    let victim = VictimLoop::start(sut.addr, &admin).await?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();

    macro_rules! attack {
        ($name:expr, $body:expr) => {{
            victim.reset();
            let start = Instant::now();
            let (volume, answers): (String, Tally) = $body;
            let seconds = start.elapsed().as_secs_f64();
            // One more round of probes after the attack, so a late effect shows.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let sample = sut.sample().context("the server is gone")?;
            let v = victim.take();
            for f in &v.failures {
                problems.push(format!("{}: victim: {f}", $name));
            }
            eprintln!("attack {}: {} in {seconds:.1} s", $name, answers.show());
            rows.push(Row {
                attack: $name,
                volume,
                answers: answers.show(),
                seconds,
                rss_mib: sample.rss_mib(),
                hwm_mib: sample.hwm_mib(),
                store_mib: dir_bytes(&data_dir) as f64 / (1024.0 * 1024.0),
                victim: v,
            });
        }};
    }

    let url = |doc: &str| sut.ws_url(doc);
    attack!("Any nested 5,000 deep", {
        let mut t = Tally::default();
        let update = hostile::nested_any_update(5_000);
        for i in 0..50u8 {
            let frame = protocol::encode(&Message::Sync(SyncMessage::Update(update.clone())));
            t.add(send_and_close(&url("target"), &admin, [127, 0, 1, i], frame).await);
        }
        ("50 connections, one ~10 KB update each".into(), t)
    });
    attack!("Shared types nested 20,000 deep", {
        let mut t = Tally::default();
        let update = hostile::nested_maps_created_and_deleted(20_000);
        let size = update.len();
        for i in 0..10u8 {
            let frame = protocol::encode(&Message::Sync(SyncMessage::Update(update.clone())));
            t.add(send_and_close(&url("target"), &admin, [127, 0, 2, i], frame).await);
        }
        (
            format!("10 connections, one {} KB update each", size / 1024),
            t,
        )
    });
    attack!("Awareness count bomb", {
        let mut t = Tally::default();
        for i in 0..50u8 {
            t.add(send_and_close(&url("target"), &admin, [127, 0, 3, i], count_bomb()).await);
        }
        (
            "50 connections, one 7-byte frame declaring 62 million states".into(),
            t,
        )
    });
    attack!("Awareness flood", {
        let mut t = Tally::default();
        let frame = protocol::encode(&hostile::awareness_ids(1_000_000..1_100_000));
        for i in 0..5u8 {
            t.add(send_and_close(&url("victim"), &admin, [127, 0, 4, i], frame.clone()).await);
        }
        (
            "5 connections to the victim's meeting, 100,000 client ids each".into(),
            t,
        )
    });
    attack!("Idle sockets", {
        let (t, held) = idle_sockets(sut.addr, 600).await;
        // Held while the victim goes on probing.
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(held);
        ("600 sockets from one address that never send".into(), t)
    });
    attack!("60 KB meeting names", {
        let name = "n".repeat(60 * 1024);
        let request = format!(
            "GET /api/meetings/{name}/export.md HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let t = requests(sut.addr, [127, 0, 5, 1], request.into_bytes(), 1_500, 16).await;
        ("1,500 anonymous requests".into(), t)
    });
    attack!("Sign-in flood", {
        let body = r#"{"token":"not-a-real-invitation"}"#;
        let request = format!(
            "POST /api/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = requests(sut.addr, [127, 0, 6, 1], request.into_bytes(), 1_000, 16).await;
        ("1,000 sign-ins with a forged invitation".into(), t)
    });
    attack!("Correction proposals", { proposals(&sut, &admin).await? });
    // Three times over: memory is reused, not grown, by a repeated attack.
    for name in [
        "Deep and wide agenda (1 of 3)",
        "Deep and wide agenda (2 of 3)",
        "Deep and wide agenda (3 of 3)",
    ] {
        attack!(name, { deep_and_wide(&sut, &admin).await? });
    }
    for name in ["Large imports (1 of 2)", "Large imports (2 of 2)"] {
        attack!(name, { imports(&sut, &admin).await? });
    }

    victim.stop().await;
    let alive = sut.docs_loaded().await.is_ok();
    if !alive {
        problems.push("the server stopped answering /healthz".into());
    }
    // Once every meeting has unloaded, what memory does the server keep?
    let unloaded = sut.wait_unloaded(Duration::from_secs(60)).await;
    let rest = sut.sample().context("the server is gone")?;
    let after = match unloaded {
        Ok(took) => format!(
            "Once every meeting had unloaded ({:.1} s after the last attack): resident memory {:.0} MiB, store {:.1} MiB.",
            took.as_secs_f64(),
            rest.rss_mib(),
            dir_bytes(&data_dir) as f64 / (1024.0 * 1024.0)
        ),
        Err(e) => {
            problems.push(format!("meetings did not unload: {e}"));
            format!("Meetings did not unload: {e}.")
        }
    };
    let logged = sut.stop().await?;
    let errors = logged
        .iter()
        .filter(|l| l.contains("ERROR") && !l.contains("panicked"))
        .count();
    eprintln!(
        "server log: {} lines (warnings for refused input are expected), {errors} errors",
        logged.len()
    );
    Ok((rows, after, problems))
}

/// Connects from `from` as `token`, sends `frame`, and reports how the connection ended.
async fn send_and_close(url: &str, token: &str, from: [u8; 4], frame: Vec<u8>) -> String {
    let outcome = async {
        let addr: SocketAddr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .context("url")?
            .parse()?;
        let stream = hostile::connect_from(addr, from).await?;
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)?;
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {token}").parse().context("token header")?,
        );
        let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await?;
        ws.send(WsMessage::Binary(frame.into())).await?;
        tokio::time::timeout(PATIENCE, async {
            loop {
                match ws::next(&mut ws).await {
                    Next::Binary(_) => continue,
                    Next::Closed(Some(code), _) => {
                        return Ok::<_, anyhow::Error>(format!("close {code}"))
                    }
                    Next::Closed(None, e) => return Ok(format!("dropped ({e})")),
                }
            }
        })
        .await
        .unwrap_or_else(|_| Ok("still open".into()))
    };
    match outcome.await {
        Ok(answer) => answer,
        Err(e) => format!("error: {e}"),
    }
}

/// The 7-byte awareness frame that once made yrs reserve gigabytes.
fn count_bomb() -> Vec<u8> {
    let mut payload = Vec::new();
    let mut count: u64 = 62_000_000;
    while count >= 0x80 {
        payload.push((count as u8) | 0x80);
        count >>= 7;
    }
    payload.push(count as u8);
    payload.push(0);
    // y-protocols message type 1: awareness.
    let mut frame = vec![1u8, payload.len() as u8];
    frame.extend(payload);
    frame
}

/// Opens `count` sockets from one address that never send; tallies which were answered
/// at once (503 over the per-address cap) and keeps the rest open.
async fn idle_sockets(addr: SocketAddr, count: usize) -> (Tally, Vec<tokio::net::TcpStream>) {
    let mut t = Tally::default();
    let mut held = Vec::new();
    for _ in 0..count {
        match hostile::connect_from(addr, [127, 0, 7, 1]).await {
            Ok(s) => held.push(s),
            Err(e) => t.add(format!("connect error: {}", e.kind())),
        }
    }
    // Those over the cap get a 503 at once; the others wait for the idle timeout.
    let mut kept = Vec::new();
    for mut s in held {
        let mut buf = [0u8; 12];
        match tokio::time::timeout(Duration::from_millis(20), s.read(&mut buf)).await {
            Ok(Ok(n)) if n >= 12 => t.add(format!("HTTP {}", String::from_utf8_lossy(&buf[9..12]))),
            Ok(_) => t.add("closed"),
            Err(_) => {
                t.add("held open (closed by the idle timeout)");
                kept.push(s);
            }
        }
    }
    (t, kept)
}

/// Sends `request` `count` times from `from`, `parallel` at a time; tallies the statuses.
async fn requests(
    addr: SocketAddr,
    from: [u8; 4],
    request: Vec<u8>,
    count: usize,
    parallel: usize,
) -> Tally {
    let request = Arc::new(request);
    let mut t = Tally::default();
    let mut left = count;
    while left > 0 {
        let n = left.min(parallel);
        left -= n;
        let batch: Vec<_> = (0..n)
            .map(|_| {
                let request = request.clone();
                tokio::spawn(async move { status_of(addr, from, &request).await })
            })
            .collect();
        for b in batch {
            match b.await {
                Ok(Ok(status)) => t.add(format!("HTTP {status}")),
                Ok(Err(e)) => t.add(format!("error: {e}")),
                Err(e) => t.add(format!("task: {e}")),
            }
        }
    }
    t
}

/// One raw request from `from`; the response's status.
async fn status_of(addr: SocketAddr, from: [u8; 4], request: &[u8]) -> Result<u16> {
    let mut s = hostile::connect_from(addr, from).await?;
    s.write_all(request).await?;
    let mut head = Vec::new();
    tokio::time::timeout(PATIENCE, s.read_to_end(&mut head))
        .await
        .context("no answer")??;
    let line = String::from_utf8_lossy(&head[..head.len().min(12)]).to_string();
    line.get(9..12)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {line:?}"))
}

/// An attendee files 60 proposals of 20,000 characters on one statement, then one on
/// each of 60 statements: one open proposal per statement, and the ledger budget.
async fn proposals(sut: &Sut, admin: &str) -> Result<(String, Tally)> {
    let meeting = &create_meeting(sut, admin, "Ledger flood").await?;
    let editor = SyncClient::connect(ClientOptions::new(sut.ws_url(meeting)).with_bearer(admin));
    editor.wait_synced(PATIENCE).await.context("editor sync")?;
    let m = Meeting::new(editor.doc().clone());
    let (person, blocks) = {
        let mut txn = editor.doc().transact_mut();
        let person = Person {
            name: "Pat Price".into(),
            short: "PP".into(),
            ..Default::default()
        };
        let pat = m.add_person(&mut txn, &person, &Attendance::Present);
        let item = m
            .insert_item(&mut txn, None, 0, "Finance")
            .context("item")?;
        let mut blocks = Vec::new();
        for i in 0..60 {
            let b = m
                .insert_block(
                    &mut txn,
                    &item,
                    i,
                    BlockKind::Paragraph,
                    &format!("PP said point {i}."),
                )
                .context("block")?;
            m.set_speakers(&mut txn, &b, std::slice::from_ref(&pat))
                .context("speakers")?;
            blocks.push(b.0);
        }
        (pat.0, blocks)
    };
    editor.wait_saved(PATIENCE).await.context("editor saved")?;
    let token = minutebook_tests::member(
        sut.addr,
        admin,
        meeting,
        "Pat",
        Some(&person),
        Role::Attendee,
    )
    .await;
    let pat = Client::new(sut.addr, Some(token));
    let text = "x".repeat(19_990);
    let mut t = Tally::default();
    // 60 on one statement, then four rounds of one on each statement: 4.9 MB in all,
    // over the default budget of 4 MiB.
    let targets = std::iter::repeat_n(&blocks[0], 60).chain((0..4).flat_map(|_| blocks.iter()));
    for (i, block) in targets.enumerate() {
        let r = pat
            .post_json(
                &format!("/api/meetings/{meeting}/statements/{block}/corrections"),
                &serde_json::json!({ "text": format!("{i} {text}"), "note": "" }),
            )
            .await;
        if r.status >= 400 && r.status != 413 {
            bail!("proposal {i}: {} {}", r.status, r.text());
        }
        t.add(format!("HTTP {}", r.status));
    }
    let ledger = Client::new(sut.addr, Some(admin.to_string()))
        .get(&format!("/api/meetings/{meeting}/ledger"))
        .await;
    t.add(format!("ledger now {} KB", ledger.body.len() / 1024));
    editor.close().await;
    Ok((
        "300 proposals of 20,000 characters by one attendee".into(),
        t,
    ))
}

/// A minute-taker's two raw updates: a chain of 6,000 nested items and 20,000 siblings;
/// then 50 exports.
async fn deep_and_wide(sut: &Sut, admin: &str) -> Result<(String, Tally)> {
    let meeting = &create_meeting(sut, admin, "Deep and wide").await?;
    let mut t = Tally::default();
    let mut conn = sut.connect(meeting, true).await?;
    let mut sent = 0;
    for update in [
        hostile::items_update(4_242, 6_000, 0),
        hostile::items_update(4_343, 0, 20_000),
    ] {
        conn.send(WsMessage::Binary(ws::update(update))).await?;
        sent += 1;
        wait_saved(&mut conn, sent).await?;
    }
    ws::close(&mut conn).await;
    let client = Client::new(sut.addr, Some(admin.to_string()));
    let mut times = Samples::default();
    for _ in 0..50 {
        let start = Instant::now();
        let r = client
            .get(&format!("/api/meetings/{meeting}/export.md"))
            .await;
        times.push(start.elapsed());
        t.add(format!("HTTP {}", r.status));
    }
    if let Some(s) = times.summary() {
        t.add(format!("export median {:.0} ms", s.p50));
    }
    Ok((
        "6,000 nested items + 20,000 siblings, then 50 exports".into(),
        t,
    ))
}

/// Two 1.9 MB legacy imports at once, then one of 3 MB (over the 2 MiB default).
async fn imports(sut: &Sut, admin: &str) -> Result<(String, Tally)> {
    let mut t = Tally::default();
    let text = Arc::new(hostile::large_legacy(1_900 * 1024));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (client, text) = (Client::new(sut.addr, Some(admin.to_string())), text.clone());
            tokio::spawn(async move {
                client
                    .post_text("/api/meetings/import?format=legacy", &text)
                    .await
                    .status
            })
        })
        .collect();
    for r in runs {
        t.add(format!("HTTP {}", r.await.context("import task")?));
    }
    let big = hostile::large_legacy(3 * 1024 * 1024);
    let r = Client::new(sut.addr, Some(admin.to_string()))
        .post_text("/api/meetings/import?format=legacy", &big)
        .await;
    t.add(format!("HTTP {} (3 MB)", r.status));
    Ok(("two 1.9 MB imports at once, one of 3 MB".into(), t))
}

/// Creates a meeting through the API; its name.
async fn create_meeting(sut: &Sut, admin: &str, title: &str) -> Result<String> {
    let r = Client::new(sut.addr, Some(admin.to_string()))
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": title, "series": "Attack" }),
        )
        .await;
    if r.status != 201 {
        bail!("creating a meeting: {} {}", r.status, r.text());
    }
    r.json()["name"]
        .as_str()
        .map(String::from)
        .context("the new meeting has no name")
}

/// Reads frames until the server has acknowledged `count` messages.
async fn wait_saved(conn: &mut ws::Ws, count: u64) -> Result<()> {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match ws::next(conn).await {
                Next::Binary(b) => {
                    if let Frame::Saved(n) = ws::parse(&b)? {
                        if n >= count {
                            return Ok(());
                        }
                    }
                }
                Next::Closed(code, reason) => bail!("closed: {code:?} {reason}"),
            }
        }
    })
    .await
    .context("not saved in time")?
}

/// Sum of the sizes of the files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The victim: on meeting "victim", from 127.0.0.1, one saved edit and one `/healthz`
/// every 100 ms, timed.
struct VictimLoop {
    results: Arc<Mutex<Victim>>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl VictimLoop {
    async fn start(addr: SocketAddr, token: &str) -> Result<VictimLoop> {
        let url = format!("ws://{addr}/ws/victim");
        let mut conn = ws::connect(&url, true, Some(token)).await?;
        ws::handshake(&mut conn, PATIENCE).await?;
        let results = Arc::new(Mutex::new(Victim::default()));
        let (stop, mut stopped) = watch::channel(false);
        let shared = results.clone();
        let task = tokio::spawn(async move {
            let doc = Doc::with_client_id(777_777);
            let text = doc.get_or_insert_text("victim");
            let mut sent = 0u64;
            let fail = |what: String| {
                if let Ok(mut v) = shared.lock() {
                    v.failures.push(what);
                }
            };
            while !*stopped.borrow() {
                let update = {
                    let mut txn = doc.transact_mut();
                    text.push(&mut txn, "x");
                    txn.encode_update_v1()
                };
                let start = Instant::now();
                sent += 1;
                let saved = match conn.send(WsMessage::Binary(ws::update(update))).await {
                    Ok(()) => wait_saved(&mut conn, sent).await,
                    Err(e) => Err(e.into()),
                };
                match saved {
                    Ok(()) => {
                        if let Ok(mut v) = shared.lock() {
                            v.saves.push(start.elapsed());
                        }
                    }
                    Err(e) => {
                        fail(format!("edit not saved: {e}"));
                        break;
                    }
                }
                let start = Instant::now();
                match tokio::time::timeout(
                    PATIENCE,
                    status_of(
                        addr,
                        [127, 0, 0, 1],
                        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    ),
                )
                .await
                {
                    Ok(Ok(200)) => {
                        if let Ok(mut v) = shared.lock() {
                            v.health.push(start.elapsed());
                        }
                    }
                    Ok(Ok(status)) => fail(format!("/healthz answered {status}")),
                    Ok(Err(e)) => fail(format!("/healthz: {e}")),
                    Err(_) => fail("/healthz did not answer".into()),
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = stopped.changed() => {}
                }
            }
            ws::close(&mut conn).await;
        });
        Ok(VictimLoop {
            results,
            stop,
            task,
        })
    }

    fn reset(&self) {
        if let Ok(mut v) = self.results.lock() {
            *v = Victim::default();
        }
    }

    fn take(&self) -> Victim {
        self.results
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The report: one row per attack.
pub fn report(rows: &[Row], after: &str) -> String {
    let mut out = String::from(
        "### Attacks against the release server\n\n\
         Each attack is a bounded loop from other loopback addresses; meanwhile a victim on another meeting saves one edit and asks `/healthz` every 100 ms. Memory is the server's resident set after the attack (peak since start in brackets); the store is the data directory's size on disk.\n\n\
         | Attack | Volume | Server answered | Time | Server memory | Store | Victim: edits saved, median / max | Victim: /healthz, median / max | Victim failures |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let show = |s: &Samples| match s.clone().summary() {
            Some(x) => format!("{} · {:.1} / {:.1} ms", s.len(), x.p50, x.max),
            None => "none".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} s | {:.0} MiB ({:.0}) | {:.1} MiB | {} | {} | {} |\n",
            r.attack,
            r.volume,
            r.answers,
            r.seconds,
            r.rss_mib,
            r.hwm_mib,
            r.store_mib,
            show(&r.victim.saves),
            show(&r.victim.health),
            r.victim.failures.len()
        ));
    }
    out.push_str(&format!("\n{after}\n"));
    out
}
