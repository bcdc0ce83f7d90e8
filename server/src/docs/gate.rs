//! The durability gate: nothing that reveals a document's state leaves the server before
//! the write that covers it is on disk.
//!
//! A document's writes are numbered in the order the actor submits them to the store
//! ([`Gate::submit`]); the store completes them in that order and the actor reports each
//! completion ([`Gate::durable_up_to`]). Whatever the actor wants to send — a relayed
//! update, a "saved" acknowledgement, an API reply — passes [`Gate::pass`]: it goes at
//! once when everything submitted so far is durable, otherwise it waits behind the last
//! write submitted before it, and is released, in order, once that write is durable.
//!
//! Sans-IO: the gate holds numbers and effects and does nothing itself, so its rules are
//! unit-tested without tokio or a store.

use std::collections::VecDeque;

/// Effects of type `E` held behind the writes they depend on.
#[derive(Debug)]
pub struct Gate<E> {
    /// Highest write number submitted.
    submitted: u64,
    /// Highest write number known durable.
    durable: u64,
    /// Effects waiting, each with the write number it waits for (non-decreasing).
    held: VecDeque<(u64, E)>,
}

impl<E> Gate<E> {
    /// A gate for a document whose writes up to `last` are already on disk.
    pub fn new(last: u64) -> Self {
        Gate {
            submitted: last,
            durable: last,
            held: VecDeque::new(),
        }
    }

    /// Numbers the next write; the caller submits it to the store under that number.
    pub fn submit(&mut self) -> u64 {
        self.submitted += 1;
        self.submitted
    }

    /// The highest write number submitted.
    pub fn submitted(&self) -> u64 {
        self.submitted
    }

    /// Whether every write submitted is durable.
    pub fn settled(&self) -> bool {
        self.durable >= self.submitted
    }

    /// `Some(effect)` when it may be performed now (everything submitted is durable);
    /// otherwise holds it until the last write submitted so far is.
    pub fn pass(&mut self, effect: E) -> Option<E> {
        if self.settled() {
            Some(effect)
        } else {
            self.held.push_back((self.submitted, effect));
            None
        }
    }

    /// The store reports write `seq` durable (and, since it completes in order, every
    /// write before it): the effects this releases, in the order they were passed.
    pub fn durable_up_to(&mut self, seq: u64) -> Vec<E> {
        self.durable = self.durable.max(seq);
        let ready = self
            .held
            .iter()
            .take_while(|(waits_for, _)| *waits_for <= self.durable)
            .count();
        self.held.drain(..ready).map(|(_, effect)| effect).collect()
    }

    /// Storage failed and the document goes on without it (an outage): nothing held may
    /// ever be performed, and the failed writes will never complete. Drops the held
    /// effects and counts every write submitted as settled, so what comes next passes.
    pub fn reset(&mut self) -> usize {
        self.durable = self.submitted;
        self.fail()
    }

    /// Drops the held effects `keep` refuses (the others keep their order and writes).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.held.retain(|(_, effect)| keep(effect));
    }

    /// Storage failed: nothing held may ever be performed. Drops the held effects and
    /// returns how many there were.
    pub fn fail(&mut self) -> usize {
        let dropped = self.held.len();
        self.held.clear();
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Out {
        Relay(&'static str),
        Saved(u64),
        Reply(&'static str),
    }

    #[test]
    fn a_reset_gate_drops_what_it_held_and_lets_what_follows_pass() {
        let mut gate = Gate::new(0);
        gate.submit();
        assert_eq!(gate.pass(Out::Relay("unsaved")), None);
        assert_eq!(gate.reset(), 1);
        assert!(gate.settled());
        assert_eq!(gate.pass(Out::Reply("read")), Some(Out::Reply("read")));
        // A late completion of a write from before the reset releases nothing.
        assert!(gate.durable_up_to(1).is_empty());
    }

    #[test]
    fn a_settled_gate_lets_effects_pass_at_once() {
        let mut gate = Gate::new(7);
        assert!(gate.settled());
        assert_eq!(gate.pass(Out::Reply("read")), Some(Out::Reply("read")));
    }

    #[test]
    fn nothing_leaves_before_the_write_that_covers_it_is_durable() {
        let mut gate = Gate::new(0);
        let seq = gate.submit();
        assert_eq!(gate.pass(Out::Relay("a")), None);
        assert_eq!(gate.pass(Out::Saved(1)), None);
        assert_eq!(gate.pass(Out::Reply("applied")), None);
        assert!(gate.durable_up_to(seq - 1).is_empty());
        assert_eq!(
            gate.durable_up_to(seq),
            vec![Out::Relay("a"), Out::Saved(1), Out::Reply("applied")]
        );
        assert!(gate.settled());
    }

    #[test]
    fn an_effect_waits_for_every_write_submitted_before_it_not_after() {
        let mut gate = Gate::new(0);
        let first = gate.submit();
        assert_eq!(gate.pass(Out::Relay("first")), None);
        let second = gate.submit();
        assert_eq!(gate.pass(Out::Relay("second")), None);
        assert_eq!(gate.durable_up_to(first), vec![Out::Relay("first")]);
        assert!(!gate.settled());
        // A read answered now waits for the second write too: it reveals its state.
        assert_eq!(gate.pass(Out::Reply("read")), None);
        assert_eq!(
            gate.durable_up_to(second),
            vec![Out::Relay("second"), Out::Reply("read")]
        );
    }

    #[test]
    fn a_completion_covers_every_write_before_it() {
        let mut gate = Gate::new(0);
        gate.submit();
        assert_eq!(gate.pass(Out::Saved(1)), None);
        let last = gate.submit();
        assert_eq!(gate.pass(Out::Saved(2)), None);
        assert_eq!(gate.durable_up_to(last), vec![Out::Saved(1), Out::Saved(2)]);
        // A late, smaller report does not move durability back.
        assert!(gate.durable_up_to(1).is_empty());
        assert!(gate.settled());
    }

    #[test]
    fn after_a_storage_failure_nothing_held_is_released() {
        let mut gate = Gate::new(3);
        let seq = gate.submit();
        assert_eq!(gate.pass(Out::Relay("lost")), None);
        assert_eq!(gate.fail(), 1);
        assert!(gate.durable_up_to(seq).is_empty());
    }
}
