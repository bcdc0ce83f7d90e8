//! Access checks at the HTTP edge: the [`Caller`] extractor, the API's error type, and
//! [`require`]/[`require_admin`], which refuse (401/403) and audit the refusal.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::{Access, AuthError, Caller};
use crate::http::AppState;
use crate::store::audit;
use crate::store::{Store, StoreError};

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
            AuthError::Store(_) | AuthError::Random => {
                tracing::error!(error = %e, "identity request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(state.auth.caller(&parts.headers)?)
    }
}

/// The caller's access to `meeting`, or 401/403 (audited).
pub async fn require(
    state: &AppState,
    caller: &Caller,
    meeting: &str,
    doing: &str,
) -> Result<Access, ApiError> {
    let access = caller.access(meeting);
    let denied = access.is_none().then_some("without access to the meeting");
    check(
        state,
        caller,
        meeting,
        doing,
        denied,
        "you have no access to this meeting",
    )
    .await?;
    access.ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "you have no access to this meeting"))
}

/// 401/403 unless the caller is an administrator (audited); returns their name.
pub async fn require_admin(
    state: &AppState,
    caller: &Caller,
    meeting: &str,
    doing: &str,
) -> Result<String, ApiError> {
    let denied = caller.admin.is_none().then_some("not an administrator");
    check(
        state,
        caller,
        meeting,
        doing,
        denied,
        "only administrators may do this",
    )
    .await?;
    Ok(caller.admin.clone().unwrap_or_default())
}

/// 401 when signed out, 403 with `message` when `denied` says why; both audited.
async fn check(
    state: &AppState,
    caller: &Caller,
    meeting: &str,
    doing: &str,
    denied: Option<&str>,
    message: &str,
) -> Result<(), ApiError> {
    if !caller.signed_in() {
        refuse(
            state,
            caller,
            meeting,
            &format!("{doing} without credentials"),
        )
        .await;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign in with your invitation link first",
        ));
    }
    if let Some(why) = denied {
        refuse(state, caller, meeting, &format!("{doing} {why}")).await;
        return Err(ApiError::new(StatusCode::FORBIDDEN, message));
    }
    Ok(())
}

/// Runs a blocking store read off the async threads; failures are 500s.
pub async fn read_store<T: Send + 'static>(
    state: &AppState,
    read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.registry.store().clone();
    let internal = |e: String| {
        tracing::error!(error = %e, "store read failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e)
    };
    tokio::task::spawn_blocking(move || read(&store))
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(|e| internal(e.to_string()))
}

/// Audits a refused attempt: the first of its kind from this caller in the current
/// window at once, repeats as one entry with a count at the end of the window
/// ([`audit::Refusals`]). Callers are told apart by session (all callers without one
/// count as one).
pub async fn refuse(state: &AppState, caller: &Caller, meeting: &str, what: &str) {
    let role = caller.access(meeting).and_then(|a| a.role);
    let actor = caller.name();
    let refusal = audit::Refusal {
        caller: caller.session.as_deref().unwrap_or("anonymous"),
        actor: &actor,
        role,
        meeting,
        what,
    };
    if !state.refusals.note(&refusal) {
        return;
    }
    let entry = audit::entry(state.auth.store(), meeting, &actor, role, "rejected", what);
    audit::record(state.auth.store(), vec![entry]).await;
}
