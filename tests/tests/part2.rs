//! Part II through the real server, watched on the wire: a meeting's exempt items live in
//! its restricted document, which only grants with restricted access can sync
//! (`/ws/{meeting}/restricted`), and no byte of their text reaches an observer — not in
//! the minutes' sync, not in updates relayed while a minute-taker types in Part II, not
//! in awareness, not in exports. Moving an item typed in the minutes into Part II is
//! audited and rebuilds the minutes without it: a reconnecting observer receives none of
//! it, and the old document's content is refused (close 4001) wherever it comes from.
//! Part II is durable like the minutes (a restart keeps it) and sign-off merges both.
//! Public content a client puts under an exempt item (a field write, an indent, a block)
//! moves into Part II at once, before anything of it is relayed.

use std::time::Duration;

use futures_util::StreamExt;
use minutebook_server::store::{Store, WriteOp};
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::model::{BlockKind, ItemId};
use minutebook_shared::meeting::Meeting;
use minutebook_shared::protocol::close::code;
use minutebook_shared::protocol::{self, Message, SyncMessage, SUBPROTOCOL};
use minutebook_shared::trust::Role;
use minutebook_tests::http::Client;
use minutebook_tests::raw::RawClient;
use minutebook_tests::{TestServer, EXEMPT_MINUTES, PATIENCE};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{ReadTxn, StateVector, Transact};

/// Every binary frame `raw` receives within `window` (the connection may close).
async fn frames_within(raw: &mut RawClient, window: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(window, async {
        while let Some(Ok(msg)) = raw.ws.next().await {
            match msg {
                WsMessage::Binary(b) => out.push(b.to_vec()),
                WsMessage::Close(_) => break,
                _ => {}
            }
        }
    })
    .await;
    out
}

fn holds(frames: &[Vec<u8>], needle: &str) -> bool {
    frames
        .iter()
        .any(|f| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

/// An observer's raw connection to the minutes, asking for everything.
async fn observer_on_minutes(server: &TestServer, meeting: &str, token: &str) -> RawClient {
    let mut raw =
        RawClient::connect_as(&server.ws_url(meeting), Some(SUBPROTOCOL), Some(token)).await;
    raw.send(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )))
    .await;
    raw
}

fn part2_url(server: &TestServer, meeting: &str) -> String {
    format!("{}/{}", server.ws_url(meeting), protocol::PART2_SEGMENT)
}

async fn import(server: &TestServer, text: &str) -> String {
    let r = server
        .http()
        .post_text("/api/meetings/import?format=markdown", text)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["name"].as_str().expect("name").to_owned()
}

/// Invites `name` to `meeting` as a minute-taker without restricted access (no Part II)
/// and returns their session token.
async fn unrestricted_taker(server: &TestServer, meeting: &str, name: &str) -> String {
    let invite = server
        .http()
        .post_json(
            &format!("/api/meetings/{meeting}/invites"),
            &json!({"name": name, "role": "minute-taker", "restricted": false}),
        )
        .await;
    assert_eq!(invite.status, 201, "{}", invite.text());
    minutebook_tests::redeem(server.addr(), invite.json()["link"].as_str().expect("link")).await
}

/// The register id of the person with short form `short` (as a member with restricted
/// access reads the meeting).
async fn full_people_id(server: &TestServer, meeting: &str, token: &str, short: &str) -> String {
    let client = SyncClient::connect(
        ClientOptions::new(server.ws_url(meeting)).with_bearer(token.to_owned()),
    );
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let id = m
        .view(&m.doc().transact())
        .people
        .iter()
        .find(|p| p.person.short == short)
        .map(|p| p.id.as_str().to_owned())
        .expect("in the register");
    client.close().await;
    id
}

/// `GET …/restricted/mine` as `token`.
async fn as_observer_mine(server: &TestServer, meeting: &str, token: &str) -> serde_json::Value {
    Client::new(server.addr(), Some(token.to_owned()))
        .get(&format!("/api/meetings/{meeting}/restricted/mine"))
        .await
        .json()
}

