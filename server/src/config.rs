//! Server configuration: every setting is a command-line flag with an environment
//! variable fallback (`MINUTEBOOK_*`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use minutebook_shared::protocol::DEFAULT_MAX_MESSAGE_BYTES;

use crate::auth::refusals::RefusalPolicy;
use crate::docs::replica::CompactionPolicy;
use crate::http::accept::EdgeLimits;
use crate::http::client_addr::ProxyNet;
use crate::http::sign_in_limit::SignInPolicy;
use crate::http::ws::ConnectionLimits;
use crate::store::faults::FaultSwitch;

/// Default of `--max-import-bytes`: 2 MiB (published minutes are tens of kilobytes).
pub const DEFAULT_MAX_IMPORT_BYTES: usize = 2 << 20;
/// Default `--max-verify-bytes`: room for the PDF of a very long meeting.
pub const DEFAULT_MAX_VERIFY_BYTES: usize = 16 << 20;
/// Default `--commit-interval-ms` (BENCHMARKS.md, M8: what pacing bought).
pub const DEFAULT_COMMIT_INTERVAL_MS: u64 = 4;
use crate::docs::ledger::{LedgerBudget, DEFAULT_LEDGER_MAX_BYTES, DEFAULT_LEDGER_MAX_ENTRIES};
use crate::docs::presence::AwarenessLimits;

/// Settings of `minutebook serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "MINUTEBOOK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Threads running connections and documents [default: one per CPU]. Fewer threads
    /// trade peak parallelism for less cross-thread waking per message.
    #[arg(long, env = "MINUTEBOOK_WORKER_THREADS")]
    pub worker_threads: Option<usize>,

    /// Serve Prometheus metrics at `/metrics` on this separate address (e.g.
    /// `127.0.0.1:9090`); off unless set. Keep it on loopback or a private network: it is
    /// not authenticated.
    #[arg(long, env = "MINUTEBOOK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

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

    /// The organisation named at the top of every PDF and Word rendering of signed minutes.
    #[arg(long, env = "MINUTEBOOK_ORGANISATION", default_value = "")]
    pub organisation: String,

    /// Text at the foot of every page of the PDF and Word renderings (e.g. an address).
    #[arg(long, env = "MINUTEBOOK_FOOTER_TEXT", default_value = "")]
    pub footer_text: String,

    /// The organisation's logo for the PDF and Word renderings: a PNG, or an SVG (kept to
    /// shapes only). Needs `--logo-alt`.
    #[arg(long, env = "MINUTEBOOK_LOGO", requires = "logo_alt")]
    pub logo: Option<PathBuf>,

    /// What the logo shows, for readers who cannot see it (the PDF's alt text).
    #[arg(long, env = "MINUTEBOOK_LOGO_ALT")]
    pub logo_alt: Option<String>,

    /// Largest file accepted by `POST /api/meetings/import`, in bytes; larger ones are
    /// refused with 413.
    #[arg(long, env = "MINUTEBOOK_MAX_IMPORT_BYTES", default_value_t = DEFAULT_MAX_IMPORT_BYTES)]
    pub max_import_bytes: usize,

    /// Largest file accepted by `POST /api/verify` (a signed version's Markdown, HTML,
    /// public version, PDF or Word file, from anyone), in bytes; larger ones are refused
    /// with 413.
    #[arg(long, env = "MINUTEBOOK_MAX_VERIFY_BYTES", default_value_t = DEFAULT_MAX_VERIFY_BYTES)]
    pub max_verify_bytes: usize,

    /// CPU-heavy tasks (imports, exports, version diffs) run at once, off the async
    /// workers; more wait their turn. Default: the number of CPUs.
    #[arg(long, env = "MINUTEBOOK_CPU_TASKS", default_value_t = crate::docs::cpu::default_tasks())]
    pub cpu_tasks: usize,

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

    /// Group commit pacing: a commit starts at least this many milliseconds after the
    /// previous one started, so writes arriving in between share its fsync. Only a busy
    /// store waits (an isolated write commits at once); 0 commits as soon as the previous
    /// commit is durable. At most 1000.
    #[arg(
        long,
        env = "MINUTEBOOK_COMMIT_INTERVAL_MS",
        default_value_t = DEFAULT_COMMIT_INTERVAL_MS,
        value_parser = clap::value_parser!(u64).range(0..=1000)
    )]
    pub commit_interval_ms: u64,

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

    /// Milliseconds an HTTP connection may wait for a request (its first, or the next one
    /// on a kept-alive connection) before it is closed; a client that stops reading a
    /// response this long is disconnected too.
    #[arg(
        long,
        env = "MINUTEBOOK_KEEPALIVE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub keepalive_timeout_ms: u64,

    /// Milliseconds a request's head (request line and headers) may take to arrive once
    /// its first byte has; a slower one is closed.
    #[arg(long, env = "MINUTEBOOK_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,

    /// Open connections (HTTP and WebSocket) in all; more are answered 503 and closed.
    /// Lowered at start to fit the open-file limit.
    #[arg(long, env = "MINUTEBOOK_MAX_CONNECTIONS", default_value_t = 8_192)]
    pub max_connections: usize,

    /// Open connections (HTTP and WebSocket) from one client address (an IPv6 client's
    /// /64); more are answered 503 and closed.
    #[arg(
        long,
        env = "MINUTEBOOK_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 512
    )]
    pub max_connections_per_address: usize,

    /// A reverse proxy whose `X-Forwarded-For` header names the client (an address or a
    /// CIDR network; repeat the flag, or separate with commas in the variable).
    #[arg(
        long = "trusted-proxy",
        env = "MINUTEBOOK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<ProxyNet>,

    /// Sign-in attempts (setup and invitation links) one client address may make at once;
    /// then they are refused (429) until the budget refills.
    #[arg(long, env = "MINUTEBOOK_SIGN_IN_BURST", default_value_t = 20)]
    pub sign_in_burst: u32,

    /// Sign-in attempts per minute that refill one client address's budget.
    #[arg(long, env = "MINUTEBOOK_SIGN_IN_PER_MINUTE", default_value_t = 10)]
    pub sign_in_per_minute: u32,

    /// Client addresses the sign-in limiter remembers; beyond it, new addresses share
    /// one budget.
    #[arg(long, env = "MINUTEBOOK_SIGN_IN_ADDRESSES", default_value_t = 10_000)]
    pub sign_in_addresses: usize,

    /// Test hook (not a flag): a switch that makes the store's disk writes fail.
    #[arg(skip)]
    pub storage_faults: Option<FaultSwitch>,

    /// Seconds a session lasts after sign-in; its open connections close when it expires.
    #[arg(long, env = "MINUTEBOOK_SESSION_SECONDS", default_value_t = 30 * 24 * 3600)]
    pub session_seconds: u64,
}

