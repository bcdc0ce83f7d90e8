//! Real browsers for end-to-end tests and benchmarks: headless Chromium sessions driven
//! through chromedriver (WebDriver) with `fantoccini`, each with a fresh profile.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/setup.sh --browser`) and the
//! built web client (`scripts/build-client.sh`).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fantoccini::cookies::Cookie;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::{web_dir, ServerProcess, TestServer, PATIENCE};

/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The server's session cookie.
pub const SESSION_COOKIE: &str = "minutebook_session";

/// axe-core's script: the npm package, installed for the tests only (`npm ci --prefix
/// tests/interop`) and loaded into the page by the test — users never download it.
pub fn axe_source() -> anyhow::Result<String> {
    std::fs::read_to_string(
        crate::workspace_root().join("tests/interop/node_modules/axe-core/axe.min.js"),
    )
    .context("axe-core (npm ci --prefix tests/interop)")
}

/// Runs `axe.run(document, arguments[0])`: its violations, each with its rule, impact,
/// help and first three targets.
const RUN_AXE_JS: &str = "
    const done = arguments[arguments.length - 1];
    const options = Object.assign({ resultTypes: ['violations'] }, arguments[0] || {});
    axe.run(document, options)
        .then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '')),
        }))))
        .catch(e => done('axe failed: ' + e));";