#[tokio::test]
async fn an_observer_receives_no_byte_of_part_ii() {
    let mut server = TestServer::start().await;
    // Imported exempt items go straight into Part II.
    let meeting = import(&server, EXEMPT_MINUTES).await;
    let observer = server
        .member(&meeting, "Olly Observer", None, Role::Observer)
        .await;
    let taker = server
        .member(&meeting, "Sam Scribe", None, Role::MinuteTaker)
        .await;

    let mut watch = observer_on_minutes(&server, &meeting, &observer).await;
    let first = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(
        holds(&first, "The chair welcomed everyone."),
        "the minutes sync"
    );
    assert!(
        holds(&first, "Contract award"),
        "the public title is public"
    );
    assert!(!holds(&first, "SECRET"), "the minutes hold no Part II text");

    // Part II's WebSocket is refused without restricted access (before upgrading).
    assert!(
        RawClient::try_connect_as(
            &part2_url(&server, &meeting),
            Some(SUBPROTOCOL),
            Some(&observer)
        )
        .await
        .is_err(),
        "an observer cannot open Part II"
    );

    // A minute-taker syncs both documents and types more in Part II.
    let main =
        SyncClient::connect(ClientOptions::new(server.ws_url(&meeting)).with_bearer(taker.clone()));
    let part2 = SyncClient::connect(
        ClientOptions::new(part2_url(&server, &meeting)).with_bearer(taker.clone()),
    );
    main.wait_synced(PATIENCE).await.expect("minutes synced");
    part2.wait_synced(PATIENCE).await.expect("Part II synced");
    let (minutes, restricted) = (
        Meeting::new(main.doc().clone()),
        Meeting::new(part2.doc().clone()),
    );
    let full = minutes.full_view(
        &minutes.doc().transact(),
        &restricted,
        &restricted.doc().transact(),
    );
    let item = full
        .items
        .iter()
        .find(|i| i.title.contains("SECRET-TENDER"))
        .expect("the minute-taker sees the exempt item's title");
    assert_eq!(item.number, "2");
    assert!(full.items.iter().any(|i| i.title == "SECRET-NEGOTIATION"));
    let item: ItemId = item.id.clone();
    restricted
        .insert_block(
            &mut restricted.doc().transact_mut(),
            &item,
            0,
            BlockKind::Decision,
            "SECRET-DECISION to award",
        )
        .expect("a block in Part II");
    part2.wait_saved(PATIENCE).await.expect("Part II saved");

    // Awareness in Part II stays in Part II.
    let mut aware = RawClient::connect_as(
        &part2_url(&server, &meeting),
        Some(SUBPROTOCOL),
        Some(&taker),
    )
    .await;
    aware
        .send(&minutebook_tests::raw::awareness(
            4242,
            1,
            r#"{"user":{"name":"x"},"cursor":"SECRET-CARET"}"#,
        ))
        .await;

    let later = frames_within(&mut watch, Duration::from_millis(800)).await;
    assert!(
        !holds(&later, "SECRET"),
        "nothing of Part II reached the observer"
    );

    // Exports: the observer's is the public version; the minute-taker's is whole.
    let as_observer = Client::new(server.addr(), Some(observer.clone()));
    let as_taker = Client::new(server.addr(), Some(taker.clone()));
    let md = as_observer
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        !md.contains("SECRET") && md.contains("Contract award"),
        "{md}"
    );
    let md = as_taker
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        md.contains("SECRET-DECISION") && md.contains("SECRET-PRICE"),
        "{md}"
    );
    main.close().await;
    part2.close().await;

    // Durable: a restart keeps Part II.
    server.restart().await;
    let md = Client::new(server.addr(), Some(taker.clone()))
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(md.contains("SECRET-DECISION to award"), "{md}");

    // An attendee attributed in Part II sees and confirms their own statement there, and
    // nothing else of it; the ledger others without restricted access read leaves it out.
    let director = full_people_id(&server, &meeting, &taker, "DD").await;
    let attendee = server
        .member(&meeting, "Dana Director", Some(&director), Role::Attendee)
        .await;
    let as_attendee = Client::new(server.addr(), Some(attendee.clone()));
    let mine = as_attendee
        .get(&format!("/api/meetings/{meeting}/restricted/mine"))
        .await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    let mine = mine.json();
    let mine = mine.as_array().expect("a list");
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["text"], "The SECRET-PRICE bid was the lowest.");
    assert_eq!(
        mine[0]["heading"],
        "Exempt item — Schedule 12A paragraph 3 — Contract award"
    );
    assert!(
        !mine[0].to_string().contains("SECRET-TENDER"),
        "not the restricted title"
    );
    let block = mine[0]["block"].as_str().expect("block").to_owned();
    let r = as_attendee
        .post_json(
            &format!("/api/meetings/{meeting}/statements/{block}/confirm"),
            &json!({ "sha256": mine[0]["sha256"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let own = as_attendee
        .get(&format!("/api/meetings/{meeting}/ledger"))
        .await
        .text();
    assert!(
        own.contains(&block),
        "the attendee's ledger holds their confirmation"
    );
    let theirs = Client::new(server.addr(), Some(observer.clone()))
        .get(&format!("/api/meetings/{meeting}/ledger"))
        .await
        .text();
    assert!(!theirs.contains(&block), "{theirs}");
    let nobody = as_observer_mine(&server, &meeting, &observer).await;
    assert_eq!(nobody, json!([]));

    // Sign-off merges both documents: the full version has Part II, the public not.
    let chair = server
        .member(&meeting, "Pat Chair", None, Role::Chair)
        .await;
    let chair = Client::new(server.addr(), Some(chair));
    let r = chair
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "agreed at the meeting" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let full = chair
        .get(&format!("/api/meetings/{meeting}/versions/1/export.md"))
        .await
        .text();
    assert!(full.contains("SECRET-DECISION to award"), "{full}");
    let public = chair
        .get(&format!("/api/meetings/{meeting}/versions/1/public.md"))
        .await
        .text();
    assert!(!public.contains("SECRET"), "{public}");
}

#[tokio::test]
async fn moving_an_item_into_part_ii_purges_it_from_the_minutes() {
    let server = TestServer::start().await;
    // The same minutes with nothing marked exempt: everything is in the minutes.
    let text = EXEMPT_MINUTES.replace(
        "*Exempt — Schedule 12A paragraph 3; public title: Contract award*\n\n",
        "",
    );
    let meeting = import(&server, &text).await;
    let observer = server
        .member(&meeting, "Olly Observer", None, Role::Observer)
        .await;
    let taker = server
        .member(&meeting, "Sam Scribe", None, Role::MinuteTaker)
        .await;
    let plain_taker = unrestricted_taker(&server, &meeting, "Una Unrestricted").await;

    // An old copy of the minutes, as a browser that synced before the move holds it.
    let old =
        SyncClient::connect(ClientOptions::new(server.ws_url(&meeting)).with_bearer(taker.clone()));
    old.wait_synced(PATIENCE).await.expect("synced");
    let old_state = old
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let view = Meeting::new(old.doc().clone()).view(&old.doc().transact());
    let item = view.items.iter().find(|i| i.number == "2").expect("item 2");
    let path = format!("/api/meetings/{meeting}/items/{}/exempt", item.id.as_str());
    let body = json!({"exemption": "12A:3", "public_title": "Contract award"});
    old.close().await;

    // Who may not: an observer, a minute-taker without restricted access.
    for token in [&observer, &plain_taker] {
        let r = Client::new(server.addr(), Some(token.clone()))
            .post_json(&path, &body)
            .await;
        assert_eq!(r.status, 403, "{}", r.text());
    }
    let taker_http = Client::new(server.addr(), Some(taker.clone()));
    for bad in [
        json!({"exemption": "12A:9"}),
        json!({"exemption": "12A:3", "public_title": "x".repeat(301)}),
        json!({"exemption": "confidential", "note": "n".repeat(501)}),
    ] {
        assert_eq!(taker_http.post_json(&path, &bad).await.status, 400, "{bad}");
    }
    let r = taker_http
        .post_json(&format!("/api/meetings/{meeting}/items/nope/exempt"), &body)
        .await;
    assert_eq!(r.status, 404, "{}", r.text());

    // A connection to the minutes is closed by the move (its copy is of the old document).
    let mut watching =
        RawClient::connect_as(&server.ws_url(&meeting), Some(SUBPROTOCOL), Some(&taker)).await;
    let r = taker_http.post_json(&path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"items": 2, "blocks": 2, "actions": 1}));
    let (close, reason) = watching.expect_close().await;
    assert_eq!(close, code::REBUILT, "{reason}");

    // An observer connecting now receives the rebuilt minutes: none of the moved text,
    // not even deleted or in history.
    let mut watch = observer_on_minutes(&server, &meeting, &observer).await;
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(holds(&frames, "The chair welcomed everyone."));
    assert!(holds(&frames, "Contract award"));
    assert!(
        !holds(&frames, "SECRET"),
        "the rebuilt minutes hold no moved text"
    );

    // The old copy is refused wherever it comes from: sync step 2 of a stale tab.
    let mut stale =
        RawClient::connect_as(&server.ws_url(&meeting), Some(SUBPROTOCOL), Some(&taker)).await;
    stale
        .send(&Message::Sync(SyncMessage::SyncStep2(old_state)))
        .await;
    let (close, _) = stale.expect_close().await;
    assert_eq!(close, code::REBUILT);
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(
        !holds(&frames, "SECRET"),
        "nothing of the old copy was relayed"
    );

    // The full view is what it was, now exempt; the move is audited without its text.
    let md = taker_http
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        md.contains("## 2 Award of the SECRET-TENDER contract\n\n*Exempt — Schedule 12A paragraph 3; public title: Contract award*"),
        "{md}"
    );
    assert!(md.contains("### 2.1 SECRET-NEGOTIATION") && md.contains("SECRET-BIDDER"));
    let audit = server
        .http()
        .get(&format!("/api/meetings/{meeting}/audit"))
        .await
        .text();
    assert!(
        audit.contains("item-exempt") && audit.contains("item 2 moved into Part II"),
        "{audit}"
    );
    assert!(!audit.contains("SECRET"), "{audit}");

    // Made public again (a deliberate act too): the content is back in the minutes.
    let r = Client::new(server.addr(), Some(observer.clone()))
        .delete(&path)
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = taker_http.delete(&path).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(
        holds(&frames, "SECRET-PRICE"),
        "the observer now receives it"
    );
    let md = Client::new(server.addr(), Some(observer.clone()))
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        md.contains("## 2 Award of the SECRET-TENDER contract\n\n**DD:**")
            && md.contains("### 2.1 SECRET-NEGOTIATION"),
        "{md}"
    );
    let r = taker_http.delete(&path).await;
    assert_eq!(r.status, 409, "no longer exempt: {}", r.text());
}

