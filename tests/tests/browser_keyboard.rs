//! The meeting page from the keyboard alone, in headless Chromium on a real server:
//! flagging an action (Alt+A, the dialog's fields by Tab, focus kept inside the dialog,
//! Enter submits, focus back in the block) and moving an item in the outline (Alt+Arrow,
//! then Enter takes the focus to the item itself; the move is announced politely), and an
//! attendee confirming her statement by Tab and Enter, which the minute-taker's page
//! announces.

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use minutebook_shared::meeting::MeetingView;
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{invite, seed_fixture, TestServer};
use serde_json::{json, Value};

const MEETING: &str = "keyboard-e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_taker_flags_an_action_and_moves_an_item_from_the_keyboard() {
    require_built_client();
    let mut server = TestServer::start().await;
    let seeded = seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &seeded, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn scenario(
    server: &TestServer,
    seeded: &MeetingView,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    browsers
        .push(Browser::open_invited(driver, server, MEETING, "Alice", Role::MinuteTaker).await?);
    let a = &browsers[0];

    // Flag an action: focus in a block, Alt+A opens the dialog with the focus in it.
    let item3 = seeded
        .items
        .iter()
        .find(|i| i.number == "3")
        .context("item 3")?;
    let block = item3
        .blocks
        .first()
        .context("a block in item 3")?
        .id
        .0
        .clone();
    a.wait_until("A", "the block", BLOCK_JS, vec![json!(block)], |v| {
        v == true
    })
    .await?;
    a.js(
        "document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`).focus();",
        vec![json!(block)],
    )
    .await?;
    keys(a, &format!("{}a", Key::Alt)).await?;
    focus_is(a, "#action-desc").await?;
    keys(a, "Send the estates plan to the panel").await?;
    keys(a, &Key::Tab.to_string()).await?;
    focus_is(a, "#action-owner").await?;
    keys(a, &Key::Down.to_string()).await?;
    let owner = a
        .js(
            "return document.getElementById('action-owner').value;",
            vec![],
        )
        .await?;
    ensure!(
        owner.as_str().is_some_and(|o| !o.is_empty()),
        "an owner is chosen"
    );
    keys(a, &Key::Tab.to_string()).await?;
    focus_is(a, "#action-more-owners summary").await?;
    keys(a, &Key::Tab.to_string()).await?;
    focus_is(a, "#action-due").await?;
    keys(a, "next meeting").await?;
    keys(a, &Key::Tab.to_string()).await?;
    focus_is(a, "#action-due-date").await?;
    // The date picker's day, month and year take a Tab each; then the buttons.
    let mut tabs = 0;
    while a.js(FOCUSED_SUBMIT_JS, vec![]).await? != json!(true) {
        ensure!(tabs < 6, "Tab never reached the dialog's submit button");
        keys(a, &Key::Tab.to_string()).await?;
        tabs += 1;
    }
    // Past the last button, Tab comes back to the first field (the dialog keeps focus).
    keys(a, &Key::Tab.to_string()).await?;
    focus_is(a, ".dialog-buttons button:last-child").await?;
    keys(a, &Key::Tab.to_string()).await?;
    focus_is(a, "#action-desc").await?;
    keys(a, &format!("{}{}", Key::Shift, Key::Tab)).await?;
    focus_is(a, ".dialog-buttons button:last-child").await?;
    // Shift+Tab to "Flag action", Enter submits; the focus is back in the block.
    keys(a, &format!("{}{}", Key::Shift, Key::Tab)).await?;
    focus_is(a, "#action-form button[type=submit]").await?;
    keys(a, &Key::Enter.to_string()).await?;
    a.wait_until(
        "A",
        "the dialog closed",
        "return !document.getElementById('action-form');",
        vec![],
        |v| v == true,
    )
    .await?;
    a.wait_until(
        "A",
        "the focus back in the block",
        FOCUSED_BLOCK_JS,
        vec![],
        |v| v.as_str() == Some(block.as_str()),
    )
    .await?;
    a.wait_until(
        "A",
        "the action in place",
        ACTION_IN_PLACE_JS,
        vec![json!(block)],
        |v| {
            v.as_array().is_some_and(|lines| {
                lines.iter().any(|l| {
                    l.as_str().is_some_and(|l| {
                        l.contains("Send the estates plan to the panel")
                            && l.contains("due next meeting")
                    })
                })
            })
        },
    )
    .await?;

    // Move item 3 up from the outline with Alt+ArrowUp; Enter goes to the item itself.
    let id = item3.id.0.clone();
    a.js(
        "document.querySelector(`#outline li[data-item=\"${arguments[0]}\"]`).focus();",
        vec![json!(id)],
    )
    .await?;
    keys(a, &format!("{}{}", Key::Alt, Key::Up)).await?;
    a.wait_until("A", "item 3 renumbered", NUMBER_JS, vec![json!(id)], |v| {
        v.as_str().is_some_and(|n| n != "3")
    })
    .await?;
    a.wait_until("A", "the move announced", ANNOUNCED_JS, vec![], |v| {
        v.as_str()
            .is_some_and(|t| t.starts_with("Item “") && t.contains("moved to"))
    })
    .await?;
    keys(a, &Key::Enter.to_string()).await?;
    a.wait_until(
        "A",
        "the focus on the item's title",
        FOCUSED_ITEM_JS,
        vec![],
        |v| v.as_str() == Some(id.as_str()),
    )
    .await?;

    // An attendee who speaks in the minutes confirms her statement with Tab and Enter.
    let speaker = seeded
        .items
        .iter()
        .flat_map(|i| &i.blocks)
        .find_map(|b| b.speakers.first().map(|p| p.0.clone()))
        .context("an attributed statement")?;
    let invitation = invite(
        server.addr(),
        &server.admin,
        MEETING,
        "Pippa",
        Some(&speaker),
        Role::Attendee,
    )
    .await;
    let link = invitation["link"].as_str().context("link")?.to_owned();
    browsers.push(Browser::open(driver).await?);
    let (a, p) = (&browsers[0], &browsers[1]);
    p.accept_invitation(&link, None).await?;
    p.wait_until("P", "her statements", MINE_JS, vec![], |v| {
        v.as_u64().is_some_and(|n| n > 0)
    })
    .await?;
    p.js(
        "document.activeElement && document.activeElement.blur();",
        vec![],
    )
    .await?;
    let mut reached = None;
    for _ in 0..80 {
        p.client
            .active_element()
            .await?
            .send_keys(&Key::Tab.to_string())
            .await?;
        let at = p.js(CONFIRM_FOCUSED_JS, vec![]).await?;
        if at.is_string() {
            reached = Some(at);
            break;
        }
    }
    let confirming = reached.context("Tab never reached a Confirm button")?;
    keys(p, &Key::Enter.to_string()).await?;
    p.wait_until(
        "P",
        "her statement confirmed",
        MINE_STATUS_JS,
        vec![confirming.clone()],
        |v| v == "confirmed",
    )
    .await?;
    a.wait_until(
        "A",
        "the confirmation announced",
        ANNOUNCED_JS,
        vec![],
        |v| {
            v.as_str()
                .is_some_and(|t| t.starts_with("Pippa confirmed statement"))
        },
    )
    .await?;
    Ok(())
}

