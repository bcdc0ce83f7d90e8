//! The HTTP surface: `/healthz`, the WebSocket endpoint `/ws/{doc}` and the web client's
//! static files.

use std::sync::Arc;

use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::protocol::SUBPROTOCOL;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::services::{ServeDir, ServeFile};

use crate::connection::{self, ConnectionLimits};
use crate::registry::Registry;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub limits: ConnectionLimits,
    pub shutdown: CancellationToken,
    /// Tracks live WebSocket connections so shutdown can wait for them.
    pub connections: TaskTracker,
}

/// Builds the router; `web_dir` holds the built web client (index.html + wasm).
pub fn router(state: AppState, web_dir: &std::path::Path) -> Router {
    let index = web_dir.join("index.html");
    let statics = ServeDir::new(web_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws/{doc}", get(websocket))
        .fallback_service(statics)
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "docs_loaded": state.registry.loaded() }))
}

/// A document name: 1–128 characters from `[A-Za-z0-9._-]`.
fn valid_doc_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn websocket(
    ws: WebSocketUpgrade,
    Path(doc): Path<String>,
    State(state): State<AppState>,
) -> Response {
    if !valid_doc_name(&doc) {
        return (
            StatusCode::BAD_REQUEST,
            "document names are 1-128 characters of A-Z a-z 0-9 . _ -",
        )
            .into_response();
    }
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server shutting down").into_response();
    }
    let max = state.limits.max_message_bytes;
    let doc: Arc<str> = doc.into();
    ws.protocols([SUBPROTOCOL])
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let acks = socket
                .protocol()
                .is_some_and(|p| p.as_bytes() == SUBPROTOCOL.as_bytes());
            let tracker = state.connections.clone();
            tracker.track_future(connection::serve(
                socket,
                doc,
                acks,
                state.registry,
                state.limits,
                state.shutdown,
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::valid_doc_name;

    #[test]
    fn doc_names() {
        assert!(valid_doc_name("welcome"));
        assert!(valid_doc_name("2022-01.assurance_meeting"));
        assert!(!valid_doc_name(""));
        assert!(!valid_doc_name("../etc"));
        assert!(!valid_doc_name(&"a".repeat(129)));
    }
}
