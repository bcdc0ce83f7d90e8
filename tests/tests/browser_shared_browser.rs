//! One browser, two people, or one person in two tabs: the unsaved copy a page keeps in
//! `localStorage` belongs to the person who wrote it, and to the tab. Another person
//! signing in on the same browser never sends it (it would go out under their sign-in,
//! where the server refuses it: its Yjs client id is the first person's), and its
//! writer's next visit still saves it. Two tabs offline keep both tabs' edits. A copy
//! that holds content the server refuses anyway (close 1007) is discarded and the
//! minutes reload as saved, once, saying why: the page does not reconnect to send it
//! again, forever.
//!
//! Needs the built client (`scripts/build-client.sh`) and Debian's chromium +
//! chromium-driver. Everything waits by polling with a deadline ([`PATIENCE`]); no sleep
//! is an assertion. Page hooks: `client/DOM.md`.

use anyhow::{ensure, Context};
use base64::Engine;
use fantoccini::Locator;
use minutebook_shared::client::{ClientOptions, SyncClient};
use minutebook_shared::meeting::{BlockId, Meeting, MeetingView};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_browser, require_built_client, Browser, Driver};
use minutebook_tests::{invite, redeem, seed_fixture, TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Text, Transact};

const MEETING: &str = "shared-browser";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_s_unsaved_copy_is_never_sent_under_another_s_sign_in() {
    require_built_client();
    require_browser();
    let mut server = TestServer::start().await;
    let seeded = seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&mut server, &seeded, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// One person, two tabs, both offline: each tab types, both are closed before the server
/// is back. The next page applies both tabs' copies and saves both edits (each tab kept
/// its own copy; one shared copy kept only the last tab's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_offline_keep_both_tabs_edits() {
    require_built_client();
    require_browser();
    let mut server = TestServer::start().await;
    let seeded = seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = two_tabs(&mut server, &seeded, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn two_tabs(
    server: &mut TestServer,
    seeded: &MeetingView,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let ann = member(server, "Ann").await?;
    let first_block = |number: &str| -> anyhow::Result<(BlockId, String)> {
        let block = seeded
            .items
            .iter()
            .find(|i| i.number == number)
            .and_then(|i| i.blocks.first())
            .with_context(|| format!("a block in item {number}"))?;
        Ok((block.id.clone(), block.text.clone()))
    };
    let (one, one_text) = first_block("2.1")?;
    let (two, two_text) = first_block("2.2")?;
    browsers.push(Browser::open(driver).await?);
    let browser = &browsers[0];
    let origin = server.http_url();

    // Two tabs of the meeting, both saved.
    browser.open_meeting(&origin, &ann.token, MEETING).await?;
    wait_state(browser, "tab 1", "saved").await?;
    let tab1 = browser
        .client
        .window()
        .await
        .context("the first tab's handle")?;
    browser
        .js("window.open('about:blank', '_blank'); return null;", vec![])
        .await
        .context("open a second tab")?;
    let tab2 = browser
        .client
        .windows()
        .await
        .context("the tabs")?
        .into_iter()
        .find(|w| *w != tab1)
        .context("a second tab")?;
    browser
        .client
        .switch_to_window(tab2.clone())
        .await
        .context("switch to the second tab")?;
    browser
        .client
        .goto(&format!("{origin}?meeting={MEETING}"))
        .await?;
    wait_state(browser, "tab 2", "saved").await?;

    // Offline, each tab types into its own block; the first tab types last.
    let addr = server.addr();
    server.stop().await;
    wait_state(browser, "tab 2", "offline").await?;
    type_at_end(browser, &two, " [tab two, offline]").await?;
    let two_offline = format!("{two_text} [tab two, offline]");
    wait_block(browser, "tab 2", &two, &two_offline).await?;
    browser.client.switch_to_window(tab1.clone()).await?;
    wait_state(browser, "tab 1", "offline").await?;
    type_at_end(browser, &one, " [tab one, offline]").await?;
    let one_offline = format!("{one_text} [tab one, offline]");
    wait_block(browser, "tab 1", &one, &one_offline).await?;

    // Both tabs are left before the server is back.
    browser.client.goto("about:blank").await?;
    browser.client.switch_to_window(tab2).await?;
    browser.client.goto("about:blank").await?;
    server.start_again_at(addr).await;
    // (A page of the server's origin that is not the meeting, to read its storage.)
    browser.client.goto(&format!("{origin}healthz")).await?;
    let kept = unsaved_keys(browser).await?;
    ensure!(kept.len() == 2, "each tab keeps its own copy: {kept:?}");

    // The next page applies both copies and saves both edits.
    browser
        .client
        .goto(&format!("{origin}?meeting={MEETING}"))
        .await?;
    wait_text_saved(browser, "the next page", &one, &one_offline).await?;
    wait_text_saved(browser, "the next page", &two, &two_offline).await?;
    ensure!(
        stored_block(server, &one).await? == one_offline
            && stored_block(server, &two).await? == two_offline,
        "the server holds both tabs' edits"
    );
    let keys = unsaved_keys(browser).await?;
    ensure!(keys.is_empty(), "copies left once all is saved: {keys:?}");
    Ok(())
}

async fn wait_block(
    browser: &Browser,
    who: &str,
    block: &BlockId,
    want: &str,
) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("{want:?} typed"),
            BLOCK_TEXT_JS,
            vec![json!(block.as_str())],
            |v| v.as_str() == Some(want),
        )
        .await?;
    Ok(())
}

