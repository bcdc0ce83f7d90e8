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

/// Writers that pipeline: the updates one group commit makes durable reach a reader
/// merged (fewer frames than updates), complete and in a form it applies. The store's
/// writer is held while they arrive, so they are committed as one batch whatever the
/// disk's speed. Three writers interleave, so the merging is the relays' and not only
/// that of one sender's run of updates (`docs::runs`).
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
    let mut writers = Vec::new();
    for _ in 0..3 {
        writers.push(server.raw_with("merged", Some(SUBPROTOCOL)).await);
    }
    let mut reader = server.raw_with("merged", Some(SUBPROTOCOL)).await;
    // All joined (their audit records written) before the writer is held.
    for c in writers.iter_mut().chain([&mut reader]) {
        loop {
            if let Received::Message(Message::Sync(SyncMessage::SyncStep1(_))) = c.recv().await {
                break;
            }
        }
    }
    faults.hold_writer();
    let sources: Vec<yrs::Doc> = (0..3).map(|w| yrs::Doc::with_client_id(42 + w)).collect();
    let expected_doc = yrs::Doc::new();
    const UPDATES: usize = 300;
    for i in 0..UPDATES {
        let w = i % 3;
        let text = sources[w].get_or_insert_text("text");
        let update = {
            let mut txn = sources[w].transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &format!("{w}:{i},"));
            txn.encode_update_v1()
        };
        expected_doc
            .transact_mut()
            .apply_update(Update::decode_v1(&update).expect("a v1 update"))
            .expect("applies");
        writers[w]
            .send(&Message::Sync(SyncMessage::Update(update)))
            .await;
    }
    let expected = expected_doc
        .get_or_insert_text("text")
        .get_string(&expected_doc.transact());
    // Runs of one writer's updates are stored as one write each, so how many writes
    // reach the held writer depends on timing: wait until they stop coming. (One that
    // comes later only adds a commit, and a few frames.)
    let deadline = tokio::time::Instant::now() + minutebook_tests::PATIENCE;
    let mut seen = (0, tokio::time::Instant::now());
    loop {
        let now = tokio::time::Instant::now();
        assert!(now < deadline, "the held writer took no write");
        let waiting = faults.waiting();
        if waiting != seen.0 {
            seen = (waiting, now);
        } else if waiting > 0 && now - seen.1 > std::time::Duration::from_millis(300) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    faults.release_writer();
    let copy = yrs::Doc::new();
    let text = copy.get_or_insert_text("text");
    let mut frames = 0;
    while text.get_string(&copy.transact()) != expected {
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

/// A reader that stops reading for a while, but not long enough to be cut off, then gets
/// every update in the order they were committed. While its socket is full, the frames
/// for it wait in its outbox and go out in batches once it reads again; whatever the
/// write path does (batching, or any faster path a change adds), applying the frames in
/// arrival order must never leave one waiting for an earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_falls_behind_gets_every_update_in_order() {
    use minutebook_shared::protocol::SUBPROTOCOL;
    use yrs::updates::decoder::Decode;
    use yrs::{ReadTxn, Update};

    let server = TestServer::start_with(|c| {
        c.outbound_bytes = 256 * 1024 * 1024;
        c.outbound_frames = 1 << 16;
    })
    .await;
    let doc = "in-order";
    let mut sender = server.raw_with(doc, Some(SUBPROTOCOL)).await;
    let mut reader = server.raw_with(doc, Some(SUBPROTOCOL)).await;
    for c in [&mut sender, &mut reader] {
        loop {
            if let Received::Message(Message::Sync(SyncMessage::SyncStep1(_))) = c.recv().await {
                break;
            }
        }
    }
    // 24 MiB in 768 updates of 32 KiB, far more than the sockets' kernel buffers, sent
    // while the reader reads nothing.
    let source = yrs::Doc::with_client_id(4242);
    let text = source.get_or_insert_text("text");
    const UPDATES: usize = 768;
    let chunk = "y".repeat(32 * 1024);
    for i in 0..UPDATES {
        let update = {
            let mut txn = source.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &format!("{i}:{chunk}"));
            txn.encode_update_v1()
        };
        sender
            .send(&Message::Sync(SyncMessage::Update(update)))
            .await;
        if i % 64 == 63 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let copy = yrs::Doc::new();
    let got = copy.get_or_insert_text("text");
    let expected = text.get_string(&source.transact());
    let mut frames = 0;
    while got.get_string(&copy.transact()) != expected {
        match reader.recv().await {
            Received::Message(Message::Sync(SyncMessage::Update(u))) => {
                frames += 1;
                let mut txn = copy.transact_mut();
                txn.apply_update(Update::decode_v1(&u).expect("a v1 update"))
                    .expect("applies");
                assert!(
                    txn.store().pending_update().is_none(),
                    "frame {frames} arrived before an update it follows"
                );
            }
            Received::Message(_) => {}
            other => panic!("the reader was cut off after {frames} frames: {other:?}"),
        }
    }
}
