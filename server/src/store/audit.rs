//! The audit log: who did what, when — joins, invitations, revocations, role changes,
//! confirmations, correction decisions, sign-offs, reopenings and every refused attempt.
//! Entries are appended through the store's writer (durable before anyone is told).
//!
//! Bounds: every field of an entry is cut to a documented length ([`MAX_ACTOR_CHARS`],
//! [`MAX_MEETING_CHARS`], [`MAX_EVENT_CHARS`], [`MAX_DETAIL_CHARS`]), whoever supplies
//! it. (How repeated refusals are counted is a policy above the store:
//! `crate::auth::refusals`.)

use minutebook_shared::time::now_ms;
use minutebook_shared::trust::{AuditEntry, Role};

use crate::store::{Record, Store, WriteOp};

/// Longest actor (display name) kept in an entry, in characters.
pub const MAX_ACTOR_CHARS: usize = 200;
/// Longest meeting name kept in an entry (valid names are at most 128 characters).
pub const MAX_MEETING_CHARS: usize = 128;
/// Longest event kind kept in an entry.
pub const MAX_EVENT_CHARS: usize = 64;
/// Longest detail kept in an entry.
pub const MAX_DETAIL_CHARS: usize = 1000;

/// A new entry with the next sequence number; every field is cut to its limit.
pub fn entry(
    store: &Store,
    meeting: &str,
    actor: &str,
    role: Option<Role>,
    event: &str,
    detail: impl Into<String>,
) -> AuditEntry {
    AuditEntry {
        seq: store.audit_seq(),
        at: now_ms(),
        actor: cap(actor, MAX_ACTOR_CHARS),
        role,
        meeting: cap(meeting, MAX_MEETING_CHARS),
        event: cap(event, MAX_EVENT_CHARS),
        detail: cap(&detail.into(), MAX_DETAIL_CHARS),
    }
}

/// `text` cut to at most `max` characters (the last one an ellipsis when cut).
pub fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let keep: String = text.chars().take(max.saturating_sub(1)).collect();
            keep + "…"
        }
    }
}

/// Appends entries and waits until they are durable (a failure is logged: auditing must
/// not turn a refusal into a crash).
pub async fn record(store: &Store, entries: Vec<AuditEntry>) {
    if entries.is_empty() {
        return;
    }
    for e in &entries {
        tracing::info!(meeting = %e.meeting, actor = %e.actor, event = %e.event, detail = %e.detail, "audit");
    }
    let op = WriteOp::Records(entries.into_iter().map(Record::Audit).collect());
    if let Err(e) = store.write(op).await {
        tracing::error!(error = %e, "audit entry could not be stored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_capped_at_character_boundaries() {
        assert_eq!(cap("abc", 3), "abc");
        assert_eq!(cap("abcd", 3), "ab…");
        assert_eq!(cap(&"é".repeat(10), 4).chars().count(), 4);
        assert_eq!(
            cap(&"x".repeat(60_000), MAX_DETAIL_CHARS).chars().count(),
            1000
        );
    }
}
