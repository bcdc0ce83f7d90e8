//! Bad input never crashes the server: a malformed, oversized, unknown or rejected message
//! closes only the offending connection, with a reason. Other clients keep syncing, and
//! the server keeps serving new connections and keeps what it stored.

use minutebook_shared::protocol::{Message, SyncMessage};
use minutebook_shared::schema;
use minutebook_tests::raw::RawClient;
use minutebook_tests::{TestServer, PATIENCE};
use yrs::{GetString, ReadTxn, Text, Transact};

/// Runs one bad-input case against a server that two healthy clients are using.
async fn offending_connection_alone_is_closed(
    send_bad: impl AsyncFnOnce(&mut RawClient),
    expect_code: u16,
) -> String {
    let server = TestServer::start_with(|c| c.max_message_bytes = 64 * 1024).await;
    let doc = "bad-input";
    let alice = server.client(doc);
    let bob = server.client(doc);
    alice.wait_synced(PATIENCE).await.unwrap();
    bob.wait_synced(PATIENCE).await.unwrap();
    {
        let text = alice.doc().get_or_insert_text(schema::TEXT);
        text.insert(&mut alice.doc().transact_mut(), 0, "before ");
    }
    alice.wait_saved(PATIENCE).await.unwrap();

    let mut evil = server.raw(doc).await;
    send_bad(&mut evil).await;
    let (code, reason) = evil.expect_close().await;
    assert_eq!(code, expect_code, "close code (reason: {reason})");
    assert!(!reason.is_empty(), "a close reason is given");

    // The healthy clients are still connected and still sync with each other.
    {
        let text = alice.doc().get_or_insert_text(schema::TEXT);
        let len = text.len(&alice.doc().transact());
        text.insert(&mut alice.doc().transact_mut(), len, "after");
    }
    let text = bob.doc().get_or_insert_text(schema::TEXT);
    bob.wait_doc("bob sees alice's edit", PATIENCE, |d| {
        text.get_string(&d.transact()) == "before after"
    })
    .await
    .unwrap();
    assert_eq!(
        alice.status().connections,
        1,
        "alice was never disconnected"
    );
    assert_eq!(bob.status().connections, 1, "bob was never disconnected");

    // New connections are served and see everything stored.
    let carol = server.client(doc);
    let text = carol.doc().get_or_insert_text(schema::TEXT);
    carol
        .wait_doc("a new client loads the document", PATIENCE, |d| {
            text.get_string(&d.transact()) == "before after"
        })
        .await
        .unwrap();
    reason
}

#[tokio::test]
async fn malformed_frame() {
    let reason = offending_connection_alone_is_closed(
        async |c| c.send_bytes(vec![0, 1, 200, 1, 2]).await,
        1002,
    )
    .await;
    assert!(reason.contains("malformed"), "{reason}");
}

#[tokio::test]
async fn unknown_message_type() {
    let reason =
        offending_connection_alone_is_closed(async |c| c.send_bytes(vec![42, 1, 0]).await, 1002)
            .await;
    assert!(reason.contains("unknown message type 42"), "{reason}");
}

/// Found by fuzzing: 7 bytes declaring ~62 million awareness states made yrs reserve
/// 4.4 GB (and initialise 62 MB) before finding the message truncated. Counts beyond
/// the frame's size are refused before yrs decodes anything.
#[tokio::test]
async fn an_awareness_message_declaring_millions_of_states() {
    let reason = offending_connection_alone_is_closed(
        async |c| c.send_bytes(vec![1, 4, 0xff, 0xff, 0xff, 0x1d, 9]).await,
        1002,
    )
    .await;
    assert!(reason.contains("malformed"), "{reason}");
}

#[tokio::test]
async fn garbage_update() {
    let garbage = vec![3, 0xff, 0xfe, 0x12, 0x99, 0x01, 0x00, 0x7f];
    let reason = offending_connection_alone_is_closed(
        async |c| c.send(&Message::Sync(SyncMessage::Update(garbage))).await,
        1007,
    )
    .await;
    assert!(reason.contains("update"), "{reason}");
}

