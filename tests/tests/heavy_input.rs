//! Heavy input through the real server (real sockets, real redb in a temp dir):
//!
//! - a minute-taker's one raw update nests 6,000 agenda items in a chain, another adds
//!   20,000 siblings: exports and readiness still answer, the export's depth is clamped,
//!   and the server keeps serving;
//! - two large imports in flight do not stop `/healthz` or a WebSocket sync on another
//!   meeting from answering (CPU work runs off the async workers), nor does signing
//!   one of them off (rendering and hashing the whole meeting);
//! - an import larger than `--max-import-bytes` is refused with 413 and a clear message.
//!
//! No timing assertions: each step must complete within the test patience.

use std::time::Duration;

use minutebook_shared::meeting::{Meeting, MAX_ITEM_DEPTH};
use minutebook_shared::protocol::{self, Message, SyncMessage, MSG_SAVED, SUBPROTOCOL};
use minutebook_shared::trust::Role;
use minutebook_tests::hostile::{items_update, large_legacy};
use minutebook_tests::http::{Client, Response};
use minutebook_tests::raw::{RawClient, Received};
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::json;
use yrs::Transact;

/// Waits for `f` at most the test patience.
async fn patiently<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not answer within {PATIENCE:?}"))
}

async fn create_meeting(server: &TestServer, title: &str) -> String {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": title, "series": "Heavy" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["name"].as_str().expect("name").to_string()
}

/// Sends `update` as a raw sync update and waits for the server's saved acknowledgement.
async fn send_update(raw: &mut RawClient, update: Vec<u8>, count: u64) {
    raw.send(&Message::Sync(SyncMessage::Update(update))).await;
    loop {
        match raw.recv().await {
            Received::Message(Message::Custom(MSG_SAVED, payload)) => {
                if protocol::parse_saved(&payload).expect("saved count") >= count {
                    return;
                }
            }
            Received::Message(_) => continue,
            other => panic!("the update was not saved: {other:?}"),
        }
    }
}

/// Item numbers in the Markdown export's headings.
fn heading_numbers(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| l.starts_with("##"))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .map(str::to_string)
        .collect()
}

