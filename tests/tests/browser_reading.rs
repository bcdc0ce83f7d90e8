//! The reading view in headless Chromium, on the published fixture minutes with two actions
//! flagged (one overdue): a minute-taker starts in the editor, with the actions in place
//! under the block and item where they were flagged, and switches to the reading view,
//! which shows the minutes as a document (no form fields) with the actions in place; its
//! words are exactly the HTML export's (live notes aside); an attendee gets the reading
//! view from the start, with the statements' confirmation chips, and no way to edit; what
//! the minute-taker types appears in it live.
//! Screenshots of the reading view and its print form, at 1280×900 and 390×844, are
//! written to `target/screenshots/`.

use anyhow::{ensure, Context};
use fantoccini::Locator;
use minutebook_shared::meeting::{ActionFields, Meeting, NewAction};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{seed_fixture, workspace_root, TestServer, PATIENCE};
use serde_json::json;
use yrs::Transact;

const MEETING: &str = "reading-e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reading_view_says_what_the_export_says() {
    require_built_client();
    let mut server = TestServer::start().await;
    seed_fixture(&server, MEETING).await;
    let (overdue, later) = flag_actions(&server).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers, &overdue, &later).await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// Flags two actions through a native client: one after the first block of the first item
/// with blocks, due long ago; one at the start of the last item, due years ahead. Returns
/// their ids.
async fn flag_actions(server: &TestServer) -> (String, String) {
    let client = server.client(MEETING);
    client.wait_synced(PATIENCE).await.expect("synced");
    let meeting = Meeting::new(client.doc().clone());
    let view = meeting.view(&client.doc().transact());
    let item = view
        .items
        .iter()
        .find(|i| !i.blocks.is_empty())
        .expect("blocks");
    let last = view.items.last().expect("items");
    let owner = view.people[0].id.clone();
    let mut ids = Vec::new();
    for (description, due, item, block) in [
        (
            "Circulate the estates report",
            "2020-01-31",
            item,
            item.blocks.first(),
        ),
        ("Book the venue", "2099-12-31", last, None),
    ] {
        let action = NewAction {
            fields: ActionFields {
                description: description.into(),
                due: due.into(),
                ..Default::default()
            },
            owners: vec![owner.clone()],
            item: Some(item.id.clone()),
            block: block.map(|b| b.id.clone()),
        };
        let id = meeting
            .add_action(&mut client.doc().transact_mut(), &action)
            .expect("flag an action");
        ids.push(id.0);
    }
    client.wait_saved(PATIENCE).await.expect("saved");
    client.close().await;
    (ids[0].clone(), ids[1].clone())
}

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
    overdue: &str,
    later: &str,
) -> anyhow::Result<()> {
    browsers
        .push(Browser::open_invited(driver, server, MEETING, "Alice", Role::MinuteTaker).await?);
    browsers.push(Browser::open_invited(driver, server, MEETING, "Ann", Role::Attendee).await?);
    let (alice, ann) = (&browsers[0], &browsers[1]);

    // The minute-taker starts in the editor; the actions are in the minutes, in place.
    alice
        .wait_until("Alice", "the editor", MODE_JS, vec![], |v| {
            v == &json!({ "edit": "true", "fields": true, "reading": false })
        })
        .await?;
    alice
        .wait_until(
            "Alice",
            "the actions in place in the editor",
            EDITOR_ACTIONS_JS,
            vec![],
            |v| v.as_array().is_some_and(|a| a.len() == 2),
        )
        .await?;
    let placed = alice.js(EDITOR_ACTIONS_JS, vec![]).await?;
    ensure!(
        placed[0]["id"] == json!(overdue)
            && placed[0]["overdue"] == json!(true)
            && placed[0]["under"] == json!("block")
            && placed[1]["id"] == json!(later)
            && placed[1]["overdue"] == json!(false),
        "the editor's actions in place: {placed}"
    );

    // She switches to the reading view: a document, no form fields.
    alice
        .client
        .find(Locator::Css("#mode-read"))
        .await?
        .click()
        .await?;
    alice
        .wait_until("Alice", "the reading view", MODE_JS, vec![], |v| {
            v == &json!({ "edit": "false", "fields": false, "reading": true })
        })
        .await?;
    let actions = alice
        .wait_until(
            "Alice",
            "the actions in the reading view",
            READING_ACTIONS_JS,
            vec![],
            |v| v.as_array().is_some_and(|a| a.len() == 2),
        )
        .await?;
    ensure!(
        actions[0]["id"] == json!(overdue)
            && actions[0]["overdue"] == json!(true)
            && actions[0]["after"] == json!("block")
            && actions[0]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("ACTION") && t.contains("due 2020-01-31 · open"))
            && actions[1]["id"] == json!(later)
            && actions[1]["after"] == json!("heading"),
        "the reading view's actions in place: {actions}"
    );
    let shown = normalise(&alice.js(READING_TEXT_JS, vec![]).await?);

    // The words are the HTML export's.
    let dir = workspace_root().join("target/screenshots");
    std::fs::create_dir_all(&dir)?;
    alice.client.set_window_size(1280, 900).await?;
    std::fs::write(
        dir.join("reading-1280x900.png"),
        alice.client.screenshot().await?,
    )?;
    let exported = normalise(
        &alice
            .js(
                EXPORT_TEXT_JS,
                vec![json!(format!("/api/meetings/{MEETING}/export.html"))],
            )
            .await?,
    );
    ensure!(
        shown == exported,
        "the reading view and the export differ: {}",
        first_difference(&shown, &exported)
    );
    ensure!(
        shown.contains("Attendance") && shown.contains("Action log"),
        "{shown}"
    );

    // The attendee reads from the start: the chips are there, nothing is editable.
    ann.wait_until("Ann", "the reading view", MODE_JS, vec![], |v| {
        v == &json!({ "edit": null, "fields": false, "reading": true })
    })
    .await?;
    let chips = ann
        .wait_until(
            "Ann",
            "confirmation chips",
            "return document.querySelectorAll('#reading .statement .live-note .statement-status').length;",
            vec![],
            |v| v.as_u64().is_some_and(|n| n > 0),
        )
        .await?;
    ensure!(chips.as_u64().is_some_and(|n| n > 0), "chips: {chips}");

    // The minute-taker goes back to the editor and types; the attendee reads it live.
    alice
        .client
        .find(Locator::Css("#mode-edit"))
        .await?
        .click()
        .await?;
    let area = alice
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("section.item div.block textarea.block-text"))
        .await?;
    let block = alice
        .js(
            "return arguments[0].closest('div.block').dataset.block;",
            vec![json!(area.clone())],
        )
        .await?;
    area.click().await?;
    alice
        .js(
            "const t = arguments[0]; t.setSelectionRange(t.value.length, t.value.length);",
            vec![json!(area.clone())],
        )
        .await?;
    area.send_keys(" Amended live.").await?;
    ann.wait_until(
        "Ann",
        "the typing in her reading view",
        "const p = document.querySelector(`#reading [data-block=\"${arguments[0]}\"]`); \
         return p ? p.textContent : null;",
        vec![block],
        |v| v.as_str().is_some_and(|t| t.contains("Amended live.")),
    )
    .await?;

    // A phone: the reading view fits the width.
    ann.client.set_window_size(390, 844).await?;
    let sideways = ann
        .wait_until(
            "Ann",
            "no sideways scrolling",
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
            |v| v.as_i64().is_some_and(|d| d <= 0),
        )
        .await
        .with_context(|| "the reading view on a phone".to_owned())
        .map_err(|e| e.context(WIDE_JS));
    if sideways.is_err() {
        let wide = ann.js(WIDE_JS, vec![]).await?;
        anyhow::bail!("at 390 px the page scrolls sideways; too wide: {wide}");
    }
    std::fs::write(
        dir.join("reading-390x844.png"),
        ann.client.screenshot().await?,
    )?;

    // The print form: the minutes alone.
    ann.client.set_window_size(1280, 900).await?;
    let rules = ann.js(PRINT_JS, vec![]).await?;
    ensure!(
        rules.as_u64().is_some_and(|n| n > 0),
        "print rules: {rules}"
    );
    let hidden = ann.js(PRINT_HIDDEN_JS, vec![]).await?;
    ensure!(hidden == json!([true, true, true]), "print hides: {hidden}");
    std::fs::write(
        dir.join("print-1280x900.png"),
        ann.client.screenshot().await?,
    )?;
    ann.client.set_window_size(390, 844).await?;
    std::fs::write(
        dir.join("print-390x844.png"),
        ann.client.screenshot().await?,
    )?;
    Ok(())
}

