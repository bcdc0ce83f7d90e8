//! The transport: the router (`/healthz`, the WebSocket endpoint `/ws/{doc}`, the API
//! under `/api`, the web client's static files). Every path that names a meeting is
//! checked by [`names`] before anything else runs.
//!
//! - handlers, one file per group: [`meetings_api`], [`ledger_api`], [`session_api`],
//!   [`action_log`], [`approval_api`], [`outputs_api`], [`publication_api`],
//!   [`audit_api`], with [`audit_csv`] for the audit downloads and [`public_site`] for the published minutes
//!   (no sign-in); [`ws`] runs one
//!   WebSocket connection;
//! - what they share: [`state`] ([`state::AppState`]), [`error`] (the one `ApiError`,
//!   JSON bodies, downloads), [`access`] (the caller's access to a meeting, refusals
//!   audited), [`credentials`] (bearer token or cookie), [`origin`] (the cross-site
//!   check);
//! - around the router: [`accept`] (the accept loop: connection caps and timeouts),
//!   [`caps`], [`client_addr`] (who is calling, `--trusted-proxy`), [`sign_in_limit`],
//!   [`headers`] (security headers on every response) and [`fd_limit`].

pub mod accept;
pub mod access;
pub mod action_log;
pub mod approval_api;
pub mod audit_api;
pub mod audit_csv;
pub mod branding_api;
pub mod caps;
pub mod client_addr;
pub mod credentials;
pub mod error;
pub mod fd_limit;
pub mod headers;
pub mod ledger_api;
pub mod meetings_api;
pub mod names;
pub mod origin;
pub mod outputs_api;
pub mod page_cache;
pub mod part2_api;
pub mod public_site;
pub mod publication_api;
pub mod session_api;
pub mod sign_in_limit;
pub mod state;
pub mod ws;

use std::sync::Arc;

use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::protocol::{valid_doc_name, PART2_SEGMENT, SUBPROTOCOL};
use tower_http::services::{ServeDir, ServeFile};

use crate::docs::messages::Part;
use state::AppState;

/// Bytes a WebSocket reads from its socket at a time. tungstenite's default, 128 KiB,
/// is allocated for every connection up front and was most of an idle connection's
/// memory (148 KiB each; 14.9 KiB with this, 10,000 connections, see BENCHMARKS.md).
/// Larger messages are still read whole, in steps of this size.
const READ_BUFFER: usize = 1024;

/// Builds the router; `web_dir` holds the built web client (index.html + wasm).
pub fn router(state: AppState, web_dir: &std::path::Path) -> Router {
    let index = web_dir.join("index.html");
    let statics = ServeDir::new(web_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws/{doc}", get(websocket))
        .route(
            &format!("/ws/{{doc}}/{PART2_SEGMENT}"),
            get(websocket_part2),
        )
        .merge(crate::http::part2_api::routes())
        .merge(crate::http::branding_api::routes())
        .merge(crate::http::session_api::routes())
        .merge(crate::http::ledger_api::routes(state.max_verify_bytes))
        .merge(crate::http::audit_api::routes())
        .merge(crate::http::approval_api::routes())
        .merge(crate::http::outputs_api::routes())
        .merge(crate::http::publication_api::routes())
        .merge(crate::http::public_site::routes())
        .merge(crate::http::action_log::routes())
        .merge(crate::http::meetings_api::routes(
            state.limits.max_message_bytes,
            state.max_import_bytes,
        ))
        .fallback_service(statics)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::origin::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sign_in_limit::SignInGuard {
                limiter: state.sign_in.clone(),
                store: state.auth.store().clone(),
            },
            sign_in_limit::limit,
        ))
        // Outermost: a request naming an invalid meeting is refused before anything
        // (the cross-site check included) looks at it or audits it.
        .layer(axum::middleware::from_fn(names::refuse_invalid_names))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "docs_loaded": state.registry.loaded() }))
}

async fn websocket(
    ws: WebSocketUpgrade,
    Path(doc): Path<String>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    upgrade(ws, doc, Part::Minutes, state, headers).await
}

/// `/ws/{doc}/restricted`: the meeting's Part II document, for restricted access only.
async fn websocket_part2(
    ws: WebSocketUpgrade,
    Path(doc): Path<String>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    upgrade(ws, doc, Part::Restricted, state, headers).await
}

async fn upgrade(
    ws: WebSocketUpgrade,
    doc: String,
    part: Part,
    state: AppState,
    headers: HeaderMap,
) -> Response {
    // The name was checked by [`names`] before routing; this is a second line.
    if !valid_doc_name(&doc) {
        return (StatusCode::BAD_REQUEST, names::INVALID_NAME).into_response();
    }
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server shutting down").into_response();
    }
    // Authenticate before upgrading: a refused upgrade is an HTTP answer, not a close
    // (which would make Yjs clients reconnect in a tight loop).
    let caller = match crate::http::credentials::caller(&state.auth, &headers) {
        Ok(caller) => caller,
        Err(e) => {
            tracing::error!(error = %e, "resolving credentials failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not check credentials",
            )
                .into_response();
        }
    };
    if !caller.signed_in() {
        crate::http::access::refuse(
            &state,
            &caller,
            &doc,
            "WebSocket upgrade without credentials",
        )
        .await;
        return (
            StatusCode::UNAUTHORIZED,
            "sign in with your invitation link first",
        )
            .into_response();
    }
    let Some(access) = caller.access(&doc) else {
        crate::http::access::refuse(
            &state,
            &caller,
            &doc,
            "WebSocket upgrade without access to the meeting",
        )
        .await;
        return (StatusCode::FORBIDDEN, "you have no access to this meeting").into_response();
    };
    if part == Part::Restricted && !access.restricted {
        crate::http::access::refuse(
            &state,
            &caller,
            &doc,
            "Part II WebSocket upgrade without restricted access",
        )
        .await;
        return (
            StatusCode::FORBIDDEN,
            "Part II of the minutes is for restricted access only",
        )
            .into_response();
    }
    let max = state.limits.max_message_bytes;
    let doc: Arc<str> = doc.into();
    // Closes the connection when the session is signed out, renewed or expires.
    let lease = match &caller.session {
        Some(hash) => state.auth.live().lease(hash, caller.expires_at),
        None => crate::auth::live::Lease::unbounded(),
    };
    ws.protocols([SUBPROTOCOL])
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| {
            let acks = socket
                .protocol()
                .is_some_and(|p| p.as_bytes() == SUBPROTOCOL.as_bytes());
            let tracker = state.connections.clone();
            tracker.track_future(ws::serve(
                socket,
                doc,
                part,
                acks,
                access,
                lease,
                state.registry,
                state.limits,
                state.shutdown,
            ))
        })
}
