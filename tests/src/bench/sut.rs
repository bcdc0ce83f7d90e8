//! The system under test as a separate process, so its CPU time and memory can be read
//! from `/proc`: the real `minutebook serve` (redb in a temp dir, fsync on every group
//! commit), the bench's own bare relay (`bench relay-serve`, the baseline), or one of
//! the npm reference servers run by `node` (see [`super::reference`]).
//!
//! The real server requires a session on every WebSocket upgrade: on a fresh data dir
//! [`Sut::start`] sets up an administrator through the one-time setup link the server
//! prints, and every connection the benchmarks open carries that session's token
//! (`Authorization: Bearer`, checked once per connection before the upgrade). The relay
//! has no sessions; its connections carry no token. Hocuspocus authenticates each
//! document inside the connection instead (see [`Framing`]); y-websocket checks nothing.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use minutebook_shared::client::http::{self, Limits};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::framing::Framing;
use super::procfs::{self, ProcSample};
use super::reference;
use super::ws::{self, Ws};

/// Which server a measurement runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The real server: `minutebook serve`.
    Minutebook,
    /// The baseline: a bare WebSocket relay (no CRDT, no storage), `bench relay-serve`.
    Relay,
    /// Diagnostic: the same relay leaving Nagle's algorithm on (no `TCP_NODELAY` on
    /// accepted sockets), as `minutebook serve` does.
    RelayNagle,
    /// The y-websocket 1.5.4 server (npm, in memory), run by node.
    YWebsocket,
    /// Hocuspocus 3.4.4 (npm, in memory, a token checked per document), run by node.
    Hocuspocus,
}

impl Kind {
    /// Whether the server acknowledges durable writes ("saved"): only Minutebook and the
    /// relay standing in for it.
    pub fn acks(self) -> bool {
        matches!(self, Kind::Minutebook | Kind::Relay | Kind::RelayNagle)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Minutebook => "minutebook",
            Kind::Relay => "bare relay",
            Kind::RelayNagle => "bare relay, Nagle on",
            Kind::YWebsocket => "y-websocket 1.5.4",
            Kind::Hocuspocus => "Hocuspocus 3.4.4",
        })
    }
}

/// Where the executables are.
#[derive(Debug, Clone)]
pub struct Bins {
    pub server: PathBuf,
    pub bench: PathBuf,
}

impl Bins {
    /// `minutebook` next to this executable (both live in `target/<profile>/`) unless given.
    pub fn locate(server: Option<PathBuf>) -> Result<Bins> {
        let bench = std::env::current_exe().context("locating the bench executable")?;
        let server = match server {
            Some(s) => s,
            None => bench
                .parent()
                .context("bench executable has no directory")?
                .join(format!("minutebook{}", std::env::consts::EXE_SUFFIX)),
        };
        if !server.exists() {
            bail!(
                "{} is missing: build it with `cargo build --release -p minutebook-server` or pass --server-bin",
                server.display()
            );
        }
        Ok(Bins { server, bench })
    }
}

/// A running server process.
pub struct Sut {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub pid: u32,
    /// The administrator's session token (minutebook only).
    pub token: Option<String>,
    child: Child,
    log: PathBuf,
    log_start: u64,
}

impl Sut {
    /// Starts a server storing in `data_dir`, logging (warnings and errors) to `work_dir/server.log`.
    pub async fn start(kind: Kind, bins: &Bins, data_dir: &Path, work_dir: &Path) -> Result<Sut> {
        Self::start_with_web(kind, bins, data_dir, work_dir, None).await
    }

    /// Starts `minutebook serve` with every limit at its default (the benchmarks lift
    /// the connection caps, since all their clients share one address): for the attack
    /// run.
    pub async fn start_hardened(bins: &Bins, data_dir: &Path, work_dir: &Path) -> Result<Sut> {
        Self::start_with(
            Kind::Minutebook,
            bins,
            data_dir,
            work_dir,
            None,
            None,
            false,
        )
        .await
    }

    /// [`Sut::start`], serving the web client from `web_dir` (default: a placeholder page).
    pub async fn start_with_web(
        kind: Kind,
        bins: &Bins,
        data_dir: &Path,
        work_dir: &Path,
        web_dir: Option<&Path>,
    ) -> Result<Sut> {
        Self::start_with(kind, bins, data_dir, work_dir, web_dir, None, true).await
    }

