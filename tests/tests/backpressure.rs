//! A client that stops reading cannot make the server buffer without bound: once its
//! bounded outbound queue is full it is disconnected (close code 1013), while everyone
//! else keeps syncing.

use minutebook_shared::protocol::{Message, SyncMessage};
use minutebook_shared::schema;
use minutebook_tests::raw::Received;
use minutebook_tests::{TestServer, PATIENCE};
use yrs::{GetString, Text, Transact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected() {
    const QUEUE_BYTES: usize = 1024 * 1024;
    let server = TestServer::start_with(|c| {
        c.outbound_bytes = QUEUE_BYTES;
        c.outbound_frames = 256;
    })
    .await;
    let doc = "backpressure";

    // The slow client joins, syncs once, then never reads again.
    let mut slow = server.raw(doc).await;
    slow.send(&Message::Sync(SyncMessage::SyncStep1(Default::default())))
        .await;

    let writer = server.client(doc);
    let reader = server.client(doc);
    writer.wait_synced(PATIENCE).await.unwrap();
    reader.wait_synced(PATIENCE).await.unwrap();

    // 32 MiB of updates, far more than the queue plus the sockets' kernel buffers, in
    // batches that a healthy client absorbs (each batch is half the queue).
    let chunk = "x".repeat(32 * 1024);
    let text = writer.doc().get_or_insert_text(schema::TEXT);
    let rtext = reader.doc().get_or_insert_text(schema::TEXT);
    let total_updates = 1024;
    for batch in 0..total_updates / 16 {
        for _ in 0..16 {
            let mut txn = writer.doc().transact_mut();
            text.insert(&mut txn, 0, &chunk);
        }
        writer.wait_saved(PATIENCE).await.unwrap();
        let len = (chunk.len() * 16 * (batch + 1)) as u32;
        reader
            .wait_doc("reader keeps up", PATIENCE, |d| {
                rtext.len(&d.transact()) == len
            })
            .await
            .unwrap();
    }
    let expected_len = (chunk.len() * total_updates) as u32;

    // The healthy reader got everything and was never disconnected.
    reader
        .wait_doc("reader has every update", PATIENCE, |d| {
            rtext.len(&d.transact()) == expected_len
        })
        .await
        .unwrap();
    assert_eq!(reader.status().connections, 1);
    assert_eq!(writer.status().connections, 1);

    // The slow client now drains what was buffered for it: far less than was written,
    // and then the close with 1013 and the reason.
    let mut received_updates = 0usize;
    let end = loop {
        match slow.recv().await {
            Received::Message(Message::Sync(SyncMessage::Update(_))) => received_updates += 1,
            Received::Message(_) => {}
            other => break other,
        }
    };
    match end {
        Received::Closed(code, reason) => {
            assert_eq!(code, 1013, "{reason}");
            assert!(reason.contains("too slow"), "{reason}");
        }
        other => panic!("the slow client was not closed with 1013: {other:?}"),
    }
    assert!(
        received_updates < total_updates / 2,
        "the slow client was cut off instead of being buffered for ({received_updates} of {total_updates} updates)"
    );

    // It can reconnect and resync to the full document.
    let again = server.client(doc);
    let atext = again.doc().get_or_insert_text(schema::TEXT);
    again
        .wait_doc("a reconnecting client converges", PATIENCE, |d| {
            atext.len(&d.transact()) == expected_len
        })
        .await
        .unwrap_or_else(|e| panic!("{e}: {:?}", again.status()));
    assert!(atext
        .get_string(&again.doc().transact())
        .starts_with("xxxx"));
}

/// A writer that pipelines: the updates one group commit makes durable reach a reader
/// merged (fewer frames than updates), complete and in a form it applies. The store's
/// writer is held while they arrive, so they are committed as one batch whatever the
/// disk's speed.
#[tokio::test]
async fn a_commit_s_relays_reach_a_reader_merged() {
    use minutebook_server::store::faults::FaultSwitch;
    use minutebook_shared::protocol::{Message, SyncMessage, SUBPROTOCOL};
    use minutebook_tests::raw::Received;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Text, Transact, Update};

    let faults = FaultSwitch::default();
    let switch = faults.clone();
    let server =
        minutebook_tests::TestServer::start_with(move |c| c.storage_faults = Some(switch)).await;
    let mut writer = server.raw_with("merged", Some(SUBPROTOCOL)).await;
    let mut reader = server.raw_with("merged", Some(SUBPROTOCOL)).await;
    // Both joined (their audit records written) before the writer is held.
    for c in [&mut writer, &mut reader] {
        loop {
            if let Received::Message(Message::Sync(SyncMessage::SyncStep1(_))) = c.recv().await {
                break;
            }
        }
    }
    faults.hold_writer();
    let source = yrs::Doc::with_client_id(42);
    let text = source.get_or_insert_text("text");
    const UPDATES: usize = 300;
    for i in 0..UPDATES {
        let update = {
            let mut txn = source.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &format!("{i},"));
            txn.encode_update_v1()
        };
        writer
            .send(&Message::Sync(SyncMessage::Update(update)))
            .await;
    }
    let expected = text.get_string(&source.transact());
    let deadline = tokio::time::Instant::now() + minutebook_tests::PATIENCE;
    while faults.waiting() < UPDATES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the held writer took {} of {UPDATES} writes",
            faults.waiting()
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    faults.release_writer();
    let copy = yrs::Doc::new();
    let seen = copy.get_or_insert_text("text");
    let mut frames = 0;
    while seen.get_string(&copy.transact()) != expected {
        match reader.recv().await {
            Received::Message(Message::Sync(SyncMessage::Update(u))) => {
                frames += 1;
                copy.transact_mut()
                    .apply_update(Update::decode_v1(&u).expect("a v1 update"))
                    .expect("applies");
            }
            Received::Message(_) => {}
            other => panic!("the reader was cut off: {other:?}"),
        }
    }
    // One batch: its relays go out merged (in one frame, or a few should the actor take
    // the batch's completions in more than one go).
    assert!(
        frames * 10 < UPDATES,
        "{frames} frames for {UPDATES} updates committed together: not merged"
    );
}
