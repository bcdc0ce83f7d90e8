//! Durability: what the server acknowledged or relayed survives a restart and `kill -9`
//! (a watcher that never writes records what was relayed to it; all of it must be there
//! after the restart, as must every write a writer had acknowledged).

use std::collections::HashSet;
use std::time::Duration;

use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::schema;
use minutebook_tests::{ServerProcess, TestServer, PATIENCE};
use yrs::{Array, GetString, Text, Transact};

/// A test-only root type: one entry per acknowledged write.
const ITEMS: &str = "test-items";

#[tokio::test]
async fn content_survives_restart_including_compacted_logs() {
    // Compact every 10 updates so the restart loads snapshot + log tail.
    let mut server = TestServer::start_with(|c| c.compact_after = 10).await;
    let writer = server.client("restart");
    writer.wait_synced(PATIENCE).await.unwrap();
    let text = writer.doc().get_or_insert_text(schema::TEXT);
    for i in 0..95 {
        let mut txn = writer.doc().transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, &format!("{i} "));
    }
    writer.wait_saved(PATIENCE).await.unwrap();
    let expected = text.get_string(&writer.doc().transact());
    writer.close().await;

    server.restart().await;
    let reader = server.client("restart");
    reader.wait_synced(PATIENCE).await.unwrap();
    let text = reader.doc().get_or_insert_text(schema::TEXT);
    assert_eq!(text.get_string(&reader.doc().transact()), expected);
    assert!(expected.starts_with("0 1 2 ") && expected.ends_with("93 94 "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_update_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path()).await;
    let url = server.ws_url("kill9");
    // Sessions are stored: the administrator's token still works after the restart.
    let admin = server.setup_admin().await;

    let writers: Vec<SyncClient> = (0..3)
        .map(|_| SyncClient::connect(ClientOptions::new(url.clone()).with_bearer(&admin)))
        .collect();
    for w in &writers {
        w.wait_synced(PATIENCE).await.unwrap();
    }
    // A watcher that only receives: what reaches it was relayed.
    let watcher = SyncClient::connect(ClientOptions::new(url.clone()).with_bearer(&admin));
    watcher.wait_synced(PATIENCE).await.unwrap();
    // Each writer appends "w:k" entries, one transaction (one update) each, as fast as it can.
    let bursts: Vec<_> = writers
        .iter()
        .enumerate()
        .map(|(w, client)| {
            let doc = client.doc().clone();
            tokio::spawn(async move {
                let items = doc.get_or_insert_array(ITEMS);
                for k in 0..100_000u64 {
                    {
                        let mut txn = doc.transact_mut();
                        items.push_back(&mut txn, format!("{w}:{k}"));
                    }
                    if k % 8 == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            })
        })
        .collect();

    // Kill the server mid-burst, once a good number of writes have been acknowledged.
    let watch = &writers[0];
    watch
        .wait_for("some acks", PATIENCE, |s| s.saved >= 300)
        .await
        .unwrap();
    server.kill9().await;
    for b in &bursts {
        b.abort();
    }
    // The server is dead: the acks each writer holds now are final.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let acked: Vec<u64> = writers.iter().map(|w| w.status().saved).collect();
    for w in writers {
        w.close().await;
    }
    let relayed: HashSet<String> = minutebook_tests::array_strings(watcher.doc(), ITEMS);
    watcher.close().await;
    println!("acknowledged before kill -9: {acked:?}");

    let server = ServerProcess::start(dir.path()).await;
    let reader =
        SyncClient::connect(ClientOptions::new(server.ws_url("kill9")).with_bearer(&admin));
    reader.wait_synced(PATIENCE).await.unwrap();
    let present = minutebook_tests::array_strings(reader.doc(), ITEMS);
    let mut checked = 0;
    for (w, &n) in acked.iter().enumerate() {
        // Local change k (1-based) of writer w is the entry "w:(k-1)".
        for k in 0..n {
            assert!(
                present.contains(&format!("{w}:{k}")),
                "acknowledged write {w}:{k} was lost"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 300,
        "the test checked a meaningful number of acknowledged writes ({checked})"
    );
    assert!(
        !relayed.is_empty(),
        "the watcher received relayed writes before the kill"
    );
    let lost: Vec<&String> = relayed.difference(&present).collect();
    assert!(lost.is_empty(), "relayed writes were lost: {lost:?}");
    println!(
        "all {checked} acknowledged writes present after kill -9; {} entries stored",
        present.len()
    );
    server.kill9().await;
}
