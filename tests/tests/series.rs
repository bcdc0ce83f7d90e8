//! People belong to a series, through the real server: an invitation to a series opens
//! every meeting of it — the next one created "from the previous meeting" included —
//! without a new link, speaking for the same register person (the register keeps its ids
//! from meeting to meeting); a meeting of another series stays closed; an invitation to
//! one meeting overrides the series' role there; the series' invitations are listed and
//! managed from any of its meetings, and revoking one closes every meeting it opened.

use minutebook_shared::trust::{Role, SessionInfo};
use minutebook_tests::http::Client;
use minutebook_tests::{invite_token, seed_fixture, TestServer};
use serde_json::{json, Value};

/// Creates a meeting (`from` the previous one, if given); returns its name.
async fn create(server: &TestServer, title: &str, series: &str, from: Option<&str>) -> String {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": title, "series": series, "from": from }),
        )
        .await;
    assert_eq!(r.status, 201, "create {title}: {}", r.text());
    r.json()["name"].as_str().expect("name").to_owned()
}

/// Redeems `link`, presenting `current` (a session token) if any; the new token.
async fn redeem(server: &TestServer, link: &str, current: Option<&str>) -> String {
    let r = Client::new(server.addr(), current.map(str::to_owned))
        .post_json(
            "/api/session",
            &json!({ "invite": invite_token(link), "want_token": true }),
        )
        .await;
    assert_eq!(r.status, 200, "redeem: {}", r.text());
    r.json()["token"].as_str().expect("token").to_owned()
}

fn session(info: &Value) -> SessionInfo {
    serde_json::from_value(info.clone()).expect("session info")
}

/// The caller's role in `meeting`, as the server resolves it (`None`: no access).
async fn role_in(server: &TestServer, token: &str, meeting: &str) -> Option<Role> {
    let me = Client::new(server.addr(), Some(token.to_owned()));
    let ledger = me.get(&format!("/api/meetings/{meeting}/ledger")).await;
    let info = session(&me.get("/api/session").await.json());
    let role = info.grant(meeting).map(|g| g.role);
    assert_eq!(
        ledger.status == 200,
        role.is_some(),
        "the ledger ({}) and the session agree on access to {meeting}",
        ledger.status
    );
    role
}

