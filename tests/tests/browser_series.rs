//! A series member opens the next meeting without a new invitation, in headless Chromium
//! on a real server: the administrator invites Dana to every meeting of the series from
//! January's "People and invitations" panel; Dana opens the link; February is started
//! from January; Dana finds February in her meeting list and reads it, as an attendee,
//! with the link she already used.

use anyhow::{ensure, Context};
use fantoccini::Locator;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_member_opens_the_next_meeting_without_a_new_invitation() {
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

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let january = create(server, "Board January", None).await?;
    browsers.push(Browser::open(driver).await?);
    browsers.push(Browser::open(driver).await?);
    let (admin, dana) = (&browsers[0], &browsers[1]);

    // The administrator invites Dana to the whole series from January's page.
    admin.sign_in(&server.http_url(), &server.admin).await?;
    admin
        .client
        .goto(&format!("{}/?meeting={january}", server.http_url()))
        .await?;
    let find = |css: &'static str| async move {
        admin
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("the invitation form's {css}"))
    };
    find("#tab-people").await?.click().await?;
    // Restricted access follows the role until it is changed: a minute-taker has it,
    // an attendee does not.
    let restricted = || async {
        admin
            .js(
                "return document.getElementById('invite-restricted').checked;",
                vec![],
            )
            .await
    };
    ensure!(
        restricted().await? == json!(false),
        "an attendee has no restricted access"
    );
    find("#invite-role")
        .await?
        .select_by_value("minute-taker")
        .await?;
    ensure!(
        restricted().await? == json!(true),
        "a minute-taker has restricted access"
    );
    find("#invite-role")
        .await?
        .select_by_value("attendee")
        .await?;
    ensure!(restricted().await? == json!(false), "back to an attendee");
    find("#invite-name").await?.send_keys("Dana").await?;
    find("#invite-series").await?.click().await?;
    find("#create-invite").await?.click().await?;
    let link = admin
        .wait_until(
            "admin",
            "the invitation link",
            "const l = document.getElementById('invite-link'); return l ? l.value : null;",
            vec![],
            |v| v.as_str().is_some_and(|l| l.contains("invite=")),
        )
        .await?;
    let link = link.as_str().context("a link")?.to_owned();
    admin
        .wait_until(
            "admin",
            "the series invitation listed",
            "return Array.from(document.querySelectorAll('#invite-list tr[data-scope=\"series\"] .i-name'))
                .map(td => td.textContent);",
            vec![],
            |v| {
                v.as_array()
                    .is_some_and(|a| a.iter().any(|n| n.as_str().is_some_and(|n| n.contains("Dana"))))
            },
        )
        .await?;

    // Dana opens it: January.
    dana.accept_invitation(&link, None).await?;
    dana.wait_until("Dana", "January's minutes", TITLE_JS, vec![], |v| {
        v == "Board January"
    })
    .await?;

    // February is started from January; Dana finds it in her list and opens it.
    let february = create(server, "Board February", Some(&january)).await?;
    dana.client.goto(&format!("{}/", server.http_url())).await?;
    let entry = format!("#meetings li a[href=\"?meeting={february}\"]");
    dana.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&entry))
        .await
        .context("February in Dana's meeting list")?
        .click()
        .await?;
    dana.wait_until("Dana", "February's minutes", TITLE_JS, vec![], |v| {
        v == "Board February"
    })
    .await?;
    let role = dana
        .wait_until(
            "Dana",
            "her role",
            "const r = document.getElementById('my-role'); return r ? r.dataset.role : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    ensure!(role == "attendee", "Dana's role in February: {role}");
    Ok(())
}

/// The reading view's title (an attendee reads the minutes).
const TITLE_JS: &str = "
    const h = document.querySelector('#reading h1');
    return h ? h.textContent : null;";
