//! A correction proposal against the statement as it reads now, word by word, for
//! `GET /api/meetings/{name}/corrections/{id}/diff` (computed here, off the async
//! workers, so the web client never carries a diff engine).

use minutebook_shared::api::CorrectionDiff;
use minutebook_shared::{diff, trust};

use super::{read_view, MeetingError};
use crate::docs::cpu;
use crate::docs::registry::Registry;

/// Correction `id` of meeting `name` against its statement's current text, with the
/// statement's block id; `None` when the meeting has no such correction.
pub async fn diff(
    registry: &Registry,
    name: &str,
    id: u64,
) -> Result<Option<(CorrectionDiff, String)>, MeetingError> {
    let Some((ledger, _)) = registry.ledger(name).await else {
        return Err(MeetingError::Busy);
    };
    let Some(correction) = ledger.corrections.into_iter().find(|c| c.id == id) else {
        return Ok(None);
    };
    let view = read_view(registry, name).await?;
    let current = view
        .items
        .iter()
        .flat_map(|i| &i.blocks)
        .find(|b| b.id.as_str() == correction.block)
        .map(|b| b.text.clone())
        .unwrap_or_default();
    let stale = correction
        .base_sha256
        .as_ref()
        .is_some_and(|base| *base != trust::statement_hash(&current));
    let block = correction.block.clone();
    let runs = cpu::run(move || diff::words(&current, &correction.text)).await?;
    Ok(Some((CorrectionDiff { id, runs, stale }, block)))
}
