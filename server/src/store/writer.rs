//! The writer thread: group commit, whatever the engine. It takes every request queued
//! while the previous commit was being fsynced, hands them to the engine as one batch
//! ([`Engine::commit`]: one durable transaction), and answers each request once that is
//! durable; a request that fails fails alone.
//!
//! Pacing: a commit starts no sooner than [`StoreOptions::commit_interval`] after the
//! previous one started, and requests arriving in the meantime join it, unless
//! [`PACED_BATCH`] of them are already waiting. A lone write after a quiet spell commits
//! at once; under moderate load, commits (each an fsync and redb's per-transaction work,
//! which is where a durable server spends much of its CPU: BENCHMARKS.md, M8) are
//! bounded to one per interval; under heavy load, batches are large anyway.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::mpsc;

use super::engine::Engine;
use super::ops::{Completion, WriteOp};
use super::StoreOptions;
use crate::metrics::name;

/// Most write requests folded into one transaction.
const MAX_BATCH: usize = 4096;
/// Pacing waits for at most this many requests: a store this busy already shares its
/// fsyncs, and waiting longer would only add latency.
const PACED_BATCH: usize = 32;

pub(super) struct WriteRequest {
    pub(super) op: WriteOp,
    pub(super) reply: mpsc::UnboundedSender<Completion>,
}

/// Owns the writer thread; dropping every [`super::Store`] clone and then calling
/// [`WriterThread::join`] waits for the last commit.
pub struct WriterThread(pub(super) JoinHandle<()>);

impl WriterThread {
    /// Waits until every queued write is committed.
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("storage writer thread panicked");
        }
    }
}

pub(super) fn writer_loop(
    engine: &dyn Engine,
    rx: std_mpsc::Receiver<WriteRequest>,
    options: &StoreOptions,
) {
    let mut last_start: Option<Instant> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        if let Some(due) = last_start.map(|t| t + options.commit_interval) {
            gather_until(&rx, &mut batch, due);
        }
        if let Some(faults) = options.faults.as_ref().filter(|f| f.held()) {
            // Tests: while the writer is held, every request joins this one batch.
            for _ in &batch {
                faults.took_one();
            }
            loop {
                match rx.recv_timeout(std::time::Duration::from_millis(2)) {
                    Ok(req) => {
                        faults.took_one();
                        batch.push(req);
                    }
                    Err(std_mpsc::RecvTimeoutError::Timeout) if faults.held() => {}
                    Err(_) => break,
                }
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(req) => batch.push(req),
                Err(_) => break,
            }
        }
        let ops: Vec<&WriteOp> = batch.iter().map(|r| &r.op).collect();
        let started = Instant::now();
        last_start = Some(started);
        let done = engine.commit(&ops);
        metrics::histogram!(name::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::histogram!(name::COMMIT_BATCH).record(batch.len() as f64);
        if done.iter().all(|d| d.is_err()) {
            metrics::counter!(name::COMMIT_FAILURES).increment(1);
        }
        for (req, done) in batch.iter().zip(done) {
            let _ = req.reply.send(done);
        }
    }
}

/// Adds to `batch` what arrives before `due`, until it holds [`PACED_BATCH`] requests.
fn gather_until(
    rx: &std_mpsc::Receiver<WriteRequest>,
    batch: &mut Vec<WriteRequest>,
    due: Instant,
) {
    while batch.len() < PACED_BATCH {
        let now = Instant::now();
        if now >= due {
            return;
        }
        match rx.recv_timeout(due - now) {
            Ok(req) => batch.push(req),
            Err(_) => return,
        }
    }
}
