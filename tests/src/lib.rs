//! Test support: real servers on 127.0.0.1:0 over real redb files in temp dirs.
//!
//! - [`TestServer`] runs the server in-process (fast start/stop/restart on one data dir).
//! - [`ServerProcess`] runs the real `minutebook` binary as a child process, for tests
//!   that must `kill -9` it.
//! - [`raw`] is a bare WebSocket client for asserting on the protocol's bytes.
//! - [`http`] is a minimal HTTP client for the meetings API.
//! - [`browser`] drives headless Chromium through chromedriver.

pub mod browser;
pub mod crash_loop;
pub mod hostile;
pub mod http;
pub mod raw;
pub mod soak;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use minutebook_server::{RunningServer, ServerConfig};
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::{import::parse_minutes, Meeting, MeetingView};
use minutebook_shared::trust::Role;
use tokio::io::{AsyncBufReadExt, BufReader};
use yrs::Transact;

/// Generous deadline for anything a test waits on (never a performance assertion).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The built web client.
pub fn web_dir() -> PathBuf {
    workspace_root().join("client").join("dist")
}

/// A server running in this process on a temp data dir, with an administrator session
/// (set up through the one-time setup link, as a new user would).
pub struct TestServer {
    pub config: ServerConfig,
    server: Option<RunningServer>,
    /// The administrator's session token.
    pub admin: String,
    _dir: Option<tempfile::TempDir>,
}

/// Uses a one-time setup link (`…/?setup=TOKEN`): creates an administrator named `name`
/// and returns their session token.
pub async fn setup_admin(addr: SocketAddr, link: &str, name: &str) -> String {
    let token = link.split("setup=").nth(1).expect("setup link has a token");
    let response = http::post_json(
        addr,
        "/api/setup",
        &serde_json::json!({ "token": token, "name": name, "want_token": true }),
    )
    .await;
    session_token(&response, "setup")
}

/// The session token in a successful `/api/setup` or `/api/session` answer that asked
/// for it (`"want_token": true`; browsers get the HttpOnly cookie only).
pub fn session_token(response: &http::Response, what: &str) -> String {
    assert_eq!(response.status, 200, "{what}: {}", response.text());
    response.json()["token"]
        .as_str()
        .expect("session token")
        .to_string()
}

/// The token inside an invitation link (`…/?invite=TOKEN`).
pub fn invite_token(link: &str) -> &str {
    link.split("invite=").nth(1).unwrap_or(link)
}

/// Invites `name` (speaking for register `person`) to `meeting` as `role` with the
/// administrator token `admin`; returns the invitation (JSON, with its `link`).
pub async fn invite(
    addr: SocketAddr,
    admin: &str,
    meeting: &str,
    name: &str,
    person: Option<&str>,
    role: Role,
) -> serde_json::Value {
    let response = http::Client::new(addr, Some(admin.to_string()))
        .post_json(
            &format!("/api/meetings/{meeting}/invites"),
            &serde_json::json!({ "name": name, "person": person, "role": role }),
        )
        .await;
    assert_eq!(response.status, 201, "invite: {}", response.text());
    response.json()
}

/// Imports the fixture minutes (`shared/fixtures/assurance-meeting-2022-01.txt`) into
/// meeting `meeting` through a native client, durably; returns the meeting's view.
pub async fn seed_fixture(server: &TestServer, meeting: &str) -> MeetingView {
    let path = workspace_root().join("shared/fixtures/assurance-meeting-2022-01.txt");
    let text = std::fs::read_to_string(&path).expect("the fixture");
    let minutes = parse_minutes(&text).expect("the fixture imports");
    let client = server.client(meeting);
    client.wait_synced(PATIENCE).await.expect("synced");
    let model = Meeting::new(client.doc().clone());
    model
        .import_minutes(&mut client.doc().transact_mut(), &minutes)
        .expect("import into the doc");
    client.wait_saved(PATIENCE).await.expect("saved");
    let view = model.view(&client.doc().transact());
    client.close().await;
    view
}

/// Redeems an invitation link; returns the new session token.
pub async fn redeem(addr: SocketAddr, link: &str) -> String {
    let response = http::post_json(
        addr,
        "/api/session",
        &serde_json::json!({ "invite": invite_token(link), "want_token": true }),
    )
    .await;
    session_token(&response, "redeem")
}

