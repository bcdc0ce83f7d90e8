//! Meeting operations shared by the HTTP API ([`crate::http::meetings_api`]), the command line and the
//! demo loader: list, create (empty or from the previous meeting of a series), import,
//! read and export; beside them [`records`] (signed versions, audit log, the facts a
//! verification needs), [`action_log`] (a series' actions), [`approval`], [`outputs`]
//! and [`publication`] (what is public). The transport reads
//! nothing from the store except through these use cases.
//!
//! Every write goes through the document's actor ([`Registry::apply`]), the same durable
//! path as WebSocket updates: it returns once the new state is fsynced, its catalog entry
//! written and the change relayed to any connected client. Reads ask the loaded actor for
//! its state, else read the store.
//!
//! Parsing an import, building its document, decoding a stored document into a view and
//! rendering an export are CPU work proportional to the meeting's size: each runs through
//! [`cpu::run`], off the async workers and bounded in concurrency, so a large import or
//! export never delays anyone else's requests.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use minutebook_shared::api::MeetingSummary;
use minutebook_shared::meeting::{
    self, export, Header, Meeting, MeetingStatus, MeetingView, Minutes, PersonId,
};
use minutebook_shared::protocol::valid_doc_name;
use minutebook_shared::signoff;
use minutebook_shared::time::now_micros;
use minutebook_shared::trust::Lifecycle;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::auth::signing::Signer;
use crate::docs::cpu::{self, CpuError};
use crate::docs::messages::ApplyError;
use crate::docs::messages::LiveState;
use crate::docs::part2;
use crate::docs::registry::Registry;
use crate::docs::updates::build_doc;
use crate::store::{Store, StoreError};

pub mod action_log;
pub mod approval;
pub mod branding;
pub mod corrections;
pub mod outputs;
pub mod publication;
pub mod records;

/// Why a meeting operation failed; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    /// The request itself is wrong (400).
    #[error("{0}")]
    BadRequest(String),
    /// The minutes could not be read ("line N: what") or written (422).
    #[error("{0}")]
    Unprocessable(String),
    /// No meeting by that name (404).
    #[error("no meeting named {0:?}")]
    NotFound(String),
    /// The name is taken (409).
    #[error("a document named {0:?} already exists")]
    Exists(String),
    /// Storage failed (500; 503 when the disk is failing).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The document actor refused the write (500), or could not take it now (503).
    #[error("could not write the meeting: {0}")]
    Apply(#[from] ApplyError),
    /// The CPU work (parsing, rendering) failed (500).
    #[error("could not process the meeting: {0}")]
    Work(#[from] CpuError),
    /// The meeting's actor did not answer in time (503).
    #[error("the meeting is busy; try again")]
    Busy,
    /// A version could not be signed (500).
    #[error("could not sign the version: {0}")]
    Signing(#[from] crate::auth::signing::SigningError),
}

/// Text formats minutes are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Text extracted from published minutes ([`meeting::import::parse_minutes`]).
    Legacy,
    /// The canonical Markdown export ([`meeting::markdown::parse`]).
    Markdown,
}

impl ImportFormat {
    /// `legacy` or `markdown`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "legacy" => Some(ImportFormat::Legacy),
            "markdown" | "md" => Some(ImportFormat::Markdown),
            _ => None,
        }
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Html,
}

/// Every meeting, sorted by series, then creation, then name. Each one's status is its
/// lifecycle status from the ledger ([`signoff::lifecycle`]), never the
/// minutes' own header.
pub async fn list(registry: &Registry) -> Result<Vec<MeetingSummary>, MeetingError> {
    let mut entries = read_store(registry, |store| {
        let entries = store.meetings()?;
        let approvals = store.approvals()?;
        entries
            .into_iter()
            .map(|(name, e)| {
                let lifecycle = Lifecycle::of(&store.ledger_with(&name, &approvals)?);
                Ok((name, e, lifecycle))
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })
    .await?;
    entries.sort_by(|(an, a, _), (bn, b, _)| {
        (&a.series, a.created, an).cmp(&(&b.series, b.created, bn))
    });
    Ok(entries
        .into_iter()
        .map(|(name, e, lifecycle)| MeetingSummary {
            name,
            title: e.title,
            series: e.series,
            date: e.date,
            status: lifecycle.short(),
            lifecycle: lifecycle.label(),
        })
        .collect())
}

/// The series meeting `name`'s header names in the catalog, with every catalogued meeting
/// of that series (`name` included); `None` when it names none. Reads the catalog only.
pub async fn catalog_series(
    registry: &Registry,
    name: &str,
) -> Result<Option<(String, Vec<String>)>, MeetingError> {
    let name = name.to_string();
    read_store(registry, move |store| {
        let entries = store.meetings()?;
        let Some(series) = entries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| e.series.trim().to_owned())
            .filter(|s| !s.is_empty())
        else {
            return Ok(None);
        };
        let members = entries
            .into_iter()
            .filter(|(_, e)| e.series.trim() == series)
            .map(|(n, _)| n)
            .collect();
        Ok(Some((series, members)))
    })
    .await
}

/// A new meeting: its document name and the series it was created in (may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub name: String,
    pub series: String,
}

