//! Read-only members speak plain Yjs: an observer and an attendee using an unmodified
//! `y-websocket` client (npm `yjs` + `y-websocket`, run by Node.js) sync, receive live
//! updates, and never receive Minutebook's refusal message (tag 102, part of the
//! `minutebook.v1` subprotocol they did not ask for) — not even after an edit of their own,
//! which the server refuses.

use std::process::Stdio;

use minutebook_shared::schema;
use minutebook_shared::trust::Role;
use minutebook_tests::{workspace_root, TestServer, PATIENCE};
use tokio::io::{AsyncBufReadExt, BufReader};
use yrs::{GetString, Text, Transact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_y_websocket_clients_sync_and_follow_live_updates() {
    let interop = workspace_root().join("tests").join("interop");
    assert!(
        interop.join("node_modules").join("y-websocket").exists(),
        "npm packages missing: run `npm ci --prefix tests/interop` (scripts/test.sh does)"
    );
    let server = TestServer::start().await;
    let doc = "observed";
    let writer = server.client(doc);
    writer.wait_synced(PATIENCE).await.expect("synced");
    let text = writer.doc().get_or_insert_text(schema::TEXT);
    text.insert(&mut writer.doc().transact_mut(), 0, "before\n");
    writer.wait_saved(PATIENCE).await.expect("saved");

    for (n, role) in [Role::Observer, Role::Attendee].into_iter().enumerate() {
        let token = server.member(doc, "Reader", None, role).await;
        let expect = format!("live-{n}");
        let mut child = tokio::process::Command::new("node")
            .arg(interop.join("y-websocket-observer.mjs"))
            .arg(format!("ws://{}", server.addr()))
            .arg(doc)
            .arg(&expect)
            .env("MINUTEBOOK_SESSION", &token)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("the observer syncs in time")
            .expect("reads")
            .expect("a first line");
        assert_eq!(first, r#"{"synced":true}"#, "{role:?}");
        // A live update after the read-only client synced.
        {
            let mut txn = writer.doc().transact_mut();
            let end = text.len(&txn);
            text.insert(&mut txn, end, &format!("{expect}\n"));
        }
        writer.wait_saved(PATIENCE).await.expect("saved");
        let last = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("the observer sees the live update in time")
            .expect("reads")
            .unwrap_or_default();
        let status = child.wait().await.expect("node exits");
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = e.read_to_string(&mut stderr).await;
        }
        assert!(status.success(), "{role:?}: {stderr}\n{last}");
        let result: serde_json::Value = serde_json::from_str(&last).expect("one JSON line");
        let seen = result["text"].as_str().unwrap_or_default();
        assert!(
            seen.contains("before") && seen.contains(&expect),
            "{role:?}: {seen:?}"
        );
        let types: Vec<u64> = result["types"]
            .as_array()
            .expect("types")
            .iter()
            .filter_map(serde_json::Value::as_u64)
            .collect();
        assert!(
            !types.contains(&102),
            "{role:?}: a plain Yjs client received a refusal message: {types:?}"
        );
        assert!(
            types.contains(&0),
            "{role:?}: sync messages arrived: {types:?}"
        );
        assert_eq!(result["closes"], serde_json::json!(0), "{role:?}: {result}");
        // The refused edit never reached the minutes.
        assert!(!text
            .get_string(&writer.doc().transact())
            .contains("observer-edit"));
    }
}