#[tokio::test]
async fn an_item_marked_exempt_by_a_field_write_moves_out_of_the_minutes_at_once() {
    let mut server = TestServer::start().await;
    let text = EXEMPT_MINUTES.replace(
        "*Exempt — Schedule 12A paragraph 3; public title: Contract award*\n\n",
        "",
    );
    let meeting = import(&server, &text).await;
    let observer = server
        .member(&meeting, "Olly Observer", None, Role::Observer)
        .await;
    let mut watching = observer_on_minutes(&server, &meeting, &observer).await;
    // A plain Yjs client (or a page from before Part II) marks item 2 exempt by writing
    // the field: its text is in the minutes until the server moves it.
    let client = server.client(&meeting);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let item = m
        .view(&m.doc().transact())
        .items
        .iter()
        .find(|i| i.number == "2")
        .map(|i| i.id.clone())
        .expect("item 2");
    let exemption =
        minutebook_shared::meeting::Exemption::parse_code("12A:3", "").expect("a paragraph");
    m.set_exemption(&mut m.doc().transact_mut(), &item, Some(&exemption))
        .expect("marked");
    // The move follows the update at once: the minutes are rebuilt.
    let (close, reason) = watching.expect_close().await;
    assert_eq!(close, code::REBUILT, "{reason}");
    client.close().await;
    let mut watch = observer_on_minutes(&server, &meeting, &observer).await;
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(holds(&frames, "The chair welcomed everyone."));
    assert!(!holds(&frames, "SECRET"), "moved out of the minutes");
    let audit = server
        .http()
        .get(&format!("/api/meetings/{meeting}/audit"))
        .await
        .text();
    assert!(audit.contains("item 2 moved into Part II"), "{audit}");

    // Durably: loaded again, the minutes still hold none of it.
    drop(watch);
    server.restart().await;
    let mut watch = observer_on_minutes(&server, &meeting, &observer).await;
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(holds(&frames, "The chair welcomed everyone."));
    assert!(!holds(&frames, "SECRET"), "still out of the minutes");
    let md = server
        .http()
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        md.contains("SECRET-PRICE") && md.contains("*Exempt — Schedule 12A paragraph 3"),
        "{md}"
    );
}

