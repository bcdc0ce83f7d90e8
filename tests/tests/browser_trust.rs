//! Trust end to end in five headless Chromium sessions — a chair, two minute-takers and two
//! attendees, each signed in through their own invitation link — on a real server:
//! the minute-takers minute and attribute statements; one attendee confirms hers and the
//! other proposes a correction to his; a minute-taker accepts it; a statement by both
//! attendees shows whose confirmation is missing (in the block, in "My statements" and in
//! the chair's readiness) until each has confirmed it; the chair signs off; every session
//! turns to the read-only reading view at once (attendees read it from the start); the signed export
//! carries its hash, `minutebook verify` accepts it, and one changed byte makes it fail.
//!
//! The page hooks are in `client/DOM.md`. Everything waits by polling with a deadline.

use anyhow::{ensure, Context};
use fantoccini::Locator;
use minutebook_shared::meeting::Attendance;
use minutebook_shared::meeting::{BlockKind, Meeting, Person};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{invite, server_binary, TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::Transact;

const MEETING: &str = "board-2026-11";

/// Register ids of the people the statements are attributed to.
struct Seeded {
    chair: String,
    ann: String,
    ben: String,
    /// Item 2's id.
    item: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_sessions_confirm_correct_and_sign_off() {
    require_built_client();
    let mut server = TestServer::start().await;
    let seeded = seed(&server).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &seeded, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// A small board meeting: a register of three and two items, written as the administrator.
async fn seed(server: &TestServer) -> Seeded {
    let client = server.client(MEETING);
    client.wait_synced(PATIENCE).await.expect("synced");
    let m = Meeting::new(client.doc().clone());
    let seeded = {
        let mut txn = client.doc().transact_mut();
        m.set_header(
            &mut txn,
            &minutebook_shared::meeting::Header {
                title: "Board Meeting November 2026".into(),
                series: "Board".into(),
                date: "Thursday 26th November 2026".into(),
                ..Default::default()
            },
        );
        let person = |name: &str, capacity: &str, short: &str| Person {
            name: name.into(),
            capacity: capacity.into(),
            short: short.into(),
            organisation: "OPCC".into(),
        };
        let chair = m.add_person(
            &mut txn,
            &person("Chloe Chair", "Chair", "CC"),
            &Attendance::Present,
        );
        let ann = m.add_person(
            &mut txn,
            &person("Ann Attlee", "Treasurer", "AA"),
            &Attendance::Present,
        );
        let ben = m.add_person(
            &mut txn,
            &person("Ben Bell", "Head of HR", "BB"),
            &Attendance::Present,
        );
        m.set_chair(&mut txn, Some(&chair)).expect("chair");
        m.insert_item(&mut txn, None, 0, "Apologies")
            .expect("item 1");
        let item = m
            .insert_item(&mut txn, None, 1, "Finance and people")
            .expect("item 2");
        m.insert_block(
            &mut txn,
            &item,
            0,
            BlockKind::Paragraph,
            "The board reviewed the quarter.",
        )
        .expect("block");
        Seeded {
            chair: chair.0,
            ann: ann.0,
            ben: ben.0,
            item: item.0,
        }
    };
    client.wait_saved(PATIENCE).await.expect("saved");
    client.close().await;
    seeded
}

async fn scenario(
    server: &TestServer,
    seeded: &Seeded,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    let people: [(&str, Option<&str>, Role); 5] = [
        ("Chloe", Some(&seeded.chair), Role::Chair),
        ("Tom", None, Role::MinuteTaker),
        ("Tina", None, Role::MinuteTaker),
        ("Ann", Some(&seeded.ann), Role::Attendee),
        ("Ben", Some(&seeded.ben), Role::Attendee),
    ];
    for (name, person, role) in people {
        let invitation = invite(server.addr(), &server.admin, MEETING, name, person, role).await;
        let link = invitation["link"].as_str().context("an invitation link")?;
        let browser = Browser::open(driver).await?;
        browser
            .accept_invitation(link, Some(name))
            .await
            .with_context(|| format!("{name} opens the meeting"))?;
        browsers.push(browser);
    }
    let names = ["Chloe", "Tom", "Tina", "Ann", "Ben"];
    let all: Vec<(&str, &Browser)> = names.iter().copied().zip(browsers.iter()).collect();
    let (chair, tom, tina, ann, ben) = (
        &browsers[0],
        &browsers[1],
        &browsers[2],
        &browsers[3],
        &browsers[4],
    );

    for (who, browser) in &all {
        browser
            .wait_until(who, "the meeting with its role", ROLE_JS, vec![], |v| {
                v.is_string()
            })
            .await?;
    }
    for (who, browser) in [("Ann", ann), ("Ben", ben)] {
        browser
            .wait_until(who, "the attendee banner", BANNER_JS, vec![], |v| {
                v["reason"] == "role"
            })
            .await?;
    }

    // The minute-takers each minute a statement and attribute it (one after the other, so
    // each knows which new block is theirs; concurrent typing is covered by the editor's browser tests).
    let ann_text = "AA reported that spending is on budget.";
    let ben_text = "BB said that recruitment is behind.";
    let ann_block = minute(tom, "Tom", &seeded.item, ann_text, &[&seeded.ann]).await?;
    tina.wait_until(
        "Tina",
        "Tom's statement",
        KIND_JS,
        vec![json!(ann_block)],
        |v| v == "statement",
    )
    .await?;
    let ben_block = minute(tina, "Tina", &seeded.item, ben_text, &[&seeded.ben]).await?;

    // With five people present, the chair's bar is still one row at 1280 px.
    chair.client.set_window_size(1280, 900).await?;
    let bar = chair
        .wait_until("Chloe", "five people in one bar row", BAR_JS, vec![], |v| {
            v["peers"] == json!(5)
        })
        .await?;
    ensure!(
        bar["height"].as_f64().is_some_and(|h| h < 70.0) && bar["sideways"] == json!(false),
        "the chair's bar with five people: {bar}"
    );

    // Each attendee sees exactly their statement under "My statements", awaiting them.
    for (who, browser, block) in [("Ann", ann, &ann_block), ("Ben", ben, &ben_block)] {
        browser
            .wait_until(who, "my statement", MY_STATEMENTS_JS, vec![], |v| {
                v.as_array().is_some_and(|rows| {
                    rows.len() == 1
                        && rows[0]["block"] == json!(block)
                        && rows[0]["status"] == "pending"
                })
            })
            .await?;
    }

    // Ann confirms hers; everyone sees it confirmed.
    click(
        ann,
        &format!("#my-statements li.my-statement[data-block=\"{ann_block}\"] button.confirm"),
    )
    .await?;
    for (who, browser) in &all {
        wait_status(browser, who, &ann_block, "confirmed").await?;
    }

    // Ben proposes a correction to his.
    let corrected = "BB said that recruitment is two months behind plan.";
    click(
        ben,
        &format!("#my-statements li.my-statement[data-block=\"{ben_block}\"] button.propose"),
    )
    .await?;
    let area = find(
        ben,
        "#my-statements form.correction-form textarea.correction-text",
    )
    .await?;
    ben.js("arguments[0].value = '';", vec![json!(area.clone())])
        .await?;
    area.send_keys(corrected).await?;
    find(
        ben,
        "#my-statements form.correction-form textarea.correction-note",
    )
    .await?
    .send_keys("Two months, not just behind.")
    .await?;
    click(
        ben,
        "#my-statements form.correction-form button.submit-correction",
    )
    .await?;

    // The chair sees the readiness: one confirmed, one pending, one correction open.
    let shown = chair
        .wait_until("Chloe", "readiness 1/1/0/1", READINESS_JS, vec![], |v| {
            v == &json!(["1", "1", "0", "1"])
        })
        .await;
    if let Err(e) = shown {
        let server_side = chair
            .js(
                "return fetch(arguments[0]).then(r => r.text());",
                vec![json!(format!("/api/meetings/{MEETING}/readiness"))],
            )
            .await?;
        anyhow::bail!("{e:#}; the server's readiness: {server_side}");
    }

    // The chair and the minute-takers see it in the list of open corrections, word by
    // word against the statement (removed words in del, added ones in ins); Ben sees
    // that it was sent.
    for (who, browser) in [("Chloe", chair), ("Tom", tom)] {
        let listed = browser
            .wait_until(
                who,
                "the open corrections",
                OPEN_CORRECTIONS_JS,
                vec![],
                |v| {
                    v["count"] == "Open corrections (1)"
                        && v["diff"]["del"].as_str().is_some_and(|d| !d.is_empty())
                        && v["diff"]["ins"].as_str().is_some_and(|i| !i.is_empty())
                },
            )
            .await?;
        ensure!(
            listed["block"] == json!(ben_block),
            "{who}: the open correction is Ben's statement: {listed}"
        );
    }
    ben.wait_until("Ben", "the 'sent' message", SENT_JS, vec![], |v| {
        v == &json!(true)
    })
    .await?;

    // Tom sees the proposal inline and accepts it: the text is in everyone's minutes.
    let accept = format!("div.block[data-block=\"{ben_block}\"] div.correction button.accept");
    click(tom, &accept).await?;
    for (who, browser) in &all {
        browser
            .wait_until(
                who,
                "the corrected statement",
                BLOCK_TEXT_JS,
                vec![json!(ben_block)],
                |v| v.as_str() == Some(corrected),
            )
            .await?;
        wait_status(browser, who, &ben_block, "confirmed").await?;
    }

    chair
        .wait_until("Chloe", "readiness complete", READINESS_JS, vec![], |v| {
            v == &json!(["2", "0", "0", "0"])
        })
        .await?;
    // Decided: the list is gone, and so is Ben's "sent" message (his proposal says
    // accepted).
    chair
        .wait_until(
            "Chloe",
            "no open corrections",
            OPEN_CORRECTIONS_JS,
            vec![],
            |v| v.is_null(),
        )
        .await?;
    ben.wait_until("Ben", "no stale 'sent' message", SENT_JS, vec![], |v| {
        v == &json!(false)
    })
    .await?;

    // A statement by both attendees: confirmed only when each has confirmed it, and
    // every view says whose confirmation is missing.
    let joint_text = "AA and BB agreed the plan.";
    let joint = minute(
        tom,
        "Tom",
        &seeded.item,
        joint_text,
        &[&seeded.ann, &seeded.ben],
    )
    .await?;
    let both = format!("{} {}", seeded.ann, seeded.ben);
    chair
        .wait_until("Chloe", "readiness 2/2/0/0", READINESS_JS, vec![], |v| {
            v == &json!(["2", "2", "0", "0"])
        })
        .await?;
    chair
        .wait_until("Chloe", "both awaited", UNCONFIRMED_JS, vec![], |v| {
            v == &json!([{ "block": joint, "missing": both }])
        })
        .await?;
    click(
        ann,
        &format!("#my-statements li.my-statement[data-block=\"{joint}\"] button.confirm"),
    )
    .await?;
    // Ann has confirmed; the statement still awaits Ben, and everyone is told so.
    ann.wait_until("Ann", "Ben still awaited", MY_STATEMENTS_JS, vec![], |v| {
        v.as_array().is_some_and(|rows| {
            rows.iter().any(|r| {
                r["block"] == json!(joint)
                    && r["status"] == "confirmed"
                    && r["statement"] == "pending"
                    && r["awaiting"] == json!([seeded.ben])
            })
        })
    })
    .await?;
    for (who, browser) in &all {
        browser
            .wait_until(
                who,
                "the chip naming Ben",
                CHIP_JS,
                vec![json!(joint)],
                |v| {
                    v["status"] == "pending"
                        && v["missing"] == json!(seeded.ben)
                        && v["text"]
                            .as_str()
                            .is_some_and(|t| t.contains("waiting for BB"))
                },
            )
            .await?;
    }
    chair
        .wait_until("Chloe", "Ben awaited", UNCONFIRMED_JS, vec![], |v| {
            v == &json!([{ "block": joint, "missing": seeded.ben }])
        })
        .await?;
    chair
        .wait_until("Chloe", "readiness 3/1/0/0", READINESS_JS, vec![], |v| {
            v == &json!(["3", "1", "0", "0"])
        })
        .await?;
    click(
        ben,
        &format!("#my-statements li.my-statement[data-block=\"{joint}\"] button.confirm"),
    )
    .await?;
    for (who, browser) in &all {
        wait_status(browser, who, &joint, "confirmed").await?;
    }

    // Everything is confirmed by everyone: the chair signs off without an override.
    chair
        .wait_until("Chloe", "readiness complete", READINESS_JS, vec![], |v| {
            v == &json!(["4", "0", "0", "0"])
        })
        .await?;
    click(chair, "#tab-versions").await?;
    click(chair, "#sign-off").await?;

    // Every session turns read-only at once.
    for (who, browser) in &all {
        browser
            .wait_until(who, "the signed-off banner", BANNER_JS, vec![], |v| {
                v["reason"] == "signed"
            })
            .await?;
        browser
            .wait_until(
                who,
                "the reading view, read-only",
                READONLY_JS,
                vec![json!(ann_block)],
                |v| v == &json!(true),
            )
            .await?;
    }
    let version = chair
        .wait_until("Chloe", "version 1 listed", VERSIONS_JS, vec![], |v| {
            v.as_array().is_some_and(|a| a.len() == 1)
        })
        .await?;
    let sha = version[0]["sha"]
        .as_str()
        .context("the version's SHA-256")?
        .to_owned();
    ensure!(sha.len() == 64, "a SHA-256 in the versions list: {sha}");
    // The page says the meeting is signed (from the ledger), and its Export links now
    // give the signed version.
    let shown = ann
        .wait_until(
            "Ann",
            "signed export links",
            "const md = document.getElementById('export-md'); \
             const st = document.querySelector('.meeting-status'); \
             return [md && md.getAttribute('href'), md && md.dataset.kind, \
                     st && st.textContent.trim(), \
                     Array.from(document.querySelectorAll('#reading dl.meta dt'))
                         .filter(dt => dt.textContent === 'Status')
                         .map(dt => dt.nextElementSibling.textContent)[0]];",
            vec![],
            |v| v[1] == json!("signed"),
        )
        .await?;
    ensure!(
        shown[0] == json!(format!("/api/meetings/{MEETING}/versions/1/export.md"))
            && shown[2] == json!("Signed (unapproved) — version 1")
            && shown[3]
                .as_str()
                .is_some_and(|s| s.starts_with("Signed off — version 1 — by Chloe")),
        "the signed page: {shown}"
    );

    // The signed version names the invitation the chair signed through, and its issuer.
    let via = version[0]["via"].as_str().unwrap_or_default();
    ensure!(
        via.contains("via invitation #") && via.contains("issued by Test Administrator"),
        "the version's provenance: {via:?}"
    );

    // The signed export (fetched with Ann's session) carries the hash, and verifies.
    let export = ann
        .js(
            "return fetch(arguments[0]).then(r => r.ok ? r.text() : 'HTTP ' + r.status);",
            vec![json!(format!(
                "/api/meetings/{MEETING}/versions/1/export.md"
            ))],
        )
        .await?;
    let export = export.as_str().context("export text")?.to_owned();
    ensure!(
        export.contains(&sha),
        "the export carries the hash: {export}"
    );
    ensure!(
        export.contains(corrected),
        "the export has the corrected statement"
    );
    let (code, out) = verify(server, &export).await?;
    ensure!(
        code == 0 && out.contains("VERIFIED"),
        "verify accepts the export: {code} {out}"
    );
    let altered = export.replacen("on budget", "on budgeT", 1);
    let (code, out) = verify(server, &altered).await?;
    ensure!(
        code == 1 && out.contains("DOES NOT MATCH"),
        "verify rejects a changed byte: {code} {out}"
    );
    Ok(())
}

/// Adds a block to item `item`, types `text` and attributes it to `people`; returns the
/// new block's id.
async fn minute(
    browser: &Browser,
    who: &str,
    item: &str,
    text: &str,
    people: &[&str],
) -> anyhow::Result<String> {
    let before = strings(&browser.js(BLOCK_IDS_JS, vec![json!(item)]).await?);
    click(
        browser,
        &format!("section.item[data-item=\"{item}\"] button.add-block"),
    )
    .await?;
    let after = browser
        .wait_until(who, "a new block", BLOCK_IDS_JS, vec![json!(item)], |v| {
            strings(v).iter().any(|id| !before.contains(id))
        })
        .await?;
    let block = strings(&after)
        .into_iter()
        .find(|id| !before.contains(id))
        .context("the new block's id")?;
    let area = find(
        browser,
        &format!("div.block[data-block=\"{block}\"] textarea.block-text"),
    )
    .await?;
    area.click().await?;
    area.send_keys(text).await?;
    click(
        browser,
        &format!("div.block[data-block=\"{block}\"] button.speakers"),
    )
    .await?;
    for person in people {
        click(
            browser,
            &format!("div.block[data-block=\"{block}\"] input.speaker-option[value=\"{person}\"]"),
        )
        .await?;
        browser
            .wait_until(
                who,
                "the speaker chip",
                SPEAKERS_JS,
                vec![json!(block)],
                |v| strings(v).iter().any(|p| p == person),
            )
            .await?;
    }
    browser
        .wait_until(
            who,
            "the statement attributed",
            KIND_JS,
            vec![json!(block)],
            |v| v == "statement",
        )
        .await?;
    Ok(block)
}

async fn find(browser: &Browser, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("no {css}"))
}

async fn click(browser: &Browser, css: &str) -> anyhow::Result<()> {
    find(browser, css)
        .await?
        .click()
        .await
        .with_context(|| format!("click {css}"))?;
    Ok(())
}

async fn wait_status(
    browser: &Browser,
    who: &str,
    block: &str,
    status: &str,
) -> anyhow::Result<()> {
    browser
        .wait_until(
            who,
            &format!("statement {status}"),
            STATUS_JS,
            vec![json!(block)],
            |v| v.as_str() == Some(status),
        )
        .await?;
    Ok(())
}

/// Runs `minutebook verify FILE --server URL`; (exit code, output).
async fn verify(server: &TestServer, text: &str) -> anyhow::Result<(i32, String)> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("signed.md");
    std::fs::write(&file, text)?;
    let out = tokio::process::Command::new(server_binary())
        .arg("verify")
        .arg(&file)
        .arg("--server")
        .arg(server.http_url())
        .output()
        .await?;
    Ok((
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
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

const ROLE_JS: &str = "
    const r = document.querySelector('#my-role');
    const s = document.getElementById('status');
    return r && s && s.dataset.state === 'saved' ? r.dataset.role : null;";

const BANNER_JS: &str = "
    const b = document.getElementById('readonly-banner');
    return b ? { reason: b.dataset.reason, text: b.textContent } : null;";

const BLOCK_IDS_JS: &str = "
    return Array.from(document.querySelectorAll(`section.item[data-item=\"${arguments[0]}\"] div.block[data-block]`))
        .map(b => b.dataset.block);";

/// A statement's text: the editor's field, or the reading view's line without its speakers
/// and live notes (attendees read the minutes).
const BLOCK_TEXT_JS: &str = "
    const t = document.querySelector(`div.block[data-block=\"${arguments[0]}\"] textarea.block-text`);
    if (t) return t.value;
    const p = document.querySelector(`#reading [data-block=\"${arguments[0]}\"]`);
    if (!p) return null;
    const c = p.cloneNode(true);
    c.querySelectorAll('.speakers, .live-note').forEach(e => e.remove());
    return c.textContent.trim();";

const KIND_JS: &str = "
    const b = document.querySelector(`div.block[data-block=\"${arguments[0]}\"]`);
    return b ? b.dataset.kind : null;";

const STATUS_JS: &str = "
    const c = document.querySelector(`:is(div.block, #reading .statement)[data-block=\"${arguments[0]}\"] .statement-status`);
    return c ? c.dataset.status : null;";

const MY_STATEMENTS_JS: &str = "
    return Array.from(document.querySelectorAll('#my-statements li.my-statement'))
        .map(li => ({ block: li.dataset.block, status: li.dataset.status,
            statement: li.dataset.statementStatus,
            awaiting: Array.from(li.querySelectorAll('.my-others .awaiting')).map(a => a.dataset.person) }));";

const CHIP_JS: &str = "
    const c = document.querySelector(`:is(div.block, #reading .statement)[data-block=\"${arguments[0]}\"] .statement-status`);
    return c ? { status: c.dataset.status, missing: c.dataset.missing, text: c.textContent } : null;";

const UNCONFIRMED_JS: &str = "
    return Array.from(document.querySelectorAll('#unconfirmed-list li.unconfirmed'))
        .map(li => ({ block: li.dataset.block, missing: li.dataset.missing }));";

const SPEAKERS_JS: &str = "
    return Array.from(document.querySelectorAll(`div.block[data-block=\"${arguments[0]}\"] span.speaker-chip`))
        .map(s => s.dataset.person);";

const READINESS_JS: &str = "
    const v = id => { const e = document.getElementById(id); return e ? e.textContent.trim() : null; };
    return [v('ready-confirmed'), v('ready-pending'), v('ready-changed'), v('ready-corrections')];";

/// The reading view shows the statement and nothing can be edited.
/// The open corrections list: its heading, first entry's block, and that entry's diff.
const OPEN_CORRECTIONS_JS: &str = "
    const s = document.getElementById('open-corrections');
    if (!s) return null;
    const li = s.querySelector('li.open-correction');
    const text = sel => Array.from(li ? li.querySelectorAll('.correction-diff ' + sel) : [])
        .map(e => e.textContent).join('|');
    return { count: s.querySelector('h2').textContent, block: li && li.dataset.block,
             diff: { del: text('del'), ins: text('ins') } };";

/// The meeting bar: how many people it shows, its height, whether the page scrolls sideways.
const BAR_JS: &str = "
    const bar = document.querySelector('header.bar');
    return { peers: document.querySelectorAll('#presence li.peer').length,
             height: bar.getBoundingClientRect().height,
             sideways: document.documentElement.scrollWidth > window.innerWidth };";

/// Whether Ben's page still says his correction was sent.
const SENT_JS: &str = "return !!document.querySelector('#my-statements .my-done');";

const READONLY_JS: &str = "
    return !!document.querySelector(`#reading [data-block=\"${arguments[0]}\"]`)
        && !document.querySelector('textarea.block-text, button.add-block, #mode-edit');";

const VERSIONS_JS: &str = "
    return Array.from(document.querySelectorAll('#version-list li.version'))
        .map(li => ({ n: li.dataset.version, sha: (li.querySelector('code.v-sha') || {}).textContent,
            via: (li.querySelector('.v-provenance') || {}).textContent }));";
