//! The published minutes, to anyone, without signing in (`minutebook_shared::publication`):
//!
//! - `GET /public`: the series with published minutes;
//! - `GET /public/{series}`: a series' index, newest first; `…/feed.atom`, its Atom feed;
//! - `GET /public/{series}/{meeting}`: the published version's page (minutes, approval
//!   state, verification details);
//! - `GET /public/{series}/{meeting}/minutes.md`: the public version's signed file (exempt
//!   items withheld, with the commitment that proves it: `minutebook verify`); and while
//!   nothing is withheld, `minutes.pdf|.docx|.html`, the renderings members download;
//!   `approval.txt`, the signed approval.
//!
//! Only what a publication record names is reachable: every answer starts from
//! [`publication::of`] (or the list of them), and everything else under `/public` is a
//! 404 — never the web client's page. The pages carry no script; their one inline style
//! sheet is allowed by hash, and they may be framed by any site (a council's website
//! embeds them), which is safe because they hold no control and no session.

use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use bytes::Bytes;
use minutebook_shared::meeting::reading::Reading;
use minutebook_shared::protocol::valid_doc_name;
use minutebook_shared::publication::feed::{atom, FeedEntry};
use minutebook_shared::publication::page::{self, ApprovalState, PublicFacts, Verification};
use minutebook_shared::publication::{valid_slug, Publication, APPROVAL_FILE, DOWNLOADS, FEED};
use minutebook_shared::signoff;
use minutebook_shared::signoff::output_signature::Scope;
use minutebook_shared::trust::Ledger;
use sha2::{Digest, Sha256};

use crate::docs::outputs::Kind;
use crate::docs::{cpu, version_export};
use crate::http::error::ApiError;
use crate::http::page_cache;
use crate::http::state::AppState;
use crate::meetings::{self, approval, publication, ExportFormat};
use crate::store::SignedVersion;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public", get(series_list))
        .route("/public/", get(series_list))
        .route("/public/{series}", get(series_index))
        .route("/public/{series}/", get(series_index))
        .route("/public/{series}/{meeting}", get(minutes_page))
        .route("/public/{series}/{meeting}/", get(minutes_page))
        .route("/public/{series}/{meeting}/{file}", get(download))
        // Deeper paths are nobody's page (never the web client's, which the fallback
        // would serve).
        .route("/public/{series}/{meeting}/{file}/{*rest}", get(not_found))
}

/// What a missing or unpublished page answers (the same for both: nothing tells them apart).
fn gone() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no published minutes here")
}

async fn not_found() -> ApiError {
    gone()
}

/// A public HTML page: its own policy (no script, the page's style sheet by hash, any
/// site may frame it) and no caching beyond revalidation (a withdrawal takes effect).
fn html_page(body: impl Into<Bytes>) -> Response {
    static CSP: LazyLock<Option<HeaderValue>> = LazyLock::new(|| {
        let style = Sha256::digest(page::style().as_bytes());
        let style = base64::engine::general_purpose::STANDARD.encode(style);
        HeaderValue::from_str(&format!(
            "default-src 'none'; style-src 'sha256-{style}'; img-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors *"
        ))
        .ok()
    });
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from(body.into()),
    )
        .into_response();
    if let Some(csp) = CSP.as_ref() {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }
    response
}

async fn series_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut all = publication::all(&state.registry).await?;
    minutebook_shared::publication::newest_first(&mut all);
    // (slug, the newest meeting's name for the series, how many), by name.
    let mut series: Vec<(String, String, usize)> = Vec::new();
    for p in &all {
        match series.iter_mut().find(|(slug, ..)| *slug == p.series) {
            Some(entry) => entry.2 += 1,
            None => series.push((p.series.clone(), p.series_name(), 1)),
        }
    }
    series.sort_by_key(|s| s.1.to_lowercase());
    Ok(html_page(page::series_list(
        &state.house.organisation(),
        &series,
    )))
}

async fn series_index(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let list = published_series(&state, &slug).await?;
    let title = list[0].publication.series_name();
    let list: Vec<(Publication, ApprovalState)> = list
        .into_iter()
        .map(|l| (l.publication, l.approval))
        .collect();
    Ok(html_page(page::series_index(
        &state.house.organisation(),
        &slug,
        &title,
        &list,
    )))
}

