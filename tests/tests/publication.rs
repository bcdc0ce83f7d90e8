//! Publication, through the real server: the chair of a meeting, or an administrator,
//! publishes a signed version; anyone then reads it at `/public/{series}/{meeting}`,
//! listed in its series' index and Atom feed, and downloads it signed (the Markdown
//! passes `minutebook verify --key` offline). Nobody else may publish; publishing and
//! withdrawing are audited; and a crawler that follows every link from `/public` reaches
//! only published minutes — never a draft, a signed but unpublished meeting, or a
//! withdrawn one — while every link it finds answers.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

use minutebook_shared::trust::Role;
use minutebook_tests::http::{Client, Response};
use minutebook_tests::TestServer;
use serde_json::json;

async fn create(server: &TestServer, title: &str) -> String {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": title, "series": "Board of Trustees" }),
        )
        .await;
    assert_eq!(r.status, 201, "create {title}: {}", r.text());
    r.json()["name"].as_str().expect("name").to_owned()
}

async fn sign(server: &TestServer, chair: &str, meeting: &str) {
    let r = Client::new(server.addr(), Some(chair.to_owned()))
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "" }),
        )
        .await;
    assert_eq!(r.status, 200, "sign-off: {}", r.text());
}

async fn publish(client: &Client, meeting: &str, version: u32) -> Response {
    client
        .post_json(
            &format!("/api/meetings/{meeting}/publication"),
            &json!({ "version": version }),
        )
        .await
}

/// `minutebook verify --key KEYS FILE` on `text` saved as `name` in `dir`; (exit code,
/// output).
async fn verify_offline(keys: &Path, dir: &Path, name: &str, text: &str) -> (i32, String) {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("file");
    minutebook_tests::run_minutebook(
        &[
            "verify",
            "--key",
            &keys.display().to_string(),
            &file.display().to_string(),
        ],
        &[("MINUTEBOOK_SERVER", None)],
    )
    .await
}

/// The links (`href="…"`) of a page that stay on this server.
fn links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|l| l.replace("&amp;", "&"))
        .filter(|l| l.starts_with('/'))
        .collect()
}

