//! Identity cannot be borrowed, through the real server: invitation links sign in
//! once; redeeming always issues a fresh session (the presented one is revoked, its
//! WebSockets closed); the browser flow never sees a bearer token (HttpOnly cookie only);
//! administrators cannot take on a chair's or a register person's identity; open
//! WebSockets close on sign-out, expiry, revocation and re-issue; device links; and plain
//! Yjs clients never receive Minutebook's refusal messages.

use std::time::Duration;

use minutebook_shared::protocol::{self, Message, SUBPROTOCOL};
use minutebook_shared::trust::{AuditEntry, Role};
use minutebook_tests::http::{self, Client};
use minutebook_tests::raw::{RawClient, Received};
use minutebook_tests::{invite, invite_token, redeem, TestServer};
use serde_json::{json, Value};
use yrs::{Doc, ReadTxn, Text, Transact};

async fn server_with_meeting() -> TestServer {
    let server = TestServer::start().await;
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Board", "series": "Board", "from": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let name = r.json()["name"].as_str().expect("name").to_string();
    assert!(!name.is_empty());
    server
}

/// The first meeting the list shows.
async fn first_meeting(server: &TestServer) -> String {
    let list = server.http().get("/api/meetings").await.json();
    list[0]["name"].as_str().expect("a meeting").to_string()
}

/// `POST /api/session` with `body`, presenting `token` (if any) as a bearer token.
async fn sign_in(server: &TestServer, token: Option<&str>, body: Value) -> http::Response {
    Client::new(server.addr(), token.map(str::to_string))
        .post_json("/api/session", &body)
        .await
}