/// One published meeting of a series as its index and feed list it.
struct Listed {
    publication: Publication,
    approval: ApprovalState,
    /// The later of its publication and its approval (Unix milliseconds).
    updated: u64,
}

/// Series `slug`'s publications, newest first, with their approval states (one ledger
/// read each); 404 when it has none.
async fn published_series(state: &AppState, slug: &str) -> Result<Vec<Listed>, ApiError> {
    if !valid_slug(slug) {
        return Err(gone());
    }
    let mut list = Vec::new();
    for p in publication::in_series(&state.registry, slug).await? {
        let Some((info, ledger)) = publication::standing(&state.registry, &p).await? else {
            continue;
        };
        let approval = ApprovalState::of(&ledger, info.version, &info.sha256);
        let approved_at = ledger
            .approval_of(info.version, &info.sha256)
            .map_or(0, |a| a.stamp.at);
        list.push(Listed {
            updated: p.published_at.max(approved_at),
            publication: p,
            approval,
        });
    }
    if list.is_empty() {
        return Err(gone());
    }
    Ok(list)
}

async fn minutes_page(
    State(state): State<AppState>,
    Path((slug, meeting)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if meeting == FEED {
        return feed(&state, &slug).await;
    }
    let (p, v, ledger) = published(&state, &slug, &meeting).await?;
    let approval = ApprovalState::of(&ledger, v.info.version, &v.info.sha256);
    let key_id = state
        .signer
        .signature_of(&meeting, v.info.version)
        .map_err(meetings::MeetingError::from)?
        .map(|c| c.key_id);
    let whole = !v.withholds();
    let mut downloads = Vec::new();
    for (file, what) in DOWNLOADS {
        if !whole && file == "minutes.html" {
            // The HTML page frozen at sign-off is the full version's.
            continue;
        }
        if let Some(kind) = output_kind(file) {
            let stored = meetings::outputs::is_stored(
                &state.registry,
                &meeting,
                p.version,
                kind,
                scope_of(&v),
            )
            .await?;
            if !stored {
                continue;
            }
        }
        downloads.push((file, what));
    }
    let verification = Verification {
        version: v.info.version,
        signed_by: v.info.signed.by.clone(),
        signed_at: v.info.signed.at,
        sha256: v.info.sha256.clone(),
        key_id,
        downloads,
        public: v.public.as_ref().map(|p| PublicFacts {
            sha256: p.sha256.clone(),
            root: p.root.clone(),
            withheld: p.withheld.clone(),
        }),
    };
    let organisation = state.house.organisation();
    let key = format!(
        "{meeting}\n{}\n{}\n{approval:?}\n{verification:?}\n{organisation}",
        p.version, p.published_at
    );
    if let Some(page) = state.public_pages.get(&key) {
        return Ok(html_page(page));
    }
    let body = cpu::run(move || {
        let view = version_export::view(&v)?;
        let status = signoff::signed_status(v.info.version, &v.info.signed.by, v.info.signed.at);
        let reading = Reading::public(&view, &status);
        Some(page::minutes(
            &organisation,
            &p,
            &reading,
            &verification,
            &approval,
        ))
    })
    .await
    .map_err(meetings::MeetingError::from)?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the signed version could not be read",
        )
    })?;
    let body = Bytes::from(body);
    state.public_pages.put(key, body.clone(), body.len());
    Ok(html_page(body))
}

