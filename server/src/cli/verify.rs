//! `minutebook verify FILE`: checks an exported signed version against the version the
//! store holds — read from the database, or asked of a running server (`--server`,
//! `POST /api/verify`) — and a Markdown export also against the SHA-256 its sign-off
//! block carries. Exits 0 only when all match (1: does not match, 2: usage or I/O error,
//! or unchecked).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use minutebook_server::auth::signed_file;
use minutebook_server::docs::outputs::Kind;
use minutebook_server::DB_FILE;
use minutebook_shared::signoff::{self, SignOff, Verdict, VerifyAnswer};

use minutebook_server::store::Store;

use super::verify_offline::{self, Offline};

/// Settings of `minutebook verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Directory holding the redb database (`minutebook.redb`); read when `--server` is
    /// not given (the server must then be stopped).
    #[arg(long, env = "MINUTEBOOK_DATA_DIR", default_value = "data")]
    pub(super) data_dir: PathBuf,

    /// Ask the running server at this URL (`http://HOST:PORT`) for the stored version
    /// instead of opening the database (takes precedence over `--data-dir`).
    #[arg(long, env = "MINUTEBOOK_SERVER")]
    pub(super) server: Option<String>,

    /// Check offline instead, with no server and no store: the file's signature against
    /// these published keys (the JSON of `GET /api/signing-keys` or `minutebook keys
    /// list`, or one base64 Ed25519 public key).
    #[arg(long, value_name = "KEYS")]
    pub(super) key: Option<PathBuf>,

    /// Bearer token to send to `--server`, if it asks for credentials.
    #[arg(long, env = "MINUTEBOOK_TOKEN", hide_env_values = true)]
    pub(super) token: Option<String>,

    /// The exported file: a signed version's Markdown (with its sign-off block) or HTML
    /// (with its sign-off footer), its PDF or its Word document.
    pub(super) file: PathBuf,
}

/// Exit status of `verify` when the file does not match.
pub(super) const EXIT_MISMATCH: i32 = 1;
/// Exit status of `verify` on usage and I/O errors.
pub(super) const EXIT_ERROR: i32 = 2;

/// Verifies an exported file; prints `VERIFIED: …` or `DOES NOT MATCH: …` and exits with
/// 0 (verified), 1 (does not match) or 2 (could not be checked).
pub async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    if let Some(keys) = &args.key {
        return offline(keys, &args.file);
    }
    let code = match check_file(&args).await {
        Ok((verdict, found)) if verdict.verified() => {
            println!(
                "{}",
                signoff::verdict_line(&verdict, found.superseded_by.as_ref())
            );
            println!("{}", signoff::approval_line(&found));
            0
        }
        Ok((verdict, _)) => {
            println!("{verdict}");
            if verdict.mismatch() {
                EXIT_MISMATCH
            } else {
                EXIT_ERROR
            }
        }
        Err(NoVerdict::Mismatch(line)) => {
            println!("DOES NOT MATCH: {line}");
            EXIT_MISMATCH
        }
        Err(NoVerdict::Lookup(verdict, e)) => {
            println!("{verdict}");
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
        Err(NoVerdict::Error(e)) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    };
    exit_with(code)
}

