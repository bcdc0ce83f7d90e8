//! Server configuration: every setting is a command-line flag with an environment
//! variable fallback (`MINUTEBOOK_*`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use minutebook_shared::protocol::DEFAULT_MAX_MESSAGE_BYTES;

use crate::connection::ConnectionLimits;
use crate::doc::CompactionPolicy;
use crate::ledger::{LedgerBudget, DEFAULT_LEDGER_MAX_BYTES, DEFAULT_LEDGER_MAX_ENTRIES};

/// Settings of `minutebook serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "MINUTEBOOK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory holding the redb database (`minutebook.redb`); created if missing.
    #[arg(long, env = "MINUTEBOOK_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Directory of the built web client (index.html, wasm, js).
    #[arg(long, env = "MINUTEBOOK_WEB_DIR", default_value = "client/dist")]
    pub web_dir: PathBuf,

    /// Largest accepted WebSocket message in bytes; larger ones close the connection (1009).
    #[arg(long, env = "MINUTEBOOK_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Frames queued for one client before it is disconnected as too slow (the byte
    /// budget is the main bound; this one caps per-frame overhead).
    #[arg(long, env = "MINUTEBOOK_OUTBOUND_FRAMES", default_value_t = 65_536)]
    pub outbound_frames: usize,

    /// Bytes queued for one client before it is disconnected as too slow.
    #[arg(long, env = "MINUTEBOOK_OUTBOUND_BYTES", default_value_t = 16 << 20)]
    pub outbound_bytes: usize,

    /// Milliseconds between keepalive pings.
    #[arg(long, env = "MINUTEBOOK_PING_INTERVAL_MS", default_value_t = 15_000)]
    pub ping_interval_ms: u64,

    /// Milliseconds of silence after which a connection is dropped as dead.
    #[arg(long, env = "MINUTEBOOK_IDLE_TIMEOUT_MS", default_value_t = 45_000)]
    pub idle_timeout_ms: u64,

    /// Compact a document's update log into a snapshot after this many updates.
    #[arg(long, env = "MINUTEBOOK_COMPACT_AFTER", default_value_t = 20_000)]
    pub compact_after: usize,

    /// On start, if the store holds no documents, import the demo meeting
    /// (`assurance-2022-01`, the January 2022 Monthly Assurance Meeting).
    #[arg(long, env = "MINUTEBOOK_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,

    /// Entries (confirmations, correction proposals, versions, reopenings) one meeting's
    /// ledger may hold before new correction proposals are refused (413).
    #[arg(long, env = "MINUTEBOOK_LEDGER_MAX_ENTRIES", default_value_t = DEFAULT_LEDGER_MAX_ENTRIES)]
    pub ledger_max_entries: usize,

    /// Bytes (as stored, JSON) one meeting's ledger may hold before new correction
    /// proposals are refused (413).
    #[arg(long, env = "MINUTEBOOK_LEDGER_MAX_BYTES", default_value_t = DEFAULT_LEDGER_MAX_BYTES)]
    pub ledger_max_bytes: usize,

    /// The address people use to reach this server, for the links it prints and hands
    /// out (setup and invitation links). Default: `http://` + the listening address.
    #[arg(long, env = "MINUTEBOOK_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl ServerConfig {
    /// A configuration with every default, listening on `listen` and storing in `data_dir`.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        ServerConfig {
            listen,
            data_dir,
            web_dir: PathBuf::from("client/dist"),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            outbound_frames: 65_536,
            outbound_bytes: 16 << 20,
            ping_interval_ms: 15_000,
            idle_timeout_ms: 45_000,
            compact_after: 20_000,
            ledger_max_entries: DEFAULT_LEDGER_MAX_ENTRIES,
            ledger_max_bytes: DEFAULT_LEDGER_MAX_BYTES,
            demo: false,
            public_url: None,
        }
    }

    pub(crate) fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_message_bytes: self.max_message_bytes,
            outbound_frames: self.outbound_frames,
            outbound_bytes: self.outbound_bytes,
            ping_interval: Duration::from_millis(self.ping_interval_ms.max(1)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.max(1)),
        }
    }

    pub(crate) fn ledger_budget(&self) -> LedgerBudget {
        LedgerBudget {
            max_entries: self.ledger_max_entries,
            max_bytes: self.ledger_max_bytes,
        }
    }

    pub(crate) fn compaction(&self) -> CompactionPolicy {
        CompactionPolicy {
            max_log_entries: self.compact_after,
            ..CompactionPolicy::default()
        }
    }
}
