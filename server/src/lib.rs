//! Minutebook's sync server, in one downward stack of rooms (each imports only the rooms
//! below it):
//!
//! - [`http`]: the transport. The router (`/healthz`, the WebSocket endpoint, the API
//!   under `/api`, the web client's files), its accept loop with connection caps and
//!   timeouts, client addresses, the sign-in rate limit, security headers, per-meeting
//!   access and the cross-site check; one file per group of handlers; [`http::ws`] runs
//!   one WebSocket connection.
//! - [`meetings`]: the use cases shared by the API, the command line and [`demo`] (list,
//!   create, import, read, export; signed versions and the audit log; a series' action
//!   log). The transport reads stored records only through these or the actors.
//! - [`docs`]: one actor task per loaded document ([`docs::actor`]), found or started by
//!   [`docs::registry`] and spoken to through [`docs::messages`]; beside it the rules it
//!   applies: untrusted updates ([`docs::updates`], [`docs::guard`]), presence, the
//!   ledger, side records, signed-version rendering, CPU work off the async workers.
//! - [`auth`]: identity (server secret, setup and invitation links, sessions), the live
//!   sessions whose connections close when they end, and repeated refusals counted for
//!   the audit log.
//! - [`store`]: the storage boundary — the `Store` API over an engine (redb, in the only
//!   room that touches redb), group commit, the audit log's and the meeting catalog's
//!   stored entries.
//! - [`config`]: flags and environment variables, handed down from the top.
//! - [`metrics`]: the names of the operational metrics and their own `/metrics` listener.
//!
//! [`start`] runs a server on a listener; [`RunningServer::shutdown`] stops it gracefully.

pub mod auth;
pub mod config;
pub mod demo;
pub mod docs;
pub mod http;
pub mod meetings;
pub mod metrics;
pub mod store;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::ServerConfig;

use docs::registry;

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "minutebook.redb";

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("cannot load the demo meeting: {0}")]
    Demo(String),
    #[error("cannot set up identity: {0}")]
    Auth(#[from] auth::AuthError),
    #[error("cannot set up the signing key: {0}")]
    Signing(#[from] auth::signing::SigningError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
}

/// A server running in the background.
pub struct RunningServer {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    setup_link: Option<String>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), ServerError>>,
}