/// Flushes what was printed and exits with `code` (returns for 0).
pub(super) fn exit_with(code: i32) -> anyhow::Result<()> {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// Largest file `verify --key` reads (a PDF or Word output included).
const MAX_OFFLINE_BYTES: u64 = 64 << 20;

/// `verify --key`: prints the offline verdict (of an export, an approval record, or a PDF
/// or Word file's signed claim) and exits 0, 1 or 2.
fn offline(keys: &Path, file: &Path) -> anyhow::Result<()> {
    let checked = verify_offline::read_keys(keys).and_then(|keys| {
        let size = std::fs::metadata(file)
            .with_context(|| format!("reading {}", file.display()))?
            .len();
        if size > MAX_OFFLINE_BYTES {
            bail!(
                "{} is {size} bytes; a signed version's file is at most {MAX_OFFLINE_BYTES}",
                file.display()
            );
        }
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        if Kind::sniff(&bytes).is_some() {
            return Ok(signed_file::check_output(&keys, &bytes).0);
        }
        Ok(match String::from_utf8(bytes) {
            Ok(text) => verify_offline::check(&keys, &text),
            Err(_) => Offline::Mismatch(format!(
                "{} is not UTF-8 text, so it is not an unaltered Minutebook export",
                file.display()
            )),
        })
    });
    let code = match checked {
        Ok(Offline::Verified { line, .. }) => {
            println!("{line}");
            0
        }
        Ok(Offline::Mismatch(why)) => {
            println!("DOES NOT MATCH: {why}");
            EXIT_MISMATCH
        }
        Ok(Offline::Unchecked(why)) => {
            println!("NOT CHECKED: {why}");
            EXIT_ERROR
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    };
    exit_with(code)
}

/// Why `verify` has no verdict from the store.
#[derive(Debug)]
enum NoVerdict {
    /// The file is not text, so not an unaltered export.
    Mismatch(String),
    /// The file matches its own hash, but the store could not be asked.
    Lookup(Verdict, anyhow::Error),
    /// The file could not be read.
    Error(anyhow::Error),
}

async fn check_file(args: &VerifyArgs) -> Result<(Verdict, VerifyAnswer), NoVerdict> {
    let shown = args.file.display();
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("reading {shown}"))
        .map_err(NoVerdict::Error)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        NoVerdict::Mismatch(format!(
            "{shown} is not UTF-8 text (invalid byte at offset {}), so it is not an \
             unaltered Minutebook export",
            e.utf8_error().valid_up_to()
        ))
    })?;
    // An HTML export carries the Markdown's hash, so only the store can vouch for it; a
    // Markdown file without a block, or altered against its own hash, fails at once.
    let html = signoff::is_html_export(&text);
    let (facts, unchecked) = if html {
        match signoff::parse_html(&text) {
            Ok(facts) => (facts.clone(), Verdict::HtmlUnchecked(facts)),
            Err(e) => return Ok((Verdict::NoSignOff(e), VerifyAnswer::default())),
        }
    } else {
        match signoff::check(&text, None) {
            Verdict::SelfConsistent(facts) => (facts.clone(), Verdict::SelfConsistent(facts)),
            verdict => return Ok((verdict, VerifyAnswer::default())),
        }
    };
    let found = match &args.server {
        Some(url) => ask_server(url, args.token.as_deref(), text.as_bytes()).await,
        None => read_store(&args.data_dir, &facts, html).await,
    };
    let found = found.map_err(|e| NoVerdict::Lookup(unchecked, e))?;
    // The server answers only whether the file matches; it never says why not.
    if found.matches == Some(false) {
        return Ok((Verdict::NoMatch(facts), VerifyAnswer::default()));
    }
    Ok((signoff::verdict_of(&text, &found), found))
}

/// What the database in `data_dir` stores for the version `facts` names (`html`: the
/// file is an HTML export).
async fn read_store(data_dir: &Path, facts: &SignOff, html: bool) -> anyhow::Result<VerifyAnswer> {
    let (meeting, version) = (facts.meeting.clone(), facts.version);
    let what = format!("reading version {version} of `{}`", facts.meeting);
    with_store(data_dir, what, move |store| {
        let v = store.version(&meeting, version)?;
        let ledger = match &v {
            Some(_) => store.ledger(&meeting)?,
            None => Default::default(),
        };
        Ok(minutebook_server::docs::version_export::verify_answer(
            &meeting,
            v.as_ref(),
            html,
            &ledger,
        ))
    })
    .await
}

