//! Undo takes back this client's own changes — text and structure — and never another
//! person's, including when their edits touch what is undone.

use super::*;
use crate::meeting::{BlockKind, ItemId, MeetingView, NewAction, Person};
use std::sync::atomic::{AtomicU64, Ordering};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Text, Transact, Update};

/// A settable clock shared by a test and its history.
#[derive(Clone)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    /// Moves the clock past the capture window: the next change is a new step.
    fn later(&self) {
        self.0.fetch_add(CAPTURE_MS * 2, Ordering::SeqCst);
    }
}

struct Client {
    meeting: Meeting,
    history: History,
    clock: Clock,
}

impl Client {
    fn new(id: u64) -> Self {
        let meeting = Meeting::new(Doc::with_client_id(id));
        // Real clocks are far from zero (yrs treats a last change at 0 as none).
        let clock = Clock(Arc::new(AtomicU64::new(1_000_000)));
        let c = clock.clone();
        let history = History::new(&meeting, move || c.0.load(Ordering::SeqCst));
        Client {
            meeting,
            history,
            clock,
        }
    }

    /// Runs `f` as one local change (its own undo step).
    fn local<T>(&self, f: impl FnOnce(&Meeting, &mut yrs::TransactionMut) -> T) -> T {
        self.clock.later();
        let mut txn = self.meeting.doc().transact_mut_with(LOCAL_ORIGIN);
        f(&self.meeting, &mut txn)
    }

    fn view(&self) -> MeetingView {
        self.meeting.view(&self.meeting.doc().transact())
    }

    fn block_text(&self, item: usize, block: usize) -> String {
        self.view().items[item].blocks[block].text.clone()
    }

    /// Everything `other` has that this client lacks, applied as a remote update.
    fn receive(&self, other: &Client) {
        let sv = self.meeting.doc().transact().state_vector();
        let update = other.meeting.doc().transact().encode_diff_v1(&sv);
        self.meeting
            .doc()
            .transact_mut_with("remote")
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
    }
}

/// Two clients sharing one meeting with an item holding one block.
fn pair() -> (Client, Client, ItemId) {
    let a = Client::new(1);
    let item = {
        let mut txn = a.meeting.doc().transact_mut_with("setup");
        let item = a.meeting.insert_item(&mut txn, None, 0, "Estates").unwrap();
        a.meeting
            .insert_block(&mut txn, &item, 0, BlockKind::Statement, "")
            .unwrap();
        item
    };
    let b = Client::new(2);
    b.receive(&a);
    (a, b, item)
}

fn type_into(c: &Client, item: usize, block: usize, at: u32, text: &str) {
    let id = c.view().items[item].blocks[block].id.clone();
    c.local(|m, txn| {
        let t = m.block_text(txn, &id).unwrap();
        t.insert(txn, at, text);
    });
}

#[test]
fn setup_changes_of_other_origins_are_not_undoable() {
    let (a, b, _) = pair();
    assert!(!a.history.can_undo());
    assert!(!b.history.can_undo());
}

#[test]
fn typing_is_undone_and_redone() {
    let (mut a, _b, _) = pair();
    type_into(&a, 0, 0, 0, "RESOLVED: approved.");
    assert!(a.history.undo());
    assert_eq!(a.block_text(0, 0), "");
    assert!(a.history.redo());
    assert_eq!(a.block_text(0, 0), "RESOLVED: approved.");
}

#[test]
fn undo_never_touches_another_person_s_words() {
    let (mut a, b, _) = pair();
    type_into(
        &b,
        0,
        0,
        0,
        "RESOLVED: the PCC approved the estates strategy.",
    );
    a.receive(&b);
    type_into(&a, 0, 0, 0, "Noted. ");
    assert!(a.history.undo());
    assert_eq!(
        a.block_text(0, 0),
        "RESOLVED: the PCC approved the estates strategy."
    );
    assert!(!a.history.undo(), "nothing else is A's to undo");
    assert_eq!(
        a.block_text(0, 0),
        "RESOLVED: the PCC approved the estates strategy."
    );
}

#[test]
fn a_deleted_block_comes_back_with_its_text() {
    let (mut a, _b, _) = pair();
    type_into(&a, 0, 0, 0, "Kept.");
    let id = a.view().items[0].blocks[0].id.clone();
    a.local(|m, txn| m.delete_block(txn, &id).unwrap());
    assert!(a.view().items[0].blocks.is_empty());
    assert!(a.history.undo());
    assert_eq!(a.block_text(0, 0), "Kept.");
}

#[test]
fn undoing_a_delete_keeps_what_someone_typed_into_the_block_meanwhile() {
    let (mut a, b, _) = pair();
    let id = a.view().items[0].blocks[0].id.clone();
    a.local(|m, txn| m.delete_block(txn, &id).unwrap());
    type_into(&b, 0, 0, 0, "Typed by B.");
    a.receive(&b);
    assert!(a.history.undo());
    assert_eq!(a.block_text(0, 0), "Typed by B.");
}

