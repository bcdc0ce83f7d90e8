//! Interop with the JavaScript reference implementation: two unmodified `y-websocket`
//! `WebsocketProvider` clients (npm `yjs` + `y-websocket`, run by Node.js) and a native
//! Rust client co-edit one document through the server and converge; awareness flows
//! between the JavaScript clients, carrying the verified name the server stamps on it.

use minutebook_shared::schema;
use minutebook_tests::{workspace_root, TestServer, PATIENCE};
use yrs::{GetString, Text, Transact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_websocket_clients_sync_with_the_server() {
    let interop = workspace_root().join("tests").join("interop");
    assert!(
        interop.join("node_modules").join("y-websocket").exists(),
        "npm packages missing: run `npm ci --prefix tests/interop` (scripts/test.sh does)"
    );
    let server = TestServer::start().await;
    let rust = server.client("interop");
    rust.wait_synced(PATIENCE).await.unwrap();
    let text = rust.doc().get_or_insert_text(schema::TEXT);
    text.insert(&mut rust.doc().transact_mut(), 0, "from-rust\n");
    rust.wait_saved(PATIENCE).await.unwrap();

    let output = tokio::process::Command::new("node")
        .arg(interop.join("y-websocket-peer.mjs"))
        .arg(format!("ws://{}", server.addr()))
        .arg("interop")
        .arg("from-rust")
        // The upgrade needs a session: the peers send it as `Authorization: Bearer`.
        .env("MINUTEBOOK_SESSION", &server.admin)
        // Their awareness reaches each other with the session's verified name.
        .env("MINUTEBOOK_NAME", "Test Administrator")
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "y-websocket peers failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let js_text = result["text"].as_str().unwrap_or_default().to_string();
    for line in ["from-rust", "from-js-1", "from-js-2"] {
        assert!(js_text.contains(line), "JS text lacks {line}: {js_text:?}");
    }
    // Awareness went both ways, stamped by the server with the session's verified name
    // whatever name each client chose ("js-1", "js-2").
    for direction in ["peer1_sees_peer2", "peer2_sees_peer1"] {
        let state = &result["awareness"][direction];
        assert_eq!(
            state["verified"]["name"], "Test Administrator",
            "{direction}: {state}"
        );
        assert_eq!(
            state["user"]["name"], "Test Administrator",
            "{direction}: {state}"
        );
    }
    // The Rust client converges on exactly the JavaScript clients' text.
    rust.wait_doc("rust sees the JS edits", PATIENCE, |d| {
        text.get_string(&d.transact()) == js_text
    })
    .await
    .unwrap();
}
