//! The signed record says what it is, through the real server and CLI: lifecycle
//! status comes from the ledger only (a minute-taker writing "signed off" into the header
//! changes nothing the list or the exports say); a signed version's Markdown and HTML say
//! "Signed off — version N — by … on …" and its canonical Markdown ends with the sign-off
//! facts its hash covers; the Export links give the signed version; `POST /api/verify`
//! reveals nothing to a non-matching file; `minutebook verify` says when a version was
//! superseded.

use minutebook_shared::meeting::{Meeting, MeetingStatus, MeetingView};
use minutebook_shared::signoff;
use minutebook_shared::trust::{self, Role, VersionInfo};
use minutebook_tests::http::Client;
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::Transact;

const FIXTURE: &str = include_str!("../../shared/fixtures/assurance-meeting-2022-01.txt");

struct Signed {
    server: TestServer,
    meeting: String,
    chair: String,
    taker: String,
}

impl Signed {
    /// The demo minutes, with a chair (speaking for the register's chair) and a
    /// minute-taker signed in. Nothing is confirmed yet.
    async fn new() -> Signed {
        let server = TestServer::start().await;
        let r = server
            .http()
            .post_text("/api/meetings/import?format=legacy", FIXTURE)
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let meeting = r.json()["name"].as_str().expect("name").to_string();
        let view = read_view(&server, &meeting).await;
        let chair_person = view.header.chair.as_ref().map(|p| p.0.clone());
        let chair = server
            .member(&meeting, "Chair", chair_person.as_deref(), Role::Chair)
            .await;
        let taker = server
            .member(&meeting, "Taker", None, Role::MinuteTaker)
            .await;
        Signed {
            server,
            meeting,
            chair,
            taker,
        }
    }

    fn as_(&self, token: &str) -> Client {
        Client::new(self.server.addr(), Some(token.to_string()))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .as_(&self.chair)
            .post_json(&format!("/api/meetings/{}/{path}", self.meeting), &body)
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    }

    async fn get(&self, path: &str) -> String {
        let r = self.as_(&self.taker).get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.text()
    }

    async fn listed_status(&self) -> String {
        let list = self.server.http().get("/api/meetings").await.json();
        list.as_array()
            .expect("list")
            .iter()
            .find(|m| m["name"] == json!(self.meeting))
            .and_then(|m| m["status"].as_str())
            .expect("listed")
            .to_string()
    }

    async fn export(&self, ext: &str) -> String {
        self.get(&format!("/api/meetings/{}/export.{ext}", self.meeting))
            .await
    }

    async fn version_export(&self, n: u32, ext: &str) -> String {
        self.get(&format!(
            "/api/meetings/{}/versions/{n}/export.{ext}",
            self.meeting
        ))
        .await
    }
}

async fn read_view(server: &TestServer, meeting: &str) -> MeetingView {
    let client = server.client(meeting);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let view = m.view(&m.doc().transact());
    view
}

/// The line of `text` starting with `- Status: `.
fn status_line(text: &str) -> &str {
    text.lines()
        .find(|l| l.starts_with("- Status: "))
        .unwrap_or_else(|| panic!("no Status line in {text}"))
}

#[tokio::test]
async fn a_minute_taker_writing_signed_off_into_the_header_changes_nothing() {
    let w = Signed::new().await;
    assert_eq!(w.listed_status().await, "draft");
    let before_md = w.export("md").await;
    assert_eq!(status_line(&before_md), "- Status: DRAFT — not signed off");
    // The minute-taker sets the header's status field to "signed off" (the old editable
    // field, written straight into the document).
    let client = w.server.client_as(&w.meeting, &w.taker);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    m.set_status(&mut m.doc().transact_mut(), MeetingStatus::SignedOff);
    client.wait_saved(PATIENCE).await.expect("saved");
    // Nothing the list, the API or the exports say changes.
    assert_eq!(w.listed_status().await, "draft");
    let md = w.export("md").await;
    assert_eq!(md, before_md);
    assert!(!md.to_lowercase().contains("signed off —"), "{md}");
    let html = w.export("html").await;
    assert!(html.contains("DRAFT — not signed off"), "{html}");
    assert!(
        !html.contains("Signed off —") && !html.contains("<dd>signed off</dd>"),
        "{html}"
    );
    let ledger = w.get(&format!("/api/meetings/{}/ledger", w.meeting)).await;
    let ledger: trust::Ledger = serde_json::from_str(&ledger).expect("ledger");
    assert!(!ledger.signed());
    // An imported file's Status line is ignored too: the import is a new draft.
    let forged = md.replace(
        "- Status: DRAFT — not signed off",
        "- Status: Signed off — version 9 — by Nobody on 2020-01-01 00:00:00.000 UTC",
    );
    let r = w
        .server
        .http()
        .post_text("/api/meetings/import?format=markdown", &forged)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let imported = r.json()["name"].as_str().expect("name").to_string();
    let list = w.server.http().get("/api/meetings").await.json();
    let entry = list
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["name"] == json!(imported))
        .cloned()
        .expect("listed");
    assert_eq!(entry["status"], json!("draft"), "{entry}");
}