#[test]
fn an_added_item_is_taken_back() {
    let (mut a, _b, _) = pair();
    a.local(|m, txn| m.insert_item(txn, None, 1, "AOB").unwrap());
    assert_eq!(a.view().items.len(), 2);
    assert!(a.history.undo());
    assert_eq!(a.view().items.len(), 1);
}

#[test]
fn a_move_is_undone_while_another_person_edits_the_moved_item() {
    let (mut a, b, first) = pair();
    let second = {
        let mut txn = a.meeting.doc().transact_mut_with("setup");
        a.meeting.insert_item(&mut txn, None, 1, "Finance").unwrap()
    };
    b.receive(&a);
    a.local(|m, txn| m.move_item(txn, &second, None, 0).unwrap());
    assert_eq!(a.view().items[0].id, second);
    // B, concurrently, renames the moved item.
    b.local(|m, txn| m.set_item_title(txn, &second, "Finance report").unwrap());
    a.receive(&b);
    assert!(a.history.undo());
    let v = a.view();
    assert_eq!(
        (v.items[0].id.clone(), v.items[1].id.clone()),
        (first, second)
    );
    assert_eq!(v.items[1].title, "Finance report", "B's rename stays");
}

#[test]
fn indenting_is_undone() {
    let (mut a, _b, _) = pair();
    let second = a.local(|m, txn| m.insert_item(txn, None, 1, "Sub").unwrap());
    a.local(|m, txn| m.indent_item(txn, &second).unwrap());
    assert_eq!(a.view().items[1].number, "1.1");
    assert!(a.history.undo());
    assert_eq!(a.view().items[1].number, "2");
}

#[test]
fn kinds_and_speakers_are_undone() {
    let (mut a, _b, _) = pair();
    let person = a.local(|m, txn| {
        m.add_person(
            txn,
            &Person {
                name: "Ann Lee".into(),
                ..Person::default()
            },
            &Default::default(),
        )
    });
    let block = a.view().items[0].blocks[0].id.clone();
    a.local(|m, txn| m.set_block_kind(txn, &block, BlockKind::Decision).unwrap());
    a.local(|m, txn| {
        m.set_speakers(txn, &block, std::slice::from_ref(&person))
            .unwrap()
    });
    assert!(a.history.undo());
    assert!(a.view().items[0].blocks[0].speakers.is_empty());
    assert_eq!(a.view().items[0].blocks[0].kind, BlockKind::Decision);
    assert!(a.history.undo());
    assert_eq!(a.view().items[0].blocks[0].kind, BlockKind::Statement);
}

#[test]
fn a_flagged_action_is_undone_while_its_owner_edits_elsewhere() {
    let (mut a, b, item) = pair();
    a.local(|m, txn| {
        m.add_action(
            txn,
            &NewAction {
                item: Some(item.clone()),
                ..NewAction::default()
            },
        )
        .unwrap()
    });
    b.receive(&a);
    type_into(&b, 0, 0, 0, "B's note.");
    a.receive(&b);
    assert_eq!(a.view().actions.len(), 1);
    assert!(a.history.undo());
    assert!(a.view().actions.is_empty());
    assert_eq!(a.block_text(0, 0), "B's note.");
}

#[test]
fn what_undo_does_reaches_the_other_client() {
    let (mut a, b, _) = pair();
    type_into(&a, 0, 0, 0, "Draft.");
    b.receive(&a);
    assert!(a.history.undo());
    b.receive(&a);
    assert_eq!(b.block_text(0, 0), "");
}

#[test]
fn quick_typing_is_one_step_and_stop_capturing_splits_it() {
    let (mut a, _b, _) = pair();
    let id = a.view().items[0].blocks[0].id.clone();
    // No clock step between them: one capture window.
    for (at, s) in [(0, "a"), (1, "b")] {
        let mut txn = a.meeting.doc().transact_mut_with(LOCAL_ORIGIN);
        a.meeting
            .block_text(&txn, &id)
            .unwrap()
            .insert(&mut txn, at, s);
    }
    a.history.stop_capturing();
    {
        let mut txn = a.meeting.doc().transact_mut_with(LOCAL_ORIGIN);
        a.meeting
            .block_text(&txn, &id)
            .unwrap()
            .insert(&mut txn, 2, "c");
    }
    assert!(a.history.undo());
    assert_eq!(a.block_text(0, 0), "ab");
    assert!(a.history.undo());
    assert_eq!(a.block_text(0, 0), "");
}

#[test]
fn clearing_forgets_both_stacks() {
    let (mut a, _b, _) = pair();
    type_into(&a, 0, 0, 0, "x");
    type_into(&a, 0, 0, 1, "y");
    assert!(a.history.undo());
    a.history.clear();
    assert!(!a.history.can_undo() && !a.history.can_redo());
}

#[test]
fn undo_waits_for_no_open_transaction() {
    let (mut a, _b, _) = pair();
    type_into(&a, 0, 0, 0, "x");
    let doc = a.meeting.doc().clone();
    let open = doc.transact();
    assert!(!a.history.undo(), "refused while a transaction is open");
    drop(open);
    assert!(a.history.undo());
    assert_eq!(a.block_text(0, 0), "");
}
