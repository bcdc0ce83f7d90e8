//! What the user is told about their changes, and the bookkeeping behind it: whether a
//! connection is open, and how many update-carrying messages were sent on it versus
//! acknowledged as durable by the server's `MSG_SAVED`. Pure logic, tested natively.

use minutebook_shared::protocol::{self, Message, SyncMessage};

/// What the user is told about their changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveState {
    /// The first connection attempt is under way.
    Connecting,
    /// Connected, but durability is unknown yet (handshake running, or the server does
    /// not acknowledge saves).
    Online,
    /// Not connected after having tried; edits are kept and a reconnect is scheduled.
    Offline,
    /// Connected; some sent changes are not yet acknowledged as durable.
    Saving,
    /// Connected and synced; every change is on the server's disk.
    Saved,
    /// The server refused a change (`MSG_REJECTED`): it will never be saved. Stays until
    /// the page is reloaded (the refused change is still in this page's copy).
    NotSaved,
    /// Not connected, and not reconnecting (access to the meeting was revoked or expired).
    Stopped,
}

impl SaveState {
    /// The value of the status element's `data-state` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            SaveState::Connecting => "connecting",
            SaveState::Online => "online",
            SaveState::Offline => "offline",
            SaveState::Saving => "saving",
            SaveState::Saved => "saved",
            SaveState::NotSaved => "not-saved",
            SaveState::Stopped => "stopped",
        }
    }

    /// The human-readable status text.
    pub fn label(self) -> &'static str {
        match self {
            SaveState::Connecting => "Connecting…",
            SaveState::Online => "Online",
            SaveState::Offline => "Offline — changes kept locally, reconnecting",
            SaveState::Saving => "Saving…",
            SaveState::Saved => "All changes saved",
            SaveState::NotSaved => "Not saved — the server refused a change",
            SaveState::Stopped => "Disconnected",
        }
    }

    /// What a screen reader is told when the state goes from `self` to `next`, if
    /// anything. Only what needs the user's attention is announced: losing or regaining
    /// the connection, a refused change, access ending. The saving/saved flip of every
    /// keystroke is not (it stays visible in the indicator).
    pub fn announcement(self, next: SaveState) -> Option<&'static str> {
        use SaveState::*;
        if self == next {
            return None;
        }
        match (self, next) {
            (_, Offline) => {
                Some("Connection lost. Your changes are kept on this page and will be saved when it reconnects.")
            }
            (Offline, Online | Saving | Saved) => Some("Reconnected."),
            (_, NotSaved) => Some("Not saved: the server refused a change. Reload the page."),
            (_, Stopped) => Some("Disconnected: you no longer have access to this meeting."),
            _ => None,
        }
    }
}

/// Bookkeeping behind [`SaveState`]: connection state and per-connection counts of
/// update-carrying messages sent and acknowledged.
#[derive(Debug, Default)]
pub struct SaveTracker {
    open: bool,
    /// The server negotiated the subprotocol, so `MSG_SAVED` acknowledgements will come.
    acks: bool,
    /// A connection attempt has ended at least once.
    ever_closed: bool,
    /// The server's sync step 2 arrived on this connection.
    synced: bool,
    sent: u64,
    acked: u64,
    /// Local changes exist that no acknowledgement covers: made while offline, or sent
    /// on a connection that closed before acknowledging them.
    unsaved: bool,
    /// The sent-count of the sync step 2 carrying `unsaved` changes on this connection.
    flush_at: Option<u64>,
    /// The server refused a change: it will never be acknowledged.
    rejected: bool,
    /// The provider stopped reconnecting.
    stopped: bool,
}

impl SaveTracker {
    /// A connection opened; `acks` tells whether it negotiated `MSG_SAVED`.
    pub fn opened(&mut self, acks: bool) {
        self.open = true;
        self.stopped = false;
        self.acks = acks;
        self.synced = false;
        self.sent = 0;
        self.acked = 0;
        self.flush_at = None;
    }

    /// The connection (or the attempt to make one) ended.
    pub fn closed(&mut self) {
        if self.open && self.sent > self.acked {
            self.unsaved = true;
        }
        self.open = false;
        self.ever_closed = true;
        self.synced = false;
        self.flush_at = None;
    }

