//! Identity endpoints: administrator setup, sessions (from invitation links) and the
//! management of invitations. See `server/API.md`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minutebook_shared::meeting::ops::MAX_ID_LEN;
use minutebook_shared::protocol::valid_doc_name;
use minutebook_shared::trust::{InviteInfo, Role, SessionInfo};
use serde::Deserialize;

use crate::auth::{self, Caller};
use crate::http::access::{existing, require_admin};
use crate::http::error::{body, ApiError};
use crate::http::state::AppState;
use crate::meetings;
use minutebook_shared::protocol::close::code;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/setup", post(setup))
        .route("/api/session", get(session).post(sign_in).delete(sign_out))
        .route("/api/session/device-link", post(device_link))
        .route("/api/meetings/{name}/invites", get(invites).post(invite))
        .route("/api/meetings/{name}/invites/{id}/reissue", post(reissue))
        .route("/api/meetings/{name}/invites/{id}/revoke", post(revoke))
        .route("/api/meetings/{name}/invites/{id}/role", post(set_role))
}

/// `?token=1`: an API client asks for the session's bearer token in the answer.
#[derive(Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: Option<String>,
}

impl TokenQuery {
    fn wanted(&self) -> bool {
        matches!(self.token.as_deref(), Some("1" | "true" | "yes"))
    }
}

/// The session cookie (HttpOnly: page scripts never see it); the bearer token is in the
/// JSON body only when the client asked for it (`want_token`, `?token=1`).
fn with_cookie(info: SessionInfo, token: String, want_token: bool) -> Response {
    let cookie = crate::http::credentials::session_cookie(&token);
    let info = SessionInfo {
        token: want_token.then_some(token),
        ..info
    };
    ([(header::SET_COOKIE, cookie)], Json(info)).into_response()
}

#[derive(Deserialize)]
struct SetupRequest {
    token: String,
    name: String,
    #[serde(default)]
    want_token: bool,
}

async fn setup(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
    req: Result<Json<SetupRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = body(req)?;
    let (info, token) = state.auth.setup(&req.token, &req.name).await?;
    Ok(with_cookie(info, token, req.want_token || query.wanted()))
}

async fn session(caller: Caller) -> Result<Json<SessionInfo>, ApiError> {
    if !caller.signed_in() {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "not signed in"));
    }
    Ok(Json(caller.info()))
}

/// `POST /api/session`: an invitation link's token (`invite`) or a device link's
/// (`device`).
#[derive(Deserialize)]
struct SignInRequest {
    #[serde(default)]
    invite: Option<String>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    want_token: bool,
}

async fn sign_in(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    req: Result<Json<SignInRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = body(req)?;
    let want_token = req.want_token || query.wanted();
    let current = crate::http::credentials::presented_token(&headers);
    let (result, meeting) = match (&req.invite, &req.device) {
        (Some(link), None) => (
            state.auth.redeem(link, current.clone()).await,
            state.auth.link_meeting(link),
        ),
        (None, Some(link)) => (state.auth.redeem_device(link).await, None),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "send {\"invite\": TOKEN} or {\"device\": TOKEN}",
            ))
        }
    };
    match result {
        Ok(done) => {
            let info = SessionInfo {
                meeting: done.invite.map(|i| i.meeting),
                ..done.info
            };
            Ok(with_cookie(info, done.token, want_token))
        }
        Err(e) => {
            // Aggregated like every refusal: a flood of bad links is one entry a window. In
            // the global log, and the invitation's meeting's when the link names one.
            let who = match &current {
                Some(t) => state.auth.caller_for_token(t).unwrap_or_default(),
                None => crate::auth::Caller::default(),
            };
            let detail = format!("sign-in refused: {e}");
            crate::http::access::refuse(&state, &who, "", &detail).await;
            if let Some(m) = meeting {
                crate::http::access::refuse(&state, &who, &m, &detail).await;
            }
            Err(e.into())
        }
    }
}

/// `POST /api/session/device-link`: a short-lived, single-use link that signs another
/// device of the caller's in with the same grants.
async fn device_link(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if !caller.signed_in() {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "not signed in"));
    }
    let (link, expires_at) = state.auth.device_link(&caller).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "link": link, "expires_at": expires_at })),
    )
        .into_response())
}

async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    state.auth.sign_out(&caller).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, crate::http::credentials::clear_cookie())],
    )
        .into_response())
}

