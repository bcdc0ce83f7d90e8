//! Ledger endpoints: confirmations, correction proposals and decisions, sign-off,
//! reopening, signed versions (list, export with their signatures, diff),
//! verification and the public signing keys.
//! See `server/API.md`. Every change goes through the meeting's document actor
//! ([`crate::docs::registry::Registry::command`]), which decides it and makes it durable.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minutebook_shared::api::SigningKeys;
use minutebook_shared::api::{CorrectionDiff, VersionDiff};
use minutebook_shared::protocol::valid_doc_name;
use minutebook_shared::signoff;
use minutebook_shared::trust::commitment;
use minutebook_shared::trust::{Ledger, Readiness, VersionInfo};
use serde::Deserialize;

use crate::auth::signed_file;
use crate::auth::Access;
use crate::auth::Caller;
use crate::docs::ledger::{Command, Refusal};
use crate::docs::messages::CommandOk;
use crate::docs::version_export;
use crate::http::access::{existing, require, require_restricted};
use crate::http::error::ApiError;
use crate::http::error::{body, download};
use crate::http::state::AppState;
use crate::meetings::{self, ExportFormat};
use crate::store::SignedVersion;

/// The routes; `POST /api/verify` reads files of up to `max_verify` bytes.
pub fn routes(max_verify: usize) -> Router<AppState> {
    Router::new()
        .route("/api/meetings/{name}/ledger", get(ledger))
        .route("/api/meetings/{name}/readiness", get(readiness))
        .route(
            "/api/meetings/{name}/statements/{block}/confirm",
            post(confirm),
        )
        .route(
            "/api/meetings/{name}/statements/{block}/corrections",
            post(propose),
        )
        .route("/api/meetings/{name}/corrections/{id}/accept", post(accept))
        .route(
            "/api/meetings/{name}/corrections/{id}/decline",
            post(decline),
        )
        .route(
            "/api/meetings/{name}/corrections/{id}/diff",
            get(correction_diff),
        )
        .route("/api/meetings/{name}/sign-off", post(sign_off))
        .route("/api/meetings/{name}/reopen", post(reopen))
        .route("/api/meetings/{name}/versions", get(versions))
        .route(
            "/api/meetings/{name}/versions/{n}/export.md",
            get(version_md),
        )
        .route(
            "/api/meetings/{name}/versions/{n}/export.html",
            get(version_html),
        )
        .route("/api/meetings/{name}/versions/{n}/diff", get(diff))
        .route(
            "/api/verify",
            post(verify).layer(DefaultBodyLimit::max(max_verify)),
        )
        .route("/api/signing-keys", get(signing_keys))
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let status = match &r {
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Conflict(_) | Refusal::NotReady(..) => StatusCode::CONFLICT,
            Refusal::Locked => StatusCode::LOCKED,
            Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
            Refusal::Full(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut error = ApiError::new(status, r.to_string());
        if let Refusal::NotReady(_, readiness) = r {
            error.extra = Some((
                "readiness",
                serde_json::to_value(*readiness).unwrap_or_default(),
            ));
        }
        error
    }
}

async fn run(
    state: &AppState,
    caller: &Caller,
    name: &str,
    cmd: Command,
) -> Result<CommandOk, ApiError> {
    let access = require(state, caller, name, cmd.event()).await?;
    existing(state, name).await?;
    Ok(state.registry.command(name, &access, cmd).await?)
}

fn ledger_answer(ok: CommandOk) -> Response {
    match ok {
        CommandOk::Ledger(l) => Json(l).into_response(),
        CommandOk::Version(v) => Json(v).into_response(),
    }
}

/// The ledger and readiness as the caller may see them: without restricted access,
/// nothing of Part II's statements but the caller's own.
async fn current(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(Ledger, Readiness), ApiError> {
    let access = require(state, caller, name, "read the ledger").await?;
    existing(state, name).await?;
    let (ledger, readiness) = state.registry.ledger(name).await.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the meeting is busy; try again",
        )
    })?;
    if access.restricted {
        return Ok((ledger, readiness));
    }
    let hidden = part2_hidden(state, name, &access).await?;
    Ok((ledger.without(&hidden), readiness.without(&hidden)))
}

/// The statements of Part II `access` may not see ([`trust::part2_hidden`]).
async fn part2_hidden(
    state: &AppState,
    name: &str,
    access: &Access,
) -> Result<std::collections::BTreeSet<String>, ApiError> {
    let view = crate::meetings::read_view(&state.registry, name)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(minutebook_shared::trust::part2_hidden(
        &view,
        access.person.as_deref(),
    ))
}

