//! Permission rules, each attacked through the real protocol on a real server and
//! redb: every attempt must be refused, leave the minutes and the ledger unchanged, and
//! be in the audit log. "Modified clients" are native sync clients that edit a document
//! the UI would show read-only, and raw HTTP calls the UI would never make.

use std::time::Duration;

use minutebook_shared::client::SyncClient;
use minutebook_shared::meeting::{Meeting, MeetingView};
use minutebook_shared::trust::{self, AuditEntry, Ledger, Role};
use minutebook_tests::http::Client;
use minutebook_tests::raw::RawClient;
use minutebook_tests::{invite, invite_token, redeem, TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::{Text, Transact};

const FIXTURE: &str = include_str!("../../shared/fixtures/assurance-meeting-2022-01.txt");

/// A meeting with a chair, two minute-takers' worth of editors, two attendees and an
/// observer, each signed in through their own invitation.
struct World {
    server: TestServer,
    meeting: String,
    chair: String,
    taker: String,
    /// Attendee A and the statement attributed to them.
    alice: String,
    alice_statement: String,
    /// Attendee B and the statement attributed to them.
    bob: String,
    bob_statement: String,
    observer: String,
}

impl World {
    async fn new() -> World {
        let server = TestServer::start().await;
        let r = server
            .http()
            .post_text("/api/meetings/import?format=legacy", FIXTURE)
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let meeting = r.json()["name"].as_str().expect("name").to_string();
        let view = read_view(&server, &meeting).await;
        let statements = trust::statements(&view);
        // Two different people, each with a statement of their own.
        let (_, first) = statements.first().expect("the fixture has statements");
        let a_person = first.speakers[0].0.clone();
        let (_, second) = statements
            .iter()
            .find(|(_, b)| !b.speakers.iter().any(|p| p.0 == a_person))
            .expect("a statement by someone else");
        let b_person = second.speakers[0].0.clone();
        let chair_person = view.header.chair.as_ref().map(|p| p.0.clone());
        let m = meeting.as_str();
        let chair = server
            .member(m, "Chair", chair_person.as_deref(), Role::Chair)
            .await;
        let taker = server.member(m, "Taker", None, Role::MinuteTaker).await;
        let alice = server
            .member(m, "Alice", Some(&a_person), Role::Attendee)
            .await;
        let bob = server
            .member(m, "Bob", Some(&b_person), Role::Attendee)
            .await;
        let observer = server.member(m, "Olive", None, Role::Observer).await;
        World {
            alice_statement: first.id.0.clone(),
            bob_statement: second.id.0.clone(),
            server,
            meeting,
            chair,
            taker,
            alice,
            bob,
            observer,
        }
    }

    fn as_(&self, token: &str) -> Client {
        Client::new(self.server.addr(), Some(token.to_string()))
    }

    /// The minutes as Markdown and the ledger: what must not change when a write is refused.
    async fn state(&self) -> (String, Ledger) {
        let md = self
            .server
            .http()
            .get(&format!("/api/meetings/{}/export.md", self.meeting))
            .await;
        assert_eq!(md.status, 200, "{}", md.text());
        (md.text(), self.ledger().await)
    }

    async fn ledger(&self) -> Ledger {
        let r = self
            .server
            .http()
            .get(&format!("/api/meetings/{}/ledger", self.meeting))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        serde_json::from_str(&r.text()).expect("ledger JSON")
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        let r = self
            .as_(&self.chair)
            .get(&format!("/api/meetings/{}/audit", self.meeting))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        serde_json::from_str(&r.text()).expect("audit JSON")
    }

    /// Asserts a refusal by `actor` mentioning `what` is in the audit log.
    async fn assert_audited(&self, actor: &str, what: &str) {
        let log = self.audit().await;
        assert!(
            log.iter()
                .any(|e| e.event == "rejected" && e.actor == actor && e.detail.contains(what)),
            "no audited refusal by {actor} about {what:?} in {log:#?}"
        );
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .as_(token)
            .post_json(&format!("/api/meetings/{}/{path}", self.meeting), &body)
            .await;
        let json = serde_json::from_str(&r.text()).unwrap_or(Value::Null);
        (r.status, json)
    }

    async fn statement_text(&self, block: &str) -> String {
        let view = read_view(&self.server, &self.meeting).await;
        trust::statements(&view)
            .iter()
            .find(|(_, b)| b.id.0 == block)
            .map(|(_, b)| b.text.clone())
            .expect("statement")
    }

    async fn confirm(&self, token: &str, block: &str) -> (u16, Value) {
        let sha = trust::statement_hash(&self.statement_text(block).await);
        self.post(
            token,
            &format!("statements/{block}/confirm"),
            json!({ "sha256": sha }),
        )
        .await
    }
}

async fn read_view(server: &TestServer, meeting: &str) -> MeetingView {
    let client = server.client(meeting);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let view = m.view(&m.doc().transact());
    client.close().await;
    view
}

/// A "modified client": syncs the minutes with `token` and appends to a statement.
async fn tamper(world: &World, token: &str, block: &str) -> SyncClient {
    let client = world.server.client_as(&world.meeting, token);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    {
        let mut txn = m.doc().transact_mut();
        let text = m
            .block_text(
                &txn,
                &minutebook_shared::meeting::model::BlockId(block.into()),
            )
            .expect("block text");
        let end = text.len(&txn);
        text.insert(&mut txn, end, " — NOT WHAT WAS SAID");
    }
    client
        .wait_for("refusal", PATIENCE, |s| s.rejected >= 1)
        .await
        .expect("the server refuses the write");
    client
}

#[tokio::test]
async fn attendee_and_observer_cannot_write_the_minutes() {
    let w = World::new().await;
    let before = w.state().await;
    for (token, who) in [(&w.alice, "Alice"), (&w.observer, "Olive")] {
        let client = tamper(&w, token, &w.alice_statement).await;
        let status = client.status();
        assert!(
            status
                .last_rejection
                .as_deref()
                .is_some_and(|r| r.contains("role")),
            "{status:?}"
        );
        client.close().await;
        w.assert_audited(who, "write to the minutes refused").await;
    }
    // A fresh editor sees nothing of it.
    assert_eq!(w.state().await, before);
    let text = w.statement_text(&w.alice_statement).await;
    assert!(!text.contains("NOT WHAT WAS SAID"));
}

#[tokio::test]
async fn observer_cannot_confirm_or_propose() {
    let w = World::new().await;
    let before = w.state().await;
    let (status, _) = w.confirm(&w.observer, &w.alice_statement).await;
    assert_eq!(status, 403);
    let (status, _) = w
        .post(
            &w.observer,
            &format!("statements/{}/corrections", w.alice_statement),
            json!({ "text": "x" }),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(w.state().await, before);
    w.assert_audited("Olive", "confirm refused").await;
    w.assert_audited("Olive", "correction-proposed refused")
        .await;
}

#[tokio::test]
async fn attendees_confirm_and_correct_only_their_own_statements() {
    let w = World::new().await;
    let before = w.state().await;
    // Alice tries Bob's statement: confirm, propose a correction.
    let (status, body) = w.confirm(&w.alice, &w.bob_statement).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = w
        .post(
            &w.alice,
            &format!("statements/{}/corrections", w.bob_statement),
            json!({ "text": "Bob agreed with everything." }),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(w.state().await, before);
    w.assert_audited(
        "Alice",
        "confirm refused: this statement is not attributed to you",
    )
    .await;
    w.assert_audited("Alice", "correction-proposed refused")
        .await;

    // Her own statement: allowed, recorded with who, when and the text's hash.
    let (status, body) = w.confirm(&w.alice, &w.alice_statement).await;
    assert_eq!(status, 200, "{body}");
    let ledger = w.ledger().await;
    // (Confirmations are per statement and speaker.)
    let c = ledger.confirmations[&w.alice_statement]
        .values()
        .find(|c| c.stamp.by == "Alice")
        .expect("Alice's confirmation");
    assert_eq!(
        c.sha256,
        trust::statement_hash(&w.statement_text(&w.alice_statement).await)
    );
}

#[tokio::test]
async fn attendee_cannot_decide_on_another_attendees_correction() {
    let w = World::new().await;
    let (status, body) = w
        .post(
            &w.bob,
            &format!("statements/{}/corrections", w.bob_statement),
            json!({ "text": "Bob said something else.", "note": "typo" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let before = w.state().await;
    let id = before.1.corrections[0].id;
    for path in [
        format!("corrections/{id}/accept"),
        format!("corrections/{id}/decline"),
    ] {
        let (status, _) = w.post(&w.alice, &path, json!({ "reason": "no" })).await;
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(w.state().await, before);
    w.assert_audited("Alice", "correction-accepted refused")
        .await;
    w.assert_audited("Alice", "correction-declined refused")
        .await;

    // A minute-taker accepts: the text is applied and stands confirmed by Bob.
    let (status, body) = w
        .post(&w.taker, &format!("corrections/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        w.statement_text(&w.bob_statement).await,
        "Bob said something else."
    );
    let ledger = w.ledger().await;
    // (Per statement and speaker: Bob's confirmation holds for the new text.)
    let bob = ledger.confirmations[&w.bob_statement]
        .values()
        .find(|c| c.stamp.by == "Bob")
        .expect("Bob's confirmation");
    let view = read_view(&w.server, &w.meeting).await;
    let statements = trust::statements(&view);
    let (_, block) = statements
        .iter()
        .find(|(_, b)| b.id.0 == w.bob_statement)
        .expect("Bob's statement");
    assert!(bob.holds("Bob said something else.", &trust::speaker_ids(block)));
}

#[tokio::test]
async fn replayed_confirmation_after_the_statement_changed_is_refused() {
    let w = World::new().await;
    let old_text = w.statement_text(&w.alice_statement).await;
    let old_hash = trust::statement_hash(&old_text);
    let (status, _) = w.confirm(&w.alice, &w.alice_statement).await;
    assert_eq!(status, 200);

    // A minute-taker edits the statement: the confirmation shows as changed.
    let editor = w.server.client_as(&w.meeting, &w.taker);
    editor.wait_synced(PATIENCE).await.expect("synced");
    {
        let m = Meeting::new(editor.doc().clone());
        let mut txn = m.doc().transact_mut();
        let id = minutebook_shared::meeting::model::BlockId(w.alice_statement.clone());
        let text = m.block_text(&txn, &id).expect("text");
        text.insert(&mut txn, 0, "Edited: ");
    }
    editor.wait_saved(PATIENCE).await.expect("saved");
    let before = w.state().await;
    let readiness: trust::Readiness = serde_json::from_str(
        &w.as_(&w.chair)
            .get(&format!("/api/meetings/{}/readiness", w.meeting))
            .await
            .text(),
    )
    .expect("readiness");
    assert_eq!(readiness.changed, 1);

    // Replaying the old confirmation (the old text's hash) is refused.
    let (status, body) = w
        .post(
            &w.alice,
            &format!("statements/{}/confirm", w.alice_statement),
            json!({ "sha256": old_hash }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(w.state().await, before);
    w.assert_audited("Alice", "changed since you read it").await;
    editor.close().await;
}

#[tokio::test]
async fn sign_off_and_reopen_are_for_the_chair_and_nobody_writes_after_sign_off() {
    let w = World::new().await;
    let before = w.state().await;
    for (token, who) in [
        (&w.taker, "Taker"),
        (&w.alice, "Alice"),
        (&w.observer, "Olive"),
    ] {
        let (status, _) = w
            .post(token, "sign-off", json!({ "override_reason": "because" }))
            .await;
        assert_eq!(status, 403, "{who}");
        w.assert_audited(who, "sign-off refused").await;
    }
    let admin = w.server.admin.clone();
    let (status, _) = w
        .post(&admin, "sign-off", json!({ "override_reason": "x" }))
        .await;
    assert_eq!(status, 403, "administrators are not the chair");
    assert_eq!(w.state().await, before);

    // Not everything is confirmed: the chair needs a reason.
    let (status, body) = w.post(&w.chair, "sign-off", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["readiness"]["pending"].as_u64().unwrap_or(0) > 0,
        "{body}"
    );

    // An editor is connected while the chair signs off.
    let editor = w.server.client_as(&w.meeting, &w.taker);
    editor.wait_synced(PATIENCE).await.expect("synced");
    let (status, body) = w
        .post(
            &w.chair,
            "sign-off",
            json!({ "override_reason": "agreed at the meeting" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 1);
    editor
        .wait_for("signed ledger", PATIENCE, |s| {
            s.ledger.as_ref().is_some_and(Ledger::signed)
        })
        .await
        .expect("the open editor is told at once");
    let signed = w.state().await;

    // Nobody writes after sign-off: the editor's update, a confirmation, a correction,
    // a decision, the administrator's edit.
    {
        let m = Meeting::new(editor.doc().clone());
        let mut txn = m.doc().transact_mut();
        let id = minutebook_shared::meeting::model::BlockId(w.alice_statement.clone());
        let text = m.block_text(&txn, &id).expect("text");
        text.insert(&mut txn, 0, "After sign-off: ");
    }
    let status = editor
        .wait_for("refusal", PATIENCE, |s| s.rejected >= 1)
        .await
        .expect("refused");
    assert!(status
        .last_rejection
        .unwrap_or_default()
        .contains("signed off"));
    let (status, _) = w.confirm(&w.alice, &w.alice_statement).await;
    assert_eq!(status, 423);
    let (status, _) = w
        .post(
            &w.bob,
            &format!("statements/{}/corrections", w.bob_statement),
            json!({ "text": "x" }),
        )
        .await;
    assert_eq!(status, 423);
    let admin_client = w.server.client(&w.meeting);
    admin_client.wait_synced(PATIENCE).await.expect("synced");
    {
        let text = admin_client.doc().get_or_insert_text("text");
        let mut txn = admin_client.doc().transact_mut();
        text.insert(&mut txn, 0, "x");
    }
    admin_client
        .wait_for("refusal", PATIENCE, |s| s.rejected >= 1)
        .await
        .expect("refused");
    assert_eq!(w.state().await, signed);
    w.assert_audited("Taker", "signed off and read-only").await;
    w.assert_audited("Alice", "confirm refused: the minutes are signed off")
        .await;

    // Reopen: chair only, with a reason; then the editor may write again.
    let (status, _) = w
        .post(&w.taker, "reopen", json!({ "reason": "typo" }))
        .await;
    assert_eq!(status, 403);
    w.assert_audited("Taker", "reopen refused").await;
    let (status, _) = w.post(&w.chair, "reopen", json!({})).await;
    assert_eq!(status, 400, "a reason is required");
    let (status, body) = w
        .post(&w.chair, "reopen", json!({ "reason": "typo in 2.1" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let ledger = w.ledger().await;
    assert!(!ledger.signed());
    assert_eq!(ledger.reopenings[0].reason, "typo in 2.1");
    // The version stays as signed.
    let v1 = w
        .as_(&w.alice)
        .get(&format!("/api/meetings/{}/versions/1/export.md", w.meeting))
        .await;
    assert_eq!(v1.status, 200);
    assert!(v1.text().starts_with(&signed.0));
    editor.close().await;
    admin_client.close().await;
}

#[tokio::test]
async fn websocket_upgrade_needs_valid_credentials_for_that_meeting() {
    let w = World::new().await;
    let url = w.server.ws_url(&w.meeting);
    let refused = |r: Result<RawClient, tokio_tungstenite::tungstenite::Error>| match r {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("the upgrade was accepted"),
    };
    // No credentials: 401 before the upgrade (not accept-then-close).
    assert_eq!(
        refused(RawClient::try_connect_as(&url, None, None).await),
        401
    );
    w.assert_audited("anonymous", "WebSocket upgrade without credentials")
        .await;
    // A forged session token.
    assert_eq!(
        refused(RawClient::try_connect_as(&url, None, Some("forged-token")).await),
        401
    );
    // A valid session for another meeting.
    let other = w
        .server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Another Board", "series": "" }),
        )
        .await;
    assert_eq!(other.status, 201);
    let other = other.json()["name"].as_str().expect("name").to_string();
    let outsider = w
        .server
        .member(&other, "Oscar", None, Role::MinuteTaker)
        .await;
    assert_eq!(
        refused(RawClient::try_connect_as(&url, None, Some(&outsider)).await),
        403
    );
    w.assert_audited("Oscar", "without access to the meeting")
        .await;
    let r = w
        .as_(&outsider)
        .get(&format!("/api/meetings/{}/export.md", w.meeting))
        .await;
    assert_eq!(r.status, 403);
    // The right session is accepted.
    RawClient::connect_as(&url, None, Some(&w.alice)).await;
}

#[tokio::test]
async fn requests_from_another_sites_pages_are_refused() {
    let w = World::new().await;
    let url = w.server.ws_url(&w.meeting);
    let own = format!("http://{}", w.server.addr());
    let evil = "https://evil.example";
    // A page on another site opens the meeting's WebSocket with Alice's credentials (as
    // a browser would send her cookie): refused before the upgrade, and audited.
    match RawClient::try_connect_from(&url, None, Some(&w.alice), Some(evil)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 403)
        }
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("a cross-site upgrade was accepted"),
    }
    w.assert_audited("Alice", "cross-site request from https://evil.example")
        .await;
    // The same for a confirmation posted from that page: refused, nothing recorded.
    let before = w.state().await;
    let block = w.alice_statement.clone();
    let sha = trust::statement_hash(&w.statement_text(&block).await);
    let body = serde_json::to_vec(&json!({ "sha256": sha })).expect("json");
    let path = format!("/api/meetings/{}/statements/{block}/confirm", w.meeting);
    let post = |origin: String| {
        let (addr, token, path, body) =
            (w.server.addr(), w.alice.clone(), path.clone(), body.clone());
        async move {
            let (token, ct) = (Some(token.as_str()), Some("application/json"));
            minutebook_tests::http::request_from(
                addr,
                token,
                Some(&origin),
                "POST",
                &path,
                ct,
                &body,
            )
            .await
        }
    };
    let r = post(evil.to_string()).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        w.state().await,
        before,
        "a cross-site request changed something"
    );
    // Reading is not a cross-site risk the server can see (the browser keeps the answer
    // from the other site's page); the server's own pages and non-browser clients pass.
    let r = post(own.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    RawClient::try_connect_from(&url, None, Some(&w.alice), Some(&own))
        .await
        .expect("the server's own page may connect");
}

#[tokio::test]
async fn forged_expired_and_revoked_invitation_links_are_refused() {
    let w = World::new().await;
    let server = &w.server;
    let m = w.meeting.as_str();
    let addr = server.addr();
    let redeem_status = |link: String| async move {
        let r = server
            .anonymous()
            .post_json("/api/session", &json!({ "invite": invite_token(&link) }))
            .await;
        (r.status, r.text())
    };

    // Forged: the payload changed (another meeting, another role), the signature kept.
    let real = invite(addr, &server.admin, m, "Fay", None, Role::Observer).await;
    let link = real["link"].as_str().expect("link").to_string();
    let token = invite_token(&link).to_string();
    let (payload, mac) = token.split_once('.').expect("signed token");
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value =
        serde_json::from_slice(&engine.decode(payload).expect("b64")).expect("json");
    claims["m"] = json!("another-meeting");
    let forged = format!(
        "{}.{mac}",
        engine.encode(serde_json::to_vec(&claims).expect("json"))
    );
    let (status, text) = redeem_status(forged).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("signature"), "{text}");
    let (status, _) = redeem_status("not-a-token".into()).await;
    assert_eq!(status, 401);

    // Expired.
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{m}/invites"),
            &json!({ "name": "Eve", "role": "attendee", "expires_in_seconds": 1 }),
        )
        .await;
    assert_eq!(r.status, 201);
    let expiring = r.json()["link"].as_str().expect("link").to_string();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, text) = redeem_status(expiring).await;
    assert_eq!(status, 401);
    assert!(text.contains("expired"), "{text}");

    // Revoked: the link stops working, and so do the session and its open connection.
    let carol = invite(addr, &server.admin, m, "Carol", None, Role::MinuteTaker).await;
    let carol_link = carol["link"].as_str().expect("link").to_string();
    let carol_token = redeem(addr, &carol_link).await;
    let mut open = RawClient::connect_as(&server.ws_url(m), None, Some(&carol_token)).await;
    let id = carol["id"].as_u64().expect("id");
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{m}/invites/{id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (code, reason) = open.expect_close().await;
    assert_eq!(code, 1008);
    assert!(reason.contains("revoked"), "{reason}");
    let (status, text) = redeem_status(carol_link).await;
    assert_eq!(status, 401);
    assert!(text.contains("revoked"), "{text}");
    let r = w
        .as_(&carol_token)
        .get(&format!("/api/meetings/{m}/ledger"))
        .await;
    assert_eq!(r.status, 403);

    // Re-issued: the old link and its sessions stop working, the new link works.
    let dan = invite(addr, &server.admin, m, "Dan", None, Role::Observer).await;
    let old_link = dan["link"].as_str().expect("link").to_string();
    let dan_token = redeem(addr, &old_link).await;
    let id = dan["id"].as_u64().expect("id");
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{m}/invites/{id}/reissue"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let new_link = r.json()["link"].as_str().expect("link").to_string();
    assert_eq!(redeem_status(old_link).await.0, 401);
    assert_eq!(
        w.as_(&dan_token)
            .get(&format!("/api/meetings/{m}/ledger"))
            .await
            .status,
        403
    );
    redeem(addr, &new_link).await;

    // Only administrators manage invitations.
    let r = w
        .as_(&w.chair)
        .post_json(
            &format!("/api/meetings/{m}/invites"),
            &json!({ "name": "X", "role": "chair" }),
        )
        .await;
    assert_eq!(r.status, 403);

    let log = w.audit().await;
    for event in ["invite", "revoke", "reissue", "sign-in", "join"] {
        assert!(
            log.iter().any(|e| e.event == event),
            "no {event} in {log:#?}"
        );
    }
    // Refused sign-ins (forged, expired, revoked, replaced links) are in the global log.
    let global: Vec<AuditEntry> =
        serde_json::from_str(&w.server.http().get("/api/audit").await.text()).expect("audit JSON");
    let refused: Vec<&str> = global
        .iter()
        .filter(|e| e.event == "rejected" && e.detail.starts_with("sign-in refused"))
        .map(|e| e.detail.as_str())
        .collect();
    for why in ["signature", "expired", "revoked", "replaced"] {
        assert!(
            refused.iter().any(|d| d.contains(why)),
            "no refused sign-in ({why}) in {refused:#?}"
        );
    }
    assert_eq!(w.as_(&w.chair).get("/api/audit").await.status, 403);
}

#[tokio::test]
async fn role_change_takes_effect_on_open_connections() {
    let w = World::new().await;
    let m = w.meeting.as_str();
    let addr = w.server.addr();
    let t = invite(addr, &w.server.admin, m, "Tim", None, Role::MinuteTaker).await;
    let token = redeem(addr, t["link"].as_str().expect("link")).await;
    let mut open = RawClient::connect_as(&w.server.ws_url(m), None, Some(&token)).await;
    let id = t["id"].as_u64().expect("id");
    let r = w
        .server
        .http()
        .post_json(
            &format!("/api/meetings/{m}/invites/{id}/role"),
            &json!({ "role": "observer" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (code, _) = open.expect_close().await;
    assert_eq!(code, 1012, "reconnect with the new role");
    // Reconnected, Tim is an observer now: his edit is refused.
    let client = tamper(&w, &token, &w.alice_statement).await;
    client.close().await;
    assert!(w.audit().await.iter().any(|e| e.event == "role-change"));
}

#[tokio::test]
async fn audit_log_is_for_chair_minute_takers_and_administrators() {
    let w = World::new().await;
    let path = format!("/api/meetings/{}/audit", w.meeting);
    for token in [&w.alice, &w.observer] {
        assert_eq!(w.as_(token).get(&path).await.status, 403);
    }
    for token in [&w.chair, &w.taker, &w.server.admin] {
        assert_eq!(w.as_(token).get(&path).await.status, 200);
    }
    let csv = w.as_(&w.taker).get(&format!("{path}?format=csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv
        .text()
        .starts_with("seq,time_ms,actor,role,meeting,event,detail"));
    assert!(csv.text().contains(",rejected,"), "{}", csv.text());
}

/// Runs `minutebook verify` on `text` against the running server; (exit code, output).
async fn verify(server: &TestServer, text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("signed.md");
    std::fs::write(&file, text).expect("write export");
    let (file, url) = (file.display().to_string(), server.http_url());
    minutebook_tests::run_minutebook(&["verify", &file, "--server", &url], &[]).await
}

#[tokio::test]
async fn signed_versions_export_with_their_hash_and_verify() {
    let w = World::new().await;
    for (token, block) in [(&w.alice, &w.alice_statement), (&w.bob, &w.bob_statement)] {
        let (status, body) = w.confirm(token, block).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = w
        .post(
            &w.chair,
            "sign-off",
            json!({ "override_reason": "the others were absent" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sha = body["sha256"].as_str().expect("sha256").to_string();
    let export = w
        .as_(&w.observer)
        .get(&format!("/api/meetings/{}/versions/1/export.md", w.meeting))
        .await;
    assert_eq!(export.status, 200);
    let text = export.text();
    assert!(text.contains(&sha), "the export carries its hash");
    assert!(text.contains("Signed off by Chair"), "{text}");
    // The hash covers exactly the canonical Markdown of the signed state (which ends
    // with the sign-off facts); while signed, the meeting's export is that version.
    let (canonical, _) = minutebook_shared::signoff::parse(&text).expect("sign-off block");
    assert_eq!(trust::sha256_hex(canonical.as_bytes()), sha);
    assert_eq!(w.state().await.0, text);

    let (code, out) = verify(&w.server, &text).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED"), "{out}");
    // One changed byte in the body.
    let at = text
        .bytes()
        .position(|b| b.is_ascii_lowercase())
        .expect("a letter in the export");
    let mut altered = text.clone().into_bytes();
    altered[at] = altered[at].to_ascii_uppercase();
    let (code, out) = verify(&w.server, &String::from_utf8(altered).expect("utf8")).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DOES NOT MATCH"), "{out}");
    // A consistent forgery (body and hash changed together) does not match the store.
    let (body, mut block) = minutebook_shared::signoff::parse(&text).expect("sign-off block");
    let forged_body = format!("{body}Extra line.\n");
    block.sha256 = trust::sha256_hex(forged_body.as_bytes());
    let forged = minutebook_shared::signoff::render_markdown(&forged_body, &block);
    let (code, out) = verify(&w.server, &forged).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DOES NOT MATCH"), "{out}");

    // The version records every statement's status and the override.
    let versions: Vec<trust::VersionInfo> = serde_json::from_str(
        &w.as_(&w.alice)
            .get(&format!("/api/meetings/{}/versions", w.meeting))
            .await
            .text(),
    )
    .expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].readiness.confirmed, 2);
    assert_eq!(versions[0].override_reason, "the others were absent");
    assert_eq!(versions[0].signed.by, "Chair");

    // HTML export of the version carries the sign-off too; the diff shows no change yet.
    let html = w
        .as_(&w.alice)
        .get(&format!(
            "/api/meetings/{}/versions/1/export.html",
            w.meeting
        ))
        .await;
    assert_eq!(html.status, 200);
    let html = html.text();
    assert!(html.contains(&sha));
    // It verifies against the stored version (it was frozen at sign-off); one changed
    // byte of the minutes, or a footer naming another signer, does not.
    let (code, out) = verify(&w.server, &html).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED: version 1"), "{out}");
    let altered = html.replacen("<h1>", "<h1>X", 1);
    assert_ne!(altered, html, "the HTML export has a heading");
    let (code, out) = verify(&w.server, &altered).await;
    // The server says only that it does not match (never what it stores).
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DOES NOT MATCH"), "{out}");
    let forged = html.replace(
        "Signed off by <strong>Chair<",
        "Signed off by <strong>Mallory<",
    );
    let (code, out) = verify(&w.server, &forged).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Mallory"), "{out}");
    let diff = w
        .as_(&w.alice)
        .get(&format!("/api/meetings/{}/versions/1/diff", w.meeting))
        .await
        .json();
    let lines = diff["lines"].as_array().expect("lines");
    assert!(lines.iter().all(|l| l["op"] == "equal"));
}

/// Confirming again, as the statement already stands confirmed, answers the ledger and
/// writes nothing: a loop of repeats cannot grow the ledger, the audit log or the store.
#[tokio::test]
async fn a_repeated_confirmation_is_not_written_again() {
    let w = World::new().await;
    let (status, body) = w.confirm(&w.alice, &w.alice_statement).await;
    assert_eq!(status, 200, "{body}");
    let ledger = w.ledger().await;
    let sha = trust::statement_hash(&w.statement_text(&w.alice_statement).await);
    let audited = w.audit().await.len();
    for _ in 0..50 {
        let (status, body) = w
            .post(
                &w.alice,
                &format!("statements/{}/confirm", w.alice_statement),
                json!({ "sha256": sha }),
            )
            .await;
        assert_eq!(status, 200, "a repeat is answered as a success: {body}");
        assert_eq!(body["revision"], json!(ledger.revision), "{body}");
    }
    assert_eq!(w.ledger().await, ledger, "the ledger did not change");
    assert_eq!(w.audit().await.len(), audited, "nothing more was audited");
}
