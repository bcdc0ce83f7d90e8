//! Untrusted bytes never take the process down. An update nested thousands deep
//! used to overflow the stack inside yrs's recursive decoder and abort the whole server
//! (`catch_unwind` cannot catch that), from any role — an observer of a signed-off
//! meeting was enough. Now a non-recursive pre-scan refuses it first (1007), only that
//! connection is closed, and a read-only role's update never reaches yrs at all.

use minutebook_shared::client::SyncClient;
use minutebook_shared::protocol::{Message, SyncMessage, MSG_REJECTED, SUBPROTOCOL};
use minutebook_shared::trust::Role;
use minutebook_tests::hostile::{nested_any_update, nested_maps_created_and_deleted};
use minutebook_tests::raw::{RawClient, Received};
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::json;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{GetString, ReadTxn, Text, Transact};

/// A meeting with an editor's live client holding some text.
async fn meeting_with_text(server: &TestServer) -> (String, SyncClient) {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Nesting", "series": "nest", "from": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meeting = r.json()["name"].as_str().expect("name").to_string();
    let editor = server.client(&meeting);
    editor.wait_synced(PATIENCE).await.expect("synced");
    let text = editor.doc().get_or_insert_text("nesting-test");
    text.insert(&mut editor.doc().transact_mut(), 0, "kept");
    editor.wait_saved(PATIENCE).await.expect("saved");
    (meeting, editor)
}

/// The server is still up, the editor still syncs, and a newcomer loads what was stored.
async fn everyone_else_is_fine(server: &TestServer, meeting: &str, editor: &SyncClient) {
    let health = server.http().get("/healthz").await;
    assert_eq!(health.status, 200, "the process is alive");
    let text = editor.doc().get_or_insert_text("nesting-test");
    text.insert(&mut editor.doc().transact_mut(), 4, " and more");
    editor
        .wait_saved(PATIENCE)
        .await
        .expect("the editor still saves");
    assert_eq!(
        editor.status().connections,
        1,
        "the editor was never dropped"
    );
    let newcomer = server.client(meeting);
    let t = newcomer.doc().get_or_insert_text("nesting-test");
    newcomer
        .wait_doc("the newcomer loads the stored text", PATIENCE, |d| {
            t.get_string(&d.transact()) == "kept and more"
        })
        .await
        .expect("stored state intact");
    assert!(
        newcomer.doc().transact().get_array("evil").is_none(),
        "nothing of the refused update was applied"
    );
}

/// Nothing of a refused update was stored: after a restart the meeting loads as before.
async fn loads_after_a_restart(server: &mut TestServer, meeting: &str) {
    server.restart().await;
    let newcomer = server.client(meeting);
    let t = newcomer.doc().get_or_insert_text("nesting-test");
    newcomer
        .wait_doc("the meeting loads after a restart", PATIENCE, |d| {
            t.get_string(&d.transact()) == "kept and more"
        })
        .await
        .expect("stored state intact");
}

async fn expect_closed_1007(client: &mut RawClient) -> String {
    let (code, reason) = client.expect_close().await;
    assert_eq!(code, 1007, "close code (reason: {reason})");
    reason
}

#[tokio::test]
async fn an_editor_nesting_5000_deep_is_closed_alone() {
    let server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    for msg in [
        Message::Sync(SyncMessage::Update(nested_any_update(5_000))),
        Message::Sync(SyncMessage::SyncStep2(nested_any_update(5_000))),
    ] {
        let mut evil = server.raw(&meeting).await;
        evil.send(&msg).await;
        let reason = expect_closed_1007(&mut evil).await;
        assert!(reason.contains("deeper than 64"), "{reason}");
    }
    everyone_else_is_fine(&server, &meeting, &editor).await;
}