#[tokio::test]
async fn only_published_minutes_are_public_and_every_public_link_answers() {
    let server = TestServer::start().await;
    let published = create(&server, "Trustees ALPHA-PUBLISHED").await;
    let signed_only = create(&server, "Trustees BRAVO-SIGNED-ONLY").await;
    let draft = create(&server, "Trustees CHARLIE-DRAFT").await;
    let withdrawn = create(&server, "Trustees DELTA-WITHDRAWN").await;
    let chair = server
        .member(&published, "Pat Chair", None, Role::Chair)
        .await;
    for m in [&published, &signed_only, &withdrawn] {
        let token = if *m == published {
            chair.clone()
        } else {
            server.member(m, "Chair", None, Role::Chair).await
        };
        sign(&server, &token, m).await;
    }
    let chair = Client::new(server.addr(), Some(chair));

    // Nobody but the chair and administrators publishes; strangers are not told more.
    for role in [Role::MinuteTaker, Role::Attendee, Role::Observer] {
        let token = server.member(&published, "Someone", None, role).await;
        let r = publish(&Client::new(server.addr(), Some(token)), &published, 1).await;
        assert_eq!(r.status, 403, "{role:?}: {}", r.text());
    }
    assert_eq!(
        publish(&server.anonymous(), &published, 1).await.status,
        401
    );
    // Without restricted access, minutes without exempt items export as they are,
    // carrying the version's signature.
    let observer = server
        .member(&published, "Olly", None, Role::Observer)
        .await;
    let export = Client::new(server.addr(), Some(observer))
        .get(&format!("/api/meetings/{published}/export.md"))
        .await
        .text();
    assert!(export.contains("Signature: `ed25519:"), "{export}");
    assert_eq!(
        publish(&chair, &signed_only, 1).await.status,
        403,
        "not their meeting"
    );
    assert_eq!(
        publish(&chair, &published, 2).await.status,
        404,
        "no such version"
    );
    assert_eq!(
        publish(&server.http(), &draft, 1).await.status,
        404,
        "a draft"
    );
    assert_eq!(
        server
            .http()
            .post_json(
                &format!("/api/meetings/{published}/publication"),
                &json!({ "version": "one" }),
            )
            .await
            .status,
        400
    );

    let r = publish(&chair, &published, 1).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = format!("/public/board-of-trustees/{published}");
    assert_eq!(r.json()["series"], json!("board-of-trustees"));
    assert_eq!(r.json()["published_by"], json!("Pat Chair"));
    assert_eq!(publish(&server.http(), &withdrawn, 1).await.status, 200);
    let r = server
        .http()
        .delete(&format!("/api/meetings/{withdrawn}/publication"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = server
        .http()
        .get(&format!("/api/meetings/{published}/publication"))
        .await;
    assert_eq!(r.json()["version"], json!(1));
    assert_eq!(
        server
            .http()
            .get(&format!("/api/meetings/{withdrawn}/publication"))
            .await
            .status,
        404
    );

    // Audited, with who did it.
    let audit = server.http().get("/api/audit").await.json();
    let events: Vec<(String, String, String)> = audit
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["meeting"].as_str().unwrap_or_default().to_owned(),
                e["event"].as_str().unwrap_or_default().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(events.contains(&(
        published.clone(),
        "minutes-published".into(),
        "Pat Chair".into()
    )));
    assert!(events.contains(&(
        withdrawn.clone(),
        "minutes-unpublished".into(),
        "Test Administrator".into()
    )));
    assert!(
        events
            .iter()
            .any(|(m, e, _)| *m == published && e == "rejected"),
        "refused attempts are audited: {events:?}"
    );

    // The crawler: everything reachable from /public, anonymously.
    let anonymous = server.anonymous();
    let mut queue = VecDeque::from([String::from("/public")]);
    let mut seen = BTreeSet::new();
    let mut everything = String::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 200 {
            continue;
        }
        let r = anonymous.get(&path).await;
        assert_eq!(r.status, 200, "{path} answers: {}", r.text());
        let body = r.text();
        everything.push_str(&body);
        if path.ends_with(".md") || path.ends_with(".txt") {
            continue;
        }
        queue.extend(links(&body).into_iter().filter(|l| !seen.contains(l)));
    }
    for must in [
        "/public",
        "/public/board-of-trustees",
        "/public/board-of-trustees/feed.atom",
        page.as_str(),
        &format!("{page}/minutes.md"),
        &format!("{page}/minutes.html"),
        "/api/signing-keys",
    ] {
        assert!(seen.contains(must), "the crawler reached {must}: {seen:?}");
    }
    assert!(everything.contains("ALPHA-PUBLISHED"));
    for never in ["BRAVO-SIGNED-ONLY", "CHARLIE-DRAFT", "DELTA-WITHDRAWN"] {
        assert!(!everything.contains(never), "{never} is not public");
    }
    for m in [&signed_only, &draft, &withdrawn] {
        for path in [
            format!("/public/board-of-trustees/{m}"),
            format!("/public/board-of-trustees/{m}/minutes.md"),
            format!("/public/board-of-trustees/{m}/minutes.html"),
        ] {
            assert_eq!(anonymous.get(&path).await.status, 404, "{path}");
        }
    }
    for path in [
        format!("/public/another-series/{published}"),
        format!("/public/board-of-trustees/{published}/minutes.exe"),
        format!("/public/board-of-trustees/{published}/approval.txt"),
        format!("/public/board-of-trustees/{published}/a/b"),
        "/public/no-such-series".to_owned(),
        "/public/Board%20of%20Trustees".to_owned(),
        format!("/public/board-of-trustees/{}", "x".repeat(5000)),
    ] {
        let r = anonymous.get(&path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("<script"), "not the web client: {path}");
    }

    // The page: no script, framable by any site, and shows how to verify.
    let r = anonymous.get(&page).await;
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors *"),
        "{csp}"
    );
    assert_eq!(r.header("x-frame-options"), None);
    let body = r.text();
    assert!(!body.contains("<script"));
    for needle in [
        "Unapproved minutes",
        "Verification",
        "SHA-256",
        "minutebook verify",
    ] {
        assert!(body.contains(needle), "{needle}");
    }
    let feed = anonymous.get("/public/board-of-trustees/feed.atom").await;
    assert!(feed
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/atom+xml"));
    assert!(feed
        .text()
        .contains(&format!("<id>http://{}{page}</id>", server.addr())));

    // The public Markdown verifies offline with the published keys.
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, anonymous.get("/api/signing-keys").await.text()).expect("keys");
    let minutes = anonymous.get(&format!("{page}/minutes.md")).await.text();
    let (code, out) = verify_offline(&keys, dir.path(), "minutes.md", &minutes).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ALPHA") || out.contains(&published), "{out}");

    // The next meeting agrees the minutes: the page, the index and the feed say so, and
    // the signed approval is downloadable and verifies offline.
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Trustees ECHO-NEXT", "series": "Board of Trustees", "from": published }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let next = r.json()["name"].as_str().expect("name").to_owned();
    let next_chair = server.member(&next, "Nia Next", None, Role::Chair).await;
    let sha = server
        .http()
        .get(&format!("/api/meetings/{published}/versions"))
        .await
        .json()[0]["sha256"]
        .as_str()
        .expect("sha")
        .to_owned();
    let r = Client::new(server.addr(), Some(next_chair))
        .post_json(
            &format!("/api/meetings/{next}/previous-minutes"),
            &json!({ "version": 1, "sha256": sha, "resolution": "correct-record", "amendments": "" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = anonymous.get(&page).await.text();
    assert!(
        body.contains("<strong>Approved minutes.</strong> Approved at Trustees ECHO-NEXT"),
        "{body}"
    );
    assert!(anonymous
        .get("/public/board-of-trustees")
        .await
        .text()
        .contains("Approved minutes (version 1)"));
    assert!(anonymous
        .get("/public/board-of-trustees/feed.atom")
        .await
        .text()
        .contains("(Approved minutes)"));
    let approval = anonymous.get(&format!("{page}/approval.txt")).await;
    assert_eq!(approval.status, 200);
    let (code, out) = verify_offline(&keys, dir.path(), "approval.txt", &approval.text()).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        anonymous
            .get(&format!("/public/board-of-trustees/{next}"))
            .await
            .status,
        404
    );

    // Withdrawn: gone at once, everywhere.
    let r = chair
        .delete(&format!("/api/meetings/{published}/publication"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(anonymous.get(&page).await.status, 404);
    assert_eq!(anonymous.get("/public/board-of-trustees").await.status, 404);
    assert!(!anonymous.get("/public").await.text().contains("ALPHA"));
}