/// Runs `read` on the database in `data_dir` (which no running server may hold); its
/// failure is said as `what`.
pub(super) async fn with_store<T: Send + 'static>(
    data_dir: &Path,
    what: String,
    read: impl FnOnce(&Store) -> Result<T, minutebook_server::store::StoreError> + Send + 'static,
) -> anyhow::Result<T> {
    let path = data_dir.join(DB_FILE);
    let shown = path.display().to_string();
    if !path.exists() {
        bail!(
            "no database at {shown}; pass --data-dir DIR, or --server URL to ask a running \
             server"
        );
    }
    let opened = tokio::task::spawn_blocking(move || Store::open(&path))
        .await
        .context("opening the database")?;
    let (store, writer) = match opened {
        Ok(opened) => opened,
        Err(e) if e.is_in_use() => bail!(
            "the database {shown} is in use by a running server; pass --server URL (or set \
             MINUTEBOOK_SERVER), e.g. --server http://127.0.0.1:8080, to ask it instead"
        ),
        Err(e) => return Err(e).with_context(|| format!("opening {shown}")),
    };
    let found = tokio::task::spawn_blocking(move || {
        let found = read(&store);
        drop(store);
        writer.join();
        found
    })
    .await
    .context("reading the database")?;
    found.context(what)
}

/// Asks the server at `url` what it stores for the version the file names.
pub(super) async fn ask_server(
    url: &str,
    token: Option<&str>,
    file: &[u8],
) -> anyhow::Result<VerifyAnswer> {
    let response = post::post(url, "/api/verify", file, token).await?;
    let message = || {
        serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v.get("error")?.as_str().map(str::to_string))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect()
            })
    };
    match response.status {
        200 => serde_json::from_slice(&response.body).with_context(|| {
            format!("{url} did not answer /api/verify as a Minutebook server does")
        }),
        404 => Ok(VerifyAnswer::default()),
        401 | 403 => bail!(
            "{url} refused (HTTP {}): {}; pass --token TOKEN (or set MINUTEBOOK_TOKEN)",
            response.status,
            message()
        ),
        status => bail!("{url} answered HTTP {status}: {}", message()),
    }
}

/// `verify --server`'s request: the base URL checked (plain `http://` only, no query or
/// credentials), then one POST through the shared HTTP client with a time and size limit.
mod post {
    use std::time::Duration;

    use anyhow::{bail, Context};
    use minutebook_shared::client::http::{self, Limits};

    /// Longest a request may take, connecting included.
    const TIMEOUT: Duration = Duration::from_secs(30);
    /// Largest answer read.
    const MAX_RESPONSE: usize = 4 << 20;

    /// Where a base URL points.
    #[derive(Debug, PartialEq)]
    pub struct Target {
        /// As written in the URL (for the `Host` header).
        pub authority: String,
        pub host: String,
        pub port: u16,
        /// The URL's path without a trailing `/` ("" for the root).
        pub prefix: String,
    }

    /// A status and a (de-chunked) body.
    #[derive(Debug)]
    pub struct Response {
        pub status: u16,
        pub body: Vec<u8>,
    }

