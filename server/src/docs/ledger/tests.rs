//! The ledger's rules, one small test each, on hand-built views (no document, no actor).

use minutebook_shared::meeting::model::{BlockId, BlockKind, ItemId, PersonId};
use minutebook_shared::meeting::view::{BlockView, ItemView};
use minutebook_shared::trust::{StatementStatus, VersionInfo};

use super::*;

const NOW: u64 = 1_000;

/// One item holding statement `s1` by `speakers` with `text`.
fn view_with(text: &str, speakers: &[&str]) -> MeetingView {
    MeetingView {
        items: vec![ItemView {
            id: ItemId::from("i1"),
            number: "1".into(),
            title: "Item".into(),
            blocks: vec![
                BlockView {
                    id: BlockId::from("s1"),
                    kind: BlockKind::Statement,
                    text: text.into(),
                    speakers: speakers.iter().map(|p| PersonId::from(*p)).collect(),
                },
                BlockView {
                    id: BlockId::from("n1"),
                    kind: BlockKind::default(),
                    text: "A note.".into(),
                    speakers: Vec::new(),
                },
            ],
            ..ItemView::default()
        }],
        ..MeetingView::default()
    }
}

fn view() -> MeetingView {
    view_with("The DCC responded.", &["dcc"])
}

fn access(role: Role, person: Option<&str>) -> Access {
    Access {
        name: format!("{role:?}"),
        role: Some(role),
        admin: false,
        person: person.map(str::to_owned),
        invite: Some(7),
        issued_by: Some("Clerk".into()),
        session: None,
        restricted: role.restricted_by_default(),
    }
}

fn speaker(person: &str) -> Access {
    access(Role::Attendee, Some(person))
}

fn chair() -> Access {
    access(Role::Chair, Some("chair"))
}

fn run(
    ledger: &Ledger,
    view: &MeetingView,
    who: &Access,
    cmd: Command,
) -> Result<Decision, Refusal> {
    decide(ledger, view, who, &cmd, NOW, &LedgerBudget::default())
}

fn confirm_cmd(text: &str) -> Command {
    Command::Confirm {
        block: "s1".into(),
        sha256: trust::statement_hash(text),
    }
}

fn propose_cmd(text: &str) -> Command {
    Command::Propose {
        block: "s1".into(),
        text: text.into(),
        note: String::new(),
    }
}

/// The ledger after `who` proposes `text` for `s1` on `view`.
fn proposed(view: &MeetingView, who: &Access, text: &str) -> Ledger {
    run(&Ledger::default(), view, who, propose_cmd(text))
        .expect("a proposal")
        .ledger
}

fn signed_ledger() -> Ledger {
    run(
        &Ledger::default(),
        &view(),
        &chair(),
        Command::SignOff {
            override_reason: "agreed at the meeting".into(),
        },
    )
    .expect("signed")
    .ledger
}

// --- confirming ---

#[test]
fn a_speaker_confirms_their_statement_as_they_read_it() {
    let d = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        confirm_cmd("The DCC responded."),
    )
    .unwrap();
    let c = d.ledger.confirmation("s1", "dcc").expect("recorded");
    assert!(c.holds("The DCC responded.", &["dcc".to_string()]));
    assert_eq!(c.stamp.at, NOW);
    assert!(
        d.detail.contains("confirmed statement s1 as dcc"),
        "{}",
        d.detail
    );
}

#[test]
fn a_confirmation_of_text_that_changed_since_it_was_read_is_refused() {
    let r = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        confirm_cmd("An older text."),
    );
    assert!(matches!(r, Err(Refusal::Conflict(_))), "{r:?}");
}

#[test]
fn nobody_confirms_someone_else_s_statement() {
    let r = run(
        &Ledger::default(),
        &view(),
        &speaker("pcc"),
        confirm_cmd("The DCC responded."),
    );
    assert!(matches!(r, Err(Refusal::Forbidden(_))), "{r:?}");
}

#[test]
fn observers_confirm_nothing_even_their_own() {
    let observer = access(Role::Observer, Some("dcc"));
    let r = run(
        &Ledger::default(),
        &view(),
        &observer,
        confirm_cmd("The DCC responded."),
    );
    assert!(matches!(r, Err(Refusal::Forbidden(_))), "{r:?}");
}

