//! The commands beside `serve`, each on the store directly (a running server holds the
//! database locked, so they then stop with a message pointing at the HTTP API):
//!
//! - [`import_export`]: `minutebook import` and `export`, through the same document
//!   actors and group-commit writer as the server, so an import is durable, catalogued
//!   and gets its action references exactly as over the API;
//! - [`admin`]: `minutebook admin setup-link`, a new one-time administrator link;
//! - [`mod@verify`]: `minutebook verify FILE`, an exported signed version checked against
//!   the stored one (from the database or a running server), or offline against its
//!   signature and the published keys (`--key`);
//! - [`mod@keys`]: `minutebook keys list` and `rotate`, the signing keys.

mod admin;
mod import_export;
mod keys;
mod verify;
mod verify_offline;
mod verify_output;
mod verify_public;

use std::path::Path;

use anyhow::{bail, Context};
use minutebook_server::docs::registry::Registry;
use minutebook_server::docs::replica::CompactionPolicy;
use minutebook_server::store::{Store, WriterThread};
use minutebook_server::DB_FILE;

pub use admin::{admin_setup_link, AdminLinkArgs};
pub use import_export::{export, import, ExportArgs, ImportArgs};
pub use keys::{keys, KeysAction, KeysArgs};
pub use verify::VerifyArgs;
pub use verify_output::verify;

/// Opens the store for a command (refusing, with what to do instead, while a server
/// holds it).
pub(super) async fn open(data_dir: &Path) -> anyhow::Result<(Registry, WriterThread)> {
    let path = data_dir.join(DB_FILE);
    let shown = path.display().to_string();
    let opened = tokio::task::spawn_blocking(move || Store::open(&path))
        .await
        .context("opening the database")?;
    match opened {
        Ok((store, writer)) => Ok((Registry::new(store, CompactionPolicy::default()), writer)),
        Err(e) if e.is_in_use() => bail!(
            "the database {shown} is in use by a running server; use the HTTP API instead \
             (POST /api/meetings/import, GET /api/meetings/NAME/export.md) or stop the server"
        ),
        Err(e) => Err(e).with_context(|| format!("opening {shown}")),
    }
}

/// Waits for every document to be written and unloaded, then for the last commit.
pub(super) async fn close(registry: Registry, writer: WriterThread) {
    registry.wait_unloaded().await;
    drop(registry);
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
}