async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Ledger>, ApiError> {
    Ok(Json(current(&state, &caller, &name).await?.0))
}

/// A correction against the statement's current text, word by word (anyone who may read
/// the meeting: the proposer, the chair, the minute-takers).
async fn correction_diff(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, u64)>,
) -> Result<Json<CorrectionDiff>, ApiError> {
    let access = require(&state, &caller, &name, "read a correction").await?;
    existing(&state, &name).await?;
    let diff = crate::meetings::corrections::diff(&state.registry, &name, id).await?;
    let hidden = match (&diff, access.restricted) {
        (Some((_, block)), false) => part2_hidden(&state, &name, &access).await?.contains(block),
        _ => false,
    };
    diff.filter(|_| !hidden)
        .map(|(diff, _)| Json(diff))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such correction"))
}

async fn readiness(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Readiness>, ApiError> {
    Ok(Json(current(&state, &caller, &name).await?.1))
}

#[derive(Deserialize)]
struct ConfirmRequest {
    sha256: String,
}

async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, block)): Path<(String, String)>,
    req: Result<Json<ConfirmRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = body(req)?;
    let cmd = Command::Confirm {
        block,
        sha256: req.sha256,
    };
    Ok(ledger_answer(run(&state, &caller, &name, cmd).await?))
}

#[derive(Deserialize)]
struct ProposeRequest {
    text: String,
    #[serde(default)]
    note: String,
}

async fn propose(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, block)): Path<(String, String)>,
    req: Result<Json<ProposeRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = body(req)?;
    let cmd = Command::Propose {
        block,
        text: req.text,
        note: req.note,
    };
    let ok = run(&state, &caller, &name, cmd).await?;
    Ok((StatusCode::CREATED, ledger_answer(ok)).into_response())
}

async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, u64)>,
) -> Result<Response, ApiError> {
    Ok(ledger_answer(
        run(&state, &caller, &name, Command::Accept { id }).await?,
    ))
}

#[derive(Deserialize)]
struct ReasonRequest {
    #[serde(default)]
    reason: String,
}

async fn decline(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, u64)>,
    req: Result<Json<ReasonRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let reason = body(req)?.reason;
    Ok(ledger_answer(
        run(&state, &caller, &name, Command::Decline { id, reason }).await?,
    ))
}

#[derive(Deserialize, Default)]
struct SignOffRequest {
    #[serde(default)]
    override_reason: String,
}

async fn sign_off(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    req: Result<Json<SignOffRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let override_reason = body(req)?.override_reason;
    // A version signed after amendments agreed at a later meeting completes that approval.
    let guard = state.registry.approvals_lock().await;
    let answer = run(&state, &caller, &name, Command::SignOff { override_reason }).await?;
    drop(guard);
    meetings::approval::after_sign_off(&state.registry, &state.signer, &name).await;
    // Then its PDF and Word document (off the actor, on the blocking pool); should this
    // fail, they are rendered at the next start.
    if let Some(renderer) = &state.renderer {
        if let Err(e) =
            meetings::outputs::render_missing(&state.registry, renderer, Some(&name)).await
        {
            tracing::error!(meeting = %name, error = %e, "could not render the new version's outputs");
        }
    }
    // The version is durable; its signature follows (or, should this fail, is made at
    // the next start).
    if let Err(e) =
        meetings::records::sign_missing(&state.registry, &state.signer, Some(&name)).await
    {
        tracing::error!(meeting = %name, error = %e, "could not sign the new version");
    }
    Ok(ledger_answer(answer))
}

async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    req: Result<Json<ReasonRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let reason = body(req)?.reason;
    // Never between a resolution's check of the latest version and its write.
    let _guard = state.registry.approvals_lock().await;
    Ok(ledger_answer(
        run(&state, &caller, &name, Command::Reopen { reason }).await?,
    ))
}

async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<VersionInfo>>, ApiError> {
    Ok(Json(current(&state, &caller, &name).await?.0.versions))
}

/// A stored version in full, for a caller with access to the meeting — and, when it
/// withholds exempt items from its public version, with restricted access.
async fn stored_version(
    state: &AppState,
    caller: &Caller,
    name: &str,
    n: u32,
) -> Result<(SignedVersion, Access), ApiError> {
    let access = require(state, caller, name, "read a signed version").await?;
    let v = meetings::records::version(&state.registry, name, n)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no version {n} of {name}")))?;
    if v.withholds() {
        require_restricted(
            state,
            caller,
            &access,
            name,
            "read a signed version in full",
        )
        .await?;
    }
    Ok((v, access))
}

