//! Several native clients edit one document concurrently — some while disconnected — and
//! all converge to identical content that holds every edit (Zed-style randomized plan;
//! the seed is printed, and `MINUTEBOOK_SEED=<n>` replays a failing plan).

use minutebook_shared::client::SyncClient;
use minutebook_shared::schema;
use minutebook_tests::{TestServer, PATIENCE};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use yrs::{GetString, Text, Transact};

fn seed() -> u64 {
    std::env::var("MINUTEBOOK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

fn text_of(client: &SyncClient) -> String {
    let text = client.doc().get_or_insert_text(schema::TEXT);
    text.get_string(&client.doc().transact())
}

/// Inserts a unique marker at a random position, or deletes a random short range.
fn random_edit(rng: &mut StdRng, client: &SyncClient, marker: &str) -> bool {
    let text = client.doc().get_or_insert_text(schema::TEXT);
    let mut txn = client.doc().transact_mut();
    let len = text.len(&txn);
    if len > 40 && rng.random_bool(0.25) {
        // Delete only separators between markers so every marker survives.
        let s = text.get_string(&txn);
        if let Some(pos) = s.find('·') {
            text.remove_range(&mut txn, pos as u32, '·'.len_utf8() as u32);
        }
        false
    } else {
        let s = text.get_string(&txn);
        let mut at = rng.random_range(0..=len) as usize;
        // Never split a marker: insert at a boundary between markers.
        while at < s.len() && !s.is_char_boundary(at) {
            at += 1;
        }
        let at = s[..at].rfind('|').map_or(0, |i| i + 1);
        text.insert(&mut txn, at as u32, &format!("{marker}|·"));
        true
    }
}

#[tokio::test]
async fn concurrent_and_offline_edits_converge() {
    let seed = seed();
    println!("seed = {seed} (replay with MINUTEBOOK_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let server = TestServer::start().await;
    let clients: Vec<SyncClient> = (0..4).map(|_| server.client("converge")).collect();
    for c in &clients {
        c.wait_synced(PATIENCE).await.unwrap();
    }
    let mut markers = Vec::new();
    for step in 0..300 {
        let i = rng.random_range(0..clients.len());
        match rng.random_range(0..20) {
            0 => clients[i].set_online(false),
            1 => clients[i].set_online(true),
            _ => {
                let marker = format!("c{i}s{step}");
                if random_edit(&mut rng, &clients[i], &marker) {
                    markers.push(marker);
                }
            }
        }
        if rng.random_bool(0.1) {
            tokio::task::yield_now().await;
        }
    }
    // Quiesce: everyone back online, every local edit durable.
    for c in &clients {
        c.set_online(true);
    }
    for c in &clients {
        c.wait_synced(PATIENCE).await.unwrap();
        c.wait_saved(PATIENCE).await.unwrap();
    }
    // Everyone converges on one text (waiting for relays to land).
    let reference = server.client("converge");
    reference.wait_synced(PATIENCE).await.unwrap();
    let expected = text_of(&reference);
    for (i, c) in clients.iter().enumerate() {
        let text = c.doc().get_or_insert_text(schema::TEXT);
        let want = expected.clone();
        c.wait_doc("convergence", PATIENCE, move |d| {
            text.get_string(&d.transact()) == want
        })
        .await
        .unwrap_or_else(|e| {
            panic!(
                "client {i} diverged (seed {seed}): {e}\n{}\nvs\n{expected}",
                text_of(c)
            )
        });
    }
    for m in &markers {
        assert!(
            expected.contains(&format!("{m}|")),
            "edit {m} was lost (seed {seed})"
        );
    }
    assert!(
        clients.iter().any(|c| c.status().connections > 1),
        "the plan exercised reconnects (seed {seed})"
    );
}
