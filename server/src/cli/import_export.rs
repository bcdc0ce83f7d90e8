//! `minutebook import` and `minutebook export`: meetings in and out of the store without
//! a server, through the same document actors and group-commit writer as the server.

use minutebook_server::auth::signing::Signer;
use minutebook_server::auth::Auth;
use minutebook_server::docs::registry::Registry;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;
use minutebook_server::meetings::{self, ExportFormat, ImportFormat};
use minutebook_server::DB_FILE;

use super::{close, open};

/// Formats `import` reads.
#[derive(Clone, Copy, ValueEnum)]
pub enum InFormat {
    /// Text extracted from published minutes.
    Legacy,
    /// Minutebook's canonical Markdown export.
    Markdown,
}

/// Formats `export` writes.
#[derive(Clone, Copy, ValueEnum)]
pub enum OutFormat {
    /// Canonical Markdown (importable again).
    Markdown,
    /// Printable, self-contained HTML.
    Html,
}

/// Settings of `minutebook import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Directory holding the redb database (`minutebook.redb`); created if missing.
    #[arg(long, env = "MINUTEBOOK_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,

    /// Format of the file.
    #[arg(long, env = "MINUTEBOOK_IMPORT_FORMAT", value_enum, default_value_t = InFormat::Legacy)]
    format: InFormat,

    /// Name of the new meeting document (default: derived from its title).
    #[arg(long)]
    name: Option<String>,

    /// The minutes to import.
    file: PathBuf,
}

/// Settings of `minutebook export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Directory holding the redb database (`minutebook.redb`).
    #[arg(long, env = "MINUTEBOOK_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,

    /// Output format.
    #[arg(long, env = "MINUTEBOOK_EXPORT_FORMAT", value_enum, default_value_t = OutFormat::Markdown)]
    format: OutFormat,

    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,

    /// The meeting's document name.
    name: String,
}

/// Imports a file and prints the new meeting's name.
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let (registry, writer) = open(&args.data_dir).await?;
    let format = match args.format {
        InFormat::Legacy => ImportFormat::Legacy,
        InFormat::Markdown => ImportFormat::Markdown,
    };
    let result = meetings::import(&registry, &text, format, args.name.as_deref()).await;
    // As through the API: the meeting joins its series (the next meeting of the series
    // agrees its minutes, and invitations to the series open it).
    let joined = match &result {
        Ok(made) => join_series(&registry, made).await,
        Err(_) => Ok(()),
    };
    close(registry, writer).await;
    let made = result.map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    joined.with_context(|| format!("adding {} to its series", made.name))?;
    println!("{}", made.name);
    Ok(())
}

async fn join_series(registry: &Registry, made: &meetings::Created) -> anyhow::Result<()> {
    // No link is made here, so the public address does not matter.
    let auth = Auth::open(registry.store().clone(), "").await?;
    auth.add_to_series(&made.series, &made.name).await?;
    Ok(())
}

/// Exports a meeting to standard output or `--output`.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    if !args.data_dir.join(DB_FILE).exists() {
        bail!(
            "no database in {} (expected {DB_FILE})",
            args.data_dir.display()
        );
    }
    let (registry, writer) = open(&args.data_dir).await?;
    let format = match args.format {
        OutFormat::Markdown => ExportFormat::Markdown,
        OutFormat::Html => ExportFormat::Html,
    };
    let result = {
        // Dropped before `close`: the writer stops once no store handle is left.
        let signer = Signer::new(registry.store().clone());
        meetings::export(&registry, Some(&signer), &args.name, format).await
    };
    close(registry, writer).await;
    let text = result?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("writing to standard output")?;
        }
    }
    Ok(())
}
