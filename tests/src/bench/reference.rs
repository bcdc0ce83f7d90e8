//! The npm reference servers `bench compare` measures Minutebook against, each run by
//! `node` as its own process (so `/proc` gives its CPU time and memory), in memory,
//! listening on 127.0.0.1 only: y-websocket 1.5.4's own `bin/server.js` (installed under
//! the alias `y-websocket-server` in `tests/interop`) and Hocuspocus 3.4.4 through
//! `tests/interop/hocuspocus-server.mjs`.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tokio::process::Command;

/// The token every Hocuspocus document is authenticated with.
pub const HOCUSPOCUS_TOKEN: &str = "bench";

/// `tests/interop`, checked to hold the installed packages.
pub fn interop_dir() -> Result<PathBuf> {
    let dir = minutebook_tests::workspace_root()
        .join("tests")
        .join("interop");
    for package in ["y-websocket-server", "@hocuspocus/server"] {
        if !dir.join("node_modules").join(package).exists() {
            bail!(
                "{} lacks node_modules/{package}: run `npm ci --prefix tests/interop`",
                dir.display()
            );
        }
    }
    Ok(dir)
}

/// Finds a server's listening address in a line it printed.
pub type Listening = Box<dyn Fn(&str) -> Option<SocketAddr> + Send>;

/// How to start a reference server and recognise its "listening" line.
pub struct Start {
    pub command: Command,
    pub listening: Listening,
}

/// y-websocket 1.5.4's `bin/server.js` on a free loopback port (it prints the port it
/// was given, not the one it got, so the port is chosen here).
pub fn y_websocket() -> Result<Start> {
    let dir = interop_dir()?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("finding a free port")?
        .port();
    let mut command = Command::new("node");
    command
        .arg(dir.join("node_modules/y-websocket-server/bin/server.js"))
        .current_dir(&dir)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string());
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    Ok(Start {
        command,
        listening: Box::new(move |line| line.starts_with("running at").then_some(addr)),
    })
}

/// Hocuspocus 3.4.4 through `hocuspocus-server.mjs` on any free loopback port.
pub fn hocuspocus() -> Result<Start> {
    let dir = interop_dir()?;
    let mut command = Command::new("node");
    command
        .arg(dir.join("hocuspocus-server.mjs"))
        .arg("0")
        .current_dir(&dir)
        .env("HOCUSPOCUS_TOKEN", HOCUSPOCUS_TOKEN);
    Ok(Start {
        command,
        listening: Box::new(minutebook_tests::printed_address),
    })
}
