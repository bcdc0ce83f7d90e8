//! Which local changes the server has made durable, from one client's messages and the
//! server's `MSG_SAVED` counts and `MSG_REJECTED` refusals.
//!
//! Local changes are numbered 1, 2, … over the client's lifetime. Each update-carrying
//! message sent carries a range of them: an update carries the changes made since the
//! last message of this connection; a sync step 2 carries every change not yet durable
//! (those made offline, or sent on a connection that closed before acknowledging them).
//! So coverage is not a prefix: an update typed just after reconnecting may be durable
//! before the offline changes that the sync step 2 carries. The watermark
//! ([`Coverage::saved`]) is the highest number below which *every* change is durable.
//!
//! A saved count is cumulative, so it also covers the numbers of refused messages; the
//! changes a refused message carried are never durable, so a refusal caps the watermark
//! below them for the client's lifetime.

use std::collections::{BTreeMap, VecDeque};

/// The durability bookkeeping of one client, across its connections.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    /// Local changes made so far.
    local: u64,
    /// Every change numbered ≤ `durable` is durable.
    durable: u64,
    /// Durable ranges (first → last) above `durable + 1`, waiting for the gap to fill.
    ahead: BTreeMap<u64, u64>,
    /// After a refusal: the watermark never passes this.
    cap: Option<u64>,
    /// Per connection: update-carrying messages sent, and the ranges they carry
    /// (message number, first, last; an empty range has first > last), oldest first.
    sent: u64,
    unacked: VecDeque<(u64, u64, u64)>,
    /// Per connection: messages acknowledged so far.
    acked: u64,
    /// Per connection: the highest change number carried by a message of it (or made
    /// before it opened: those wait for a sync step 2).
    carried: u64,
}

impl Coverage {
    /// A local change was made; its number.
    pub(super) fn change(&mut self) -> u64 {
        self.local += 1;
        self.local
    }

    /// A connection opened: its message counts start at zero, and every change made so
    /// far that is not durable waits for a sync step 2.
    pub(super) fn opened(&mut self) {
        self.sent = 0;
        self.acked = 0;
        self.unacked.clear();
        self.carried = self.local;
    }

    /// An update was sent: it carries the changes made since the last message.
    pub(super) fn sent_update(&mut self) {
        self.record(self.carried + 1);
    }

    /// A sync step 2 was sent: it carries every change made so far.
    pub(super) fn sent_step2(&mut self) {
        self.record(self.durable + 1);
    }

    fn record(&mut self, first: u64) {
        self.sent += 1;
        self.unacked.push_back((self.sent, first, self.local));
        self.carried = self.local;
    }

    /// The server settled the first `count` messages of this connection. More than were
    /// sent is a server error.
    pub(super) fn acked(&mut self, count: u64) -> Result<(), String> {
        if count > self.sent {
            return Err(format!(
                "acknowledged {count} messages, only {} sent",
                self.sent
            ));
        }
        self.acked = self.acked.max(count);
        while let Some(&(n, first, last)) = self.unacked.front() {
            if n > count {
                break;
            }
            self.unacked.pop_front();
            self.durable_range(first, last);
        }
        Ok(())
    }

    /// The server refused message `count` of this connection (`None`: it did not say
    /// which). The changes it carried are never durable.
    pub(super) fn refused(&mut self, count: Option<u64>) {
        let below = match count {
            Some(count) => {
                let found = self.unacked.iter().position(|&(n, _, _)| n == count);
                match found.and_then(|i| self.unacked.remove(i)) {
                    // What is already durable was carried by other messages too.
                    Some((_, first, last)) if first <= last => (first - 1).max(self.durable),
                    // It carried no change, or was already settled.
                    _ => return,
                }
            }
            None => self.saved(),
        };
        self.cap = Some(self.cap.map_or(below, |c| c.min(below)));
    }

    fn durable_range(&mut self, first: u64, last: u64) {
        if first > last {
            return;
        }
        if first > self.durable + 1 {
            let end = self.ahead.entry(first).or_insert(last);
            *end = (*end).max(last);
            return;
        }
        self.durable = self.durable.max(last);
        // Fold in the ranges the gap was holding back.
        while let Some((&first, &last)) = self.ahead.first_key_value() {
            if first > self.durable + 1 {
                break;
            }
            self.ahead.pop_first();
            self.durable = self.durable.max(last);
        }
    }

    /// Local changes made so far.
    pub(super) fn local(&self) -> u64 {
        self.local
    }

    /// Every change numbered ≤ this is durable (never past a refused change).
    pub(super) fn saved(&self) -> u64 {
        self.durable.min(self.cap.unwrap_or(u64::MAX))
    }

    /// Messages of this connection not yet acknowledged.
    pub(super) fn in_flight(&self) -> bool {
        self.sent > self.acked
    }

    /// Whether some change is not known durable.
    pub(super) fn behind(&self) -> bool {
        self.durable < self.local
    }
}
