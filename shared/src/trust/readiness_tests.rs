//! [`readiness`]: what stands between the minutes and sign-off, one rule per test.

use super::*;
use crate::meeting::model::{BlockId, BlockKind, ItemId, PersonId};
use crate::meeting::view::{BlockView, ItemView};

fn statement(id: &str, text: &str, speakers: &[&str]) -> BlockView {
    BlockView {
        id: BlockId::from(id),
        kind: BlockKind::Statement,
        text: text.into(),
        speakers: speakers.iter().map(|p| PersonId::from(*p)).collect(),
    }
}

fn view(blocks: Vec<BlockView>) -> MeetingView {
    MeetingView {
        items: vec![ItemView {
            id: ItemId::from("i1"),
            number: "2.1".into(),
            blocks,
            ..ItemView::default()
        }],
        ..MeetingView::default()
    }
}

fn confirmed(ledger: &mut Ledger, block: &str, person: &str, text: &str, speakers: &[&str]) {
    ledger.confirm(
        block,
        person,
        Confirmation {
            stamp: Stamp {
                by: person.into(),
                person: Some(person.into()),
                at: 1,
                ..Stamp::default()
            },
            sha256: statement_hash(text),
            speakers: Some(speakers.iter().map(|s| s.to_string()).collect()),
        },
    );
}

fn correction(id: u64, status: CorrectionStatus) -> Correction {
    Correction {
        id,
        block: "s1".into(),
        proposed: Stamp::default(),
        text: "x".into(),
        note: String::new(),
        status,
        decided: None,
        reason: String::new(),
        base_sha256: None,
        base_speakers: None,
    }
}

#[test]
fn empty_minutes_are_ready() {
    let r = readiness(&view(Vec::new()), &Ledger::default());
    assert!(r.complete());
    assert!(r.statements.is_empty());
}

#[test]
fn only_attributed_statements_count() {
    let mut note = statement("n1", "A note.", &["a"]);
    note.kind = BlockKind::default();
    let unattributed = statement("s0", "Someone said.", &[]);
    let r = readiness(&view(vec![note, unattributed]), &Ledger::default());
    assert!(r.statements.is_empty());
    assert!(r.complete());
}

#[test]
fn each_speaker_of_a_statement_is_counted() {
    let r = readiness(
        &view(vec![statement("s1", "Agreed.", &["a", "b", "c"])]),
        &Ledger::default(),
    );
    assert_eq!(r.pending, 3);
    assert_eq!(r.statements[0].item, "2.1");
    assert_eq!(r.statements[0].speakers, ["a", "b", "c"]);
}

#[test]
fn a_speaker_named_twice_is_counted_once() {
    let r = readiness(
        &view(vec![statement("s1", "Said.", &["a", "a"])]),
        &Ledger::default(),
    );
    assert_eq!(r.pending, 1);
}

#[test]
fn a_statement_is_confirmed_when_every_speaker_confirmed_it() {
    let v = view(vec![statement("s1", "Agreed.", &["a", "b"])]);
    let mut ledger = Ledger::default();
    confirmed(&mut ledger, "s1", "a", "Agreed.", &["a", "b"]);
    let r = readiness(&v, &ledger);
    assert_eq!(r.statements[0].status, StatementStatus::Pending);
    confirmed(&mut ledger, "s1", "b", "Agreed.", &["a", "b"]);
    let r = readiness(&v, &ledger);
    assert_eq!(r.statements[0].status, StatementStatus::Confirmed);
    assert_eq!((r.confirmed, r.pending), (2, 0));
    assert!(r.complete());
}

#[test]
fn an_edit_after_confirmation_marks_it_changed() {
    let mut ledger = Ledger::default();
    confirmed(&mut ledger, "s1", "a", "Agreed.", &["a"]);
    let r = readiness(
        &view(vec![statement("s1", "Agreed, mostly.", &["a"])]),
        &ledger,
    );
    assert_eq!(r.changed, 1);
    assert_eq!(r.statements[0].status, StatementStatus::Changed);
    assert!(!r.complete());
}

#[test]
fn a_new_speaker_after_confirmation_marks_it_changed() {
    let mut ledger = Ledger::default();
    confirmed(&mut ledger, "s1", "a", "Agreed.", &["a"]);
    let r = readiness(
        &view(vec![statement("s1", "Agreed.", &["a", "b"])]),
        &ledger,
    );
    assert_eq!((r.changed, r.pending), (1, 1));
    assert_eq!(
        r.statements[0].status,
        StatementStatus::Changed,
        "changed wins over pending"
    );
}

#[test]
fn open_corrections_hold_sign_off_and_decided_ones_do_not() {
    let mut ledger = Ledger {
        corrections: vec![
            correction(1, CorrectionStatus::Declined),
            correction(2, CorrectionStatus::Accepted),
            correction(3, CorrectionStatus::Withdrawn),
        ],
        ..Ledger::default()
    };
    assert!(readiness(&view(Vec::new()), &ledger).complete());
    ledger
        .corrections
        .push(correction(4, CorrectionStatus::Open));
    let r = readiness(&view(Vec::new()), &ledger);
    assert_eq!(r.corrections_open, 1);
    assert!(!r.complete());
}

#[test]
fn unconfirmed_statements_are_counted_once_each() {
    let v = view(vec![
        statement("s1", "One.", &["a", "b"]),
        statement("s2", "Two.", &["a"]),
        statement("s3", "Three.", &["b"]),
    ]);
    let mut ledger = Ledger::default();
    confirmed(&mut ledger, "s3", "b", "Three.", &["b"]);
    let r = readiness(&v, &ledger);
    assert_eq!(r.unconfirmed_statements(), 2);
    assert_eq!((r.pending, r.confirmed), (3, 1));
}
