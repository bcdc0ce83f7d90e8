//! One save state for a page that syncs two documents (the main one and Part II): "All
//! changes saved" only when both are saved, and the worse of the two otherwise, so a
//! Part II connection that fails is never hidden behind a saved main document.

use minutebook_shared::protocol::session::SaveState;

/// How much a state needs the user's attention (higher = worse).
fn severity(state: SaveState) -> u8 {
    match state {
        SaveState::Saved => 0,
        SaveState::Online => 1,
        SaveState::Saving => 2,
        SaveState::Connecting => 3,
        SaveState::Offline => 4,
        SaveState::CannotWrite => 5,
        SaveState::Stopped => 6,
        SaveState::NotSaved => 7,
    }
}

/// The state the page shows for `main` and, when the page syncs Part II, `part2`.
pub fn combined(main: SaveState, part2: Option<SaveState>) -> SaveState {
    match part2 {
        Some(p) if severity(p) > severity(main) => p,
        _ => main,
    }
}

/// Whether `state` is a failure the page must show on its own (Part II cannot be saved
/// now).
pub fn failing(state: SaveState) -> bool {
    severity(state) >= severity(SaveState::Offline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_only_when_both_are_saved() {
        assert_eq!(combined(SaveState::Saved, None), SaveState::Saved);
        assert_eq!(
            combined(SaveState::Saved, Some(SaveState::Saved)),
            SaveState::Saved
        );
        assert_eq!(
            combined(SaveState::Saved, Some(SaveState::Saving)),
            SaveState::Saving
        );
        assert_eq!(
            combined(SaveState::Saving, Some(SaveState::Saved)),
            SaveState::Saving
        );
    }

    #[test]
    fn a_part2_failure_shows() {
        assert_eq!(
            combined(SaveState::Saved, Some(SaveState::Offline)),
            SaveState::Offline
        );
        assert_eq!(
            combined(SaveState::Offline, Some(SaveState::NotSaved)),
            SaveState::NotSaved
        );
        assert_eq!(
            combined(SaveState::Stopped, Some(SaveState::Connecting)),
            SaveState::Stopped
        );
        assert!(failing(SaveState::Offline) && failing(SaveState::Stopped));
        assert!(!failing(SaveState::Connecting) && !failing(SaveState::Saved));
    }
}
