//! The sync session's rules, one small test each: the save state a user is shown, which
//! local changes are durable, refusals, and what a frame from the server asks for.

use super::*;
use crate::protocol::{self, encode};

fn step2_msg() -> Message {
    Message::Sync(SyncMessage::SyncStep2(vec![0, 0]))
}
fn update_msg() -> Message {
    Message::Sync(SyncMessage::Update(vec![0, 0]))
}
fn step1_msg() -> Message {
    Message::Sync(SyncMessage::SyncStep1(StateVector::default()))
}

/// The server acknowledges the first `count` messages of this connection.
fn ack(s: &mut SyncSession, count: u64) -> Result<Received, SessionError> {
    s.receive(&encode(&protocol::saved(count)))
}

/// The server refuses message `count` of this connection.
fn refuse(s: &mut SyncSession, count: u64) {
    let msg = protocol::rejected(&Rejected {
        count,
        reason: "not yours".into(),
    });
    assert!(matches!(
        s.receive(&encode(&msg)),
        Ok(Received::Rejected(_))
    ));
}

/// A local change, sent as an update on the open connection.
fn type_and_send(s: &mut SyncSession) -> u64 {
    let n = s.local_change();
    s.sent(&update_msg());
    n
}

/// Connected with acknowledgements and synced, nothing pending.
fn synced_session() -> SyncSession {
    let mut s = SyncSession::default();
    s.opened(true);
    s.sent(&step2_msg());
    s.synced();
    ack(&mut s, 1).unwrap();
    s
}

#[test]
fn the_first_connection_goes_connecting_online_saving_saved() {
    let mut s = SyncSession::default();
    assert_eq!(s.state(), SaveState::Connecting);
    s.opened(true);
    assert_eq!(s.state(), SaveState::Online);
    s.sent(&step1_msg());
    assert_eq!(s.state(), SaveState::Online, "step 1 carries no update");
    s.sent(&step2_msg());
    assert_eq!(s.state(), SaveState::Saving);
    s.synced();
    assert_eq!(s.state(), SaveState::Saving);
    ack(&mut s, 1).unwrap();
    assert_eq!(s.state(), SaveState::Saved);
    type_and_send(&mut s);
    assert_eq!(s.state(), SaveState::Saving);
    ack(&mut s, 2).unwrap();
    assert_eq!(s.state(), SaveState::Saved);
    assert_eq!((s.local(), s.saved()), (1, 1));
}

#[test]
fn offline_changes_stay_pending_until_the_sync_step_2_carrying_them_is_acknowledged() {
    let mut s = synced_session();
    s.closed();
    assert_eq!(s.state(), SaveState::Offline);
    s.local_change();
    s.opened(true);
    assert_eq!(s.state(), SaveState::Saving, "offline changes are pending");
    type_and_send(&mut s); // typed after reconnecting, before the server's step 1
    s.sent(&step2_msg()); // carries the offline change
    s.synced();
    ack(&mut s, 1).unwrap();
    assert_eq!(s.state(), SaveState::Saving);
    assert_eq!(
        s.saved(),
        0,
        "the update typed after reconnecting does not carry the offline change"
    );
    ack(&mut s, 2).unwrap();
    assert_eq!(s.state(), SaveState::Saved);
    assert_eq!(s.saved(), 2);
}

#[test]
fn unacknowledged_messages_of_a_closed_connection_stay_pending() {
    let mut s = SyncSession::default();
    s.opened(true);
    s.sent(&step2_msg());
    type_and_send(&mut s);
    ack(&mut s, 1).unwrap();
    s.closed();
    assert!(s.has_unsaved());
    s.opened(true);
    s.sent(&step2_msg());
    s.synced();
    assert_eq!(s.state(), SaveState::Saving);
    ack(&mut s, 1).unwrap();
    assert_eq!(s.state(), SaveState::Saved);
    assert!(!s.has_unsaved());
}

#[test]
fn counts_restart_per_connection_and_overacknowledgements_are_protocol_errors() {
    let mut s = SyncSession::default();
    s.opened(true);
    s.sent(&step2_msg());
    assert!(matches!(ack(&mut s, 2), Err(SessionError::Protocol(_))));
    ack(&mut s, 1).unwrap();
    ack(&mut s, 0).unwrap(); // stale, harmless
    s.synced();
    assert_eq!(s.state(), SaveState::Saved);
    s.closed();
    s.opened(true);
    assert!(
        ack(&mut s, 1).is_err(),
        "nothing was sent on this connection yet"
    );
}

#[test]
fn unsaved_means_not_yet_acknowledged() {
    let mut s = SyncSession::default();
    assert!(!s.has_unsaved());
    s.local_change(); // typed before the first connection
    assert!(s.has_unsaved());
    s.opened(true);
    s.sent(&step2_msg());
    s.synced();
    assert!(s.has_unsaved());
    ack(&mut s, 1).unwrap();
    assert!(!s.has_unsaved());
    type_and_send(&mut s);
    assert!(s.has_unsaved());
    s.closed();
    assert!(s.has_unsaved(), "unacknowledged when the connection closed");
}

#[test]
fn without_acknowledgements_connected_means_online() {
    let mut s = SyncSession::default();
    s.opened(false);
    s.sent(&step2_msg());
    s.synced();
    type_and_send(&mut s);
    assert_eq!(s.state(), SaveState::Online);
    assert!(!s.has_unsaved(), "unknowable, so not claimed");
}

