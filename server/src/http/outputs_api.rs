//! A signed version's PDF and Word document: downloads
//! (`/api/meetings/{name}/versions/{n}/export.pdf|.docx`), and their verification by
//! `POST /api/verify` ([`verify`]: found by the file's SHA-256, nothing in it parsed).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minutebook_shared::signoff::output_signature::{self, Scope};
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
        .route(
            "/api/meetings/{name}/versions/{n}/public.pdf",
            get(public_pdf),
        )
        .route(
            "/api/meetings/{name}/versions/{n}/public.docx",
            get(public_docx),
        )
}

async fn pdf(state: State<AppState>, caller: Caller, path: Path<(String, u32)>) -> Response {
    download(state, caller, path, Kind::Pdf, Scope::Full)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn docx(state: State<AppState>, caller: Caller, path: Path<(String, u32)>) -> Response {
    download(state, caller, path, Kind::Docx, Scope::Full)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn public_pdf(state: State<AppState>, caller: Caller, path: Path<(String, u32)>) -> Response {
    download(state, caller, path, Kind::Pdf, Scope::Public)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn public_docx(
    state: State<AppState>,
    caller: Caller,
    path: Path<(String, u32)>,
) -> Response {
    download(state, caller, path, Kind::Docx, Scope::Public)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Version `n`'s `kind` output of `scope`: the full version's needs restricted access
/// when the version withholds exempt items; its public version's (rendered only then) is
/// for every member.
async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
    kind: Kind,
    scope: Scope,
) -> Result<Response, ApiError> {
    let access = require(&state, &caller, &name, "read a signed version").await?;
    existing(&state, &name).await?;
    let withholds = meetings::records::version(&state.registry, &name, n)
        .await?
        .is_some_and(|v| v.withholds());
    if withholds && scope == Scope::Full {
        require_restricted(
            &state,
            &caller,
            &access,
            &name,
            "read a signed version in full",
        )
        .await?;
    }
    let bytes = meetings::outputs::signed(&state.registry, &state.signer, &name, n, kind, scope)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "no {} of version {n} of {name} (not signed, not rendered yet, or — for \
                     the public version's — nothing is withheld, so the full one is public)",
                    scope.label(kind)
                ),
            )
        })?;
    // `name` is a stored meeting's (a valid document name): safe inside quotes.
    let public = if scope == Scope::Public {
        "-public"
    } else {
        ""
    };
    let disposition = format!(
        "attachment; filename=\"{name}-v{n}{public}.{}\"",
        kind.ext()
    );
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
                c.meeting == found.meeting
                    && c.version == found.version
                    && c.kind == kind
                    && c.scope == found.scope
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
        public_output: found.scope == Scope::Public,
        signature,
        ..version_export::verify_answer(&found.meeting, v.as_ref(), false, &ledger)
    };
    Ok(Json(answer).into_response())
}
