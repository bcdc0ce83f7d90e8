//! The audit log stays bounded and harmless whatever anonymous callers send: meeting
//! names in paths are checked at the router (400, nothing looked up or recorded),
//! repeated refusals of one caller become one entry with a count, the CSV export
//! neutralises cells a spreadsheet would run as formulas, and reading the log is paged.

use minutebook_server::DB_FILE;
use minutebook_shared::trust::{AuditEntry, Role};
use minutebook_tests::http::{self, Client};
use minutebook_tests::TestServer;

async fn new_meeting(server: &TestServer, title: &str) -> String {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": title, "series": title, "from": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["name"].as_str().expect("name").to_string()
}

async fn audit_log(server: &TestServer) -> Vec<AuditEntry> {
    let r = server.http().get("/api/audit").await;
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_str(&r.text()).expect("audit JSON")
}

fn store_bytes(server: &TestServer) -> u64 {
    std::fs::metadata(server.config.data_dir.join(DB_FILE))
        .expect("store file")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_meeting_names_are_refused_before_anything_is_looked_up_or_recorded() {
    let server = TestServer::start().await;
    let before_entries = audit_log(&server).await.len();
    let before_bytes = store_bytes(&server);

    // 60 KB names: too long, and one that starts like a spreadsheet formula (`=`, encoded).
    let long = "A".repeat(60_000);
    let formula = format!("%3DHYPERLINK(%22http:%2F%2Fx%22){}", "B".repeat(60_000));
    let routes: [(&str, String); 8] = [
        ("GET", "/api/meetings/{}/ledger".into()),
        ("GET", "/ws/{}".into()),
        ("POST", "/api/meetings/{}/sign-off".into()),
        ("GET", "/api/meetings/{}/export.md".into()),
        ("GET", "/api/meetings/{}/invites".into()),
        ("GET", "/api/meetings/{}/series-actions".into()),
        ("GET", "/api/meetings/{}/audit?format=csv".into()),
        ("POST", "/api/meetings/{}/statements/b1/confirm".into()),
    ];
    let addr = server.addr();
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let (long, formula, routes) = (long.clone(), formula.clone(), routes.clone());
        tasks.push(tokio::spawn(async move {
            for i in (worker..1500).step_by(4) {
                let name = if i % 2 == 0 { &long } else { &formula };
                let (method, path) = &routes[i % routes.len()];
                let path = path.replace("{}", name);
                let body: &[u8] = if *method == "POST" { b"{}" } else { b"" };
                let r = http::request_from(
                    addr,
                    None,
                    // Half of them also look cross-site (that refusal is audited too).
                    (i % 4 < 2).then_some("http://evil.example"),
                    method,
                    &path,
                    Some("application/json"),
                    body,
                )
                .await;
                assert_eq!(r.status, 400, "{method} {}…: {}", &path[..40], r.text());
            }
        }));
    }
    for t in tasks {
        t.await.expect("requests");
    }

    let log = audit_log(&server).await;
    assert_eq!(
        log.len(),
        before_entries,
        "refused names left audit entries"
    );
    for e in &log {
        let text = format!("{} {} {}", e.actor, e.meeting, e.detail);
        assert!(
            !text.contains("AAAAAAAAAA") && !text.contains("HYPERLINK"),
            "a hostile name reached the audit log: {e:?}"
        );
    }
    let grown = store_bytes(&server).saturating_sub(before_bytes);
    assert!(
        grown < 1 << 20,
        "the store grew by {grown} bytes for refused requests"
    );
}

#[tokio::test]
async fn repeated_refusals_of_one_caller_are_one_entry_with_a_count() {
    let mut server = TestServer::start().await;
    let meeting = new_meeting(&server, "Board").await;
    let other = new_meeting(&server, "Other").await;
    let oscar = server.member(&other, "Oscar", None, Role::Observer).await;
    let path = format!("/api/meetings/{meeting}/ledger");
    for _ in 0..200 {
        assert_eq!(server.anonymous().get(&path).await.status, 401);
    }
    let outsider = Client::new(server.addr(), Some(oscar));
    for _ in 0..50 {
        assert_eq!(outsider.get(&path).await.status, 403);
    }
    // The window ends (here: at shutdown, which writes the counts) ...
    server.restart().await;
    let log = audit_log(&server).await;
    let refusals = |actor: &str| -> Vec<AuditEntry> {
        log.iter()
            .filter(|e| e.event == "rejected" && e.meeting == meeting && e.actor == actor)
            .cloned()
            .collect()
    };
    // ... and each caller's refusals are two entries: the first, and the count of repeats.
    let anonymous = refusals("anonymous");
    assert_eq!(anonymous.len(), 2, "{anonymous:#?}");
    assert!(
        anonymous[1].detail.starts_with("repeated 199 more times"),
        "{anonymous:#?}"
    );
    let oscar = refusals("Oscar");
    assert_eq!(oscar.len(), 2, "{oscar:#?}");
    assert!(
        oscar[1].detail.starts_with("repeated 49 more times"),
        "{oscar:#?}"
    );
}