#[test]
fn a_refusal_sticks_and_stopping_shows() {
    let mut s = synced_session();
    type_and_send(&mut s);
    refuse(&mut s, 2);
    assert_eq!(s.state(), SaveState::NotSaved);
    assert!(
        !s.has_unsaved(),
        "a refused change cannot be saved by staying"
    );
    assert_eq!(s.rejected(), (1, Some("not yours")));
    s.closed();
    assert_eq!(s.state(), SaveState::NotSaved);

    let mut s = SyncSession::default();
    s.opened(true);
    s.closed();
    s.stopped();
    assert_eq!(s.state(), SaveState::Stopped);
    s.opened(true);
    assert_eq!(s.state(), SaveState::Online);
}

#[test]
fn a_refused_message_caps_what_later_acknowledgements_call_saved() {
    let mut s = synced_session(); // message 1: the sync step 2
    type_and_send(&mut s); // message 2: change 1
    s.local_change();
    s.local_change();
    s.sent(&update_msg()); // message 3: changes 2–3 (refused)
    type_and_send(&mut s); // message 4: change 4
    ack(&mut s, 2).unwrap();
    assert_eq!(s.saved(), 1);
    refuse(&mut s, 3);
    // The server's next count covers message 3's number too.
    ack(&mut s, 4).unwrap();
    assert_eq!(s.saved(), 1, "never past the refused changes");
    assert_eq!(s.local(), 4);
}

#[test]
fn a_refusal_before_any_acknowledgement_caps_at_zero() {
    let mut s = SyncSession::default();
    s.opened(true);
    type_and_send(&mut s);
    refuse(&mut s, 1);
    s.sent(&step2_msg());
    ack(&mut s, 2).unwrap();
    assert_eq!(s.saved(), 0);
}

#[test]
fn an_unreadable_refusal_keeps_only_what_was_already_saved() {
    let mut s = synced_session();
    type_and_send(&mut s);
    ack(&mut s, 2).unwrap();
    type_and_send(&mut s);
    let unreadable = Message::Custom(protocol::MSG_REJECTED, b"{".to_vec());
    assert!(matches!(
        s.receive(&encode(&unreadable)),
        Ok(Received::Rejected(_))
    ));
    ack(&mut s, 3).unwrap();
    assert_eq!(s.saved(), 1);
}

#[test]
fn changes_acknowledged_out_of_order_fill_the_gap() {
    let mut s = SyncSession::default();
    s.local_change(); // offline change 1
    s.opened(true);
    type_and_send(&mut s); // message 1: change 2
    type_and_send(&mut s); // message 2: change 3
    s.sent(&step2_msg()); // message 3: changes 1–3
    ack(&mut s, 2).unwrap();
    assert_eq!(s.saved(), 0, "change 1 is still only in flight");
    ack(&mut s, 3).unwrap();
    assert_eq!(s.saved(), 3);
}

#[test]
fn frames_say_what_the_driver_must_do() {
    let mut s = SyncSession::default();
    s.opened(true);
    let sv = StateVector::default();
    assert!(matches!(
        s.receive(&encode(&Message::Sync(SyncMessage::SyncStep1(sv)))),
        Ok(Received::SyncStep1(_))
    ));
    assert!(matches!(
        s.receive(&encode(&step2_msg())),
        Ok(Received::Update { step2: true, .. })
    ));
    assert!(matches!(
        s.receive(&encode(&update_msg())),
        Ok(Received::Update { step2: false, .. })
    ));
    assert!(matches!(
        s.receive(&encode(&Message::AwarenessQuery)),
        Ok(Received::AwarenessQuery)
    ));
    assert!(matches!(
        s.receive(&encode(&Message::Auth(Some("revoked".into())))),
        Err(SessionError::Denied(r)) if r == "revoked"
    ));
    assert!(matches!(
        s.receive(&[0xff, 0xff]),
        Err(SessionError::Protocol(_))
    ));
    let bad_ledger = Message::Custom(protocol::MSG_LEDGER, b"not json".to_vec());
    assert!(
        matches!(s.receive(&encode(&bad_ledger)), Ok(Received::Ignored(_))),
        "an unreadable ledger does not cut the minutes off"
    );
    assert!(matches!(
        s.receive(&encode(&Message::Custom(120, vec![1]))),
        Ok(Received::Ignored(_))
    ));
    let ledger = protocol::ledger(&Ledger::default());
    assert!(matches!(
        s.receive(&encode(&ledger)),
        Ok(Received::Ledger(_))
    ));
}

#[test]
fn the_handshake_messages_come_from_the_document() {
    use yrs::{Doc, Text, Transact};
    let doc = Doc::with_client_id(7);
    let text = doc.get_or_insert_text("t");
    text.push(&mut doc.transact_mut(), "hello");
    let Message::Sync(SyncMessage::SyncStep1(sv)) = step1(&doc.transact()) else {
        panic!("step 1");
    };
    assert_eq!(u64::from(sv.get(&yrs::block::ClientID::new(7))), 5);
    let Message::Sync(SyncMessage::SyncStep2(diff)) = step2(&doc.transact(), &sv) else {
        panic!("step 2");
    };
    let Message::Sync(SyncMessage::SyncStep2(all)) =
        step2(&doc.transact(), &StateVector::default())
    else {
        panic!("step 2");
    };
    assert!(diff.len() < all.len(), "nothing the server already has");
}
