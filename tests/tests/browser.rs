//! The real web client in real browsers: two headless Chromium sessions, driven through
//! chromedriver (WebDriver), open one document on a real server and co-edit its textarea.
//! Each sees the other's typing live (non-ASCII and emoji included), a local caret or
//! selection stays next to the same characters while the other side types before it,
//! the status indicator reaches "saved", turns "offline" when the server goes away, and
//! edits typed offline reach the other browser once the server is back, even when the
//! page was closed before it came back (kept in `localStorage`). Screen readers
//! hear the connection loss and the reconnect, not every saving/saved flip.
//!
//! Needs the built client (`scripts/build-client.sh`) and Debian's chromium +
//! chromium-driver (`scripts/setup.sh --browser`). Everything waits by polling with a
//! deadline ([`PATIENCE`]); no sleep is an assertion.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use minutebook_tests::browser::{finish, require_browser, require_built_client, Browser, Driver};
use minutebook_tests::{TestServer, PATIENCE};
use serde_json::{json, Value};

const DOC: &str = "browser-e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browsers_co_edit_one_textarea() {
    require_built_client();
    require_browser();
    let mut server = TestServer::start().await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&mut server, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// The disk fills up under the page: it says "Not saved — the server cannot write" (and
/// the screen reader hears it), keeps the text, and once the disk has room again saves it
/// with no reload; the server holds it across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_keeps_the_page_s_edits_and_saves_them_when_it_has_room() {
    require_built_client();
    require_browser();
    let faults = minutebook_server::store::faults::FaultSwitch::default();
    let switch = faults.clone();
    let mut server = TestServer::start_with(move |c| c.storage_faults = Some(switch)).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = disk_full(&mut server, &faults, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn disk_full(
    server: &mut TestServer,
    faults: &minutebook_server::store::faults::FaultSwitch,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    const FULL: &str = "disk-full";
    let browser = Browser::open(driver).await?;
    browser.sign_in(&server.http_url(), &server.admin).await?;
    let url = format!("{}?doc={FULL}", server.http_url());
    browser.client.goto(&url).await.context("open the page")?;
    browsers.push(browser);
    let page = &browsers[0].client;
    wait_for(page, "page", "the first sync", |e| e.state == "saved").await?;
    let editor = page.find(Locator::Css("#editor")).await?;
    editor.send_keys("Before. ").await?;
    wait_for(page, "page", "the first text saved", |e| {
        e.state == "saved" && e.value == "Before. "
    })
    .await?;

    faults.fill_disk();
    editor.send_keys("During the outage.").await?;
    let seen = wait_for(page, "page", "the cannot-write state", |e| {
        e.state == "cannot-write"
    })
    .await?;
    ensure!(
        seen.label == "Not saved — the server cannot write",
        "status text {:?}",
        seen.label
    );
    ensure!(
        seen.announced.contains("the server cannot write"),
        "announced {:?}",
        seen.announced
    );
    ensure!(
        seen.value == "Before. During the outage.",
        "the page kept its text: {:?}",
        seen.value
    );

    faults.heal();
    let seen = wait_for(page, "page", "saved once the disk has room", |e| {
        e.state == "saved"
    })
    .await?;
    ensure!(
        seen.value == "Before. During the outage.",
        "the page's text after the outage: {:?}",
        seen.value
    );
    ensure!(
        seen.announced.contains("write again"),
        "announced {:?}",
        seen.announced
    );
    for _ in 0..2 {
        let reader = server.client(FULL);
        reader
            .wait_synced(PATIENCE)
            .await
            .context("a reader syncs")?;
        let text = reader
            .doc()
            .get_or_insert_text(minutebook_shared::schema::TEXT);
        let stored = yrs::GetString::get_string(&text, &yrs::Transact::transact(reader.doc()));
        reader.close().await;
        ensure!(
            stored == "Before. During the outage.",
            "the server holds {stored:?}"
        );
        server.restart().await;
    }
    Ok(())
}

async fn scenario(
    server: &mut TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let url = format!("{}?doc={DOC}", server.http_url());
    for _ in 0..2 {
        let browser = Browser::open(driver).await?;
        browser.sign_in(&server.http_url(), &server.admin).await?;
        browser.client.goto(&url).await.context("open the page")?;
        browsers.push(browser);
    }
    let (a, b) = (&browsers[0].client, &browsers[1].client);

    // Both load, sync the empty document and report it saved, accessibly.
    for (who, client) in [("A", a), ("B", b)] {
        let seen = wait_for(client, who, "the first sync", |e| e.state == "saved").await?;
        ensure!(
            seen.value.is_empty(),
            "{who}: a new document is empty, got {:?}",
            seen.value
        );
        ensure!(
            seen.label == "All changes saved",
            "{who}: status text {:?}",
            seen.label
        );
        // The visible indicator is not a live region (it flips on every keystroke); the
        // announcer is, and has said nothing on a plain first connect.
        let status = client.find(Locator::Css("#status")).await?;
        ensure!(
            status.attr("aria-live").await?.as_deref() == Some("off"),
            "{who}: #status aria-live"
        );
        let announcer = client.find(Locator::Css("#status-announcer")).await?;
        ensure!(
            announcer.attr("role").await?.as_deref() == Some("status")
                && announcer.attr("aria-live").await?.as_deref() == Some("polite"),
            "{who}: #status-announcer is a polite status region"
        );
        ensure!(
            seen.announced.is_empty(),
            "{who}: announced {:?} on connecting",
            seen.announced
        );
        let label = client.find(Locator::Css("label[for=editor]")).await?;
        ensure!(
            label.text().await? == "Minutes",
            "{who}: the textarea's label"
        );
    }
    let editor_a = a.find(Locator::Css("#editor")).await?;
    let editor_b = b.find(Locator::Css("#editor")).await?;

    // A types; B sees it.
    let first = "Hello from A, café 漢字";
    editor_a.send_keys(first).await?;
    wait_for(b, "B", "A's first line", |e| e.value == first).await?;

    // B puts its caret at the end with the keyboard and leaves it there.
    editor_b.click().await?;
    editor_b.send_keys(&Key::End.to_string()).await?;
    let end = utf16(first);
    wait_for(b, "B", "its caret at the end", |e| {
        e.focused && (e.start, e.end) == (end, end)
    })
    .await?;

    // A types before B's caret: B's caret moves along with the text it was next to.
    editor_a.send_keys(&Key::Home.to_string()).await?;
    editor_a.send_keys("Minutes: ").await?;
    let second = format!("Minutes: {first}");
    let seen = wait_for(b, "B", "A's prefix", |e| e.value == second).await?;
    let end = utf16(&second);
    ensure!(
        (seen.start, seen.end) == (end, end),
        "B's caret moved off the end: {seen:?}"
    );
    ensure!(seen.focused, "B lost focus to a remote edit: {seen:?}");

    // A pastes an emoji (two UTF-16 units) at the very start, the way an IME or the
    // clipboard does: one input event inserting a surrogate pair.
    a.execute(
        "const el = document.getElementById('editor');
         el.setRangeText(arguments[0], 0, 0, 'end');
         el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));",
        vec![json!("👍 ")],
    )
    .await?;
    let third = format!("👍 {second}");
    let seen = wait_for(b, "B", "A's emoji", |e| e.value == third).await?;
    let end = utf16(&third);
    ensure!(
        (seen.start, seen.end) == (end, end),
        "B's caret after the emoji: {seen:?}"
    );

    // B types at its caret; A (caret right after the emoji) keeps its caret.
    editor_b.send_keys(" — and B agrees").await?;
    let fourth = format!("{third} — and B agrees");
    let seen = wait_for(a, "A", "B's addition", |e| e.value == fourth).await?;
    ensure!(
        (seen.start, seen.end) == (3, 3),
        "A's caret moved: {seen:?}"
    );

    // B selects "café"; A types before it: the selection still covers "café".
    let cafe_start = utf16(&fourth[..fourth.find("café").context("café")?]);
    let cafe = (cafe_start, cafe_start + utf16("café"));
    b.execute(
        "const el = document.getElementById('editor'); el.focus(); el.setSelectionRange(arguments[0], arguments[1]);",
        vec![json!(cafe.0), json!(cafe.1)],
    )
    .await?;
    editor_a.send_keys("[draft] ").await?;
    let fifth = format!("👍 [draft] {}", &fourth["👍 ".len()..]);
    let seen = wait_for(b, "B", "A's second insertion", |e| e.value == fifth).await?;
    let shift = utf16("[draft] ");
    ensure!(
        (seen.start, seen.end) == (cafe.0 + shift, cafe.1 + shift),
        "B's selection moved off café: {seen:?}"
    );
    let selected: String = fifth.encode_utf16().collect::<Vec<_>>()
        [seen.start as usize..seen.end as usize]
        .iter()
        .map(|&u| char::from_u32(u32::from(u)).unwrap_or('?'))
        .collect();
    ensure!(selected == "café", "B's selection holds {selected:?}");

    // Everything is durable, and both show the same text.
    for (who, client) in [("A", a), ("B", b)] {
        let seen = wait_for(client, who, "everything saved", |e| {
            e.state == "saved" && e.value == fifth
        })
        .await?;
        ensure!(
            seen.announced.is_empty(),
            "{who}: typing and saving were announced: {:?}",
            seen.announced
        );
    }

    // The server goes away: both say so, and keep the text.
    let addr = server.addr();
    server.stop().await;
    for (who, client) in [("A", a), ("B", b)] {
        let seen = wait_for(client, who, "the offline state", |e| e.state == "offline").await?;
        ensure!(
            seen.value == fifth,
            "{who} lost text going offline: {seen:?}"
        );
        ensure!(
            seen.label.starts_with("Offline"),
            "{who}: status text {:?}",
            seen.label
        );
        ensure!(
            seen.announced.starts_with("Connection lost."),
            "{who}: screen readers were told {:?}",
            seen.announced
        );
    }

    // B keeps typing offline; the edit stays local.
    editor_b.send_keys(&Key::End.to_string()).await?;
    editor_b.send_keys(" (typed offline)").await?;
    let sixth = format!("{fifth} (typed offline)");
    wait_for(b, "B", "its offline edit", |e| {
        e.value == sixth && e.state == "offline"
    })
    .await?;

    // The server comes back at the same address over the same data: both reconnect on
    // their own, B's offline edit reaches A, and everything is saved again.
    let mut config = server.config.clone();
    config.listen = addr;
    let reconnected = async {
        for (who, client) in [("A", a), ("B", b)] {
            let seen = wait_for(
                client,
                who,
                "the offline edit saved after reconnecting",
                |e| e.state == "saved" && e.value == sixth,
            )
            .await?;
            ensure!(
                seen.announced == "Reconnected.",
                "{who}: screen readers were told {:?}",
                seen.announced
            );
        }
        anyhow::Ok(())
    };
    while_serving(config.clone(), reconnected).await?;

    // Offline again, B types and then leaves the page before the server is back: the
    // browser kept the edit, and the next visit sends it.
    wait_for(b, "B", "the offline state again", |e| e.state == "offline").await?;
    editor_b.send_keys(&Key::End.to_string()).await?;
    editor_b.send_keys(" (page closed offline)").await?;
    let seventh = format!("{sixth} (page closed offline)");
    wait_for(b, "B", "its second offline edit", |e| e.value == seventh).await?;
    b.goto("about:blank").await.context("leave the page")?;
    let reopened = async {
        b.goto(&url).await.context("open the page again")?;
        for (who, client) in [("A", a), ("B", b)] {
            wait_for(client, who, "the edit kept in B's browser, saved", |e| {
                e.state == "saved" && e.value == seventh
            })
            .await?;
        }
        // Once saved, nothing of it stays in B's browser.
        let left: Value = b
            .execute(
                "return Object.keys(localStorage).filter(k => k.startsWith('minutebook.unsaved:'))",
                vec![],
            )
            .await?;
        ensure!(left == json!([]), "B's browser still keeps {left}");
        anyhow::Ok(())
    };
    while_serving(config, reopened).await
}

