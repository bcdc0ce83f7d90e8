//! Part I and Part II in a real browser, through the real `minutebook` binary: the chair
//! marks item 2.2 exempt under Schedule 12A paragraph 3 from the item's own control
//! (confirming that its content moves into Part II) and gives it a public title; the page says who can still read it; after sign-off the
//! public version withholds it — `minutebook verify --key` proves that offline — and once
//! published, an anonymous reader's page and PDF carry the public title and the
//! placeholder, never the item's text. The versions list offers each member only what
//! the server gives them: an observer (no restricted access) the public downloads, the
//! chair the full ones too — every link shown answers 200 for the one it is shown to.

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish_process, require_built_client, Browser, Driver};
use minutebook_tests::http::Client;
use minutebook_tests::{FixtureMeeting, ServerProcess, PATIENCE};
use serde_json::json;

/// Words only item 2.2 of the fixture has.
const EXEMPT_WORDS: &str = "sought to understand why";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chair_marks_an_item_exempt_and_the_published_minutes_withhold_it() {
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
        admin: admin_token,
        meeting,
        chair,
    } = server.fixture_with_chair("Chloe Chair").await;
    let admin = Client::new(server.addr, Some(admin_token.clone()));

    browsers.push(Browser::open(driver).await?);
    let page = &browsers[0];
    page.open_meeting(&origin, &chair, &meeting).await?;
    let item = "section.item[data-number='2.2']";
    let select = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("{item} select.item-exempt")))
        .await?;
    ensure!(
        select.attr("aria-label").await?.as_deref() == Some("Item 2.2 in the public version"),
        "the control is labelled"
    );
    select.select_by_value("12A:3").await?;
    // Marking it exempt moves its content into Part II after a confirmation; the page
    // then reloads on the rebuilt minutes.
    let deadline = std::time::Instant::now() + PATIENCE;
    let question = loop {
        if let Ok(text) = page.client.get_alert_text().await {
            break text;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no confirmation dialog"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    ensure!(
        question.contains("Part II"),
        "the dialog says where the item goes: {question:?}"
    );
    page.client.accept_alert().await?;
    let title = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("{item} input.item-public-title")))
        .await?;
    title.send_keys("Quality of the data").await?;
    title.send_keys(&Key::Tab.to_string()).await?;
    let note = page
        .wait_until(
            "Chloe",
            "the exempt item's note, saved",
            "const n = document.querySelector(arguments[0] + ' .item-exempt-note'); \
             const s = document.getElementById('status'); \
             return n && s && s.dataset.state === 'saved' ? n.textContent : null;",
            vec![json!(item)],
            |v| v.is_string(),
        )
        .await?;
    ensure!(
        note.as_str()
            .unwrap_or_default()
            .contains("can still read it"),
        "the page says who can still read it: {note}"
    );

    // Signed, the public version withholds 2.2 and proves it.
    let chair_api = Client::new(server.addr, Some(chair));
    let r = chair_api
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "confirmed on paper" }),
        )
        .await;
    ensure!(r.status == 200, "sign-off: {}", r.text());
    let public = chair_api
        .get(&format!("/api/meetings/{meeting}/versions/1/public.md"))
        .await
        .text();
    ensure!(
        !public.contains(EXEMPT_WORDS),
        "the public version withholds 2.2"
    );
    ensure!(
        public.contains("### 2.2 Quality of the data\n\n*Exempt item — Schedule 12A paragraph 3*"),
        "the placeholder and public title:\n{public}"
    );
    let work = tempfile::tempdir()?;
    let keys = work.path().join("keys.json");
    std::fs::write(&keys, admin.get("/api/signing-keys").await.text())?;
    let file = work.path().join("public.md");
    std::fs::write(&file, &public)?;
    let (code, out) = minutebook_tests::run_minutebook(
        &[
            "verify",
            "--key",
            &keys.display().to_string(),
            &file.display().to_string(),
        ],
        &[("MINUTEBOOK_SERVER", None)],
    )
    .await;
    ensure!(code == 0, "verify: {out}");
    ensure!(
        out.contains("items withheld: 2.2 (Exempt item — Schedule 12A paragraph 3)"),
        "verify says what was withheld: {out}"
    );

    // The versions list: what each member is offered, and what the server answers them.
    let observer = minutebook_tests::member(
        server.addr,
        &admin_token,
        &meeting,
        "Olive Observer",
        None,
        Role::Observer,
    )
    .await;
    browsers.push(Browser::open(driver).await?);
    let watcher = &browsers[1];
    watcher.sign_in(&origin, &observer).await?;
    let observer_api = Client::new(server.addr, Some(observer.clone()));
    let observer_links = version_links(watcher, &origin, &meeting, "Olive").await?;
    let chair_links = version_links(&browsers[0], &origin, &meeting, "Chloe").await?;
    let classes = |links: &[(String, String)]| -> Vec<String> {
        links.iter().map(|(class, _)| class.clone()).collect()
    };
    ensure!(
        classes(&observer_links) == ["v-public", "v-public-pdf", "v-public-docx"].map(String::from),
        "an observer is offered the public downloads only: {observer_links:?}"
    );
    ensure!(
        classes(&chair_links)
            == [
                "v-export-md",
                "v-export-html",
                "v-export-pdf",
                "v-export-docx",
                "v-public",
                "v-public-pdf",
                "v-public-docx",
                "v-compare",
            ]
            .map(String::from),
        "the chair is offered the full downloads and the comparison too: {chair_links:?}"
    );
    for (who, api, links) in [
        ("the observer", &observer_api, &observer_links),
        ("the chair", &chair_api, &chair_links),
    ] {
        for (class, href) in links.iter().filter(|(_, href)| !href.is_empty()) {
            let path = href.strip_prefix(&origin).unwrap_or(href);
            let r = api.get(path).await;
            ensure!(
                r.status == 200,
                "{who}'s {class} link {path}: {} {}",
                r.status,
                r.text()
            );
            if class.starts_with("v-public") && !class.ends_with("docx") {
                let text = String::from_utf8_lossy(&r.body[..]).into_owned();
                ensure!(!text.contains(EXEMPT_WORDS), "{class} withholds 2.2");
            }
        }
    }
    // What the observer is not offered, the server refuses them.
    for ext in ["md", "html", "pdf", "docx"] {
        let path = format!("/api/meetings/{meeting}/versions/1/export.{ext}");
        let r = observer_api.get(&path).await;
        ensure!(r.status == 403, "the observer's {path}: {}", r.status);
    }
    let r = observer_api
        .get(&format!("/api/meetings/{meeting}/versions/1/diff"))
        .await;
    ensure!(r.status == 403, "the observer's comparison: {}", r.status);
    let versions = observer_api
        .get(&format!("/api/meetings/{meeting}/versions"))
        .await
        .json();
    ensure!(
        versions[0]["withheld"] == json!(["2.2"]),
        "the version says what it withholds: {versions}"
    );

    // Published: an anonymous reader sees the placeholder, never the text.
    let r = chair_api
        .post_json(
            &format!("/api/meetings/{meeting}/publication"),
            &json!({ "version": 1 }),
        )
        .await;
    ensure!(r.status == 200, "publish: {}", r.text());
    let path = format!(
        "/public/{}/{meeting}",
        r.json()["series"].as_str().context("series")?
    );
    browsers.push(Browser::open(driver).await?);
    let reader = &browsers[2];
    reader.client.goto(&format!("{origin}{path}")).await?;
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
    ensure!(!text.contains(EXEMPT_WORDS), "the page withholds 2.2");
    ensure!(
        text.contains("Quality of the data")
            && text.contains("Exempt item — Schedule 12A paragraph 3"),
        "the page shows the placeholder"
    );
    let pdf = Client::new(server.addr, None)
        .get(&format!("{path}/minutes.pdf"))
        .await;
    ensure!(pdf.status == 200, "the public PDF: {}", pdf.status);
    let pdf_file = work.path().join("minutes.pdf");
    std::fs::write(&pdf_file, &pdf.body[..])?;
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf_file)
        .arg("-")
        .output()
        .context("pdftotext")?;
    let pdf_text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        !pdf_text.contains(EXEMPT_WORDS),
        "the public PDF withholds 2.2"
    );
    ensure!(pdf_text.contains("Quality of the data"), "{pdf_text}");
    Ok(())
}

/// The downloads (and the comparison button, with an empty address) that `page` (signed in
/// as `who`) offers for version 1 in its Versions tab, as (class, address) in page order.
async fn version_links(
    page: &Browser,
    origin: &str,
    meeting: &str,
    who: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    page.client
        .goto(&format!("{origin}/?meeting={meeting}"))
        .await?;
    page.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#tab-versions"))
        .await?
        .click()
        .await?;
    let links = page
        .wait_until(
            who,
            "version 1's downloads",
            "const li = document.querySelector(\"li.version[data-version='1'] .v-links\"); \
             if (!li || !li.querySelector('.v-public')) return null; \
             return Array.from(li.querySelectorAll('a, button')) \
               .filter(e => !e.classList.contains('v-approval')) \
               .map(e => [e.className, e.href || '']);",
            vec![],
            |v| v.is_array(),
        )
        .await?;
    Ok(links
        .as_array()
        .map(|a| {
            a.iter()
                .map(|pair| {
                    let s = |i: usize| pair[i].as_str().unwrap_or_default().to_owned();
                    (s(0), s(1))
                })
                .collect()
        })
        .unwrap_or_default())
}
