//! The organisation's branding of its outputs, for administrators (`/api/branding`):
//! `GET` what is in force, `PUT {"organisation","footer","logo_alt"}` sets the texts,
//! `PUT /api/branding/logo` (the file as the body: a PNG, or an SVG the renderer
//! sanitises to shapes only; at most 512 KiB) sets the logo and `DELETE` removes it.
//! Every change is audited (`branding-changed`) in the transaction that stores it
//! ([`crate::meetings::branding`]); versions signed afterwards are rendered with it.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use minutebook_shared::branding::{Branding, BrandingTexts, MAX_LOGO_BYTES};

use crate::auth::Caller;
use crate::docs::cpu;
use crate::http::access::require_admin;
use crate::http::error::{body, ApiError};
use crate::http::state::AppState;
use crate::meetings::{branding, MeetingError};
use crate::store::{audit, Record, WriteOp};

/// The audit event of a change.
pub const EVENT: &str = "branding-changed";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/branding", get(current).put(set_texts))
        .route(
            "/api/branding/logo",
            put(set_logo)
                .delete(remove_logo)
                // One byte over the limit tells a larger file from one at the limit.
                .layer(DefaultBodyLimit::max(MAX_LOGO_BYTES + 1)),
        )
}

async fn current(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Branding>, ApiError> {
    require_admin(&state, &caller, "", "read the branding").await?;
    Ok(Json(state.house.current()))
}

async fn set_texts(
    State(state): State<AppState>,
    caller: Caller,
    texts: Result<Json<BrandingTexts>, JsonRejection>,
) -> Result<Json<Branding>, ApiError> {
    let admin = require_admin(&state, &caller, "", "change the branding").await?;
    let texts = body(texts)?
        .checked()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    if texts.logo_alt.is_empty() && state.house.current().logo.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the logo needs its alt text: say what it shows, for readers who cannot see it",
        ));
    }
    let detail = format!(
        "organisation “{}”, footer of {} characters, logo alt text “{}”",
        texts.organisation,
        texts.footer.chars().count(),
        texts.logo_alt
    );
    let store = state.registry.store().clone();
    let records = tokio::task::spawn_blocking(move || branding::texts_records(&store, texts))
        .await
        .map_err(|e| MeetingError::Store(crate::store::StoreError::from_join(e)))?
        .map_err(MeetingError::from)?;
    write(&state, &admin, records, detail).await
}

async fn set_logo(
    State(state): State<AppState>,
    caller: Caller,
    file: Result<Bytes, BytesRejection>,
) -> Result<Json<Branding>, ApiError> {
    let admin = require_admin(&state, &caller, "", "change the branding").await?;
    let file = file.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the logo is larger than {MAX_LOGO_BYTES} bytes"),
            )
        } else {
            ApiError::new(e.status(), e.body_text())
        }
    })?;
    if file.len() > MAX_LOGO_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the logo is larger than {MAX_LOGO_BYTES} bytes"),
        ));
    }
    let Some(renderer) = state.renderer.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server renders no PDF or Word documents, so it has no use for a logo",
        ));
    };
    let current = state.house.current();
    if current.logo_alt.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "give the logo's alt text first: say what it shows, for readers who cannot see it",
        ));
    }
    let logo = cpu::run(move || renderer.check_logo(&file))
        .await
        .map_err(MeetingError::from)?
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("not a logo: {e}")))?;
    let detail = match &logo {
        crate::docs::outputs::Logo::Png(b) => format!("logo set: a PNG of {} bytes", b.len()),
        crate::docs::outputs::Logo::Svg(s) => {
            format!("logo set: an SVG of {} bytes (kept to shapes)", s.len())
        }
    };
    let records = logo_records(&state, current, Some(logo)).await?;
    write(&state, &admin, records, detail).await
}

async fn remove_logo(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Branding>, ApiError> {
    let admin = require_admin(&state, &caller, "", "change the branding").await?;
    let records = logo_records(&state, state.house.current(), None).await?;
    write(&state, &admin, records, "logo removed".into()).await
}

/// [`branding::logo_records`], reading the store off the async workers.
async fn logo_records(
    state: &AppState,
    current: Branding,
    logo: Option<crate::docs::outputs::Logo>,
) -> Result<Vec<Record>, ApiError> {
    let store = state.registry.store().clone();
    Ok(
        tokio::task::spawn_blocking(move || {
            branding::logo_records(&store, &current, logo.as_ref())
        })
        .await
        .map_err(|e| MeetingError::Store(crate::store::StoreError::from_join(e)))?,
    )
}

/// Stores `records` with their audit entry in one transaction; the branding now in force.
async fn write(
    state: &AppState,
    admin: &str,
    mut records: Vec<Record>,
    detail: String,
) -> Result<Json<Branding>, ApiError> {
    let store = state.registry.store().clone();
    let entry = audit::entry(&store, "", admin, None, EVENT, detail);
    tracing::info!(actor = %admin, event = EVENT, detail = %entry.detail, "audit");
    records.push(Record::Audit(entry));
    store
        .write(WriteOp::Records(records))
        .await
        .map_err(MeetingError::from)?;
    let house = state.house.clone();
    tokio::task::spawn_blocking(move || house.refresh(&store))
        .await
        .map_err(|e| MeetingError::Store(crate::store::StoreError::from_join(e)))?
        .map_err(MeetingError::from)?;
    Ok(Json(state.house.current()))
}
