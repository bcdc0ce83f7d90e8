//! Server lifecycle: `/healthz`, documents unloading when their last client leaves,
//! keepalive dropping dead connections, and graceful shutdown that closes clients with a
//! reason and keeps everything they saved.

use std::time::Duration;

use minutebook_shared::schema;
use minutebook_tests::raw::Received;
use minutebook_tests::{TestServer, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yrs::{GetString, Text, Transact};

/// A minimal HTTP/1.1 GET returning (status line, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.lines().next().unwrap_or_default().to_string();
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

async fn docs_loaded(server: &TestServer) -> u64 {
    let (status, body) = get(server.addr(), "/healthz").await;
    assert!(status.contains("200"), "{status}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    json["docs_loaded"].as_u64().unwrap()
}

#[tokio::test]
async fn healthz_and_unload_after_last_client_leaves() {
    let server = TestServer::start().await;
    assert_eq!(docs_loaded(&server).await, 0);
    let client = server.client("unload");
    client.wait_synced(PATIENCE).await.unwrap();
    assert_eq!(docs_loaded(&server).await, 1);
    client.close().await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while docs_loaded(&server).await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "document never unloaded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn invalid_document_names_are_refused_before_upgrade() {
    let server = TestServer::start().await;
    let (status, _) = get(server.addr(), "/ws/bad%20name").await;
    assert!(status.contains("400"), "{status}");
}

#[tokio::test]
async fn silent_connections_are_dropped() {
    let server = TestServer::start_with(|c| {
        c.ping_interval_ms = 50;
        c.idle_timeout_ms = 300;
    })
    .await;
    // tungstenite answers pings only while we poll it; a client that never reads looks dead.
    let mut silent = server.raw("idle").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (code, reason) = silent.expect_close().await;
    assert_eq!(code, 1001, "{reason}");
    assert!(reason.contains("no traffic"), "{reason}");

    // A client that keeps answering pings stays connected well past the idle timeout.
    let mut live = server.raw("idle").await;
    let until = tokio::time::Instant::now() + Duration::from_millis(900);
    while tokio::time::Instant::now() < until {
        if let Some(Received::Closed(code, reason)) =
            live.recv_within(Duration::from_millis(50)).await
        {
            panic!("a responsive client was closed: {code} {reason}");
        }
    }
}

#[tokio::test]
async fn graceful_shutdown_closes_clients_and_keeps_their_work() {
    let mut server = TestServer::start().await;
    let client = server.client("shutdown");
    client.wait_synced(PATIENCE).await.unwrap();
    let text = client.doc().get_or_insert_text(schema::TEXT);
    text.insert(&mut client.doc().transact_mut(), 0, "kept across shutdown");
    client.wait_saved(PATIENCE).await.unwrap();
    let mut raw = server.raw("shutdown").await;

    tokio::time::timeout(PATIENCE, server.stop())
        .await
        .expect("shutdown completes with clients connected");
    let (code, reason) = raw.expect_close().await;
    assert_eq!(code, 1001);
    assert!(reason.contains("shutting down"), "{reason}");
    client.close().await;

    server.restart().await;
    let again = server.client("shutdown");
    let text = again.doc().get_or_insert_text(schema::TEXT);
    again
        .wait_doc("content after restart", PATIENCE, |d| {
            text.get_string(&d.transact()) == "kept across shutdown"
        })
        .await
        .unwrap();
}