#[tokio::test]
async fn a_series_invitation_opens_every_meeting_of_the_series() {
    let server = TestServer::start().await;
    // January: the published minutes, put in the series "Board".
    let january = create(&server, "Board January", "Board", None).await;
    let seeded = seed_fixture(&server, &january).await;
    let pcc = seeded.people[0].id.0.clone();
    let other = create(&server, "Audit January", "Audit", None).await;

    // Dana is invited to the series (speaking for the PCC) from January's page.
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{january}/invites"),
            &json!({ "name": "Dana", "person": pcc, "role": "attendee", "series": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let invitation = r.json();
    let id = invitation["id"].as_u64().expect("id");
    assert_eq!(invitation["series"], json!("Board"));
    let link = invitation["link"].as_str().expect("link").to_owned();
    let dana = redeem(&server, &link, None).await;
    assert_eq!(
        role_in(&server, &dana, &january).await,
        Some(Role::Attendee)
    );
    assert_eq!(
        role_in(&server, &dana, &other).await,
        None,
        "another series"
    );

    // February is started from January: Dana may open it with the link she already used,
    // and there she still speaks for the PCC, whose id the register kept.
    let february = create(&server, "Board February", "Board", Some(&january)).await;
    assert_eq!(
        role_in(&server, &dana, &february).await,
        Some(Role::Attendee)
    );
    let me = Client::new(server.addr(), Some(dana.clone()));
    let info = session(&me.get("/api/session").await.json());
    assert_eq!(
        info.grant(&february).and_then(|g| g.person.clone()),
        Some(pcc.clone())
    );
    let md = server
        .http()
        .get(&format!("/api/meetings/{february}/export.md"))
        .await;
    assert_eq!(md.status, 200);
    let pcc_name = &seeded.people[0].person.name;
    assert!(
        md.text().contains(pcc_name.as_str()),
        "the register came along"
    );
    let view_people = {
        let client = server.client_as(&february, &dana);
        client
            .wait_synced(minutebook_tests::PATIENCE)
            .await
            .expect("Dana syncs February over a WebSocket");
        let meeting = minutebook_shared::meeting::Meeting::new(client.doc().clone());
        let view = meeting.view(&yrs::Transact::transact(client.doc()));
        client.close().await;
        view.people
    };
    assert!(
        view_people.iter().any(|p| p.id.0 == pcc),
        "the PCC keeps their id in February"
    );

    // A minute-taker invitation to March overrides the series' role there only.
    let march = create(&server, "Board March", "Board", Some(&february)).await;
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{march}/invites"),
            &json!({ "name": "Dana", "role": "minute-taker" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let link = r.json()["link"].as_str().expect("link").to_owned();
    let dana = redeem(&server, &link, Some(&dana)).await;
    assert_eq!(
        role_in(&server, &dana, &march).await,
        Some(Role::MinuteTaker)
    );
    assert_eq!(
        role_in(&server, &dana, &february).await,
        Some(Role::Attendee)
    );

    // The series' invitation is listed on every meeting of the series, not elsewhere.
    for (meeting, listed) in [(&january, true), (&march, true), (&other, false)] {
        let list = server
            .http()
            .get(&format!("/api/meetings/{meeting}/invites"))
            .await
            .json();
        let found = list
            .as_array()
            .expect("a list")
            .iter()
            .any(|i| i["id"].as_u64() == Some(id));
        assert_eq!(found, listed, "{meeting}: {list}");
    }
    // It cannot be managed from a meeting of another series.
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{other}/invites/{id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());

    // Revoked from March's page: January and February close; March keeps its own grant.
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{march}/invites/{id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(role_in(&server, &dana, &january).await, None);
    assert_eq!(role_in(&server, &dana, &february).await, None);
    assert_eq!(
        role_in(&server, &dana, &march).await,
        Some(Role::MinuteTaker)
    );
}

#[tokio::test]
async fn a_meeting_without_a_series_cannot_invite_to_one() {
    let server = TestServer::start().await;
    let lone = create(&server, "Ad hoc", "", None).await;
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{lone}/invites"),
            &json!({ "name": "Eve", "role": "attendee", "series": true }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("no series"), "{}", r.text());
}

#[tokio::test]
async fn renaming_a_meetings_series_does_not_open_it_to_another_series() {
    let server = TestServer::start().await;
    let board = create(&server, "Board January", "Board", None).await;
    let audit = create(&server, "Audit January", "Audit", None).await;
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{board}/invites"),
            &json!({ "name": "Dana", "role": "attendee", "series": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let link = r.json()["link"].as_str().expect("link").to_owned();
    let dana = redeem(&server, &link, None).await;
    // A minute-taker of the Audit meeting writes "Board" into its header's series.
    let client = server.client(&audit);
    client
        .wait_synced(minutebook_tests::PATIENCE)
        .await
        .expect("synced");
    let meeting = minutebook_shared::meeting::Meeting::new(client.doc().clone());
    {
        let mut txn = yrs::Transact::transact_mut(client.doc());
        let mut header = meeting.view(&txn).header.fields;
        header.series = "Board".into();
        meeting.set_header(&mut txn, &header);
    }
    client
        .wait_saved(minutebook_tests::PATIENCE)
        .await
        .expect("saved");
    client.close().await;
    assert_eq!(role_in(&server, &dana, &board).await, Some(Role::Attendee));
    assert_eq!(role_in(&server, &dana, &audit).await, None);
}

#[tokio::test]
async fn a_meeting_made_before_series_were_indexed_joins_its_series_when_invited_to_it() {
    let server = TestServer::start().await;
    // Written straight through a Yjs client: catalogued, but in no series index.
    let old = "made-before-series";
    let seeded = seed_fixture(&server, old).await;
    let series = seeded.header.fields.series.clone();
    assert!(!series.is_empty(), "the fixture names a series");
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{old}/invites"),
            &json!({ "name": "Dana", "role": "attendee", "series": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["series"], json!(series));
    let link = r.json()["link"].as_str().expect("link").to_owned();
    let dana = redeem(&server, &link, None).await;
    assert_eq!(role_in(&server, &dana, old).await, Some(Role::Attendee));
}