/// A member: their invitation's id and a session token.
struct Member {
    invite: u64,
    token: String,
}

async fn member(server: &TestServer, name: &str) -> anyhow::Result<Member> {
    let invitation = invite(
        server.addr(),
        &server.admin,
        MEETING,
        name,
        None,
        Role::MinuteTaker,
    )
    .await;
    let link = invitation["link"].as_str().context("a link")?;
    Ok(Member {
        invite: invitation["id"].as_u64().context("an invitation id")?,
        token: redeem(server.addr(), link).await,
    })
}

async fn scenario(
    server: &mut TestServer,
    seeded: &MeetingView,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let ann = member(server, "Ann").await?;
    let ben = member(server, "Ben").await?;
    let first = seeded
        .items
        .iter()
        .find(|i| i.number == "2.1")
        .and_then(|i| i.blocks.first())
        .context("a block in item 2.1")?;
    let (block, original) = (first.id.clone(), first.text.clone());
    browsers.push(Browser::open(driver).await?);
    let browser = &browsers[0];
    let origin = server.http_url();

    // Ann types online, then offline, and leaves the page before the server is back:
    // her browser keeps the offline edit.
    browser.open_meeting(&origin, &ann.token, MEETING).await?;
    wait_state(browser, "Ann", "saved").await?;
    type_at_end(browser, &block, " [Ann, online]").await?;
    let online = format!("{original} [Ann, online]");
    wait_text_saved(browser, "Ann", &block, &online).await?;
    let addr = server.addr();
    server.stop().await;
    wait_state(browser, "Ann", "offline").await?;
    type_at_end(browser, &block, " [Ann, offline]").await?;
    let offline = format!("{online} [Ann, offline]");
    browser
        .wait_until(
            "Ann",
            "her offline edit",
            BLOCK_TEXT_JS,
            vec![json!(block.as_str())],
            |v| v.as_str() == Some(&offline),
        )
        .await?;
    browser.client.goto("about:blank").await?;
    server.start_again_at(addr).await;

    // Ben signs in on the same browser and opens the meeting: he sees what was saved,
    // not Ann's unsaved edit, and nothing of it reaches the server under his sign-in.
    browser.open_meeting(&origin, &ben.token, MEETING).await?;
    wait_text_saved(browser, "Ben", &block, &online).await?;
    ensure!(
        stored_block(server, &block).await? == online,
        "the server holds Ann's unsaved edit after Ben's visit"
    );
    let keys = unsaved_keys(browser).await?;
    let ann_key = format!("#invite {}#", ann.invite);
    ensure!(
        keys.len() == 1 && keys[0].contains(&ann_key),
        "Ann's copy (and only it) stays in the browser for her: {keys:?}"
    );

    // Ann signs in again: her page applies her copy and saves it.
    browser.open_meeting(&origin, &ann.token, MEETING).await?;
    wait_text_saved(browser, "Ann", &block, &offline).await?;
    ensure!(
        stored_block(server, &block).await? == offline,
        "Ann's offline edit was not stored once she came back"
    );
    let keys = unsaved_keys(browser).await?;
    ensure!(keys.is_empty(), "copies left once all is saved: {keys:?}");

    // A copy under Ben's slot that holds content under Ann's client id (a native client
    // of hers wrote online, then offline): the server refuses it (1007). Ben's page says
    // so, discards the copy, reloads the minutes as saved, and stays connected.
    let foreign = ann_s_unsaved_state(server, &ann, &block).await?;
    browser.client.goto(&format!("{origin}healthz")).await?;
    browser
        .js(
            "localStorage.setItem(arguments[0], arguments[1]); return null;",
            vec![
                json!(format!(
                    "minutebook.unsaved:{}#invite {}#1",
                    server.ws_url(MEETING),
                    ben.invite
                )),
                json!(base64::engine::general_purpose::STANDARD.encode(&foreign)),
            ],
        )
        .await?;
    browser.open_meeting(&origin, &ben.token, MEETING).await?;
    // The page reloads (too fast to watch reliably; the reloaded page says why) and is
    // saved, without the refused content.
    let notice = browser
        .wait_until(
            "Ben",
            "the reloaded page's notice",
            RELOADED_JS,
            vec![],
            |v| v.is_string(),
        )
        .await?;
    let notice = notice.as_str().unwrap_or_default().to_owned();
    ensure!(
        notice.contains("refused")
            && notice.contains("another member's")
            && notice.contains("reloaded as saved"),
        "the notice says what happened and why: {notice:?}"
    );
    let saved = format!("{offline} [Ann, native]");
    wait_text_saved(browser, "Ben", &block, &saved).await?;
    ensure!(
        stored_block(server, &block).await? == saved,
        "the refused content reached the server"
    );
    let keys = unsaved_keys(browser).await?;
    ensure!(keys.is_empty(), "the refused copy is still kept: {keys:?}");
    // Ben's page works: his edit saves; he dismisses the notice from the keyboard.
    type_at_end(browser, &block, " [Ben]").await?;
    wait_text_saved(browser, "Ben", &block, &format!("{saved} [Ben]")).await?;
    let dismiss = browser
        .client
        .find(Locator::Css("#reloaded-dismiss"))
        .await?;
    browser
        .js("arguments[0].focus(); return null;", vec![json!(dismiss)])
        .await?;
    dismiss
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await?;
    browser
        .wait_until(
            "Ben",
            "the notice dismissed",
            RELOADED_JS,
            vec![],
            Value::is_null,
        )
        .await?;
    Ok(())
}

