//! Moving an item into Part II: `POST /api/meetings/{name}/items/{id}/exempt` with an
//! [`ExemptRequest`] marks item `id` exempt and moves its restricted content into the
//! meeting's Part II document, rebuilding the minutes without it
//! ([`crate::docs::part2`]). For the chair, minute-takers and administrators with
//! restricted access, while the minutes are a draft; audited, refusals included.
//! `GET /api/meetings/{name}/restricted/mine` lists the caller's own statements in Part
//! II, which an attendee without restricted access confirms like any other.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use minutebook_shared::meeting::exemption::MAX_NOTE_CHARS;
use minutebook_shared::meeting::model::ItemId;
use minutebook_shared::meeting::ops::MAX_ID_LEN;
use minutebook_shared::meeting::part2::{
    own_statements, ExemptRequest, Moved, OwnStatement, MAX_PUBLIC_TITLE_CHARS,
};
use minutebook_shared::meeting::Exemption;

use crate::auth::Caller;
use crate::http::access::{existing, require};
use crate::http::error::{body, ApiError};
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/meetings/{name}/items/{id}/exempt", post(exempt))
        .route("/api/meetings/{name}/restricted/mine", get(mine))
}

/// The caller's own statements in Part II (an attendee without restricted access sees
/// and confirms these, and nothing else of Part II); empty for a grant that speaks for
/// nobody.
async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<OwnStatement>>, ApiError> {
    let access = require(&state, &caller, &name, "read Part II statements").await?;
    existing(&state, &name).await?;
    let Some(person) = access.person.clone() else {
        return Ok(Json(Vec::new()));
    };
    let view = crate::meetings::read_view(&state.registry, &name)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(own_statements(&view, &person)))
}

async fn exempt(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
    req: Result<Json<ExemptRequest>, JsonRejection>,
) -> Result<Json<Moved>, ApiError> {
    let req = body(req)?;
    let access = require(&state, &caller, &name, "move an item into Part II").await?;
    existing(&state, &name).await?;
    let bad = |why: &str| Err(ApiError::new(StatusCode::BAD_REQUEST, why));
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return bad("no such item");
    }
    if req.note.chars().count() > MAX_NOTE_CHARS {
        return bad("the confidential reason is longer than 500 characters");
    }
    if req.public_title.chars().count() > MAX_PUBLIC_TITLE_CHARS {
        return bad("the public title is longer than 300 characters");
    }
    let Some(exemption) = Exemption::parse_code(&req.exemption, &req.note) else {
        return bad("exemption must be \"12A:1\" … \"12A:7\" or \"confidential\"");
    };
    // The actor audits its refusals (no restricted access, signed minutes).
    let moved = state
        .registry
        .move_to_part2(&name, &access, ItemId(id), exemption, req.public_title)
        .await?;
    Ok(Json(moved))
}
