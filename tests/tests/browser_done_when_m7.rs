//! M7's "Done when" walk, as one continuous browser test through the real `minutebook`
//! binary (the renderer linked): the chair marks item 3 exempt (Schedule 12A paragraph
//! 3) from the item's control and types into it; a minute-taker and an observer watch
//! live — the minute-taker's page shows the typed words, the observer's page shows only
//! the placeholder and the observer's connection, watched on the wire, never carries
//! them → the chair signs off from the Versions tab → both the full and the public
//! version verify offline with the published key, the public one proving its redaction →
//! the next meeting's chair agrees the minutes as a correct record → the previous
//! meeting shows "Approved at …" → the chair publishes → an anonymous browser reads the
//! public page and downloads the PDF and the Word document, which `verify` accepts.

use std::time::Duration;

use anyhow::{ensure, Context};
use base64::Engine;
use fantoccini::key::Key;
use fantoccini::Locator;
use futures_util::StreamExt;
use minutebook_shared::meeting::Meeting;
use minutebook_shared::protocol::{self, Message, SyncMessage, SUBPROTOCOL};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish_process, require_built_client, Browser, Driver};
use minutebook_tests::http::Client;
use minutebook_tests::raw::RawClient;
use minutebook_tests::{member, FixtureMeeting, ServerProcess, PATIENCE};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::decoder::Decode;
use yrs::{StateVector, Transact};

/// What the chair types into exempt item 3.
const SECRET: &str = "The settlement with the contractor was 41,500 pounds";
const PLACEHOLDER: &str = "Exempt item — Schedule 12A paragraph 3";
const STATUS_JS: &str = "const s = document.querySelector('.meeting-status'); \
                         return s ? s.textContent.trim() : null;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exempt_sign_verify_approve_publish_and_read_anonymously() {
    require_built_client();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path()).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = walk(&server, &driver, &mut browsers).await;
    finish_process(browsers, driver, server, outcome).await;
}

/// Collects the binary frames a raw connection receives, in the background.
fn record(mut raw: RawClient) -> tokio::sync::watch::Receiver<Vec<Vec<u8>>> {
    let (tx, rx) = tokio::sync::watch::channel(Vec::new());
    tokio::spawn(async move {
        while let Some(Ok(msg)) = raw.ws.next().await {
            match msg {
                WsMessage::Binary(b) => tx.send_modify(|all| all.push(b.to_vec())),
                WsMessage::Close(_) => break,
                _ => {}
            }
        }
    });
    rx
}

async fn observer_wire(server: &ServerProcess, meeting: &str, token: &str) -> RawClient {
    let mut raw =
        RawClient::connect_as(&server.ws_url(meeting), Some(SUBPROTOCOL), Some(token)).await;
    raw.send(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )))
    .await;
    raw
}

async fn verify(args: &[&str]) -> anyhow::Result<String> {
    let (code, out) = minutebook_tests::run_minutebook(args, &[("MINUTEBOOK_SERVER", None)]).await;
    ensure!(code == 0, "minutebook {args:?}: {out}");
    Ok(out)
}