    /// The local doc changed. While connected the change is sent (and counted by
    /// [`Self::sent`]); otherwise it waits for the next handshake.
    pub fn local_edit(&mut self) {
        if !self.open {
            self.unsaved = true;
        }
    }

    /// A local change could not be sent although the connection was open.
    pub fn send_failed(&mut self) {
        self.unsaved = true;
    }

    /// `msg` was sent on the current connection.
    pub fn sent(&mut self, msg: &Message) {
        if !protocol::carries_update(msg) {
            return;
        }
        self.sent += 1;
        let is_step2 = matches!(msg, Message::Sync(SyncMessage::SyncStep2(_)));
        if is_step2 && self.unsaved && self.flush_at.is_none() {
            self.flush_at = Some(self.sent);
        }
    }

    /// The server refused one of this page's changes (`MSG_REJECTED`).
    pub fn rejected(&mut self) {
        self.rejected = true;
    }

    /// The provider stopped reconnecting (after [`Self::closed`]).
    pub fn stopped(&mut self) {
        self.stopped = true;
    }

    /// The server's sync step 2 arrived: the local doc has everything the server had.
    pub fn synced(&mut self) {
        self.synced = true;
    }

    /// The server acknowledged the first `count` update-carrying messages as durable.
    /// Counts beyond what was sent are a server error and are refused.
    pub fn acked(&mut self, count: u64) -> Result<(), String> {
        if count > self.sent {
            return Err(format!(
                "acknowledged {count} messages, only {} sent",
                self.sent
            ));
        }
        self.acked = self.acked.max(count);
        if self.flush_at.is_some_and(|at| self.acked >= at) {
            self.unsaved = false;
            self.flush_at = None;
        }
        Ok(())
    }

    /// Whether some local change is not known to be durable (closing the page now
    /// could lose it). Unknowable without acknowledgements, so then false. After a
    /// refusal nothing more can be saved from this page, so false as well.
    pub fn has_unsaved(&self) -> bool {
        !self.rejected && (self.unsaved || (self.open && self.acks && self.sent > self.acked))
    }

