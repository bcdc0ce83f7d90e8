//! [`AppState`]: what every request handler can reach. In its own file so that the
//! router ([`crate::http`]) imports the handlers and the handlers import this, never the
//! router.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::signing::Signer;
use crate::auth::Auth;
use crate::docs::registry::Registry;
use crate::http::sign_in_limit;
use crate::http::ws::ConnectionLimits;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub auth: Auth,
    /// Signs signed versions ([`crate::auth::signing`]).
    pub signer: Signer,
    pub limits: ConnectionLimits,
    pub shutdown: CancellationToken,
    /// Tracks live WebSocket connections so shutdown can wait for them.
    pub connections: TaskTracker,
    /// The per-address sign-in rate limit.
    pub sign_in: sign_in_limit::SignInLimiter,
    /// Largest imported file, in bytes (`--max-import-bytes`).
    pub max_import_bytes: usize,
    /// Largest file `POST /api/verify` reads, in bytes (`--max-verify-bytes`).
    pub max_verify_bytes: usize,
    /// Aggregates repeated refusals for the audit log.
    pub refusals: crate::auth::refusals::Refusals,
    /// Renders signed versions' PDF and Word outputs (`None`: Markdown and HTML only).
    pub renderer: Option<crate::docs::outputs::Renderer>,
    /// The organisation's branding in force ([`crate::meetings::branding`]): its name on
    /// the published pages, its name, logo and footer on the renderings.
    pub house: crate::meetings::branding::HouseState,
    /// Published pages recently rendered ([`crate::http::page_cache`]).
    pub public_pages: crate::http::page_cache::PageCache,
    /// Published versions recently read, decoded ([`crate::http::page_cache`]).
    pub public_versions: crate::http::page_cache::VersionCache,
}
