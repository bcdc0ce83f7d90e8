//! Publication: the chair of a meeting, or an administrator, makes one of its signed
//! versions public (`minutebook_shared::publication`), or withdraws it. A meeting has at
//! most one published version; publishing another replaces it. Each publication is a
//! record (kind `publication`, keyed by meeting) written in the same transaction as its
//! audit entry, so nothing is public that the audit log does not show, and a withdrawal
//! is audited the same way.
//!
//! The series' address segment is fixed when a meeting is first published (from the
//! published version's series), so its public address stays put when later versions
//! rename the series.

use minutebook_shared::publication::{self, series_slug, Publication, FEED};
use minutebook_shared::time::now_ms;
use minutebook_shared::trust::{Ledger, Role, VersionInfo};

use super::records::version;
use super::{read_store, MeetingError};
use crate::auth::records::kind;
use crate::auth::signing::Signer;
use crate::auth::Access;
use crate::docs::ledger::Refusal;
use crate::docs::registry::Registry;
use crate::docs::version_export;
use crate::store::{audit, Record, WriteOp};

/// The audit events.
pub const PUBLISHED: &str = "minutes-published";
pub const UNPUBLISHED: &str = "minutes-unpublished";

/// Meeting `name`'s publication, if it has one.
pub async fn of(registry: &Registry, name: &str) -> Result<Option<Publication>, MeetingError> {
    let key = name.to_owned();
    let found = read_store(registry, move |store| store.record(kind::PUBLICATION, &key)).await?;
    Ok(found.and_then(|json| serde_json::from_slice(&json).ok()))
}

/// Every publication (unordered).
pub async fn all(registry: &Registry) -> Result<Vec<Publication>, MeetingError> {
    let rows = read_store(registry, |store| store.records(kind::PUBLICATION)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_slice(&json).ok())
        .collect())
}

/// The publications of series `slug`, newest first.
pub async fn in_series(registry: &Registry, slug: &str) -> Result<Vec<Publication>, MeetingError> {
    let mut list: Vec<Publication> = all(registry)
        .await?
        .into_iter()
        .filter(|p| p.series == slug)
        .collect();
    publication::newest_first(&mut list);
    Ok(list)
}

/// What the public index and feed say of `p`: its version's facts and the meeting's
/// stored ledger (approvals included), without loading the document; `None` if the
/// version is not in the ledger.
pub async fn standing(
    registry: &Registry,
    p: &Publication,
) -> Result<Option<(VersionInfo, Ledger)>, MeetingError> {
    let (name, n) = (p.meeting.clone(), p.version);
    read_store(registry, move |store| {
        let ledger = store.ledger(&name)?;
        let info = ledger.versions.iter().find(|v| v.version == n).cloned();
        Ok(info.map(|info| (info, ledger)))
    })
    .await
}

/// The public version's file of version `n` of `name`, signed (`None` when the version
/// does not exist or has no public version).
pub async fn public_file(
    registry: &Registry,
    signer: &Signer,
    name: &str,
    n: u32,
) -> Result<Option<String>, MeetingError> {
    let Some(v) = version(registry, name, n).await? else {
        return Ok(None);
    };
    let signature = signer.public_signature_of(name, n)?;
    Ok(version_export::public_file(name, &v, signature.as_ref()))
}

/// Publishes signed version `n` of meeting `name` for `access` (its chair or an
/// administrator), replacing any version published before; the publication, once durable.
pub async fn publish(
    registry: &Registry,
    access: &Access,
    name: &str,
    n: u32,
) -> Result<Publication, Refusal> {
    may_publish(access, "publish")?;
    let failed = |e: MeetingError| Refusal::Unavailable(e.to_string());
    if name == FEED {
        return Err(Refusal::Conflict(format!(
            "a meeting named {FEED} cannot be published (the name is its series' feed)"
        )));
    }
    let v = version(registry, name, n)
        .await
        .map_err(failed)?
        .ok_or_else(|| Refusal::NotFound(format!("no signed version {n} of {name}")))?;
    let view = crate::docs::cpu::run(move || version_export::view(&v))
        .await
        .map_err(|e| Refusal::Unavailable(e.to_string()))?
        .ok_or_else(|| Refusal::Unavailable("the signed version could not be read".into()))?;
    let before = of(registry, name).await.map_err(failed)?;
    let created = {
        let key = name.to_owned();
        read_store(registry, move |store| {
            Ok(store
                .meetings()?
                .into_iter()
                .find(|(n, _)| *n == key)
                .map_or(0, |(_, e)| e.created))
        })
        .await
        .map_err(failed)?
    };
    let header = &view.header.fields;
    let p = Publication {
        meeting: name.to_owned(),
        version: n,
        series: before
            .as_ref()
            .map_or_else(|| series_slug(&header.series), |b| b.series.clone()),
        series_title: header.series.trim().to_owned(),
        title: header.title.trim().to_owned(),
        date: header.date.trim().to_owned(),
        published_by: access.name.clone(),
        published_at: now_ms(),
        created,
    };
    let detail = match &before {
        Some(b) if b.version != n => format!(
            "version {n} published at {} (replacing version {})",
            p.path(),
            b.version
        ),
        _ => format!("version {n} published at {}", p.path()),
    };
    write(registry, access, name, Some(&p), PUBLISHED, detail)
        .await
        .map_err(failed)?;
    Ok(p)
}

/// Withdraws meeting `name`'s publication for `access` (its chair or an administrator):
/// its public pages and downloads are gone once this returns. What was withdrawn.
pub async fn unpublish(
    registry: &Registry,
    access: &Access,
    name: &str,
) -> Result<Publication, Refusal> {
    may_publish(access, "withdraw")?;
    let failed = |e: MeetingError| Refusal::Unavailable(e.to_string());
    let p = of(registry, name)
        .await
        .map_err(failed)?
        .ok_or_else(|| Refusal::NotFound(format!("{name} is not published")))?;
    let detail = format!("version {} withdrawn from {}", p.version, p.path());
    write(registry, access, name, None, UNPUBLISHED, detail)
        .await
        .map_err(failed)?;
    Ok(p)
}

/// Puts (or, for `None`, deletes) the publication record and its audit entry, in one
/// durable transaction.
async fn write(
    registry: &Registry,
    access: &Access,
    name: &str,
    p: Option<&Publication>,
    event: &str,
    detail: String,
) -> Result<(), MeetingError> {
    let store = registry.store();
    let entry = audit::entry(store, name, &access.name, access.role, event, detail);
    tracing::info!(meeting = %name, actor = %access.name, event, detail = %entry.detail, "audit");
    let record = match p {
        Some(p) => Record::Put {
            kind: kind::PUBLICATION,
            key: name.to_owned(),
            json: serde_json::to_vec(p).unwrap_or_default(),
        },
        None => Record::Delete {
            kind: kind::PUBLICATION,
            key: name.to_owned(),
        },
    };
    store
        .write(WriteOp::Records(vec![record, Record::Audit(entry)]))
        .await?;
    Ok(())
}

fn may_publish(access: &Access, what: &str) -> Result<(), Refusal> {
    if access.admin || access.role == Some(Role::Chair) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "only the chair or an administrator may {what} the minutes"
        )))
    }
}
