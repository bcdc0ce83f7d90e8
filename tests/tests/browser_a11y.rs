//! Accessibility checked by axe-core (the npm package, installed for the tests only and
//! loaded into the page by the test: users never download it) on the meeting list, the
//! editor, the reading view, the chair's sign-off page and the signed-off page: no serious
//! or critical violation.
//!
//! Each page is checked once it has settled (saved, items shown). A failure lists each
//! violation's rule, impact and the first elements it names.

use anyhow::{ensure, Context};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{axe_source, finish, require_built_client, Browser, Driver};
use minutebook_tests::{seed_fixture, TestServer};
use serde_json::{json, Value};

const MEETING: &str = "a11y-e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_serious_or_critical_accessibility_violations() {
    require_built_client();
    let mut server = TestServer::start().await;
    seed_fixture(&server, MEETING).await;
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
    let axe = axe_source()?;
    browsers
        .push(Browser::open_invited(driver, server, MEETING, "Alice", Role::MinuteTaker).await?);
    browsers.push(Browser::open_invited(driver, server, MEETING, "Ann", Role::Attendee).await?);
    let (alice, ann) = (&browsers[0], &browsers[1]);

    // The editor, settled.
    alice
        .wait_until(
            "Alice",
            "the editor",
            SETTLED_JS,
            vec![json!("textarea.block-text")],
            |v| v == &json!(true),
        )
        .await?;
    check(alice, &axe, "the editor").await?;

    // The reading view (an attendee's page).
    ann.wait_until(
        "Ann",
        "the reading view",
        SETTLED_JS,
        vec![json!("#reading section.item")],
        |v| v == &json!(true),
    )
    .await?;
    check(ann, &axe, "the reading view").await?;

    // The chair's page with the sign-off panel, then the signed-off page.
    browsers.push(Browser::open_invited(driver, server, MEETING, "Chloe", Role::Chair).await?);
    let chloe = &browsers[2];
    chloe
        .wait_until(
            "Chloe",
            "the sign-off panel",
            SETTLED_JS,
            vec![json!("#sign-off")],
            |v| v == &json!(true),
        )
        .await?;
    check(chloe, &axe, "the chair's sign-off page").await?;
    let signed = chloe
        .js(
            "return fetch(arguments[0], { method: 'POST', headers: { 'content-type': 'application/json' },
                 body: JSON.stringify({ override_reason: 'agreed at the meeting' }) })
                 .then(r => r.status);",
            vec![json!(format!("/api/meetings/{MEETING}/sign-off"))],
        )
        .await?;
    ensure!(signed == json!(200), "sign-off: {signed}");
    let alice = &browsers[0];
    alice
        .wait_until(
            "Alice",
            "the signed-off page",
            "const b = document.getElementById('readonly-banner'); \
             return !!(b && b.dataset.reason === 'signed' && document.querySelector('#reading section.item'));",
            vec![],
            |v| v == &json!(true),
        )
        .await?;
    check(alice, &axe, "the signed-off page").await?;

    // The meeting list.
    alice
        .client
        .goto(&format!("{}/", server.http_url()))
        .await?;
    alice
        .wait_until(
            "Alice",
            "the meeting list",
            "return document.querySelectorAll('#meetings li').length;",
            vec![],
            |v| v.as_u64().is_some_and(|n| n > 0),
        )
        .await?;
    check(alice, &axe, "the meeting list").await?;
    Ok(())
}

/// Runs axe-core in `browser`'s page; fails listing serious and critical violations.
async fn check(browser: &Browser, axe: &str, page: &str) -> anyhow::Result<()> {
    let violations = browser
        .axe(axe, json!({}))
        .await
        .with_context(|| format!("axe-core on {page}"))?;
    let bad: Vec<&Value> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    ensure!(
        bad.is_empty(),
        "{page}: {} serious or critical accessibility violations: {}",
        bad.len(),
        serde_json::to_string_pretty(&bad)?
    );
    Ok(())
}

/// Whether the page is saved and shows `arguments[0]`.
const SETTLED_JS: &str = "
    const s = document.getElementById('status');
    return !!(s && s.dataset.state === 'saved' && document.querySelector(arguments[0]));";
