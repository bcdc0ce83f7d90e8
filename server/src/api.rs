//! The meetings HTTP API (JSON; errors are `{"error": "..."}`):
//!
//! - `GET  /api/meetings` → `[{"name","title","series","date","status"}]`
//! - `POST /api/meetings` `{"title","series","from"}` → 201 `{"name"}`
//! - `POST /api/meetings/import?format=legacy|markdown` (text body) → 201 `{"name"}`,
//!   422 `{"error": "line N: what"}`
//! - `GET  /api/meetings/{name}/export.md` and `/export.html` (downloads)
//!
//! Writes answer only once durable (see [`crate::meetings`]).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::http::AppState;
use crate::meetings::{self, ExportFormat, ImportFormat, MeetingError};

/// The API routes; request bodies are limited to `max_body` bytes.
pub fn routes(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/api/meetings", get(list).post(create))
        .route("/api/meetings/import", post(import))
        .route("/api/meetings/{name}/export.md", get(export_md))
        .route("/api/meetings/{name}/export.html", get(export_html))
        .route("/api/{*rest}", any(unknown))
        .layer(DefaultBodyLimit::max(max_body))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

impl IntoResponse for MeetingError {
    fn into_response(self) -> Response {
        let status = match &self {
            MeetingError::BadRequest(_) => StatusCode::BAD_REQUEST,
            MeetingError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            MeetingError::NotFound(_) => StatusCode::NOT_FOUND,
            MeetingError::Exists(_) => StatusCode::CONFLICT,
            MeetingError::Store(_) | MeetingError::Apply(_) => {
                tracing::error!(error = %self, "meeting request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        error(status, self.to_string())
    }
}

async fn unknown() -> Response {
    error(StatusCode::NOT_FOUND, "no such API endpoint")
}

async fn list(State(state): State<AppState>) -> Result<Response, MeetingError> {
    Ok(Json(meetings::list(&state.registry).await?).into_response())
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
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<Response, MeetingError> {
    let Json(req) = body.map_err(|e| MeetingError::BadRequest(e.body_text()))?;
    let from = req.from.as_deref().filter(|f| !f.is_empty());
    let name = meetings::create(&state.registry, &req.title, &req.series, from).await?;
    Ok(created(name))
}

#[derive(Deserialize)]
struct ImportQuery {
    format: Option<String>,
}

async fn import(
    State(state): State<AppState>,
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
        Err(e) => return Ok(error(e.status(), e.body_text())),
    };
    let text = std::str::from_utf8(&body)
        .map_err(|e| MeetingError::Unprocessable(format!("the text is not UTF-8: {e}")))?;
    let name = meetings::import(&state.registry, text, format, None).await?;
    Ok(created(name))
}

async fn export_md(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, MeetingError> {
    download(&state, &name, ExportFormat::Markdown).await
}

async fn export_html(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, MeetingError> {
    download(&state, &name, ExportFormat::Html).await
}

async fn download(
    state: &AppState,
    name: &str,
    format: ExportFormat,
) -> Result<Response, MeetingError> {
    let body = meetings::export(&state.registry, name, format).await?;
    let (mime, ext) = match format {
        ExportFormat::Markdown => ("text/markdown; charset=utf-8", "md"),
        ExportFormat::Html => ("text/html; charset=utf-8", "html"),
    };
    // `name` is a valid document name here (A-Z a-z 0-9 . _ -): safe inside quotes.
    let disposition = format!("attachment; filename=\"{name}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
