//! Part I and Part II in a real browser, through the real `minutebook` binary: a
//! minute-taker with restricted access marks item 3 exempt (Schedule 12A paragraph 3) from
//! the item's own control, confirms the warning, and the page reloads on the rebuilt
//! minutes; the minute-taker keeps editing the item (its title and a new paragraph) and
//! the text is saved to the Part II document (`/ws/{meeting}/restricted`), never to the
//! main one; an observer's page shows item 3 only as its placeholder, never the text.
//! An attendee without restricted access, attributed in an exempt item, confirms their own
//! Part II statement from "My statements" and sees nothing else of Part II.
//! Indenting public item 4 under exempt item 3 from the outline (Alt+→) is refused with an
//! alert saying why and what to do instead, and nothing is sent; when a modified client
//! does it anyway, the server moves item 4 into Part II at once: the observer's page
//! reloads without its text, the minute-taker's shows it as a sub-item of item 3.

use std::time::Duration;

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::Meeting;
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish_process, require_built_client, Browser, Driver};
use minutebook_tests::{member, FixtureMeeting, ServerProcess, PATIENCE};
use serde_json::json;
use yrs::Transact;

/// What is typed after item 3's title ("AOB", which moved into Part II with it).
const SECRET_TITLE: &str = " — contractor dispute";
/// Item 3's restricted title then.
const FULL_TITLE: &str = "AOB — contractor dispute";
/// The restricted paragraph typed into item 3 after the move.
const SECRET_TEXT: &str = "The settlement figure is confidential";
/// The item's public title.
const PUBLIC_TITLE: &str = "Contract matter";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_taker_moves_an_item_into_part_two_and_an_observer_never_sees_it() {
    require_built_client();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path()).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers).await;
    finish_process(browsers, driver, server, outcome).await;
}

/// The text of item 3's section and the combined save state, once saved.
const SAVED_ITEM_JS: &str = "const s = document.getElementById('status'); \
     const i = document.querySelector(\"section.item[data-number='3']\"); \
     if (!s || !i || s.dataset.state !== 'saved') return null; \
     const title = i.querySelector('input.item-title'); \
     const texts = [...i.querySelectorAll('textarea.block-text')].map(t => t.value); \
     return { title: title ? title.value : null, texts };";

