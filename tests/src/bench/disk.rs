//! The storage floor: how long one durable append takes on the disk the server writes
//! to, measured just before a run (a 4 KiB append + `fdatasync`, repeated). A durable
//! acknowledgement cannot be faster than one of these.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::stats::{Samples, Summary};

/// Appends 4 KiB and `fdatasync`s `count` times in a fresh file under `dir`.
pub async fn fsync_probe(dir: &Path, count: usize) -> Result<Summary> {
    let path = dir.join("fsync-probe");
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let block = [0x5au8; 4096];
        let mut samples = Samples::default();
        for _ in 0..count {
            let start = Instant::now();
            file.write_all(&block)?;
            file.sync_data()?;
            samples.push(start.elapsed());
        }
        drop(file);
        std::fs::remove_file(&path)?;
        samples.summary().context("no fsync samples")
    })
    .await?
}
