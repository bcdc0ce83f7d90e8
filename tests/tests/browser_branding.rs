//! The organisation's branding from the administrator's page, in a real browser through
//! the real `minutebook` binary: on the meeting list, `section#branding` has a labelled
//! control for each field (axe-core finds nothing serious); the administrator types the
//! name, the footer and the logo's alt text, picks an SVG logo and saves — by keyboard
//! alone, Tab to the button and Enter — and the page says so; the server then holds it
//! (the logo sanitised) and the PDF of minutes signed afterwards names the organisation.

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_tests::browser::{
    axe_source, finish_process, require_built_client, Browser, Driver,
};
use minutebook_tests::http::Client;
use minutebook_tests::{FixtureMeeting, ServerProcess, PATIENCE};
use serde_json::{json, Value};

const ORGANISATION: &str = "Westshire Council";
const FOOTER: &str = "County Hall, Westbury";
const ALT: &str = "The council's crest";
const LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">\
     <script>alert(1)</script><circle cx=\"5\" cy=\"5\" r=\"4\" fill=\"#063\"/></svg>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_the_branding_by_keyboard() {
    require_built_client();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path()).await;
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
        admin,
        meeting,
        chair,
    } = server.fixture_with_chair("Chloe Chair").await;
    browsers.push(Browser::open(driver).await?);
    let page = &browsers[0];
    page.sign_in(&origin, &admin).await?;
    page.client.goto(&format!("{origin}/")).await?;
    page.wait_until(
        "the administrator",
        "the branding form, loaded",
        "const c = document.getElementById('brand-logo-current'); \
         return c && c.textContent ? c.textContent : null;",
        vec![],
        |v| v.is_string(),
    )
    .await?;
    // Every control is labelled.
    let unlabelled = page
        .js(
            "return [...document.querySelectorAll('#branding-form input, #branding-form textarea')] \
               .filter(e => !(e.labels && e.labels.length)).map(e => e.id);",
            vec![],
        )
        .await?;
    ensure!(unlabelled == json!([]), "unlabelled controls: {unlabelled}");
    let violations = page.axe(&axe_source()?, json!({})).await?;
    let bad: Vec<&Value> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    ensure!(bad.is_empty(), "axe-core: {bad:?}");

    // Typed, the logo picked, saved by keyboard.
    let work = tempfile::tempdir()?;
    let logo = work.path().join("crest.svg");
    std::fs::write(&logo, LOGO)?;
    let field = |css: &'static str| async move {
        page.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
    };
    field("#brand-organisation")
        .await?
        .send_keys(ORGANISATION)
        .await?;
    field("#brand-footer").await?.send_keys(FOOTER).await?;
    field("#brand-logo")
        .await?
        .send_keys(&logo.display().to_string())
        .await?;
    let alt = field("#brand-logo-alt").await?;
    alt.send_keys(ALT).await?;
    // Tab past "Remove the logo" to the button, and Enter.
    alt.send_keys(&Key::Tab.to_string()).await?;
    page.client
        .active_element()
        .await?
        .send_keys(&Key::Tab.to_string())
        .await?;
    let focused = page
        .js(
            "return document.activeElement ? document.activeElement.id : null;",
            vec![],
        )
        .await?;
    ensure!(
        focused == json!("save-branding"),
        "Tab reaches the button: {focused}"
    );
    page.client
        .active_element()
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    let shown = page
        .wait_until(
            "the administrator",
            "the branding saved",
            "const s = document.getElementById('branding-status'); \
             const c = document.getElementById('brand-logo-current'); \
             const e = document.getElementById('branding-error'); \
             if (e) return 'error: ' + e.textContent; \
             return s && s.textContent.startsWith('Saved') ? c.textContent : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    let shown = shown.as_str().unwrap_or_default();
    ensure!(
        shown.starts_with("Current logo: SVG"),
        "the page shows the logo: {shown}"
    );

    // On the server.
    let b = Client::new(server.addr, Some(admin.clone()))
        .get("/api/branding")
        .await
        .json();
    ensure!(
        b["organisation"] == json!(ORGANISATION)
            && b["footer"] == json!(FOOTER)
            && b["logo_alt"] == json!(ALT)
            && b["logo"]["kind"] == json!("svg"),
        "stored: {b}"
    );
    ensure!(
        b["logo"]["bytes"]
            .as_u64()
            .is_some_and(|n| (n as usize) < LOGO.len()),
        "the script was dropped: {b}"
    );

    // Minutes signed afterwards carry it.
    let chair_api = Client::new(server.addr, Some(chair));
    let r = chair_api
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "confirmed on paper" }),
        )
        .await;
    ensure!(r.status == 200, "sign-off: {}", r.text());
    let pdf = chair_api
        .get(&format!("/api/meetings/{meeting}/versions/1/export.pdf"))
        .await;
    ensure!(pdf.status == 200, "the PDF: {}", pdf.status);
    let file = work.path().join("minutes.pdf");
    std::fs::write(&file, &pdf.body[..])?;
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .context("pdftotext")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        text.contains(ORGANISATION) && text.contains(FOOTER),
        "the PDF carries the branding:\n{text}"
    );
    Ok(())
}
