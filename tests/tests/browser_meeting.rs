//! Three minute-takers in three headless Chromium sessions co-write one meeting (the
//! imported fixture) on a real server: they type into the same block and into different
//! blocks at once and every session shows the merged text; one inserts an item above
//! another and every session renumbers; one flags an action and it appears, with its
//! server-given reference, in everyone's actions panel; presence shows who is where; a
//! speaker suggestion is accepted with one click. Finally a fresh native client reads the
//! stored document and finds all of it.
//!
//! Each minute-taker signs in through their own invitation link. The page hooks used
//! here are listed in `client/DOM.md`. Everything waits by polling
//! with a deadline ([`PATIENCE`]); no sleep is an assertion.

use anyhow::{ensure, Context};
use fantoccini::key::Key;
use fantoccini::Locator;
use minutebook_shared::meeting::{BlockKind, Meeting, MeetingView};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{invite, seed_fixture, TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::Transact;

const MEETING: &str = "assurance-e2e";
const NAMES: [&str; 3] = ["Alice", "Bob", "Carol"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_minute_takers_co_write_a_meeting() {
    require_built_client();
    let mut server = TestServer::start().await;
    let seeded = seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &seeded, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// Number → (item id, its first block id).
fn item<'a>(view: &'a MeetingView, number: &str) -> anyhow::Result<(&'a str, &'a str)> {
    let item = view
        .items
        .iter()
        .find(|i| i.number == number)
        .with_context(|| format!("item {number} in the fixture"))?;
    let block = item
        .blocks
        .first()
        .with_context(|| format!("a block in item {number}"))?;
    Ok((item.id.as_str(), block.id.as_str()))
}

async fn scenario(
    server: &TestServer,
    seeded: &MeetingView,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    // Each is invited as a minute-taker and opens the meeting through their invitation
    // link, which leaves the page on `?meeting=…&name=…`.
    for name in NAMES {
        let invitation = invite(
            server.addr(),
            &server.admin,
            MEETING,
            name,
            None,
            Role::MinuteTaker,
        )
        .await;
        let link = invitation["link"].as_str().context("an invitation link")?;
        let browser = Browser::open(driver).await?;
        browser
            .accept_invitation(link, Some(name))
            .await
            .with_context(|| format!("{name} opens the meeting"))?;
        browsers.push(browser);
    }
    let all: Vec<(&str, &Browser)> = NAMES.iter().copied().zip(browsers.iter()).collect();
    let (a, b, c) = (&browsers[0], &browsers[1], &browsers[2]);

    // Everyone sees the whole imported meeting, numbered from position, and is saved.
    let numbers = ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4"];
    for (who, browser) in &all {
        browser
            .wait_until(who, "the imported outline", OUTLINE_JS, vec![], |v| {
                numbers_of(v) == numbers
            })
            .await?;
        wait_state(browser, who, "saved").await?;
    }

    // Presence: each session lists all three users.
    for (who, browser) in &all {
        browser
            .wait_until(who, "all three users present", PRESENCE_JS, vec![], |v| {
                let names = strings(v);
                NAMES.iter().all(|n| names.iter().any(|s| s.contains(n)))
            })
            .await?;
    }

    // Two minute-takers type into the same block at once: A at its end, B at its start.
    let (_, same) = item(seeded, "2.1")?;
    let original = block_text(a, "A", same).await?;
    let ta_a = block_area(a, same).await?;
    let ta_b = block_area(b, same).await?;
    ta_a.click().await?;
    caret_at_end(a, &ta_a).await?;
    ta_b.click().await?;
    b.js(
        "const el = arguments[0]; el.focus(); el.setSelectionRange(0, 0);",
        vec![json!(ta_b.clone())],
    )
    .await?;
    let (ra, rb) = tokio::join!(
        ta_a.send_keys(" [A adds this]"),
        ta_b.send_keys("[B first] ")
    );
    ra?;
    rb?;
    let merged = format!("[B first] {original} [A adds this]");
    for (who, browser) in &all {
        wait_block_text(browser, who, same, &merged).await?;
    }

    // Presence inside a block: A and C see B in that block, with B's caret drawn there.
    // Carets are measured only near the view, so C (whose page shows another part of the
    // meeting) scrolls there first: the caret is drawn when the block comes into view.
    for (who, browser) in [("A", a), ("C", c)] {
        browser
            .js(
                "document.querySelector(`div.block[data-block=\"${arguments[0]}\"]`)\
                     .scrollIntoView({ block: 'center' });",
                vec![json!(same)],
            )
            .await?;
        browser
            .wait_until(
                who,
                "Bob's badge and caret in the block",
                BLOCK_PRESENCE_JS,
                vec![json!(same)],
                |v| {
                    strings(&v["badges"]).iter().any(|s| s.contains("Bob"))
                        && strings(&v["carets"]).iter().any(|s| s == "Bob")
                },
            )
            .await?;
    }

    // Two minute-takers type into different blocks at once.
    let (_, in3) = item(seeded, "3")?;
    let (_, in4) = item(seeded, "4")?;
    let text3 = block_text(a, "A", in3).await?;
    let text4 = block_text(c, "C", in4).await?;
    let ta3 = block_area(a, in3).await?;
    let ta4 = block_area(c, in4).await?;
    ta3.click().await?;
    caret_at_end(a, &ta3).await?;
    ta4.click().await?;
    caret_at_end(c, &ta4).await?;
    let (r3, r4) = tokio::join!(
        ta3.send_keys(" Nothing else."),
        ta4.send_keys(" (confirmed)")
    );
    r3?;
    r4?;
    let want3 = format!("{text3} Nothing else.");
    let want4 = format!("{text4} (confirmed)");
    for (who, browser) in &all {
        wait_block_text(browser, who, in3, &want3).await?;
        wait_block_text(browser, who, in4, &want4).await?;
    }

    // B adds an item and moves it above item 2 from the keyboard: everyone renumbers.
    let (old2, _) = item(seeded, "2")?;
    let before = outline_ids(b).await?;
    b.client
        .find(Locator::Css("#add-item"))
        .await?
        .click()
        .await?;
    let after = b
        .wait_until("B", "the new item", OUTLINE_JS, vec![], |v| {
            ids_of(v).len() == before.len() + 1
        })
        .await?;
    let new_id = ids_of(&after)
        .into_iter()
        .find(|id| !before.contains(id))
        .context("the new item's id")?;
    let title = b
        .client
        .find(Locator::Css(&format!(
            "section.item[data-item=\"{new_id}\"] input.item-title"
        )))
        .await?;
    title.click().await?;
    title.send_keys("Urgent business").await?;
    let entry = b
        .client
        .find(Locator::Css(&format!(
            "#outline li[data-item=\"{new_id}\"]"
        )))
        .await?;
    for _ in 0..3 {
        b.js("arguments[0].focus();", vec![json!(entry.clone())])
            .await?;
        entry.send_keys(&format!("{}{}", Key::Alt, Key::Up)).await?;
    }
    let renumbered = [
        "1", "2", "3", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "4", "5",
    ];
    for (who, browser) in &all {
        let v = browser
            .wait_until(who, "the new numbering", OUTLINE_JS, vec![], |v| {
                numbers_of(v) == renumbered
                    && ids_of(v).get(1).map(String::as_str) == Some(new_id.as_str())
            })
            .await?;
        ensure!(
            ids_of(&v).get(2).map(String::as_str) == Some(old2),
            "{who}: old item 2 is not 3 now: {v}"
        );
        browser
            .wait_until(
                who,
                "item sections renumbered",
                SECTION_NUMBER_JS,
                vec![json!(old2)],
                |v| v.as_str() == Some("3"),
            )
            .await?;
    }

    // C flags an action from a block with the keyboard; it appears in everyone's panel
    // with the same server-given reference.
    let dcc = person(seeded, "DCC")?;
    let ta4 = block_area(c, in4).await?;
    ta4.click().await?;
    ta4.send_keys(&format!("{}a", Key::Alt)).await?;
    // Two owners: the DCC, and the CC ticked under "More owners".
    let cc = person(seeded, "CC")?;
    c.submit_action_form_for(
        "Circulate the revised homicide action plan",
        &[&dcc, &cc],
        "2022-03-11",
    )
    .await?;
    let mut reference = None::<String>;
    for (_, browser) in &all {
        browser
            .client
            .find(Locator::Css("#tab-actions"))
            .await?
            .click()
            .await?;
    }
    for (who, browser) in &all {
        let v = browser
            .wait_until(
                who,
                "the flagged action with a reference",
                ACTIONS_JS,
                vec![],
                |v| {
                    v.as_array().is_some_and(|rows| {
                        rows.iter().any(|r| {
                            r["desc"]
                                .as_str()
                                .is_some_and(|d| d.contains("revised homicide"))
                                && r["owner"].as_str().is_some_and(|o| {
                                    o.contains("DCC") && o.split(", ").any(|x| x.trim() == "CC")
                                })
                                && r["reference"].as_str().is_some_and(|s| s.ends_with("/22"))
                        })
                    })
                },
            )
            .await?;
        let row = v
            .as_array()
            .and_then(|rows| {
                rows.iter().find(|r| {
                    r["desc"]
                        .as_str()
                        .is_some_and(|d| d.contains("revised homicide"))
                })
            })
            .context("the row")?;
        let r = row["reference"].as_str().unwrap_or_default().to_owned();
        match &reference {
            None => reference = Some(r),
            Some(first) => ensure!(*first == r, "{who} shows reference {r}, others {first}"),
        }
        // And in the minutes, under the block it was flagged at, with its reference,
        // owner, due date and status (overdue: its day is long past).
        let want = format!("ACTION {}:", reference.as_deref().unwrap_or_default());
        browser
            .wait_until(
                who,
                "the action in place in the minutes",
                ACTION_IN_PLACE_JS,
                vec![json!(in4)],
                |v| {
                    strings(v).iter().any(|line| {
                        line.starts_with(&want)
                            && line.contains("revised homicide")
                            && line.contains("DCC")
                            && line.contains("due 2022-03-11")
                            && line.contains("open (overdue)")
                    })
                },
            )
            .await?;
    }

    // A filters the panel by status: the open action disappears under "done", returns.
    a.js(
        "const s = document.getElementById('filter-status'); s.value = 'done';
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await?;
    a.wait_until(
        "A",
        "no open action under the 'done' filter",
        ACTIONS_JS,
        vec![],
        |v| v.as_array().is_some_and(|rows| rows.is_empty()),
    )
    .await?;
    a.js(
        "const s = document.getElementById('filter-status'); s.value = '';
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await?;
    a.wait_until(
        "A",
        "the action back without the filter",
        ACTIONS_JS,
        vec![],
        |v| v.as_array().is_some_and(|rows| rows.len() == 1),
    )
    .await?;
    // Back to the agenda (the outline) in every session.
    for (_, browser) in &all {
        browser
            .client
            .find(Locator::Css("#tab-agenda"))
            .await?
            .click()
            .await?;
    }

    // A speaker suggestion: B adds a block in item 3 and types a speech pattern; one click
    // attributes it, and everyone sees a statement with the DCC's chip.
    let (item3, _) = item(seeded, "3")?;
    let before: Vec<String> = strings(&b.js(BLOCK_IDS_JS, vec![json!(item3)]).await?);
    b.client
        .find(Locator::Css(&format!(
            "section.item[data-item=\"{item3}\"] button.add-block"
        )))
        .await?
        .click()
        .await?;
    let ids = b
        .wait_until(
            "B",
            "the new block",
            BLOCK_IDS_JS,
            vec![json!(item3)],
            |v| strings(v).len() == before.len() + 1,
        )
        .await?;
    let new_block = strings(&ids)
        .into_iter()
        .find(|id| !before.contains(id))
        .context("the new block's id")?;
    let area = block_area(b, &new_block).await?;
    area.click().await?;
    area.send_keys("The DCC responded that the plan is on track.")
        .await?;
    let suggestion = b
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!(
            "div.block[data-block=\"{new_block}\"] button.suggestion[data-person=\"{dcc}\"]"
        )))
        .await
        .context("B is offered to attribute the block to the DCC")?;
    suggestion.click().await?;
    for (who, browser) in &all {
        browser
            .wait_until(
                who,
                "the accepted attribution",
                BLOCK_KIND_JS,
                vec![json!(new_block)],
                |v| v["kind"] == "statement" && strings(&v["chips"]).iter().any(|s| s == "DCC"),
            )
            .await?;
    }

    // Everything is saved, and a fresh native client reads all of it from the server.
    for (who, browser) in &all {
        wait_state(browser, who, "saved").await?;
    }
    let reader = server.client(MEETING);
    reader.wait_synced(PATIENCE).await?;
    let view = Meeting::new(reader.doc().clone()).view(&reader.doc().transact());
    reader.close().await;
    let stored = |number: &str| view.items.iter().find(|i| i.number == number);
    ensure!(
        stored("2").is_some_and(|i| i.title == "Urgent business"),
        "stored item 2"
    );
    ensure!(
        stored("3").is_some_and(|i| i.id.as_str() == old2),
        "stored item 3"
    );
    let blocks: Vec<_> = view.items.iter().flat_map(|i| &i.blocks).collect();
    let stored_text = |id: &str| {
        blocks
            .iter()
            .find(|b| b.id.as_str() == id)
            .map(|b| b.text.clone())
    };
    ensure!(
        stored_text(same) == Some(merged.clone()),
        "stored merged block"
    );
    ensure!(stored_text(in3) == Some(want3.clone()), "stored block in 3");
    ensure!(stored_text(in4) == Some(want4.clone()), "stored block in 4");
    let statement = blocks
        .iter()
        .find(|b| b.id.as_str() == new_block)
        .context("stored new block")?;
    ensure!(
        statement.kind == BlockKind::Statement
            && statement.speakers.iter().any(|p| p.as_str() == dcc),
        "stored statement {statement:?}"
    );
    let action = view
        .actions
        .iter()
        .find(|x| x.fields.description.contains("revised homicide"))
        .context("stored action")?;
    ensure!(
        action.owners.iter().any(|o| o.as_str() == dcc)
            && action.fields.due == "2022-03-11"
            && action.fields.reference == reference,
        "stored action {action:?}"
    );

    // C deletes the new item (confirming the browser's dialog): everyone renumbers back.
    c.client
        .find(Locator::Css(&format!(
            "#outline li[data-item=\"{new_id}\"] button.delete"
        )))
        .await?
        .click()
        .await?;
    let question = c
        .client
        .get_alert_text()
        .await
        .context("the confirmation dialog")?;
    ensure!(
        question.contains("Urgent business"),
        "the dialog names the item: {question:?}"
    );
    c.client.accept_alert().await?;
    for (who, browser) in &all {
        browser
            .wait_until(
                who,
                "the numbering after the deletion",
                OUTLINE_JS,
                vec![],
                |v| numbers_of(v) == numbers && !ids_of(v).contains(&new_id),
            )
            .await?;
    }
    Ok(())
}

/// The register id of the person with short form `short`.
fn person(view: &MeetingView, short: &str) -> anyhow::Result<String> {
    view.people
        .iter()
        .find(|p| p.person.short == short)
        .map(|p| p.id.as_str().to_owned())
        .with_context(|| format!("{short} in the register"))
}

async fn block_area(
    browser: &Browser,
    block: &str,
) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(browser
        .client
        .find(Locator::Css(&format!(
            "div.block[data-block=\"{block}\"] textarea.block-text"
        )))
        .await?)
}

async fn block_text(browser: &Browser, who: &str, block: &str) -> anyhow::Result<String> {
    let v = browser
        .wait_until(who, "the block", BLOCK_TEXT_JS, vec![json!(block)], |v| {
            v.is_string()
        })
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

async fn wait_block_text(
    browser: &Browser,
    who: &str,
    block: &str,
    want: &str,
) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("block text {want:?}"),
            BLOCK_TEXT_JS,
            vec![json!(block)],
            |v| v.as_str() == Some(want),
        )
        .await?;
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

async fn outline_ids(browser: &Browser) -> anyhow::Result<Vec<String>> {
    Ok(ids_of(&browser.js(OUTLINE_JS, vec![]).await?))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn numbers_of(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["number"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn ids_of(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

const ACTION_IN_PLACE_JS: &str = "
    return Array.from(document.querySelectorAll(`div.block[data-block=\"${arguments[0]}\"] .actions-here li.action-here`))
        .map(li => li.textContent);";

const STATE_JS: &str =
    "const s = document.getElementById('status'); return s ? s.dataset.state : null;";

const OUTLINE_JS: &str = "
    return Array.from(document.querySelectorAll('#outline li[data-item]')).map(li => ({
        id: li.dataset.item, number: li.dataset.number,
        shown: (li.querySelector('.num') || {}).textContent,
    })).filter(e => e.shown && e.shown.trim() === e.number);";

const SECTION_NUMBER_JS: &str = "
    const s = document.querySelector(`section.item[data-item=\"${arguments[0]}\"]`);
    return s ? s.dataset.number : null;";

const PRESENCE_JS: &str =
    "return Array.from(document.querySelectorAll('#presence li.peer')).map(li => li.textContent);";

const BLOCK_PRESENCE_JS: &str = "
    const b = document.querySelector(`div.block[data-block=\"${arguments[0]}\"]`);
    if (!b) return null;
    return {
        badges: Array.from(b.querySelectorAll('.block-presence .peer-badge')).map(e => e.textContent),
        carets: Array.from(b.querySelectorAll('.remote-caret')).map(e => e.dataset.peerName),
    };";

const BLOCK_TEXT_JS: &str = "
    const t = document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`);
    return t ? t.value : null;";

const BLOCK_IDS_JS: &str = "
    return Array.from(document.querySelectorAll(`section.item[data-item=\"${arguments[0]}\"] div.block[data-block]`))
        .map(b => b.dataset.block);";

const BLOCK_KIND_JS: &str = "
    const b = document.querySelector(`div.block[data-block=\"${arguments[0]}\"]`);
    if (!b) return null;
    return { kind: b.dataset.kind,
             chips: Array.from(b.querySelectorAll('.speaker-chip')).map(e => e.textContent.trim()) };";

const ACTIONS_JS: &str = "
    return Array.from(document.querySelectorAll('#actions-panel tr[data-action]'))
        .filter(r => r.offsetParent !== null)
        .map(r => ({
            id: r.dataset.action, status: r.dataset.status,
            reference: (r.querySelector('.a-ref') || {}).textContent || '',
            desc: (r.querySelector('.a-desc') || {}).textContent || (r.querySelector('.a-desc') || {}).value || '',
            owner: (r.querySelector('.a-owner') || {}).textContent || '',
        }));";

/// Puts the caret at the very end of a textarea (End only reaches the end of a wrapped
/// visual line).
async fn caret_at_end(
    browser: &Browser,
    area: &fantoccini::elements::Element,
) -> anyhow::Result<()> {
    browser
        .js(
            "const el = arguments[0]; el.focus(); el.setSelectionRange(el.value.length, el.value.length);",
            vec![json!(area)],
        )
        .await?;
    Ok(())
}
