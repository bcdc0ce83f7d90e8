//! Accessibility checked by axe-core (the npm package, installed for the tests only and
//! loaded into the page by the test: users never download it) on the meeting list, the
//! editor, the reading view, the chair's sign-off page and the signed-off page: no serious
//! or critical violation.
//!
//! Each page is checked once it has settled (saved, items shown). A failure lists each
//! violation's rule, impact and the first elements it names.

use anyhow::{ensure, Context};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{seed_fixture, workspace_root, TestServer};
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
    let axe = std::fs::read_to_string(
        workspace_root().join("tests/interop/node_modules/axe-core/axe.min.js"),
    )
    .context("axe-core (npm ci --prefix tests/interop)")?;
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
    let script = format!("{axe}\n{RUN_AXE_JS}");
    let found = browser
        .client
        .execute_async(&script, vec![])
        .await
        .with_context(|| format!("axe-core on {page}"))?;
    let violations = found.as_array().cloned().unwrap_or_default();
    let bad: Vec<&Value> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    ensure!(found.is_array(), "axe-core did not run on {page}: {found}");
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

/// axe-core's violations, each with its rule, impact, help and first three targets.
const RUN_AXE_JS: &str = "
    const done = arguments[arguments.length - 1];
    axe.run(document, { resultTypes: ['violations'] })
        .then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '')),
        }))))
        .catch(e => done('axe failed: ' + e));";
