//! Rate limit for outgoing awareness states, as a pure state machine: at most one send per
//! interval, and the last change is always sent (after the interval), never dropped.

/// What the caller must do after telling the throttle something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send the current state now.
    SendNow,
    /// Arm a timer that calls [`Throttle::on_timer`] after this many milliseconds.
    ArmTimer(u64),
    /// Nothing to do: a timer is already armed and will send the latest state.
    Wait,
}

/// Throttle state: when the last send happened and whether a change waits for a timer.
#[derive(Debug, Clone)]
pub struct Throttle {
    interval_ms: u64,
    last_sent: Option<u64>,
    pending: bool,
    armed: bool,
}

impl Throttle {
    /// A throttle allowing one send per `interval_ms`.
    pub fn new(interval_ms: u64) -> Self {
        Throttle {
            interval_ms,
            last_sent: None,
            pending: false,
            armed: false,
        }
    }

    /// The state changed at time `now` (milliseconds).
    pub fn on_change(&mut self, now: u64) -> Step {
        if self.armed {
            self.pending = true;
            return Step::Wait;
        }
        match self.last_sent {
            Some(last) if now.saturating_sub(last) < self.interval_ms => {
                self.pending = true;
                self.armed = true;
                Step::ArmTimer(self.interval_ms - now.saturating_sub(last))
            }
            _ => {
                self.sent(now);
                Step::SendNow
            }
        }
    }

    /// The armed timer fired at `now`.
    pub fn on_timer(&mut self, now: u64) -> Step {
        self.armed = false;
        if !self.pending {
            return Step::Wait;
        }
        self.sent(now);
        Step::SendNow
    }

    /// The state was sent at `now` outside of the throttle (renewal, handshake): a change
    /// still waiting for the timer is covered by it.
    pub fn sent(&mut self, now: u64) {
        self.last_sent = Some(now);
        self.pending = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_change_goes_out_at_once() {
        let mut t = Throttle::new(50);
        assert_eq!(t.on_change(1000), Step::SendNow);
        assert_eq!(t.on_change(1100), Step::SendNow);
    }

    #[test]
    fn a_burst_sends_first_and_last() {
        let mut t = Throttle::new(50);
        assert_eq!(t.on_change(1000), Step::SendNow);
        assert_eq!(t.on_change(1010), Step::ArmTimer(40));
        assert_eq!(t.on_change(1020), Step::Wait);
        assert_eq!(t.on_change(1049), Step::Wait);
        // The timer sends the latest state once.
        assert_eq!(t.on_timer(1050), Step::SendNow);
        // The next change within the interval waits again.
        assert_eq!(t.on_change(1060), Step::ArmTimer(40));
        assert_eq!(t.on_timer(1100), Step::SendNow);
        assert_eq!(t.on_change(1200), Step::SendNow);
    }

    #[test]
    fn an_outside_send_covers_the_pending_change() {
        let mut t = Throttle::new(50);
        assert_eq!(t.on_change(0), Step::SendNow);
        assert_eq!(t.on_change(10), Step::ArmTimer(40));
        t.sent(20);
        assert_eq!(t.on_timer(50), Step::Wait);
        // A clock that goes backwards never underflows.
        assert_eq!(t.on_change(5), Step::ArmTimer(50));
    }
}
