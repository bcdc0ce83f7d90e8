//! Presence between two headless Chromium sessions on one meeting: each lists both users
//! (own entry marked, coloured), a selection made in a block by one is drawn over the
//! other's copy of that block (`.remote-caret[data-peer-name]`, `.remote-selection`) and
//! follows its characters when a third party edits the text before it, every name shown
//! is the verified one (the invitation's, never one the page asked for with `?name=` —
//! Alice opens her link asking to be "Administrator (Chair)" — nor a self-chosen one: the
//! page has no name field), also after a reload, and a session that leaves the page
//! disappears from the other's list.
//!
//! Page hooks are those of `client/DOM.md`. Everything waits by polling with a deadline.

use anyhow::{ensure, Context};
use minutebook_shared::meeting::{BlockId, BlockKind, Meeting};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{invite, TestServer, PATIENCE};
use serde_json::{json, Value};
use yrs::{Text, Transact};

const MEETING: &str = "presence-e2e";
const TEXT: &str = "The committee discussed the budget.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_see_each_other() {
    require_built_client();
    let mut server = TestServer::start().await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

/// Each entry's words (name, "(you)"; not the initials drawn for sight), whether it is the
/// page's own, its client id and colour.
const PEERS: &str = "return Array.from(document.querySelectorAll('#presence li.peer')).map(li => \
    ({text: Array.from(li.childNodes).filter(n => !(n.classList && n.classList.contains('peer-initials'))) \
        .map(n => n.textContent).join('').trim(), self: li.hasAttribute('data-self'), \
      client: li.dataset.client, colour: li.style.getPropertyValue('--peer-colour').trim()}));";