async fn scenario(
    server: &ServerProcess,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let origin = format!("http://{}", server.addr);
    let FixtureMeeting { admin, meeting, .. } = server.fixture_with_chair("Chloe Chair").await;
    let taker = member(
        server.addr,
        &admin,
        &meeting,
        "Mina Minutes",
        None,
        Role::MinuteTaker,
    )
    .await;
    let observer = member(
        server.addr,
        &admin,
        &meeting,
        "Otto Observer",
        None,
        Role::Observer,
    )
    .await;

    // The observer's page is open before, during and after the move.
    browsers.push(Browser::open(driver).await?);
    browsers.push(Browser::open(driver).await?);
    let (page, watcher) = (&browsers[0], &browsers[1]);
    watcher.open_meeting(&origin, &observer, &meeting).await?;
    page.open_meeting(&origin, &taker, &meeting).await?;

    let item = "section.item[data-number='3']";
    let select = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("{item} select.item-exempt")))
        .await?;
    ensure!(
        select.attr("aria-label").await?.as_deref() == Some("Item 3 in the public version"),
        "the control is labelled"
    );
    // Marks the reload: gone once the page has loaded the rebuilt minutes.
    page.js("window.__beforeMove = true; return null;", vec![])
        .await?;
    select.select_by_value("12A:3").await?;
    let question = wait_for_alert(page).await?;
    ensure!(
        question.contains("sent to everyone invited") && question.contains("rebuilt"),
        "the confirmation warns about what was already sent: {question:?}"
    );
    page.client.accept_alert().await?;

    // The page reloads on the rebuilt minutes, item 3 exempt.
    page.wait_until(
        "Mina",
        "the reloaded page with item 3 exempt",
        "if (window.__beforeMove) return null; \
         const s = document.querySelector(arguments[0] + ' select.item-exempt'); \
         const t = document.querySelector(arguments[0] + ' input.item-title'); \
         return s && s.value === '12A:3' && t && !t.readOnly ? true : null;",
        vec![json!(item)],
        |v| v == &json!(true),
    )
    .await?;

    // Keeps editing: the title (bound to Part II), the public title, a new paragraph.
    let title = page
        .client
        .find(Locator::Css(&format!("{item} input.item-title")))
        .await?;
    title.send_keys(SECRET_TITLE).await?;
    let public = page
        .client
        .find(Locator::Css(&format!("{item} input.item-public-title")))
        .await?;
    ensure!(
        public.attr("aria-label").await?.as_deref() == Some("Public title of item 3"),
        "the public title is labelled"
    );
    public.send_keys(PUBLIC_TITLE).await?;
    public.send_keys("\u{e004}").await?; // Tab: commits the change
    page.client
        .find(Locator::Css(&format!("{item} button.add-block")))
        .await?
        .click()
        .await?;
    let area = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!(
            "{item} div.block:last-of-type textarea.block-text"
        )))
        .await?;
    area.send_keys(SECRET_TEXT).await?;
    let saved = page
        .wait_until(
            "Mina",
            "item 3 typed and saved",
            SAVED_ITEM_JS,
            vec![],
            |v| {
                v["title"] == json!(FULL_TITLE)
                    && v["texts"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|x| x == SECRET_TEXT))
            },
        )
        .await?;
    ensure!(saved.is_object(), "{saved}");

    // On the server: Part II holds the text, the main document does not.
    let part2 = SyncClient::connect(
        ClientOptions::new(server.ws_url(&format!(
            "{meeting}/{}",
            minutebook_shared::protocol::PART2_SEGMENT
        )))
        .with_bearer(&taker),
    );
    part2.wait_synced(PATIENCE).await.context("Part II syncs")?;
    let main = SyncClient::connect(ClientOptions::new(server.ws_url(&meeting)).with_bearer(&admin));
    main.wait_synced(PATIENCE)
        .await
        .context("the main document syncs")?;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (in_part2, in_main) = {
            let p2 = Meeting::new(part2.doc().clone());
            let m = Meeting::new(main.doc().clone());
            let (t2, tm) = (part2.doc().transact(), main.doc().transact());
            let full = m.full_view(&tm, &p2, &t2);
            let plain = format!("{:?}", m.view(&tm));
            let item3 = full.items.iter().find(|i| i.number == "3").cloned();
            (item3, plain)
        };
        let item3 = in_part2.context("item 3 in the full view")?;
        ensure!(
            !in_main.contains(SECRET_TITLE) && !in_main.contains(SECRET_TEXT),
            "the main document never holds the restricted text"
        );
        let done = item3.title == FULL_TITLE
            && item3.blocks.iter().any(|b| b.text == SECRET_TEXT)
            && item3.public_title == PUBLIC_TITLE;
        if done {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "Part II holds item 3's text: {item3:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The observer's page (reloaded on the rebuilt minutes): the placeholder, never the
    // text — in the reading view, and in the editor's placeholder section alike.
    let seen = watcher
        .wait_until(
            "Otto",
            "item 3 as its placeholder",
            "const t = document.body.textContent; \
             return t.includes(arguments[0]) && t.includes(arguments[1]) ? t : null;",
            vec![
                json!(PUBLIC_TITLE),
                json!("Exempt item — Schedule 12A paragraph 3"),
            ],
            |v| v.is_string(),
        )
        .await?;
    let text = seen.as_str().unwrap_or_default();
    ensure!(
        text.contains("Exempt item — Schedule 12A paragraph 3"),
        "the observer sees the placeholder: {text}"
    );
    ensure!(
        !text.contains(SECRET_TITLE) && !text.contains(SECRET_TEXT),
        "the observer never sees the restricted text"
    );
    // Nor does the observer's browser hold it anywhere (offline copies included).
    let stored = watcher
        .js(
            "return Object.keys(localStorage).map(k => localStorage.getItem(k)).join(' ');",
            vec![],
        )
        .await?;
    ensure!(
        !stored.as_str().unwrap_or_default().contains("settlement"),
        "the observer's browser stores nothing of it"
    );

    // Indenting public item 4 under exempt item 3 from the outline is refused, saying why.
    let four = page
        .js(
            "const e = document.querySelector(\"#outline li[data-number='4']\"); \
             if (!e) return null; e.focus(); return e.dataset.item;",
            vec![],
        )
        .await?;
    let four = four.as_str().context("item 4 in the outline")?.to_owned();
    page.client
        .active_element()
        .await?
        .send_keys(&format!("{}{}", Key::Alt, Key::Right))
        .await?;
    let refused = page
        .wait_until(
            "Mina",
            "the refusal",
            "const r = document.getElementById('move-refused'); \
             return r && r.getAttribute('role') === 'alert' ? r.textContent : null;",
            vec![],
            |v| v.is_string(),
        )
        .await?;
    let refused = refused.as_str().unwrap_or_default();
    ensure!(
        refused.contains("Item 4")
            && refused.contains("is public")
            && refused.contains("exempt item 3")
            && refused.contains("mark item 4 exempt"),
        "the alert says why and what to do: {refused}"
    );
    let number = page
        .js(
            "const e = document.querySelector(`#outline li[data-item=\"${arguments[0]}\"]`); \
             return e ? e.dataset.number : null;",
            vec![json!(four)],
        )
        .await?;
    ensure!(number == json!("4"), "item 4 stays where it was: {number}");
    // Item 4's title (its date is in the header's next meeting too); one of its paragraphs.
    let words = "Confirmation of next meeting";
    let paragraph = "Performance";
    {
        let m = Meeting::new(main.doc().clone());
        let view = m.view(&main.doc().transact());
        let item4 = view.items.iter().find(|i| i.id.0 == four);
        ensure!(
            item4.is_some_and(|i| i.parent.is_none() && i.withheld_by.is_none()),
            "the server's minutes hold item 4 at the top level, public"
        );
    }
    ensure!(
        watcher
            .js("return document.body.textContent;", vec![])
            .await?
            .as_str()
            .unwrap_or_default()
            .contains(words),
        "the observer reads item 4"
    );

    // Their copies are of the minutes about to be rebuilt.
    main.close().await;
    part2.close().await;

    // A modified client indents it anyway: the server moves it into Part II at once.
    watcher
        .js("window.__beforeIndent = true; return null;", vec![])
        .await?;
    let hostile =
        SyncClient::connect(ClientOptions::new(server.ws_url(&meeting)).with_bearer(&taker));
    hostile
        .wait_synced(PATIENCE)
        .await
        .context("the modified client syncs")?;
    {
        let m = Meeting::new(hostile.doc().clone());
        m.indent_item(&mut m.doc().transact_mut(), &four.as_str().into())
            .context("indented")?;
    }
    watcher
        .wait_until(
            "Otto",
            "the reloaded page without item 4's text",
            "const t = document.body.textContent; \
             return { reloaded: !window.__beforeIndent, placeholder: t.includes(arguments[1]), \
                      words: t.includes(arguments[0]) };",
            vec![
                json!(words),
                json!("Exempt item — Schedule 12A paragraph 3"),
            ],
            |v| v == &json!({"reloaded": true, "placeholder": true, "words": false}),
        )
        .await?;
    page.wait_until(
        "Mina",
        "item 4's text as a sub-item of item 3",
        "const i = document.querySelector(`section.item[data-item=\"${arguments[0]}\"]`); \
         if (!i || !i.dataset.number.startsWith('3.')) return null; \
         return [...i.querySelectorAll('textarea.block-text')].some(t => t.value.includes(arguments[1])) \
           ? true : null;",
        vec![json!(four), json!(paragraph)],
        |v| v == &json!(true),
    )
    .await?;
    hostile.close().await;
    Ok(())
}