fn meeting_name(name: &str) -> Result<(), ApiError> {
    if valid_doc_name(name) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid meeting name",
        ))
    }
}

async fn invites(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<InviteInfo>>, ApiError> {
    meeting_name(&name)?;
    require_admin(&state, &caller, &name, "list invitations").await?;
    let list = state.auth.invites(&name)?;
    Ok(Json(list.iter().map(|i| i.info()).collect()))
}

#[derive(Deserialize)]
struct InviteRequest {
    name: String,
    #[serde(default)]
    person: Option<String>,
    role: Role,
    #[serde(default)]
    expires_in_hours: Option<u64>,
    /// Finer than hours (takes precedence), at least 1.
    #[serde(default)]
    expires_in_seconds: Option<u64>,
    /// An invitation to every meeting of this meeting's series.
    #[serde(default)]
    series: bool,
    /// Restricted access (exempt, Part II business); absent: the role's default (the
    /// chair and minute-takers have it).
    #[serde(default)]
    restricted: Option<bool>,
}

async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    req: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    meeting_name(&name)?;
    let by = require_admin(&state, &caller, &name, "invite someone").await?;
    existing(&state, &name).await?;
    let req = body(req)?;
    let person = req.person.filter(|p| !p.is_empty());
    if person.as_ref().is_some_and(|p| p.len() > MAX_ID_LEN) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("a register person's id has at most {MAX_ID_LEN} bytes"),
        ));
    }
    let seconds = match (req.expires_in_seconds, req.expires_in_hours) {
        (Some(s), _) => s,
        (None, Some(h)) => h.saturating_mul(3600),
        (None, None) => auth::INVITE_HOURS * 3600,
    };
    let series = if req.series {
        Some(series_of(&state, &name).await?)
    } else {
        None
    };
    let new = auth::NewInvite {
        name: req.name,
        person,
        role: req.role,
        seconds,
        series,
        restricted: req.restricted,
    };
    let info = state.auth.create_invite(&by, &name, new).await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

/// The series meeting `name` belongs to. A meeting catalogued before series were indexed
/// joins the series its header names now, with the other meetings of that series.
async fn series_of(state: &AppState, name: &str) -> Result<String, ApiError> {
    if let Some(series) = state.auth.series_of(name)? {
        return Ok(series);
    }
    let (series, members) = meetings::catalog_series(&state.registry, name)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "this meeting belongs to no series: give it one before inviting to its series",
            )
        })?;
    for member in &members {
        state.auth.add_to_series(&series, member).await?;
    }
    Ok(series)
}

/// Closes the connections made through invitation `id` in every meeting it opens.
async fn disconnect(state: &AppState, name: &str, info: &InviteInfo, code: u16, reason: &str) {
    let meetings = match &info.series {
        Some(series) => state.auth.series_meetings(series).unwrap_or_default(),
        None => vec![name.to_owned()],
    };
    for meeting in meetings {
        state
            .registry
            .disconnect(&meeting, info.id, code, reason)
            .await;
    }
}

async fn reissue(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, u64)>,
) -> Result<Json<InviteInfo>, ApiError> {
    let by = require_admin(&state, &caller, &name, "re-issue an invitation").await?;
    let info = state.auth.reissue(&by, &name, id).await?;
    disconnect(
        &state,
        &name,
        &info,
        code::POLICY_VIOLATION,
        "access revoked: the invitation was re-issued",
    )
    .await;
    Ok(Json(info))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, u64)>,
) -> Result<Json<InviteInfo>, ApiError> {
    let by = require_admin(&state, &caller, &name, "revoke an invitation").await?;
    let info = state.auth.revoke(&by, &name, id).await?;
    disconnect(
        &state,
        &name,
        &info,
        code::POLICY_VIOLATION,
        "access revoked",
    )
    .await;
    Ok(Json(info))
}

#[derive(Deserialize)]
struct RoleRequest {
    role: Role,
}

async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, u64)>,
    req: Result<Json<RoleRequest>, JsonRejection>,
) -> Result<Json<InviteInfo>, ApiError> {
    let by = require_admin(&state, &caller, &name, "change a role").await?;
    let req = body(req)?;
    let info = state.auth.set_role(&by, &name, id, req.role).await?;
    disconnect(
        &state,
        &name,
        &info,
        code::SERVICE_RESTART,
        "your role changed; reconnecting",
    )
    .await;
    Ok(Json(info))
}
