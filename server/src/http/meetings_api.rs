//! The meetings HTTP API (JSON; errors are `{"error": "..."}`):
//!
//! - `GET  /api/meetings` → `[{"name","title","series","date","status"}]`
//! - `POST /api/meetings` `{"title","series","from"}` → 201 `{"name"}`
//! - `POST /api/meetings/import?format=legacy|markdown` (text body) → 201 `{"name"}`,
//!   422 `{"error": "line N: what"}`, 413 when the body is larger than the import limit
//!   (`--max-import-bytes`)
//! - `GET  /api/meetings/{name}/export.md` and `/export.html` (downloads)
//!
//! Writes answer only once durable (see [`crate::meetings`]). Listing shows the meetings
//! the caller may open; creating and importing are for administrators; exporting needs
//! access to the meeting.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::auth::Caller;
use crate::http::access::{require, require_admin};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::meetings::{self, ExportFormat, ImportFormat, MeetingError};

/// The API routes; request bodies are limited to `max_body` bytes, imported files to
/// `max_import` bytes.
pub fn routes(max_body: usize, max_import: usize) -> Router<AppState> {
    Router::new()
        .route("/api/meetings", get(list).post(create))
        .route(
            "/api/meetings/import",
            post(import).layer(DefaultBodyLimit::max(max_import)),
        )
        .route("/api/meetings/{name}/export.md", get(export_md))
        .route("/api/meetings/{name}/export.html", get(export_html))
        .route("/api/{*rest}", any(unknown))
        .layer(DefaultBodyLimit::max(max_body))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    ApiError::new(status, message).into_response()
}

async fn unknown() -> Response {
    error(StatusCode::NOT_FOUND, "no such API endpoint")
}

/// The meetings the caller may open (administrators: all).
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if !caller.signed_in() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign in with your invitation link first",
        ));
    }
    let all = meetings::list(&state.registry).await.map_err(api_error)?;
    let visible: Vec<_> = all
        .into_iter()
        .filter(|m| caller.access(&m.name).is_some())
        .collect();
    Ok(Json(visible).into_response())
}

fn api_error(e: MeetingError) -> ApiError {
    tracing::error!(error = %e, "listing meetings failed");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

#[derive(Deserialize)]
struct CreateRequest {
    #[serde(default)]
    title: String,
    #[serde(default)]
    series: String,
    #[serde(default)]
    from: Option<String>,
}

fn created(name: String) -> Response {
    (
        StatusCode::CREATED,
        Json(serde_json::json!({ "name": name })),
    )
        .into_response()
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<Response, Response> {
    require_admin(&state, &caller, "", "create a meeting")
        .await
        .map_err(IntoResponse::into_response)?;
    create_meeting(state, body)
        .await
        .map_err(IntoResponse::into_response)
}

async fn create_meeting(
    state: AppState,
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<Response, MeetingError> {
    let Json(req) = body.map_err(|e| MeetingError::BadRequest(e.body_text()))?;
    let from = req.from.as_deref().filter(|f| !f.is_empty());
    let made = meetings::create(&state.registry, &req.title, &req.series, from).await?;
    join_series(&state, &made).await;
    Ok(created(made.name))
}

/// Adds a new meeting to its series' membership ([`crate::auth::series`]). The meeting
/// exists either way: on failure its series' members reach it once an administrator
/// invites to the series from it.
async fn join_series(state: &AppState, made: &meetings::Created) {
    if let Err(e) = state.auth.add_to_series(&made.series, &made.name).await {
        tracing::warn!(doc = %made.name, series = %made.series, error = %e, "the meeting did not join its series");
    }
}

#[derive(Deserialize)]
struct ImportQuery {
    format: Option<String>,
}

async fn import(
    State(state): State<AppState>,
    caller: Caller,
    query: Query<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Response> {
    require_admin(&state, &caller, "", "import a meeting")
        .await
        .map_err(IntoResponse::into_response)?;
    import_meeting(state, query, body)
        .await
        .map_err(IntoResponse::into_response)
}

async fn import_meeting(
    state: AppState,
    Query(query): Query<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, MeetingError> {
    let format = match query.format.as_deref() {
        None | Some("") => ImportFormat::Legacy,
        Some(f) => ImportFormat::parse(f).ok_or_else(|| {
            MeetingError::BadRequest(format!("unknown format {f:?}: use legacy or markdown"))
        })?,
    };
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                "the file is larger than the import limit of {} bytes (setting --max-import-bytes)",
                state.max_import_bytes
            ),
            ))
        }
        Err(e) => return Ok(error(e.status(), e.body_text())),
    };
    let text = std::str::from_utf8(&body)
        .map_err(|e| MeetingError::Unprocessable(format!("the text is not UTF-8: {e}")))?;
    let made = meetings::import(&state.registry, text, format, None).await?;
    join_series(&state, &made).await;
    Ok(created(made.name))
}

async fn export_md(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let access = require(&state, &caller, &name, "export the minutes")
        .await
        .map_err(IntoResponse::into_response)?;
    download(&state, &name, ExportFormat::Markdown, access.restricted)
        .await
        .map_err(IntoResponse::into_response)
}

async fn export_html(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let access = require(&state, &caller, &name, "export the minutes")
        .await
        .map_err(IntoResponse::into_response)?;
    download(&state, &name, ExportFormat::Html, access.restricted)
        .await
        .map_err(IntoResponse::into_response)
}

/// The export of `name` in `format`; without `restricted` access, its public version when
/// it holds exempt items.
async fn download(
    state: &AppState,
    name: &str,
    format: ExportFormat,
    restricted: bool,
) -> Result<Response, MeetingError> {
    let body = meetings::export_for(
        &state.registry,
        Some(&state.signer),
        name,
        format,
        restricted,
    )
    .await?;
    let (mime, ext) = match format {
        ExportFormat::Markdown => ("text/markdown; charset=utf-8", "md"),
        ExportFormat::Html => ("text/html; charset=utf-8", "html"),
    };
    // `name` is a valid document name here (A-Z a-z 0-9 . _ -): safe inside quotes.
    Ok(crate::http::error::download(
        body,
        mime,
        format!("{name}.{ext}"),
    ))
}
