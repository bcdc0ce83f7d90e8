//! The public version of signed minutes with an exempt (Part II) item, through the real
//! server: sign-off freezes it beside the full version; it withholds the exempt item and
//! its sub-item — text, statements and actions — with a placeholder naming the reason and
//! the public title; `minutebook verify --key` proves offline, with the published keys
//! alone, that it is the signed full version with exactly those items withheld (and
//! `--server` and `--data-dir` agree); any change to the text, to a withheld line or to a
//! reason fails; and once published, no public page or download carries the exempt text.

use std::path::Path;

use minutebook_shared::trust::Role;
use minutebook_tests::http::Client;
use minutebook_tests::TestServer;
use serde_json::json;

/// `minutebook verify ARGS… FILE` on `text`; (exit code, output).
async fn verify(args: &[&str], text: &str, dir: &Path, name: &str) -> (i32, String) {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write");
    let file = file.display().to_string();
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.push(&file);
    minutebook_tests::run_minutebook(&all, &[("MINUTEBOOK_SERVER", None)]).await
}

#[tokio::test]
async fn the_public_version_provably_withholds_exactly_the_exempt_items() {
    let mut server = TestServer::start().await;
    let r = server
        .http()
        .post_text(
            "/api/meetings/import?format=markdown",
            minutebook_tests::EXEMPT_MINUTES,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meeting = r.json()["name"].as_str().expect("name").to_owned();
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
    let sha = r.json()["sha256"].as_str().expect("sha").to_owned();

    // The full version keeps everything; the public version withholds item 2 and 2.1.
    let full = chair
        .get(&format!("/api/meetings/{meeting}/versions/1/export.md"))
        .await
        .text();
    assert!(full.contains("SECRET-PRICE") && full.contains("SECRET-TERMS"));
    let r = chair
        .get(&format!("/api/meetings/{meeting}/versions/1/public.md"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let public = r.text();
    assert!(!public.contains("SECRET"), "{public}");
    for needle in [
        "## 2 Contract award\n\n*Exempt item — Schedule 12A paragraph 3*\n",
        "## 1 Welcome\n\nThe chair welcomed everyone.\n",
        "## 3 Any other business",
        &format!("SHA-256: `{sha}`"),
        "Signature: `ed25519:",
        "<!-- minutebook:commitment -->",
    ] {
        assert!(public.contains(needle), "missing {needle:?} in\n{public}");
    }

    // Restricted access: the chair and minute-takers by default, or as the invitation
    // says. Without it, the full renderings of a version that withholds anything are
    // refused (and audited), and exports give the public version.
    let taker = server
        .member(&meeting, "Sam Scribe", None, Role::MinuteTaker)
        .await;
    let taker = Client::new(server.addr(), Some(taker));
    let full_paths = [
        format!("/api/meetings/{meeting}/versions/1/export.md"),
        format!("/api/meetings/{meeting}/versions/1/export.html"),
        format!("/api/meetings/{meeting}/versions/1/export.pdf"),
        format!("/api/meetings/{meeting}/versions/1/diff"),
    ];
    assert!(taker
        .get(&full_paths[0])
        .await
        .text()
        .contains("SECRET-PRICE"));
    assert!(taker
        .get(&format!("/api/meetings/{meeting}/series-actions"))
        .await
        .text()
        .contains("Tell SECRET-BIDDER"));
    for role in [Role::Observer, Role::Attendee] {
        let token = server.member(&meeting, "Olly", None, role).await;
        let member = Client::new(server.addr(), Some(token));
        for path in &full_paths {
            let r = member.get(path).await;
            assert_eq!(r.status, 403, "{role:?} {path}: {}", r.text());
            assert!(!r.text().contains("SECRET"));
        }
        let r = member
            .get(&format!("/api/meetings/{meeting}/versions/1/public.md"))
            .await;
        assert_eq!(r.status, 200);
        let log = member
            .get(&format!("/api/meetings/{meeting}/series-actions"))
            .await;
        assert_eq!(log.status, 200);
        assert!(
            !log.text().contains("SECRET"),
            "{role:?}: the series action log"
        );
        for format in ["md", "html"] {
            let r = member
                .get(&format!("/api/meetings/{meeting}/export.{format}"))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert!(!r.text().contains("SECRET"), "{role:?} export.{format}");
            assert!(r.text().contains("Contract award"));
        }
    }
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{meeting}/invites"),
            &json!({ "name": "Auditor", "role": "observer", "restricted": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["restricted"], json!(true));
    let link = r.json()["link"].as_str().expect("link").to_owned();
    let auditor = minutebook_tests::redeem(server.addr(), &link).await;
    let auditor = Client::new(server.addr(), Some(auditor));
    assert!(auditor
        .get(&full_paths[0])
        .await
        .text()
        .contains("SECRET-PRICE"));
    let audit = server.http().get("/api/audit").await.text();
    assert!(
        audit.contains("read a signed version in full without restricted access"),
        "refusals are audited"
    );

    // Offline, with the published keys alone.
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = minutebook_tests::save_signing_keys(server.addr(), dir.path()).await;
    let (code, out) = verify(&["--key", &keys], &public, dir.path(), "public.md").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("VERIFIED (signed by key")
            && out.contains(&format!(
                "the public version of version 1 of meeting `{meeting}`"
            ))
            && out.contains(&sha)
            && out.contains(
                "items withheld: 2 (Exempt item — Schedule 12A paragraph 3), 2.1 (with item 2)"
            ),
        "{out}"
    );
    // And against the server.
    let url = format!("http://{}", server.addr());
    let (code, out) = verify(&["--server", &url], &public, dir.path(), "public.md").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("VERIFIED:") && out.contains("items withheld: 2 (Exempt item"),
        "{out}"
    );
    // The full export still verifies as before.
    let (code, out) = verify(&["--key", &keys], &full, dir.path(), "full.md").await;
    assert_eq!(code, 0, "{out}");

    // Any change fails: the published text, a withheld item's reason, its hash, a
    // withheld item passed off as shown.
    let tampered = [
        public.replace("The chair welcomed everyone.", "The chair welcomed nobody."),
        public.replace(" 2 12A:3\n", " 2 12A:4\n"),
        public.replace("paragraph 3*", "paragraph 4*"),
        public.replacen("withheld ", "shown ", 1),
    ];
    for (i, t) in tampered.iter().enumerate() {
        assert_ne!(t, &public, "tampering {i} changed something");
        let (code, out) = verify(&["--key", &keys], t, dir.path(), "t.md").await;
        assert_eq!(code, 1, "tampering {i} is caught offline: {out}");
        let (code, out) = verify(&["--server", &url], t, dir.path(), "t.md").await;
        assert_eq!(code, 1, "tampering {i} is caught by the server: {out}");
    }
    // What the server says of the public file.
    let answer = server
        .anonymous()
        .post_text("/api/verify", &public)
        .await
        .json();
    assert_eq!(answer["matches"], json!(true), "{answer}");
    assert_eq!(answer["signature"]["verified"], json!(true), "{answer}");
    assert_eq!(
        answer["withheld"],
        json!([
            "2 (Exempt item — Schedule 12A paragraph 3)",
            "2.1 (with item 2)"
        ])
    );

    // Published: nothing public carries the exempt text; only the public Markdown of a
    // version that withholds something is offered (the other renderings are the full
    // version's).
    let r = chair
        .post_json(
            &format!("/api/meetings/{meeting}/publication"),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = format!("/public/board-of-trustees/{meeting}");
    let anonymous = server.anonymous();
    let body = anonymous.get(&page).await.text();
    assert!(!body.contains("SECRET"), "{body}");
    assert!(
        body.contains("Contract award") && body.contains("Exempt item — Schedule 12A paragraph 3")
    );
    assert!(
        body.contains("Withheld (exempt)</dt><dd>items 2, 2.1"),
        "{body}"
    );
    let md = anonymous.get(&format!("{page}/minutes.md")).await;
    assert_eq!(md.status, 200);
    assert_eq!(md.text(), public);
    for file in ["minutes.html", "minutes.pdf", "minutes.docx"] {
        assert_eq!(
            anonymous.get(&format!("{page}/{file}")).await.status,
            404,
            "{file} is the full version's"
        );
    }
    for path in [
        "/public".to_owned(),
        "/public/board-of-trustees".to_owned(),
        "/public/board-of-trustees/feed.atom".to_owned(),
    ] {
        assert!(
            !anonymous.get(&path).await.text().contains("SECRET"),
            "{path}"
        );
    }

    // The store agrees, offline from the server (stopped).
    server.stop().await;
    let data = server.data_dir().display().to_string();
    let (code, out) = verify(&["--data-dir", &data], &public, dir.path(), "public.md").await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = verify(&["--data-dir", &data], &tampered[0], dir.path(), "t.md").await;
    assert_eq!(code, 1, "{out}");
}

#[tokio::test]
async fn verify_reads_at_most_max_verify_bytes() {
    let server = TestServer::start_with(|c| c.max_verify_bytes = 4096).await;
    let r = server
        .anonymous()
        .post_bytes("/api/verify", &vec![b'x'; 4097])
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    let r = server
        .anonymous()
        .post_text("/api/verify", "# not a signed version\n")
        .await;
    assert_eq!(r.status, 422, "a small file is read: {}", r.text());
}