/// Longest title or series a new meeting is given (its header can be edited later, like
/// any text of the minutes).
pub const MAX_HEADER_CHARS: usize = 500;

/// Creates a meeting, empty or started from the previous meeting `from` of its series
/// (see [`meeting::series::carry_forward`]; the register keeps its people's ids, so an
/// invitation that speaks for one of them does so in every meeting of the series).
pub async fn create(
    registry: &Registry,
    title: &str,
    series: &str,
    from: Option<&str>,
) -> Result<Created, MeetingError> {
    let title = title.trim();
    let series = series.trim();
    for (what, text) in [("title", title), ("series", series)] {
        if text.chars().count() > MAX_HEADER_CHARS {
            return Err(MeetingError::BadRequest(format!(
                "the {what} is longer than {MAX_HEADER_CHARS} characters"
            )));
        }
    }
    let (minutes, people) = match from {
        Some(prev) => {
            let view = read_view(registry, prev).await.map_err(|e| match e {
                MeetingError::NotFound(n) => {
                    MeetingError::BadRequest(format!("no previous meeting named {n:?}"))
                }
                e => e,
            })?;
            let ids = view.people.iter().map(|p| p.id.clone()).collect();
            (meeting::series::carry_forward(&view, title, series), ids)
        }
        None => (
            Minutes {
                header: Header {
                    title: title.to_string(),
                    series: series.to_string(),
                    status: MeetingStatus::Draft,
                    ..Header::default()
                },
                ..Minutes::default()
            },
            Vec::new(),
        ),
    };
    let name = unique_name(registry, title).await?;
    if let Some(prev) = from {
        approval::link(registry, &name, prev).await?;
    }
    write_minutes(registry, &name, &minutes, people).await?;
    split_part2(registry, &name).await?;
    tracing::info!(doc = %name, from, "meeting created");
    Ok(Created {
        name,
        series: minutes.header.series.trim().to_owned(),
    })
}

/// Imports minutes as a new meeting named `name` (or a name derived from the title).
pub async fn import(
    registry: &Registry,
    text: &str,
    format: ImportFormat,
    name: Option<&str>,
) -> Result<Created, MeetingError> {
    let text = text.to_owned();
    let (minutes, update) = cpu::run(move || {
        let minutes = match format {
            ImportFormat::Legacy => meeting::import::parse_minutes(&text),
            ImportFormat::Markdown => meeting::markdown::parse(&text),
        }
        .map_err(|e| MeetingError::Unprocessable(e.to_string()))?;
        let update = minutes_update(&minutes, Vec::new())?;
        Ok::<_, MeetingError>((minutes, update))
    })
    .await??;
    let name = match name {
        Some(n) => {
            if !valid_doc_name(n) {
                return Err(MeetingError::BadRequest(format!(
                    "invalid name {n:?}: use 1-128 characters of A-Z a-z 0-9 . _ -"
                )));
            }
            if exists(registry, n).await? {
                return Err(MeetingError::Exists(n.to_string()));
            }
            n.to_string()
        }
        None => unique_name(registry, &minutes.header.title).await?,
    };
    registry.apply(&name, update).await?;
    split_part2(registry, &name).await?;
    tracing::info!(doc = %name, people = minutes.people.len(), items = minutes.items.len(), "meeting imported");
    Ok(Created {
        name,
        series: minutes.header.series.trim().to_owned(),
    })
}

/// A meeting exported as Markdown or HTML. While it is signed off, that is its latest
/// signed version's export (with its sign-off block, verifiable); otherwise the draft,
/// whose Status line says DRAFT (lifecycle status comes from the ledger only).
pub async fn export(
    registry: &Registry,
    signer: Option<&Signer>,
    name: &str,
    format: ExportFormat,
) -> Result<String, MeetingError> {
    export_for(registry, signer, name, format, true).await
}