#[test]
fn a_block_that_is_not_a_statement_cannot_be_confirmed() {
    let cmd = Command::Confirm {
        block: "n1".into(),
        sha256: trust::statement_hash("A note."),
    };
    let r = run(&Ledger::default(), &view(), &speaker("dcc"), cmd);
    assert!(matches!(r, Err(Refusal::NotFound(_))), "{r:?}");
}

#[test]
fn signed_minutes_take_no_confirmation() {
    let r = run(
        &signed_ledger(),
        &view(),
        &speaker("dcc"),
        confirm_cmd("The DCC responded."),
    );
    assert!(matches!(r, Err(Refusal::Locked)), "{r:?}");
}

#[test]
fn confirming_again_as_it_stands_changes_nothing() {
    let first = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        confirm_cmd("The DCC responded."),
    )
    .unwrap();
    assert!(!first.unchanged);
    let again = run(
        &first.ledger,
        &view(),
        &speaker("dcc"),
        confirm_cmd("The DCC responded."),
    )
    .unwrap();
    assert!(again.unchanged, "a repeat is not written");
    assert_eq!(
        again.ledger, first.ledger,
        "nor does it advance the revision"
    );
    // After the statement changes and is confirmed anew, that is a change again.
    let changed = view_with("The DCC responded at length.", &["dcc"]);
    let anew = run(
        &first.ledger,
        &changed,
        &speaker("dcc"),
        confirm_cmd("The DCC responded at length."),
    )
    .unwrap();
    assert!(!anew.unchanged);
    assert_eq!(anew.ledger.revision, first.ledger.revision + 1);
}

#[test]
fn with_three_speakers_one_confirmation_counts_for_one() {
    let view = view_with("They agreed.", &["a", "b", "c"]);
    let d = run(
        &Ledger::default(),
        &view,
        &speaker("b"),
        confirm_cmd("They agreed."),
    )
    .unwrap();
    let r = trust::readiness(&view, &d.ledger);
    assert_eq!((r.confirmed, r.pending), (1, 2));
    assert_eq!(r.statements[0].status, StatementStatus::Pending);
}

#[test]
fn every_decision_drops_confirmations_of_people_no_longer_speaking() {
    let before = view_with("Said.", &["a", "b"]);
    let ledger = run(
        &Ledger::default(),
        &before,
        &speaker("a"),
        confirm_cmd("Said."),
    )
    .unwrap()
    .ledger;
    let after = view_with("Said.", &["b"]);
    let d = run(&ledger, &after, &speaker("b"), confirm_cmd("Said.")).unwrap();
    assert!(d.ledger.confirmation("s1", "a").is_none());
    assert!(d.ledger.confirmation("s1", "b").is_some());
}

#[test]
fn every_decision_advances_the_revision_and_records_the_invitation() {
    let d = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        confirm_cmd("The DCC responded."),
    )
    .unwrap();
    assert_eq!(d.ledger.revision, 1);
    let stamp = &d.ledger.confirmation("s1", "dcc").unwrap().stamp;
    assert_eq!(
        (stamp.invite, stamp.issued_by.as_deref()),
        (Some(7), Some("Clerk"))
    );
}

// --- proposing corrections ---

#[test]
fn an_empty_correction_is_refused() {
    let r = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        propose_cmd("  "),
    );
    assert!(matches!(r, Err(Refusal::BadRequest(_))), "{r:?}");
}

#[test]
fn an_overlong_correction_is_refused() {
    let r = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        propose_cmd(&"x".repeat(MAX_TEXT + 1)),
    );
    assert!(matches!(r, Err(Refusal::BadRequest(_))), "{r:?}");
}

#[test]
fn a_second_proposal_withdraws_the_first() {
    let first = proposed(&view(), &speaker("dcc"), "The DCC agreed.");
    let d = run(
        &first,
        &view(),
        &speaker("dcc"),
        propose_cmd("The DCC disagreed."),
    )
    .unwrap();
    let statuses: Vec<_> = d.ledger.corrections.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [CorrectionStatus::Withdrawn, CorrectionStatus::Open]
    );
    assert!(d.detail.contains("withdrawing #1"), "{}", d.detail);
}