/// A chromedriver process on a free loopback port, killed on drop.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver; panics with a hint when it is not installed.
    pub fn spawn() -> Driver {
        require_browser();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // Without --allowed-ips chromedriver accepts local connections only.
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One headless Chromium session with its own fresh profile.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Opens a new session (retrying while chromedriver starts up).
    pub async fn open(driver: &Driver) -> anyhow::Result<Browser> {
        Browser::open_with(driver, &[]).await
    }

    /// Opens a new session with `extra` Chromium switches (the benchmark's tracing).
    pub async fn open_with(driver: &Driver, extra: &[String]) -> anyhow::Result<Browser> {
        let profile = tempfile::tempdir()?;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            // Several sessions share the machine; none may be throttled as "hidden".
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
            "--window-size=1280,900",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .chain(extra.iter().cloned())
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let deadline = Instant::now() + PATIENCE;
        loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&driver.url)
                .await;
            match attempt {
                Ok(client) => {
                    return Ok(Browser {
                        client,
                        _profile: profile,
                    })
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(e).context(format!("start Chromium through {CHROMEDRIVER}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Signs in with `token` ([`Browser::sign_in`]) and opens `meeting`'s page.
    pub async fn open_meeting(
        &self,
        origin: &str,
        token: &str,
        meeting: &str,
    ) -> anyhow::Result<()> {
        self.sign_in(origin, token).await?;
        let url = format!("{}/?meeting={meeting}", origin.trim_end_matches('/'));
        self.client
            .goto(&url)
            .await
            .with_context(|| format!("open {url}"))?;
        Ok(())
    }

    /// Signs this browser in to the server at `origin` (`http://ADDR/`) with session
    /// `token`, as if the server had set its cookie: opens `/healthz` (a page of the
    /// server's origin that does not start the app) and stores the `minutebook_session`
    /// cookie with the attributes the server gives it (`Path=/; HttpOnly;
    /// SameSite=Strict; Secure` — Chromium treats `http://127.0.0.1` as a secure
    /// context, so it keeps and sends the `Secure` cookie there, WebSocket upgrades
    /// included). Open the page to test afterwards.
    pub async fn sign_in(&self, origin: &str, token: &str) -> anyhow::Result<()> {
        let base = origin.trim_end_matches('/');
        // chromedriver refuses a cookie without a domain as fantoccini sends it (null).
        let host = base
            .split("://")
            .nth(1)
            .and_then(|h| h.rsplit_once(':').map(|(host, _port)| host))
            .with_context(|| format!("no host:port in {origin}"))?;
        self.client
            .goto(&format!("{base}/healthz"))
            .await
            .with_context(|| format!("open {base}/healthz to sign in"))?;
        let cookie = Cookie::parse(format!(
            "{SESSION_COOKIE}={token}; Domain={host}; Path=/; HttpOnly; SameSite=Strict; Secure"
        ))
        .context("the session cookie")?;
        self.client
            .add_cookie(cookie)
            .await
            .context("store the session cookie")?;
        let stored = self
            .client
            .get_named_cookie(SESSION_COOKIE)
            .await
            .context("the browser kept no session cookie")?;
        ensure!(
            stored.value() == token,
            "the browser holds another session cookie"
        );
        Ok(())
    }

    /// A new session for `name`, invited to `meeting` as `role` by the server's
    /// administrator, that has opened its invitation link (the meeting page is shown).
    pub async fn open_invited(
        driver: &Driver,
        server: &TestServer,
        meeting: &str,
        name: &str,
        role: minutebook_shared::trust::Role,
    ) -> anyhow::Result<Browser> {
        let invitation =
            crate::invite(server.addr(), &server.admin, meeting, name, None, role).await;
        let link = invitation["link"].as_str().context("an invitation link")?;
        let browser = Browser::open(driver).await?;
        browser
            .accept_invitation(link, Some(name))
            .await
            .with_context(|| format!("{name} opens the meeting"))?;
        Ok(browser)
    }

    /// Opens invitation `link` (`http://ADDR/?invite=TOKEN`, optionally with `&name=`
    /// `display_name`) the way the invited person would: the web client redeems it
    /// (`POST /api/session`, whose answer sets the session cookie) and replaces the address
    /// with the meeting's. Waits until the token has left the address and the browser
    /// holds the session cookie.
    pub async fn accept_invitation(
        &self,
        link: &str,
        display_name: Option<&str>,
    ) -> anyhow::Result<()> {
        let url = match display_name {
            Some(name) => format!("{link}&name={name}"),
            None => link.to_owned(),
        };
        self.client
            .goto(&url)
            .await
            .context("open the invitation link")?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let address = self.client.current_url().await?;
            let redeemed = !address.as_str().contains("invite=");
            if redeemed && self.client.get_named_cookie(SESSION_COOKIE).await.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let alert = self
                    .js(
                        "const e = document.getElementById('invite-error'); \
                         return e ? e.textContent : null;",
                        vec![],
                    )
                    .await
                    .unwrap_or(Value::Null);
                bail!(
                    "the invitation was not redeemed within {PATIENCE:?}: address {address}, \
                     error shown: {alert}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Runs axe-core (`axe`, its script: [`axe_source`]) in the page with `options` (an
    /// `axe.run` options object); the violations found, each with its rule, impact, help
    /// and first three targets.
    pub async fn axe(&self, axe: &str, options: Value) -> anyhow::Result<Vec<Value>> {
        let script = format!("{axe}\n{RUN_AXE_JS}");
        let found = self
            .client
            .execute_async(&script, vec![options])
            .await
            .context("axe-core")?;
        ensure!(found.is_array(), "axe-core did not run: {found}");
        Ok(found.as_array().cloned().unwrap_or_default())
    }

    /// Polls `probe` (a script returning JSON) until `done` accepts its result, or fails
    /// after [`PATIENCE`] saying what it waited for and what it saw last.
    pub async fn wait_until(
        &self,
        who: &str,
        what: &str,
        probe: &str,
        args: Vec<Value>,
        done: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = self.js(probe, args.clone()).await?;
            if done(&seen) {
                return Ok(seen);
            }
            if Instant::now() > deadline {
                bail!("{who}: no {what} within {PATIENCE:?}; last seen {seen}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fills and submits the open action form of the meeting page (`client/DOM.md`):
    /// waits for `#action-desc`, types `description`, picks owner `owner` (a person id)
    /// and types `due`.
    pub async fn submit_action_form(
        &self,
        description: &str,
        owner: &str,
        due: &str,
    ) -> anyhow::Result<()> {
        self.submit_action_form_for(description, &[owner], due)
            .await
    }

    /// [`Browser::submit_action_form`] with several owners: the first is chosen in the
    /// owner select, the others ticked under "More owners".
    pub async fn submit_action_form_for(
        &self,
        description: &str,
        owners: &[&str],
        due: &str,
    ) -> anyhow::Result<()> {
        let find = |css: &'static str| async move {
            self.client
                .wait()
                .at_most(PATIENCE)
                .for_element(Locator::Css(css))
                .await
                .with_context(|| format!("the action form's {css}"))
        };
        find("#action-form #action-desc")
            .await?
            .send_keys(description)
            .await?;
        if let Some((first, more)) = owners.split_first() {
            find("#action-owner").await?.select_by_value(first).await?;
            if !more.is_empty() {
                find("#action-more-owners summary").await?.click().await?;
                for id in more {
                    self.client
                        .find(Locator::Css(&format!(
                            "#action-more-owners input.action-co-owner[value=\"{id}\"]"
                        )))
                        .await
                        .with_context(|| format!("the owner box of {id}"))?
                        .click()
                        .await?;
                }
            }
        }
        find("#action-due").await?.send_keys(due).await?;
        find("#action-form [type=submit]").await?.click().await?;
        Ok(())
    }

    /// Closes the session (errors ignored: the test's outcome is already decided).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Ends a browser test: closes every session, stops chromedriver and the server, then
/// fails the test with the scenario's error, if any (so nothing is left running).
pub async fn finish(
    browsers: Vec<Browser>,
    driver: Driver,
    server: &mut TestServer,
    outcome: anyhow::Result<()>,
) {
    close_all(browsers, driver).await;
    server.stop().await;
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
}

/// [`finish`] for a test of the real `minutebook` binary: the process is killed.
pub async fn finish_process(
    browsers: Vec<Browser>,
    driver: Driver,
    server: ServerProcess,
    outcome: anyhow::Result<()>,
) {
    close_all(browsers, driver).await;
    server.kill9().await;
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
}

async fn close_all(browsers: Vec<Browser>, driver: Driver) {
    for browser in browsers {
        browser.close().await;
    }
    drop(driver);
}

/// Panics with a hint unless the web client has been built.
pub fn require_built_client() {
    let dir = web_dir();
    for file in [
        "index.html",
        "minutebook_client.js",
        "minutebook_client_bg.wasm",
    ] {
        assert!(
            dir.join(file).is_file(),
            "the web client is not built ({} is missing): run scripts/build-client.sh",
            dir.join(file).display()
        );
    }
}

/// Panics with a hint unless Chromium and chromedriver are installed.
pub fn require_browser() {
    for bin in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(bin).exists(),
            "{bin} is missing: run scripts/setup.sh --browser"
        );
    }
}