#[tokio::test]
async fn a_signed_version_says_what_it_is_and_its_hash_covers_the_facts() {
    let w = Signed::new().await;
    let reason = "the others were absent";
    let signed: VersionInfo = serde_json::from_value(
        w.post("sign-off", json!({ "override_reason": reason }))
            .await,
    )
    .expect("version");
    let unconfirmed = signed.readiness.unconfirmed_statements();
    assert!(unconfirmed > 0, "signed with an override");

    // The list and the API show the signed state.
    assert_eq!(w.listed_status().await, "signed off v1 (unapproved)");

    // The version's Markdown: the Status line says signed, never draft; the canonical
    // Markdown ends with the sign-off facts (override and unconfirmed count included), and
    // its SHA-256 — the signed one — covers them.
    let md = w.version_export(1, "md").await;
    let status = status_line(&md);
    assert!(
        status.starts_with("- Status: Signed off — version 1 — by Chair on "),
        "{status}"
    );
    assert!(
        !md.contains("DRAFT") && !md.contains("Status: draft"),
        "{md}"
    );
    let (body, block) = signoff::parse(&md).expect("sign-off block");
    assert_eq!(trust::sha256_hex(body.as_bytes()), signed.sha256);
    assert_eq!(block.sha256, signed.sha256);
    let facts = &body[body.rfind("## Signed off").expect("facts section")..];
    assert!(facts.contains("- Version: 1"), "{facts}");
    assert!(facts.contains("- Signed off by: Chair"), "{facts}");
    assert!(facts.contains(reason), "{facts}");
    assert!(
        facts.contains(&format!("{unconfirmed} unconfirmed statement")),
        "{facts}"
    );
    // Changing the override reason (and re-hashing) breaks it against the store.
    let html = w.version_export(1, "html").await;
    assert!(
        html.contains("Signed off — version 1 — by Chair on"),
        "{html}"
    );
    assert!(!html.contains("DRAFT"), "{html}");

    // After sign-off the meeting's own export addresses give the signed version.
    assert_eq!(w.export("md").await, md);
    assert_eq!(w.export("html").await, html);

    // The signed export imports again (as a new draft).
    let r = w
        .server
        .http()
        .post_text("/api/meetings/import?format=markdown", &md)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());

    // Reopened: a draft again, and clearly marked so.
    w.post("reopen", json!({ "reason": "a typo" })).await;
    assert_eq!(w.listed_status().await, "reopened");
    let draft = w.export("md").await;
    assert_eq!(
        status_line(&draft),
        "- Status: DRAFT — not signed off (reopened after version 1)"
    );
    assert!(
        !draft.contains(signoff::MARKER),
        "a draft has no sign-off block"
    );
}

/// Runs `minutebook verify FILE --server URL`; (exit code, output).
async fn verify(server: &TestServer, text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("signed.md");
    std::fs::write(&file, text).expect("write export");
    let (file, url) = (file.display().to_string(), server.http_url());
    minutebook_tests::run_minutebook(&["verify", &file, "--server", &url], &[]).await
}

#[tokio::test]
async fn verify_says_superseded_and_tells_a_forger_nothing() {
    let w = Signed::new().await;
    w.post("sign-off", json!({ "override_reason": "first pass" }))
        .await;
    let v1 = w.version_export(1, "md").await;
    let (code, out) = verify(&w.server, &v1).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VERIFIED: version 1"), "{out}");

    w.post("reopen", json!({ "reason": "late correction" }))
        .await;
    let v2: VersionInfo = serde_json::from_value(
        w.post("sign-off", json!({ "override_reason": "second pass" }))
            .await,
    )
    .expect("version");
    let (code, out) = verify(&w.server, &v1).await;
    assert_eq!(code, 0, "{out}");
    let when = signoff::format_utc(v2.signed.at);
    assert!(
        out.starts_with(&format!(
            "VERIFIED — version 1, superseded by version 2 signed on {when} by Chair"
        )),
        "{out}"
    );
    let v2_md = w.version_export(2, "md").await;
    let (code, out) = verify(&w.server, &v2_md).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VERIFIED: version 2"), "{out}");

    // A forged file for the real meeting (self-consistent: another signer, re-hashed)
    // and one for a meeting that does not exist get the same answer: no match, no facts.
    let (body, mut block) = signoff::parse(&v1).expect("block");
    block.signer = "Mallory".into();
    let forged_body = body.replace("Chair", "Mallory");
    block.sha256 = trust::sha256_hex(forged_body.as_bytes());
    let forged = signoff::render_markdown(&forged_body, &block);
    let mut elsewhere = block.clone();
    elsewhere.meeting = "no-such-meeting".into();
    let nowhere = signoff::render_markdown(&forged_body, &elsewhere);
    let mut later = block.clone();
    later.version = 7;
    let unsigned_version = signoff::render_markdown(&forged_body, &later);
    let anonymous = w.server.anonymous();
    let mut answers = Vec::new();
    for file in [&forged, &nowhere, &unsigned_version] {
        let r = anonymous.post_text("/api/verify", file).await;
        assert_eq!(r.status, 200, "{}", r.text());
        answers.push(r.json());
    }
    let text = serde_json::to_string(&answers).expect("json");
    for answer in &mut answers {
        // The signature the file carries (none here) is checked with the published keys
        // alone, so what it says depends on the file only.
        let signature = answer.as_object_mut().and_then(|o| o.remove("signature"));
        assert_eq!(
            signature.as_ref().map(|s| &s["verified"]),
            Some(&json!(false)),
            "{answer}"
        );
        assert_eq!(
            answer,
            &json!({ "matches": false, "stored": null, "html_sha256": null }),
            "a non-matching file learns nothing"
        );
    }
    for secret in ["Chair", "first pass", "superseded", &v2.sha256] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let (code, out) = verify(&w.server, &forged).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("DOES NOT MATCH"), "{out}");
    // The matching file gets the facts.
    let r = anonymous.post_text("/api/verify", &v1).await;
    let answer = r.json();
    assert_eq!(answer["matches"], json!(true), "{answer}");
    assert_eq!(answer["stored"]["signer"], json!("Chair"), "{answer}");
    assert_eq!(answer["superseded_by"]["version"], json!(2), "{answer}");
}