/// A hostile editor (a minute-taker without restricted access, with a modified client)
/// puts public content under an exempt item: it indents the public item 3 under exempt
/// item 2, then writes a paragraph straight into item 2's placeholder in the minutes. Each
/// time the server moves it into Part II at once (audited, the minutes rebuilt), and an
/// observer watching the wire never receives the words written into the exempt item —
/// not relayed before the rebuild, not after reconnecting.
#[tokio::test]
async fn public_content_put_under_an_exempt_item_moves_into_part_ii_at_once() {
    let server = TestServer::start().await;
    let meeting = import(&server, EXEMPT_MINUTES).await;
    let observer = server
        .member(&meeting, "Olly Observer", None, Role::Observer)
        .await;
    let taker = server
        .member(&meeting, "Sam Scribe", None, Role::MinuteTaker)
        .await;
    let hostile = unrestricted_taker(&server, &meeting, "Hal Hostile").await;
    let taker_http = Client::new(server.addr(), Some(taker.clone()));
    let numbers = |client: &SyncClient| {
        let m = Meeting::new(client.doc().clone());
        let view = m.view(&m.doc().transact());
        let id = |n: &str| {
            view.items
                .iter()
                .find(|i| i.number == n)
                .map(|i| i.id.clone())
                .expect("item")
        };
        (m.clone(), id("2"), id("3"))
    };

    // 1. Item 3 (public) indented under exempt item 2.
    let mut watching = observer_on_minutes(&server, &meeting, &observer).await;
    let first = frames_within(&mut watching, Duration::from_millis(300)).await;
    assert!(holds(&first, "There was none."), "item 3 is public so far");
    let client = SyncClient::connect(
        ClientOptions::new(server.ws_url(&meeting)).with_bearer(hostile.clone()),
    );
    client.wait_synced(PATIENCE).await.expect("synced");
    let (m, _two, three) = numbers(&client);
    let started = std::time::Instant::now();
    m.indent_item(&mut m.doc().transact_mut(), &three)
        .expect("indented");
    let (close, reason) = watching.expect_close().await;
    assert_eq!(close, code::REBUILT, "{reason}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "moved promptly: {took:?}");
    client.close().await;
    let mut watch = observer_on_minutes(&server, &meeting, &observer).await;
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(holds(&frames, "The chair welcomed everyone."));
    assert!(
        !holds(&frames, "There was none.") && !holds(&frames, "Any other business"),
        "item 3 left the minutes with the indent"
    );
    let md = taker_http
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        ["2.1", "2.2"]
            .iter()
            .any(|n| md.contains(&format!("### {n} Any other business\n\nThere was none."))),
        "Part II holds it as a sub-item of item 2: {md}"
    );
    let audit = taker_http
        .get(&format!("/api/meetings/{meeting}/audit"))
        .await
        .text();
    assert!(audit.contains("item 2 moved into Part II"), "{audit}");
    assert!(!audit.contains("There was none"), "{audit}");

    // 2. A paragraph written straight into item 2's placeholder in the minutes.
    let client = SyncClient::connect(
        ClientOptions::new(server.ws_url(&meeting)).with_bearer(hostile.clone()),
    );
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let two = m
        .view(&m.doc().transact())
        .items
        .iter()
        .find(|i| i.number == "2")
        .map(|i| i.id.clone())
        .expect("item 2");
    m.insert_block(
        &mut m.doc().transact_mut(),
        &two,
        0,
        BlockKind::Paragraph,
        "LEAKED-WORDS of the hostile client",
    )
    .expect("written");
    let before_close = frames_within(&mut watch, Duration::from_secs(3)).await;
    assert!(
        !holds(&before_close, "LEAKED"),
        "the observer never receives what was written into the exempt item"
    );
    client.close().await;
    let mut watch = observer_on_minutes(&server, &meeting, &observer).await;
    let frames = frames_within(&mut watch, Duration::from_millis(500)).await;
    assert!(holds(&frames, "The chair welcomed everyone."));
    assert!(!holds(&frames, "LEAKED"), "nor after reconnecting");
    let md = taker_http
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(md.contains("LEAKED-WORDS"), "Part II holds it: {md}");
    let md = Client::new(server.addr(), Some(observer.clone()))
        .get(&format!("/api/meetings/{meeting}/export.md"))
        .await
        .text();
    assert!(
        !md.contains("LEAKED") && !md.contains("There was none"),
        "{md}"
    );
}