/// A writer pipelines 60 edits with a bad update after the 40th. However the server
/// groups what arrives together (`docs::runs`), the outcome is the one of applying them
/// one by one: the 40 before are kept and relayed, the bad one closes the writer alone
/// (1007), the ones after it are dropped, and a restart finds exactly the 40.
async fn a_bad_update_inside_a_burst(bad: Vec<u8>) {
    let mut server = minutebook_tests::TestServer::start().await;
    let doc = "burst";
    let watcher = server.client(doc);
    watcher.wait_synced(PATIENCE).await.unwrap();
    let source = yrs::Doc::with_client_id(7);
    let text = source.get_or_insert_text(schema::TEXT);
    let mut burst = Vec::new();
    for i in 0..60 {
        let mut txn = source.transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, &format!("w{i},"));
        burst.push(txn.encode_update_v1());
    }
    let kept: String = (0..40).map(|i| format!("w{i},")).collect();
    burst.insert(40, bad);
    let mut writer = server.raw(doc).await;
    for update in burst {
        writer
            .send(&Message::Sync(SyncMessage::Update(update)))
            .await;
    }
    let (code, reason) = writer.expect_close().await;
    assert_eq!(code, 1007, "close code (reason: {reason})");

    let seen = watcher.doc().get_or_insert_text(schema::TEXT);
    watcher
        .wait_doc(
            "the watcher gets the edits before the bad one",
            PATIENCE,
            |d| seen.get_string(&d.transact()) == kept,
        )
        .await
        .unwrap();
    assert_eq!(
        watcher.status().connections,
        1,
        "the watcher was never disconnected"
    );
    drop(watcher);
    server.restart().await;
    assert_eq!(server.stored_text(doc).await, kept);
    // The document still takes edits after the restart.
    let later = server.client(doc);
    let t = later.doc().get_or_insert_text(schema::TEXT);
    later
        .wait_doc("a new client loads the document", PATIENCE, |d| {
            t.get_string(&d.transact()) == kept
        })
        .await
        .unwrap();
    t.insert(&mut later.doc().transact_mut(), kept.len() as u32, "end");
    later.wait_saved(PATIENCE).await.unwrap();
    drop(later);
    assert_eq!(server.stored_text(doc).await, format!("{kept}end"));
}

#[tokio::test]
async fn a_garbage_update_inside_a_burst() {
    a_bad_update_inside_a_burst(vec![3, 0xff, 0xfe, 0x12, 0x99, 0x01, 0x00, 0x7f]).await;
}

/// yrs would keep this one waiting for changes nobody sent, which the server refuses
/// after applying it: a run holding it is undone (the document is rebuilt from disk) and
/// applied again one by one.
#[tokio::test]
async fn an_update_missing_its_dependencies_inside_a_burst() {
    let source = yrs::Doc::with_client_id(5);
    source
        .get_or_insert_text(schema::TEXT)
        .insert(&mut source.transact_mut(), 0, "z");
    let other = yrs::Doc::with_client_id(6);
    {
        use yrs::updates::decoder::Decode;
        let all = source
            .transact()
            .encode_state_as_update_v1(&Default::default());
        other
            .transact_mut()
            .apply_update(yrs::Update::decode_v1(&all).expect("decodes"))
            .expect("applies");
    }
    let sv = other.transact().state_vector();
    other
        .get_or_insert_text(schema::TEXT)
        .insert(&mut other.transact_mut(), 1, "q");
    a_bad_update_inside_a_burst(other.transact().encode_diff_v1(&sv)).await;
}

#[tokio::test]
async fn oversized_frame() {
    let big = vec![0u8; 256 * 1024];
    let reason = offending_connection_alone_is_closed(
        async |c| c.send(&Message::Sync(SyncMessage::Update(big))).await,
        1009,
    )
    .await;
    assert!(reason.contains("too big"), "{reason}");
}

#[tokio::test]
async fn text_frame() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let reason = offending_connection_alone_is_closed(
        async |c| c.ws.send(WsMessage::Text("hello".into())).await.unwrap(),
        1003,
    )
    .await;
    assert!(reason.contains("text"), "{reason}");
}

