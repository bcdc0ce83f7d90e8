//! Wire compatibility with unmodified y-websocket clients: the exact frame sequence they
//! send and expect, one y-protocols message per binary frame.

use std::time::Duration;

use minutebook_shared::protocol::{Message, SyncMessage, MSG_LEDGER, MSG_SAVED, SUBPROTOCOL};
use minutebook_shared::trust::Ledger;
use minutebook_tests::raw::{awareness, RawClient, Received};
use minutebook_tests::TestServer;
use yrs::block::ClientID;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, StateVector, Text, Transact, Update};

async fn next_message(c: &mut RawClient) -> Message {
    match c.recv().await {
        Received::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// y-websocket: the server opens with its SyncStep1, answers our SyncStep1 with a
/// SyncStep2 in its own frame, relays updates, echoes awareness to the sender, and
/// broadcasts a null state when a connection's awareness client goes away. A client that
/// did not negotiate the subprotocol never sees Minutebook's own message type.
#[tokio::test]
async fn y_websocket_frame_sequence() {
    let server = TestServer::start().await;

    let mut a = server.raw("compat").await;
    assert_eq!(
        a.ws.get_ref()
            .get_ref()
            .peer_addr()
            .ok()
            .map(|p| p.ip().is_loopback()),
        Some(true)
    );
    match next_message(&mut a).await {
        Message::Sync(SyncMessage::SyncStep1(sv)) => assert_eq!(sv, StateVector::default()),
        other => panic!("server must open with SyncStep1, got {other:?}"),
    }
    a.send(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )))
    .await;
    match next_message(&mut a).await {
        Message::Sync(SyncMessage::SyncStep2(update)) => {
            assert!(
                Update::decode_v1(&update).is_ok(),
                "SyncStep2 carries a v1 update"
            );
        }
        other => panic!("expected SyncStep2, got {other:?}"),
    }

    // An update from a is relayed to b.
    let mut b = server.raw("compat").await;
    assert!(matches!(
        next_message(&mut b).await,
        Message::Sync(SyncMessage::SyncStep1(_))
    ));
    let doc = Doc::with_client_id(7);
    let text = doc.get_or_insert_text("text");
    let update = {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "hello");
        txn.encode_update_v1()
    };
    a.send(&Message::Sync(SyncMessage::Update(update))).await;
    match next_message(&mut b).await {
        Message::Sync(SyncMessage::Update(u)) => {
            let other = Doc::new();
            let t = other.get_or_insert_text("text");
            other
                .transact_mut()
                .apply_update(Update::decode_v1(&u).unwrap())
                .unwrap();
            assert_eq!(t.get_string(&other.transact()), "hello");
        }
        other => panic!("expected the relayed Update, got {other:?}"),
    }

    // Awareness is echoed to the sender and relayed to the others.
    a.send(&awareness(7, 1, r#"{"user":{"name":"Ann"}}"#)).await;
    for client in [&mut a, &mut b] {
        match next_message(client).await {
            Message::Awareness(u) => {
                // Stamped with the verified name (the administrator's here).
                let state: serde_json::Value =
                    serde_json::from_str(&u.clients[&ClientID::new(7)].json).unwrap();
                assert_eq!(state["user"]["name"], "Test Administrator");
                assert_eq!(state["verified"]["name"], "Test Administrator");
            }
            other => panic!("expected awareness, got {other:?}"),
        }
    }

    // Query-awareness gets the current states.
    b.send(&Message::AwarenessQuery).await;
    match next_message(&mut b).await {
        Message::Awareness(u) => assert!(u.clients.contains_key(&ClientID::new(7))),
        other => panic!("expected awareness states, got {other:?}"),
    }

    // When a leaves, b learns that a's awareness client is gone (null state).
    drop(a);
    match next_message(&mut b).await {
        Message::Awareness(u) => assert_eq!(&*u.clients[&ClientID::new(7)].json, "null"),
        other => panic!("expected awareness removal, got {other:?}"),
    }

    // b writes too; once a third plain client has the relayed update, it is durable and
    // a "saved" acknowledgement would have gone out with it.
    let mut c = server.raw("compat").await;
    assert!(matches!(
        next_message(&mut c).await,
        Message::Sync(SyncMessage::SyncStep1(_))
    ));
    let doc_b = Doc::with_client_id(8);
    let text_b = doc_b.get_or_insert_text("text");
    let update_b = {
        let mut txn = doc_b.transact_mut();
        text_b.insert(&mut txn, 0, "b");
        txn.encode_update_v1()
    };
    b.send(&Message::Sync(SyncMessage::Update(update_b))).await;
    loop {
        match next_message(&mut c).await {
            Message::Sync(SyncMessage::Update(_)) => break,
            Message::Awareness(_) => continue,
            other => panic!("expected b's relayed update, got {other:?}"),
        }
    }

    // No Minutebook-only message reached the plain clients, the writer included.
    while let Some(Received::Message(m)) = b.recv_within(Duration::from_millis(200)).await {
        assert!(
            !matches!(m, Message::Custom(MSG_SAVED, _)),
            "plain clients must not get saved acks"
        );
        assert!(
            !matches!(m, Message::Custom(MSG_LEDGER, _)),
            "plain clients must not get the ledger"
        );
    }
}

/// Opting in with the subprotocol yields the meeting's ledger on join, then "saved"
/// acknowledgements counting our updates.
#[tokio::test]
async fn subprotocol_clients_get_saved_acks() {
    let server = TestServer::start().await;
    let mut c = server.raw_with("acks", Some(SUBPROTOCOL)).await;
    match next_message(&mut c).await {
        Message::Custom(MSG_LEDGER, payload) => {
            let ledger: Ledger = serde_json::from_slice(&payload).expect("the ledger is JSON");
            assert!(!ledger.signed(), "a new document is a draft");
        }
        other => panic!("subprotocol clients get the ledger on join, got {other:?}"),
    }
    assert!(matches!(
        next_message(&mut c).await,
        Message::Sync(SyncMessage::SyncStep1(_))
    ));
    let doc = Doc::new();
    let text = doc.get_or_insert_text("text");
    for i in 0..3 {
        let update = {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, &i.to_string());
            txn.encode_update_v1()
        };
        c.send(&Message::Sync(SyncMessage::Update(update))).await;
    }
    let mut acked = 0;
    while acked < 3 {
        match next_message(&mut c).await {
            Message::Custom(MSG_SAVED, payload) => {
                let n = minutebook_shared::protocol::parse_saved(&payload).unwrap();
                assert!(
                    n > acked && n <= 3,
                    "acks are monotonic and never exceed what was sent"
                );
                acked = n;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