/// The elements whose boxes or unclipped content reach furthest past the window's right
/// edge (content: long words overflowing a box that does not clip).
const WIDE_JS: &str = "
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        const content = style.overflowX === 'visible' ? r.left + e.scrollWidth : r.right;
        const right = Math.max(r.right, content);
        if (right > window.innerWidth + 1 && style.display !== 'none') {
            out.push([Math.round(right), e.tagName.toLowerCase() + '#' + e.id + '.' + e.className
                + ' box ' + Math.round(r.left) + '..' + Math.round(r.right)
                + ' in ' + (e.parentElement && (e.parentElement.id || e.parentElement.className))]);
        }
    }
    out.sort((a, b) => b[0] - a[0]);
    return out.filter(o => !o[1].startsWith('t')).slice(0, 12);";

/// Whitespace runs as one space (the two documents break lines differently).
fn normalise(v: &serde_json::Value) -> String {
    v.as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where `a` and `b` part, with some context.
fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let context = |s: &str| {
        let start = s.floor_char_boundary(at.saturating_sub(60));
        let end = s.ceil_char_boundary((at + 60).min(s.len()));
        s[start..end].to_owned()
    };
    format!(
        "at byte {at}: reading view {:?} / export {:?}",
        context(a),
        context(b)
    )
}