/// Hundreds of random and mutated updates, each on its own connection, against a document
/// two clients are editing: whatever yrs makes of them (errors or panics), the server
/// stays up, the honest clients keep converging, and a newcomer sees the same state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_mutated_updates_never_take_the_server_down() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let seed: u64 = std::env::var("MINUTEBOOK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("seed = {seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    let server = TestServer::start().await;
    let doc = "fuzzed";
    let alice = server.client(doc);
    let bob = server.client(doc);
    alice.wait_synced(PATIENCE).await.unwrap();
    bob.wait_synced(PATIENCE).await.unwrap();

    // A valid update to mutate.
    let source = yrs::Doc::new();
    let valid = {
        let text = source.get_or_insert_text(schema::TEXT);
        let mut txn = source.transact_mut();
        text.insert(&mut txn, 0, "seed text for mutation");
        text.remove_range(&mut txn, 2, 3);
        txn.encode_update_v1()
    };
    for round in 0..200 {
        let payload: Vec<u8> = if round % 2 == 0 {
            (0..rng.random_range(0..64)).map(|_| rng.random()).collect()
        } else {
            let mut m = valid.clone();
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..m.len());
                m[i] = rng.random();
            }
            m
        };
        let mut evil = server.raw(doc).await;
        evil.send(&Message::Sync(SyncMessage::Update(payload)))
            .await;
        drop(evil);
    }

    let text = alice.doc().get_or_insert_text(schema::TEXT);
    text.insert(&mut alice.doc().transact_mut(), 0, "still-alive ");
    alice.wait_saved(PATIENCE).await.unwrap();
    let btext = bob.doc().get_or_insert_text(schema::TEXT);
    bob.wait_doc("bob gets alice's edit", PATIENCE, |d| {
        btext.get_string(&d.transact()).contains("still-alive")
    })
    .await
    .unwrap();
    let newcomer = server.client(doc);
    newcomer.wait_synced(PATIENCE).await.unwrap();
    let ntext = newcomer.doc().get_or_insert_text(schema::TEXT);
    let expected = text.get_string(&alice.doc().transact());
    newcomer
        .wait_doc("newcomer matches alice", PATIENCE, |d| {
            ntext.get_string(&d.transact()) == expected
        })
        .await
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    assert_eq!(alice.status().connections, 1);
    assert_eq!(bob.status().connections, 1);
}

/// A Yjs client id belongs to the member who first added content under it: a minute-taker
/// who writes under the chair's (the ids are public) is refused (1007), and the chair's
/// next edit — which would otherwise have been acknowledged yet never stored, the server
/// already holding those clocks — is stored. The ownership is stored too: after a restart
/// (the document loaded afresh) the forgery is still refused.
#[tokio::test]
async fn an_update_under_another_member_s_client_id_is_refused() {
    use minutebook_shared::trust::Role;
    use yrs::updates::decoder::Decode;
    let mut server = TestServer::start().await;
    let meeting = server.create_meeting("Board", "Board").await;
    let chair = server.member(&meeting, "Chair", None, Role::Chair).await;
    let taker = server
        .member(&meeting, "Taker", None, Role::MinuteTaker)
        .await;
    let url = server.ws_url(&meeting);

    // The chair writes as client 4242.
    let mine = yrs::Doc::with_client_id(4242);
    let text = mine.get_or_insert_text(schema::TEXT);
    let edit = |s: &str| {
        let mut txn = mine.transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
        txn.encode_update_v1()
    };
    let mut chair_ws = RawClient::connect_as(&url, None, Some(&chair)).await;
    chair_ws
        .send(&Message::Sync(SyncMessage::Update(edit("chair one"))))
        .await;
    let stored = async |server: &TestServer, want: &str| {
        for _ in 0..200 {
            if server.stored_text(&meeting).await == want {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("never stored: {want:?}");
    };
    stored(&server, "chair one").await;

    // The minute-taker writes under 4242 at its next clock, before the chair does.
    let forge = |url: String| {
        let forged = yrs::Doc::with_client_id(4242);
        forged
            .transact_mut()
            .apply_update(
                yrs::Update::decode_v1(
                    &mine
                        .transact()
                        .encode_state_as_update_v1(&Default::default()),
                )
                .expect("v1"),
            )
            .expect("applies");
        let sv = forged.transact().state_vector();
        let ftext = forged.get_or_insert_text(schema::TEXT);
        ftext.insert(&mut forged.transact_mut(), 9, " FORGED");
        let forgery = forged.transact().encode_diff_v1(&sv);
        let taker = taker.clone();
        async move {
            let mut taker_ws = RawClient::connect_as(&url, None, Some(&taker)).await;
            taker_ws
                .send(&Message::Sync(SyncMessage::Update(forgery)))
                .await;
            let (code, reason) = taker_ws.expect_close().await;
            assert_eq!(code, 1007, "{reason}");
            assert!(reason.contains("another member's"), "{reason}");
        }
    };
    forge(url.clone()).await;

    // The chair's own next edit is stored, the forgery is not: also after a restart.
    chair_ws
        .send(&Message::Sync(SyncMessage::Update(edit(", chair two"))))
        .await;
    stored(&server, "chair one, chair two").await;
    drop(chair_ws);
    server.restart().await;
    assert_eq!(server.stored_text(&meeting).await, "chair one, chair two");

    // The document loads afresh with its owners: the forgery at the chair's next clock
    // is refused again, and the chair's next edit is stored.
    forge(server.ws_url(&meeting)).await;
    let mut chair_ws = RawClient::connect_as(&server.ws_url(&meeting), None, Some(&chair)).await;
    chair_ws
        .send(&Message::Sync(SyncMessage::Update(edit(", chair three"))))
        .await;
    stored(&server, "chair one, chair two, chair three").await;
}