async fn feed(state: &AppState, slug: &str) -> Result<Response, ApiError> {
    let list = published_series(state, slug).await?;
    let entries: Vec<FeedEntry> = list
        .iter()
        .map(|l| FeedEntry {
            publication: &l.publication,
            approval: &l.approval,
            updated: l.updated,
        })
        .collect();
    let title = list[0].publication.series_name();
    let body = atom(
        state.auth.public_url(),
        &state.house.organisation(),
        slug,
        &title,
        &entries,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

async fn download(
    State(state): State<AppState>,
    Path((slug, meeting, file)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (p, v, ledger) = published(&state, &slug, &meeting).await?;
    let n = p.version;
    let filename = |ext: &str| format!("{meeting}-v{n}.{ext}");
    if v.withholds() && file == "minutes.html" {
        // The HTML page frozen at sign-off renders the full version: never public when
        // something is withheld (the page itself shows the public version).
        return Err(gone());
    }
    if let Some(kind) = output_kind(&file) {
        let bytes = meetings::outputs::signed(
            &state.registry,
            &state.signer,
            &meeting,
            n,
            kind,
            scope_of(&v),
        )
        .await?
        .ok_or_else(gone)?;
        let disposition = match kind {
            Kind::Pdf => format!("inline; filename=\"{}\"", filename(kind.ext())),
            Kind::Docx => format!("attachment; filename=\"{}\"", filename(kind.ext())),
        };
        return Ok((
            [
                (header::CONTENT_TYPE, kind.mime().to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response());
    }
    match file.as_str() {
        "minutes.md" if v.public.is_some() => {
            let text =
                meetings::publication::public_file(&state.registry, &state.signer, &meeting, n)
                    .await?
                    .ok_or_else(gone)?;
            Ok(crate::http::error::download(
                text,
                "text/markdown; charset=utf-8",
                filename("md"),
            ))
        }
        "minutes.md" => {
            let name = meeting.clone();
            let text = cpu::run(move || version_export::markdown(&name, &v))
                .await
                .map_err(meetings::MeetingError::from)?;
            let text = meetings::records::with_signature(
                &state.signer,
                &meeting,
                n,
                ExportFormat::Markdown,
                text,
            )?;
            Ok(crate::http::error::download(
                text,
                "text/markdown; charset=utf-8",
                filename("md"),
            ))
        }
        "minutes.html" => {
            let name = meeting.clone();
            let html = cpu::run(move || version_export::html(&name, &v))
                .await
                .map_err(meetings::MeetingError::from)?
                .ok_or_else(gone)?;
            let html = meetings::records::with_signature(
                &state.signer,
                &meeting,
                n,
                ExportFormat::Html,
                html,
            )?;
            Ok(crate::http::error::download(
                html,
                "text/html; charset=utf-8",
                filename("html"),
            ))
        }
        APPROVAL_FILE => {
            let approved = ledger
                .approval_of(v.info.version, &v.info.sha256)
                .ok_or_else(gone)?;
            let text = approval::file(&state.registry, &state.signer, &meeting, approved.version)
                .await?
                .ok_or_else(gone)?;
            Ok(crate::http::error::download(
                text,
                "text/plain; charset=utf-8",
                format!("{meeting}-v{n}-approval.txt"),
            ))
        }
        _ => Err(gone()),
    }
}

/// Which rendering is public: the public version's when the version withholds exempt
/// items, else the full version's (they are the same minutes).
fn scope_of(v: &SignedVersion) -> Scope {
    if v.withholds() {
        Scope::Public
    } else {
        Scope::Full
    }
}

fn output_kind(file: &str) -> Option<Kind> {
    match file {
        "minutes.pdf" => Some(Kind::Pdf),
        "minutes.docx" => Some(Kind::Docx),
        _ => None,
    }
}

/// The publication of `meeting` in series `slug`, its version and the meeting's ledger;
/// 404 unless it is published there.
async fn published(
    state: &AppState,
    slug: &str,
    meeting: &str,
) -> Result<(Publication, Arc<SignedVersion>, Ledger), ApiError> {
    if !valid_slug(slug) || !valid_doc_name(meeting) {
        return Err(gone());
    }
    let p = publication::of(&state.registry, meeting)
        .await?
        .filter(|p| p.series == slug)
        .ok_or_else(gone)?;
    // A signed version never changes: decode it once. Its ledger (approvals) is read
    // each time.
    let key = page_cache::version_key(&p.meeting, p.version);
    if let Some(v) = state.public_versions.get(&key) {
        let ledger = meetings::records::ledger(&state.registry, &p.meeting).await?;
        return Ok((p, v, ledger));
    }
    let (v, ledger) =
        meetings::records::verification_facts(&state.registry, &p.meeting, p.version).await?;
    let v = Arc::new(v.ok_or_else(gone)?);
    state
        .public_versions
        .put(key, v.clone(), page_cache::version_bytes(&v));
    Ok((p, v, ledger))
}