/// Types `text` into whatever has the focus.
async fn keys(browser: &Browser, text: &str) -> anyhow::Result<()> {
    browser
        .client
        .active_element()
        .await?
        .send_keys(text)
        .await?;
    Ok(())
}

async fn focus_is(browser: &Browser, css: &str) -> anyhow::Result<Value> {
    browser
        .wait_until(
            "A",
            &format!("the focus on {css}"),
            "const e = document.querySelector(arguments[0]); return !!e && document.activeElement === e;",
            vec![json!(css)],
            |v| v == true,
        )
        .await
}

const FOCUSED_SUBMIT_JS: &str =
    "return document.activeElement === document.querySelector('#action-form button[type=submit]');";

const ANNOUNCED_JS: &str = "
    const a = document.getElementById('announcer'); return a ? a.textContent : null;";

const MINE_JS: &str = "return document.querySelectorAll('#my-statements button.confirm').length;";

/// The block of the statement whose Confirm button has the focus.
const CONFIRM_FOCUSED_JS: &str = "
    const e = document.activeElement;
    const li = e && e.matches('button.confirm') && e.closest('li.my-statement');
    return li ? li.dataset.block : null;";

const MINE_STATUS_JS: &str = "
    const li = document.querySelector(`#my-statements li.my-statement[data-block=\"${arguments[0]}\"]`);
    return li ? li.dataset.status : null;";

const BLOCK_JS: &str =
    "return !!document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`);";

const FOCUSED_BLOCK_JS: &str = "
    const b = document.activeElement && document.activeElement.closest('div.block');
    return b ? b.dataset.block : null;";

const FOCUSED_ITEM_JS: &str = "
    const e = document.activeElement;
    const s = e && e.classList.contains('item-title') && e.closest('section.item');
    return s ? s.dataset.item : null;";

const NUMBER_JS: &str = "
    const li = document.querySelector(`#outline li[data-item=\"${arguments[0]}\"]`);
    return li ? li.dataset.number : null;";

const ACTION_IN_PLACE_JS: &str = "
    return Array.from(document.querySelectorAll(`div.block[data-block=\"${arguments[0]}\"] .actions-here li.action-here`))
        .map(li => li.textContent);";
