//! Presence through the server: the web client's awareness state (the JSON of
//! `client/DOM.md`, with yrs sticky indices for the caret, resolved in the document the
//! server serves) reaches every client of the
//! document with the sender's verified name stamped on it (and nothing else changed), a late joiner receives it on join, a closed connection's state is
//! broadcast as `null` at the client's own clock (as y-protocols does), and a client that comes back announcing its state two clock steps
//! on (as the web client's provider does) is accepted and relayed again.

use minutebook_shared::protocol::{Message, SyncMessage};
use minutebook_tests::raw::{awareness, RawClient, Received};
use minutebook_tests::TestServer;
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::updates::decoder::Decode;
use yrs::{
    Assoc, Doc, GetString, IndexedSequence, ReadTxn, StateVector, StickyIndex, Text, Transact,
    Update,
};

const ALICE: u64 = 4242;

/// The administrator's name (every raw client here signs in as them).
const ADMIN: &str = "Test Administrator";

/// What the server relays for `state`: the same JSON with the verified name as
/// `user.name` and a `verified` field.
fn relayed(state: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(state).unwrap();
    v["user"]["name"] = ADMIN.into();
    v["verified"] = serde_json::json!({"name": ADMIN, "role": "administrator"});
    v
}

fn json(entry: &AwarenessUpdateEntry) -> serde_json::Value {
    serde_json::from_str(&entry.json).unwrap()
}

/// Connects (as the administrator) and completes the sync handshake on an empty document.
async fn join(server: &TestServer, doc: &str) -> RawClient {
    let mut c = server.raw(doc).await;
    c.send(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )))
    .await;
    c
}

/// The next awareness entry for `client`, skipping everything else.
async fn next_entry(c: &mut RawClient, client: u64) -> AwarenessUpdateEntry {
    loop {
        match c.recv().await {
            Received::Message(Message::Awareness(u)) => {
                if let Some(e) = u.clients.get(&ClientID::new(client)) {
                    return e.clone();
                }
            }
            Received::Message(_) => continue,
            other => panic!("expected awareness, got {other:?}"),
        }
    }
}

/// A document with some text, and Alice's state with a selection in it.
fn alice_state() -> (Vec<u8>, String) {
    let doc = Doc::with_client_id(ALICE);
    let text = doc.get_or_insert_text("t");
    text.insert(&mut doc.transact_mut(), 0, "Minutes of the meeting");
    let txn = doc.transact();
    let anchor = text.sticky_index(&txn, 3, Assoc::After).unwrap();
    let head = text.sticky_index(&txn, 10, Assoc::After).unwrap();
    let state = serde_json::json!({
        "user": {"name": "Alice", "color": "#d81b60"},
        "focus": {"item": "item-1", "block": "block-7", "anchor": anchor, "head": head},
    });
    (
        txn.encode_state_as_update_v1(&StateVector::default()),
        state.to_string(),
    )
}

/// ">> " typed at the start of the text in `content`, as another client's update.
fn typed_before(content: &[u8]) -> Vec<u8> {
    let doc = Doc::with_client_id(9);
    let text = doc.get_or_insert_text("t");
    doc.transact_mut()
        .apply_update(Update::decode_v1(content).unwrap())
        .unwrap();
    let sv = doc.transact().state_vector();
    text.insert(&mut doc.transact_mut(), 0, ">> ");
    let diff = doc.transact().encode_diff_v1(&sv);
    diff
}

#[tokio::test]
async fn presence_state_round_trips_through_the_server() {
    let server = TestServer::start().await;
    let doc = "presence";
    let (content, state) = alice_state();

    let mut alice = join(&server, doc).await;
    let mut bob = join(&server, doc).await;
    // Alice's text reaches the server, then someone types before her selection.
    alice
        .send(&Message::Sync(SyncMessage::Update(content.clone())))
        .await;
    alice
        .send(&Message::Sync(SyncMessage::Update(typed_before(&content))))
        .await;
    alice.send(&awareness(ALICE, 1, &state)).await;

    // Everyone, the sender included, gets the state, stamped with the verified name.
    for c in [&mut alice, &mut bob] {
        let entry = next_entry(c, ALICE).await;
        assert_eq!(entry.clock, 1);
        assert_eq!(json(&entry), relayed(&state));
    }

    // Bob reads the caret back in the server's copy of the text (his sync step 2 is
    // answered after Alice's updates, which her connection sent before her state): the
    // selection moved with its characters.
    bob.send(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )))
    .await;
    let served = loop {
        match bob.recv().await {
            Received::Message(Message::Sync(SyncMessage::SyncStep2(u))) => break u,
            Received::Message(_) => continue,
            other => panic!("expected the document, got {other:?}"),
        }
    };
    let value: serde_json::Value = serde_json::from_str(&state).unwrap();
    let bob_doc = Doc::new();
    let bob_text = bob_doc.get_or_insert_text("t");
    bob_doc
        .transact_mut()
        .apply_update(Update::decode_v1(&served).unwrap())
        .unwrap();
    let txn = bob_doc.transact();
    assert_eq!(bob_text.get_string(&txn), ">> Minutes of the meeting");
    let resolve = |key: &str| {
        let sticky: StickyIndex = serde_json::from_value(value["focus"][key].clone()).unwrap();
        sticky.get_offset(&txn).unwrap().index
    };
    assert_eq!((resolve("anchor"), resolve("head")), (6, 13));
    drop(txn);

    // A late joiner receives the current state with the server's first messages.
    let mut carol = server.raw(doc).await;
    let entry = next_entry(&mut carol, ALICE).await;
    assert_eq!(json(&entry), relayed(&state));

    // Alice's connection closes: the others learn that she is gone.
    drop(alice);
    for c in [&mut bob, &mut carol] {
        let entry = next_entry(c, ALICE).await;
        // At her own clock, as y-protocols does: the removal does not advance it.
        assert_eq!((entry.clock, &*entry.json), (1, "null"));
    }

    // She comes back with a newer clock (the web client announces two steps on, which
    // also suits servers that do advance it): the server accepts it and relays it to
    // everyone again.
    let mut alice = join(&server, doc).await;
    alice.send(&awareness(ALICE, 3, &state)).await;
    for c in [&mut alice, &mut bob, &mut carol] {
        let entry = next_entry(c, ALICE).await;
        assert_eq!(entry.clock, 3);
        assert_eq!(json(&entry), relayed(&state));
    }

    // Leaving explicitly (the page's `pagehide`) is relayed as null as well.
    alice.send(&awareness(ALICE, 4, "null")).await;
    for c in [&mut bob, &mut carol] {
        let entry = next_entry(c, ALICE).await;
        assert_eq!((entry.clock, &*entry.json), (4, "null"));
    }
}
