//! `GET /api/meetings/{name}/series-actions` → `[SeriesAction]`: the action log of the
//! series of meeting `name` ([`meetings::action_log`]), from the meetings the caller may
//! open, by reference. Filtering (owner, status, meeting) is the client's; the list is
//! small (tens to hundreds of actions).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::api::SeriesAction;

use crate::auth::Caller;
use crate::http::access::require;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::meetings;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/meetings/{name}/series-actions", get(series_actions))
}

async fn series_actions(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<SeriesAction>>, ApiError> {
    require(&state, &caller, &name, "read the action log").await?;
    let actions = meetings::action_log::series_actions(
        &state.registry,
        &name,
        |m| caller.access(m).is_some(),
        |m| caller.access(m).is_some_and(|a| a.restricted),
    )
    .await?;
    Ok(Json(actions))
}