/// A session token for `name` as `role` in `meeting` (invited by `admin`, redeemed).
pub async fn member(
    addr: SocketAddr,
    admin: &str,
    meeting: &str,
    name: &str,
    person: Option<&str>,
    role: Role,
) -> String {
    let invitation = invite(addr, admin, meeting, name, person, role).await;
    let link = invitation["link"].as_str().expect("link").to_string();
    redeem(addr, &link).await
}

impl TestServer {
    /// Starts a server with default settings on a fresh temp dir.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server on a fresh temp dir after `tweak` adjusts its configuration.
    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new(loopback(), dir.path().to_path_buf());
        config.web_dir = web_dir();
        tweak(&mut config);
        let server = minutebook_server::start(config.clone())
            .await
            .expect("server starts");
        let link = server
            .setup_link()
            .expect("a new server prints a setup link")
            .to_string();
        let admin = setup_admin(server.addr(), &link, "Test Administrator").await;
        TestServer {
            config,
            server: Some(server),
            admin,
            _dir: Some(dir),
        }
    }

    /// An HTTP client signed in as the administrator.
    pub fn http(&self) -> http::Client {
        http::Client::new(self.addr(), Some(self.admin.clone()))
    }

    /// An anonymous HTTP client.
    pub fn anonymous(&self) -> http::Client {
        http::Client::new(self.addr(), None)
    }

    /// A session token for `name` as `role` in `meeting`.
    pub async fn member(
        &self,
        meeting: &str,
        name: &str,
        person: Option<&str>,
        role: Role,
    ) -> String {
        member(self.addr(), &self.admin, meeting, name, person, role).await
    }

    /// Creates an empty meeting through the API as the administrator; its name.
    pub async fn create_meeting(&self, title: &str, series: &str) -> String {
        let r = self
            .http()
            .post_json(
                "/api/meetings",
                &serde_json::json!({ "title": title, "series": series }),
            )
            .await;
        assert_eq!(r.status, 201, "create {title}: {}", r.text());
        r.json()["name"].as_str().expect("name").to_owned()
    }

    /// A raw WebSocket client on `doc`, signed in as the administrator (no subprotocol).
    pub async fn raw(&self, doc: &str) -> raw::RawClient {
        raw::RawClient::connect_as(&self.ws_url(doc), None, Some(&self.admin)).await
    }

    /// A raw WebSocket client on `doc` as the administrator, requesting `subprotocol`.
    pub async fn raw_with(&self, doc: &str, subprotocol: Option<&'static str>) -> raw::RawClient {
        raw::RawClient::connect_as(&self.ws_url(doc), subprotocol, Some(&self.admin)).await
    }

    /// The root text "text" of document `name` as the server holds it (read through a
    /// fresh raw connection).
    pub async fn stored_text(&self, name: &str) -> String {
        use minutebook_shared::protocol::{Message, SyncMessage};
        use yrs::updates::decoder::Decode;
        use yrs::{GetString, Transact};
        let mut reader = self.raw(name).await;
        reader
            .send(&Message::Sync(SyncMessage::SyncStep1(Default::default())))
            .await;
        let state = loop {
            match reader.recv().await {
                raw::Received::Message(Message::Sync(SyncMessage::SyncStep2(u))) => break u,
                raw::Received::Message(_) => continue,
                other => panic!("no state for {name}: {other:?}"),
            }
        };
        let doc = yrs::Doc::new();
        let text = doc.get_or_insert_text("text");
        doc.transact_mut()
            .apply_update(yrs::Update::decode_v1(&state).expect("v1"))
            .expect("apply");
        let txn = doc.transact();
        text.get_string(&txn)
    }

    /// Where `/metrics` is served (when the configuration set `metrics_listen`).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().and_then(RunningServer::metrics_addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.server
            .as_ref()
            .map(RunningServer::addr)
            .expect("server is running")
    }

    /// `ws://…/ws/{doc}`
    pub fn ws_url(&self, doc: &str) -> String {
        format!("ws://{}/ws/{doc}", self.addr())
    }

    /// `http://…/`
    pub fn http_url(&self) -> String {
        format!("http://{}/", self.addr())
    }

    /// A native client syncing `doc`, signed in as the administrator.
    pub fn client(&self, doc: &str) -> SyncClient {
        self.client_as(doc, &self.admin)
    }

    /// A native client syncing `doc` with session `token`.
    pub fn client_as(&self, doc: &str, token: &str) -> SyncClient {
        SyncClient::connect(ClientOptions::new(self.ws_url(doc)).with_bearer(token))
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Gracefully stops the server (keeping its data dir).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Stops and starts again on the same data dir (on a new port).
    pub async fn restart(&mut self) {
        self.start_again_at(loopback()).await;
    }

    /// Stops (if running) and starts again on the same data dir at `addr`: the address
    /// it had, for a browser test (a browser's unsaved copy is kept per WebSocket URL, so
    /// its page finds it only there).
    pub async fn start_again_at(&mut self, addr: SocketAddr) {
        self.stop().await;
        self.config.listen = addr;
        self.server = Some(
            minutebook_server::start(self.config.clone())
                .await
                .expect("server restarts"),
        );
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Runs the `minutebook` binary with `args` and the environment changes `env` (a `None`
/// value removes the variable); its exit code and its output (stdout, then stderr).
pub async fn run_minutebook(args: &[&str], env: &[(&str, Option<&str>)]) -> (i32, String) {
    let mut command = tokio::process::Command::new(server_binary());
    command.args(args);
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let out = command.output().await.expect("run minutebook");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The `minutebook` binary built alongside the tests.
pub fn server_binary() -> PathBuf {
    // Test executables live in target/<profile>/deps; binaries in target/<profile>.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir.join(format!("minutebook{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build -p minutebook-server)",
        bin.display()
    );
    // A binary older than the sources it is built from would test old code.
    let built = modified(&bin).expect("the binary's modification time");
    let root = workspace_root();
    let newer: Vec<PathBuf> = [
        "server/src",
        "shared/src",
        "server/Cargo.toml",
        "shared/Cargo.toml",
        "Cargo.lock",
    ]
    .iter()
    .flat_map(|p| files_under(&root.join(p)))
    .filter(|f| modified(f).is_some_and(|m| m > built))
    .collect();
    assert!(
        newer.is_empty(),
        "{} is older than {:?}: rebuild it first (cargo build -p minutebook-server)",
        bin.display(),
        newer
    );
    bin
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `path` if it is a file, else every file below it.
fn files_under(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut open = vec![path.to_path_buf()];
    while let Some(p) = open.pop() {
        match std::fs::read_dir(&p) {
            Ok(entries) => open.extend(entries.flatten().map(|e| e.path())),
            Err(_) if p.is_file() => out.push(p),
            Err(_) => {}
        }
    }
    out
}

/// Reads `lines` (a server's standard output) until `find` recognises one, for at most
/// `within`.
pub async fn printed<R, T>(
    lines: &mut tokio::io::Lines<R>,
    within: Duration,
    find: impl Fn(&str) -> Option<T>,
) -> Option<T>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    tokio::time::timeout(within, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(found) = find(&line) {
                return Some(found);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// The address in "… is running at http://ADDR/".
pub fn printed_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("is running at http://")?;
    rest.trim_end_matches('/').parse().ok()
}

/// The link in "Set up Minutebook: LINK".
pub fn printed_setup_link(line: &str) -> Option<String> {
    line.strip_prefix("Set up Minutebook: ")
        .map(|link| link.trim().to_string())
}

/// The real server binary as a child process.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    /// The setup link it printed (on a data dir without an administrator).
    pub setup_link: Option<String>,
}

/// On a fresh [`ServerProcess`]: the administrator it was set up for and the fixture
/// meeting they imported, with a chair named `chair` invited to it.
pub struct FixtureMeeting {
    pub admin: String,
    pub meeting: String,
    pub chair: String,
}

impl ServerProcess {
    /// Sets up the administrator, imports the fixture as a meeting and invites `chair`
    /// to it as its chair.
    pub async fn fixture_with_chair(&self, chair: &str) -> FixtureMeeting {
        let admin = self.setup_admin().await;
        let fixture = std::fs::read_to_string(
            workspace_root().join("shared/fixtures/assurance-meeting-2022-01.txt"),
        )
        .expect("the fixture");
        let r = http::Client::new(self.addr, Some(admin.clone()))
            .post_text("/api/meetings/import?format=legacy", &fixture)
            .await;
        assert_eq!(r.status, 201, "import: {}", r.text());
        let meeting = r.json()["name"].as_str().expect("name").to_owned();
        let chair = member(self.addr, &admin, &meeting, chair, None, Role::Chair).await;
        FixtureMeeting {
            admin,
            meeting,
            chair,
        }
    }

    /// Starts `minutebook serve` on 127.0.0.1:0 with `data_dir`; waits for its URL line.
    pub async fn start(data_dir: &Path) -> ServerProcess {
        Self::start_with(data_dir, &[]).await
    }

    /// [`ServerProcess::start`] with more arguments to `serve`.
    pub async fn start_with(data_dir: &Path, extra: &[&str]) -> ServerProcess {
        Self::start_bin(&server_binary(), data_dir, extra).await
    }

    /// [`ServerProcess::start_with`] running the server binary `bin` (a release build,
    /// for the crash loop).
    pub async fn start_bin(bin: &Path, data_dir: &Path, extra: &[&str]) -> ServerProcess {
        let mut command = tokio::process::Command::new(bin);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .arg("--web-dir")
            .arg(web_dir())
            .args(extra);
        Self::start_command(command).await
    }

    /// Runs `command`, which starts `minutebook serve` on 127.0.0.1:0 (perhaps through a
    /// wrapper, like `unshare`); waits for the URL line it prints.
    pub async fn start_command(mut command: tokio::process::Command) -> ServerProcess {
        let mut child = command
            .env("MINUTEBOOK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn minutebook");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = printed(&mut lines, PATIENCE, printed_address)
            .await
            .expect("server printed its address");
        // The setup link follows at once when there is no administrator yet.
        let setup_link = printed(&mut lines, Duration::from_millis(500), printed_setup_link).await;
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServerProcess {
            child,
            addr,
            setup_link,
        }
    }

    /// Sets up the administrator through the printed link; returns their token.
    pub async fn setup_admin(&self) -> String {
        let link = self
            .setup_link
            .as_deref()
            .expect("the server printed a setup link");
        setup_admin(self.addr, link, "Test Administrator").await
    }

    pub fn ws_url(&self, doc: &str) -> String {
        format!("ws://{}/ws/{doc}", self.addr)
    }

    /// `kill -9`: no chance to flush anything.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }
}

/// Minutes (canonical Markdown, for `POST /api/meetings/import?format=markdown`) with an
/// exempt item (Schedule 12A paragraph 3, public title "Contract award") holding a
/// statement, an action and a sub-item; every exempt word contains `SECRET`.
pub const EXEMPT_MINUTES: &str = "# Trustees — March

- Series: Board of Trustees
- Date: 9 March
- Start time: 10:00
- Venue: Room 2
- Chair: PC
- Minutes: Sam Scribe, Clerk, Trust
- Status: DRAFT — not signed off
- Next meeting date: 
- Next meeting time: 
- Next meeting type: 
- Next meeting venue: 

## Attendance

| Name | Capacity | Short form | Organisation | Attendance |
| --- | --- | --- | --- | --- |
| Pat Chair | Chair | PC |  | present |
| Dana Director | Director | DD |  | present |

## 1 Welcome

The chair welcomed everyone.

## 2 Award of the SECRET-TENDER contract

*Exempt — Schedule 12A paragraph 3; public title: Contract award*

**DD:** The SECRET-PRICE bid was the lowest.

- **Action** (owners: DD; due: 1 April; status: open): Tell SECRET-BIDDER

### 2.1 SECRET-NEGOTIATION

The trustees agreed the SECRET-TERMS.

## 3 Any other business

There was none.
";

/// The server at `addr`'s published signing keys (`GET /api/signing-keys`, asked without
/// credentials) saved as `dir/keys.json`, for `minutebook verify --key`; its path.
pub async fn save_signing_keys(addr: SocketAddr, dir: &Path) -> String {
    let keys = dir.join("keys.json");
    let text = http::Client::new(addr, None)
        .get("/api/signing-keys")
        .await
        .text();
    std::fs::write(&keys, text).expect("keys written");
    keys.display().to_string()
}

/// The strings an array root `root` of `doc` holds (test entries, one per write).
pub fn array_strings(doc: &yrs::Doc, root: &str) -> std::collections::HashSet<String> {
    use yrs::{Array, Transact};
    let items = doc.get_or_insert_array(root);
    let txn = doc.transact();
    items
        .iter(&txn)
        .filter_map(|v| match v {
            yrs::Out::Any(yrs::Any::String(s)) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

/// The `minutebook` binary for a tool run from `target/<profile>/`: `given`, or the one
/// next to the running executable; an error saying how to build it when it is missing.
pub fn server_bin_or_sibling(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let bin = match given {
        Some(b) => b,
        None => std::env::current_exe()?.with_file_name("minutebook"),
    };
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: build it (cargo build --release -p minutebook-server) or pass --server-bin",
        bin.display()
    );
    Ok(bin)
}
