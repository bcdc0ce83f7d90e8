//! The previous minutes, agreed at the next meeting: `GET` where they stand and `POST` the
//! chair's resolution on them (`/api/meetings/{name}/previous-minutes`), and an approval
//! as a signed file (`…/versions/{n}/approval.txt`). See
//! `server/API.md` and [`crate::meetings::approval`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::api::{PreviousMinutes, ResolveRequest};
use minutebook_shared::trust::Approval;

use crate::auth::Caller;
use crate::http::access::{existing, require};
use crate::http::error::{body, download, ApiError};
use crate::http::state::AppState;
use crate::meetings::approval;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/meetings/{name}/previous-minutes",
            get(previous).post(resolve),
        )
        .route(
            "/api/meetings/{name}/versions/{n}/approval.txt",
            get(approval_file),
        )
}

/// The approval of version `n` (a later meeting's resolution on it) as a signed file.
async fn approval_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    require(&state, &caller, &name, "read an approval").await?;
    existing(&state, &name).await?;
    let text = approval::file(&state.registry, &state.signer, &name, n)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no later meeting has resolved on version {n} of {name}"),
            )
        })?;
    Ok(download(
        text,
        "text/plain; charset=utf-8",
        format!("{name}-v{n}-approval.txt"),
    ))
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
