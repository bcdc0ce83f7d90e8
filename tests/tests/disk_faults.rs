//! Disk faults injected for real underneath redb (a storage backend over the real file
//! that fails every write, resize and fsync with `EIO`, or `ENOSPC` as on a full disk):
//!
//! - while the disk fails, nothing that is not durable is acknowledged or relayed, the
//!   connections stay open and are told the server cannot write, and reads go on;
//! - when the disk heals, the server reopens its database by itself, asks every client
//!   for what it has not saved, and saves it: nothing acknowledged is lost, before or
//!   after a restart;
//! - the sync client keeps its edits through the outage (shown as "cannot write") and
//!   reaches "saved" once the disk heals.

use std::time::Duration;

use minutebook_server::store::faults::FaultSwitch;
use minutebook_shared::protocol::{
    self, Message, SyncMessage, MSG_SAVED, MSG_STORAGE, SUBPROTOCOL,
};
use minutebook_shared::schema;
use minutebook_tests::raw::{text_insert, RawClient, Received};
use minutebook_tests::{TestServer, PATIENCE};
use yrs::{GetString, Text, Transact};

/// What a raw client is told next, sync steps and awareness skipped.
#[derive(Debug, PartialEq)]
enum Told {
    Saved(u64),
    Storage(bool),
    Update,
    Closed(u16, String),
    Nothing,
}

async fn told(c: &mut RawClient, within: Duration) -> Told {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(received) = c.recv_within(left).await else {
            return Told::Nothing;
        };
        match received {
            Received::Message(Message::Custom(MSG_SAVED, p)) => {
                return Told::Saved(protocol::parse_saved(&p).expect("a count"))
            }
            Received::Message(Message::Custom(MSG_STORAGE, p)) => {
                return Told::Storage(p.first() == Some(&1))
            }
            Received::Message(Message::Sync(SyncMessage::Update(_))) => return Told::Update,
            Received::Closed(code, reason) => return Told::Closed(code, reason),
            Received::Ended => return Told::Closed(1006, String::new()),
            Received::Message(_) => continue,
        }
    }
}

async fn a_failing_disk_holds_everything_unsaved_and_recovers(fail: impl Fn(&FaultSwitch)) {
    let faults = FaultSwitch::default();
    let switch = faults.clone();
    let mut server = TestServer::start_with(move |c| c.storage_faults = Some(switch)).await;
    let mut writer = server.raw_with("faulty", Some(SUBPROTOCOL)).await;
    let mut watcher = server.raw_with("faulty", Some(SUBPROTOCOL)).await;
    let board = server
        .http()
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": "Before", "series": "Board", "from": null }),
        )
        .await;
    assert_eq!(board.status, 201, "{}", board.text());
    let board = board.json()["name"].as_str().expect("name").to_string();

    writer
        .send(&Message::Sync(SyncMessage::Update(text_insert(
            1, "saved ",
        ))))
        .await;
    assert_eq!(told(&mut writer, PATIENCE).await, Told::Saved(1));
    assert_eq!(told(&mut watcher, PATIENCE).await, Told::Update);

    fail(&faults);
    let lost = text_insert(2, "kept ");
    writer
        .send(&Message::Sync(SyncMessage::Update(lost.clone())))
        .await;
    // Told, not closed; neither acknowledged nor relayed.
    assert_eq!(told(&mut writer, PATIENCE).await, Told::Storage(true));
    assert_eq!(told(&mut watcher, PATIENCE).await, Told::Storage(true));
    let more = text_insert(3, "more ");
    writer
        .send(&Message::Sync(SyncMessage::Update(more.clone())))
        .await;
    assert_eq!(
        told(&mut writer, Duration::from_millis(700)).await,
        Told::Nothing
    );
    assert_eq!(
        told(&mut watcher, Duration::from_millis(100)).await,
        Told::Nothing
    );

    // Reads go on: the server answers, and a new connection is served and told.
    let health = server.anonymous().get("/healthz").await;
    assert_eq!(health.status, 200);
    let list = server.http().get("/api/meetings").await;
    assert_eq!(list.status, 200, "{}", list.text());
    // Writes through the API are refused as unavailable (503: try again), not as a fault
    // of the server (500): the disk may heal.
    let created = server
        .http()
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": "During", "series": "Board", "from": null }),
        )
        .await;
    assert_eq!(created.status, 503, "{}", created.text());
    let invited = server
        .http()
        .post_json(
            &format!("/api/meetings/{board}/invites"),
            &serde_json::json!({ "name": "Nina New", "role": "observer" }),
        )
        .await;
    assert_eq!(invited.status, 503, "{}", invited.text());
    let mut late = server.raw_with("faulty", Some(SUBPROTOCOL)).await;
    assert_eq!(told(&mut late, PATIENCE).await, Told::Storage(true));

    // The disk heals: the server says so and asks for what is unsaved (its sync step 1);
    // the writer's sync step 2 (its 4th update-carrying message) is saved and relayed.
    faults.heal();
    assert_eq!(told(&mut writer, PATIENCE).await, Told::Storage(false));
    let step2 = yrs::merge_updates_v1([lost.as_slice(), more.as_slice()]).expect("merge");
    writer
        .send(&Message::Sync(SyncMessage::SyncStep2(step2)))
        .await;
    assert_eq!(told(&mut writer, PATIENCE).await, Told::Saved(4));
    assert_eq!(told(&mut watcher, PATIENCE).await, Told::Storage(false));
    assert_eq!(told(&mut watcher, PATIENCE).await, Told::Update);

    let live = server.stored_text("faulty").await;
    for part in ["saved ", "kept ", "more "] {
        assert!(live.contains(part), "{part:?} missing from {live:?}");
    }
    drop((writer, watcher, late));
    server.restart().await;
    assert_eq!(server.stored_text("faulty").await, live);
}