    /// Parses `http://HOST[:PORT][/PREFIX]` (the scheme may be left out).
    pub fn target(url: &str) -> anyhow::Result<Target> {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        let rest = if lower.starts_with("http://") {
            &url["http://".len()..]
        } else if lower.starts_with("https://") {
            bail!("{url}: https is not supported here; give the server's plain http:// address");
        } else if lower.contains("://") {
            bail!("{url}: only http:// URLs are supported");
        } else {
            url
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains(['?', '#']) {
            bail!("{url}: give the server's base URL, without a query or fragment");
        }
        if authority.contains('@') {
            bail!("{url}: credentials in the URL are not supported; use --token");
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .with_context(|| format!("{url}: unclosed `[` in the host"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => bail!("{url}: unexpected text after the host"),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            bail!("{url}: no host");
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .with_context(|| format!("{url}: bad port {p:?}"))?,
            None => 80,
        };
        Ok(Target {
            authority: authority.to_string(),
            host: host.to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    /// POSTs `body` to `path` under the base URL `url`.
    pub async fn post(
        url: &str,
        path: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> anyhow::Result<Response> {
        let target = target(url)?;
        let full = format!("http://{}{}{path}", target.authority, target.prefix);
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            ("content-type", "text/markdown; charset=utf-8"),
            ("accept", "application/json"),
        ];
        if let Some(bearer) = &bearer {
            if bearer.contains(['\r', '\n']) {
                bail!("the token contains a line break");
            }
            headers.push(("authorization", bearer));
        }
        let limits = Limits {
            timeout: TIMEOUT,
            max_body: MAX_RESPONSE,
        };
        let answer = http::request("POST", &full, &headers, body.to_vec(), limits)
            .await
            .with_context(|| format!("talking to {url}"))?;
        Ok(Response {
            status: answer.status,
            body: answer.body,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn targets() {
            let t = target("http://127.0.0.1:8080/").expect("parses");
            assert_eq!(
                t,
                Target {
                    authority: "127.0.0.1:8080".into(),
                    host: "127.0.0.1".into(),
                    port: 8080,
                    prefix: String::new(),
                }
            );
            let t = target("localhost/minutes/").expect("parses");
            assert_eq!(
                (t.host.as_str(), t.port, t.prefix.as_str()),
                ("localhost", 80, "/minutes")
            );
            let t = target("HTTP://[::1]:9000").expect("parses");
            assert_eq!((t.host.as_str(), t.port), ("::1", 9000));
            for bad in [
                "https://x",
                "ftp://x",
                "http://:80",
                "http://x:port",
                "http://u@x",
                "http://x/?q",
            ] {
                assert!(target(bad).is_err(), "{bad}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use minutebook_shared::signoff::render_markdown;
    use minutebook_shared::trust::sha256_hex;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn facts(body: &str) -> SignOff {
        SignOff {
            meeting: "board-2026-11".into(),
            version: 2,
            signer: "Jane Chair".into(),
            signed_at: 1_795_687_445_123,
            sha256: sha256_hex(body.as_bytes()),
        }
    }

    /// A one-shot server answering `answer` to the first request, returning what it got.
    async fn fake_server(answer: String) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("has an address"));
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accepts");
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head and the announced body.
            loop {
                let n = socket.read(&mut buf).await.expect("reads");
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length || n == 0 {
                        break;
                    }
                }
            }
            socket.write_all(answer.as_bytes()).await.expect("writes");
            socket.shutdown().await.expect("closes");
            request
        });
        (url, task)
    }

    fn json_answer(status: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    #[tokio::test]
    async fn asks_a_server() {
        let body = "# Minutes\n";
        let s = facts(body);
        let file = render_markdown(body, &s);
        let answer = serde_json::json!({ "stored": &s }).to_string();
        let (url, server) = fake_server(json_answer("200 OK", &answer)).await;
        let stored = ask_server(&url, Some("secret"), file.as_bytes())
            .await
            .expect("answers");
        assert_eq!(stored.stored.as_ref(), Some(&s));
        let request = String::from_utf8(server.await.expect("served")).expect("text");
        assert!(
            request.starts_with("POST /api/verify HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(
            request.contains("authorization: Bearer secret\r\n"),
            "{request}"
        );
        assert!(request.ends_with(&file), "{request}");

        let (url, _server) = fake_server(json_answer("200 OK", r#"{"stored":null}"#)).await;
        assert_eq!(
            ask_server(&url, None, b"x").await.expect("answers").stored,
            None
        );
        let (url, _server) = fake_server(json_answer(
            "404 Not Found",
            r#"{"error":"no such meeting"}"#,
        ))
        .await;
        assert_eq!(
            ask_server(&url, None, b"x").await.expect("answers").stored,
            None
        );
        let (url, _server) =
            fake_server(json_answer("401 Unauthorized", r#"{"error":"sign in"}"#)).await;
        let e = ask_server(&url, None, b"x").await.expect_err("refused");
        assert!(format!("{e:#}").contains("--token"), "{e:#}");
    }

    #[tokio::test]
    async fn reads_an_empty_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = facts("# Minutes\n");
        let e = read_store(dir.path(), &s, false)
            .await
            .expect_err("no database");
        assert!(e.to_string().contains("no database"), "{e}");
        let (store, writer) = Store::open(&dir.path().join(DB_FILE)).expect("opens");
        // While another handle holds the database, the error points at --server.
        let e = read_store(dir.path(), &s, false).await.expect_err("in use");
        assert!(e.to_string().contains("--server"), "{e}");
        drop(store);
        writer.join();
        assert_eq!(
            read_store(dir.path(), &s, false)
                .await
                .expect("reads")
                .stored,
            None
        );
    }

    /// Freezes version 2 of `board-2026-11` with `body` in a fresh store in `dir`.
    async fn store_version(dir: &Path, body: &str) -> SignOff {
        use minutebook_server::store::{SignedVersion, WriteOp};
        use minutebook_shared::trust::{Readiness, Stamp, VersionInfo};
        let s = facts(body);
        let (store, writer) = Store::open(&dir.join(DB_FILE)).expect("opens");
        let info = VersionInfo {
            version: s.version,
            signed: Stamp {
                by: s.signer.clone(),
                person: None,
                at: s.signed_at,
                ..Stamp::default()
            },
            sha256: s.sha256.clone(),
            override_reason: String::new(),
            readiness: Readiness::default(),
            withheld: None,
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        store.submit(
            WriteOp::Ledger {
                doc: s.meeting.as_str().into(),
                seq: 1,
                ledger: Box::default(),
                version: Some(Box::new(SignedVersion {
                    info,
                    markdown: body.to_string(),
                    state: Vec::new(),
                    html: None,
                    public: None,
                    form: 1,
                })),
                audit: Vec::new(),
                records: Vec::new(),
            },
            tx,
        );
        rx.recv().await.expect("completes").expect("written");
        drop(store);
        writer.join();
        s
    }

    fn args(dir: &Path, file: PathBuf) -> VerifyArgs {
        VerifyArgs {
            data_dir: dir.to_path_buf(),
            server: None,
            key: None,
            token: None,
            file,
        }
    }

    #[tokio::test]
    async fn verifies_against_the_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let body = "# Minutes\n\n## 1. Welcome\n\nHello.\n";
        let s = store_version(dir.path(), body).await;
        let file = dir.path().join("v2.md");
        let check = |text: String| {
            std::fs::write(&file, text).expect("writes");
            let args = args(dir.path(), file.clone());
            async move { check_file(&args).await.map(|(verdict, _)| verdict) }
        };
        let verdict = check(render_markdown(body, &s)).await.expect("verdict");
        assert!(verdict.verified(), "{verdict}");
        assert!(verdict.to_string().starts_with("VERIFIED: "), "{verdict}");
        // One changed byte.
        let altered = render_markdown(body, &s).replace("Hello.", "Hello!");
        let verdict = check(altered).await.expect("verdict");
        assert!(matches!(verdict, Verdict::Altered { .. }), "{verdict}");
        // Consistent with itself, but another signer than the stored one.
        let mut forged = s.clone();
        forged.signer = "Mallory".into();
        let verdict = check(render_markdown(body, &forged))
            .await
            .expect("verdict");
        assert!(
            matches!(
                verdict,
                Verdict::NotAsStored {
                    stored: Some(_),
                    ..
                }
            ),
            "{verdict}"
        );
        // A version that was never signed.
        let mut unknown = s.clone();
        unknown.version = 3;
        let verdict = check(render_markdown(body, &unknown))
            .await
            .expect("verdict");
        assert!(
            matches!(verdict, Verdict::NotAsStored { stored: None, .. }),
            "{verdict}"
        );
        assert!(
            verdict.to_string().starts_with("DOES NOT MATCH: "),
            "{verdict}"
        );
        // No block at all.
        let verdict = check(body.to_string()).await.expect("verdict");
        assert!(matches!(verdict, Verdict::NoSignOff(_)), "{verdict}");
    }
}
