//! Identity in a real browser (headless Chromium): an invitation opened in the browser
//! leaves no bearer token where page scripts could read it (HttpOnly cookie only); the
//! session bar's *Sign in on another device* makes a single-use link that signs a second
//! browser in as the same person; a used link (device or invitation) shows why it cannot
//! be used.

use anyhow::{ensure, Context};
use fantoccini::Locator;
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver, SESSION_COOKIE};
use minutebook_tests::{invite, TestServer, PATIENCE};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_links_and_http_only_sessions() {
    require_built_client();
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
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &json!({ "title": "Board", "series": "Board", "from": null }),
        )
        .await;
    ensure!(r.status == 201, "create: {}", r.text());
    let meeting = r.json()["name"].as_str().context("name")?.to_string();
    let invitation = invite(
        server.addr(),
        &server.admin,
        &meeting,
        "Dana",
        None,
        Role::Attendee,
    )
    .await;
    let link = invitation["link"].as_str().context("link")?.to_string();

    browsers.push(Browser::open(driver).await?);
    let phone = &browsers[0];
    phone.accept_invitation(&link, None).await?;
    // The page's scripts hold no token: the cookie is HttpOnly, and no answer carried one.
    let seen = phone
        .js(
            "return fetch('/api/session').then(r => r.json()).then(s => \
             [document.cookie, JSON.stringify(s), JSON.stringify(localStorage), \
              JSON.stringify(sessionStorage)]);",
            vec![],
        )
        .await?;
    let token = phone
        .client
        .get_named_cookie(SESSION_COOKIE)
        .await
        .context("session cookie")?
        .value()
        .to_string();
    ensure!(token.len() >= 40, "a session cookie: {token}");
    let seen_text = seen.to_string();
    ensure!(
        !seen_text.contains(&token) && !seen_text.contains(SESSION_COOKIE),
        "page scripts can see the session: {seen}"
    );

    // Sign in on another device.
    phone.client.goto(&server.http_url()).await?;
    phone
        .wait_until(
            "Dana",
            "the session bar",
            "return !!document.getElementById('device-link');",
            vec![],
            |v| v == &json!(true),
        )
        .await?;
    phone
        .client
        .find(Locator::Css("#account-menu summary"))
        .await?
        .click()
        .await?;
    phone
        .client
        .find(Locator::Css("#device-link"))
        .await?
        .click()
        .await?;
    let device_link = phone
        .wait_until(
            "Dana",
            "a device link",
            "const i = document.getElementById('device-link-url'); return i ? i.value : null;",
            vec![],
            |v| v.as_str().is_some_and(|s| s.contains("?signin=")),
        )
        .await?;
    let device_link = device_link.as_str().context("link")?.to_string();

    browsers.push(Browser::open(driver).await?);
    let laptop = &browsers[1];
    laptop.client.goto(&device_link).await?;
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let address = laptop.client.current_url().await?;
        if !address.as_str().contains("signin=")
            && laptop.client.get_named_cookie(SESSION_COOKIE).await.is_ok()
        {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the device link did not sign in: {address}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let user = laptop
        .wait_until(
            "laptop",
            "signed in as Dana",
            "const u = document.getElementById('session-user'); return u ? u.textContent : null;",
            vec![],
            |v| v == &json!("Dana"),
        )
        .await?;
    ensure!(user == json!("Dana"));
    let laptop_token = laptop
        .client
        .get_named_cookie(SESSION_COOKIE)
        .await?
        .value()
        .to_string();
    ensure!(laptop_token != token, "the laptop has its own session");

    // Used links: the device link a second time, and the invitation link again.
    browsers.push(Browser::open(driver).await?);
    let third = &browsers[2];
    for used in [&device_link, &link] {
        third.client.goto(used).await?;
        let shown: Value = third
            .wait_until(
                "third browser",
                "a refusal",
                "const e = document.getElementById('invite-error'); return e ? e.textContent : null;",
                vec![],
                |v| v.is_string(),
            )
            .await?;
        ensure!(
            shown.as_str().is_some_and(|s| s.contains("cannot be used")),
            "{used}: {shown}"
        );
    }
    ensure!(
        third.client.get_named_cookie(SESSION_COOKIE).await.is_err(),
        "a used link signed the third browser in"
    );
    Ok(())
}