async fn version_md(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let (v, _) = stored_version(&state, &caller, &name, n).await?;
    let text = version_export::markdown_off_workers(name.clone(), v)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let text =
        meetings::records::with_signature(&state.signer, &name, n, ExportFormat::Markdown, text)?;
    Ok(download(
        text,
        "text/markdown; charset=utf-8",
        format!("{name}-v{n}.md"),
    ))
}

async fn version_html(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let (v, _) = stored_version(&state, &caller, &name, n).await?;
    let html = version_export::html_off_workers(name.clone(), v)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the stored version could not be read",
            )
        })?;
    let html =
        meetings::records::with_signature(&state.signer, &name, n, ExportFormat::Html, html)?;
    Ok(download(
        html,
        "text/html; charset=utf-8",
        format!("{name}-v{n}.html"),
    ))
}

/// `GET /api/signing-keys`: the public halves of the server's signing keys, to anyone.
async fn signing_keys(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.signer.public_keys().map_err(|e| {
        tracing::error!(error = %e, "could not read the signing keys");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not read the signing keys",
        )
    })?;
    Ok(Json(SigningKeys { keys }).into_response())
}

async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, n)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let (v, access) = stored_version(&state, &caller, &name, n).await?;
    let view = crate::meetings::read_view(&state.registry, &name)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    if view.items.iter().any(|i| i.exemption.is_some()) {
        require_restricted(&state, &caller, &access, &name, "compare with the draft").await?;
    }
    let draft = minutebook_shared::meeting::export::markdown(&view);
    let lines = version_export::diff_off_workers(v, draft)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(VersionDiff { version: n, lines }).into_response())
}

/// Public: what the store holds for the version an exported file names (anyone holding a
/// signed export may check it).
async fn verify(State(state): State<AppState>, file: Bytes) -> Result<Response, ApiError> {
    if let Some(kind) = crate::docs::outputs::Kind::sniff(&file) {
        return crate::http::outputs_api::verify(&state, &file, kind).await;
    }
    let text = std::str::from_utf8(&file)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "the file is not UTF-8 text"))?;
    if signoff::public::is_public_file(text) {
        return verify_public(&state, text.to_owned()).await;
    }
    let html = signoff::is_html_export(text);
    let block = if html {
        signoff::parse_html(text)
    } else {
        signoff::parse(text).map(|(_, block)| block)
    }
    .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let (meeting, version) = (block.meeting.clone(), block.version);
    if !valid_doc_name(&meeting) {
        return Ok(Json(version_export::public_answer(text, Default::default())).into_response());
    }
    let (found, ledger) =
        meetings::records::verification_facts(&state.registry, &meeting, version).await?;
    let mut answer = version_export::public_answer_off_workers(
        text.to_string(),
        block.meeting,
        found,
        html,
        ledger,
    )
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    // The signature needs only the published keys, so it is said whether or not the
    // file matches a stored version.
    if let Ok(keys) = state.signer.public_keys() {
        let text = text.to_string();
        let checked = crate::docs::cpu::run(move || signed_file::check(&keys, &text).verdict());
        answer.signature = checked.await.ok();
    }
    Ok(Json(answer).into_response())
}

/// `POST /api/verify` of a public version's file: its commitment checked (off the async
/// workers), then its root and public hash against the ones frozen with the version it
/// names; its signature checked with the published keys either way.
async fn verify_public(state: &AppState, text: String) -> Result<Response, ApiError> {
    let keys = state.signer.public_keys().unwrap_or_default();
    let checked = crate::docs::cpu::run(move || {
        let proof = commitment::verify_public(&text).ok();
        (proof, signed_file::check(&keys, &text).verdict())
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let (proof, signature) = checked;
    let named = proof
        .as_ref()
        .and_then(|p| p.sign_off.as_ref())
        .filter(|f| valid_doc_name(&f.meeting))
        .map(|f| (f.meeting.clone(), f.version));
    let mut answer = match (proof, named) {
        (Some(proof), Some((meeting, version))) => {
            let (found, ledger) =
                meetings::records::verification_facts(&state.registry, &meeting, version).await?;
            version_export::public_file_answer(&meeting, &proof, found.as_ref(), &ledger)
        }
        _ => signoff::VerifyAnswer {
            matches: Some(false),
            ..Default::default()
        },
    };
    answer.signature = Some(signature);
    Ok(Json(answer).into_response())
}
