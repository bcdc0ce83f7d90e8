//! A signed version's PDF and Word document: rendered after sign-off, off the document
//! actor (on the blocking pool), by the binary's renderer ([`crate::docs::outputs`]), and
//! kept beside the version — the bytes, and their SHA-256 in an index so that `verify`
//! finds a PDF or Word file by its hash alone (nothing in an uploaded file is parsed or
//! decompressed to check it, so a ZIP bomb is just bytes to hash).

use minutebook_shared::meeting::reading::Reading;
use minutebook_shared::signoff;
use minutebook_shared::signoff::output_signature::{self, OutputClaim, Scope};
use minutebook_shared::trust::sha256_hex;
use serde::{Deserialize, Serialize};

use super::records::version;
use super::{read_store, MeetingError};
use crate::auth::records::kind;
use crate::auth::signing::Signer;
use crate::docs::cpu;
use crate::docs::outputs::{House, Job, Kind, Renderer};
use crate::docs::registry::Registry;
use crate::docs::version_export;
use crate::store::{Record, SignedVersion, WriteOp};

/// Which version an output is (the value of its hash's index entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRef {
    pub meeting: String,
    pub version: u32,
    pub kind: Kind,
    /// A rendering of the full version, or of its public version.
    #[serde(default)]
    pub scope: Scope,
}

fn output_key(meeting: &str, version: u32, kind: Kind, scope: Scope) -> String {
    match scope {
        Scope::Full => format!("{meeting}/{version:010}.{}", kind.ext()),
        Scope::Public => format!("{meeting}/{version:010}.public.{}", kind.ext()),
    }
}

/// The stored `kind` output of version `n` of `name` (of the full version, or of its
/// public version for [`Scope::Public`]).
pub async fn output(
    registry: &Registry,
    name: &str,
    n: u32,
    kind: Kind,
    scope: Scope,
) -> Result<Option<Vec<u8>>, MeetingError> {
    let key = output_key(name, n, kind, scope);
    read_store(registry, move |store| {
        store.record(kind::VERSION_OUTPUT, &key)
    })
    .await
}

/// Whether the `kind` output of version `n` of `name` is stored (without reading it).
pub async fn is_stored(
    registry: &Registry,
    name: &str,
    n: u32,
    kind: Kind,
    scope: Scope,
) -> Result<bool, MeetingError> {
    let key = output_key(name, n, kind, scope);
    read_store(registry, move |store| {
        store.has_record(kind::VERSION_OUTPUT, &key)
    })
    .await
}

/// The stored `kind` output of version `n` of `name` as it is downloaded: carrying the
/// server's signed claim that it is that output ([`output_signature`]), so that `verify
/// --key` checks it offline.
pub async fn signed(
    registry: &Registry,
    signer: &Signer,
    name: &str,
    n: u32,
    kind: Kind,
    scope: Scope,
) -> Result<Option<Vec<u8>>, MeetingError> {
    let Some(frozen) = output(registry, name, n, kind, scope).await? else {
        return Ok(None);
    };
    let owned = name.to_owned();
    let versions = read_store(registry, move |store| store.versions(&owned)).await?;
    let Some(info) = versions.into_iter().find(|v| v.version == n) else {
        return Ok(Some(frozen));
    };
    let statement =
        output_signature::statement(name, n, kind, scope, &sha256_hex(&frozen), &info.sha256);
    let claim = OutputClaim {
        meeting: name.to_owned(),
        version: n,
        kind,
        scope,
        markdown_sha256: info.sha256,
        carried: signer.sign_now(&statement)?,
    };
    Ok(Some(
        output_signature::attach(&frozen, &claim).unwrap_or(frozen),
    ))
}

/// The version and kind whose output hashes to `sha256`, if any.
pub async fn find(registry: &Registry, sha256: &str) -> Result<Option<OutputRef>, MeetingError> {
    let key = sha256.to_ascii_lowercase();
    let found = read_store(registry, move |store| store.record(kind::OUTPUT_HASH, &key)).await?;
    Ok(found.and_then(|json| serde_json::from_slice(&json).ok()))
}

/// Renders and stores the outputs of every signed version of meeting `only` (of every
/// meeting for `None`) that has none yet; how many versions it rendered. Run after each
/// sign-off, and at start for versions signed before (or while no renderer was linked).
pub async fn render_missing(
    registry: &Registry,
    renderer: &Renderer,
    only: Option<&str>,
) -> Result<usize, MeetingError> {
    let mut rendered = 0;
    for (name, versions) in super::records::signed_versions(registry, only).await? {
        for info in versions {
            if output(registry, &name, info.version, Kind::Pdf, Scope::Full)
                .await?
                .is_some()
            {
                continue;
            }
            let Some(v) = version(registry, &name, info.version).await? else {
                continue;
            };
            // The branding in force now (set by an administrator, else the flags').
            let house = read_store(registry, super::branding::house).await?;
            // The full version's outputs, and when it withholds exempt items, its public
            // version's (what publishing makes public).
            let (renderer, owned) = (renderer.clone(), name.clone());
            let outputs = cpu::run(move || {
                let mut scopes = vec![Scope::Full];
                if v.withholds() {
                    scopes.push(Scope::Public);
                }
                let mut out = Vec::new();
                for scope in scopes {
                    let job = job(&owned, &v, scope, house.clone())
                        .ok_or("the version's state is unreadable")?;
                    out.push((scope, renderer.render(&job).map_err(|e| e.to_string())?));
                }
                Ok::<_, String>(out)
            })
            .await?;
            let outputs = match outputs {
                Ok(outputs) => outputs,
                Err(e) => {
                    tracing::error!(meeting = %name, version = info.version, error = %e, "rendering the outputs failed");
                    continue;
                }
            };
            let mut records = Vec::new();
            for (scope, rendered) in outputs {
                for (kind, bytes) in [(Kind::Pdf, rendered.pdf), (Kind::Docx, rendered.docx)] {
                    let entry = OutputRef {
                        meeting: name.clone(),
                        version: info.version,
                        kind,
                        scope,
                    };
                    records.push(Record::Put {
                        kind: kind::OUTPUT_HASH,
                        key: sha256_hex(&bytes),
                        json: serde_json::to_vec(&entry).unwrap_or_default(),
                    });
                    records.push(Record::Put {
                        kind: kind::VERSION_OUTPUT,
                        key: output_key(&name, info.version, kind, scope),
                        json: bytes,
                    });
                }
            }
            // The index entries are written with the bytes, in one transaction.
            registry.store().write(WriteOp::Records(records)).await?;
            rendered += 1;
        }
    }
    Ok(rendered)
}

/// What the renderer needs of version `v` of `name` (its full version, or its public
/// version: exempt items withheld, the public file attached and its SHA-256 in the
/// footer); `None` if its state is unreadable.
fn job(name: &str, v: &SignedVersion, scope: Scope, house: Option<House>) -> Option<Job> {
    let view = version_export::view(v)?;
    let status = signoff::signed_status(v.info.version, &v.info.signed.by, v.info.signed.at);
    let (reading, markdown, sha256) = match (scope, &v.public) {
        (Scope::Public, Some(public)) => (
            Reading::public(&view, &status),
            version_export::public_file(name, v, None)?,
            public.sha256.clone(),
        ),
        _ => (
            Reading::new(&view, &status),
            version_export::markdown(name, v),
            v.info.sha256.clone(),
        ),
    };
    Some(Job {
        reading,
        markdown,
        meeting: name.to_owned(),
        version: v.info.version,
        sha256,
        signer: v.info.signed.by.clone(),
        signed_at: v.info.signed.at,
        status,
        house,
    })
}