/// [`export`] for a caller with (`restricted`) or without restricted access: without it,
/// minutes that hold exempt items export as their public version (the signed public
/// file, or the draft with exempt items withheld).
pub async fn export_for(
    registry: &Registry,
    signer: Option<&Signer>,
    name: &str,
    format: ExportFormat,
    restricted: bool,
) -> Result<String, MeetingError> {
    let view = read_view(registry, name).await?;
    let doc = name.to_string();
    let (ledger, signed) = read_store(registry, move |store| {
        let ledger = store.ledger(&doc)?;
        let signed = match ledger.versions.last() {
            Some(v) if ledger.signed() => store.version(&doc, v.version)?,
            _ => None,
        };
        Ok((ledger, signed))
    })
    .await?;
    let signed_version = signed.as_ref().map(|v| v.info.version);
    // What a public rendering of the signed version carries instead of its signature.
    let public_signature = match (signer, signed_version) {
        (Some(signer), Some(n)) if !restricted => signer.public_signature_of(name, n)?,
        _ => None,
    };
    let owned_name = name.to_string();
    let rendered = cpu::run(move || {
        let name = owned_name;
        let withhold = !restricted;
        if let Some(v) = signed {
            if withhold && v.withholds() {
                let public =
                    crate::docs::version_export::public_file(&name, &v, public_signature.as_ref());
                let text = match (format, public) {
                    (ExportFormat::Markdown, Some(file)) => file,
                    _ => {
                        let status = signoff::signed_status(
                            v.info.version,
                            &v.info.signed.by,
                            v.info.signed.at,
                        );
                        meeting::html::to_public_html_as(&view, &status)
                    }
                };
                return (text, true);
            }
            let text = match format {
                ExportFormat::Markdown => crate::docs::version_export::markdown(&name, &v),
                ExportFormat::Html => {
                    crate::docs::version_export::html(&name, &v).unwrap_or_else(|| {
                        crate::docs::version_export::render_html(
                            &view,
                            &crate::docs::version_export::facts(&name, &v),
                        )
                    })
                }
            };
            return (text, false);
        }
        let status = signoff::draft_status(&ledger);
        let exempt = withhold && view.items.iter().any(|i| i.exemption.is_some());
        let text = match (format, exempt) {
            (ExportFormat::Markdown, false) => export::markdown_as(&view, &status),
            (ExportFormat::Html, false) => export::html_as(&view, &status),
            (ExportFormat::Markdown, true) => {
                meeting::markdown::to_public_markdown_as(&view, &status)
            }
            (ExportFormat::Html, true) => meeting::html::to_public_html_as(&view, &status),
        };
        (text, exempt)
    })
    .await?;
    let (rendered, public) = rendered;
    if public {
        // A public rendering carries its own signature (or none), not the version's.
        return Ok(rendered);
    }
    match (signed_version, signer) {
        (Some(n), Some(signer)) => records::with_signature(signer, name, n, format, rendered),
        _ => Ok(rendered),
    }
}

/// The current view of meeting `name` (live if loaded, else as stored): the whole
/// meeting, Part II included ([`Meeting::full_view`]); callers withhold exempt items from
/// whoever lacks restricted access.
pub async fn read_view(registry: &Registry, name: &str) -> Result<MeetingView, MeetingError> {
    let source = read_source(registry, name).await?;
    let name = name.to_string();
    cpu::run(move || view_of(&name, source)).await?
}

/// Where a meeting's state comes from: its loaded actor, else the store (both
/// documents: the minutes and Part II).
enum Source {
    Loaded(LiveState),
    Stored(Box<(crate::store::StoredDoc, crate::store::StoredDoc)>),
}

/// The state of meeting `name` (not yet decoded).
async fn read_source(registry: &Registry, name: &str) -> Result<Source, MeetingError> {
    if !valid_doc_name(name) {
        return Err(MeetingError::NotFound(name.to_string()));
    }
    if let Some(state) = registry.read_loaded(name).await {
        return Ok(Source::Loaded(state));
    }
    let owned = name.to_string();
    let (stored, stored2) = read_store(registry, move |store| {
        Ok((store.load(&owned)?, store.load(&part2::key(&owned))?))
    })
    .await?;
    Ok(Source::Stored(Box::new((stored, stored2))))
}

/// The view of meeting `name` from its state (CPU work: run it through [`cpu::run`]).
fn view_of(name: &str, source: Source) -> Result<MeetingView, MeetingError> {
    let decode = |state: &[u8]| {
        let doc = Doc::new();
        let applied = yrs::Update::decode_v1(state)
            .ok()
            .and_then(|u| doc.transact_mut().apply_update(u).ok());
        applied.map(|_| doc)
    };
    let (doc, doc2) = match source {
        Source::Loaded(state) => match (decode(&state.main), decode(&state.part2)) {
            (Some(doc), Some(doc2)) => (doc, doc2),
            _ => return Err(MeetingError::NotFound(name.to_string())),
        },
        Source::Stored(stored) => (
            build_doc(name, &stored.0),
            build_doc(&part2::key(name), &stored.1),
        ),
    };
    let meeting = Meeting::new(doc);
    let part2 = Meeting::new(doc2);
    let txn = meeting.doc().transact();
    if meeting.summary(&txn).is_none() {
        return Err(MeetingError::NotFound(name.to_string()));
    }
    let txn2 = part2.doc().transact();
    let view = meeting.full_view(&txn, &part2, &txn2);
    Ok(view)
}

