//! Refused attempts, counted: the first of each (caller, meeting, refusal) in a window is
//! audited at once, the repeats only counted, and one entry per key with the count is
//! written when the window ends ([`Refusals::run`]). Connections to a meeting ("join")
//! are aggregated the same way ([`Refusals::note_event`]), so reconnecting in a loop
//! cannot grow the audit log faster than one entry per caller and window. Memory is bounded by
//! [`RefusalPolicy::max_keys`] keys of capped strings. Used by the HTTP handlers and the
//! document actors alike.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use minutebook_shared::trust::{AuditEntry, Role};
use tokio_util::sync::CancellationToken;

use crate::store::audit::{
    cap, entry, record, MAX_ACTOR_CHARS, MAX_DETAIL_CHARS, MAX_MEETING_CHARS,
};
use crate::store::Store;

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
    /// The audit event: `rejected`, or `join`.
    event: &'static str,
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
        self.note_event("rejected", refusal)
    }

    /// Counts an occurrence of audit event `event` (`what` is its detail, without
    /// anything that differs between repeats); `true` when it is the first of its kind
    /// in this window and must be recorded now.
    pub fn note_event(&self, event: &'static str, refusal: &Refusal<'_>) -> bool {
        let Ok(mut window) = self.window.lock() else {
            return false;
        };
        let key = Key {
            event,
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
                    key.event,
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
                    "{} further refused requests or connections within {secs:.0} s (not itemised: more than {} kinds)",
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