async fn get(client: &Client, path: &str) -> Response {
    patiently(path, client.get(path)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_chain_and_a_wide_list_of_items_are_served_clamped() {
    let server = TestServer::start().await;
    let name = create_meeting(&server, "Deep and wide").await;
    let taker = server.member(&name, "Tim", None, Role::MinuteTaker).await;
    let observer = server.member(&name, "Olive", None, Role::Observer).await;

    let mut raw =
        RawClient::connect_as(&server.ws_url(&name), Some(SUBPROTOCOL), Some(&taker)).await;
    send_update(&mut raw, items_update(987_654, 6_000, 0), 1).await;
    send_update(&mut raw, items_update(987_655, 0, 20_000), 2).await;

    // Any reader may ask for the export, repeatedly: each answers, bounded in depth.
    let as_observer = Client::new(server.addr(), Some(observer.clone()));
    for _ in 0..3 {
        let md = get(&as_observer, &format!("/api/meetings/{name}/export.md")).await;
        assert_eq!(md.status, 200, "{}", md.text());
        let numbers = heading_numbers(&md.text());
        assert_eq!(numbers.len(), 26_000);
        assert!(numbers
            .iter()
            .all(|n| n.split('.').count() <= MAX_ITEM_DEPTH));
        // The chain (ordered first): eight levels, then the rest follow the deepest item
        // as its siblings; the wide items after it.
        assert_eq!(numbers[MAX_ITEM_DEPTH - 1], "1.1.1.1.1.1.1.1");
        assert_eq!(numbers[5_999], "1.1.1.1.1.1.1.5993");
        assert_eq!(numbers[25_999], "20001");
    }
    let html = get(&as_observer, &format!("/api/meetings/{name}/export.html")).await;
    assert_eq!(html.status, 200);
    assert_eq!(
        html.text().matches("<section class=\"item depth-").count(),
        26_000
    );

    let as_taker = Client::new(server.addr(), Some(taker.clone()));
    let readiness = get(&as_taker, &format!("/api/meetings/{name}/readiness")).await;
    assert_eq!(readiness.status, 200, "{}", readiness.text());

    // A live client sees the same clamped tree.
    let client = server.client_as(&name, &observer);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let view = m.view(&m.doc().transact());
    assert_eq!(view.items.len(), 26_000);
    assert!(view.items.iter().all(|i| i.depth < MAX_ITEM_DEPTH));
    client.close().await;

    // The server is still up and serving.
    let health = get(&server.anonymous(), "/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_imports_in_flight_do_not_stall_other_requests() {
    let server = TestServer::start().await;
    // Another meeting, with a live client that must keep syncing.
    let other = create_meeting(&server, "Other meeting").await;
    let text = large_legacy(400 * 1024);
    assert!(text.len() < minutebook_server::config::DEFAULT_MAX_IMPORT_BYTES);

    let imports: Vec<_> = (0..2)
        .map(|_| {
            let admin = server.http();
            let text = text.clone();
            tokio::spawn(async move {
                admin
                    .post_text("/api/meetings/import?format=legacy", &text)
                    .await
            })
        })
        .collect();
    // While they run: health and a WebSocket sync on another meeting answer.
    let health = get(&server.anonymous(), "/healthz").await;
    assert_eq!(health.status, 200);
    let client = server.client(&other);
    patiently("sync on another meeting", client.wait_synced(PATIENCE))
        .await
        .expect("synced");
    {
        let m = Meeting::new(client.doc().clone());
        let mut txn = m.doc().transact_mut();
        m.insert_item(&mut txn, None, 0, "Written during the imports")
            .expect("insert");
    }
    patiently("saving on another meeting", client.wait_saved(PATIENCE))
        .await
        .expect("saved");
    client.close().await;

    let mut names = Vec::new();
    for import in imports {
        let r = patiently("a large import", import).await.expect("task");
        assert_eq!(r.status, 201, "{}", r.text());
        names.push(r.json()["name"].as_str().expect("name").to_string());
    }
    assert_ne!(names[0], names[1]);
    // Both are complete meetings.
    for name in &names {
        let md = get(&server.http(), &format!("/api/meetings/{name}/export.md")).await;
        assert_eq!(md.status, 200);
        assert!(md.text().contains("point 39"));
    }

    // Signing one of them off (rendering and hashing the whole meeting) while a client
    // of another meeting keeps saving.
    let chair = server.member(&names[0], "Chair", None, Role::Chair).await;
    let sign = {
        let chair = Client::new(server.addr(), Some(chair));
        let path = format!("/api/meetings/{}/sign-off", names[0]);
        tokio::spawn(async move {
            chair
                .post_json(
                    &path,
                    &json!({ "override_reason": "agreed at the meeting" }),
                )
                .await
        })
    };
    let client = server.client(&other);
    patiently("sync during the sign-off", client.wait_synced(PATIENCE))
        .await
        .expect("synced");
    {
        let m = Meeting::new(client.doc().clone());
        let mut txn = m.doc().transact_mut();
        m.insert_item(&mut txn, None, 0, "Written during the sign-off")
            .expect("insert");
    }
    patiently("saving during the sign-off", client.wait_saved(PATIENCE))
        .await
        .expect("saved");
    client.close().await;
    let signed = patiently("the sign-off", sign).await.expect("task");
    assert_eq!(signed.status, 200, "{}", signed.text());
    assert_eq!(signed.json()["version"], 1, "{}", signed.text());
    let md = get(
        &server.http(),
        &format!("/api/meetings/{}/versions/1/export.md", names[0]),
    )
    .await;
    assert_eq!(md.status, 200, "{}", md.text());
    assert!(md.text().contains("point 39"));
    assert!(
        md.text().contains("Signed off — version 1"),
        "{}",
        md.text()
    );
}

#[tokio::test]
async fn an_oversized_import_is_refused_with_413() {
    let server = TestServer::start_with(|c| c.max_import_bytes = 64 * 1024).await;
    let text = large_legacy(100 * 1024);
    let r = patiently(
        "the oversized import",
        server
            .http()
            .post_text("/api/meetings/import?format=legacy", &text),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text());
    let error = r.json()["error"].as_str().expect("error").to_string();
    assert!(
        error.contains("import limit of 65536 bytes") && error.contains("--max-import-bytes"),
        "{error}"
    );
    // A file within the limit is imported.
    let small = large_legacy(30 * 1024);
    let r = server
        .http()
        .post_text("/api/meetings/import?format=legacy", &small)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // The server is still up.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(get(&server.anonymous(), "/healthz").await.status, 200);
}
