//! Publishing a meeting's minutes (`/api/meetings/{name}/publication`): `GET` what is
//! published, `POST {"version": N}` publishes signed version N, `DELETE` withdraws it.
//! Publishing and withdrawing are for the meeting's chair and administrators, and are
//! audited ([`crate::meetings::publication`]); the public pages are
//! [`crate::http::public_site`]. `GET …/versions/{n}/public.md` downloads a version's
//! public version (what publishing makes public), for members.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::publication::{Publication, PublishRequest};

use crate::auth::Caller;
use crate::docs::ledger::Refusal;
use crate::http::access::{existing, refuse, require};
use crate::http::error::{body, download, ApiError};
use crate::http::state::AppState;
use crate::meetings::publication;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/meetings/{name}/publication",
            get(current).post(publish).delete(unpublish),
        )
        .route(
            "/api/meetings/{name}/versions/{n}/public.md",
            get(public_md),
        )
}

/// Version `n`'s public version, as a file anyone can verify (`minutebook verify --key`):
/// the public text, the sign-off block with the public statement's signature, and the
/// commitment block. 404 for a version signed before public versions were kept.
async fn public_md(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    require(&state, &caller, &name, "read a signed version").await?;
    existing(&state, &name).await?;
    let text = publication::public_file(&state.registry, &state.signer, &name, n)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("version {n} of {name} has no public version"),
            )
        })?;
    Ok(download(
        text,
        "text/markdown; charset=utf-8",
        format!("{name}-v{n}-public.md"),
    ))
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