/// Restarts the server over `config`, runs `steps` against it, then stops it (flushing)
/// whatever `steps` gave.
async fn while_serving(
    config: minutebook_server::config::ServerConfig,
    steps: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let restarted = minutebook_server::start(config)
        .await
        .context("restart the server")?;
    let result = steps.await;
    restarted
        .shutdown()
        .await
        .context("stop the restarted server")?;
    result
}

/// What a page shows: the textarea's value and selection, and the status indicator.
#[derive(Debug, Clone)]
struct Editor {
    value: String,
    start: u64,
    end: u64,
    focused: bool,
    state: String,
    label: String,
    /// What the screen-reader announcer holds.
    announced: String,
}

const SNAPSHOT_JS: &str = "
    const el = document.getElementById('editor');
    const status = document.getElementById('status');
    const announcer = document.getElementById('status-announcer');
    if (!el || !status || !announcer) return null;
    return {
        value: el.value, start: el.selectionStart, end: el.selectionEnd,
        focused: document.activeElement === el,
        state: status.dataset.state || '', label: status.textContent.trim(),
        announced: announcer.textContent.trim(),
    };";

async fn snapshot(client: &Client) -> anyhow::Result<Option<Editor>> {
    let v: Value = client.execute(SNAPSHOT_JS, vec![]).await?;
    if v.is_null() {
        return Ok(None);
    }
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Ok(Some(Editor {
        value: text("value"),
        start: v["start"].as_u64().unwrap_or(u64::MAX),
        end: v["end"].as_u64().unwrap_or(u64::MAX),
        focused: v["focused"].as_bool().unwrap_or(false),
        state: text("state"),
        label: text("label"),
        announced: text("announced"),
    }))
}

/// Polls the page until `done` holds, or fails after [`PATIENCE`] showing what it saw.
async fn wait_for(
    client: &Client,
    who: &str,
    what: &str,
    done: impl Fn(&Editor) -> bool,
) -> anyhow::Result<Editor> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let seen = snapshot(client).await?;
        if let Some(editor) = seen.as_ref().filter(|e| done(e)) {
            return Ok(editor.clone());
        }
        if Instant::now() > deadline {
            bail!("{who}: no {what} within {PATIENCE:?}; last seen {seen:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn utf16(s: &str) -> u64 {
    s.encode_utf16().count() as u64
}