/// Waits for the browser's confirmation dialog; its text.
async fn wait_for_alert(page: &Browser) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Ok(text) = page.client.get_alert_text().await {
            return Ok(text);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no confirmation dialog"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A confidential item needs its reason: choosing "Confidential" asks for it (an input
/// labelled for screen readers, at most 500 characters) before anything moves, and the
/// reason reaches the minutes with the move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confidential_item_moves_with_its_reason() {
    require_built_client();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path()).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = confidential(&server, &driver, &mut browsers).await;
    finish_process(browsers, driver, server, outcome).await;
}

async fn confidential(
    server: &ServerProcess,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let origin = format!("http://{}", server.addr);
    let FixtureMeeting { admin, meeting, .. } = server.fixture_with_chair("Chloe Chair").await;
    let taker = member(
        server.addr,
        &admin,
        &meeting,
        "Mina Minutes",
        None,
        Role::MinuteTaker,
    )
    .await;
    browsers.push(Browser::open(driver).await?);
    let page = &browsers[0];
    page.open_meeting(&origin, &taker, &meeting).await?;
    let item = "section.item[data-number='3']";
    let select = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("{item} select.item-exempt")))
        .await?;
    page.js("window.__beforeMove = true; return null;", vec![])
        .await?;
    select.select_by_value("confidential").await?;
    // Nothing moves yet: the reason comes first.
    let reason = page
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("{item} input.item-exempt-reason")))
        .await?;
    ensure!(
        reason.attr("aria-label").await?.as_deref() == Some("Reason item 3 is confidential"),
        "the reason is labelled"
    );
    ensure!(
        reason.attr("maxlength").await?.as_deref() == Some("500"),
        "at most 500 characters"
    );
    ensure!(
        page.client.get_alert_text().await.is_err(),
        "no confirmation before the reason"
    );
    reason.send_keys("Legal advice").await?;
    page.client
        .find(Locator::Css(&format!("{item} button.item-exempt-apply")))
        .await?
        .click()
        .await?;
    let question = wait_for_alert(page).await?;
    ensure!(question.contains("Part II"), "{question:?}");
    page.client.accept_alert().await?;
    page.wait_until(
        "Mina",
        "the reloaded page with item 3 confidential",
        "if (window.__beforeMove) return null; \
         const s = document.querySelector(arguments[0] + ' select.item-exempt'); \
         const r = document.querySelector(arguments[0] + ' input.item-exempt-reason'); \
         return s && s.value === 'confidential' && r ? r.value : null;",
        vec![json!(item)],
        |v| v == &json!("Legal advice"),
    )
    .await?;
    Ok(())
}