impl ServerConfig {
    /// A configuration with every default, listening on `listen` and storing in `data_dir`.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        ServerConfig {
            listen,
            metrics_listen: None,
            worker_threads: None,
            data_dir,
            web_dir: PathBuf::from("client/dist"),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            outbound_frames: 65_536,
            outbound_bytes: 16 << 20,
            ping_interval_ms: 15_000,
            idle_timeout_ms: 45_000,
            commit_interval_ms: DEFAULT_COMMIT_INTERVAL_MS,
            compact_after: 20_000,
            max_import_bytes: DEFAULT_MAX_IMPORT_BYTES,
            max_verify_bytes: DEFAULT_MAX_VERIFY_BYTES,
            organisation: String::new(),
            footer_text: String::new(),
            logo: None,
            logo_alt: None,
            cpu_tasks: crate::docs::cpu::default_tasks(),
            ledger_max_entries: DEFAULT_LEDGER_MAX_ENTRIES,
            ledger_max_bytes: DEFAULT_LEDGER_MAX_BYTES,
            awareness_ids: 8,
            awareness_entries: 256,
            awareness_state_bytes: 8192,
            awareness_rate: 50,
            refusal_window_secs: 60,
            refusal_keys: 1024,
            demo: false,
            public_url: None,
            keepalive_timeout_ms: 30_000,
            header_timeout_ms: 10_000,
            max_connections: 8_192,
            max_connections_per_address: 512,
            trusted_proxies: Vec::new(),
            sign_in_burst: 20,
            sign_in_per_minute: 10,
            sign_in_addresses: 10_000,
            storage_faults: None,
            session_seconds: 30 * 24 * 3600,
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

    pub(crate) fn edge(&self) -> EdgeLimits {
        EdgeLimits {
            keepalive_timeout: Duration::from_millis(self.keepalive_timeout_ms.max(1)),
            header_timeout: Duration::from_millis(self.header_timeout_ms.max(1)),
            max_connections: self.max_connections.max(1),
            max_per_address: self.max_connections_per_address.max(1),
            trusted_proxies: self.trusted_proxies.clone().into(),
        }
    }

    pub(crate) fn sign_in(&self) -> SignInPolicy {
        SignInPolicy {
            burst: self.sign_in_burst.max(1),
            per_minute: self.sign_in_per_minute.max(1),
            max_addresses: self.sign_in_addresses.max(1),
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
