//! The B4 editing trace and final document (see `shared/data/README.md`): parsing the
//! trace, turning each operation into the v1 update a real editor would send, and the
//! raw-yrs baseline (decode + apply every update, no network).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use yrs::encoding::read::{Cursor, Read};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::{ClientID, Doc, GetString, OffsetKind, Options, Text, Transact, Update};

/// File names inside the data directory.
pub const TRACE_FILE: &str = "b4-editing-trace.bin";
pub const UPDATE_FILE: &str = "b4-update.bin";
/// Operations in the trace, and characters in the final text (per the data README).
pub const OPS: usize = 259_778;
pub const FINAL_CHARS: usize = 104_852;

/// One edit: insert `text` at character `index`, or delete `len` characters from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Insert { index: u32, text: String },
    Delete { index: u32, len: u32 },
}

/// A document whose text offsets count UTF-16 units, like the JavaScript editor that
/// recorded the trace (identical to characters for text within the BMP).
pub fn doc(client_id: u64) -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(client_id),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// Parses the trace file.
pub fn load_ops(data_dir: &Path) -> Result<Vec<Op>> {
    let path = data_dir.join(TRACE_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut decoder = DecoderV1::new(Cursor::new(&bytes));
    let count: usize = decoder.read_var().context("trace: bad count")?;
    let mut ops = Vec::with_capacity(count);
    for i in 0..count {
        let tag: u8 = decoder
            .read_var()
            .with_context(|| format!("trace op {i}: bad tag"))?;
        let index: u32 = decoder
            .read_var()
            .with_context(|| format!("trace op {i}: bad index"))?;
        ops.push(match tag {
            1 => Op::Insert {
                index,
                text: decoder
                    .read_string()
                    .with_context(|| format!("trace op {i}: bad text"))?
                    .to_string(),
            },
            2 => Op::Delete {
                index,
                len: decoder
                    .read_var()
                    .with_context(|| format!("trace op {i}: bad length"))?,
            },
            other => bail!("trace op {i}: unknown tag {other}"),
        });
    }
    ensure!(ops.len() == OPS, "expected {OPS} ops, found {}", ops.len());
    Ok(ops)
}

/// The final text, from `b4-update.bin`, and that file's bytes.
pub fn load_final(data_dir: &Path) -> Result<(String, Vec<u8>)> {
    let path = data_dir.join(UPDATE_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let text = text_of_updates(std::slice::from_ref(&bytes))?;
    ensure!(
        text.chars().count() == FINAL_CHARS,
        "b4-update.bin holds {} chars, not {FINAL_CHARS}",
        text.chars().count()
    );
    Ok((text, bytes))
}

/// Applies v1 updates to a fresh document and returns its root text.
pub fn text_of_updates(updates: &[Vec<u8>]) -> Result<String> {
    let doc = doc(0x5eed);
    let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
    for u in updates {
        doc.transact_mut().apply_update(Update::decode_v1(u)?)?;
    }
    let txn = doc.transact();
    Ok(text.get_string(&txn))
}

/// The v1 update each operation produces when applied to the writer's local document,
/// one transaction per operation; checks the result against `final_text`.
pub fn updates_of(ops: &[Op], final_text: &str) -> Result<Vec<Vec<u8>>> {
    let doc = doc(1);
    let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
    let mut updates = Vec::with_capacity(ops.len());
    for op in ops {
        let mut txn = doc.transact_mut();
        match op {
            Op::Insert { index, text: s } => text.insert(&mut txn, *index, s),
            Op::Delete { index, len } => text.remove_range(&mut txn, *index, *len),
        }
        updates.push(txn.encode_update_v1());
    }
    ensure!(
        text.get_string(&doc.transact()) == final_text,
        "replaying the trace does not give b4-update.bin's text"
    );
    Ok(updates)
}

/// Baseline: decode and apply every update to a fresh document, one transaction each
/// (what the reader does, minus the network). Returns the time taken.
pub fn raw_apply(updates: &[Vec<u8>], final_text: &str) -> Result<Duration> {
    let doc = doc(2);
    let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
    let start = Instant::now();
    for u in updates {
        doc.transact_mut().apply_update(Update::decode_v1(u)?)?;
    }
    let elapsed = start.elapsed();
    ensure!(
        text.get_string(&doc.transact()) == final_text,
        "raw apply did not converge"
    );
    Ok(elapsed)
}

/// Baseline for a cold load: decode + apply `b4-update.bin` into a fresh document and
/// encode the full state again (what a server must do before its SyncStep2).
pub fn raw_load(update: &[u8]) -> Result<Duration> {
    let start = Instant::now();
    let doc = doc(3);
    doc.transact_mut()
        .apply_update(Update::decode_v1(update)?)?;
    let diff = yrs::ReadTxn::encode_diff_v1(&doc.transact(), &yrs::StateVector::default());
    let elapsed = start.elapsed();
    ensure!(!diff.is_empty(), "empty document");
    Ok(elapsed)
}
