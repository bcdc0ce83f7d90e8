//! A signed version's PDF and Word document: downloads
//! (`/api/meetings/{name}/versions/{n}/export.pdf|.docx`), and their verification by
//! `POST /api/verify` ([`verify`]: found by the file's SHA-256, nothing in it parsed).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::signoff::output_signature;
use minutebook_shared::signoff::VerifyAnswer;
use minutebook_shared::trust::sha256_hex;

use crate::auth::signed_file;
use crate::auth::Caller;
use crate::docs::outputs::Kind;
use crate::docs::version_export;
use crate::http::access::{existing, require, require_restricted};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::meetings;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/meetings/{name}/versions/{n}/export.pdf", get(pdf))
        .route("/api/meetings/{name}/versions/{n}/export.docx", get(docx))
}

async fn pdf(state: State<AppState>, caller: Caller, path: Path<(String, u32)>) -> Response {
    download(state, caller, path, Kind::Pdf)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn docx(state: State<AppState>, caller: Caller, path: Path<(String, u32)>) -> Response {
    download(state, caller, path, Kind::Docx)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
    kind: Kind,
) -> Result<Response, ApiError> {
    let access = require(&state, &caller, &name, "read a signed version").await?;
    existing(&state, &name).await?;
    let withholds = meetings::records::version(&state.registry, &name, n)
        .await?
        .is_some_and(|v| v.withholds());
    if withholds {
        require_restricted(
            &state,
            &caller,
            &access,
            &name,
            "read a signed version in full",
        )
        .await?;
    }
    let bytes = meetings::outputs::signed(&state.registry, &state.signer, &name, n, kind)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "no {} of version {n} of {name} (not signed, or not rendered yet)",
                    kind.label()
                ),
            )
        })?;
    // `name` is a stored meeting's (a valid document name): safe inside quotes.
    let disposition = format!("attachment; filename=\"{name}-v{n}.{}\"", kind.ext());
    Ok((
        [
            (header::CONTENT_TYPE, kind.mime().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /api/verify` of a PDF or Word file: whether it is, byte for byte, the output of a
/// stored signed version (its signature, when it carries one, left aside: the output as
/// frozen is found by its SHA-256, nothing in it parsed or unpacked); that version's facts
/// (and approval) only when it is. A signature it carries must be the server's, over
/// exactly that output.
pub async fn verify(state: &AppState, file: &Bytes, kind: Kind) -> Result<Response, ApiError> {
    let (frozen, claim) = output_signature::frozen(file);
    let no = || {
        Json(VerifyAnswer {
            matches: Some(false),
            ..VerifyAnswer::default()
        })
        .into_response()
    };
    let found = meetings::outputs::find(&state.registry, &sha256_hex(&frozen))
        .await?
        .filter(|r| r.kind == kind);
    let Some(found) = found else {
        return Ok(no());
    };
    let signature = match claim {
        None => None,
        Some(_) => {
            let keys = state
                .signer
                .public_keys()
                .map_err(meetings::MeetingError::from)?;
            let (verdict, claim) = signed_file::check_output(&keys, file);
            let same = claim.is_some_and(|c| {
                c.meeting == found.meeting && c.version == found.version && c.kind == kind
            });
            if !same || !matches!(verdict, signed_file::Offline::Verified { .. }) {
                return Ok(no());
            }
            Some(verdict.verdict())
        }
    };
    let (v, ledger) =
        meetings::records::verification_facts(&state.registry, &found.meeting, found.version)
            .await?;
    let answer = VerifyAnswer {
        matches: Some(v.is_some()),
        output: Some(kind.ext().to_owned()),
        signature,
        ..version_export::verify_answer(&found.meeting, v.as_ref(), false, &ledger)
    };
    Ok(Json(answer).into_response())
}