#[test]
fn a_full_ledger_refuses_proposals_but_not_confirmations() {
    let budget = LedgerBudget {
        max_entries: 0,
        max_bytes: usize::MAX,
    };
    let propose = decide(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        &propose_cmd("Fixed."),
        NOW,
        &budget,
    );
    assert!(matches!(propose, Err(Refusal::Full(_))), "{propose:?}");
    let confirm = decide(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        &confirm_cmd("The DCC responded."),
        NOW,
        &budget,
    );
    assert!(confirm.is_ok(), "{confirm:?}");
}

// --- deciding on corrections ---

#[test]
fn one_person_s_proposals_hold_at_most_their_share_of_the_budget() {
    let budget = LedgerBudget {
        max_entries: 2 * PERSON_SHARE,
        max_bytes: usize::MAX,
    };
    let view = view_with("They agreed.", &["a", "b"]);
    let mut ledger = Ledger::default();
    for n in 0..2 {
        let cmd = propose_cmd(&format!("Try {n}."));
        ledger = decide(&ledger, &view, &speaker("a"), &cmd, NOW, &budget)
            .expect("within the share")
            .ledger;
    }
    let third = decide(
        &ledger,
        &view,
        &speaker("a"),
        &propose_cmd("Again."),
        NOW,
        &budget,
    );
    assert!(
        matches!(&third, Err(Refusal::Full(why)) if why.contains("your share")),
        "{third:?}"
    );
    let other = decide(
        &ledger,
        &view,
        &speaker("b"),
        &propose_cmd("Mine."),
        NOW,
        &budget,
    );
    assert!(other.is_ok(), "another speaker still proposes: {other:?}");
}

#[test]
fn attendees_do_not_decide_on_corrections() {
    let ledger = proposed(&view(), &speaker("dcc"), "Fixed.");
    let r = run(&ledger, &view(), &speaker("dcc"), Command::Accept { id: 1 });
    assert!(matches!(r, Err(Refusal::Forbidden(_))), "{r:?}");
}

#[test]
fn accepting_replaces_the_text_and_counts_as_the_proposer_s_confirmation() {
    let view = view_with("Both said.", &["a", "b"]);
    let ledger = run(
        &Ledger::default(),
        &view,
        &speaker("b"),
        confirm_cmd("Both said."),
    )
    .unwrap()
    .ledger;
    let ledger = run(&ledger, &view, &speaker("a"), propose_cmd("Both agreed."))
        .unwrap()
        .ledger;
    let minute_taker = access(Role::MinuteTaker, None);
    let d = run(&ledger, &view, &minute_taker, Command::Accept { id: 1 }).unwrap();
    assert_eq!(d.set_text, Some(("s1".into(), "Both agreed.".into())));
    let speakers = ["a".to_string(), "b".to_string()];
    assert!(d
        .ledger
        .confirmation("s1", "a")
        .unwrap()
        .holds("Both agreed.", &speakers));
    assert!(
        !d.ledger
            .confirmation("s1", "b")
            .unwrap()
            .holds("Both agreed.", &speakers),
        "b confirmed the old text only"
    );
}

#[test]
fn a_correction_to_a_statement_that_changed_since_cannot_be_accepted() {
    let ledger = proposed(&view(), &speaker("dcc"), "Fixed.");
    let edited = view_with("The DCC responded at length.", &["dcc"]);
    let r = run(&ledger, &edited, &chair(), Command::Accept { id: 1 });
    assert!(matches!(r, Err(Refusal::Conflict(m)) if m.contains("changed")));
}

#[test]
fn a_correction_to_a_statement_attributed_differently_since_cannot_be_accepted() {
    let before = view_with("Said.", &["a"]);
    let ledger = proposed(&before, &speaker("a"), "Said well.");
    let after = view_with("Said.", &["a", "b"]);
    let r = run(&ledger, &after, &chair(), Command::Accept { id: 1 });
    assert!(matches!(r, Err(Refusal::Conflict(m)) if m.contains("attribution")));
}

#[test]
fn a_correction_is_decided_once() {
    let ledger = proposed(&view(), &speaker("dcc"), "Fixed.");
    let declined = run(
        &ledger,
        &view(),
        &chair(),
        Command::Decline {
            id: 1,
            reason: "as minuted".into(),
        },
    )
    .unwrap()
    .ledger;
    let r = run(&declined, &view(), &chair(), Command::Accept { id: 1 });
    assert!(matches!(r, Err(Refusal::Conflict(m)) if m.contains("already decided")));
}

