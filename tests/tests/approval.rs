//! Approval at the next meeting, through the real server: the next meeting of a series
//! starts with a "Minutes of the previous meeting" item; its chair — and only its chair —
//! records the resolution on the previous meeting's latest signed version, named by its
//! hash; the previous meeting becomes Approved (both ledgers, the list, after a restart),
//! and approved minutes are not reopened. "Subject to amendments" approves the version the
//! previous meeting's chair signs after reopening.

use minutebook_shared::trust::Role;
use minutebook_tests::http::{Client, Response};
use minutebook_tests::TestServer;
use serde_json::{json, Value};
use yrs::Transact;

async fn create(server: &TestServer, title: &str, from: Option<&str>) -> String {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": title, "series": "Board", "from": from }),
        )
        .await;
    assert_eq!(r.status, 201, "create {title}: {}", r.text());
    r.json()["name"].as_str().expect("name").to_owned()
}

fn as_(server: &TestServer, token: &str) -> Client {
    Client::new(server.addr(), Some(token.to_owned()))
}

async fn post(client: &Client, path: &str, body: Value) -> Response {
    client.post_json(path, &body).await
}

/// Signs `meeting` off as its chair `chair`; the new version's SHA-256.
async fn sign(server: &TestServer, chair: &str, meeting: &str) -> String {
    let r = post(
        &as_(server, chair),
        &format!("/api/meetings/{meeting}/sign-off"),
        json!({ "override_reason": "" }),
    )
    .await;
    assert_eq!(r.status, 200, "sign-off: {}", r.text());
    r.json()["sha256"].as_str().expect("sha256").to_owned()
}

/// The listed (status, lifecycle) of `meeting`.
async fn listed(server: &TestServer, meeting: &str) -> (String, String) {
    let list = server.http().get("/api/meetings").await.json();
    let entry = list
        .as_array()
        .and_then(|a| a.iter().find(|m| m["name"] == json!(meeting)))
        .cloned()
        .unwrap_or_default();
    (
        entry["status"].as_str().unwrap_or_default().to_owned(),
        entry["lifecycle"].as_str().unwrap_or_default().to_owned(),
    )
}

/// `minutebook verify ARGS… FILE` on `text`, with no store to fall back on; (exit code,
/// output).
async fn verify(args: &[&str], text: &str, extra: Option<(&str, &str)>) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("file");
    std::fs::write(&file, text).expect("write the file");
    let mut all: Vec<String> = vec!["verify".into()];
    if let Some((name, content)) = extra {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write the keys");
        all.extend(["--key".into(), path.display().to_string()]);
    }
    all.extend(args.iter().map(|a| a.to_string()));
    all.push(file.display().to_string());
    let args: Vec<&str> = all.iter().map(String::as_str).collect();
    let empty = dir.path().join("no-store").display().to_string();
    minutebook_tests::run_minutebook(
        &args,
        &[
            ("MINUTEBOOK_DATA_DIR", Some(&empty)),
            ("MINUTEBOOK_SERVER", None),
        ],
    )
    .await
}

/// `GET /api/meetings/{meeting}/{what}` as the administrator.
async fn read(server: &TestServer, meeting: &str, what: &str) -> Response {
    server
        .http()
        .get(&format!("/api/meetings/{meeting}/{what}"))
        .await
}

fn resolve(version: u32, sha: &str, resolution: &str, amendments: &str) -> Value {
    json!({ "version": version, "sha256": sha, "resolution": resolution, "amendments": amendments })
}