const MARKS: &str = "const b = document.querySelector('div.block[data-block=\"' + arguments[0] + '\"]'); \
    if (!b) return null; \
    const c = b.querySelector('.remote-caret[data-peer-name=\"' + arguments[1] + '\"]'); \
    return {caret: c ? [parseFloat(c.style.left), parseFloat(c.style.top)] : null, \
      selections: b.querySelectorAll('.remote-selection').length, \
      badges: Array.from(b.querySelectorAll('.block-presence .peer-badge')).map(e => e.textContent.trim())};";

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    // A meeting with one item holding one paragraph, written by a native client that
    // stays connected to edit the text later.
    let native = server.client(MEETING);
    native.wait_synced(PATIENCE).await?;
    let meeting = Meeting::new(native.doc().clone());
    let block: BlockId = {
        let mut txn = native.doc().transact_mut();
        let item = meeting.insert_item(&mut txn, None, 0, "Budget")?;
        meeting.insert_block(&mut txn, &item, 0, BlockKind::Paragraph, TEXT)?
    };
    native.wait_saved(PATIENCE).await?;

    // Each is invited to the meeting and opens it through their invitation link, which
    // leaves the page on `?meeting=…&name=…`; Alice asks for a name that is not hers.
    for (name, asked) in [("Alice", "Administrator (Chair)"), ("Bob", "Bob")] {
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
            .accept_invitation(link, Some(asked))
            .await
            .with_context(|| format!("{name} opens the meeting"))?;
        browsers.push(browser);
    }
    let (alice, bob) = (&browsers[0], &browsers[1]);

    // Both list both, themselves first and marked, each in a palette colour.
    for (who, me, other) in [("Alice", alice, "Bob"), ("Bob", bob, "Alice")] {
        let seen = me
            .wait_until(who, "both users listed", PEERS, vec![], |v| {
                names(v).len() == 2
            })
            .await?;
        let peers = seen.as_array().context("a list")?;
        ensure!(
            peers[0]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with(who))
                && peers[0]["self"] == json!(true),
            "{who}: own entry first and marked: {seen}"
        );
        ensure!(
            peers[1]["text"] == json!(other) && peers[1]["self"] == json!(false),
            "{who}: the other user: {seen}"
        );
        for p in peers {
            let colour = p["colour"].as_str().unwrap_or_default();
            ensure!(
                colour.len() == 7 && colour.starts_with('#'),
                "{who}: colour {p}"
            );
        }
        // Two people never wear one colour (a clash is resolved by the higher client id).
        me.wait_until(who, "two different colours", PEERS, vec![], |v| {
            v.as_array()
                .is_some_and(|p| p.len() == 2 && p[0]["colour"] != p[1]["colour"])
        })
        .await?;
    }

    // Alice selects "committee" in the block; Bob sees her badge, caret and selection.
    let area = format!("div.block[data-block=\"{}\"] textarea.block-text", block.0);
    alice
        .wait_until(
            "Alice",
            "the block",
            &format!("return !!document.querySelector('{area}');"),
            vec![],
            |v| v == &json!(true),
        )
        .await?;
    alice
        .js(
            &format!(
                "const t = document.querySelector('{area}'); t.focus(); \
                 t.setSelectionRange(4, 13); t.dispatchEvent(new Event('select'));"
            ),
            vec![],
        )
        .await?;
    let args = vec![json!(block.0), json!("Alice")];
    let before = bob
        .wait_until(
            "Bob",
            "Alice's caret and selection",
            MARKS,
            args.clone(),
            |v| {
                v["caret"].is_array()
                    && v["selections"].as_u64().unwrap_or(0) >= 1
                    && v["badges"] == json!(["Alice"])
            },
        )
        .await?;

    // Someone else types before the selection: Bob draws it further right.
    {
        let mut txn = native.doc().transact_mut();
        let text = meeting
            .block_text(&txn, &block)
            .context("the block's text")?;
        text.insert(&mut txn, 0, "Today ");
    }
    native.wait_saved(PATIENCE).await?;
    let x0 = before["caret"][0].as_f64().unwrap_or_default();
    bob.wait_until(
        "Bob",
        "Alice's caret moved by the edit",
        MARKS,
        args.clone(),
        |v| v["caret"][0].as_f64().is_some_and(|x| x > x0 + 1.0),
    )
    .await?;

    // Alice leaves the block: her caret and badge go.
    alice
        .js(&format!("document.querySelector('{area}').blur();"), vec![])
        .await?;
    bob.wait_until("Bob", "Alice's caret gone", MARKS, args, |v| {
        v["caret"].is_null() && v["badges"] == json!([])
    })
    .await?;

    // No page offers a name of one's own choosing, and nowhere does the name Alice asked
    // for appear; Bob's list gives her verified role.
    for (who, b) in [("Alice", alice), ("Bob", bob)] {
        let found = b
            .js(
                "return [!!document.getElementById('display-name'), \
                 document.body.textContent.includes('Administrator (Chair)')];",
                vec![],
            )
            .await?;
        ensure!(found == json!([false, false]), "{who}: {found}");
    }
    let roles = bob
        .js(
            "return Array.from(document.querySelectorAll('#presence li.peer:not([data-self])')) \
             .map(li => [li.dataset.role, li.title]);",
            vec![],
        )
        .await?;
    ensure!(
        roles == json!([["minute-taker", "Alice (minute-taker)"]]),
        "Bob sees Alice's verified role: {roles}"
    );
    // After a reload (asking for the false name again), still only verified names.
    alice
        .client
        .goto(&format!(
            "{}?meeting={MEETING}&name=Administrator%20(Chair)",
            server.http_url()
        ))
        .await?;
    alice
        .wait_until("Alice", "both listed again", PEERS, vec![], |v| {
            names(v) == ["Alice (you)", "Bob"]
        })
        .await?;
    bob.wait_until("Bob", "Alice back under her name", PEERS, vec![], |v| {
        names(v) == ["Bob (you)", "Alice"]
    })
    .await?;

    // Alice leaves the page: Bob's list shrinks to himself.
    alice.client.goto("about:blank").await?;
    bob.wait_until("Bob", "Alice gone", PEERS, vec![], |v| names(v).len() == 1)
        .await?;
    native.close().await;
    Ok(())
}
