//! Publishing in real browsers, through the real `minutebook` binary (the renderer
//! linked): the chair publishes the signed minutes from the Versions tab (asked first,
//! from the keyboard); an anonymous browser — never signed in — reads the public page,
//! which axe-core finds clean against WCAG 2.2 AA, with its approval state and
//! verification details; it downloads the PDF and the Word document, which are the
//! members' files byte for byte and which `minutebook verify` accepts; and once the chair
//! withdraws them, the page is gone.

use anyhow::{ensure, Context};
use base64::Engine;
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_tests::browser::{
    axe_source, finish_process, require_built_client, Browser, Driver,
};
use minutebook_tests::http::Client;
use minutebook_tests::{FixtureMeeting, ServerProcess, PATIENCE};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chair_publishes_and_anyone_reads_and_verifies_the_minutes() {
    require_built_client();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start_with(
        dir.path(),
        &[
            "--organisation",
            "Office of the Police and Crime Commissioner",
        ],
    )
    .await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers).await;
    finish_process(browsers, driver, server, outcome).await;
}

async fn scenario(
    server: &ServerProcess,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let origin = format!("http://{}", server.addr);
    let FixtureMeeting {
        admin: admin_token,
        meeting,
        chair,
    } = server.fixture_with_chair("Chloe Chair").await;
    let admin = Client::new(server.addr, Some(admin_token.clone()));
    let r = Client::new(server.addr, Some(chair.clone()))
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "confirmed on paper" }),
        )
        .await;
    ensure!(r.status == 200, "sign-off: {}", r.text());
    let sha = r.json()["sha256"].as_str().context("sha")?.to_owned();

    // The chair publishes from the Versions tab, from the keyboard, after the warning;
    // a browser that never signs in reads the result.
    browsers.push(Browser::open(driver).await?);
    browsers.push(Browser::open(driver).await?);
    let (page, reader) = (&browsers[0], &browsers[1]);
    page.open_meeting(&origin, &chair, &meeting).await?;
    page.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#tab-versions"))
        .await?
        .click()
        .await?;
    let publish = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#publish"))
        .await?;
    ensure!(
        publish.text().await? == "Publish version 1",
        "the button names the version"
    );
    publish.send_keys(&Key::Enter.to_string()).await?;
    let warning = page
        .wait_until(
            "Chloe",
            "the warning",
            "const w = document.getElementById('publish-warning'); return w ? w.textContent : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    ensure!(
        warning
            .as_str()
            .unwrap_or_default()
            .contains("without signing in"),
        "the warning says what publishing does: {warning}"
    );
    page.client
        .find(Locator::Css("#publish-confirm"))
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    let href = page
        .wait_until(
            "Chloe",
            "the public link",
            "const a = document.getElementById('public-link'); return a ? a.getAttribute('href') : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    let public = href.as_str().unwrap_or_default().to_owned();
    ensure!(
        public.starts_with("/public/") && public.ends_with(&format!("/{meeting}")),
        "the public address: {public}"
    );
    ensure!(
        !page
            .client
            .find_all(Locator::Css("#unpublish"))
            .await?
            .is_empty(),
        "the chair may withdraw it"
    );

    // The reader, never signed in.
    reader.client.goto(&format!("{origin}{public}")).await?;
    let shown = reader
        .wait_until(
            "the reader",
            "the public page",
            "const h = document.querySelector('main h1'); \
             const s = document.querySelector('p.state'); \
             const f = document.getElementById('verification'); \
             return h && s && f ? [h.textContent, s.textContent, document.body.textContent] : null;",
            vec![],
            |v| v.is_array(),
        )
        .await?;
    let text = shown[2].as_str().unwrap_or_default();
    ensure!(
        shown[1]
            .as_str()
            .unwrap_or_default()
            .starts_with("Unapproved minutes."),
        "the approval state: {}",
        shown[1]
    );
    for needle in [sha.as_str(), "Signed with key", "Chloe Chair", "Attendance"] {
        ensure!(text.contains(needle), "the page shows {needle:?}");
    }
    let axe = axe_source()?;
    let violations = reader
        .axe(
            &axe,
            json!({ "runOnly": { "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
        )
        .await?;
    ensure!(
        violations.is_empty(),
        "WCAG 2.2 AA violations on the public page: {}",
        serde_json::to_string_pretty(&violations)?
    );
    let best = reader.axe(&axe, json!({})).await?;
    let serious: Vec<&Value> = best
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    ensure!(serious.is_empty(), "serious findings: {serious:?}");

    // Its PDF and Word files: the members' bytes, accepted by `verify`. (The public page
    // allows no script to fetch anything, so the reader fetches them from another page
    // of the server, still without signing in.)
    let url = format!("http://{}", server.addr);
    let files = [
        ("minutes.pdf", "pdf", "PDF"),
        ("minutes.docx", "docx", "Word document"),
    ];
    for (file, ..) in files {
        let link = format!("{public}/{file}");
        ensure!(
            !reader
                .client
                .find_all(Locator::Css(&format!("a[href='{link}']")))
                .await?
                .is_empty(),
            "the page links {link}"
        );
    }
    reader.client.goto(&format!("{origin}/healthz")).await?;
    for (file, ext, label) in files {
        let link = format!("{public}/{file}");
        let fetched = reader
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => {
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
        let members = admin
            .get(&format!("/api/meetings/{meeting}/versions/1/export.{ext}"))
            .await;
        ensure!(
            members.status == 200 && members.body[..] == bytes[..],
            "{file} is the members' file"
        );
        let saved = tempfile::tempdir()?;
        let path = saved.path().join(file);
        std::fs::write(&path, &bytes)?;
        let (code, out) = minutebook_tests::run_minutebook(
            &["verify", "--server", &url, &path.display().to_string()],
            &[("MINUTEBOOK_SERVER", None)],
        )
        .await;
        ensure!(code == 0, "verify {file}: {out}");
        ensure!(
            out.contains(&format!("is the {label} of version 1")) && out.contains(&sha),
            "verify {file}: {out}"
        );
    }

    // Withdrawn: the chair's button, then the page is gone for the reader.
    page.client
        .find(Locator::Css("#unpublish"))
        .await?
        .click()
        .await?;
    page.wait_until(
        "Chloe",
        "the withdrawal",
        "const s = document.getElementById('publication-state'); return s ? s.textContent : '';",
        vec![],
        |v| v.as_str().is_some_and(|s| s.starts_with("Not published")),
    )
    .await?;
    let gone = Client::new(server.addr, None).get(&public).await.status;
    ensure!(gone == 404, "withdrawn minutes answer 404, not {gone}");
    Ok(())
}