#[tokio::test]
async fn an_observer_of_a_signed_off_meeting_cannot_crash_the_server() {
    let server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let chair = server.member(&meeting, "Chair", None, Role::Chair).await;
    let observer = server.member(&meeting, "Olive", None, Role::Observer).await;
    let r = minutebook_tests::http::Client::new(server.addr(), Some(chair))
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "agreed at the meeting" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    for depth in [5_000, 100_000] {
        let mut evil = RawClient::connect_as(&server.ws_url(&meeting), None, Some(&observer)).await;
        evil.send(&Message::Sync(SyncMessage::Update(nested_any_update(
            depth,
        ))))
        .await;
        expect_closed_1007(&mut evil).await;
    }
    // The same bytes from an observer of a draft.
    let (draft, draft_editor) = meeting_with_text(&server).await;
    let olive = server.member(&draft, "Olive", None, Role::Observer).await;
    let mut evil = RawClient::connect_as(&server.ws_url(&draft), None, Some(&olive)).await;
    evil.send(&Message::Sync(SyncMessage::SyncStep2(nested_any_update(
        5_000,
    ))))
    .await;
    expect_closed_1007(&mut evil).await;
    everyone_else_is_fine(&server, &draft, &draft_editor).await;
    // The signed-off meeting's editor connection is still open too.
    assert_eq!(editor.status().connections, 1);
}