    /// Starts the server again on a `data_dir` it has used before, keeping the
    /// administrator's session `token` from the first start (sessions are stored; the
    /// setup link is printed only once).
    pub async fn restart(
        kind: Kind,
        bins: &Bins,
        data_dir: &Path,
        work_dir: &Path,
        token: Option<String>,
    ) -> Result<Sut> {
        Self::start_with(kind, bins, data_dir, work_dir, None, token, true).await
    }

    /// Starts a server; for minutebook without a `token`, sets up the administrator
    /// through the setup link it prints (a fresh data dir). `lift_caps` lifts the
    /// connection caps.
    async fn start_with(
        kind: Kind,
        bins: &Bins,
        data_dir: &Path,
        work_dir: &Path,
        web_dir: Option<&Path>,
        token: Option<String>,
        lift_caps: bool,
    ) -> Result<Sut> {
        let log = work_dir.join("server.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let log_start = log_file.metadata()?.len();
        let mut listening: reference::Listening = Box::new(minutebook_tests::printed_address);
        let mut cmd = match kind {
            Kind::YWebsocket | Kind::Hocuspocus => {
                let start = if kind == Kind::YWebsocket {
                    reference::y_websocket()?
                } else {
                    reference::hocuspocus()?
                };
                listening = start.listening;
                start.command
            }
            Kind::Minutebook => {
                let web_dir = match web_dir {
                    Some(dir) => dir.to_path_buf(),
                    None => {
                        let dir = work_dir.join("web");
                        std::fs::create_dir_all(&dir)?;
                        std::fs::write(
                            dir.join("index.html"),
                            "<!doctype html><title>bench</title>",
                        )?;
                        dir
                    }
                };
                let mut cmd = Command::new(&bins.server);
                cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
                    .arg(data_dir)
                    .arg("--web-dir")
                    .arg(web_dir);
                if lift_caps {
                    // Every benchmark client comes from 127.0.0.1: lift the per-address
                    // cap (the global one is fitted under the open-file limit anyway).
                    cmd.args(["--max-connections", "1000000"])
                        .args(["--max-connections-per-address", "1000000"]);
                }
                cmd
            }
            Kind::Relay | Kind::RelayNagle => {
                let mut cmd = Command::new(&bins.bench);
                cmd.args(["relay-serve", "--listen", "127.0.0.1:0"]);
                if kind == Kind::RelayNagle {
                    cmd.arg("--nagle");
                }
                cmd
            }
        };
        let mut child = cmd
            .env("MINUTEBOOK_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning the {kind} server"))?;
        let pid = child.id().context("server exited at once")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = minutebook_tests::printed(&mut lines, Duration::from_secs(30), listening)
            .await
            .with_context(|| {
                format!(
                    "the {kind} server did not print its address (log: {})",
                    log.display()
                )
            })?;
        // A fresh data dir: the setup link follows the address at once.
        let setup_link = match (kind, &token) {
            (Kind::Minutebook, None) => {
                let link = minutebook_tests::printed(
                    &mut lines,
                    Duration::from_secs(10),
                    minutebook_tests::printed_setup_link,
                )
                .await
                .with_context(|| {
                    format!(
                        "the {kind} server printed no setup link (an administrator exists: pass the token; log: {})",
                        log.display()
                    )
                })?;
                Some(link)
            }
            _ => None,
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let token = match setup_link {
            Some(link) => Some(setup_admin(addr, &link).await?),
            None => token,
        };
        Ok(Sut {
            kind,
            addr,
            pid,
            token,
            child,
            log,
            log_start,
        })
    }

    /// A protocol connection to `doc` with this server's session (see [`ws::connect`]);
    /// `acks` asks for "saved" acknowledgements where the server gives them.
    pub async fn connect(&self, doc: &str, acks: bool) -> Result<Ws> {
        ws::connect(
            &self.ws_url(doc),
            acks && self.kind.acks(),
            self.token.as_deref(),
        )
        .await
    }

    /// `ws://…/ws/{doc}`; y-websocket names the document by the whole path, Hocuspocus
    /// inside every message.
    pub fn ws_url(&self, doc: &str) -> String {
        match self.kind {
            Kind::YWebsocket => format!("ws://{}/{doc}", self.addr),
            Kind::Hocuspocus => format!("ws://{}/", self.addr),
            _ => format!("ws://{}/ws/{doc}", self.addr),
        }
    }

    /// How messages about `doc` are framed on this server's connections.
    pub fn framing(&self, doc: &str) -> Framing {
        match self.kind {
            Kind::Hocuspocus => Framing::Hocuspocus {
                doc: doc.to_string(),
                token: reference::HOCUSPOCUS_TOKEN.to_string(),
            },
            _ => Framing::Plain,
        }
    }

    /// The server process's CPU time and memory now.
    pub fn sample(&self) -> Result<ProcSample> {
        procfs::sample(&self.pid.to_string())
    }

    /// Documents the server holds in memory, from `GET /healthz` (minutebook only).
    pub async fn docs_loaded(&self) -> Result<u64> {
        let limits = Limits {
            timeout: Duration::from_secs(5),
            ..Limits::default()
        };
        let url = format!("http://{}/healthz", self.addr);
        let answer = http::request("GET", &url, &[], Vec::new(), limits).await?;
        let json: serde_json::Value =
            serde_json::from_slice(&answer.body).context("healthz is not JSON")?;
        json.get("docs_loaded")
            .and_then(serde_json::Value::as_u64)
            .context("healthz has no docs_loaded")
    }

    /// Polls `/healthz` until no document is loaded; returns how long that took.
    pub async fn wait_unloaded(&self, limit: Duration) -> Result<Duration> {
        let start = std::time::Instant::now();
        loop {
            if self.docs_loaded().await? == 0 {
                return Ok(start.elapsed());
            }
            if start.elapsed() > limit {
                bail!("documents still loaded after {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Stops the server with SIGTERM (graceful: closes connections, flushes) and returns
    /// what it logged (warnings and errors) while this process ran, each line prefixed
    /// `server log: ` for a run's problem list.
    pub async fn stop(mut self) -> Result<Vec<String>> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                // y-websocket's server has no SIGTERM handler: it just dies of it.
                let by_term = std::os::unix::process::ExitStatusExt::signal(&status) == Some(15);
                if !(status.success() || by_term && self.kind == Kind::YWebsocket) {
                    eprintln!("warning: the {} server exited with {status}", self.kind);
                }
            }
            Err(_) => {
                eprintln!(
                    "warning: the {} server ignored SIGTERM for 20 s; killing it",
                    self.kind
                );
                self.child.start_kill()?;
                self.child.wait().await?;
            }
        }
        Ok(self
            .logged()?
            .into_iter()
            .map(|l| format!("server log: {l}"))
            .collect())
    }

    /// Lines the server wrote to its log since it started.
    pub fn logged(&self) -> Result<Vec<String>> {
        let all = std::fs::read(&self.log)?;
        let start = usize::try_from(self.log_start).unwrap_or(0).min(all.len());
        Ok(String::from_utf8_lossy(&all[start..])
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(String::from)
            .collect())
    }
}

/// Creates the administrator through the one-time setup `link` (`…/?setup=TOKEN`) with
/// `POST /api/setup`; returns their session token.
async fn setup_admin(addr: SocketAddr, link: &str) -> Result<String> {
    let setup = link
        .split("setup=")
        .nth(1)
        .with_context(|| format!("no token in the setup link {link}"))?;
    let body = serde_json::json!({ "token": setup, "name": "Benchmark Administrator", "want_token": true })
        .to_string();
    let limits = Limits {
        timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let answer = http::request(
        "POST",
        &format!("http://{addr}/api/setup"),
        &[("content-type", "application/json")],
        body.into_bytes(),
        limits,
    )
    .await
    .context("POST /api/setup")?;
    if answer.status != 200 {
        bail!("POST /api/setup: {}: {}", answer.status, answer.text());
    }
    let json: serde_json::Value =
        serde_json::from_slice(&answer.body).context("the setup answer is not JSON")?;
    json.get("token")
        .and_then(serde_json::Value::as_str)
        .map(String::from)
        .context("the setup answer has no session token")
}
