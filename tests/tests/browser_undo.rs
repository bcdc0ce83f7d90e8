//! Undo that never erases someone else's words, in two headless Chromium sessions on a
//! real server.
//!
//! The loss it guards against: after deleting a block, focus fell to `<body>`, and the
//! natural Ctrl+Z ran Chromium's page-wide undo, which took back the last typing in
//! *another* block — "RESOLVED: the PCC approved the estates strategy." — and synced that
//! to everyone. Now the page routes Ctrl+Z to its own history of this person's changes:
//! the first Ctrl+Z brings the deleted block back, a decision typed earlier stays, and the
//! other minute-taker's words are never touched, whatever is undone or redone. Undoing a
//! move or a flagged action takes back only that, keeping the other person's concurrent
//! edits (a retitled item, typing in the block).

use anyhow::{ensure, Context};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_shared::meeting::MeetingView;
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{seed_fixture, TestServer};
use serde_json::{json, Value};

const MEETING: &str = "undo-e2e";
const DECISION: &str = " RESOLVED: the PCC approved the estates strategy.";
const REMOTE: &str = " Bob's words.";
const SCRATCH: &str = "A note to delete.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_after_a_delete_restores_the_block_and_erases_nobody_s_words() {
    require_built_client();
    let mut server = TestServer::start().await;
    let seeded = seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &seeded, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_move_and_of_a_flagged_action_keeps_the_other_person_s_edits() {
    require_built_client();
    let mut server = TestServer::start().await;
    let seeded = seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = async {
        for name in ["Alice", "Bob"] {
            browsers.push(
                Browser::open_invited(&driver, &server, MEETING, name, Role::MinuteTaker).await?,
            );
        }
        structure_steps(&seeded, &browsers[0], &browsers[1]).await
    }
    .await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// Alice moves item 2.2 up while Bob retitles it, and undoes the move: the item is back
/// at 2.2 with Bob's title. Alice flags an action while Bob types in that block, and undoes
/// the flag: the action is gone everywhere, Bob's words stay.
async fn structure_steps(seeded: &MeetingView, a: &Browser, b: &Browser) -> anyhow::Result<()> {
    let item = seeded
        .items
        .iter()
        .find(|i| i.number == "2.2")
        .context("item 2.2")?;
    let id = item.id.0.clone();
    let title = format!("{} (revised)", item.title);
    for (who, browser) in [("A", a), ("B", b)] {
        wait_number(browser, who, &id, "2.2").await?;
    }
    a.js(
        "document.querySelector(`#outline li[data-item=\"${arguments[0]}\"]`).focus();",
        vec![json!(id)],
    )
    .await?;
    a.client
        .active_element()
        .await?
        .send_keys(&format!("{}{}", Key::Alt, Key::Up))
        .await?;
    let field = b
        .client
        .find(Locator::Css(&format!(
            "section.item[data-item=\"{id}\"] input.item-title"
        )))
        .await?;
    field.click().await?;
    b.js(
        "const el = arguments[0]; el.setSelectionRange(el.value.length, el.value.length);",
        vec![json!(field.clone())],
    )
    .await?;
    field.send_keys(" (revised)").await?;
    for (who, browser) in [("A", a), ("B", b)] {
        wait_number(browser, who, &id, "2.1").await?;
        wait_title(browser, who, &id, &title).await?;
    }
    a.js("document.activeElement.blur();", vec![]).await?;
    press(a, Key::Control, 'z', false).await?;
    for (who, browser) in [("A", a), ("B", b)] {
        wait_number(browser, who, &id, "2.2").await?;
        wait_title(browser, who, &id, &title).await?;
    }

    // The flagged action.
    let block = item.blocks.first().context("a block in 2.2")?.id.0.clone();
    let owner = seeded.people.first().context("a person")?.id.0.clone();
    let before = text_of(b, "B", &block).await?;
    a.client
        .find(Locator::Css(&format!(
            "div.block[data-block=\"{block}\"] button.flag-action"
        )))
        .await?
        .click()
        .await?;
    a.submit_action_form("Check the figures", &owner, "next meeting")
        .await?;
    for (who, browser) in [("A", a), ("B", b)] {
        browser
            .wait_until(
                who,
                "the action in place",
                ACTIONS_HERE_JS,
                vec![json!(block)],
                |v| v == &json!(1),
            )
            .await?;
    }
    type_at_end(b, &block, REMOTE).await?;
    let remote = format!("{before}{REMOTE}");
    wait_text(a, "A", &block, &remote).await?;
    a.js("document.activeElement.blur();", vec![]).await?;
    press(a, Key::Control, 'z', false).await?;
    for (who, browser) in [("A", a), ("B", b)] {
        browser
            .wait_until(
                who,
                "the action gone",
                ACTIONS_HERE_JS,
                vec![json!(block)],
                |v| v == &json!(0),
            )
            .await?;
        wait_text(browser, who, &block, &remote).await?;
        wait_title(browser, who, &id, &title).await?;
    }
    Ok(())
}

async fn wait_number(browser: &Browser, who: &str, item: &str, want: &str) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("item {item} numbered {want}"),
            "const li = document.querySelector(`#outline li[data-item=\"${arguments[0]}\"]`); \
             return li ? li.dataset.number : null;",
            vec![json!(item)],
            |v| v.as_str() == Some(want),
        )
        .await?;
    Ok(())
}

