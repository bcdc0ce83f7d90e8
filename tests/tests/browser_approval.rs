//! Approval at the next meeting in two headless Chromium sessions on a real server: the
//! January chair signs off; the February chair (each through their own invitation) opens
//! February's Versions tab, sees January's minutes with their version and hash "Signed
//! (unapproved)", and records "agreed as a correct record" from the keyboard; February's
//! minutes then say so (with the hash) in their "Minutes of the previous meeting" item,
//! and the January page, open all along, shows "Approved at Board February" live — in
//! its status, beside its reading view, and as a signed record in its Versions list.

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::http::Client;
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_meeting_agrees_the_minutes_in_the_browser() {
    require_built_client();
    let mut server = TestServer::start().await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn create(server: &TestServer, title: &str, from: Option<&str>) -> anyhow::Result<String> {
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": title, "series": "Board", "from": from }),
        )
        .await;
    ensure!(r.status == 201, "create {title}: {}", r.text());
    Ok(r.json()["name"].as_str().context("name")?.to_owned())
}

const STATUS_JS: &str = "const s = document.querySelector('.meeting-status'); \
                         return s ? s.textContent.trim() : null;";

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let jan = create(server, "Board January", None).await?;
    let feb = create(server, "Board February", Some(&jan)).await?;
    browsers.push(Browser::open_invited(driver, server, &jan, "Jan Chair", Role::Chair).await?);
    browsers.push(Browser::open_invited(driver, server, &feb, "Feb Chair", Role::Chair).await?);
    let (jan_page, feb_page) = (&browsers[0], &browsers[1]);

    // January's chair signs off (through the API; the sign-off panel has its own tests).
    let jan_token = server.member(&jan, "Jan Chair 2", None, Role::Chair).await;
    let r = Client::new(server.addr(), Some(jan_token))
        .post_json(
            &format!("/api/meetings/{jan}/sign-off"),
            &json!({ "override_reason": "" }),
        )
        .await;
    ensure!(r.status == 200, "sign-off: {}", r.text());
    let sha = r.json()["sha256"].as_str().context("sha")?.to_owned();
    jan_page
        .wait_until("Jan", "signed status", STATUS_JS, vec![], |v| {
            v == &json!("Signed (unapproved) — version 1")
        })
        .await?;

    // February's chair opens the Versions tab: January's minutes, version and hash.
    feb_page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#tab-versions"))
        .await?
        .click()
        .await?;
    let shown = feb_page
        .wait_until(
            "Feb",
            "the previous minutes",
            "const p = document.getElementById('previous-minutes'); \
             const v = document.getElementById('previous-version'); \
             const l = document.getElementById('previous-lifecycle'); \
             return p && v && l ? [v.dataset.sha, l.textContent.trim(), \
                 !!document.getElementById('record-resolution')] : null;",
            vec![],
            |v| v.is_array(),
        )
        .await?;
    ensure!(
        shown == json!([sha, "Signed (unapproved) — version 1", true]),
        "the panel: {shown}"
    );

    // From the keyboard: the default resolution is "agreed as a correct record".
    let correct = feb_page
        .client
        .find(Locator::Css("#resolution-correct"))
        .await?;
    let checked = feb_page
        .js(
            "return document.getElementById('resolution-correct').checked;",
            vec![],
        )
        .await?;
    ensure!(checked == json!(true), "correct record is the default");
    correct.send_keys(&Key::Tab.to_string()).await?;
    feb_page
        .client
        .find(Locator::Css("#record-resolution"))
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    feb_page
        .wait_until(
            "Feb",
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
    // The form is gone (nothing left to resolve), and the lifecycle says Approved.
    feb_page
        .wait_until(
            "Feb",
            "approved previous minutes",
            "const l = document.getElementById('previous-lifecycle'); \
             return [l && l.textContent.trim(), !!document.getElementById('record-resolution')];",
            vec![],
            |v| {
                v[0].as_str()
                    .is_some_and(|s| s.starts_with("Approved at Board February"))
                    && v[1] == json!(false)
            },
        )
        .await?;
    // February's minutes say it, with the hash, in the previous minutes item.
    let needle = format!("were agreed as a correct record (version 1, SHA-256 {sha}).");
    feb_page
        .wait_until(
            "Feb",
            "the resolution in the minutes",
            "return document.getElementById('minutes').innerText.includes(arguments[0]) \
             || Array.from(document.querySelectorAll('textarea')) \
                  .some(t => t.value.includes(arguments[0]));",
            vec![Value::String(needle)],
            |v| v == &json!(true),
        )
        .await?;
    // January's page, open all along, shows the approval live.
    jan_page
        .wait_until("Jan", "approved status", STATUS_JS, vec![], |v| {
            v.as_str().is_some_and(|s| {
                s.starts_with("Approved at Board February") && s.ends_with("version 1")
            })
        })
        .await?;
    // Its reading view says it beside the minutes, and its Versions list links the
    // signed approval record.
    jan_page
        .wait_until(
            "Jan",
            "the approval beside the minutes and in the versions",
            "const l = document.getElementById('reading-lifecycle'); \
             const a = document.querySelector('#version-list li[data-version=\"1\"] a.v-approval'); \
             return [l && l.textContent, a && a.getAttribute('href')];",
            vec![],
            |v| {
                v[0].as_str()
                    .is_some_and(|s| s.starts_with("Approved at Board February"))
                    && v[1]
                        .as_str()
                        .is_some_and(|h| h.ends_with("/versions/1/approval.txt"))
            },
        )
        .await?;
    Ok(())
}
