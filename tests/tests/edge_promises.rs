//! Promises the README makes that had no test: a used setup link is refused, a client
//! that keeps sending refused writes is closed with 1008, and a write that fails inside a
//! group commit (an operation-level failure, injected for real in the store's writer)
//! fails only its own document: its connections are closed with 1011, and the writes
//! batched with it commit. (A failing disk is `disk_faults.rs`.)

use std::net::SocketAddr;

use minutebook_server::store::faults::FaultSwitch;
use minutebook_server::ServerConfig;
use minutebook_shared::protocol::{Message, SyncMessage, MSG_REJECTED, MSG_SAVED, SUBPROTOCOL};
use minutebook_shared::trust::Role;
use minutebook_tests::raw::{text_insert, RawClient, Received};
use minutebook_tests::{http, web_dir, TestServer};

/// The next message that is not a sync step or awareness (those the server sends on
/// its own), or the close.
async fn next_reply(c: &mut RawClient) -> Received {
    loop {
        match c.recv().await {
            Received::Message(Message::Sync(SyncMessage::SyncStep1(_)))
            | Received::Message(Message::Sync(SyncMessage::SyncStep2(_)))
            | Received::Message(Message::Awareness(_)) => continue,
            Received::Message(Message::Custom(tag, _))
                if tag != MSG_REJECTED && tag != MSG_SAVED =>
            {
                continue
            }
            other => return other,
        }
    }
}

#[tokio::test]
async fn a_used_setup_link_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), dir.path().into());
    config.web_dir = web_dir();
    let server = minutebook_server::start(config).await.expect("starts");
    let link = server.setup_link().expect("a setup link").to_string();
    let token = link.split("setup=").nth(1).expect("token").to_string();
    let first = http::post_json(
        server.addr(),
        "/api/setup",
        &serde_json::json!({ "token": token, "name": "First" }),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let again = http::post_json(
        server.addr(),
        "/api/setup",
        &serde_json::json!({ "token": token, "name": "Second" }),
    )
    .await;
    assert_eq!(again.status, 401, "{}", again.text());
    assert!(again.text().contains("already used"), "{}", again.text());
    assert!(
        again.header("set-cookie").is_none(),
        "no session for a used link"
    );
    server.shutdown().await.expect("stops");
}

/// An observer's writes are refused one by one (a rejection message each); the
/// sixteenth closes the connection with 1008 and a reason.
#[tokio::test]
async fn repeated_refused_writes_close_with_1008() {
    let server = TestServer::start().await;
    let created = server
        .http()
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": "Refusals", "series": "Refusals", "from": null }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let meeting = created.json()["name"].as_str().expect("name").to_string();
    let observer = server.member(&meeting, "Olive", None, Role::Observer).await;
    let mut c =
        RawClient::connect_as(&server.ws_url(&meeting), Some(SUBPROTOCOL), Some(&observer)).await;
    for attempt in 1..=16u64 {
        c.send(&Message::Sync(SyncMessage::Update(text_insert(
            900 + attempt,
            "mine now",
        ))))
        .await;
        match next_reply(&mut c).await {
            Received::Message(Message::Custom(MSG_REJECTED, _)) if attempt < 16 => {}
            Received::Message(Message::Custom(MSG_REJECTED, _)) => {
                let (code, reason) = c.expect_close().await;
                assert_eq!(code, 1008, "{reason}");
                assert!(reason.contains("too many refused writes"), "{reason}");
                return;
            }
            Received::Closed(code, reason) => {
                assert_eq!(attempt, 16, "closed early ({code} {reason})");
                assert_eq!(code, 1008, "{reason}");
                assert!(reason.contains("too many refused writes"), "{reason}");
                return;
            }
            other => panic!("attempt {attempt}: expected a refusal, got {other:?}"),
        }
    }
    panic!("sixteen refused writes did not close the connection");
}

/// Two documents' updates are committed in one batch (the writer is held until both
/// wait), and one document's write fails: only that document's connections are closed
/// (1011, nothing unsaved relayed); the other document's update is saved and relayed,
/// and it keeps working.
#[tokio::test]
async fn a_failing_write_in_a_group_commit_fails_only_its_own_document() {
    let faults = FaultSwitch::default();
    let switch = faults.clone();
    let mut server = TestServer::start_with(move |c| c.storage_faults = Some(switch)).await;
    let mut doomed = server.raw_with("doomed", Some(SUBPROTOCOL)).await;
    let mut doomed_watcher = server.raw_with("doomed", Some(SUBPROTOCOL)).await;
    let mut healthy = server.raw_with("healthy", Some(SUBPROTOCOL)).await;
    let mut healthy_watcher = server.raw_with("healthy", Some(SUBPROTOCOL)).await;
    for (writer, watcher) in [
        (&mut doomed, &mut doomed_watcher),
        (&mut healthy, &mut healthy_watcher),
    ] {
        writer
            .send(&Message::Sync(SyncMessage::Update(text_insert(
                1, "saved ",
            ))))
            .await;
        assert!(matches!(
            next_reply(writer).await,
            Received::Message(Message::Custom(MSG_SAVED, _))
        ));
        assert!(matches!(
            next_reply(watcher).await,
            Received::Message(Message::Sync(SyncMessage::Update(_)))
        ));
    }

    faults.fail_document("doomed");
    faults.hold_writer();
    doomed
        .send(&Message::Sync(SyncMessage::Update(text_insert(2, "lost "))))
        .await;
    healthy
        .send(&Message::Sync(SyncMessage::Update(text_insert(2, "kept "))))
        .await;
    let deadline = std::time::Instant::now() + minutebook_tests::PATIENCE;
    while faults.waiting() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the two writes never reached the writer"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    faults.release_writer();

    match next_reply(&mut healthy).await {
        Received::Message(Message::Custom(MSG_SAVED, _)) => {}
        other => panic!("the healthy document's write was not saved: {other:?}"),
    }
    match next_reply(&mut healthy_watcher).await {
        Received::Message(Message::Sync(SyncMessage::Update(_))) => {}
        other => panic!("the healthy document's write was not relayed: {other:?}"),
    }
    for (who, c) in [("writer", &mut doomed), ("watcher", &mut doomed_watcher)] {
        match next_reply(c).await {
            Received::Closed(code, reason) => {
                assert_eq!(code, 1011, "{who}: {reason}");
                assert!(reason.contains("storage failure"), "{who}: {reason}");
            }
            other => panic!("the doomed document's {who} was not closed: {other:?}"),
        }
    }
    // The healthy document goes on being written.
    healthy
        .send(&Message::Sync(SyncMessage::Update(text_insert(
            3, "later ",
        ))))
        .await;
    assert!(matches!(
        next_reply(&mut healthy).await,
        Received::Message(Message::Custom(MSG_SAVED, _))
    ));
    drop((healthy, healthy_watcher, doomed, doomed_watcher));

    faults.heal();
    server.restart().await;
    let kept = server.stored_text("healthy").await;
    for part in ["saved ", "kept ", "later "] {
        assert!(kept.contains(part), "{part:?} missing from {kept:?}");
    }
    assert_eq!(server.stored_text("doomed").await, "saved ");
}
