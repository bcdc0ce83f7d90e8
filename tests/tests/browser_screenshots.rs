//! Screenshots of the meeting page, for people to look at: the editor at 1280×900 and at
//! 390×844 (a phone), written to `target/screenshots/`. The test checks what a reviewer
//! relies on being there — the minutes' items in view, no sideways scrolling on either,
//! and real PNG images of the requested size — and leaves judging the look to
//! people.

use anyhow::{ensure, Context};
use minutebook_shared::trust::Role;
use minutebook_tests::browser::{finish, require_built_client, Browser, Driver};
use minutebook_tests::{seed_fixture, workspace_root, TestServer};

const MEETING: &str = "screenshots-e2e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_is_photographed_on_a_desktop_and_a_phone() {
    require_built_client();
    let mut server = TestServer::start().await;
    seed_fixture(&server, MEETING).await;
    let driver = Driver::spawn();
    let mut browsers = Vec::new();
    let outcome = scenario(&server, &driver, &mut browsers).await;
    finish(browsers, driver, &mut server, outcome).await;
}

async fn scenario(
    server: &TestServer,
    driver: &Driver,
    browsers: &mut Vec<Browser>,
) -> anyhow::Result<()> {
    browsers
        .push(Browser::open_invited(driver, server, MEETING, "Alice", Role::MinuteTaker).await?);
    let a = &browsers[0];
    a.wait_until("A", "the items", ITEMS_JS, vec![], |v| {
        v.as_u64().is_some_and(|n| n >= 10)
    })
    .await?;
    let dir = workspace_root().join("target/screenshots");
    std::fs::create_dir_all(&dir)?;
    for (name, width, height) in [("editor-1280x900", 1280, 900), ("editor-390x844", 390, 844)] {
        a.client.set_window_size(width, height).await?;
        let inner = a
            .wait_until(
                "A",
                "the new window size",
                "return window.innerWidth;",
                vec![],
                |v| v.as_u64().is_some_and(|w| w <= u64::from(width)),
            )
            .await?;
        // The page never scrolls sideways (wide tables scroll inside their panels).
        let sideways = a
            .wait_until("A", "no sideways scrolling", SIDEWAYS_JS, vec![], |v| {
                v.as_i64().is_some_and(|d| d <= 0)
            })
            .await;
        if sideways.is_err() {
            let wide = a.js(WIDE_JS, vec![]).await?;
            anyhow::bail!(
                "at {width} px the page scrolls sideways ({sideways:?}); too wide: {wide}"
            );
        }
        let png = a.client.screenshot().await?;
        check_png(&png, name, width, &inner)?;
        std::fs::write(dir.join(format!("{name}.png")), &png)?;
    }
    Ok(())
}

/// A PNG as wide as the window (`width`) or its inner width.
fn check_png(png: &[u8], name: &str, width: u32, inner: &serde_json::Value) -> anyhow::Result<()> {
    ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
    // The IHDR chunk holds the image's width (bytes 16..20).
    let shot_width = u32::from_be_bytes(png.get(16..20).context("a PNG header")?.try_into()?);
    ensure!(
        u64::from(shot_width) == inner.as_u64().unwrap_or_default() || shot_width == width,
        "{name}: {shot_width} px wide"
    );
    Ok(())
}

const SIDEWAYS_JS: &str = "return document.documentElement.scrollWidth - window.innerWidth;";

/// The outermost elements reaching past the window's right edge.
const WIDE_JS: &str = "
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        if (e.getBoundingClientRect().right > window.innerWidth + 1
            && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1)) {
            out.push(e.tagName.toLowerCase() + '#' + e.id + '.' + e.className + ' in ' + (e.parentElement && e.parentElement.className) + ' ' + Math.round(e.getBoundingClientRect().right));
        }
        if (out.length >= 6) break;
    }
    return out;";

const ITEMS_JS: &str = "return document.querySelectorAll('section.item').length;";