/// The whole state of a document of Ann's, including an edit the server never saw, made
/// under a client id the server has seen her write under.
async fn ann_s_unsaved_state(
    server: &TestServer,
    ann: &Member,
    block: &BlockId,
) -> anyhow::Result<Vec<u8>> {
    let append = |doc: &yrs::Doc, text: &str| -> anyhow::Result<()> {
        let meeting = Meeting::new(doc.clone());
        let mut txn = doc.transact_mut();
        let field = meeting
            .block_text(&txn, block)
            .context("the block's text")?;
        let len = field.len(&txn);
        field.insert(&mut txn, len, text);
        Ok(())
    };
    let client =
        SyncClient::connect(ClientOptions::new(server.ws_url(MEETING)).with_bearer(&ann.token));
    client.wait_synced(PATIENCE).await?;
    append(client.doc(), " [Ann, native]")?;
    client.wait_saved(PATIENCE).await?;
    let (id, state) = {
        let txn = client.doc().transact();
        (
            client.doc().client_id().get(),
            txn.encode_state_as_update_v1(&StateVector::default()),
        )
    };
    client.close().await;
    // Her copy goes on under the same client id, offline.
    let copy = yrs::Doc::with_client_id(id);
    copy.transact_mut()
        .apply_update(yrs::Update::decode_v1(&state)?)?;
    append(&copy, " [Ann, from her copy]")?;
    let state = copy
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    Ok(state)
}

async fn type_at_end(browser: &Browser, block: &BlockId, text: &str) -> anyhow::Result<()> {
    let area = browser
        .client
        .find(Locator::Css(&format!(
            "div.block[data-block=\"{block}\"] textarea.block-text"
        )))
        .await?;
    area.click().await?;
    browser
        .js(
            "const el = arguments[0]; el.focus(); el.setSelectionRange(el.value.length, el.value.length); return null;",
            vec![json!(area)],
        )
        .await?;
    area.send_keys(text).await?;
    Ok(())
}

async fn wait_state(browser: &Browser, who: &str, state: &str) -> anyhow::Result<()> {
    browser
        .wait_until(who, &format!("status {state}"), STATE_JS, vec![], |v| {
            v.as_str() == Some(state)
        })
        .await?;
    Ok(())
}

/// Waits until the page shows `want` in `block` and everything is saved.
async fn wait_text_saved(
    browser: &Browser,
    who: &str,
    block: &BlockId,
    want: &str,
) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("{want:?} saved"),
            TEXT_AND_STATE_JS,
            vec![json!(block.as_str())],
            |v| v["text"].as_str() == Some(want) && v["state"].as_str() == Some("saved"),
        )
        .await?;
    Ok(())
}

/// The block's text as the server stores it (a fresh native client, as the admin).
async fn stored_block(server: &TestServer, block: &BlockId) -> anyhow::Result<String> {
    let client = server.client(MEETING);
    client.wait_synced(PATIENCE).await?;
    let meeting = Meeting::new(client.doc().clone());
    let text = {
        let txn = client.doc().transact();
        let view = meeting.view(&txn);
        view.items
            .iter()
            .flat_map(|i| i.blocks.iter())
            .find(|b| &b.id == block)
            .map(|b| b.text.clone())
    };
    client.close().await;
    text.context("the block on the server")
}

async fn unsaved_keys(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let v = browser
        .js(
            "return Object.keys(localStorage).filter(k => k.startsWith('minutebook.unsaved:'))",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

const STATE_JS: &str =
    "const s = document.getElementById('status'); return s ? s.dataset.state : null;";

const BLOCK_TEXT_JS: &str = "
    const t = document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`);
    return t ? t.value : null;";

const TEXT_AND_STATE_JS: &str = "
    const t = document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`);
    const s = document.getElementById('status');
    return { text: t ? t.value : null, state: s ? s.dataset.state : null };";

const RELOADED_JS: &str =
    "const n = document.getElementById('reloaded-notice'); return n ? n.textContent : null;";