#[tokio::test]
async fn the_next_meeting_agrees_the_minutes_as_a_correct_record() {
    let mut server = TestServer::start().await;
    let jan = create(&server, "Board January", None).await;
    let jan_chair = server.member(&jan, "Jan Chair", None, Role::Chair).await;

    // A first meeting agrees nobody's minutes.
    let r = read(&server, &jan, "previous-minutes").await;
    assert_eq!(r.status, 404, "{}", r.text());

    let feb = create(&server, "Board February", Some(&jan)).await;
    let feb_chair = server.member(&feb, "Feb Chair", None, Role::Chair).await;
    let feb_taker = server
        .member(&feb, "Feb Taker", None, Role::MinuteTaker)
        .await;
    let feb_observer = server
        .member(&feb, "Feb Observer", None, Role::Observer)
        .await;
    let path = format!("/api/meetings/{feb}/previous-minutes");
    let md = read(&server, &feb, "export.md").await.text();
    assert!(
        md.contains("Minutes of the previous meeting"),
        "the next meeting has the item: {md}"
    );

    // Not signed yet: nothing to agree.
    let previous = server.http().get(&path).await.json();
    assert_eq!(previous["meeting"], json!(jan));
    assert_eq!(previous["latest"], Value::Null);
    let r = post(
        &as_(&server, &feb_chair),
        &path,
        resolve(1, &"0".repeat(64), "correct-record", ""),
    )
    .await;
    assert_eq!(r.status, 409, "unsigned minutes: {}", r.text());

    let sha = sign(&server, &jan_chair, &jan).await;
    assert_eq!(
        listed(&server, &jan).await,
        (
            "signed off v1 (unapproved)".to_owned(),
            "Signed (unapproved) — version 1".to_owned()
        )
    );
    let previous = server.http().get(&path).await.json();
    assert_eq!(previous["latest"]["version"], json!(1));
    assert_eq!(previous["latest"]["sha256"], json!(sha));
    let url = format!("http://{}", server.addr());
    let v1 = read(&server, &jan, "versions/1/export.md").await.text();
    let (code, out) = verify(&["--server", &url], &v1, None).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\nApproval: none recorded — unapproved minutes"),
        "{out}"
    );
    let r = read(&server, &jan, "versions/1/approval.txt").await;
    assert_eq!(r.status, 404, "not approved yet: {}", r.text());

    // Only the next meeting's chair resolves, and only on the latest version by its hash.
    for (who, token) in [
        ("minute-taker", &feb_taker),
        ("observer", &feb_observer),
        ("previous meeting's chair", &jan_chair),
    ] {
        let r = post(
            &as_(&server, token),
            &path,
            resolve(1, &sha, "correct-record", ""),
        )
        .await;
        assert_eq!(r.status, 403, "{who}: {}", r.text());
    }
    let chair = as_(&server, &feb_chair);
    // The same hash with its last digit changed.
    let wrong = format!(
        "{}{}",
        &sha[..63],
        if sha.ends_with('0') { '1' } else { '0' }
    );
    for (why, body, status) in [
        (
            "another hash",
            resolve(1, &wrong, "correct-record", ""),
            409,
        ),
        (
            "another version",
            resolve(2, &sha, "correct-record", ""),
            409,
        ),
        (
            "an unknown resolution",
            json!({ "version": 1, "sha256": sha, "resolution": "maybe" }),
            400,
        ),
        (
            "amendments not said",
            resolve(1, &sha, "subject-to-amendments", " "),
            400,
        ),
    ] {
        let r = post(&chair, &path, body).await;
        assert_eq!(r.status, status, "{why}: {}", r.text());
    }
    assert_eq!(listed(&server, &jan).await.0, "signed off v1 (unapproved)");

    let r = post(
        &chair,
        &path,
        resolve(1, &sha.to_uppercase(), "correct-record", ""),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let approval = r.json();
    assert_eq!(approval["meeting"], json!(jan));
    assert_eq!(approval["sha256"], json!(sha));
    assert_eq!(approval["at"]["meeting"], json!(feb));
    assert_eq!(approval["stamp"]["by"], json!("Feb Chair"));

    let (status, lifecycle) = listed(&server, &jan).await;
    assert_eq!(status, "signed off v1 (approved)");
    assert!(
        lifecycle.starts_with("Approved at Board February") && lifecycle.ends_with("version 1"),
        "{lifecycle}"
    );
    // Both ledgers hold it.
    let jan_ledger = read(&server, &jan, "ledger").await.json();
    assert_eq!(jan_ledger["approvals"][0]["sha256"], json!(sha));
    let feb_ledger = read(&server, &feb, "ledger").await.json();
    assert_eq!(feb_ledger["resolutions"][0]["meeting"], json!(jan));
    // The approving minutes say it, with the hash.
    let md = read(&server, &feb, "export.md").await.text();
    assert!(
        md.contains(&format!(
            "were agreed as a correct record (version 1, SHA-256 {sha})."
        )),
        "{md}"
    );

    // `verify` says so of the signed file; the approval is a signed file of its own that
    // checks offline with the published key, and fails when a word of it is changed.
    let (code, out) = verify(&["--server", &url], &v1, None).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\nApproval: Approved at Board February"),
        "{out}"
    );
    let keys = server.anonymous().get("/api/signing-keys").await.text();
    let record = read(&server, &jan, "versions/1/approval.txt").await;
    assert_eq!(record.status, 200, "{}", record.text());
    let record = record.text();
    assert!(record.contains(&format!("sha256: {sha}\n")), "{record}");
    let (code, out) = verify(&[], &record, Some(("keys.json", &keys))).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(&format!(
            "VERIFIED: the minutes of meeting `{jan}` version 1 (SHA-256 {sha}) were agreed \
             as a correct record at meeting `{feb}` (Board February"
        )),
        "{out}"
    );
    let forged = record.replace(
        "resolution: correct-record",
        "resolution: subject-to-amendments",
    );
    let (code, out) = verify(&[], &forged, Some(("keys.json", &keys))).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("DOES NOT MATCH"), "{out}");
    let r = server
        .anonymous()
        .get(&format!("/api/meetings/{jan}/versions/1/approval.txt"))
        .await;
    assert_eq!(r.status, 401, "not without a grant: {}", r.text());

    // Once is enough; and approved minutes are not reopened.
    let r = post(&chair, &path, resolve(1, &sha, "correct-record", "")).await;
    assert_eq!(r.status, 409, "{}", r.text());
    let r = post(
        &as_(&server, &jan_chair),
        &format!("/api/meetings/{jan}/reopen"),
        json!({ "reason": "one more change" }),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(
        r.text().contains("approved minutes are not reopened"),
        "{}",
        r.text()
    );

    // The audit log of the approving meeting records the decision.
    let audit = read(&server, &feb, "audit").await.text();
    assert!(audit.contains("minutes-approved"), "{audit}");

    // Durable: the same after a restart.
    server.restart().await;
    assert_eq!(listed(&server, &jan).await.0, "signed off v1 (approved)");
    let previous = server.http().get(&path).await.json();
    assert_eq!(previous["status"], json!("signed off v1 (approved)"));
    assert_eq!(previous["open"], json!(false));
}

