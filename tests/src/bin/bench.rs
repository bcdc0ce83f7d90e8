//! `bench`: Minutebook's load generator and benchmark suite.
//!
//! Measures the real server (`minutebook serve`, spawned as a separate process with redb
//! in a temp dir and fsync on every group commit) over loopback WebSockets, next to
//! baselines measured in the same session (a bare relay, raw yrs) and, with `compare`,
//! next to the npm reference servers (y-websocket, Hocuspocus). See BENCHMARKS.md.
//!
//! Build with `cargo build --release -p minutebook-server -p minutebook-tests`, then run
//! `target/release/bench --help`.

#[path = "../bench/mod.rs"]
mod bench;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use bench::cold::Mode;
use bench::sut::Bins;
use bench::{fanout, procfs, Targets};

/// Load generator and benchmarks for the Minutebook sync server.
#[derive(Parser)]
#[command(long_about = None)]
struct Cli {
    /// Directory holding b4-editing-trace.bin and b4-update.bin [default: <workspace>/../shared/data].
    #[arg(long, env = "MINUTEBOOK_BENCH_DATA", global = true)]
    data_dir: Option<PathBuf>,

    /// The `minutebook` server binary [default: next to this executable].
    #[arg(long, global = true)]
    server_bin: Option<PathBuf>,

    /// Start each run only when other processes keep fewer than this many cores busy
    /// (measured over 2 s); 0 disables waiting.
    #[arg(long, global = true, default_value_t = 0.3)]
    quiet_below: f64,