async fn wait_title(browser: &Browser, who: &str, item: &str, want: &str) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("item {item} titled {want:?}"),
            "const t = document.querySelector(`section.item[data-item=\"${arguments[0]}\"] input.item-title`); \
             return t ? t.value : null;",
            vec![json!(item)],
            |v| v.as_str() == Some(want),
        )
        .await?;
    Ok(())
}

const ACTIONS_HERE_JS: &str = "
    return document.querySelectorAll(`div.block[data-block=\"${arguments[0]}\"] li.action-here`).length;";

/// The first block of item `number`.
fn first_block(view: &MeetingView, number: &str) -> anyhow::Result<String> {
    view.items
        .iter()
        .find(|i| i.number == number)
        .and_then(|i| i.blocks.first())
        .map(|b| b.id.0.clone())
        .with_context(|| format!("a block in item {number}"))
}

async fn scenario(
    server: &TestServer,
    seeded: &MeetingView,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    for name in ["Alice", "Bob"] {
        browsers
            .push(Browser::open_invited(driver, server, MEETING, name, Role::MinuteTaker).await?);
    }
    let (a, b) = (&browsers[0], &browsers[1]);
    for browser in [a, b] {
        browser.js(KEEP_LOGS_JS, vec![]).await?;
    }
    let outcome = steps(seeded, a, b).await;
    if outcome.is_err() {
        // What the pages logged (a wasm trap or panic shows here, not in the DOM).
        for (who, browser) in [("A", a), ("B", b)] {
            let logs = browser.js("return window.__mb_logs || null;", vec![]).await;
            eprintln!("{who}'s console: {logs:?}");
        }
    }
    outcome
}

async fn steps(seeded: &MeetingView, a: &Browser, b: &Browser) -> anyhow::Result<()> {
    let decided = first_block(seeded, "2.1")?;
    let bobs = first_block(seeded, "3")?;
    let decided_text = text_of(a, "A", &decided).await?;
    let bobs_text = text_of(b, "B", &bobs).await?;

    // Alice types the decision; Bob types into another block.
    type_at_end(a, &decided, DECISION).await?;
    type_at_end(b, &bobs, REMOTE).await?;
    let decision = format!("{decided_text}{DECISION}");
    let remote = format!("{bobs_text}{REMOTE}");
    for (who, browser) in [("A", a), ("B", b)] {
        wait_text(browser, who, &decided, &decision).await?;
        wait_text(browser, who, &bobs, &remote).await?;
    }

    // Alice adds a paragraph after the decision (Ctrl+Enter), types in it, deletes it.
    area(a, &decided)
        .await?
        .send_keys(&format!("{}{}", Key::Control, Key::Enter))
        .await?;
    let scratch = a
        .wait_until(
            "A",
            "the new paragraph focused",
            FOCUSED_BLOCK_JS,
            vec![],
            |v| v.as_str().is_some_and(|id| id != decided),
        )
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    area(a, &scratch).await?.send_keys(SCRATCH).await?;
    wait_text(b, "B", &scratch, SCRATCH).await?;
    a.client
        .find(Locator::Css(&format!(
            "div.block[data-block=\"{scratch}\"] button.delete-block"
        )))
        .await?
        .click()
        .await?;
    // Gone everywhere, with a notice offering to undo; focus went to a neighbour.
    for (who, browser) in [("A", a), ("B", b)] {
        wait_gone(browser, who, &scratch).await?;
    }
    let notice = a
        .wait_until("A", "the deletion notice", NOTICE_JS, vec![], |v| {
            v.is_string()
        })
        .await?;
    ensure!(
        notice
            .as_str()
            .is_some_and(|n| n.starts_with("Deleted paragraph")),
        "the notice says what was deleted: {notice}"
    );
    a.wait_until(
        "A",
        "focus on a neighbouring block",
        FOCUS_JS,
        vec![],
        |v| v["tag"] == "textarea",
    )
    .await?;

    // The walk-through's move: focus on the page itself, then Ctrl+Z.
    a.js("document.activeElement.blur();", vec![]).await?;
    ensure!(
        a.js(FOCUS_JS, vec![]).await?["tag"] == "body",
        "focus is on the page"
    );
    press(a, Key::Control, 'z', false).await?;
    for (who, browser) in [("A", a), ("B", b)] {
        wait_text(browser, who, &scratch, SCRATCH).await?;
        wait_text(browser, who, &decided, &decision).await?;
        wait_text(browser, who, &bobs, &remote).await?;
    }

    // Again, on the page: the paragraph's text goes (Alice's own typing), nothing else.
    press(a, Key::Control, 'z', false).await?;
    for (who, browser) in [("A", a), ("B", b)] {
        wait_text(browser, who, &scratch, "").await?;
        wait_text(browser, who, &decided, &decision).await?;
        wait_text(browser, who, &bobs, &remote).await?;
    }

    // Ctrl+Z in a bound field goes to the same history, never to the browser's undo of
    // that field: the paragraph Alice added goes, the decision in the focused field stays.
    area(a, &decided).await?.click().await?;
    area(a, &decided)
        .await?
        .send_keys(&format!("{}z", Key::Control))
        .await?;
    for (who, browser) in [("A", a), ("B", b)] {
        wait_gone(browser, who, &scratch).await?;
        wait_text(browser, who, &decided, &decision).await?;
        wait_text(browser, who, &bobs, &remote).await?;
    }

    // Redo (Ctrl+Shift+Z) brings the paragraph back; the Undo button is enabled.
    a.js("document.activeElement.blur();", vec![]).await?;
    press(a, Key::Control, 'z', true).await?;
    wait_text(a, "A", &scratch, "").await?;
    a.wait_until("A", "saved", STATE_JS, vec![], |v| v == "saved")
        .await?;
    wait_text(b, "B", &scratch, "").await?;
    let undo_enabled = a
        .js(
            "const u = document.getElementById('undo'); return u ? !u.disabled : null;",
            vec![],
        )
        .await?;
    ensure!(
        undo_enabled == json!(true),
        "the Undo button is enabled: {undo_enabled}"
    );

    // Bob's undo takes back only Bob's typing; Alice's decision stays.
    b.js("document.activeElement.blur();", vec![]).await?;
    press(b, Key::Control, 'z', false).await?;
    for (who, browser) in [("A", a), ("B", b)] {
        wait_text(browser, who, &bobs, &bobs_text).await?;
        wait_text(browser, who, &decided, &decision).await?;
    }
    Ok(())
}

