//! Operational metrics in Prometheus' text format, served at `/metrics` on their own
//! address (`--metrics-listen`; off by default), never on the public listener: behind a
//! reverse proxy every request looks local, so a loopback check there would protect
//! nothing.
//!
//! The rooms below record through the `metrics` crate's macros with the names in
//! [`name`] (the only place they are spelt). Without `--metrics-listen` no recorder is
//! installed and every record is a no-op. The recorder is process-wide: servers started
//! in one process (tests) share it.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Every metric's name (and the labels some carry).
pub mod name {
    /// Gauge: open WebSocket connections.
    pub const CONNECTIONS: &str = "minutebook_connections";
    /// Gauge: documents loaded in memory (one actor each).
    pub const DOCUMENTS_LOADED: &str = "minutebook_documents_loaded";
    /// Histogram: write requests committed per durable transaction (group commit).
    pub const COMMIT_BATCH: &str = "minutebook_commit_batch_size";
    /// Histogram: seconds one group commit took, fsync included.
    pub const COMMIT_SECONDS: &str = "minutebook_commit_seconds";
    /// Counter: documents that met a disk failure and went on without storage until it
    /// healed.
    pub const STORAGE_OUTAGES: &str = "minutebook_storage_outages_total";
    /// Counter: group commits that failed (the storage could not write).
    pub const COMMIT_FAILURES: &str = "minutebook_commit_failures_total";
    /// Histogram: seconds from an update's arrival to its relay (after it is durable).
    pub const RELAY_LAG: &str = "minutebook_relay_lag_seconds";
    /// Counter: connections closed because their outbound queue was full.
    pub const SLOW_CLIENT_DISCONNECTS: &str = "minutebook_slow_client_disconnects_total";
    /// Counter: connections the server closed, by close code (label [`CODE`]).
    pub const CLOSES: &str = "minutebook_connection_closes_total";
    /// Counter: writes refused by role or state (signed minutes, a reader's update).
    pub const REFUSED_WRITES: &str = "minutebook_refused_writes_total";
    /// Counter: updates rejected as malformed or hostile, by reason (label [`REASON`]).
    pub const REJECTED_UPDATES: &str = "minutebook_rejected_updates_total";
    /// Counter: panics inside yrs on untrusted bytes, contained.
    pub const CONTAINED_PANICS: &str = "minutebook_contained_panics_total";
    /// Counter: sync messages refused as undecodable or too large (label [`REASON`]).
    pub const REJECTED_MESSAGES: &str = "minutebook_rejected_messages_total";

    /// Label: a WebSocket close code.
    pub const CODE: &str = "code";
    /// Label: why something was rejected.
    pub const REASON: &str = "reason";
}

/// Latency buckets, in seconds: from well under a millisecond to a few seconds.
const SECONDS: &[f64] = &[
    0.000_25, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Batch size buckets.
const BATCH: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
fn install() -> Result<PrometheusHandle, MetricsError> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(name::COMMIT_BATCH.into()), BATCH)
                })
                .map_err(|e| e.to_string())?;
            let recorder = built.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
            describe();
            Ok(handle)
        })
        .clone()
        .map_err(MetricsError::Recorder)
}

fn describe() {
    use metrics::Unit;
    use name::*;
    metrics::describe_gauge!(CONNECTIONS, "Open WebSocket connections");
    metrics::describe_gauge!(DOCUMENTS_LOADED, "Documents loaded in memory");
    metrics::describe_histogram!(
        COMMIT_BATCH,
        Unit::Count,
        "Write requests per durable transaction"
    );
    metrics::describe_histogram!(
        COMMIT_SECONDS,
        Unit::Seconds,
        "Time of one group commit, fsync included"
    );
    metrics::describe_counter!(COMMIT_FAILURES, "Group commits that failed");
    metrics::describe_counter!(
        STORAGE_OUTAGES,
        "Documents that met a disk failure and waited for the disk"
    );
    metrics::describe_histogram!(
        RELAY_LAG,
        Unit::Seconds,
        "Update arrival to relay, after it is durable"
    );
    metrics::describe_counter!(
        SLOW_CLIENT_DISCONNECTS,
        "Connections closed because their outbound queue was full"
    );
    metrics::describe_counter!(CLOSES, "Connections closed by the server, by code");
    metrics::describe_counter!(REFUSED_WRITES, "Writes refused by role or state");
    metrics::describe_counter!(
        REJECTED_UPDATES,
        "Updates rejected as malformed or hostile, by reason"
    );
    metrics::describe_counter!(CONTAINED_PANICS, "Contained panics on untrusted bytes");
    metrics::describe_counter!(
        REJECTED_MESSAGES,
        "Messages refused as undecodable or too large, by reason"
    );
}

/// Why the metrics endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot install the metrics recorder: {0}")]
    Recorder(String),
    #[error("cannot listen for metrics on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Installs the recorder and serves `/metrics` on `listen` until `shutdown`; returns the
/// bound address.
pub async fn serve(
    listen: SocketAddr,
    shutdown: CancellationToken,
) -> Result<SocketAddr, MetricsError> {
    let handle = install()?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| MetricsError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| MetricsError::Bind {
        addr: listen,
        source,
    })?;
    // Histograms keep their samples until upkeep folds them in.
    let upkeep = handle.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = every.tick() => upkeep.run_upkeep(),
            }
        }
    });
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                handle.run_upkeep();
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    tracing::info!(%addr, "serving metrics at /metrics");
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "metrics endpoint stopped");
        }
    });
    Ok(addr)
}

/// Counts one of something in a gauge while it lives (a connection, a loaded document).
pub struct Counted(&'static str);

impl Counted {
    /// Adds one to gauge `name` ([`name::CONNECTIONS`], [`name::DOCUMENTS_LOADED`]) until
    /// dropped.
    pub fn new(name: &'static str) -> Self {
        metrics::gauge!(name).increment(1.0);
        Counted(name)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}
