//! Presence through the real server, tried as a hostile member would:
//! - an awareness flood (100,000 client ids in one message or in many, thousands of
//!   changes a second, oversized or deeply nested states) closes only the flooding
//!   connection, with a reason, and everyone else stays connected and keeps receiving;
//! - every relayed state carries the sender's verified name and role, whatever name it
//!   chose ("Administrator (Chair)");
//! - an awareness client id belongs to the session that announced it first: another
//!   session cannot overwrite or remove it, while the same session may take it over
//!   from its own older connection (a reconnecting page).

use std::collections::HashMap;

use futures_util::SinkExt;
use minutebook_shared::protocol::{self, Message, SyncMessage};
use minutebook_shared::trust::Role;
use minutebook_tests::hostile::awareness_ids;
use minutebook_tests::raw::{awareness, RawClient, Received};
use minutebook_tests::TestServer;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::StateVector;

const ANN_ID: u64 = 4242;

struct Room {
    server: TestServer,
    meeting: String,
    ann: String,
    eve: String,
    bob: String,
}

impl Room {
    async fn new() -> Room {
        let server = TestServer::start().await;
        let r = server
            .http()
            .post_json(
                "/api/meetings",
                &serde_json::json!({ "title": "Board", "series": "Board", "from": null }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let meeting = r.json()["name"].as_str().expect("name").to_string();
        let ann = server
            .member(&meeting, "Ann Lee", None, Role::Attendee)
            .await;
        let eve = server.member(&meeting, "Eve", None, Role::Observer).await;
        let bob = server
            .member(&meeting, "Bob", None, Role::MinuteTaker)
            .await;
        Room {
            server,
            meeting,
            ann,
            eve,
            bob,
        }
    }

    /// A connection of session `token`, past the sync handshake.
    async fn join(&self, token: &str) -> RawClient {
        let mut c =
            RawClient::connect_as(&self.server.ws_url(&self.meeting), None, Some(token)).await;
        c.send(&Message::Sync(SyncMessage::SyncStep1(
            StateVector::default(),
        )))
        .await;
        c
    }
}

/// The next awareness entry for `client`, skipping everything else.
async fn next_entry(c: &mut RawClient, client: u64) -> AwarenessUpdateEntry {
    loop {
        match c.recv().await {
            Received::Message(Message::Awareness(u)) => {
                if let Some(e) = u.clients.get(&ClientID::new(client)) {
                    return e.clone();
                }
            }
            Received::Message(_) => continue,
            other => panic!("expected awareness, got {other:?}"),
        }
    }
}

/// The current states a new connection of `token` receives (asked for explicitly).
async fn states_seen_by(room: &Room, token: &str) -> HashMap<u64, serde_json::Value> {
    let mut c = room.join(token).await;
    c.send(&Message::AwarenessQuery).await;
    loop {
        match c.recv().await {
            Received::Message(Message::Awareness(u)) => {
                return u
                    .clients
                    .iter()
                    .filter(|(_, e)| &*e.json != "null")
                    .map(|(id, e)| (id.get(), serde_json::from_str(&e.json).unwrap()))
                    .collect();
            }
            Received::Message(_) => continue,
            other => panic!("expected awareness, got {other:?}"),
        }
    }
}

fn json(entry: &AwarenessUpdateEntry) -> serde_json::Value {
    serde_json::from_str(&entry.json).expect("relayed states are JSON")
}

/// Sends without caring whether the server has closed the connection meanwhile.
async fn send_blind(c: &mut RawClient, msg: &Message) {
    let _ =
        c.ws.send(WsMessage::Binary(protocol::encode(msg).into()))
            .await;
}

/// Ann (the victim) is still connected and still hears Bob, and Bob hears her.
async fn others_unaffected(ann: &mut RawClient, bob: &mut RawClient, clock: u32) {
    ann.send(&awareness(ANN_ID, clock, r#"{"user":{"name":"Ann"}}"#))
        .await;
    for c in [&mut *ann, &mut *bob] {
        let e = next_entry(c, ANN_ID).await;
        assert_eq!(e.clock, clock);
        assert_eq!(json(&e)["verified"]["name"], "Ann Lee");
    }
    bob.send(&awareness(77, clock, "{}")).await;
    for c in [&mut *ann, &mut *bob] {
        assert_eq!(next_entry(c, 77).await.clock, clock);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_awareness_flood_closes_only_the_flooding_connection() {
    let room = Room::new().await;
    let mut ann = room.join(&room.ann).await;
    let mut bob = room.join(&room.bob).await;
    others_unaffected(&mut ann, &mut bob, 1).await;

    // 100,000 client ids in one message.
    let mut eve = room.join(&room.eve).await;
    send_blind(&mut eve, &awareness_ids(1_000_000..1_100_000)).await;
    let (code, reason) = eve.expect_close().await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("client states"), "{reason}");
    others_unaffected(&mut ann, &mut bob, 2).await;

    // 100,000 client ids in many messages.
    let mut eve = room.join(&room.eve).await;
    for start in (2_000_000..2_100_000).step_by(100) {
        send_blind(&mut eve, &awareness_ids(start..start + 100)).await;
    }
    let (code, reason) = eve.expect_close().await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("client ids"), "{reason}");
    others_unaffected(&mut ann, &mut bob, 3).await;

    // Thousands of messages about one id, as fast as the socket takes them.
    let mut eve = room.join(&room.eve).await;
    for clock in 1..=5_000 {
        send_blind(&mut eve, &awareness(666, clock, r#"{"x":1}"#)).await;
    }
    let (code, reason) = eve.expect_close().await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("awareness flood"), "{reason}");
    others_unaffected(&mut ann, &mut bob, 4).await;

    // An oversized state, and one nested 4,000 deep (checked before any parse).
    let mut eve = room.join(&room.eve).await;
    let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(100_000));
    send_blind(&mut eve, &awareness(667, 1, &big)).await;
    let (code, reason) = eve.expect_close().await;
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("awareness state of"), "{reason}");
    let mut eve = room.join(&room.eve).await;
    // (4,000 deep still fits the default size limit.)
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(4_000), "]".repeat(4_000));
    send_blind(&mut eve, &awareness(668, 1, &deep)).await;
    let (code, reason) = eve.expect_close().await;
    assert_eq!(code, 1007, "{reason}");
    assert!(reason.contains("nested deeper"), "{reason}");
    others_unaffected(&mut ann, &mut bob, 5).await;

    // None of the flooder's states stayed behind.
    let states = states_seen_by(&room, &room.bob).await;
    let mut ids: Vec<u64> = states.keys().copied().collect();
    ids.sort();
    assert_eq!(ids, vec![77, ANN_ID]);
}

#[tokio::test]
async fn relayed_states_carry_the_verified_name_and_role() {
    let room = Room::new().await;
    let mut ann = room.join(&room.ann).await;
    let mut eve = room.join(&room.eve).await;
    let fake = r##"{"user":{"name":"Administrator (Chair)","color":"#ff0000"},"verified":{"name":"Administrator","role":"chair"},"focus":null}"##;
    eve.send(&awareness(666, 1, fake)).await;
    for c in [&mut ann, &mut eve] {
        let state = json(&next_entry(c, 666).await);
        assert_eq!(state["user"]["name"], "Eve");
        assert_eq!(state["user"]["color"], "#ff0000");
        assert_eq!(
            state["verified"],
            serde_json::json!({"name": "Eve", "role": "observer"})
        );
        assert_eq!(state["focus"], serde_json::Value::Null);
    }
    // A state without a `user` still carries the verified name; so does a late joiner's copy.
    ann.send(&awareness(ANN_ID, 1, r#"{"cursor":{"x":3}}"#))
        .await;
    let state = json(&next_entry(&mut eve, ANN_ID).await);
    assert_eq!(state["verified"]["name"], "Ann Lee");
    assert_eq!(state["verified"]["role"], "attendee");
    assert_eq!(state["cursor"]["x"], 3);
    let states = states_seen_by(&room, &room.bob).await;
    assert_eq!(states[&666]["user"]["name"], "Eve");
    assert_eq!(states[&ANN_ID]["verified"]["name"], "Ann Lee");
}

#[tokio::test]
async fn another_sessions_client_id_cannot_be_overwritten_or_removed() {
    let room = Room::new().await;
    let mut ann = room.join(&room.ann).await;
    let mut bob = room.join(&room.bob).await;
    ann.send(&awareness(ANN_ID, 1, r#"{"user":{"name":"Ann"}}"#))
        .await;
    next_entry(&mut bob, ANN_ID).await;

    // Eve reuses Ann's client id: to overwrite her state, then to remove it.
    let mut eve = room.join(&room.eve).await;
    eve.send(&awareness(
        ANN_ID,
        50,
        r#"{"user":{"name":"Ann (hacked)"}}"#,
    ))
    .await;
    eve.send(&awareness(ANN_ID, 51, "null")).await;
    eve.send(&awareness(ANN_ID, 51, "null")).await;
    // Her own id still works, and nothing about Ann's reached Bob before it.
    eve.send(&awareness(666, 1, "{}")).await;
    loop {
        match bob.recv().await {
            Received::Message(Message::Awareness(u)) => {
                assert!(
                    !u.clients.contains_key(&ClientID::new(ANN_ID)),
                    "Eve changed Ann's presence: {u:?}"
                );
                if u.clients.contains_key(&ClientID::new(666)) {
                    break;
                }
            }
            Received::Message(_) => continue,
            other => panic!("expected awareness, got {other:?}"),
        }
    }
    // Eve leaves; Ann's presence survives all of it.
    drop(eve);
    assert_eq!(&*next_entry(&mut bob, 666).await.json, "null");
    let states = states_seen_by(&room, &room.bob).await;
    assert_eq!(states[&ANN_ID]["verified"]["name"], "Ann Lee");
    assert_eq!(states[&ANN_ID]["user"]["name"], "Ann Lee");

    // Ann herself may change and remove it.
    ann.send(&awareness(ANN_ID, 2, "null")).await;
    let e = next_entry(&mut bob, ANN_ID).await;
    assert_eq!((e.clock, &*e.json), (2, "null"));
}

#[tokio::test]
async fn a_reconnecting_session_keeps_its_client_id_while_the_old_connection_times_out() {
    let room = Room::new().await;
    let mut bob = room.join(&room.bob).await;
    let mut old = room.join(&room.ann).await;
    old.send(&awareness(ANN_ID, 1, r#"{"user":{"name":"Ann"}}"#))
        .await;
    next_entry(&mut bob, ANN_ID).await;
    // The page reconnects with the same session and the same id before the server has
    // noticed that the old connection is dead.
    let mut new = room.join(&room.ann).await;
    new.send(&awareness(ANN_ID, 3, r#"{"user":{"name":"Ann"}}"#))
        .await;
    assert_eq!(next_entry(&mut bob, ANN_ID).await.clock, 3);
    // Now the old one goes (with an id only it held, so that Bob sees when): Ann stays
    // present, since her new connection holds her id.
    old.send(&awareness(99, 1, "{}")).await;
    assert_eq!(next_entry(&mut bob, 99).await.clock, 1);
    drop(old);
    loop {
        match bob.recv().await {
            Received::Message(Message::Awareness(u)) => {
                if let Some(e) = u.clients.get(&ClientID::new(ANN_ID)) {
                    panic!("Ann's state changed when her old connection closed: {e:?}");
                }
                if let Some(e) = u.clients.get(&ClientID::new(99)) {
                    assert_eq!(&*e.json, "null");
                    break;
                }
            }
            Received::Message(_) => continue,
            other => panic!("expected awareness, got {other:?}"),
        }
    }
    let states = states_seen_by(&room, &room.bob).await;
    assert_eq!(states[&ANN_ID]["verified"]["name"], "Ann Lee");
    // When the last connection holding it goes, everyone learns that Ann left.
    drop(new);
    let e = next_entry(&mut bob, ANN_ID).await;
    assert_eq!((e.clock, &*e.json), (3, "null"));
}
