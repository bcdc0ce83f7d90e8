//! The action log of a series: every action of every meeting of the series the caller may
//! open, with its latest status change (who and when, from the audit log).
//!
//! `GET /api/meetings/{name}/series-actions` → `[ActionLogEntry]` for the series of
//! meeting `name`, oldest meeting first. Filtering (owner, status, meeting) is the
//! client's; the list is small (tens to hundreds of actions).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::trust::Stamp;
use serde::Serialize;

use crate::access::{require, ApiError};
use crate::auth::Caller;
use crate::catalog;
use crate::http::AppState;
use crate::meetings;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/meetings/{name}/series-actions", get(series_actions))
}

/// One action in the series' log.
#[derive(Debug, Clone, Serialize)]
pub struct ActionLogEntry {
    pub meeting: String,
    pub meeting_title: String,
    pub meeting_date: String,
    pub action: String,
    pub reference: Option<String>,
    pub description: String,
    pub owners: Vec<String>,
    pub due: String,
    pub status: &'static str,
    /// The latest recorded status change.
    pub changed: Option<Stamp>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

async fn series_actions(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<ActionLogEntry>>, ApiError> {
    require(&state, &caller, &name, "read the action log").await?;
    let store = state.registry.store().clone();
    let listed = tokio::task::spawn_blocking(move || store.meetings())
        .await
        .map_err(internal)?
        .map_err(internal)?;
    let Some((_, this)) = listed.iter().find(|(n, _)| *n == name) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no meeting {name}"),
        ));
    };
    let key = catalog::series_key(&this.series, &name);
    let mut members: Vec<_> = listed
        .iter()
        .filter(|(n, e)| catalog::series_key(&e.series, n) == key && caller.access(n).is_some())
        .collect();
    members.sort_by_key(|(_, e)| e.created);
    let mut out = Vec::new();
    for (meeting, entry) in members {
        let view = match meetings::read_view(&state.registry, meeting).await {
            Ok(view) => view,
            Err(e) => {
                tracing::warn!(meeting = %meeting, error = %e, "meeting left out of the action log");
                continue;
            }
        };
        let store = state.registry.store().clone();
        let m = meeting.clone();
        let audit = tokio::task::spawn_blocking(move || store.audit(Some(&m)))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        for action in &view.actions {
            let prefix = format!("action {} ", action.id.0);
            let changed = audit
                .iter()
                .rev()
                .find(|e| e.event == "action-status" && e.detail.starts_with(&prefix))
                .map(|e| Stamp {
                    by: e.actor.clone(),
                    person: None,
                    at: e.at,
                });
            out.push(ActionLogEntry {
                meeting: meeting.clone(),
                meeting_title: entry.title.clone(),
                meeting_date: entry.date.clone(),
                action: action.id.0.clone(),
                reference: action.fields.reference.clone(),
                description: action.fields.description.clone(),
                owners: action
                    .owners
                    .iter()
                    .filter_map(|p| view.person(p).map(|v| v.person.name.clone()))
                    .collect(),
                due: action.fields.due.clone(),
                status: action.fields.status.as_str(),
                changed,
            });
        }
    }
    Ok(Json(out))
}