async fn walk(
    server: &ServerProcess,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let origin = format!("http://{}", server.addr);
    let FixtureMeeting {
        admin,
        meeting,
        chair,
    } = server.fixture_with_chair("Chloe Chair").await;
    let taker = member(
        server.addr,
        &admin,
        &meeting,
        "Mina Minutes",
        None,
        Role::MinuteTaker,
    )
    .await;
    let observer = member(
        server.addr,
        &admin,
        &meeting,
        "Otto Observer",
        None,
        Role::Observer,
    )
    .await;
    let chair_api = Client::new(server.addr, Some(chair.clone()));
    for _ in 0..3 {
        browsers.push(Browser::open(driver).await?);
    }
    for (b, token) in browsers.iter().zip([&chair, &taker, &observer]) {
        b.open_meeting(&origin, token, &meeting).await?;
    }
    let (chair_page, taker_page, observer_page) = (&browsers[0], &browsers[1], &browsers[2]);

    // 1. The chair marks item 3 exempt, paragraph 3, from its control.
    let item = "section.item[data-number='3']";
    let select = chair_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("{item} select.item-exempt")))
        .await?;
    chair_page
        .js("window.__beforeMove = true; return null;", vec![])
        .await?;
    select.select_by_value("12A:3").await?;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if chair_page.client.get_alert_text().await.is_ok() {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no confirmation dialog"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    chair_page.client.accept_alert().await?;
    chair_page
        .wait_until(
            "Chloe",
            "the reloaded page with item 3 exempt",
            "if (window.__beforeMove) return null; \
             const s = document.querySelector(arguments[0] + ' select.item-exempt'); \
             const b = document.querySelector(arguments[0] + ' button.add-block'); \
             return s && s.value === '12A:3' && b ? true : null;",
            vec![json!(item)],
            |v| v == &json!(true),
        )
        .await?;

    // 2. The observer's connection is watched on the wire from now on; the chair types.
    let wire = record(observer_wire(server, &meeting, &observer).await);
    chair_page
        .client
        .find(Locator::Css(&format!("{item} button.add-block")))
        .await?
        .click()
        .await?;
    let area = chair_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!(
            "{item} div.block:last-of-type textarea.block-text"
        )))
        .await?;
    area.send_keys(SECRET).await?;
    // The minute-taker sees it live; the observer sees the placeholder only.
    taker_page
        .wait_until(
            "Mina",
            "the chair's words in item 3, live",
            "const i = document.querySelector(\"section.item[data-number='3']\"); \
             return i ? [...i.querySelectorAll('textarea.block-text')] \
               .some(t => t.value.includes(arguments[0])) : false;",
            vec![json!(SECRET)],
            |v| v == &json!(true),
        )
        .await?;
    let seen = observer_page
        .wait_until(
            "Otto",
            "item 3 as its placeholder",
            "const t = document.body.textContent; return t.includes(arguments[0]) ? t : null;",
            vec![json!(PLACEHOLDER)],
            |v| v.is_string(),
        )
        .await?;
    ensure!(
        !seen.as_str().unwrap_or_default().contains(SECRET),
        "the observer's page never shows the words"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Everything the observer's connection carried, applied to a document of its own:
    // the words typed one by one could never be found as bytes, but would be there.
    let carried = wire.borrow().clone();
    let doc = yrs::Doc::new();
    let mut updates = 0;
    for frame in &carried {
        let update = match protocol::decode(frame) {
            Ok(Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u))) => u,
            _ => continue,
        };
        let update = yrs::Update::decode_v1(&update).context("a carried update")?;
        doc.transact_mut()
            .apply_update(update)
            .context("a carried update applies")?;
        updates += 1;
    }
    ensure!(updates > 0, "the observer's connection synced");
    let m = Meeting::new(doc.clone());
    let seen = format!("{:?}", m.view(&doc.transact()));
    ensure!(
        seen.contains("Exempt") || seen.contains("12A"),
        "the observer's copy has the placeholder"
    );
    ensure!(
        !seen.contains("settlement")
            && !carried.iter().any(|f| f.windows(6).any(|w| w == b"settle")),
        "the observer's connection never carries the words"
    );

    // 3. The chair signs off from the Versions tab (statements are unconfirmed: a reason).
    chair_page
        .wait_until(
            "Chloe",
            "everything saved",
            "const s = document.getElementById('status'); return s ? s.dataset.state : null;",
            vec![],
            |v| v == &json!("saved"),
        )
        .await?;
    chair_page
        .client
        .find(Locator::Css("#tab-versions"))
        .await?
        .click()
        .await?;
    chair_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#override-reason"))
        .await?
        .send_keys("Statements confirmed on paper")
        .await?;
    chair_page
        .client
        .find(Locator::Css("#sign-off"))
        .await?
        .click()
        .await?;
    chair_page
        .wait_until("Chloe", "signed status", STATUS_JS, vec![], |v| {
            v == &json!("Signed (unapproved) — version 1")
        })
        .await?;

    // 4. Both versions verify offline with the published key; the public one proves what
    // it withholds.
    let work = tempfile::tempdir()?;
    let keys = minutebook_tests::save_signing_keys(server.addr, work.path()).await;
    // (The page shows the signed status from the ledger as soon as the version is
    // durable; its signature is made before the sign-off request answers.)
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let full = loop {
        let full = chair_api
            .get(&format!("/api/meetings/{meeting}/versions/1/export.md"))
            .await;
        if full.status == 200 && full.text().contains("Signature: `ed25519:") {
            break full;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "the signed full version: {} {}",
            full.status,
            full.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(
        full.text().contains(SECRET),
        "the full version holds item 3"
    );
    let public = Client::new(server.addr, Some(observer.clone()))
        .get(&format!("/api/meetings/{meeting}/versions/1/public.md"))
        .await;
    ensure!(
        public.status == 200,
        "the public version: {}",
        public.status
    );
    ensure!(
        !public.text().contains(SECRET),
        "the public version withholds it"
    );
    let (full_file, public_file) = (work.path().join("full.md"), work.path().join("public.md"));
    std::fs::write(&full_file, full.text())?;
    std::fs::write(&public_file, public.text())?;
    let out = verify(&["verify", "--key", &keys, &full_file.display().to_string()]).await?;
    ensure!(out.contains("VERIFIED"), "{out}");
    let out = verify(&["verify", "--key", &keys, &public_file.display().to_string()]).await?;
    ensure!(
        out.contains("items withheld: 3 (Exempt item — Schedule 12A paragraph 3)"),
        "the public version proves its redaction: {out}"
    );

    // 5. The next meeting agrees the minutes as a correct record (its chair, in the
    // minute-taker's browser now).
    let list = Client::new(server.addr, Some(admin.clone()))
        .get("/api/meetings")
        .await
        .json();
    let series = list
        .as_array()
        .and_then(|l| l.iter().find(|m| m["name"] == json!(meeting)))
        .and_then(|m| m["series"].as_str())
        .context("the meeting's series")?
        .to_owned();
    let r = Client::new(server.addr, Some(admin.clone()))
        .post_json(
            "/api/meetings",
            &json!({ "title": "Assurance — February", "series": series, "from": meeting }),
        )
        .await;
    ensure!(r.status == 201, "the next meeting: {}", r.text());
    let next = r.json()["name"].as_str().context("name")?.to_owned();
    let next_chair = member(server.addr, &admin, &next, "Nina Next", None, Role::Chair).await;
    taker_page.sign_in(&origin, &next_chair).await?;
    taker_page
        .client
        .goto(&format!("{origin}/?meeting={next}"))
        .await?;
    taker_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#tab-versions"))
        .await?
        .click()
        .await?;
    taker_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#record-resolution"))
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    taker_page
        .wait_until(
            "Nina",
            "the recorded resolution",
            "const s = document.getElementById('resolution-status'); \
             return s ? s.textContent : null;",
            vec![],
            |v| {
                v.as_str()
                    .is_some_and(|s| s.contains("agreed as a correct record"))
            },
        )
        .await?;

    // 6. The previous meeting shows Approved, live.
    chair_page
        .wait_until("Chloe", "approved status", STATUS_JS, vec![], |v| {
            v.as_str()
                .is_some_and(|s| s.starts_with("Approved at Assurance — February"))
        })
        .await?;

    // 7. The chair publishes.
    let publish = chair_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#publish"))
        .await?;
    publish.send_keys(&Key::Enter.to_string()).await?;
    chair_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#publish-confirm"))
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    let href = chair_page
        .wait_until(
            "Chloe",
            "the public link",
            "const a = document.getElementById('public-link'); \
             return a ? a.getAttribute('href') : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    let address = href.as_str().unwrap_or_default().to_owned();

    // 8. An anonymous browser reads it and downloads the PDF and Word document, which
    // `verify` accepts with the published key.
    browsers.push(Browser::open(driver).await?);
    let reader = &browsers[3];
    reader.client.goto(&format!("{origin}{address}")).await?;
    let text = reader
        .wait_until(
            "the reader",
            "the public page",
            "const v = document.getElementById('verification'); \
             return v ? document.body.textContent : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    let text = text.as_str().unwrap_or_default();
    ensure!(text.contains(PLACEHOLDER), "the page shows the placeholder");
    ensure!(!text.contains(SECRET), "the page withholds the words");
    ensure!(
        text.contains("Approved"),
        "the page says the minutes are approved"
    );
    reader.client.goto(&format!("{origin}/healthz")).await?;
    for (file, label) in [("minutes.pdf", "PDF"), ("minutes.docx", "Word document")] {
        let link = format!("{address}/{file}");
        let fetched: Value = reader
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0], { credentials: 'omit' }).then(r => r.arrayBuffer()).then(b => {
                     let s = ''; const a = new Uint8Array(b);
                     for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
                     done(btoa(s));
                 }).catch(e => done('failed: ' + e));",
                vec![json!(link)],
            )
            .await?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(fetched.as_str().unwrap_or_default())
            .with_context(|| format!("downloading {link}: {fetched}"))?;
        let path = work.path().join(file);
        std::fs::write(&path, &bytes)?;
        let out = verify(&["verify", "--key", &keys, &path.display().to_string()]).await?;
        ensure!(
            out.contains("VERIFIED") && out.contains(label),
            "verify {file}: {out}"
        );
    }
    Ok(())
}