/// A ledger stored before it said what each version withholds (`VersionInfo.withheld`
/// absent) is filled in from the stored version when the meeting loads, so the web client
/// offers members without restricted access the public downloads of older versions too.
#[tokio::test]
async fn what_an_older_version_withholds_is_filled_in_when_the_meeting_loads() {
    let mut server = TestServer::start().await;
    let meeting = import(&server, EXEMPT_MINUTES).await;
    let chair = server
        .member(&meeting, "Pat Chair", None, Role::Chair)
        .await;
    let observer = server
        .member(&meeting, "Olly Observer", None, Role::Observer)
        .await;
    let r = Client::new(server.addr(), Some(chair))
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "confirmed on paper" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let versions = format!("/api/meetings/{meeting}/versions");
    let seen = Client::new(server.addr(), Some(observer.clone()))
        .get(&versions)
        .await
        .json();
    assert_eq!(seen[0]["withheld"], json!(["2", "2.1"]), "{seen}");
    // Nor does the version's readiness list the exempt item's statement (by DD) to an
    // observer: who spoke in Part II is Part II's.
    assert_eq!(
        seen[0]["readiness"]["statements"],
        json!([]),
        "the observer's versions hold no Part II statement: {seen}"
    );

    // The ledger as stored before the field existed.
    server.stop().await;
    {
        let path = server.data_dir().join("minutebook.redb");
        let (store, writer) = Store::open(&path).expect("the store opens");
        let mut ledger = store.ledger(&meeting).expect("the ledger");
        ledger.versions[0].withheld = None;
        store
            .write(WriteOp::Ledger {
                doc: meeting.as_str().into(),
                seq: 0,
                ledger: Box::new(ledger),
                version: None,
                audit: Vec::new(),
                records: Vec::new(),
            })
            .await
            .expect("written");
        let stored = store.ledger(&meeting).expect("the ledger");
        assert_eq!(stored.versions[0].withheld, None);
        drop(store);
        writer.join();
    }
    server.restart().await;
    let seen = Client::new(server.addr(), Some(observer))
        .get(&versions)
        .await
        .json();
    assert_eq!(
        seen[0]["withheld"],
        json!(["2", "2.1"]),
        "filled in on load: {seen}"
    );
}
