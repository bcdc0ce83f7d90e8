//! The crash loop: `kill -9` the real server process at random moments under load, again
//! and again, and after every restart count that nothing it promised was lost.
//!
//! Each cycle starts `minutebook serve` on the same data directory (a small
//! `--compact-after`, so compactions happen during the run), checks everything promised
//! so far, then puts it under load — several writers appending entries to one document
//! (one update each), a watcher that only receives, and an attendee and the chair
//! issuing ledger commands on the fixture meeting (confirm, propose a correction, sign
//! off, reopen) — and kills it after a random delay. What counts as promised:
//!
//! - every update a writer had acknowledged ("saved": the first *n* of its changes);
//! - every update relayed to the watcher;
//! - every ledger command answered 200: its correction text, its version number, its
//!   reopening, its confirmation, and the ledger's revision.
//!
//! After each restart the server must start (the store opens cleanly) and hold all of
//! it; [`Report::lost`] counts what did not survive, and must stay 0.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use minutebook_shared::client::http::{self as client_http, Limits};
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::Meeting;
use minutebook_shared::trust::{self, Ledger, Role};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use yrs::{Array, Transact};

use crate::{ServerProcess, PATIENCE};

/// The document the writers append to (not a meeting: its own root type).
const LOAD_DOC: &str = "crash-load";
/// The root array of [`LOAD_DOC`]: one entry per writer transaction.
const ENTRIES: &str = "crash-entries";

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    /// The `minutebook` binary (a release build for the recorded runs).
    pub server_bin: PathBuf,
    /// Data directory kept across the cycles.
    pub data_dir: PathBuf,
    /// Kills (and restarts).
    pub cycles: usize,
    /// Writers appending to [`LOAD_DOC`].
    pub writers: usize,
    /// `--compact-after` for the server.
    pub compact_after: u32,
    /// The kill comes a random time in this range after the load starts, milliseconds.
    pub kill_after_ms: (u64, u64),
    /// Seed of the random delays (printed, so a run can be repeated).
    pub seed: u64,
}

/// What a run found.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub cycles: usize,
    /// Acknowledged writes checked after restarts (each counted at every later check).
    pub acked_checked: u64,
    /// Writes relayed to the watcher, checked the same way.
    pub relayed_checked: u64,
    /// Answered ledger commands checked the same way.
    pub ledger_checked: u64,
    /// Answered ledger commands, in all.
    pub ledger_answered: u64,
    /// Versions signed (answered) in all.
    pub versions: usize,
    /// Promises not kept: must be 0.
    pub lost: u64,
    /// What was lost, for the record.
    pub losses: Vec<String>,
    pub elapsed: Duration,
}

/// Answered ledger commands, accumulated over the cycles.
#[derive(Debug, Default)]
struct Answered {
    count: u64,
    revision: u64,
    corrections: Vec<String>,
    versions: Vec<u64>,
    reopenings: usize,
    confirmed: bool,
}

/// The fixture meeting's actors.
struct Cast {
    meeting: String,
    admin: String,
    chair: String,
    attendee: String,
    person: String,
    block: String,
    sha256: String,
}

