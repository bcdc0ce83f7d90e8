//! The web client under the server's Content-Security-Policy, in headless Chromium: the
//! demo meeting opens (the inline boot script, the WebAssembly module and the WebSocket
//! are allowed), its inline stylesheet and `style` attributes apply, nothing the client
//! does raises a CSP violation, and a script the page did not ship is refused.

use anyhow::{ensure, Context};
use minutebook_tests::browser::{finish, require_browser, require_built_client, Browser, Driver};
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::Value;
use std::time::{Duration, Instant};

const MEETING: &str = "assurance-2022-01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_runs_under_the_content_security_policy() {
    require_built_client();
    require_browser();
    let mut server = TestServer::start_with(|c| c.demo = true).await;
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
    let browser = Browser::open(driver).await?;
    browser.sign_in(&server.http_url(), &server.admin).await?;
    browsers.push(browser);
    let browser = &browsers[0];
    browser
        .client
        .goto(&format!("{}?meeting={MEETING}", server.http_url()))
        .await
        .context("open the meeting")?;

    // Booted (inline module script + wasm) and synced over the WebSocket.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let state = browser
            .js(
                "const s = document.getElementById('status'); \
                 return s ? s.getAttribute('data-state') : null;",
                vec![],
            )
            .await?;
        if state == "saved" {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the meeting never reached \"saved\" under the CSP (status {state})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Listen for violations from now on, then let the client do live work: edit a title.
    browser
        .js(
            "window.__violations = []; \
             document.addEventListener('securitypolicyviolation', e => \
               window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
            vec![],
        )
        .await?;
    let styled = browser
        .js(
            "const body = getComputedStyle(document.body).marginTop; \
             const el = document.querySelector('[style*=\"--depth\"]'); \
             const depth = el ? getComputedStyle(el).getPropertyValue('--depth').trim() : null; \
             const title = document.querySelector('.item-title'); \
             if (title) { title.focus(); title.value = title.value + ' (checked)'; \
               title.dispatchEvent(new Event('input', { bubbles: true })); } \
             return [body, depth, !!title];",
            vec![],
        )
        .await?;
    ensure!(
        styled[0] == "0px",
        "the inline stylesheet did not apply: body margin {}",
        styled[0]
    );
    ensure!(
        styled[1].as_str().is_some_and(|d| !d.is_empty()),
        "a style attribute did not apply: --depth {}",
        styled[1]
    );
    ensure!(styled[2] == Value::Bool(true), "no item title to edit");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let violations = browser.js("return window.__violations;", vec![]).await?;
    ensure!(
        violations.as_array().is_some_and(Vec::is_empty),
        "the client caused CSP violations: {violations}"
    );

    // The policy is enforced: an injected inline script does not run, and is reported.
    let injected = browser
        .js(
            "const s = document.createElement('script'); \
             s.textContent = 'window.__injected = true;'; \
             document.body.appendChild(s); \
             return window.__injected === true;",
            vec![],
        )
        .await?;
    ensure!(
        injected == Value::Bool(false),
        "an injected inline script ran"
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        let violations = browser.js("return window.__violations;", vec![]).await?;
        if violations.as_array().is_some_and(|v| {
            v.iter()
                .any(|v| v.as_str().is_some_and(|s| s.starts_with("script-src")))
        }) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the injected script raised no violation: {violations}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
