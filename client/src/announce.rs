//! What the page says politely to screen readers (`#announcer`, see
//! [`crate::views::announcer`]): what other people did that concerns the minutes — a
//! statement confirmed, a correction proposed or decided, a sign-off — and where the
//! user's own outline moves put an item. Never every keystroke or save.
//!
//! The words are computed here, from a ledger change, so they are unit-tested natively.

use minutebook_shared::trust::{CorrectionStatus, LedgerChange};

/// The sentence for `change`, leaving out what `me` (the user's display name) did;
/// `place` names a statement ("statement 2 of item 2.1"). `None` when there is nothing
/// to say.
pub fn ledger_news(
    change: &LedgerChange,
    me: &str,
    place: impl Fn(&str) -> String,
) -> Option<String> {
    let mut said = Vec::new();
    for c in &change.confirmations {
        if let Some(confirmation) = &c.confirmation {
            if confirmation.stamp.by != me {
                said.push(format!(
                    "{} confirmed {}.",
                    confirmation.stamp.by,
                    place(&c.block)
                ));
            }
        }
    }
    for c in &change.corrections {
        if c.proposed.by != me {
            said.push(format!(
                "{} proposed a correction to {}.",
                c.proposed.by,
                place(&c.block)
            ));
        }
    }
    for d in &change.decisions {
        let by = d
            .decided
            .as_ref()
            .map(|s| s.by.as_str())
            .unwrap_or_default();
        let verb = match d.status {
            CorrectionStatus::Accepted => "accepted",
            CorrectionStatus::Declined => "declined",
            CorrectionStatus::Open | CorrectionStatus::Withdrawn => continue,
        };
        if by != me && !by.is_empty() {
            said.push(format!("{by} {verb} a correction."));
        }
    }
    for v in &change.versions {
        if v.signed.by != me {
            said.push(format!(
                "{} signed off the minutes (version {}).",
                v.signed.by, v.version
            ));
        }
    }
    (!said.is_empty()).then(|| said.join(" "))
}

/// The sentence after the user moved item `title` to number `number`.
pub fn moved(title: &str, number: &str) -> String {
    let title = title.trim();
    if title.is_empty() {
        format!("Item moved to {number}.")
    } else {
        format!("Item “{title}” moved to {number}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::trust::{Confirmation, ConfirmationChange, Correction, Stamp};

    fn stamp(by: &str) -> Stamp {
        Stamp {
            by: by.into(),
            ..Stamp::default()
        }
    }

    fn place(block: &str) -> String {
        format!("statement {block}")
    }

    #[test]
    fn others_confirmations_and_proposals_are_told_the_users_own_are_not() {
        let confirmation = |by: &str, block: &str| ConfirmationChange {
            block: block.into(),
            person: "p".into(),
            confirmation: Some(Confirmation {
                stamp: stamp(by),
                sha256: String::new(),
                speakers: None,
            }),
        };
        let change = LedgerChange {
            confirmations: vec![confirmation("Ann", "1"), confirmation("Me", "2")],
            corrections: vec![Correction {
                id: 1,
                block: "3".into(),
                proposed: stamp("Ben"),
                text: String::new(),
                note: String::new(),
                status: CorrectionStatus::Open,
                decided: None,
                reason: String::new(),
                base_sha256: None,
                base_speakers: None,
            }],
            ..LedgerChange::default()
        };
        assert_eq!(
            ledger_news(&change, "Me", place).as_deref(),
            Some("Ann confirmed statement 1. Ben proposed a correction to statement 3.")
        );
    }

    #[test]
    fn a_dropped_confirmation_or_the_users_own_news_says_nothing() {
        let change = LedgerChange {
            confirmations: vec![ConfirmationChange {
                block: "1".into(),
                person: "p".into(),
                confirmation: None,
            }],
            ..LedgerChange::default()
        };
        assert_eq!(ledger_news(&change, "Me", place), None);
    }

    #[test]
    fn a_move_names_the_item_and_its_new_number() {
        assert_eq!(
            moved("Data quality", "2.1"),
            "Item “Data quality” moved to 2.1."
        );
        assert_eq!(moved(" ", "3"), "Item moved to 3.");
    }
}
