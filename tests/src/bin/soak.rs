//! `soak`: the release server under a steady moderate load for a long time, its memory
//! and delivery latency printed at every interval (see `minutebook_tests::soak`);
//! RELIABILITY.md records the runs. Fails if an update was not delivered to every other
//! client, not acknowledged, or a connection was lost.
//!
//! Build with `cargo build --release -p minutebook-server -p minutebook-tests --bin
//! minutebook --bin soak`, then run `target/release/soak --help`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use minutebook_tests::soak::{self, Params};

/// Soak the Minutebook server and print its memory and latency over time.
#[derive(Parser)]
struct Cli {
    /// Minutes to run.
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// Seconds between samples.
    #[arg(long, default_value_t = 60.0)]
    interval: f64,
    /// Documents.
    #[arg(long, default_value_t = 50)]
    docs: usize,
    /// Clients per document (writers included).
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Writers per document.
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// Updates a second per writer.
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// The `minutebook` binary [default: next to this executable].
    #[arg(long, env = "MINUTEBOOK_SERVER_BIN")]
    server_bin: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let server_bin = minutebook_tests::server_bin_or_sibling(cli.server_bin)?;
    let dir = tempfile::tempdir().context("a temp dir")?;
    let params = Params {
        server_bin,
        data_dir: dir.path().join("data"),
        docs: cli.docs,
        clients: cli.clients,
        writers: cli.writers,
        rate: cli.rate,
        duration: Duration::from_secs_f64(cli.minutes * 60.0),
        interval: Duration::from_secs_f64(cli.interval),
    };
    println!(
        "soak: {} docs × {} clients, {} writers × {} Hz, {} min, a sample every {} s",
        cli.docs, cli.clients, cli.writers, cli.rate, cli.minutes, cli.interval
    );
    println!("| minute | server RSS (MiB) | deliveries | p50 (ms) | p99 (ms) |");
    println!("|---|---|---|---|---|");
    let report = soak::run(&params, |s| {
        println!(
            "| {:.1} | {:.1} | {} | {:.2} | {:.2} |",
            s.at.as_secs_f64() / 60.0,
            s.rss_kib as f64 / 1024.0,
            s.deliveries,
            s.p50_ms,
            s.p99_ms
        );
    })
    .await?;
    println!(
        "\nsent {} updates, {} acknowledged; delivered {} of {} expected; {} connections lost",
        report.sent, report.acked, report.delivered, report.expected, report.disconnects
    );
    if report.delivered != report.expected || report.acked != report.sent || report.disconnects > 0
    {
        bail!("the soak lost something");
    }
    Ok(())
}
