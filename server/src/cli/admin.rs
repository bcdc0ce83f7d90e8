//! `minutebook admin setup-link`: a new one-time administrator setup link, written
//! straight into the store (the server must be stopped).

use std::path::PathBuf;

use anyhow::Context;
use minutebook_server::auth::Auth;

use super::{close, open};

/// Settings of `minutebook admin setup-link`.
#[derive(clap::Args)]
pub struct AdminLinkArgs {
    /// Directory holding the redb database (`minutebook.redb`); created if missing.
    #[arg(long, env = "MINUTEBOOK_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,

    /// The address people use to reach the server (the link starts with it).
    #[arg(
        long,
        env = "MINUTEBOOK_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: String,
}

/// Prints a new one-time administrator setup link (valid 24 h): for the first
/// administrator, another one, or one who lost their session.
pub async fn admin_setup_link(args: AdminLinkArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let (registry, writer) = open(&args.data_dir).await?;
    let link = async {
        let auth = Auth::open(registry.store().clone(), &args.public_url).await?;
        auth.setup_link().await
    }
    .await;
    close(registry, writer).await;
    let link = link.context("creating the setup link")?;
    println!("Open this one-time link to set up an administrator (valid 24 h):");
    println!("{link}");
    Ok(())
}
