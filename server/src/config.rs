//! Server configuration: every setting is a command-line flag with an environment
//! variable fallback (`MINUTEBOOK_*`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use minutebook_shared::protocol::DEFAULT_MAX_MESSAGE_BYTES;

use crate::audit::RefusalPolicy;
use crate::connection::ConnectionLimits;
use crate::doc::CompactionPolicy;
use crate::docs::presence::AwarenessLimits;

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

    /// Awareness client ids one WebSocket connection may announce; more closes it (1008).
    #[arg(long, env = "MINUTEBOOK_AWARENESS_IDS", default_value_t = 8)]
    pub awareness_ids: usize,

    /// Client states in one awareness message; more closes the connection (1008).
    #[arg(long, env = "MINUTEBOOK_AWARENESS_ENTRIES", default_value_t = 256)]
    pub awareness_entries: usize,

    /// Bytes of one awareness (presence) state; larger closes the connection (1009).
    #[arg(long, env = "MINUTEBOOK_AWARENESS_STATE_BYTES", default_value_t = 8192)]
    pub awareness_state_bytes: usize,

    /// Awareness changes per second per connection (bursts of four seconds' worth pass;
    /// messages that change nothing do not count); faster closes the connection (1008).
    #[arg(long, env = "MINUTEBOOK_AWARENESS_RATE", default_value_t = 50)]
    pub awareness_rate: u32,

    /// Seconds over which repeated refusals of one caller (same meeting, same reason)
    /// are counted into one audit entry.
    #[arg(long, env = "MINUTEBOOK_REFUSAL_WINDOW_SECS", default_value_t = 60)]
    pub refusal_window_secs: u64,

    /// Distinct refusals counted per window; further ones are counted together.
    #[arg(long, env = "MINUTEBOOK_REFUSAL_KEYS", default_value_t = 1024)]
    pub refusal_keys: usize,

    /// Compact a document's update log into a snapshot after this many updates.
    #[arg(long, env = "MINUTEBOOK_COMPACT_AFTER", default_value_t = 20_000)]
    pub compact_after: usize,

    /// On start, if the store holds no documents, import the demo meeting
    /// (`assurance-2022-01`, the January 2022 Monthly Assurance Meeting).
    #[arg(long, env = "MINUTEBOOK_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,

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
            awareness_ids: 8,
            awareness_entries: 256,
            awareness_state_bytes: 8192,
            awareness_rate: 50,
            refusal_window_secs: 60,
            refusal_keys: 1024,
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
            awareness: AwarenessLimits {
                ids_per_connection: self.awareness_ids,
                entries_per_message: self.awareness_entries,
                state_bytes: self.awareness_state_bytes,
                per_second: self.awareness_rate,
            },
        }
    }

    pub(crate) fn refusals(&self) -> RefusalPolicy {
        RefusalPolicy {
            window: Duration::from_secs(self.refusal_window_secs.max(1)),
            max_keys: self.refusal_keys,
        }
    }

    pub(crate) fn compaction(&self) -> CompactionPolicy {
        CompactionPolicy {
            max_log_entries: self.compact_after,
            ..CompactionPolicy::default()
        }
    }
}