#[tokio::test]
async fn amendments_agreed_approve_the_version_signed_after_them() {
    let server = TestServer::start().await;
    let jan = create(&server, "Board January", None).await;
    let jan_chair = server.member(&jan, "Jan Chair", None, Role::Chair).await;
    let feb = create(&server, "Board February", Some(&jan)).await;
    let feb_chair = server.member(&feb, "Feb Chair", None, Role::Chair).await;
    let path = format!("/api/meetings/{feb}/previous-minutes");
    let chair = as_(&server, &feb_chair);

    let v1 = sign(&server, &jan_chair, &jan).await;
    let amendments = "Item 2: the report was presented by the ACC, not the DCC.";
    let r = post(
        &chair,
        &path,
        resolve(1, &v1, "subject-to-amendments", amendments),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (status, lifecycle) = listed(&server, &jan).await;
    assert_eq!(status, "signed off v1 (unapproved)");
    assert!(
        lifecycle.contains("Amendments agreed at Board February"),
        "{lifecycle}"
    );
    // Nothing more to resolve until the amended version is signed.
    let r = post(&chair, &path, resolve(1, &v1, "correct-record", "")).await;
    assert_eq!(r.status, 409, "{}", r.text());

    // The previous meeting's chair reopens, applies them and signs version 2.
    let r = post(
        &as_(&server, &jan_chair),
        &format!("/api/meetings/{jan}/reopen"),
        json!({ "reason": "amendments agreed at the February meeting" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(listed(&server, &jan).await.0, "reopened");
    let v2 = sign(&server, &jan_chair, &jan).await;
    let (status, lifecycle) = listed(&server, &jan).await;
    assert_eq!(status, "signed off v2 (approved)");
    assert!(
        lifecycle.starts_with("Approved at Board February"),
        "{lifecycle}"
    );
    // Both ledgers say which version the resolution agreed.
    let jan_ledger = read(&server, &jan, "ledger").await.json();
    assert_eq!(jan_ledger["approvals"][0]["amended"]["sha256"], json!(v2));
    let feb_ledger = read(&server, &feb, "ledger").await.json();
    assert_eq!(feb_ledger["resolutions"][0]["amended"]["version"], json!(2));
    let md = read(&server, &feb, "export.md").await.text();
    assert!(md.contains(amendments), "{md}");
    // Approved now: not reopened again, and not resolved on again.
    let r = post(&chair, &path, resolve(2, &v2, "correct-record", "")).await;
    assert_eq!(r.status, 409, "{}", r.text());
}

/// The series that links a meeting to the minutes it agrees is the one the meeting was
/// created in, not its editable header: the chair of another series' meeting who retitles
/// its series learns nothing of the Board's minutes and cannot agree (and so lock) them.
#[tokio::test]
async fn a_retitled_series_does_not_reach_another_series_minutes() {
    let server = TestServer::start().await;
    let jan = create(&server, "Board January", None).await;
    let jan_chair = server.member(&jan, "Jan Chair", None, Role::Chair).await;
    let sha = sign(&server, &jan_chair, &jan).await;
    let parish = server
        .create_meeting("Parish Council March", "Parish Council")
        .await;
    let intruder = server
        .member(&parish, "Parish Chair", None, Role::Chair)
        .await;
    let path = format!("/api/meetings/{parish}/previous-minutes");
    assert_eq!(as_(&server, &intruder).get(&path).await.status, 404);

    // The intruder retitles the series of their own meeting as "Board".
    let client = server.client_as(&parish, &intruder);
    client
        .wait_synced(std::time::Duration::from_secs(10))
        .await
        .expect("synced");
    let m = minutebook_shared::meeting::Meeting::new(client.doc().clone());
    {
        let header = minutebook_shared::meeting::Header {
            title: "Parish Council March".into(),
            series: "Board".into(),
            ..Default::default()
        };
        m.set_header(&mut client.doc().transact_mut(), &header);
    }
    client
        .wait_saved(std::time::Duration::from_secs(10))
        .await
        .expect("the retitle is saved");
    drop(client);

    let r = as_(&server, &intruder).get(&path).await;
    assert_eq!(
        r.status,
        404,
        "nothing of the Board's minutes: {}",
        r.text()
    );
    let r = post(
        &as_(&server, &intruder),
        &path,
        resolve(1, &sha, "correct-record", ""),
    )
    .await;
    assert_eq!(
        r.status,
        404,
        "no resolution on another series: {}",
        r.text()
    );
    assert_eq!(
        listed(&server, &jan).await.1,
        "Signed (unapproved) — version 1",
        "January is not approved"
    );
    // The Board's own next meeting still agrees January's minutes.
    let feb = create(&server, "Board February", None).await;
    let previous = read(&server, &feb, "previous-minutes").await.json();
    assert_eq!(previous["meeting"], json!(jan));
}
