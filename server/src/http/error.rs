//! The API's one error type ([`ApiError`]: a status and `{"error": ...}`), the
//! conversions into it, and the helpers every handler shares: JSON bodies
//! ([`body`]) and file downloads ([`download`]).

use axum::extract::rejection::JsonRejection;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::AuthError;
use crate::meetings::MeetingError;

/// An API error: a status and a message (`{"error": ...}`), plus optional extra fields.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub extra: Option<(&'static str, serde_json::Value)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            extra: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message });
        if let (Some((key, value)), Some(map)) = (self.extra, body.as_object_mut()) {
            map.insert(key.to_string(), value);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match &e {
            AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
            AuthError::InvalidLink(_) => StatusCode::UNAUTHORIZED,
            AuthError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AuthError::NotFound => StatusCode::NOT_FOUND,
            AuthError::Used(_) => StatusCode::CONFLICT,
            // The disk is failing (the store reopens it and writes resume once it heals):
            // the request may succeed when retried.
            AuthError::Store(s) if s.is_io() => {
                tracing::warn!(error = %e, "identity request failed: the disk is failing");
                StatusCode::SERVICE_UNAVAILABLE
            }
            AuthError::Store(_) | AuthError::Random => {
                tracing::error!(error = %e, "identity request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<MeetingError> for ApiError {
    fn from(e: MeetingError) -> Self {
        let status = match &e {
            MeetingError::BadRequest(_) => StatusCode::BAD_REQUEST,
            MeetingError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            MeetingError::NotFound(_) => StatusCode::NOT_FOUND,
            MeetingError::Exists(_) => StatusCode::CONFLICT,
            MeetingError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            MeetingError::Apply(a) if a.unavailable => {
                tracing::warn!(error = %e, "meeting request failed for now");
                StatusCode::SERVICE_UNAVAILABLE
            }
            MeetingError::Store(s) if s.is_io() => {
                tracing::warn!(error = %e, "meeting request failed: the disk is failing");
                StatusCode::SERVICE_UNAVAILABLE
            }
            MeetingError::Store(_)
            | MeetingError::Apply(_)
            | MeetingError::Work(_)
            | MeetingError::Signing(_) => {
                tracing::error!(error = %e, "meeting request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for MeetingError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// Parses a JSON body, answering 400 with serde's message otherwise (413 for a body
/// over the request size limit).
pub fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(t)| t).map_err(json_rejection)
}

/// 413 for a body over the size limit, 400 for anything else wrong with it.
fn json_rejection(e: JsonRejection) -> ApiError {
    let status = match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, e.body_text())
}

/// A file download: `body` as `mime`, saved as `filename`.
pub fn download(body: String, mime: &str, filename: String) -> Response {
    // `filename` is built from a valid document name and a number: safe inside quotes.
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}
