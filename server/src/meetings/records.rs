//! A meeting's stored records, read for the API: its signed versions, its audit log (or
//! the whole log), and the facts a verification of a signed file compares against; and
//! the signing of signed versions ([`sign_missing`]).

use minutebook_shared::trust::{AuditEntry, Ledger, VersionInfo};

use minutebook_shared::signoff::signature;

use super::{read_store, ExportFormat, MeetingError};
use crate::auth::signing::Signer;
use crate::docs::registry::Registry;
use crate::docs::version_export;
use crate::store::SignedVersion;

/// Signed version `n` of meeting `name`, with its state.
pub async fn version(
    registry: &Registry,
    name: &str,
    n: u32,
) -> Result<Option<SignedVersion>, MeetingError> {
    let name = name.to_string();
    read_store(registry, move |store| store.version(&name, n)).await
}

/// Meeting `name`'s ledger as stored (empty if it has none).
pub async fn ledger(registry: &Registry, name: &str) -> Result<Ledger, MeetingError> {
    let name = name.to_string();
    read_store(registry, move |store| store.ledger(&name)).await
}

/// Meeting `name`'s audit entries in order, or every entry (by sequence) for `None`.
pub async fn audit(
    registry: &Registry,
    name: Option<&str>,
) -> Result<Vec<AuditEntry>, MeetingError> {
    let name = name.map(str::to_string);
    read_store(registry, move |store| store.audit(name.as_deref())).await
}

/// One page of [`audit`]: the newest `limit` entries numbered below `before`, in order,
/// and whether older ones exist.
pub async fn audit_page(
    registry: &Registry,
    name: Option<&str>,
    before: u64,
    limit: usize,
) -> Result<(Vec<AuditEntry>, bool), MeetingError> {
    let name = name.map(str::to_string);
    read_store(registry, move |store| {
        store.audit_page(name.as_deref(), before, limit)
    })
    .await
}

/// What a file claiming to be version `n` of `name` is checked against: the stored
/// version, if any, and (when there is one) the meeting's ledger (its versions and
/// approvals).
pub async fn verification_facts(
    registry: &Registry,
    name: &str,
    n: u32,
) -> Result<(Option<SignedVersion>, Ledger), MeetingError> {
    let name = name.to_string();
    read_store(registry, move |store| {
        let found = store.version(&name, n)?;
        let ledger = match &found {
            Some(_) => store.ledger(&name)?,
            None => Ledger::default(),
        };
        Ok((found, ledger))
    })
    .await
}

/// Signs every signed version of meeting `only` (of every meeting for `None`) that has no
/// signature yet, and its public version's statement, with the current key; how many
/// versions it signed. Run after each sign-off, and
/// at start for versions signed before signing keys existed or by a server that stopped
/// between the version and its signature.
pub async fn sign_missing(
    registry: &Registry,
    signer: &Signer,
    only: Option<&str>,
) -> Result<usize, MeetingError> {
    let mut signed = 0;
    for (name, versions) in signed_versions(registry, only).await? {
        for info in versions {
            let n = info.version;
            if signer.signature_of(&name, n)?.is_some() {
                continue;
            }
            let Some(v) = version(registry, &name, n).await? else {
                continue;
            };
            // The public statement first: a version with its own signature has both.
            if let Some(statement) = version_export::public_statement(&name, &v) {
                signer.sign_public(&statement).await?;
            }
            signer
                .sign_version(&version_export::statement(&name, &v))
                .await?;
            signed += 1;
        }
    }
    Ok(signed)
}

/// The signed versions of meeting `only` (of every meeting for `None`), per meeting: what
/// the backfills at start and after a sign-off walk.
pub async fn signed_versions(
    registry: &Registry,
    only: Option<&str>,
) -> Result<Vec<(String, Vec<VersionInfo>)>, MeetingError> {
    let only = only.map(str::to_owned);
    read_store(registry, move |store| {
        let names = match only {
            Some(name) => vec![name],
            None => store.list_docs()?,
        };
        names
            .into_iter()
            .map(|name| Ok((name.clone(), store.versions(&name)?)))
            .collect()
    })
    .await
}

/// `text`, the download of version `version` of `name` in `format`, carrying the
/// version's signature when it has one.
pub fn with_signature(
    signer: &Signer,
    name: &str,
    version: u32,
    format: ExportFormat,
    text: String,
) -> Result<String, MeetingError> {
    Ok(match (signer.signature_of(name, version)?, format) {
        (None, _) => text,
        (Some(c), ExportFormat::Markdown) => signature::add_to_markdown(&text, &c),
        (Some(c), ExportFormat::Html) => signature::add_to_html(&text, &c),
    })
}
