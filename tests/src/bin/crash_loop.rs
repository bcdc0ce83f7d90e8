//! `crash-loop`: kills the release server with `kill -9` at random moments under a write
//! and ledger load, again and again, and counts after every restart that every
//! acknowledged write, every relayed write and every answered ledger command survived
//! (see `minutebook_tests::crash_loop`). RELIABILITY.md records its runs.
//!
//! Build with `cargo build --release -p minutebook-server -p minutebook-tests --bin
//! minutebook --bin crash-loop`, then run `target/release/crash-loop --help`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use minutebook_tests::crash_loop::{self, Params};

/// Crash-loop the Minutebook server and count what survived.
#[derive(Parser)]
struct Cli {
    /// Kills (and restarts).
    #[arg(long, default_value_t = 100)]
    cycles: usize,
    /// Writers appending to the load document.
    #[arg(long, default_value_t = 3)]
    writers: usize,
    /// The server's `--compact-after` (small, so compactions happen during the run).
    #[arg(long, default_value_t = 50)]
    compact_after: u32,
    /// Shortest time under load before a kill, milliseconds.
    #[arg(long, default_value_t = 50)]
    min_ms: u64,
    /// Longest time under load before a kill, milliseconds.
    #[arg(long, default_value_t = 1500)]
    max_ms: u64,
    /// Seed of the random kill moments [default: from the clock, printed].
    #[arg(long)]
    seed: Option<u64>,
    /// The `minutebook` binary [default: next to this executable].
    #[arg(long, env = "MINUTEBOOK_SERVER_BIN")]
    server_bin: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let server_bin = minutebook_tests::server_bin_or_sibling(cli.server_bin)?;
    let seed = cli.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    if cli.min_ms > cli.max_ms {
        bail!("--min-ms is larger than --max-ms");
    }
    let dir = tempfile::tempdir().context("a temp dir")?;
    let params = Params {
        server_bin: server_bin.clone(),
        data_dir: dir.path().join("data"),
        cycles: cli.cycles,
        writers: cli.writers,
        compact_after: cli.compact_after,
        kill_after_ms: (cli.min_ms, cli.max_ms),
        seed,
    };
    println!(
        "crash loop: {} cycles, {} writers, --compact-after {}, kill after {}–{} ms, seed {seed}, server {}",
        cli.cycles,
        cli.writers,
        cli.compact_after,
        cli.min_ms,
        cli.max_ms,
        server_bin.display()
    );
    let report = crash_loop::run(&params, |line| println!("{line}")).await?;
    println!(
        "\n{} cycles in {:.0} s: checked {} acknowledged writes, {} relayed writes and {} answered ledger commands \
         ({} answered in all, {} versions signed) after the restarts; lost: {}",
        report.cycles,
        report.elapsed.as_secs_f64(),
        report.acked_checked,
        report.relayed_checked,
        report.ledger_checked,
        report.ledger_answered,
        report.versions,
        report.lost
    );
    for l in &report.losses {
        println!("LOST: {l}");
    }
    if report.lost > 0 {
        bail!("{} promises were not kept", report.lost);
    }
    Ok(())
}