/// Reconnecting in a loop is audited like a repeated refusal: the first connection of a
/// caller in a window at once, the rest as one entry with the count.
#[tokio::test]
async fn reconnecting_in_a_loop_is_one_join_entry_with_a_count() {
    let mut server = TestServer::start().await;
    let meeting = new_meeting(&server, "Board").await;
    let olive = server.member(&meeting, "Olive", None, Role::Observer).await;
    let before = audit_log(&server).await.len();
    for _ in 0..40 {
        let mut raw = minutebook_tests::raw::RawClient::connect_as(
            &server.ws_url(&meeting),
            None,
            Some(&olive),
        )
        .await;
        // Joined: the server's first sync message arrived.
        raw.recv().await;
        drop(raw);
    }
    let joins = |log: &[AuditEntry]| -> Vec<AuditEntry> {
        log.iter()
            .filter(|e| e.event == "join" && e.meeting == meeting && e.actor == "Olive")
            .cloned()
            .collect()
    };
    let log = audit_log(&server).await;
    assert_eq!(joins(&log).len(), 1, "{:#?}", joins(&log));
    assert!(
        log.len() <= before + 1,
        "{} entries after {before}",
        log.len()
    );
    // The window ends (here: at shutdown, which writes the counts).
    server.restart().await;
    let joins = joins(&audit_log(&server).await);
    assert_eq!(joins.len(), 2, "{joins:#?}");
    assert!(
        joins[1].detail.starts_with("repeated 39 more times"),
        "{joins:#?}"
    );
}

/// Splits one CSV line (RFC 4180 quoting) into cells.
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[tokio::test]
async fn the_csv_export_neutralises_spreadsheet_formulas() {
    let server = TestServer::start().await;
    let meeting = new_meeting(&server, "Board").await;
    let names = [
        r#"=HYPERLINK("http://evil.example","click")"#,
        "+1+cmd",
        "-2+3",
        "@SUM(A1:A9)",
    ];
    for name in names {
        // Each sign-in is audited with the person's name as the actor.
        server.member(&meeting, name, None, Role::Observer).await;
    }
    for path in [
        format!("/api/meetings/{meeting}/audit?format=csv"),
        "/api/audit?format=csv".to_string(),
    ] {
        let r = server.http().get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let csv = r.text();
        let rows: Vec<Vec<String>> = csv
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(cells)
            .collect();
        for row in &rows {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "a formula cell in {path}: {cell:?}"
                );
            }
        }
        for name in names {
            let neutral = format!("'{name}");
            assert!(
                rows.iter().any(|row| row.get(2) == Some(&neutral)),
                "{name} is not in {path} as {neutral:?}:\n{csv}"
            );
        }
    }
}

/// The audit logs answer in pages (a long log is never one answer): the newest entries,
/// oldest first, with a `Link` to the older ones; following the links gives every entry
/// once, in order, the same as the CSV download holds; a bad `limit` is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_logs_answer_in_pages_linked_to_the_older_ones() {
    let server = TestServer::start().await;
    let meeting = new_meeting(&server, "Paged").await;
    for i in 0..23 {
        let r = server
            .http()
            .post_json(
                &format!("/api/meetings/{meeting}/invites"),
                &serde_json::json!({ "name": format!("Guest {i}"), "role": "observer" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    for path in [
        format!("/api/meetings/{meeting}/audit"),
        "/api/audit".into(),
    ] {
        // Every entry, by following the links from the newest page.
        let mut pages = Vec::new();
        let mut next = Some(format!("{path}?limit=10"));
        while let Some(url) = next.take() {
            let r = server.http().get(&url).await;
            assert_eq!(r.status, 200, "{url}: {}", r.text());
            let page: Vec<AuditEntry> = serde_json::from_str(&r.text()).expect("JSON");
            assert!(page.len() <= 10, "{url}: {} entries", page.len());
            assert!(
                page.windows(2).all(|w| w[0].seq < w[1].seq),
                "{url}: a page is oldest first"
            );
            next = r.header("link").map(|link| {
                assert!(link.ends_with("; rel=\"next\""), "{link}");
                let oldest = page.first().expect("a linked page has entries").seq;
                assert_eq!(
                    link,
                    format!("<{path}?before={oldest}&limit=10>; rel=\"next\""),
                    "the link names the page's oldest entry"
                );
                link.trim_start_matches('<')
                    .split('>')
                    .next()
                    .expect("<url>")
                    .to_owned()
            });
            pages.push(page);
        }
        assert!(
            pages.len() >= 3,
            "{path}: 23 invitations make 3 pages or more"
        );
        let followed: Vec<u64> = pages.iter().rev().flatten().map(|e| e.seq).collect();
        let whole: Vec<AuditEntry> = serde_json::from_str(
            &server
                .http()
                .get(&format!("{path}?limit=5000"))
                .await
                .text(),
        )
        .expect("JSON");
        let whole: Vec<u64> = whole.iter().map(|e| e.seq).collect();
        assert_eq!(
            followed, whole,
            "{path}: the pages hold every entry once, in order"
        );
        let csv = server
            .http()
            .get(&format!("{path}?format=csv"))
            .await
            .text();
        assert!(
            csv.lines().count() > whole.len(),
            "{path}: the download holds the whole log (and its header line)"
        );
        // The default page is the newest 500; a bad limit is refused.
        let r = server.http().get(&path).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("link"), None, "{path}: fewer than 500 entries");
        for bad in ["0", "5001", "many"] {
            let r = server.http().get(&format!("{path}?limit={bad}")).await;
            assert_eq!(r.status, 400, "{path}?limit={bad}: {}", r.text());
        }
    }
}
