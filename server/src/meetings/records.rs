//! A meeting's stored records, read for the API: its signed versions, its audit log (or
//! the whole log), and the facts a verification of a signed file compares against.

use minutebook_shared::trust::{AuditEntry, VersionInfo};

use super::{read_store, MeetingError};
use crate::docs::registry::Registry;
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

/// Meeting `name`'s audit entries in order, or every entry (by sequence) for `None`.
pub async fn audit(
    registry: &Registry,
    name: Option<&str>,
) -> Result<Vec<AuditEntry>, MeetingError> {
    let name = name.map(str::to_string);
    read_store(registry, move |store| store.audit(name.as_deref())).await
}

/// What a file claiming to be version `n` of `name` is checked against: the stored
/// version, if any, and (when there is one) the meeting's list of versions.
pub async fn verification_facts(
    registry: &Registry,
    name: &str,
    n: u32,
) -> Result<(Option<SignedVersion>, Vec<VersionInfo>), MeetingError> {
    let name = name.to_string();
    read_store(registry, move |store| {
        let found = store.version(&name, n)?;
        let versions = match &found {
            Some(_) => store.ledger(&name)?.versions,
            None => Vec::new(),
        };
        Ok((found, versions))
    })
    .await
}