    /// What to tell the user now.
    pub fn state(&self) -> SaveState {
        if self.rejected {
            return SaveState::NotSaved;
        }
        if !self.open {
            return if self.stopped {
                SaveState::Stopped
            } else if self.ever_closed {
                SaveState::Offline
            } else {
                SaveState::Connecting
            };
        }
        if !self.acks {
            return SaveState::Online;
        }
        if self.sent > self.acked || self.unsaved {
            SaveState::Saving
        } else if self.synced {
            SaveState::Saved
        } else {
            SaveState::Online
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connection_changes_and_refusals_are_announced() {
        use SaveState::*;
        // Typing flips saving/saved on every keystroke: silent, as is the first connect.
        for (from, to) in [
            (Saved, Saving),
            (Saving, Saved),
            (Connecting, Online),
            (Online, Saved),
        ] {
            assert_eq!(from.announcement(to), None, "{from:?} → {to:?}");
        }
        assert!(Saved
            .announcement(Offline)
            .unwrap()
            .starts_with("Connection lost"));
        assert!(Saving.announcement(Offline).is_some());
        assert_eq!(Offline.announcement(Offline), None);
        for to in [Online, Saving, Saved] {
            assert_eq!(Offline.announcement(to), Some("Reconnected."));
        }
        assert!(Saving
            .announcement(NotSaved)
            .unwrap()
            .starts_with("Not saved"));
        assert!(Saved
            .announcement(Stopped)
            .unwrap()
            .starts_with("Disconnected"));
    }
    use minutebook_shared::protocol::SyncMessage;
    use yrs::StateVector;

    fn step2() -> Message {
        Message::Sync(SyncMessage::SyncStep2(vec![0, 0]))
    }
    fn update() -> Message {
        Message::Sync(SyncMessage::Update(vec![0, 0]))
    }
    fn step1() -> Message {
        Message::Sync(SyncMessage::SyncStep1(StateVector::default()))
    }

    #[test]
    fn first_connection_goes_connecting_online_saving_saved() {
        let mut t = SaveTracker::default();
        assert_eq!(t.state(), SaveState::Connecting);
        t.opened(true);
        assert_eq!(t.state(), SaveState::Online);
        t.sent(&step1());
        assert_eq!(t.state(), SaveState::Online, "step 1 carries no update");
        t.sent(&step2());
        assert_eq!(t.state(), SaveState::Saving);
        t.synced();
        assert_eq!(t.state(), SaveState::Saving);
        t.acked(1).unwrap();
        assert_eq!(t.state(), SaveState::Saved);
        t.local_edit();
        t.sent(&update());
        assert_eq!(t.state(), SaveState::Saving);
        t.acked(2).unwrap();
        assert_eq!(t.state(), SaveState::Saved);
    }

    #[test]
    fn offline_edits_stay_pending_until_the_flushing_step2_is_acked() {
        let mut t = SaveTracker::default();
        t.opened(true);
        t.sent(&step2());
        t.synced();
        t.acked(1).unwrap();
        t.closed();
        assert_eq!(t.state(), SaveState::Offline);
        t.local_edit();
        t.opened(true);
        assert_eq!(t.state(), SaveState::Saving, "offline edits are pending");
        t.sent(&update()); // typed after reconnecting, before the server's step 1
        t.sent(&step2()); // carries the offline edits
        t.synced();
        t.acked(1).unwrap();
        assert_eq!(t.state(), SaveState::Saving);
        t.acked(2).unwrap();
        assert_eq!(t.state(), SaveState::Saved);
    }

    #[test]
    fn unacked_messages_of_a_closed_connection_stay_pending() {
        let mut t = SaveTracker::default();
        t.opened(true);
        t.sent(&step2());
        t.sent(&update());
        t.acked(1).unwrap();
        t.closed();
        t.opened(true);
        t.sent(&step2());
        t.synced();
        assert_eq!(t.state(), SaveState::Saving);
        t.acked(1).unwrap();
        assert_eq!(t.state(), SaveState::Saved);
    }

    #[test]
    fn counts_restart_per_connection_and_overacks_are_refused() {
        let mut t = SaveTracker::default();
        t.opened(true);
        t.sent(&step2());
        assert!(t.acked(2).is_err());
        t.acked(1).unwrap();
        t.acked(0).unwrap(); // stale, harmless
        t.synced();
        assert_eq!(t.state(), SaveState::Saved);
        t.closed();
        t.opened(true);
        assert!(t.acked(1).is_err(), "nothing sent on this connection yet");
    }

    #[test]
    fn unsaved_means_not_yet_acknowledged() {
        let mut t = SaveTracker::default();
        assert!(!t.has_unsaved());
        t.local_edit(); // typed before the first connection
        assert!(t.has_unsaved());
        t.opened(true);
        t.sent(&step2());
        t.synced();
        assert!(t.has_unsaved());
        t.acked(1).unwrap();
        assert!(!t.has_unsaved());
        t.sent(&update());
        assert!(t.has_unsaved());
        t.closed();
        assert!(t.has_unsaved(), "unacknowledged when the connection closed");
    }

    #[test]
    fn without_acknowledgements_connected_means_online() {
        let mut t = SaveTracker::default();
        t.opened(false);
        t.sent(&step2());
        t.synced();
        assert_eq!(t.state(), SaveState::Online);
    }

    #[test]
    fn every_state_has_a_distinct_attribute_and_label() {
        let all = [
            SaveState::Connecting,
            SaveState::Online,
            SaveState::Offline,
            SaveState::Saving,
            SaveState::Saved,
            SaveState::NotSaved,
            SaveState::Stopped,
        ];
        let attrs: std::collections::HashSet<_> = all.iter().map(|s| s.as_str()).collect();
        let labels: std::collections::HashSet<_> = all.iter().map(|s| s.label()).collect();
        assert_eq!((attrs.len(), labels.len()), (7, 7));
    }

    #[test]
    fn a_refusal_sticks_and_stopping_shows() {
        let mut t = SaveTracker::default();
        t.opened(true);
        t.sent(&step2());
        t.synced();
        t.acked(1).unwrap();
        t.sent(&update());
        t.rejected();
        assert_eq!(t.state(), SaveState::NotSaved);
        assert!(
            !t.has_unsaved(),
            "a refused change cannot be saved by staying"
        );
        t.closed();
        assert_eq!(t.state(), SaveState::NotSaved);

        let mut t = SaveTracker::default();
        t.opened(true);
        t.closed();
        t.stopped();
        assert_eq!(t.state(), SaveState::Stopped);
        t.opened(true);
        assert_eq!(t.state(), SaveState::Online);
    }
}
