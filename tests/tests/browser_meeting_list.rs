//! The meeting list page (`/`) in a headless Chromium session on a real server: the
//! administrator (creating and importing meetings is theirs) imports published minutes
//! from a file, finds the meeting in the list,
//! flags an action in it, marks three of its items as standing, starts the next meeting
//! of the series from it (same register, attendance not recorded yet; the standing items'
//! titles without text, not the one-off topic; the date from "next meeting";
//! the open action carried forward with its reference), creates an empty meeting, gets a
//! precise error for a malformed import (and no meeting from it), and follows the export
//! links to the Markdown and HTML documents.
//!
//! The page hooks used here are listed in `client/DOM.md`. Everything waits by polling
//! with a deadline ([`PATIENCE`]); no sleep is an assertion.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fantoccini::Locator;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{workspace_root, TestServer, PATIENCE};
use serde_json::{json, Value};

const FIXTURE: &str = "shared/fixtures/assurance-meeting-2022-01.txt";
const NEXT_TITLE: &str = "Monthly Assurance Meeting March 2022";
const EMPTY_TITLE: &str = "Scratch pad";
const ACTION: &str = "Share the homicide problem profile with the OPCC";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_list_imports_creates_and_exports() {
    require_built_client();
    let mut server = TestServer::start().await;
    let driver = Driver::spawn();
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, scratch.path(), &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    scratch: &std::path::Path,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    browsers.push(Browser::open(driver).await?);
    let b = &browsers[0];
    let home = format!("{}?name=Alice", server.http_url());

    // 1. Import the published minutes through the list page's form.
    b.sign_in(&server.http_url(), &server.admin).await?;
    b.client.goto(&home).await.context("open the list")?;
    let fixture = workspace_root().join(FIXTURE);
    import_file(b, &fixture, "legacy").await?;
    let first = wait_meeting_page(b, None).await?;
    let numbers = ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4"];
    b.wait_until(
        "imported",
        "the imported outline",
        OUTLINE_JS,
        vec![],
        |v| strings_at(v, "number") == numbers,
    )
    .await?;
    let register = b
        .wait_until("imported", "the register of 7", REGISTER_JS, vec![], |v| {
            v.as_array().is_some_and(|rows| rows.len() == 7)
        })
        .await?;
    let people = strings_at(&register, "name");
    ensure!(
        people.first().map(String::as_str) == Some("John Campion")
            && people.iter().any(|p| p == "Julian Moss"),
        "imported register {register}"
    );
    let items = b
        .wait_until("imported", "all items mounted", ITEMS_JS, vec![], |v| {
            v["mounting"] == false && strings_at(&v["items"], "number") == numbers
        })
        .await?;
    let standing: Vec<String> = items["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["number"].as_str().is_some_and(|n| !n.contains('.')))
        .filter_map(|i| i["title"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        standing.len() == 4 && standing.iter().all(|t| !t.trim().is_empty()),
        "imported top-level titles {standing:?}"
    );
    // Items 1, 3 and 4 are standing (every meeting has them); item 2 was a one-off topic.
    for number in ["1", "3", "4"] {
        b.client
            .find(Locator::Css(&format!(
                "section.item[data-number=\"{number}\"] input.item-standing-box"
            )))
            .await
            .with_context(|| format!("item {number}'s standing box"))?
            .click()
            .await?;
    }
    let standing: Vec<String> = [0, 2, 3].iter().map(|&i| standing[i].clone()).collect();

    // Flag an action in the imported meeting from a block's button; the server numbers it.
    let dcc = register
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["short"] == "DCC")
        .and_then(|r| r["id"].as_str())
        .context("the DCC in the register")?
        .to_owned();
    b.client
        .find(Locator::Css(
            "section.item[data-number=\"3\"] div.block button.flag-action",
        ))
        .await
        .context("a block in item 3 with its flag-action button")?
        .click()
        .await?;
    b.submit_action_form(ACTION, &dcc, "next meeting").await?;
    let flagged = wait_action(b, "imported").await?;
    let reference = flagged["reference"].as_str().unwrap_or_default().to_owned();
    ensure!(
        flagged["owner"].as_str().is_some_and(|o| o.contains("DCC")),
        "flagged action {flagged}"
    );
    wait_state(b, "imported", "saved").await?;

    // 2. The list shows it with its title, series and date.
    b.client.goto(&home).await?;
    let listed = wait_list(b, "the imported meeting listed", |rows| {
        rows.iter().any(|r| r["name"] == first.as_str())
    })
    .await?;
    let row = find_row(&listed, &first)?;
    ensure!(
        row["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Monthly Assurance Meeting January 2022"))
            && row["href"] == format!("?meeting={first}").as_str()
            && row["series"] == "Monthly Assurance Meeting"
            && row["date"] == "Monday 31st January"
            && row["status"] == "Draft",
        "listed {row}"
    );

    // 3. The next meeting of the series, started from the imported one.
    b.client
        .find(Locator::Css("#new-title"))
        .await?
        .send_keys(NEXT_TITLE)
        .await?;
    pick_from(b, &first).await?;
    submit(b, "#new-meeting").await?;
    let next = wait_meeting_page(b, Some(&first)).await?;
    let register = b
        .wait_until("next", "the carried register", REGISTER_JS, vec![], |v| {
            strings_at(v, "name") == people
        })
        .await?;
    ensure!(
        strings_at(&register, "attendance")
            .iter()
            .all(|a| a == "unknown"),
        "carried register attendance (not recorded yet) {register}"
    );
    let carried = b
        .wait_until("next", "the standing items", ITEMS_JS, vec![], |v| {
            v["mounting"] == false && strings_at(&v["items"], "title") == standing
        })
        .await?;
    ensure!(
        strings_at(&carried["items"], "number") == ["1", "2", "3"]
            && carried["items"]
                .as_array()
                .is_some_and(|items| items.iter().all(|i| i["blocks"] == 0)),
        "carried items {carried}"
    );
    b.wait_until("next", "the next meeting's date", DATE_JS, vec![], |v| {
        v.as_str() == Some("Friday 11th March")
    })
    .await?;
    b.wait_until("next", "the new title", TITLE_JS, vec![], |v| {
        v.as_str() == Some(NEXT_TITLE)
    })
    .await?;
    let carried_action = wait_action(b, "next").await?;
    ensure!(
        carried_action["reference"] == reference.as_str()
            && carried_action["owner"] == flagged["owner"]
            && carried_action["status"] == "open",
        "carried action {carried_action}, flagged with reference {reference}"
    );
    wait_state(b, "next", "saved").await?;
    // The series' action log lists the carried action once, in both meetings.
    b.client
        .find(Locator::Css("#tab-actions"))
        .await?
        .click()
        .await?;
    b.client
        .find(Locator::Css("#show-action-log"))
        .await?
        .click()
        .await?;
    let log = b
        .wait_until(
            "next",
            "the series' action log",
            ACTION_LOG_JS,
            vec![],
            |v| v.as_array().is_some_and(|rows| !rows.is_empty()),
        )
        .await?;
    ensure!(
        log.as_array().is_some_and(|rows| rows.len() == 1
            && rows[0]["reference"] == reference.as_str()
            && rows[0]["meeting"] == next.as_str()
            && rows[0]["status"] == "open"
            && rows[0]["meetings"]
                .as_str()
                .is_some_and(|m| m.contains("(this meeting)"))),
        "action log {log}"
    );

    // 4. An empty meeting: no items, and items can be added.
    b.client.goto(&home).await?;
    wait_list(b, "two meetings", |rows| rows.len() == 2).await?;
    b.client
        .find(Locator::Css("#new-title"))
        .await?
        .send_keys(EMPTY_TITLE)
        .await?;
    pick_from(b, "").await?;
    submit(b, "#new-meeting").await?;
    let empty = wait_meeting_page(b, Some(&first)).await?;
    ensure!(empty != next, "the empty meeting reopened {next}");
    b.wait_until(
        "empty",
        "the empty meeting's title",
        TITLE_JS,
        vec![],
        |v| v.as_str() == Some(EMPTY_TITLE),
    )
    .await?;
    wait_state(b, "empty", "saved").await?;
    let outline = b.js(OUTLINE_JS, vec![]).await?;
    let register = b.js(REGISTER_JS, vec![]).await?;
    ensure!(
        outline.as_array().is_some_and(Vec::is_empty)
            && register.as_array().is_some_and(Vec::is_empty),
        "empty meeting shows outline {outline} and register {register}"
    );
    b.client
        .find(Locator::Css("#add-item"))
        .await?
        .click()
        .await?;
    b.wait_until("empty", "the first item", OUTLINE_JS, vec![], |v| {
        strings_at(v, "number") == ["1"]
    })
    .await?;
    wait_state(b, "empty", "saved").await?;
    b.client.goto(&home).await?;
    let listed = wait_list(b, "three meetings", |rows| rows.len() == 3).await?;
    let row = find_row(&listed, &next)?;
    ensure!(
        row["title"] == NEXT_TITLE
            && row["series"] == "Monthly Assurance Meeting"
            && row["date"] == "Friday 11th March",
        "listed next meeting {row}"
    );
    ensure!(
        find_row(&listed, &empty)?["title"] == EMPTY_TITLE,
        "listed {listed}"
    );

    // 5. A malformed import: an error saying what and where, and no new meeting.
    let bad = scratch.join("hello.txt");
    std::fs::write(&bad, "hello\n")?;
    import_file(b, &bad, "legacy").await?;
    let alert = b
        .wait_until("list", "the import error", IMPORT_ERROR_JS, vec![], |v| {
            v.as_str().is_some_and(|s| !s.trim().is_empty())
        })
        .await?;
    let alert = alert.as_str().unwrap_or_default();
    ensure!(
        alert.contains("line 1") && alert.contains("no numbered items"),
        "import error {alert:?}"
    );
    let url = b.client.current_url().await?;
    ensure!(
        !url.query().unwrap_or_default().contains("meeting="),
        "the page left the list after a failed import: {url}"
    );
    let api = server.http().get("/api/meetings").await;
    ensure!(
        api.status == 200 && api.json().as_array().is_some_and(|m| m.len() == 3),
        "meetings after the failed import: {}",
        api.text()
    );
    b.client.refresh().await?;
    wait_list(b, "still three meetings", |rows| rows.len() == 3).await?;

    // 6. The export links of the imported meeting, fetched as a download would (with the
    // same session).
    b.client
        .goto(&format!("{}?meeting={first}", server.http_url()))
        .await?;
    let md_href = link(b, "#export-md").await?;
    let html_href = link(b, "#export-html").await?;
    ensure!(
        md_href == format!("/api/meetings/{first}/export.md"),
        "#export-md href {md_href}"
    );
    ensure!(
        html_href == format!("/api/meetings/{first}/export.html"),
        "#export-html href {html_href}"
    );
    let md = server.http().get(&md_href).await;
    ensure!(
        md.status == 200
            && md
                .header("content-type")
                .is_some_and(|t| t.contains("markdown")),
        "Markdown export: {} {:?}",
        md.status,
        md.headers
    );
    let md = md.text();
    ensure!(
        md.starts_with("# Monthly Assurance Meeting") && md.contains(ACTION),
        "Markdown export starts {:?}",
        md.chars().take(200).collect::<String>()
    );
    let html = server.http().get(&html_href).await;
    ensure!(
        html.status == 200
            && html
                .header("content-type")
                .is_some_and(|t| t.contains("html")),
        "HTML export: {} {:?}",
        html.status,
        html.headers
    );
    let html = html.text();
    let attendance = html
        .find("<section class=\"attendance\">")
        .map(|at| &html[at..])
        .and_then(|s| s.find("</section>").map(|end| &s[..end]))
        .context("the HTML export has an attendance section")?;
    ensure!(
        attendance.contains("<table>")
            && people.iter().all(|p| attendance.contains(p.as_str()))
            && attendance.contains("Present"),
        "HTML attendance section {attendance}"
    );
    Ok(())
}

