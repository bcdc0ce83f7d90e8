//! A signed version's PDF and Word document: rendered after sign-off, off the document
//! actor (on the blocking pool), by the binary's renderer ([`crate::docs::outputs`]), and
//! kept beside the version — the bytes, and their SHA-256 in an index so that `verify`
//! finds a PDF or Word file by its hash alone (nothing in an uploaded file is parsed or
//! decompressed to check it, so a ZIP bomb is just bytes to hash).

use minutebook_shared::meeting::reading::Reading;
use minutebook_shared::signoff;
use minutebook_shared::signoff::output_signature::{self, OutputClaim};
use minutebook_shared::trust::sha256_hex;
use serde::{Deserialize, Serialize};

use super::records::version;
use super::{read_store, MeetingError};
use crate::auth::records::kind;
use crate::auth::signing::Signer;
use crate::docs::cpu;
use crate::docs::outputs::{Job, Kind, Renderer};
use crate::docs::registry::Registry;
use crate::docs::version_export;
use crate::store::{Record, SignedVersion, WriteOp};

/// Which version an output is (the value of its hash's index entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRef {
    pub meeting: String,
    pub version: u32,
    pub kind: Kind,
}

fn output_key(meeting: &str, version: u32, kind: Kind) -> String {
    format!("{meeting}/{version:010}.{}", kind.ext())
}

/// The stored `kind` output of version `n` of `name`.
pub async fn output(
    registry: &Registry,
    name: &str,
    n: u32,
    kind: Kind,
) -> Result<Option<Vec<u8>>, MeetingError> {
    let key = output_key(name, n, kind);
    read_store(registry, move |store| {
        store.record(kind::VERSION_OUTPUT, &key)
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
) -> Result<Option<Vec<u8>>, MeetingError> {
    let Some(frozen) = output(registry, name, n, kind).await? else {
        return Ok(None);
    };
    let owned = name.to_owned();
    let versions = read_store(registry, move |store| store.versions(&owned)).await?;
    let Some(info) = versions.into_iter().find(|v| v.version == n) else {
        return Ok(Some(frozen));
    };
    let statement = output_signature::statement(name, n, kind, &sha256_hex(&frozen), &info.sha256);
    let claim = OutputClaim {
        meeting: name.to_owned(),
        version: n,
        kind,
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
            if output(registry, &name, info.version, Kind::Pdf)
                .await?
                .is_some()
            {
                continue;
            }
            let Some(v) = version(registry, &name, info.version).await? else {
                continue;
            };
            let (renderer, owned) = (renderer.clone(), name.clone());
            let outputs = cpu::run(move || {
                let job = job(&owned, &v).ok_or("the version's state is unreadable")?;
                renderer.render(&job).map_err(|e| e.to_string())
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
            for (kind, bytes) in [(Kind::Pdf, outputs.pdf), (Kind::Docx, outputs.docx)] {
                let entry = OutputRef {
                    meeting: name.clone(),
                    version: info.version,
                    kind,
                };
                records.push(Record::Put {
                    kind: kind::OUTPUT_HASH,
                    key: sha256_hex(&bytes),
                    json: serde_json::to_vec(&entry).unwrap_or_default(),
                });
                records.push(Record::Put {
                    kind: kind::VERSION_OUTPUT,
                    key: output_key(&name, info.version, kind),
                    json: bytes,
                });
            }
            // The index entries are written with the bytes, in one transaction.
            registry.store().write(WriteOp::Records(records)).await?;
            rendered += 1;
        }
    }
    Ok(rendered)
}

/// What the renderer needs of version `v` of `name`; `None` if its state is unreadable.
fn job(name: &str, v: &SignedVersion) -> Option<Job> {
    let view = version_export::view(v)?;
    let status = signoff::signed_status(v.info.version, &v.info.signed.by, v.info.signed.at);
    Some(Job {
        reading: Reading::new(&view, &status),
        markdown: version_export::markdown(name, v),
        meeting: name.to_owned(),
        version: v.info.version,
        sha256: v.info.sha256.clone(),
        signer: v.info.signed.by.clone(),
        signed_at: v.info.signed.at,
        status,
    })
}