#[test]
fn declining_needs_a_reason() {
    let ledger = proposed(&view(), &speaker("dcc"), "Fixed.");
    let r = run(
        &ledger,
        &view(),
        &chair(),
        Command::Decline {
            id: 1,
            reason: " ".into(),
        },
    );
    assert!(matches!(r, Err(Refusal::BadRequest(_))), "{r:?}");
}

#[test]
fn an_unknown_correction_is_not_found() {
    let r = run(
        &Ledger::default(),
        &view(),
        &chair(),
        Command::Accept { id: 9 },
    );
    assert!(matches!(r, Err(Refusal::NotFound(_))), "{r:?}");
}

// --- signing off and reopening ---

#[test]
fn only_the_chair_signs_off() {
    let minute_taker = access(Role::MinuteTaker, None);
    let cmd = Command::SignOff {
        override_reason: "x".into(),
    };
    let r = run(&Ledger::default(), &view(), &minute_taker, cmd);
    assert!(matches!(r, Err(Refusal::Forbidden(_))), "{r:?}");
}

#[test]
fn unconfirmed_minutes_need_a_reason_to_be_signed_off() {
    let cmd = Command::SignOff {
        override_reason: String::new(),
    };
    match run(&Ledger::default(), &view(), &chair(), cmd) {
        Err(Refusal::NotReady(message, readiness)) => {
            assert_eq!(readiness.pending, 1);
            assert!(message.contains("1 of 1 statements"), "{message}");
        }
        other => panic!("expected not ready, got {other:?}"),
    }
}

#[test]
fn confirmed_minutes_sign_off_without_a_reason() {
    let ledger = run(
        &Ledger::default(),
        &view(),
        &speaker("dcc"),
        confirm_cmd("The DCC responded."),
    )
    .unwrap()
    .ledger;
    let cmd = Command::SignOff {
        override_reason: String::new(),
    };
    let d = run(&ledger, &view(), &chair(), cmd).unwrap();
    assert_eq!(d.sign, Some(1));
    assert!(d.ledger.signed());
    assert_eq!(
        d.detail,
        "signed off version 1 (via invitation #7 issued by Clerk)"
    );
}

#[test]
fn signed_minutes_are_not_signed_again() {
    let cmd = Command::SignOff {
        override_reason: "x".into(),
    };
    let r = run(&signed_ledger(), &view(), &chair(), cmd);
    assert!(matches!(r, Err(Refusal::Conflict(_))), "{r:?}");
}

#[test]
fn versions_are_numbered_after_the_highest_signed() {
    let mut ledger = Ledger::default();
    ledger.versions.push(
        serde_json::from_value::<VersionInfo>(serde_json::json!({
            "version": 3, "signed": {"by": "Chair", "at": 1}, "sha256": "00",
            "readiness": {"confirmed": 0, "pending": 0, "changed": 0,
                          "corrections_open": 0, "statements": []}
        }))
        .unwrap(),
    );
    let cmd = Command::SignOff {
        override_reason: "x".into(),
    };
    assert_eq!(run(&ledger, &view(), &chair(), cmd).unwrap().sign, Some(4));
}

#[test]
fn only_signed_minutes_are_reopened_and_only_with_a_reason() {
    let reopen = |reason: &str| Command::Reopen {
        reason: reason.into(),
    };
    let r = run(&Ledger::default(), &view(), &chair(), reopen("typo"));
    assert!(matches!(r, Err(Refusal::Conflict(_))), "{r:?}");
    let r = run(&signed_ledger(), &view(), &chair(), reopen(""));
    assert!(matches!(r, Err(Refusal::BadRequest(_))), "{r:?}");
    let r = run(
        &signed_ledger(),
        &view(),
        &access(Role::MinuteTaker, None),
        reopen("typo"),
    );
    assert!(matches!(r, Err(Refusal::Forbidden(_))), "{r:?}");
}

#[test]
fn reopening_returns_to_draft_and_records_why() {
    let d = run(
        &signed_ledger(),
        &view(),
        &chair(),
        Command::Reopen {
            reason: "a name was misspelt".into(),
        },
    )
    .unwrap();
    assert!(!d.ledger.signed());
    let reopening = d.ledger.reopenings.last().expect("recorded");
    assert_eq!(reopening.reason, "a name was misspelt");
    assert_eq!(reopening.stamp.at, NOW);
}
