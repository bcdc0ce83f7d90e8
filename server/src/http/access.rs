//! Access checks at the HTTP edge: the [`Caller`] extractor, and
//! [`require`]/[`require_admin`]/[`require_restricted`], which refuse (401/403) and audit
//! the refusal, and [`existing`] (404 for a meeting not stored).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

use crate::auth::refusals::Refusal;
use crate::auth::{Access, Caller};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::store::audit;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(crate::http::credentials::caller(
            &state.auth,
            &parts.headers,
        )?)
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

/// 403 (audited) unless `access` has restricted access: for what shows exempt (Part II)
/// business.
pub async fn require_restricted(
    state: &AppState,
    caller: &Caller,
    access: &Access,
    meeting: &str,
    doing: &str,
) -> Result<(), ApiError> {
    if access.restricted {
        return Ok(());
    }
    refuse(
        state,
        caller,
        meeting,
        &format!("{doing} without restricted access"),
    )
    .await;
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "this shows exempt (Part II) business, which needs restricted access; the public \
         version (versions/{n}/public.md) withholds it",
    ))
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

/// Audits a refused attempt: the first of its kind from this caller in the current
/// window at once, repeats as one entry with a count at the end of the window
/// ([`crate::auth::refusals::Refusals`]). Callers are told apart by session (all callers without one
/// count as one).
pub async fn refuse(state: &AppState, caller: &Caller, meeting: &str, what: &str) {
    let role = caller.access(meeting).and_then(|a| a.role);
    let actor = caller.name();
    let refusal = Refusal {
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

/// 404 unless `name` is a stored meeting.
pub async fn existing(state: &AppState, name: &str) -> Result<(), ApiError> {
    if crate::meetings::exists(&state.registry, name).await? {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no meeting {name}"),
        ))
    }
}