#[tokio::test]
async fn an_io_error_holds_everything_unsaved_and_the_server_recovers() {
    a_failing_disk_holds_everything_unsaved_and_recovers(FaultSwitch::fail_writes).await;
}

#[tokio::test]
async fn a_full_disk_holds_everything_unsaved_and_the_server_recovers() {
    a_failing_disk_holds_everything_unsaved_and_recovers(FaultSwitch::fill_disk).await;
}

#[tokio::test]
async fn the_sync_client_keeps_its_edits_through_an_outage_and_saves_them_after() {
    let faults = FaultSwitch::default();
    let switch = faults.clone();
    let mut server = TestServer::start_with(move |c| c.storage_faults = Some(switch)).await;
    let writer = server.client("outage");
    let watcher = server.client("outage");
    writer.wait_synced(PATIENCE).await.expect("synced");
    watcher.wait_synced(PATIENCE).await.expect("synced");
    let text = writer.doc().get_or_insert_text(schema::TEXT);
    let write = |s: &str| {
        let mut txn = writer.doc().transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
    };
    write("before ");
    writer.wait_saved(PATIENCE).await.expect("saved");

    faults.fill_disk();
    write("during ");
    writer
        .wait_for("told the server cannot write", PATIENCE, |s| s.cannot_write)
        .await
        .expect("told");
    write("still ");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = writer.status();
    assert!(status.saved < status.local, "{status:?}");
    assert_eq!(
        status.connections, 1,
        "the connection stayed open: {status:?}"
    );
    let seen = watcher.doc().get_or_insert_text(schema::TEXT);
    assert!(
        !seen
            .get_string(&watcher.doc().transact())
            .contains("during"),
        "an unsaved change was relayed"
    );

    faults.heal();
    writer
        .wait_saved(PATIENCE)
        .await
        .expect("saved after the disk healed");
    assert!(!writer.status().cannot_write);
    assert_eq!(writer.status().connections, 1);
    watcher
        .wait_doc("the healed changes relayed", PATIENCE, |doc| {
            let t = doc.get_or_insert_text(schema::TEXT);
            let s = t.get_string(&doc.transact());
            s.contains("during ") && s.contains("still ")
        })
        .await
        .expect("relayed");
    let expected = text.get_string(&writer.doc().transact());
    writer.close().await;
    watcher.close().await;

    server.restart().await;
    let reader = server.client("outage");
    reader.wait_synced(PATIENCE).await.expect("synced");
    let t = reader.doc().get_or_insert_text(schema::TEXT);
    assert_eq!(t.get_string(&reader.doc().transact()), expected);
    reader.close().await;
}