impl RunningServer {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address `/metrics` is served on, when `--metrics-listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The one-time administrator setup link, printed at start while no administrator
    /// exists.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// A token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops accepting, closes every connection (1001), waits for every document to
    /// flush and unload, and waits for the last commit.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Waits until the server stops (after its shutdown token is cancelled).
    pub async fn wait(self) -> Result<(), ServerError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ServerError::Serve(std::io::Error::other(e))),
        }
    }
}

/// Deletes expired sessions and setup links now and then every hour, until shutdown.
async fn sweep_expired(auth: auth::Auth, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => match auth.sweep(minutebook_shared::time::now_ms()).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "deleted expired sessions and setup links"),
                Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
            },
        }
    }
}

/// Opens the store, binds `config.listen` and serves in a background task, without a
/// renderer (signed versions get Markdown and HTML only).
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    start_rendering(config, None).await
}

/// [`start`], with the renderer of signed versions' PDF and Word outputs (the `minutebook`
/// binary passes `minutebook-render`'s): versions without outputs are rendered in the
/// background at start, and each new version right after its sign-off.
pub async fn start_rendering(
    config: ServerConfig,
    renderer: Option<docs::outputs::Renderer>,
) -> Result<RunningServer, ServerError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let db_path = config.data_dir.join(DB_FILE);
    let options = store::StoreOptions {
        commit_interval: std::time::Duration::from_millis(config.commit_interval_ms),
        faults: config.storage_faults.clone(),
    };
    let (store, writer) =
        tokio::task::spawn_blocking(move || store::Store::open_with(&db_path, &options))
            .await
            .map_err(|e| ServerError::Store(store::StoreError::from_join(e)))??;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    let shutdown = CancellationToken::new();
    let metrics_addr = match config.metrics_listen {
        Some(listen) => Some(metrics::serve(listen, shutdown.clone()).await?),
        None => None,
    };
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let auth = auth::Auth::open(store.clone(), &public_url)
        .await?
        .with_session_ms(config.session_seconds.saturating_mul(1000));
    let signer = auth::signing::Signer::open(store.clone()).await?;
    let setup_link = if auth.has_admin()? {
        None
    } else {
        Some(auth.setup_link().await?)
    };
    docs::cpu::configure(config.cpu_tasks);
    let refusals = auth::refusals::Refusals::new(config.refusals());
    let registry = registry::Registry::with(
        store,
        config.compaction(),
        config.ledger_budget(),
        refusals.clone(),
    );
    if config.demo {
        let demo = demo::load_if_empty(&registry)
            .await
            .map_err(|e| ServerError::Demo(e.to_string()))?;
        if let Some(made) = demo {
            // Like a meeting imported through the API: the next meeting of its series
            // agrees its minutes.
            if let Err(e) = auth.add_to_series(&made.series, &made.name).await {
                tracing::warn!(doc = %made.name, error = %e, "the demo meeting did not join its series");
            }
        }
    }
    match meetings::records::sign_missing(&registry, &signer, None).await {
        Ok(0) => {}
        Ok(signed) => tracing::info!(signed, "signed the versions that had no signature"),
        Err(e) => tracing::warn!(error = %e, "could not sign the versions without a signature"),
    }
    match meetings::approval::sign_missing(&registry, &signer).await {
        Ok(0) => {}
        Ok(signed) => tracing::info!(signed, "signed the approvals that had no signature"),
        Err(e) => tracing::warn!(error = %e, "could not sign the approvals without a signature"),
    }
    let house = {
        let (store, config) = (registry.store().clone(), config.clone());
        tokio::task::spawn_blocking(move || {
            let flags = meetings::branding::Flags::of(&config);
            meetings::branding::HouseState::load(&store, flags)
        })
        .await
        .map_err(|e| ServerError::Store(store::StoreError::from_join(e)))??
    };
    let state = http::state::AppState {
        registry: registry.clone(),
        auth,
        signer,
        limits: config.limits(),
        shutdown: shutdown.clone(),
        connections: TaskTracker::new(),
        sign_in: http::sign_in_limit::SignInLimiter::new(config.sign_in()),
        max_import_bytes: config.max_import_bytes,
        max_verify_bytes: config.max_verify_bytes,
        refusals,
        renderer: renderer.clone(),
        house,
        public_pages: Default::default(),
        public_versions: Default::default(),
    };
    if let Some(renderer) = renderer {
        let registry = registry.clone();
        tokio::spawn(async move {
            match meetings::outputs::render_missing(&registry, &renderer, None).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(versions = n, "rendered the outputs of earlier versions"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not render the outputs of earlier versions")
                }
            }
        });
    }
    let mut edge = config.edge();
    edge.max_connections = http::fd_limit::fit(edge.max_connections, http::fd_limit::raise());
    tracing::info!(
        max_connections = edge.max_connections,
        per_address = edge.max_per_address,
        keepalive_ms = edge.keepalive_timeout.as_millis() as u64,
        header_ms = edge.header_timeout.as_millis() as u64,
        trusted_proxies = ?edge.trusted_proxies,
        "connection limits"
    );
    let security = http::headers::SecurityHeaders::new(&config.web_dir, &public_url);
    let connections = state.connections.clone();
    let sweeper = tokio::spawn(sweep_expired(state.auth.clone(), shutdown.clone()));
    let refusals = tokio::spawn(
        state
            .refusals
            .clone()
            .run(state.auth.store().clone(), shutdown.clone()),
    );
    let app = http::router(state, &config.web_dir);
    let token = shutdown.clone();
    tracing::info!(%addr, data_dir = %config.data_dir.display(), web_dir = %config.web_dir.display(), "serving");
    let task = tokio::spawn(async move {
        http::accept::serve(listener, app, edge, security, token).await;
        // Upgraded WebSockets outlive hyper's connections: wait for them to close (the
        // shutdown token makes each one send 1001), then for the actors to flush.
        connections.close();
        if tokio::time::timeout(Duration::from_secs(10), connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close within 10 s");
        }
        registry.wait_unloaded().await;
        drop(registry);
        sweeper.await.ok();
        refusals.await.ok();
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .ok();
        tracing::info!("server stopped; all writes flushed");
        Ok(())
    });
    Ok(RunningServer {
        addr,
        metrics_addr,
        setup_link,
        shutdown,
        task,
    })
}