/// Moves the exempt items of the new meeting `name` (imported, or carried forward from
/// the previous meeting) into its Part II document ([`crate::docs::part2`]), so that the
/// minutes every member syncs never hold their text.
async fn split_part2(registry: &Registry, name: &str) -> Result<(), MeetingError> {
    let view = read_view(registry, name).await?;
    let server = crate::auth::Access::server();
    for item in view
        .items
        .iter()
        .filter(|i| i.withheld_by.as_ref() == Some(&i.id))
    {
        let Some(exemption) = item.exemption.clone() else {
            continue;
        };
        registry
            .move_to_part2(
                name,
                &server,
                item.id.clone(),
                exemption,
                item.public_title.clone(),
            )
            .await
            .map_err(|e| {
                MeetingError::Unprocessable(format!(
                    "moving item {} into Part II: {e}",
                    item.number
                ))
            })?;
    }
    Ok(())
}

/// Writes `minutes` into the new document `name` through its actor (durable on return).
async fn write_minutes(
    registry: &Registry,
    name: &str,
    minutes: &Minutes,
    people: Vec<PersonId>,
) -> Result<(), MeetingError> {
    let minutes = minutes.clone();
    let update = cpu::run(move || minutes_update(&minutes, people)).await??;
    registry.apply(name, update).await?;
    Ok(())
}

/// A new document holding `minutes`, as one v1 update (CPU work); the register's people
/// get the ids `people` (in order, where given).
fn minutes_update(minutes: &Minutes, people: Vec<PersonId>) -> Result<Vec<u8>, MeetingError> {
    let doc = Doc::new();
    let meeting = Meeting::new(doc.clone());
    {
        let mut txn = doc.transact_mut();
        meeting
            .import_minutes_as(&mut txn, minutes, &people)
            .map_err(|e| MeetingError::Unprocessable(e.to_string()))?;
    }
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    Ok(update)
}

/// Whether document `name` exists (loaded, or anything stored under it).
pub async fn exists(registry: &Registry, name: &str) -> Result<bool, MeetingError> {
    if registry.is_loaded(name) {
        return Ok(true);
    }
    let owned = name.to_string();
    read_store(registry, move |store| store.exists(&owned)).await
}

/// Whether the store holds no document at all.
pub async fn store_is_empty(registry: &Registry) -> Result<bool, MeetingError> {
    read_store(registry, |store| Ok(store.list_docs()?.is_empty())).await
}

/// Runs a blocking store read off the async workers.
async fn read_store<T: Send + 'static>(
    registry: &Registry,
    read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, MeetingError> {
    let store = registry.store().clone();
    Ok(tokio::task::spawn_blocking(move || read(&store))
        .await
        .map_err(StoreError::from_join)??)
}

/// A free document name: the title's slug and a short random suffix.
async fn unique_name(registry: &Registry, title: &str) -> Result<String, MeetingError> {
    let slug = slug(title);
    for _ in 0..16 {
        let name = format!("{slug}-{}", suffix());
        if !exists(registry, &name).await? {
            return Ok(name);
        }
    }
    Err(MeetingError::Exists(slug))
}

/// Lower-case ASCII letters and digits of `title`, other runs as one `-`; at most 60
/// characters; "meeting" if nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "meeting".to_string()
    } else {
        out.to_string()
    }
}

/// Six random base-36 characters.
fn suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u64(now_micros());
    let mut n = h.finish();
    let mut s = String::new();
    for _ in 0..6 {
        let d = (n % 36) as u32;
        n /= 36;
        s.push(char::from_digit(d, 36).unwrap_or('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_names() {
        assert_eq!(
            slug("Monthly Assurance Meeting January 2022 – Notes"),
            "monthly-assurance-meeting-january-2022-notes"
        );
        assert_eq!(slug("  ***  "), "meeting");
        assert!(slug(&"é".repeat(300)).len() <= 60);
        let name = format!("{}-{}", slug(&"ab ".repeat(100)), suffix());
        assert!(valid_doc_name(&name), "{name}");
        assert_ne!(suffix(), suffix());
    }
}