    /// Longest wait for a quiet machine before a run, seconds (then it runs anyway).
    #[arg(long, global = true, default_value_t = 600)]
    quiet_wait: u64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// D documents × C clients, W writers per document at R updates/s: delivery and
    /// durable-ack latency, deliveries/s, server CPU and RSS.
    Fanout {
        #[command(flatten)]
        params: fanout::Params,
        /// Runs per target (medians are reported).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        #[arg(long, value_enum, default_value_t = Targets::Both)]
        target: Targets,
    },
    /// Minutebook (durable) against the npm reference servers y-websocket 1.5.4 and
    /// Hocuspocus 3.4.4 (in memory, installed in tests/interop) under M8's fan-out
    /// scenarios, runs alternating: medians, ratios against y-websocket, every run.
    Compare {
        #[command(flatten)]
        params: bench::compare::Params,
    },
    /// Stream the 259,778 B4 edits as pipelined updates from one writer to one reader.
    B4Stream {
        /// Runs per target (medians are reported).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Most updates the writer leaves unacknowledged; 0 = fully pipelined. Several
        /// values (comma-separated) run one set each.
        #[arg(long, value_delimiter = ',', default_values_t = [0])]
        max_in_flight: Vec<u64>,
        #[arg(long, value_enum, default_value_t = Targets::Both)]
        target: Targets,
    },
    /// Connect → first SyncStep2 for the final B4 document while it is not in memory.
    ColdLoad {
        /// Connections measured per mode.
        #[arg(long, default_value_t = 100)]
        runs: usize,
        /// Modes to measure (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Mode::Unload, Mode::Restart, Mode::Warm])]
        mode: Vec<Mode>,
    },
    /// The web client in headless Chromium: keystroke-to-display latency between
    /// sessions, page load to editable, bundle size (needs scripts/build-client.sh and
    /// scripts/setup.sh --browser). `m2` is its former name.
    #[command(alias = "m2")]
    Browser {
        #[command(flatten)]
        params: bench::m2::Params,
        /// Meeting sizes, in copies of the fixture (comma-separated; the first is the baseline).
        #[arg(long, value_delimiter = ',', default_values_t = [1, 10])]
        scale: Vec<usize>,
        /// Runs per scale (medians are reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// The built web client [default: <workspace>/client/dist].
        #[arg(long)]
        web_dir: Option<PathBuf>,
    },
    /// Sign-off through the server, timed until it answers (version, public version,
    /// PDF and Word rendered, signatures), on meetings of several sizes; reopened between
    /// runs.
    SignOff {
        /// Meeting sizes, in copies of the fixture (comma-separated; the first is the baseline).
        #[arg(long, value_delimiter = ',', default_values_t = [1, 10])]
        scale: Vec<usize>,
        /// Sign-offs per scale (medians are reported).
        #[arg(long, default_value_t = 11)]
        runs: usize,
    },
    /// A published meeting's public page (`GET /public/{series}/{meeting}`, anonymous) at
    /// a fixed open-loop rate over keep-alive connections: achieved requests/s, latency
    /// from each request's due time (p50/p99/max), errors, server CPU and RSS; PASS/FAIL
    /// against M8's "≥ 1,000 requests/s with p99 ≤ 20 ms".
    PublicPage {
        #[command(flatten)]
        params: bench::public_page::Params,
        /// Runs, each on a fresh server (medians are reported, every run printed).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// The attacks of RELIABILITY.md, each a bounded loop against the release server
    /// with default limits, while a victim on another meeting keeps saving edits: what
    /// the server answered, its memory, the store's size and the victim's latency.
    Attack,
    /// Fan-out, B4 stream and cold load with default parameters, then a markdown summary on stdout.
    All {
        /// Runs per target for fanout and b4-stream.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Connections measured per cold-load mode.
        #[arg(long, default_value_t = 100)]
        runs: usize,
    },
    /// The baseline relay server (started by the benchmarks themselves).
    #[command(hide = true)]
    RelayServe {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Leave Nagle's algorithm on for accepted sockets.
        #[arg(long)]
        nagle: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        if let Command::RelayServe { listen, nagle } = cli.command {
            return bench::relay::serve(listen, nagle).await;
        }
        let data_dir = cli
            .data_dir
            .unwrap_or_else(|| minutebook_tests::workspace_root().join("../shared/data"));
        let bins = Bins::locate(cli.server_bin)?;
        let quiet = procfs::Quiet {
            below_cores: if cli.quiet_below > 0.0 { cli.quiet_below } else { f64::INFINITY },
            max_wait: std::time::Duration::from_secs(cli.quiet_wait),
        };
        let machine = procfs::Machine::describe(&std::env::temp_dir());
        let load_before = procfs::loadavg();
        let mut sections = Vec::new();
        let mut problems = Vec::new();
        let mut add = |(section, probs): (String, Vec<String>)| {
            sections.push(section);
            problems.extend(probs);
        };
        match cli.command {
            Command::Fanout {
                params,
                repeat,
                target,
            } => add(bench::fanout(&quiet, &bins, &params, repeat, target).await?),
            Command::Compare { params } => {
                add(bench::compare::run(&quiet, &bins, &params).await?)
            }
            Command::B4Stream {
                repeat,
                target,
                max_in_flight,
            } => add(bench::b4_stream(&quiet, &bins, &data_dir, repeat, target, &max_in_flight).await?),
            Command::ColdLoad { runs, mode } => {
                add(bench::cold_load(&quiet, &bins, &data_dir, runs, &mode).await?)
            }
            Command::Browser {
                params,
                scale,
                repeat,
                web_dir,
            } => {
                let web_dir = web_dir.unwrap_or_else(minutebook_tests::web_dir);
                add(bench::m2(&quiet, &bins, &web_dir, &params, repeat, &scale).await?)
            }
            Command::All { repeat, runs } => {
                add(bench::fanout(&quiet, &bins, &default_fanout(), repeat, Targets::Both).await?);
                add(bench::b4_stream(&quiet, &bins, &data_dir, repeat, Targets::Both, &[0, 1000]).await?);
                add(bench::cold_load(
                    &quiet,
                    &bins,
                    &data_dir,
                    runs,
                    &[Mode::Unload, Mode::Restart, Mode::Warm],
                )
                .await?);
            }
            Command::SignOff { scale, runs } => {
                add(bench::sign_off(&quiet, &bins, &scale, runs).await?)
            }
            Command::PublicPage { params, repeat } => {
                add(bench::public_page(&quiet, &bins, &params, repeat).await?)
            }
            Command::Attack => {
                let work = tempfile::tempdir()?;
                let (rows, after, probs) = bench::attack::run(&bins, work.path()).await?;
                add((bench::attack::report(&rows, &after), probs));
            }
            Command::RelayServe { .. } => unreachable!("handled above"),
        }
        println!("## Minutebook benchmark results\n");
        println!("Machine: {}.  ", machine.markdown());
        println!(
            "Server: {}.  ",
            procfs::build_identity(&bins.server, &minutebook_tests::workspace_root())
        );
        if quiet.below_cores.is_finite() {
            println!(
                "Each run started once other processes kept fewer than {} cores busy (2 s sample, waiting up to {} s); the tables show how busy they kept the machine during the runs.  ",
                quiet.below_cores, cli.quiet_wait
            );
        }
        println!(
            "Load average (1/5/15 min) before: {load_before}; after: {}.\n",
            procfs::loadavg()
        );
        for s in sections {
            println!("{s}");
        }
        println!("### Problems seen\n");
        let list = bench::report::problems(&problems);
        println!(
            "{}",
            if list.is_empty() {
                "None: no disconnects, errors, missing deliveries or server log lines.\n".into()
            } else {
                list
            }
        );
        Ok(())
    })
}

fn default_fanout() -> fanout::Params {
    fanout::Params {
        docs: 50,
        clients: 10,
        writers: 2,
        rate: 5.0,
        seconds: 20.0,
        warmup: 2.0,
    }
}
