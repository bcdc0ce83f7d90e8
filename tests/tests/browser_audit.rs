//! The audit log in the meeting page (Activity tab), in headless Chromium: shown from the
//! keyboard, newest entries at the end, refreshed when the ledger changes, and a long log
//! shown a page at a time ("Show older entries") rather than fetched whole.
//!
//! Needs the built client (`scripts/build-client.sh`) and Debian's chromium +
//! chromium-driver. Everything waits by polling with a deadline; no sleep is an
//! assertion. Page hooks: `client/DOM.md`.

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_tests::browser::{finish, require_browser, require_built_client, Browser, Driver};
use minutebook_tests::TestServer;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_shows_the_newest_entries_and_older_ones_on_request() {
    require_built_client();
    require_browser();
    let mut server = TestServer::start().await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let meeting = server.create_meeting("Audit panel", "Audit panel").await;
    // 230 invitations: more entries than the panel's first 200.
    for i in 0..230 {
        let r = server
            .http()
            .post_json(
                &format!("/api/meetings/{meeting}/invites"),
                &json!({ "name": format!("Guest {i}"), "role": "observer" }),
            )
            .await;
        ensure!(r.status == 201, "invite {i}: {}", r.text());
    }
    browsers.push(Browser::open(driver).await?);
    let browser = &browsers[0];
    browser
        .open_meeting(&server.http_url(), &server.admin, &meeting)
        .await?;
    // The Activity tab and the panel's button, from the keyboard.
    press(browser, "#tab-activity").await?;
    press(browser, "#show-audit").await?;

    // The newest 200, oldest first (opening the page added its own entry: the join).
    let shown = wait_rows(browser, "the newest 200 entries", |rows| rows.len() == 200).await?;
    let all: Vec<Value> = serde_json::from_str(
        &server
            .http()
            .get(&format!("/api/meetings/{meeting}/audit"))
            .await
            .text(),
    )?;
    let all: Vec<u64> = all.iter().filter_map(|e| e["seq"].as_u64()).collect();
    ensure!(all.len() > 230, "the log holds {} entries", all.len());
    ensure!(
        shown == all[all.len() - 200..],
        "the panel shows the newest 200 entries in order: {shown:?} of {all:?}"
    );
    // Older ones on request.
    press(browser, "#audit-older").await?;
    let shown = wait_rows(browser, "every entry", |rows| rows.len() == all.len()).await?;
    ensure!(shown == all, "the panel shows every entry in order");
    let gone: Value = browser
        .js(
            "return document.getElementById('audit-older') === null;",
            vec![],
        )
        .await?;
    ensure!(gone == json!(true), "no older entries are left to show");

    // A control under the side column's sticky tabs, focused from the keyboard, is
    // scrolled clear of them (the long list left the panel's top under the tabs).
    let obscured: Value = browser
        .js(
            "const col = document.querySelector('.side-col');
             const tabs = document.querySelector('.side-tabs').getBoundingClientRect();
             const button = document.getElementById('refresh-audit');
             button.blur();
             col.scrollTop += button.getBoundingClientRect().top - tabs.top;
             button.focus();
             const r = button.getBoundingClientRect();
             const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
             return hit === button || button.contains(hit) ? null : (hit ? hit.outerHTML.slice(0, 80) : 'nothing');",
            vec![],
        )
        .await?;
    ensure!(
        obscured.is_null(),
        "the focused Refresh button is under {obscured}"
    );

    // A new entry appears at the end when the log is refreshed.
    let r = server
        .http()
        .post_json(
            &format!("/api/meetings/{meeting}/invites"),
            &json!({ "name": "Late guest", "role": "observer" }),
        )
        .await;
    ensure!(r.status == 201, "{}", r.text());
    press(browser, "#refresh-audit").await?;
    let shown = wait_rows(browser, "the new entry", |rows| rows.len() == all.len() + 1).await?;
    ensure!(
        shown[..all.len()] == all[..] && shown[all.len()] > all[all.len() - 1],
        "the new entry is last"
    );
    Ok(())
}

/// Focuses the button `css` and presses Enter on it.
async fn press(browser: &Browser, css: &str) -> anyhow::Result<()> {
    let button = wait_find(browser, css).await?;
    browser
        .js("arguments[0].focus(); return null;", vec![json!(button)])
        .await?;
    button.send_keys(&Key::Enter.to_string()).await?;
    Ok(())
}

async fn wait_find(browser: &Browser, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    browser
        .client
        .wait()
        .at_most(minutebook_tests::PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("no {css}"))
}

/// Waits until the table's rows (their sequence numbers) satisfy `done`.
async fn wait_rows(
    browser: &Browser,
    what: &str,
    done: impl Fn(&[u64]) -> bool,
) -> anyhow::Result<Vec<u64>> {
    let seen = browser
        .wait_until("admin", what, ROWS_JS, vec![], |v| {
            done(
                &v.as_array()
                    .map(|a| a.iter().filter_map(Value::as_u64).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
        })
        .await?;
    Ok(seen
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default())
}

const ROWS_JS: &str = "
    return Array.from(document.querySelectorAll('#audit-log tbody tr[data-seq]'))
        .map(tr => Number(tr.dataset.seq));";