/// Presses Ctrl (+ Shift) + `key` wherever the focus is (the page itself included).
async fn press(browser: &Browser, modifier: Key, key: char, shift: bool) -> anyhow::Result<()> {
    let mut actions = KeyActions::new("keyboard".into()).then(KeyAction::Down {
        value: modifier.into(),
    });
    if shift {
        actions = actions.then(KeyAction::Down {
            value: Key::Shift.into(),
        });
    }
    actions = actions
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    if shift {
        actions = actions.then(KeyAction::Up {
            value: Key::Shift.into(),
        });
    }
    actions = actions.then(KeyAction::Up {
        value: modifier.into(),
    });
    browser.client.perform_actions(actions).await?;
    Ok(())
}

async fn area(browser: &Browser, block: &str) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(browser
        .client
        .find(Locator::Css(&format!(
            "div.block[data-block=\"{block}\"] textarea.block-text"
        )))
        .await?)
}

async fn type_at_end(browser: &Browser, block: &str, text: &str) -> anyhow::Result<()> {
    let el = area(browser, block).await?;
    el.click().await?;
    browser
        .js(
            "const el = arguments[0]; el.focus(); el.setSelectionRange(el.value.length, el.value.length);",
            vec![json!(el.clone())],
        )
        .await?;
    el.send_keys(text).await?;
    Ok(())
}

async fn text_of(browser: &Browser, who: &str, block: &str) -> anyhow::Result<String> {
    let v = browser
        .wait_until(
            who,
            "the block",
            BLOCK_TEXT_JS,
            vec![json!(block)],
            Value::is_string,
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

async fn wait_text(browser: &Browser, who: &str, block: &str, want: &str) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("block {block} reading {want:?}"),
            BLOCK_TEXT_JS,
            vec![json!(block)],
            |v| v.as_str() == Some(want),
        )
        .await?;
    Ok(())
}

async fn wait_gone(browser: &Browser, who: &str, block: &str) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("block {block} gone"),
            BLOCK_TEXT_JS,
            vec![json!(block)],
            Value::is_null,
        )
        .await?;
    Ok(())
}

const BLOCK_TEXT_JS: &str = "
    const t = document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`);
    return t ? t.value : null;";

const FOCUSED_BLOCK_JS: &str = "
    const b = document.activeElement && document.activeElement.closest('div.block');
    return b ? b.dataset.block : null;";

const FOCUS_JS: &str = "
    const e = document.activeElement;
    return { tag: e ? e.tagName.toLowerCase() : null };";

const KEEP_LOGS_JS: &str = "
    window.__mb_logs = [];
    for (const k of ['warn', 'error']) {
        const original = console[k];
        console[k] = (...x) => { window.__mb_logs.push(k + ': ' + x.map(String).join(' ')); original(...x); };
    }
    window.addEventListener('error', e => window.__mb_logs.push('uncaught: ' + e.message));";

const STATE_JS: &str =
    "const s = document.getElementById('status'); return s ? s.dataset.state : null;";

const NOTICE_JS: &str = "
    const n = document.querySelector('.undo-notice .undo-text');
    return n ? n.textContent : null;";
