//! Which local changes the server has made durable, from one connection's `MSG_SAVED`
//! counts and `MSG_REJECTED` refusals. A saved count is cumulative, so it also covers the
//! numbers of refused messages; a change a refused message carried must never be called
//! saved, so a refusal caps the watermark for the client's lifetime.

use std::collections::VecDeque;

/// The acknowledgement bookkeeping of one connection.
#[derive(Debug, Default)]
pub(crate) struct Watermark {
    /// (message number on this connection, local changes it covers), oldest first.
    unacked: VecDeque<(u64, u64)>,
    /// Update-carrying messages sent on this connection.
    sent: u64,
    /// Local changes acknowledged on this connection so far.
    acked_local: u64,
}

impl Watermark {
    /// An update-carrying message was sent; it covers local changes up to `local`.
    pub(crate) fn sent(&mut self, local: u64) {
        self.sent += 1;
        self.unacked.push_back((self.sent, local));
    }

    /// The server made the first `count` messages durable: the local change number now
    /// covered, if it moved.
    pub(crate) fn acked(&mut self, count: u64) -> Option<u64> {
        let mut covered = None;
        while self.unacked.front().is_some_and(|(n, _)| *n <= count) {
            covered = self.unacked.pop_front().map(|(_, local)| local);
        }
        if let Some(local) = covered {
            self.acked_local = self.acked_local.max(local);
        }
        covered
    }

    /// The server refused message `count`: the highest local change number that may still
    /// be called saved (what the messages before it covered).
    pub(crate) fn refused(&self, count: u64) -> u64 {
        self.unacked
            .iter()
            .take_while(|(n, _)| *n < count)
            .map(|(_, local)| *local)
            .last()
            .unwrap_or(self.acked_local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_message_caps_what_later_acks_call_saved() {
        let mut w = Watermark::default();
        w.sent(1); // message 1: change 1
        w.sent(3); // message 2: changes 2–3 (refused)
        w.sent(4); // message 3: change 4
        assert_eq!(w.acked(1), Some(1));
        // Refusing message 2 leaves change 1 as the last that can be saved.
        assert_eq!(w.refused(2), 1);
        // The server's next count covers message 2's number too.
        assert_eq!(w.acked(3), Some(4));
        assert_eq!(w.acked(3), None, "nothing new");
    }

    #[test]
    fn a_refusal_before_any_ack_caps_at_zero() {
        let mut w = Watermark::default();
        w.sent(2);
        assert_eq!(w.refused(1), 0);
        w.sent(5);
        assert_eq!(w.refused(2), 2);
    }
}
