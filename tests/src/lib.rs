//! Test support: real servers on 127.0.0.1:0 over real redb files in temp dirs.
//!
//! - [`TestServer`] runs the server in-process (fast start/stop/restart on one data dir).
//! - [`ServerProcess`] runs the real `minutebook` binary as a child process, for tests
//!   that must `kill -9` it.
//! - [`raw`] is a bare WebSocket client for asserting on the protocol's bytes.
//! - [`http`] is a minimal HTTP client for the meetings API.
//! - [`browser`] drives headless Chromium through chromedriver.

pub mod browser;
pub mod http;
pub mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use minutebook_server::{RunningServer, ServerConfig};
use minutebook_shared::client::{ClientOptions, SyncClient};
use tokio::io::{AsyncBufReadExt, BufReader};

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

/// A server running in this process on a temp data dir.
pub struct TestServer {
    pub config: ServerConfig,
    server: Option<RunningServer>,
    _dir: Option<tempfile::TempDir>,
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
        TestServer {
            config,
            server: Some(server),
            _dir: Some(dir),
        }
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

    /// A native client syncing `doc`.
    pub fn client(&self, doc: &str) -> SyncClient {
        SyncClient::connect(ClientOptions::new(self.ws_url(doc)))
    }

    /// Gracefully stops the server (keeping its data dir).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Stops and starts again on the same data dir (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.config.listen = loopback();
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
    bin
}

/// The real server binary as a child process.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `minutebook serve` on 127.0.0.1:0 with `data_dir`; waits for its URL line.
    pub async fn start(data_dir: &Path) -> ServerProcess {
        let mut child = tokio::process::Command::new(server_binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .arg("--web-dir")
            .arg(web_dir())
            .env("MINUTEBOOK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn minutebook");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(PATIENCE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("Minutebook is running at http://") {
                    return rest.trim_end_matches('/').parse::<SocketAddr>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("server printed its address");
        ServerProcess { child, addr }
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
