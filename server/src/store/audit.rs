//! The audit log: who did what, when — joins, invitations, revocations, role changes,
//! confirmations, correction decisions, sign-offs, reopenings and every refused attempt.
//! Entries are appended through the store's writer (durable before anyone is told).
//!
//! Bounds: every field of an entry is cut to a documented length ([`MAX_ACTOR_CHARS`],
//! [`MAX_MEETING_CHARS`], [`MAX_EVENT_CHARS`], [`MAX_DETAIL_CHARS`]), whoever supplies
//! it; repeated refusals of one caller are counted by [`Refusals`] and written as one
//! entry with a count per window; and the CSV export neutralises cells a spreadsheet
//! would run as a formula ([`csv`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use minutebook_shared::time::now_ms;
use minutebook_shared::trust::{AuditEntry, Role};
use tokio_util::sync::CancellationToken;

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

/// How refusals are aggregated (settings of `minutebook serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalPolicy {
    /// The window over which repeats of one refusal are counted.
    pub window: Duration,
    /// Distinct (caller, meeting, refusal) keys counted per window; refusals beyond it
    /// are counted together in one "other refusals" entry.
    pub max_keys: usize,
}

impl Default for RefusalPolicy {
    fn default() -> Self {
        RefusalPolicy {
            window: Duration::from_secs(60),
            max_keys: 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    caller: String,
    meeting: String,
    what: String,
}

#[derive(Debug)]
struct Repeats {
    actor: String,
    role: Option<Role>,
    /// Repeats after the first (which was recorded at once).
    count: u64,
}

#[derive(Debug, Default)]
struct Window {
    keys: HashMap<Key, Repeats>,
    /// Refusals not counted under a key because the table was full.
    overflow: u64,
}

/// Repeated refusals from one caller: the first of each (caller, meeting, refusal) in a
/// window is recorded at once, the repeats only counted, and [`Refusals::flush`] writes
/// one entry per key with the count at the end of the window. Memory is bounded by
/// [`RefusalPolicy::max_keys`] keys of capped strings.
#[derive(Clone)]
pub struct Refusals {
    policy: RefusalPolicy,
    window: Arc<Mutex<Window>>,
}

/// A refusal to audit: who (the aggregation key `caller` and the name shown), where, what.
pub struct Refusal<'a> {
    /// Identifies the caller for aggregation: the client address or session, or
    /// `anonymous`.
    pub caller: &'a str,
    pub actor: &'a str,
    pub role: Option<Role>,
    pub meeting: &'a str,
    pub what: &'a str,
}

impl Refusals {
    pub fn new(policy: RefusalPolicy) -> Self {
        Refusals {
            policy,
            window: Arc::new(Mutex::new(Window::default())),
        }
    }

    /// The aggregation settings.
    pub fn policy(&self) -> RefusalPolicy {
        self.policy
    }

    /// Counts a refusal; `true` when it is the first of its kind in this window and must
    /// be recorded now.
    pub fn note(&self, refusal: &Refusal<'_>) -> bool {
        let Ok(mut window) = self.window.lock() else {
            return false;
        };
        let key = Key {
            caller: cap(refusal.caller, MAX_ACTOR_CHARS),
            meeting: cap(refusal.meeting, MAX_MEETING_CHARS),
            what: cap(refusal.what, MAX_DETAIL_CHARS),
        };
        if let Some(repeats) = window.keys.get_mut(&key) {
            repeats.count += 1;
            return false;
        }
        if window.keys.len() >= self.policy.max_keys {
            window.overflow += 1;
            return false;
        }
        window.keys.insert(
            key,
            Repeats {
                actor: cap(refusal.actor, MAX_ACTOR_CHARS),
                role: refusal.role,
                count: 0,
            },
        );
        true
    }

    /// Ends the window: the entries that report the repeats counted in it.
    pub fn flush(&self, store: &Store) -> Vec<AuditEntry> {
        let window = match self.window.lock() {
            Ok(mut window) => std::mem::take(&mut *window),
            Err(_) => return Vec::new(),
        };
        let secs = self.policy.window.as_secs_f64();
        let mut entries: Vec<AuditEntry> = window
            .keys
            .into_iter()
            .filter(|(_, r)| r.count > 0)
            .map(|(key, r)| {
                entry(
                    store,
                    &key.meeting,
                    &r.actor,
                    r.role,
                    "rejected",
                    format!(
                        "repeated {} more time{} within {secs:.0} s: {}",
                        r.count,
                        if r.count == 1 { "" } else { "s" },
                        key.what
                    ),
                )
            })
            .collect();
        if window.overflow > 0 {
            entries.push(entry(
                store,
                "",
                "various callers",
                None,
                "rejected",
                format!(
                    "{} further refused requests within {secs:.0} s (not itemised: more than {} kinds)",
                    window.overflow, self.policy.max_keys
                ),
            ));
        }
        entries
    }

    /// Writes the repeat counts at the end of every window until `shutdown`, then once more.
    pub async fn run(self, store: Store, shutdown: CancellationToken) {
        let mut every = tokio::time::interval(self.policy.window.max(Duration::from_millis(10)));
        every.tick().await;
        loop {
            let stop = tokio::select! {
                _ = shutdown.cancelled() => true,
                _ = every.tick() => false,
            };
            record(&store, self.flush(&store)).await;
            if stop {
                return;
            }
        }
    }
}

/// The entries as CSV (RFC 4180 quoting). A cell a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`,
/// as OWASP recommends against CSV injection.
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
        let line: Vec<String> = fields.iter().map(|f| quote(&neutralise(f))).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `field` with a leading `'` when a spreadsheet would take it for a formula.
fn neutralise(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(actor: &str, meeting: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: 2,
            actor: actor.into(),
            role: None,
            meeting: meeting.into(),
            event: "rejected".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn formulas_are_neutralised_and_quoting_kept() {
        let out = csv(&[
            e("=HYPERLINK(\"x\")", "m", "+1"),
            e("-2", "@SUM(A1)", "\tx"),
            e("Ann, Lee", "m", "fine"),
        ]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[1], "1,2,\"'=HYPERLINK(\"\"x\"\")\",,m,rejected,'+1");
        assert_eq!(lines[2], "1,2,'-2,,'@SUM(A1),rejected,'\tx");
        assert_eq!(lines[3], "1,2,\"Ann, Lee\",,m,rejected,fine");
        assert_eq!(
            quote(&neutralise("\rcmd")),
            "\"'\rcmd\"",
            "a carriage return is neutralised and quoted"
        );
    }

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