/// Which view is shown: the Edit button's state, whether form fields are there, whether
/// the reading view is.
const MODE_JS: &str = "
    const edit = document.getElementById('mode-edit');
    return { edit: edit ? edit.getAttribute('aria-pressed') : null,
             fields: !!document.querySelector('textarea.block-text, #h-title'),
             reading: !!document.querySelector('#reading section.item') };";

const EDITOR_ACTIONS_JS: &str = "
    return Array.from(document.querySelectorAll('li.action-here')).map(li => ({
        id: li.dataset.action, overdue: li.hasAttribute('data-overdue'),
        under: li.closest('div.block') ? 'block' : 'item' }));";

/// The reading view's actions: id, overdue mark, what comes just before (a block or the
/// item's heading), text.
const READING_ACTIONS_JS: &str = "
    return Array.from(document.querySelectorAll('#reading p.action')).map(p => {
        let prev = p.previousElementSibling;
        while (prev && prev.matches('p.action')) prev = prev.previousElementSibling;
        return { id: p.dataset.action, overdue: p.hasAttribute('data-overdue'),
                 after: prev && prev.matches('h3, h4, h5, h6') && !prev.matches('.sub-heading') ? 'heading' : 'block',
                 text: p.innerText };
    });";

/// The reading view's text without its live notes (chips, overdue marks). Through the
/// CSSOM: the page's content security policy refuses injected style elements.
const READING_TEXT_JS: &str = "
    const notes = Array.from(document.querySelectorAll('#reading .live-note'));
    notes.forEach(n => n.style.display = 'none');
    const text = document.getElementById('reading').innerText;
    notes.forEach(n => n.style.display = '');
    return text;";

/// The text of the HTML export's minutes, rendered in a frame of the page.
const EXPORT_TEXT_JS: &str = "
    return fetch(arguments[0]).then(r => r.text()).then(html => new Promise(resolve => {
        const frame = document.createElement('iframe');
        frame.style.width = '1200px';
        frame.onload = () => {
            const a = frame.contentDocument.querySelector('article.minutes');
            resolve(a ? a.innerText : 'no article.minutes in: ' + html.slice(0, 300));
            frame.remove();
        };
        frame.srcdoc = html;
        document.body.appendChild(frame);
    }));";

/// Emulates print media: the page's print rules are copied into its style sheet as
/// screen rules (through the CSSOM: the content security policy refuses style elements).
const PRINT_JS: &str = "
    const rules = [];
    for (const sheet of document.styleSheets) {
        for (const rule of sheet.cssRules) {
            if (rule.media && Array.from(rule.media).includes('print')) {
                for (const inner of rule.cssRules) rules.push(inner.cssText);
            }
        }
    }
    const sheet = document.styleSheets[0];
    for (const r of rules) sheet.insertRule(r, sheet.cssRules.length);
    return rules.length;";

/// Whether the header bar, the side column and every button are hidden.
const PRINT_HIDDEN_JS: &str = "
    const gone = e => !e || getComputedStyle(e).display === 'none';
    return [gone(document.querySelector('header.bar')), gone(document.querySelector('.side-col')),
            Array.from(document.querySelectorAll('button')).every(gone)];";
