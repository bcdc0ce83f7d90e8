//! `minutebook keys list` and `minutebook keys rotate`: the server's signing keys, on the
//! store directly (the server must be stopped). `list` prints the public halves as the
//! server publishes them (`GET /api/signing-keys`), a file `minutebook verify --key`
//! reads; `rotate` retires the current key (it still verifies what it signed) and makes a
//! new one current.

use std::path::PathBuf;

use anyhow::Context;
use minutebook_server::auth::signing::Signer;
use minutebook_shared::api::SigningKeys;

use super::{close, open};

/// Settings of `minutebook keys …`.
#[derive(clap::Args)]
pub struct KeysArgs {
    /// Directory holding the redb database (`minutebook.redb`).
    #[arg(long, env = "MINUTEBOOK_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

/// What to do with the keys.
#[derive(Clone, Copy)]
pub enum KeysAction {
    List,
    Rotate,
}

/// Lists or rotates the signing keys.
pub async fn keys(args: KeysArgs, action: KeysAction) -> anyhow::Result<()> {
    if !args.data_dir.join(minutebook_server::DB_FILE).exists() {
        anyhow::bail!(
            "no database in {}; pass --data-dir DIR (or set MINUTEBOOK_DATA_DIR)",
            args.data_dir.display()
        );
    }
    let (registry, writer) = open(&args.data_dir).await?;
    let done = async {
        let signer = Signer::open(registry.store().clone()).await?;
        if let KeysAction::Rotate = action {
            let key = signer.rotate().await?;
            eprintln!(
                "The new current signing key is {}; the old one is retired and still \
                 verifies what it signed. Publish the new list (GET /api/signing-keys).",
                key.id
            );
        }
        signer.public_keys()
    }
    .await;
    close(registry, writer).await;
    let keys = done.context("reading the signing keys")?;
    println!("{}", serde_json::to_string_pretty(&SigningKeys { keys })?);
    Ok(())
}
