//! What a user is told about their changes ([`SaveState`]), as the sync session
//! ([`super::SyncSession`]) works it out.

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
    /// Connected, but the server cannot write to its disk (`MSG_STORAGE`): changes are
    /// kept on this page and sent again once it can.
    CannotWrite,
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
            SaveState::CannotWrite => "cannot-write",
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
            SaveState::CannotWrite => "Not saved — the server cannot write",
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
            (_, CannotWrite) => Some(
                "Not saved: the server cannot write. Your changes are kept on this page and will be saved when it can.",
            ),
            (CannotWrite, Saving | Saved) => Some("The server can write again; saving your changes."),
            (_, NotSaved) => Some("Not saved: the server refused a change. Reload the page."),
            (_, Stopped) => Some("Disconnected: you no longer have access to this meeting."),
            _ => None,
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
}
