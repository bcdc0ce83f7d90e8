//! `/metrics` through the real server: Prometheus text on its own listener (never on the
//! public one), counting what an operator watches — connections, loaded documents,
//! group commits (batch size and latency), relay lag, and refused hostile input.

use minutebook_shared::meeting::Meeting;
use minutebook_tests::http::get;
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::json;
use yrs::Transact;

/// The value of the first sample whose name and labels start with `series`.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with([' ', '{', ',']))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_connections_commits_relays_and_refusals_on_their_own_address() {
    let server =
        TestServer::start_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics = server.metrics_addr().expect("metrics are served");
    assert_ne!(metrics, server.addr());

    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Metrics", "series": "Ops" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let name = r.json()["name"].as_str().expect("name").to_string();

    // Two clients: one writes, the other receives the relay.
    let writer = server.client(&name);
    let reader = server.client(&name);
    writer.wait_synced(PATIENCE).await.expect("synced");
    reader.wait_synced(PATIENCE).await.expect("synced");
    {
        let m = Meeting::new(writer.doc().clone());
        let mut txn = m.doc().transact_mut();
        m.insert_item(&mut txn, None, 0, "Counted").expect("insert");
    }
    writer.wait_saved(PATIENCE).await.expect("saved");

    // A hostile frame: refused and counted.
    let mut hostile = server.raw(&name).await;
    hostile.send_bytes(vec![0xff, 0xff, 0xff, 0xff, 0x0f]).await;
    let (code, _) = hostile.expect_close().await;
    assert_eq!(code, 1002);

    let r = get(metrics, "/metrics").await;
    assert_eq!(r.status, 200);
    let body = r.text();
    assert!(
        sample(&body, "minutebook_connections").is_some_and(|v| v >= 2.0),
        "{body}"
    );
    assert!(
        sample(&body, "minutebook_documents_loaded").is_some_and(|v| v >= 1.0),
        "{body}"
    );
    assert!(
        sample(&body, "minutebook_commit_seconds_count").is_some_and(|v| v >= 1.0),
        "{body}"
    );
    assert!(
        body.contains("minutebook_commit_seconds_bucket{le=\"0.005\"}"),
        "{body}"
    );
    assert!(
        sample(&body, "minutebook_commit_batch_size_sum").is_some_and(|v| v >= 1.0),
        "{body}"
    );
    assert!(
        sample(&body, "minutebook_relay_lag_seconds_count").is_some_and(|v| v >= 1.0),
        "{body}"
    );
    assert!(
        sample(
            &body,
            "minutebook_rejected_messages_total{reason=\"malformed\"}"
        )
        .is_some_and(|v| v >= 1.0),
        "{body}"
    );
    assert!(
        sample(&body, "minutebook_connection_closes_total{code=\"1002\"}")
            .is_some_and(|v| v >= 1.0),
        "{body}"
    );

    // The public listener does not serve them.
    let public = get(server.addr(), "/metrics").await;
    assert!(!public.text().contains("minutebook_commit_seconds"));

    writer.close().await;
    reader.close().await;
}

#[tokio::test]
async fn without_the_flag_there_is_no_metrics_listener() {
    let server = TestServer::start().await;
    assert_eq!(server.metrics_addr(), None);
}