/// Runs the loop; `log` receives one line per cycle.
pub async fn run(params: &Params, mut log: impl FnMut(&str)) -> Result<Report> {
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(params.seed);
    let compact = params.compact_after.to_string();
    let extra = ["--compact-after", compact.as_str()];
    let mut report = Report::default();
    let mut must: HashSet<String> = HashSet::new();
    let mut relayed_must: HashSet<String> = HashSet::new();
    let answered = Arc::new(Mutex::new(Answered::default()));

    let first = ServerProcess::start_bin(&params.server_bin, &params.data_dir, &extra).await;
    let cast = cast(&first).await?;
    let mut server = Some(first);
    for cycle in 0..=params.cycles {
        let proc = match server.take() {
            Some(p) => p,
            None => ServerProcess::start_bin(&params.server_bin, &params.data_dir, &extra).await,
        };
        // Everything promised before the last kill is there.
        check(&proc, &cast, &must, &relayed_must, &answered, &mut report).await?;
        if cycle == params.cycles {
            proc.kill9().await;
            break;
        }
        let (acked, relayed) = load_and_kill(
            proc,
            &cast,
            cycle,
            params,
            rng.random_range(params.kill_after_ms.0..=params.kill_after_ms.1),
            &answered,
        )
        .await?;
        log(&format!(
            "cycle {}: {} acknowledged, {} relayed, {} ledger commands answered so far; lost so far {}",
            cycle + 1,
            acked.len(),
            relayed.len(),
            answered.lock().map(|a| a.count).unwrap_or(0),
            report.lost
        ));
        must.extend(acked);
        relayed_must.extend(relayed);
        report.cycles = cycle + 1;
    }
    if let Ok(a) = answered.lock() {
        report.ledger_answered = a.count;
        report.versions = a.versions.len();
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Sets up the administrator, imports the fixture with a chair, and invites the speaker
/// of one single-speaker statement as an attendee.
async fn cast(proc: &ServerProcess) -> Result<Cast> {
    let fixture = proc.fixture_with_chair("Crash Chair").await;
    let client = SyncClient::connect(
        ClientOptions::new(proc.ws_url(&fixture.meeting)).with_bearer(&fixture.admin),
    );
    client
        .wait_synced(PATIENCE)
        .await
        .context("syncing the fixture")?;
    let (block, person, text) = {
        let m = Meeting::new(client.doc().clone());
        let view = m.view(&client.doc().transact());
        view.items
            .iter()
            .flat_map(|i| i.blocks.iter())
            .find(|b| b.speakers.len() == 1 && !b.text.is_empty())
            .map(|b| (b.id.0.clone(), b.speakers[0].0.clone(), b.text.clone()))
            .context("the fixture has a single-speaker statement")?
    };
    client.close().await;
    let attendee = crate::member(
        proc.addr,
        &fixture.admin,
        &fixture.meeting,
        "Crash Attendee",
        Some(&person),
        Role::Attendee,
    )
    .await;
    Ok(Cast {
        meeting: fixture.meeting,
        admin: fixture.admin,
        chair: fixture.chair,
        attendee,
        person,
        block,
        sha256: trust::statement_hash(&text),
    })
}

/// Puts `proc` under load, kills it after `kill_after_ms`, and returns the entries
/// acknowledged to the writers and those relayed to the watcher.
async fn load_and_kill(
    proc: ServerProcess,
    cast: &Cast,
    cycle: usize,
    params: &Params,
    kill_after_ms: u64,
    answered: &Arc<Mutex<Answered>>,
) -> Result<(Vec<String>, Vec<String>)> {
    let url = proc.ws_url(LOAD_DOC);
    let connect = || SyncClient::connect(ClientOptions::new(url.clone()).with_bearer(&cast.admin));
    let writers: Vec<SyncClient> = (0..params.writers).map(|_| connect()).collect();
    let watcher = connect();
    for c in writers.iter().chain([&watcher]) {
        c.wait_synced(PATIENCE).await.context("syncing a writer")?;
    }
    let mut tasks = Vec::new();
    for (w, client) in writers.iter().enumerate() {
        let doc = client.doc().clone();
        tasks.push(tokio::spawn(async move {
            let entries = doc.get_or_insert_array(ENTRIES);
            for k in 0u64.. {
                {
                    let mut txn = doc.transact_mut();
                    entries.push_back(&mut txn, format!("c{cycle}w{w}k{k}"));
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }
    tasks.push(tokio::spawn(ledger_commands(
        proc.addr,
        cast.meeting.clone(),
        cast.attendee.clone(),
        cast.chair.clone(),
        cast.block.clone(),
        cast.sha256.clone(),
        cycle,
        answered.clone(),
    )));
    tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
    proc.kill9().await;
    for t in &tasks {
        t.abort();
    }
    // The server is dead: what each client holds now is final.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut acked = Vec::new();
    for (w, client) in writers.into_iter().enumerate() {
        let n = client.status().saved;
        acked.extend((0..n).map(|k| format!("c{cycle}w{w}k{k}")));
        client.close().await;
    }
    let relayed = crate::array_strings(watcher.doc(), ENTRIES)
        .into_iter()
        .collect();
    watcher.close().await;
    Ok((acked, relayed))
}

/// Issues ledger commands in a cycle (confirm, propose, sign off, reopen) until aborted,
/// recording the answered ones.
#[allow(clippy::too_many_arguments)]
async fn ledger_commands(
    addr: std::net::SocketAddr,
    meeting: String,
    attendee: String,
    chair: String,
    block: String,
    sha256: String,
    cycle: usize,
    answered: Arc<Mutex<Answered>>,
) {
    for round in 0u64.. {
        let text = format!("Corrected in cycle {cycle}, round {round}.");
        let steps: [(&str, &str, Value); 4] = [
            (
                &attendee,
                "statements/{block}/confirm",
                json!({ "sha256": sha256 }),
            ),
            (
                &attendee,
                "statements/{block}/corrections",
                json!({ "text": text, "note": "" }),
            ),
            (
                &chair,
                "sign-off",
                json!({ "override_reason": "crash loop" }),
            ),
            (&chair, "reopen", json!({ "reason": "crash loop" })),
        ];
        for (token, path, body) in steps {
            let path = path.replace("{block}", &block);
            let Ok(answer) = post(
                addr,
                token,
                &format!("/api/meetings/{meeting}/{path}"),
                &body,
            )
            .await
            else {
                return; // the server is gone
            };
            if answer.status != 200 {
                continue; // refused (e.g. reopen before the sign-off answered): no promise
            }
            let Ok(value) = serde_json::from_slice::<Value>(&answer.body) else {
                continue;
            };
            let Ok(mut a) = answered.lock() else { return };
            a.count += 1;
            match path.as_str() {
                "sign-off" => {
                    if let Some(v) = value["version"].as_u64() {
                        a.versions.push(v);
                    }
                }
                p => {
                    if let Some(r) = value["revision"].as_u64() {
                        a.revision = a.revision.max(r);
                    }
                    if p.ends_with("confirm") {
                        a.confirmed = true;
                    } else if p.ends_with("corrections") {
                        a.corrections.push(text.clone());
                    } else if p == "reopen" {
                        a.reopenings += 1;
                    }
                }
            }
        }
    }
}

async fn post(
    addr: std::net::SocketAddr,
    token: &str,
    path: &str,
    body: &Value,
) -> Result<client_http::HttpResponse, client_http::HttpError> {
    let auth = format!("Bearer {token}");
    client_http::request(
        "POST",
        &format!("http://{addr}{path}"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        body.to_string().into_bytes(),
        Limits {
            timeout: Duration::from_secs(20),
            ..Limits::default()
        },
    )
    .await
}

/// After a restart: the promised entries and ledger commands are all there.
async fn check(
    proc: &ServerProcess,
    cast: &Cast,
    acked: &HashSet<String>,
    relayed: &HashSet<String>,
    answered: &Arc<Mutex<Answered>>,
    report: &mut Report,
) -> Result<()> {
    let reader =
        SyncClient::connect(ClientOptions::new(proc.ws_url(LOAD_DOC)).with_bearer(&cast.admin));
    reader
        .wait_synced(PATIENCE)
        .await
        .context("syncing after the restart")?;
    let present = crate::array_strings(reader.doc(), ENTRIES);
    reader.close().await;
    let lose = |what: String, report: &mut Report| {
        report.lost += 1;
        if report.losses.len() < 20 {
            report.losses.push(what);
        }
    };
    for e in acked {
        report.acked_checked += 1;
        if !present.contains(e) {
            lose(format!("acknowledged write {e}"), report);
        }
    }
    for e in relayed {
        report.relayed_checked += 1;
        if !present.contains(e) {
            lose(format!("relayed write {e}"), report);
        }
    }
    let url = format!("http://{}/api/meetings/{}/ledger", proc.addr, cast.meeting);
    let auth = format!("Bearer {}", cast.admin);
    let answer = client_http::request(
        "GET",
        &url,
        &[("authorization", &auth)],
        Vec::new(),
        Limits::default(),
    )
    .await
    .context("reading the ledger after the restart")?;
    if answer.status != 200 {
        bail!(
            "GET ledger after the restart: {} {}",
            answer.status,
            answer.text()
        );
    }
    let ledger: Ledger = serde_json::from_slice(&answer.body).context("the ledger")?;
    let Ok(a) = answered.lock() else {
        bail!("the ledger record was poisoned")
    };
    report.ledger_checked += a.count;
    if ledger.revision < a.revision {
        lose(
            format!(
                "ledger revision {} after the restart, {} answered",
                ledger.revision, a.revision
            ),
            report,
        );
    }
    for text in &a.corrections {
        if !ledger.corrections.iter().any(|c| &c.text == text) {
            lose(format!("answered correction {text:?}"), report);
        }
    }
    for v in &a.versions {
        if !ledger.versions.iter().any(|i| u64::from(i.version) == *v) {
            lose(format!("answered version {v}"), report);
        }
    }
    if ledger.reopenings.len() < a.reopenings {
        lose(
            format!(
                "{} reopenings after the restart, {} answered",
                ledger.reopenings.len(),
                a.reopenings
            ),
            report,
        );
    }
    if a.confirmed
        && !ledger
            .confirmations
            .get(&cast.block)
            .is_some_and(|by| by.contains_key(&cast.person))
    {
        lose("answered confirmation".into(), report);
    }
    Ok(())
}
