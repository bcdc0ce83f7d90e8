//! The audit log: who did what, when — joins, invitations, revocations, role changes,
//! confirmations, correction decisions, sign-offs, reopenings and every refused attempt.
//! Entries are appended through the store's writer (durable before anyone is told).

use minutebook_shared::trust::{AuditEntry, Role};

use crate::store::{Record, Store, WriteOp};

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A new entry with the next sequence number.
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
        actor: actor.to_string(),
        role,
        meeting: meeting.to_string(),
        event: event.to_string(),
        detail: detail.into(),
    }
}

/// Appends entries and waits until they are durable (a failure is logged: auditing must
/// not turn a refusal into a crash).
pub async fn record(store: &Store, entries: Vec<AuditEntry>) {
    for e in &entries {
        tracing::info!(meeting = %e.meeting, actor = %e.actor, event = %e.event, detail = %e.detail, "audit");
    }
    let op = WriteOp::Records(entries.into_iter().map(Record::Audit).collect());
    if let Err(e) = store.write(op).await {
        tracing::error!(error = %e, "audit entry could not be stored");
    }
}

/// The entries as CSV (RFC 4180 quoting).
pub fn csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("seq,time_ms,actor,role,meeting,event,detail\r\n");
    for e in entries {
        let role = e.role.map_or("", Role::as_str);
        let fields = [
            e.seq.to_string(),
            e.at.to_string(),
            e.actor.clone(),
            role.to_string(),
            e.meeting.clone(),
            e.event.clone(),
            e.detail.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
