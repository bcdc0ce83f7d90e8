//! The previous minutes, agreed at the next meeting: `GET` where they stand and `POST` the
//! chair's resolution on them (`/api/meetings/{name}/previous-minutes`). See
//! `server/API.md` and [`crate::meetings::approval`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::api::{PreviousMinutes, ResolveRequest};
use minutebook_shared::trust::Approval;

use crate::auth::Caller;
use crate::http::access::require;
use crate::http::error::{body, ApiError};
use crate::http::state::AppState;
use crate::meetings::{self, approval};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/meetings/{name}/previous-minutes",
        get(previous).post(resolve),
    )
}

async fn previous(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<PreviousMinutes>, ApiError> {
    require(&state, &caller, &name, "read the previous minutes").await?;
    existing(&state, &name).await?;
    approval::previous_minutes(&state.registry, &name)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "this meeting follows no earlier meeting of its series",
            )
        })
}

async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    req: Result<Json<ResolveRequest>, JsonRejection>,
) -> Result<Json<Approval>, ApiError> {
    let req = body(req)?;
    let access = require(&state, &caller, &name, "minutes-approved").await?;
    existing(&state, &name).await?;
    Ok(Json(
        approval::resolve(&state.registry, &state.signer, &access, &name, req).await?,
    ))
}

/// 404 unless `name` is a stored meeting.
async fn existing(state: &AppState, name: &str) -> Result<(), ApiError> {
    if meetings::exists(&state.registry, name).await? {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no meeting {name}"),
        ))
    }
}