async fn audit(server: &TestServer, meeting: &str) -> Vec<AuditEntry> {
    let r = server
        .http()
        .get(&format!("/api/meetings/{meeting}/audit"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_str(&r.text()).expect("audit JSON")
}

async fn global_audit(client: &Client) -> Vec<AuditEntry> {
    let r = client.get("/api/audit").await;
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_str(&r.text()).expect("audit JSON")
}

fn link_of(invitation: &Value) -> String {
    invitation["link"].as_str().expect("link").to_string()
}

#[tokio::test]
async fn an_invitation_link_signs_in_once() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    let inv = invite(
        server.addr(),
        &server.admin,
        &m,
        "Pat",
        None,
        Role::Attendee,
    )
    .await;
    let link = link_of(&inv);
    let first = sign_in(
        &server,
        None,
        json!({ "invite": invite_token(&link), "want_token": true }),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text());

    // The forwarded link: refused with a clear 409, the first session unaffected.
    let second = sign_in(
        &server,
        None,
        json!({ "invite": invite_token(&link), "want_token": true }),
    )
    .await;
    assert_eq!(second.status, 409, "{}", second.text());
    assert!(second.text().contains("already used"), "{}", second.text());
    assert!(second.header("set-cookie").is_none());
    let pat = first.json()["token"].as_str().expect("token").to_string();
    let r = Client::new(server.addr(), Some(pat))
        .get("/api/session")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Audited in the meeting's log and the global one.
    let log = audit(&server, &m).await;
    assert!(
        log.iter()
            .any(|e| e.event == "rejected" && e.detail.contains("already used")),
        "{log:#?}"
    );
    assert!(global_audit(&server.http())
        .await
        .iter()
        .any(|e| e.event == "rejected" && e.detail.contains("already used")));
    // The administrator's list says the link was used.
    let list = server
        .http()
        .get(&format!("/api/meetings/{m}/invites"))
        .await
        .json();
    assert_eq!(list[0]["redeemed"], json!(true), "{list}");

    // A re-issued invitation has a new link, which again works once.
    let id = inv["id"].as_u64().expect("id");
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{m}/invites/{id}/reissue"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let fresh = link_of(&r.json());
    redeem(server.addr(), &fresh).await;
    let again = sign_in(&server, None, json!({ "invite": invite_token(&fresh) })).await;
    assert_eq!(again.status, 409, "{}", again.text());
}

#[tokio::test]
async fn redeeming_issues_a_fresh_session_and_revokes_the_presented_one() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    // The attacker signs in as an observer and plants that session in the victim's
    // browser; the victim then opens their chair link in it.
    let attacker_link = link_of(
        &invite(
            server.addr(),
            &server.admin,
            &m,
            "Mallory",
            None,
            Role::Observer,
        )
        .await,
    );
    let planted = redeem(server.addr(), &attacker_link).await;
    let mut open =
        RawClient::connect_as(&server.ws_url(&m), Some(SUBPROTOCOL), Some(&planted)).await;
    let chair_link = link_of(
        &invite(
            server.addr(),
            &server.admin,
            &m,
            "Victim",
            None,
            Role::Chair,
        )
        .await,
    );
    let r = sign_in(
        &server,
        Some(&planted),
        json!({ "invite": invite_token(&chair_link), "want_token": true }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let fresh = r.json()["token"].as_str().expect("token").to_string();
    assert_ne!(fresh, planted, "a fresh session token");
    // The planted token is revoked: the attacker holds nothing of the victim's.
    let r = Client::new(server.addr(), Some(planted.clone()))
        .get("/api/session")
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    let r = Client::new(server.addr(), Some(planted.clone()))
        .get(&format!("/api/meetings/{m}/ledger"))
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    // Its open WebSocket closes (the browser reconnects with the new cookie).
    let (code, reason) = open.expect_close().await;
    assert_eq!(code, 1012, "{reason}");
    assert!(reason.contains("renewed"), "{reason}");
    // The fresh session holds the invitation just opened (one grant per meeting).
    let info = Client::new(server.addr(), Some(fresh))
        .get("/api/session")
        .await
        .json();
    let grants = info["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), 1, "{info}");
    assert_eq!(grants[0]["role"], json!("chair"), "{info}");
}

#[tokio::test]
async fn grants_of_the_presented_session_move_to_the_fresh_one() {
    let server = TestServer::start().await;
    let mut meetings = Vec::new();
    for series in ["Board", "Audit"] {
        let r = server
            .http()
            .post_json(
                "/api/meetings",
                &json!({ "title": series, "series": series, "from": null }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        meetings.push(r.json()["name"].as_str().expect("name").to_string());
    }
    let first = link_of(
        &invite(
            server.addr(),
            &server.admin,
            &meetings[0],
            "Ann",
            None,
            Role::MinuteTaker,
        )
        .await,
    );
    let old = redeem(server.addr(), &first).await;
    let second = link_of(
        &invite(
            server.addr(),
            &server.admin,
            &meetings[1],
            "Ann",
            None,
            Role::Observer,
        )
        .await,
    );
    let r = sign_in(
        &server,
        Some(&old),
        json!({ "invite": invite_token(&second), "want_token": true }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let fresh = r.json()["token"].as_str().expect("token").to_string();
    let info = Client::new(server.addr(), Some(fresh.clone()))
        .get("/api/session")
        .await
        .json();
    let mut held: Vec<String> = info["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| g["meeting"].as_str().unwrap_or_default().to_string())
        .collect();
    held.sort();
    let mut expected = meetings.clone();
    expected.sort();
    assert_eq!(held, expected, "{info}");
    assert_eq!(
        Client::new(server.addr(), Some(old))
            .get("/api/session")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_browser_flow_gets_an_http_only_cookie_and_no_token() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    let link = link_of(
        &invite(
            server.addr(),
            &server.admin,
            &m,
            "Bea",
            None,
            Role::Attendee,
        )
        .await,
    );
    let r = sign_in(&server, None, json!({ "invite": invite_token(&link) })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert!(body.get("token").is_none(), "no bearer token in {body}");
    assert_eq!(body["meeting"], json!(m));
    // The cookie: HttpOnly (page scripts never read it), SameSite=Strict, Secure.
    let cookie = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for wanted in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(attributes.contains(&wanted), "{wanted} missing in {cookie}");
    }
    let (pair, _) = cookie.split_once(';').expect("attributes");
    let (name, value) = pair.split_once('=').expect("name=value");
    assert_eq!(name, "minutebook_session");
    assert!(value.len() >= 40, "{cookie}");
    // The cookie alone is the session.
    let r = http::request_with_headers(
        server.addr(),
        "GET",
        "/api/session",
        &[("Cookie", &format!("{name}={value}"))],
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["grants"][0]["meeting"], json!(m));

    // An API client asks for the token explicitly: `?token=1` …
    let link = link_of(&invite(server.addr(), &server.admin, &m, "Cy", None, Role::Observer).await);
    let r = sign_in_query(&server, &link).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_string();
    assert!(cookie_value(&r).is_some_and(|v| v == token));

    // … and setup answers the same way: no token unless asked.
    let setup = server_setup_without_token().await;
    assert!(setup.json().get("token").is_none(), "{}", setup.text());
    assert!(setup
        .header("set-cookie")
        .is_some_and(|c| c.contains("HttpOnly")
            && c.contains("SameSite=Strict")
            && c.contains("Secure")));
}

async fn sign_in_query(server: &TestServer, link: &str) -> http::Response {
    http::post_json(
        server.addr(),
        "/api/session?token=1",
        &json!({ "invite": invite_token(link) }),
    )
    .await
}

fn cookie_value(r: &http::Response) -> Option<String> {
    let cookie = r.header("set-cookie")?;
    let (pair, _) = cookie.split_once(';')?;
    Some(pair.split_once('=')?.1.to_string())
}

/// Uses a fresh server's setup link the way the web client does (no `want_token`).
async fn server_setup_without_token() -> http::Response {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = minutebook_server::ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        dir.path().to_path_buf(),
    );
    config.web_dir = minutebook_tests::web_dir();
    let server = minutebook_server::start(config).await.expect("starts");
    let link = server.setup_link().expect("a setup link").to_string();
    let token = link.split("setup=").nth(1).expect("token").to_string();
    let r = http::post_json(
        server.addr(),
        "/api/setup",
        &json!({ "token": token, "name": "Web Admin" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    server.shutdown().await.expect("stops");
    r
}

#[tokio::test]
async fn an_administrator_cannot_become_the_chair_or_a_register_person() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    let admin = server.admin.clone();
    let chair = link_of(&invite(server.addr(), &admin, &m, "Pippa Mills", None, Role::Chair).await);
    let r = sign_in(
        &server,
        Some(&admin),
        json!({ "invite": invite_token(&chair) }),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("administrator"), "{}", r.text());
    let person = link_of(
        &invite(
            server.addr(),
            &admin,
            &m,
            "Pippa Mills",
            Some("p1"),
            Role::Attendee,
        )
        .await,
    );
    let r = sign_in(
        &server,
        Some(&admin),
        json!({ "invite": invite_token(&person) }),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    // The refusal is audited at once; its repeat by the same caller (same meeting, same
    // reason) is counted into one entry when the refusal window ends, not written again.
    // The administrator session still works, unchanged.
    let log = audit(&server, &m).await;
    let refused = log
        .iter()
        .filter(|e| e.event == "rejected" && e.detail.contains("administrator rights"))
        .count();
    assert_eq!(refused, 1, "{log:#?}");
    let info = server.http().get("/api/session").await.json();
    assert_eq!(info["admin"], json!(true));
    assert_eq!(info["grants"], json!([]), "{info}");
    // The refused links were not used up: the chair opens hers in her own browser.
    let r = sign_in(&server, None, json!({ "invite": invite_token(&chair) })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // An observer invitation without a register person is fine: the administrator's
    // rights move to the fresh session with it.
    let observing = invite(
        server.addr(),
        &admin,
        &m,
        "Admin watching",
        None,
        Role::Observer,
    )
    .await;
    let observe = link_of(&observing);
    let r = sign_in(
        &server,
        Some(&admin),
        json!({ "invite": invite_token(&observe), "want_token": true }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["admin"], json!(true), "{}", r.text());
    // Making that invitation the chair's afterwards does not make the administrator's
    // session the chair: the rule holds when access is resolved, not only at sign-in.
    let session = r.json()["token"].as_str().expect("token").to_owned();
    let as_admin = Client::new(server.addr(), Some(session));
    let id = observing["id"].as_u64().expect("invitation id");
    let r = as_admin
        .post_json(
            &format!("/api/meetings/{m}/invites/{id}/role"),
            &json!({ "role": "chair" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let info = as_admin.get("/api/session").await.json();
    assert_eq!(info["admin"], json!(true), "{info}");
    assert_eq!(info["grants"], json!([]), "no chair grant: {info}");
    let r = as_admin
        .post_json(
            &format!("/api/meetings/{m}/sign-off"),
            &json!({ "override_reason": "signing alone" }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
}

#[tokio::test]
async fn websockets_close_on_sign_out_revocation_and_reissue() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    let url = server.ws_url(&m);

    // Sign-out closes every connection of that session (and only those).
    let a = server.member(&m, "Ann", None, Role::MinuteTaker).await;
    let b = server.member(&m, "Ben", None, Role::MinuteTaker).await;
    let mut ann = RawClient::connect_as(&url, Some(SUBPROTOCOL), Some(&a)).await;
    let mut ben = RawClient::connect_as(&url, Some(SUBPROTOCOL), Some(&b)).await;
    drain(&mut ann).await;
    drain(&mut ben).await;
    let r = Client::new(server.addr(), Some(a.clone()))
        .delete("/api/session")
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let (code, reason) = ann.expect_close().await;
    assert_eq!((code, reason.as_str()), (1008, "signed out"));
    while let Some(frame) = ben.recv_within(Duration::from_millis(300)).await {
        assert!(
            matches!(frame, Received::Message(_)),
            "another session's connection stays open: {frame:?}"
        );
    }
    assert!(RawClient::try_connect_as(&url, None, Some(&a))
        .await
        .is_err());

    // Re-issue closes the invitation's connections; so does revocation.
    for action in ["reissue", "revoke"] {
        let inv = invite(
            server.addr(),
            &server.admin,
            &m,
            "Cat",
            None,
            Role::Observer,
        )
        .await;
        let token = redeem(server.addr(), &link_of(&inv)).await;
        let mut open = RawClient::connect_as(&url, None, Some(&token)).await;
        drain(&mut open).await;
        let id = inv["id"].as_u64().expect("id");
        let r = server
            .http()
            .post_json(
                &format!("/api/meetings/{m}/invites/{id}/{action}"),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let (code, reason) = open.expect_close().await;
        assert_eq!(code, 1008, "{action}: {reason}");
        assert!(reason.contains("revoked"), "{action}: {reason}");
    }
}

#[tokio::test]
async fn websockets_close_when_the_session_expires() {
    let server = TestServer::start_with(|c| c.session_seconds = 4).await;
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Board", "series": "Board", "from": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let m = r.json()["name"].as_str().expect("name").to_string();
    let token = server.member(&m, "Eve", None, Role::Observer).await;
    let mut open = RawClient::connect_as(&server.ws_url(&m), None, Some(&token)).await;
    let started = std::time::Instant::now();
    let (code, reason) = open.expect_close().await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("expired"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        Client::new(server.addr(), Some(token))
            .get("/api/session")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_device_link_signs_in_another_device_once_with_the_same_grants() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    let phone = server.member(&m, "Dee", Some("p2"), Role::Attendee).await;
    let dee = Client::new(server.addr(), Some(phone.clone()));
    let r = dee.post_json("/api/session/device-link", &json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let link = r.json()["link"].as_str().expect("link").to_string();
    let expires = r.json()["expires_at"].as_u64().expect("expiry");
    let now = minutebook_shared::time::now_ms();
    assert!(
        expires > now && expires <= now + 15 * 60 * 1000,
        "short-lived"
    );
    let token = link
        .split("signin=")
        .nth(1)
        .expect("signin token")
        .to_string();
    let r = sign_in(
        &server,
        None,
        json!({ "device": token, "want_token": true }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let laptop = r.json()["token"].as_str().expect("token").to_string();
    assert_ne!(laptop, phone);
    let before = dee.get("/api/session").await.json();
    let after = Client::new(server.addr(), Some(laptop))
        .get("/api/session")
        .await
        .json();
    assert_eq!(before["grants"], after["grants"]);
    assert_eq!(after["admin"], json!(false));
    // Once only.
    let r = sign_in(&server, None, json!({ "device": token })).await;
    assert_eq!(r.status, 401, "{}", r.text());
    // Signed out, no link.
    let r = server
        .anonymous()
        .post_json("/api/session/device-link", &json!({}))
        .await;
    assert_eq!(r.status, 401);
    let log = audit(&server, &m).await;
    assert!(
        log.iter()
            .any(|e| e.event == "device-link" && e.actor == "Dee"),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|e| e.event == "sign-in" && e.detail.contains("device link")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn plain_yjs_clients_never_receive_refusal_messages() {
    let server = server_with_meeting().await;
    let m = first_meeting(&server).await;
    let observer = server.member(&m, "Obi", None, Role::Observer).await;
    let url = server.ws_url(&m);
    let write = {
        let doc = Doc::with_client_id(4242);
        let text = doc.get_or_insert_text("scratch");
        text.insert(&mut doc.transact_mut(), 0, "not allowed");
        let update = doc
            .transact()
            .encode_state_as_update_v1(&Default::default());
        update
    };
    let update = Message::Sync(protocol::SyncMessage::Update(write));
    // With minutebook.v1: the refusal arrives.
    let mut v1 = RawClient::connect_as(&url, Some(SUBPROTOCOL), Some(&observer)).await;
    drain(&mut v1).await;
    v1.send(&update).await;
    assert!(
        saw_refusal(&mut v1).await,
        "a minutebook.v1 client hears the refusal"
    );
    // A plain y-websocket connection: no tag 102, and it stays open.
    let mut plain = RawClient::connect_as(&url, None, Some(&observer)).await;
    drain(&mut plain).await;
    plain.send(&update).await;
    assert!(
        !saw_refusal(&mut plain).await,
        "a plain Yjs client got tag 102"
    );
}

/// Reads until quiet; whether a refusal (tag 102) came.
async fn saw_refusal(client: &mut RawClient) -> bool {
    let mut seen = false;
    while let Some(frame) = client.recv_within(Duration::from_millis(700)).await {
        match frame {
            Received::Message(Message::Custom(tag, _)) => seen |= tag == protocol::MSG_REJECTED,
            Received::Message(_) => {}
            Received::Closed(code, reason) => panic!("closed: {code} {reason}"),
            Received::Ended => panic!("the connection ended"),
        }
    }
    seen
}

/// Reads the opening messages until the connection is quiet.
async fn drain(client: &mut RawClient) {
    while let Some(frame) = client.recv_within(Duration::from_millis(300)).await {
        if let Received::Closed(code, reason) = frame {
            panic!("closed while opening: {code} {reason}");
        }
    }
}