/// Fills `form#import-meeting` with `file` in `format` and submits it.
async fn import_file(b: &Browser, file: &std::path::Path, format: &str) -> anyhow::Result<()> {
    let input = b
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("input#import-file"))
        .await
        .context("the import form")?;
    let path = file
        .canonicalize()
        .with_context(|| format!("{}", file.display()))?;
    input.send_keys(&path.to_string_lossy()).await?;
    b.client
        .find(Locator::Css("select#import-format"))
        .await?
        .select_by_value(format)
        .await?;
    submit(b, "#import-meeting").await
}

async fn submit(b: &Browser, form: &str) -> anyhow::Result<()> {
    b.client
        .find(Locator::Css(&format!("form{form} [type=submit]")))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Chooses `value` in `select#new-from` once the list has filled it.
async fn pick_from(b: &Browser, value: &str) -> anyhow::Result<()> {
    b.wait_until(
        "list",
        &format!("option {value:?} in #new-from"),
        "return document.querySelector(`#new-from option[value=\"${arguments[0]}\"]`) !== null;",
        vec![json!(value)],
        |v| v == &json!(true),
    )
    .await?;
    b.client
        .find(Locator::Css("select#new-from"))
        .await?
        .select_by_value(value)
        .await?;
    let chosen = b
        .js("return document.getElementById('new-from').value;", vec![])
        .await?;
    ensure!(
        chosen == json!(value),
        "#new-from is {chosen}, not {value:?}"
    );
    Ok(())
}

/// Waits until the page is a meeting editor other than `not`; returns its name.
async fn wait_meeting_page(b: &Browser, not: Option<&str>) -> anyhow::Result<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let url = b.client.current_url().await?;
        let name = url
            .query_pairs()
            .find(|(k, _)| k == "meeting")
            .map(|(_, v)| v.into_owned());
        if let Some(name) = name.filter(|n| Some(n.as_str()) != not) {
            return Ok(name);
        }
        if Instant::now() > deadline {
            let alerts = b
                .js(
                    "return Array.from(document.querySelectorAll('[role=alert]')).map(e => e.textContent);",
                    vec![],
                )
                .await
                .unwrap_or_default();
            bail!("no meeting page within {PATIENCE:?}: still at {url}; alerts {alerts}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `ul#meetings` satisfies `done`; returns its rows.
async fn wait_list(
    b: &Browser,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Value> {
    b.wait_until("list", what, LIST_JS, vec![], |v| {
        v.as_array().is_some_and(|rows| done(rows))
    })
    .await
}

fn find_row<'a>(rows: &'a Value, name: &str) -> anyhow::Result<&'a Value> {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name))
        .with_context(|| format!("{name} in the list {rows}"))
}

/// Waits for the one action row with [`ACTION`] and a server-given reference.
/// The one action in the actions panel (its tab is opened first), once it has a reference.
async fn wait_action(b: &Browser, who: &str) -> anyhow::Result<Value> {
    b.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#tab-actions"))
        .await?
        .click()
        .await?;
    let rows = b
        .wait_until(
            who,
            "the action with its reference",
            ACTIONS_JS,
            vec![],
            |v| {
                v.as_array().is_some_and(|rows| {
                    rows.iter().any(|r| {
                        r["desc"] == ACTION
                            && r["pending"] == false
                            && r["reference"].as_str().is_some_and(|s| !s.is_empty())
                    })
                })
            },
        )
        .await?;
    let all = rows.as_array().cloned().unwrap_or_default();
    ensure!(all.len() == 1, "{who}: actions panel shows {rows}");
    Ok(all[0].clone())
}

async fn wait_state(b: &Browser, who: &str, state: &str) -> anyhow::Result<()> {
    b.wait_until(who, &format!("status {state}"), STATE_JS, vec![], |v| {
        v.as_str() == Some(state)
    })
    .await?;
    Ok(())
}

/// The `href` attribute (as written) of the link `selector`, once it is there.
async fn link(b: &Browser, selector: &str) -> anyhow::Result<String> {
    let v = b
        .wait_until(
            "export",
            &format!("the link {selector}"),
            "const a = document.querySelector(arguments[0]); return a ? a.getAttribute('href') : null;",
            vec![json!(selector)],
            Value::is_string,
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

fn strings_at(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

const STATE_JS: &str =
    "const s = document.getElementById('status'); return s ? s.dataset.state : null;";

const LIST_JS: &str = "
    if (!document.getElementById('meetings')) return null;
    if (document.querySelector('main.list-page .hint') &&
        document.querySelector('main.list-page .hint').textContent.startsWith('Loading')) return null;
    const text = (li, sel) => ((li.querySelector(sel) || {}).textContent || '').trim();
    return Array.from(document.querySelectorAll('ul#meetings > li[data-meeting]')).map(li => ({
        name: li.dataset.meeting,
        title: text(li, 'a'),
        href: (li.querySelector('a') || { getAttribute: () => null }).getAttribute('href'),
        series: text(li, '.series'), date: text(li, '.date'), status: text(li, '.m-status'),
    }));";

const OUTLINE_JS: &str = "
    return Array.from(document.querySelectorAll('#outline li[data-item]')).map(li => ({
        id: li.dataset.item, number: li.dataset.number,
        shown: (li.querySelector('.num') || {}).textContent,
    })).filter(e => e.shown && e.shown.trim() === e.number);";

const REGISTER_JS: &str = "
    const v = (tr, sel) => (tr.querySelector(sel) || {}).value;
    return Array.from(document.querySelectorAll('table#register > tbody > tr[data-person]')).map(tr => ({
        id: tr.dataset.person, name: v(tr, 'input.p-name'), short: v(tr, 'input.p-short'),
        attendance: v(tr, 'select.p-attendance'),
    }));";

const ITEMS_JS: &str = "
    const box = document.querySelector('div.items');
    return {
        mounting: !box || box.hasAttribute('data-mounting'),
        items: Array.from(document.querySelectorAll('section.item[data-item]')).map(s => ({
            number: s.dataset.number,
            title: (s.querySelector('input.item-title') || {}).value,
            blocks: s.querySelectorAll('div.block').length,
        })),
    };";

const DATE_JS: &str = "const d = document.getElementById('h-date'); return d ? d.value : null;";

const TITLE_JS: &str = "const t = document.getElementById('h-title'); return t ? t.value : null;";

const ACTIONS_JS: &str = "
    const text = (r, sel) => ((r.querySelector(sel) || {}).textContent || '').trim();
    return Array.from(document.querySelectorAll('#actions-panel tr[data-action]'))
        .filter(r => r.offsetParent !== null)
        .map(r => ({
            id: r.dataset.action, status: r.dataset.status,
            reference: text(r, '.a-ref'),
            pending: !!(r.querySelector('.a-ref.pending')),
            desc: text(r, '.a-desc'), owner: text(r, '.a-owner'),
        }));";

const IMPORT_ERROR_JS: &str = "
    const e = document.querySelector('form#import-meeting [role=alert]');
    return e ? e.textContent : null;";

const ACTION_LOG_JS: &str = "
    return Array.from(document.querySelectorAll('#action-log-table tbody tr[data-action]'))
        .map(r => ({ reference: (r.querySelector('.l-ref') || {}).textContent.trim(),
                     meeting: r.dataset.meeting, status: r.dataset.status,
                     meetings: (r.querySelector('.l-meetings') || {}).textContent }));";
