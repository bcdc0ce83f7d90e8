//! The `minutebook` command: `serve`, and `import` / `export` of meetings straight from
//! the store (see [`cli`]).

mod cli;
mod render;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use minutebook_server::ServerConfig;

/// Minutebook: collaborative, real-time minuting.
#[derive(Parser)]
#[command(version, about = "Minutebook: collaborative, real-time minuting", long_about = None)]
struct Cli {
    /// Log format.
    #[arg(long, env = "MINUTEBOOK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines with key=value fields.
    Text,
    /// One JSON object per line.
    Json,
}

// Parsed once at start; boxing the server's settings would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the sync server and serve the web client.
    Serve(ServerConfig),
    /// Import minutes from a file as a new meeting (the server must not be running).
    Import(cli::ImportArgs),
    /// Export a meeting as Markdown or HTML (the server must not be running).
    Export(cli::ExportArgs),
    /// Check an exported signed version against its SHA-256 and the stored version, or
    /// offline against its signature and the published keys (`--key`).
    Verify(cli::VerifyArgs),
    /// Administrators (the server must not be running).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The signing keys that sign each signed version (the server must not be running).
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print the public keys, as the server publishes them (a file for `verify --key`).
    List(cli::KeysArgs),
    /// Retire the current key (it still verifies what it signed) and make a new one.
    Rotate(cli::KeysArgs),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Print a new one-time link that sets up an administrator (valid 24 h).
    SetupLink(cli::AdminLinkArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Command::Serve(config) = &cli.command {
        if let Some(n) = config.worker_threads.filter(|n| *n > 0) {
            builder.worker_threads(n);
        }
    }
    let runtime = builder.build().context("starting the async runtime")?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(config) => serve(config).await,
            Command::Import(args) => cli::import(args).await,
            Command::Export(args) => cli::export(args).await,
            Command::Verify(args) => cli::verify(args).await,
            Command::Admin(AdminCommand::SetupLink(args)) => cli::admin_setup_link(args).await,
            Command::Keys(KeysCommand::List(args)) => cli::keys(args, cli::KeysAction::List).await,
            Command::Keys(KeysCommand::Rotate(args)) => {
                cli::keys(args, cli::KeysAction::Rotate).await
            }
        }
    })
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINUTEBOOK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    if !config.web_dir.join("index.html").exists() {
        tracing::warn!(web_dir = %config.web_dir.display(), "web client not built; run scripts/build-client.sh");
    }
    let renderer = render::Typst::from_config(&config).context("the house style")?;
    let server = minutebook_server::start_rendering(config, Some(std::sync::Arc::new(renderer)))
        .await
        .context("starting the server")?;
    println!("Minutebook is running at http://{}/", server.addr());
    if let Some(link) = server.setup_link() {
        println!("No administrator yet. Open this one-time link to become the administrator (valid 24 h):");
        println!("Set up Minutebook: {link}");
    }
    let token = server.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested; closing connections and flushing");
        token.cancel();
    });
    server.wait().await.context("server stopped with an error")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
