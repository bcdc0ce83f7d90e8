//! The audit logs: `GET /api/meetings/{name}/audit` (the chair, minute-takers and
//! administrators) and `GET /api/audit` (administrators: every meeting's and the events
//! outside any meeting).
//!
//! JSON answers are pages, oldest entry first: the newest `limit` entries (default
//! [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]) numbered below `before` (default: all). When
//! older entries exist the answer carries `Link: <…?before=SEQ&limit=N>; rel="next"`, SEQ
//! being the oldest sequence number of the page. `?format=csv` downloads the whole log.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::trust::AuditEntry;
use serde::Deserialize;

use crate::auth::Caller;
use crate::http::access::require;
use crate::http::error::{download, ApiError};
use crate::http::state::AppState;
use crate::meetings;

/// Entries in a page when the request does not say.
pub const DEFAULT_LIMIT: usize = 500;
/// Most entries in a page.
pub const MAX_LIMIT: usize = 5_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/meetings/{name}/audit", get(audit_log))
        .route("/api/audit", get(global_audit_log))
}

#[derive(Deserialize)]
struct AuditQuery {
    format: Option<String>,
    before: Option<u64>,
    limit: Option<usize>,
}

/// A meeting's audit log.
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let access = require(&state, &caller, &name, "read the audit log").await?;
    if !access.audits() {
        crate::http::access::refuse(
            &state,
            &caller,
            &name,
            "read the audit log: not chair or minute-taker",
        )
        .await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the chair, minute-takers and administrators may read the audit log",
        ));
    }
    let path = format!("/api/meetings/{name}/audit");
    answer(
        &state,
        Some(&name),
        &path,
        &query,
        format!("{name}-audit.csv"),
    )
    .await
}

/// Administrators: the whole audit log, every meeting's and the events outside any
/// meeting (setup, refused sign-ins).
async fn global_audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    crate::http::access::require_admin(&state, &caller, "", "read the whole audit log").await?;
    answer(
        &state,
        None,
        "/api/audit",
        &query,
        "minutebook-audit.csv".into(),
    )
    .await
}

/// The CSV download, or a page of JSON with its `Link` to the next (older) one.
async fn answer(
    state: &AppState,
    meeting: Option<&str>,
    path: &str,
    query: &AuditQuery,
    csv_name: String,
) -> Result<Response, ApiError> {
    if query.format.as_deref() == Some("csv") {
        let entries = meetings::records::audit(&state.registry, meeting).await?;
        return Ok(download(
            super::audit_csv::csv(&entries),
            "text/csv; charset=utf-8",
            csv_name,
        ));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let before = query.before.unwrap_or(u64::MAX);
    let (entries, more) =
        meetings::records::audit_page(&state.registry, meeting, before, limit).await?;
    let next = more.then(|| next_link(path, &entries, limit)).flatten();
    let mut response = Json(entries).into_response();
    if let Some(link) = next {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `<PATH?before=SEQ&limit=N>; rel="next"`, SEQ being the oldest entry of `page`.
fn next_link(path: &str, page: &[AuditEntry], limit: usize) -> Option<HeaderValue> {
    let oldest = page.first()?.seq;
    // The meeting name in `path` passed the name check: no character a header refuses.
    HeaderValue::from_str(&format!(
        "<{path}?before={oldest}&limit={limit}>; rel=\"next\""
    ))
    .ok()
}
