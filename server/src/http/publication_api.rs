//! Publishing a meeting's minutes (`/api/meetings/{name}/publication`): `GET` what is
//! published, `POST {"version": N}` publishes signed version N, `DELETE` withdraws it.
//! Publishing and withdrawing are for the meeting's chair and administrators, and are
//! audited ([`crate::meetings::publication`]); the public pages are
//! [`crate::http::public_site`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::publication::{Publication, PublishRequest};

use crate::auth::Caller;
use crate::docs::ledger::Refusal;
use crate::http::access::{existing, refuse, require};
use crate::http::error::{body, ApiError};
use crate::http::state::AppState;
use crate::meetings::publication;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/meetings/{name}/publication",
        get(current).post(publish).delete(unpublish),
    )
}

async fn current(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Publication>, ApiError> {
    require(&state, &caller, &name, "read the publication").await?;
    existing(&state, &name).await?;
    publication::of(&state.registry, &name)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("{name} is not published")))
}

async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    req: Result<Json<PublishRequest>, JsonRejection>,
) -> Result<Json<Publication>, ApiError> {
    let req = body(req)?;
    let access = require(&state, &caller, &name, publication::PUBLISHED).await?;
    existing(&state, &name).await?;
    let done = publication::publish(&state.registry, &access, &name, req.version).await;
    audited(&state, &caller, &name, "publish the minutes", done).await
}

async fn unpublish(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Publication>, ApiError> {
    let access = require(&state, &caller, &name, publication::UNPUBLISHED).await?;
    existing(&state, &name).await?;
    let done = publication::unpublish(&state.registry, &access, &name).await;
    audited(&state, &caller, &name, "withdraw the minutes", done).await
}

/// The answer; a refusal for want of authority is audited as any refused attempt is.
async fn audited(
    state: &AppState,
    caller: &Caller,
    name: &str,
    doing: &str,
    done: Result<Publication, Refusal>,
) -> Result<Json<Publication>, ApiError> {
    if let Err(Refusal::Forbidden(why)) = &done {
        refuse(state, caller, name, &format!("{doing}: {why}")).await;
    }
    Ok(Json(done?))
}