/// An attendee without restricted access, attributed in an exempt item, finds their own
/// Part II statement under "My statements" (with the exempt item's public heading, never
/// its restricted title or anything else of it) and confirms it from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attendee_confirms_their_own_part_two_statement() {
    require_built_client();
    let mut server = minutebook_tests::TestServer::start().await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = attendee_scenario(&server, &driver, &mut browsers).await;
    minutebook_tests::browser::finish(browsers, driver, &mut server, outcome).await;
}

async fn attendee_scenario(
    server: &minutebook_tests::TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let r = server
        .http()
        .post_text(
            "/api/meetings/import?format=markdown",
            minutebook_tests::EXEMPT_MINUTES,
        )
        .await;
    ensure!(r.status == 201, "import: {}", r.text());
    let meeting = r.json()["name"].as_str().context("name")?.to_owned();
    let admin = server.client(&meeting);
    admin.wait_synced(PATIENCE).await?;
    let m = Meeting::new(admin.doc().clone());
    let director = m
        .view(&m.doc().transact())
        .people
        .iter()
        .find(|p| p.person.short == "DD")
        .map(|p| p.id.as_str().to_owned())
        .context("DD in the register")?;
    admin.close().await;
    let attendee = server
        .member(&meeting, "Dana Director", Some(&director), Role::Attendee)
        .await;

    let origin = format!("http://{}", server.addr());
    browsers.push(Browser::open(driver).await?);
    let page = &browsers[0];
    page.open_meeting(&origin, &attendee, &meeting).await?;
    const MINE: &str = "const li = [...document.querySelectorAll('li.my-statement')] \
         .find(l => l.textContent.includes('SECRET-PRICE')); \
         return li ? { status: li.dataset.status, text: li.textContent, \
         page: document.body.innerText } : null;";
    let seen = page
        .wait_until("Dana", "her Part II statement", MINE, vec![], |v| {
            !v.is_null()
        })
        .await?;
    ensure!(seen["status"] == "pending", "not yet confirmed: {seen}");
    let text = seen["text"].as_str().unwrap_or_default();
    ensure!(
        text.contains("Exempt item — Schedule 12A paragraph 3 — Contract award"),
        "titled with the public heading: {text}"
    );
    let body = seen["page"].as_str().unwrap_or_default();
    ensure!(
        !body.contains("SECRET-TENDER") && !body.contains("SECRET-NEGOTIATION"),
        "nothing else of Part II on her page: {body}"
    );
    page.js(
        "const li = [...document.querySelectorAll('li.my-statement')] \
         .find(l => l.textContent.includes('SECRET-PRICE')); \
         li.querySelector('button.confirm').click(); return null;",
        vec![],
    )
    .await?;
    page.wait_until("Dana", "her confirmation", MINE, vec![], |v| {
        v["status"] == "confirmed"
    })
    .await?;
    let ledger = server
        .http()
        .get(&format!("/api/meetings/{meeting}/readiness"))
        .await
        .json();
    ensure!(
        ledger["confirmed"].as_u64() == Some(1),
        "the server recorded it: {ledger}"
    );
    Ok(())
}