/// Receives until a refusal (`Some(reason)`) or nothing more within a short while (`None`).
async fn refusal_within(client: &mut RawClient) -> Option<String> {
    while let Some(received) = client
        .recv_within(std::time::Duration::from_millis(1_500))
        .await
    {
        match received {
            Received::Message(Message::Custom(MSG_REJECTED, payload)) => {
                return Some(String::from_utf8_lossy(&payload).into_owned())
            }
            Received::Message(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
    None
}

#[tokio::test]
async fn a_read_only_sync_step_2_is_judged_without_decoding() {
    let server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let observer = server.member(&meeting, "Olive", None, Role::Observer).await;
    let mut olive =
        RawClient::connect_as(&server.ws_url(&meeting), Some(SUBPROTOCOL), Some(&observer)).await;

    // What the document already holds (all its structs and deletions) is accepted: this
    // is what a y-websocket client answers when an update was relayed to it while it was
    // answering the server's sync step 1.
    let everything = editor
        .doc()
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    olive
        .send(&Message::Sync(SyncMessage::SyncStep2(everything.clone())))
        .await;
    assert_eq!(refusal_within(&mut olive).await, None, "no refusal");

    // A new struct is refused (102), and nothing changes.
    let other = yrs::Doc::with_client_id(4242);
    other
        .transact_mut()
        .apply_update(yrs::Update::decode_v1(&everything).expect("decodes"))
        .expect("applies");
    let sv = other.transact().state_vector();
    let text = other.get_or_insert_text("nesting-test");
    text.insert(&mut other.transact_mut(), 0, "sneaky ");
    let sneaky = other.transact().encode_diff_v1(&sv);
    olive
        .send(&Message::Sync(SyncMessage::SyncStep2(sneaky)))
        .await;
    let reason = refusal_within(&mut olive).await.expect("refused");
    assert!(reason.contains("may not change"), "{reason}");

    // A deletion of held text is refused too (delete set only, no structs).
    let sv = other.transact().state_vector();
    text.remove_range(&mut other.transact_mut(), 7, 4);
    let deleting = other.transact().encode_diff_v1(&sv);
    let update = yrs::Update::decode_v1(&deleting).expect("decodes");
    assert!(update.state_vector().is_empty(), "a delete-only update");
    olive
        .send(&Message::Sync(SyncMessage::Update(update.encode_v1())))
        .await;
    let reason = refusal_within(&mut olive).await.expect("refused");
    assert!(reason.contains("may not change"), "{reason}");

    everyone_else_is_fine(&server, &meeting, &editor).await;
}

#[tokio::test]
async fn an_editor_nesting_types_20000_deep_is_closed_alone() {
    let server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let mut evil = server.raw(&meeting).await;
    evil.send(&Message::Sync(SyncMessage::Update(
        nested_maps_created_and_deleted(20_000),
    )))
    .await;
    let reason = expect_closed_1007(&mut evil).await;
    assert!(reason.contains("deeper than 64"), "{reason}");
    everyone_else_is_fine(&server, &meeting, &editor).await;
}

/// Found by fuzzing: an update whose structs and deletions depend on changes nobody sent,
/// in a form yrs keeps pending but cannot encode again, made every later encoding of
/// the document panic — every join, compaction and sign-off, and again after a restart,
/// since it was stored. It is refused (1007), not stored, and the meeting goes on.
#[tokio::test]
async fn an_update_depending_on_changes_nobody_sent_is_refused() {
    let mut server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let pending: Vec<u8> = vec![
        1, 2, 73, 224, 70, 1, 1, 2, 77, 28, 224, 0, 2, 70, 1, 0, 1, 0, 0, 2, 77, 1, 0, 2, 1, 1, 0,
        2,
    ];
    let mut evil = server.raw(&meeting).await;
    evil.send(&Message::Sync(SyncMessage::Update(pending)))
        .await;
    let reason = expect_closed_1007(&mut evil).await;
    assert!(
        reason.contains("depends on changes") || reason.contains("skips changes"),
        "{reason}"
    );
    everyone_else_is_fine(&server, &meeting, &editor).await;
    drop(editor);
    loads_after_a_restart(&mut server, &meeting).await;
}

/// Found by fuzzing: yrs keeps only the low 53 bits of a client id (Yjs's range), so an
/// update from client 2^53 + n was stored as client n's: another client's changes could
/// be aliased. Updates, state vectors and awareness states naming such an id are
/// refused before yrs decodes them.
#[tokio::test]
async fn client_ids_beyond_53_bits_are_refused() {
    let server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let big: Vec<u8> = vec![
        1, 2, 0xc9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa6, 0x0, 0x46, 0x2, 0x1, 0x0, 0x1,
        0x0, 0x6, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x1, 0x0,
    ];
    let mut evil = server.raw(&meeting).await;
    evil.send(&Message::Sync(SyncMessage::Update(big))).await;
    let reason = expect_closed_1007(&mut evil).await;
    assert!(reason.contains("client id out of range"), "{reason}");
    // An awareness state for client 2^53 (count 1, id, clock 1, "{}").
    let mut frame = vec![
        1u8, 13, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 2,
    ];
    frame.extend_from_slice(b"{}");
    let mut evil = server.raw(&meeting).await;
    evil.send_bytes(frame).await;
    let (code, reason) = evil.expect_close().await;
    assert!(code == 1002 || code == 1007, "{code} {reason}");
    assert!(reason.contains("client id out of range"), "{reason}");
    everyone_else_is_fine(&server, &meeting, &editor).await;
}

/// Found by fuzzing: structs of a client starting past what the meeting holds (clock
/// 9,056 of a client it never saw). yrs integrated them and then encoded the document
/// unreadably, so the next compaction would have replaced the log with a snapshot no one
/// could load. They are refused before yrs sees them.
#[tokio::test]
async fn an_update_skipping_changes_nobody_sent_is_refused() {
    let server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let gap: Vec<u8> = vec![
        1, 2, 73, 224, 70, 2, 1, 6, 1, 0, 0, 0, 101, 28, 1, 0, 1, 4, 1, 0, 77, 1, 0, 2, 1, 0, 31, 0,
    ];
    let mut evil = server.raw(&meeting).await;
    evil.send(&Message::Sync(SyncMessage::Update(gap))).await;
    let reason = expect_closed_1007(&mut evil).await;
    // (Its items are empty too: the pre-scan may refuse it first.)
    assert!(
        reason.contains("skips changes") || reason.contains("empty struct"),
        "{reason}"
    );
    everyone_else_is_fine(&server, &meeting, &editor).await;
}

/// Found by fuzzing: yrs integrated this update (an item under a root with an empty
/// name, then garbage-collected ranges) and wrote it back in a form nobody, yrs included,
/// can read: stored, it would have made the meeting unloadable. Refused, not stored.
#[tokio::test]
async fn an_update_that_would_leave_the_meeting_unreadable_is_refused() {
    let mut server = TestServer::start().await;
    let (meeting, editor) = meeting_with_text(&server).await;
    let bad: Vec<u8> = vec![
        2, 1, 70, 0, 68, 1, 0, 0, 4, 1, 0, 1, 0, 1, 0, 0, 2, 1, 0, 1, 0, 1, 0, 0, 2, 0, 77, 0,
    ];
    let mut evil = server.raw(&meeting).await;
    evil.send(&Message::Sync(SyncMessage::Update(bad))).await;
    let reason = expect_closed_1007(&mut evil).await;
    assert!(
        reason.contains("unreadable") || reason.contains("empty struct"),
        "{reason}"
    );
    everyone_else_is_fine(&server, &meeting, &editor).await;
    drop(editor);
    loads_after_a_restart(&mut server, &meeting).await;
}
