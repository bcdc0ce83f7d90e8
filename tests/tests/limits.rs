//! Connection limits at the edge, through the real server on 127.0.0.1:0: idle and slow
//! sockets are closed, connection caps answer 503, `X-Forwarded-For` counts only from a
//! trusted proxy, sign-in floods get 429 (audited once), and every response carries the
//! security headers.

use std::net::SocketAddr;
use std::time::Duration;

use minutebook_server::ServerConfig;
use minutebook_shared::trust::Role;
use minutebook_tests::hostile::connect_from;
use minutebook_tests::{invite, invite_token, TestServer, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Status, lower-cased headers and body of one `Connection: close` request.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `method path` with `extra` header lines and `body` on `stream`; reads the answer.
async fn ask(
    mut stream: TcpStream,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut raw))
        .await
        .expect("answered in time")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

async fn healthz_from(server: SocketAddr, from: [u8; 4]) -> Answer {
    ask(
        connect_from(server, from).await.expect("connect"),
        "GET",
        "/healthz",
        &[],
        "",
    )
    .await
}

/// Waits until the server closes `stream` (a read returns end of file or an error).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[test]
fn the_default_idle_timeout_is_at_most_30_seconds() {
    let config = ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), "data".into());
    assert!(config.keepalive_timeout_ms <= 30_000);
    assert!(config.header_timeout_ms <= config.keepalive_timeout_ms);
}

/// Sockets that never send, send a request head byte by byte, or sit idle after a
/// kept-alive request are all closed; meanwhile a legitimate request is served.
#[tokio::test]
async fn idle_and_slow_sockets_are_closed_while_others_are_served() {
    let server = TestServer::start_with(|c| {
        c.keepalive_timeout_ms = 1_500;
        c.header_timeout_ms = 1_000;
    })
    .await;
    let addr = server.addr();
    let mut silent = Vec::new();
    for _ in 0..50 {
        silent.push(TcpStream::connect(addr).await.expect("connect"));
    }
    // A kept-alive connection that answers one request, then idles.
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).await.expect("an answer");
    assert_eq!(&first, b"HTTP/1.1 200");

    // A slow head: one byte every 200 ms, never a pause as long as the idle timeout.
    let slow = TcpStream::connect(addr).await.expect("connect");
    let (mut slow_read, mut slow_write) = slow.into_split();
    let dribble = tokio::spawn(async move {
        let head = format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: {}",
            "a".repeat(500)
        );
        for byte in head.bytes() {
            if slow_write.write_all(&[byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    });

    // While all of them are open, others are served.
    let ok = healthz_from(addr, [127, 0, 0, 1]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    for (i, socket) in silent.iter_mut().enumerate() {
        assert!(
            closed_by_server(socket).await,
            "silent socket {i} was never closed"
        );
    }
    assert!(
        closed_by_server(&mut kept).await,
        "the idle kept-alive socket stayed open"
    );
    let mut buf = [0u8; 64];
    let slow_closed = tokio::time::timeout(PATIENCE, slow_read.read(&mut buf)).await;
    assert!(
        matches!(slow_closed, Ok(Ok(0)) | Ok(Err(_))),
        "the slow head was never cut off: {slow_closed:?}"
    );
    dribble.abort();
    let ok = healthz_from(addr, [127, 0, 0, 1]).await;
    assert_eq!(ok.status, 200);
}

/// Over the per-address cap the next connection is answered 503 with a reason; other
/// addresses are still served; WebSockets count; a closed connection frees its place.
#[tokio::test]
async fn the_per_address_cap_answers_503_while_other_addresses_work() {
    let server = TestServer::start_with(|c| c.max_connections_per_address = 4).await;
    let addr = server.addr();
    let _ws1 = server.raw("capped").await;
    let _ws2 = server.raw("capped").await;
    let idle1 = TcpStream::connect(addr).await.expect("connect");
    let _idle2 = TcpStream::connect(addr).await.expect("connect");
    // Let the server take all four before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let refused = healthz_from(addr, [127, 0, 0, 1]).await;
    assert_eq!(refused.status, 503);
    assert!(
        refused
            .body
            .contains("too many connections from your address"),
        "{}",
        refused.body
    );
    assert!(refused.header("retry-after").is_some());
    // A WebSocket upgrade from the same address is refused the same way.
    let ws = minutebook_tests::raw::RawClient::try_connect_as(
        &server.ws_url("capped"),
        None,
        Some(&server.admin),
    )
    .await;
    assert!(ws.is_err(), "a fifth connection was upgraded");

    let other = healthz_from(addr, [127, 0, 0, 2]).await;
    assert_eq!(
        other.status, 200,
        "another address is served: {}",
        other.body
    );

    drop(idle1);
    let freed = tokio::time::timeout(PATIENCE, async {
        loop {
            let answer = healthz_from(addr, [127, 0, 0, 1]).await;
            if answer.status == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(freed.is_ok(), "closing a connection did not free its place");
}

/// Over the global cap every address is answered 503.
#[tokio::test]
async fn the_global_cap_answers_503() {
    let server = TestServer::start_with(|c| c.max_connections = 3).await;
    let addr = server.addr();
    let mut held = Vec::new();
    for last in 1..=3u8 {
        held.push(
            connect_from(addr, [127, 0, 0, last])
                .await
                .expect("connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = healthz_from(addr, [127, 0, 0, 9]).await;
    assert_eq!(refused.status, 503);
    assert!(
        refused.body.contains("too many connections"),
        "{}",
        refused.body
    );
    drop(held);
}

/// Signs in with a bad invitation from a client address as a proxy would forward it.
async fn sign_in_as(
    server: SocketAddr,
    peer: [u8; 4],
    forwarded_for: &str,
    invite: &str,
) -> Answer {
    let body = serde_json::json!({ "invite": invite }).to_string();
    ask(
        connect_from(server, peer).await.expect("connect"),
        "POST",
        "/api/session",
        &[("X-Forwarded-For", forwarded_for)],
        &body,
    )
    .await
}

/// A sign-in flood from one address gets 429 with Retry-After, audited once; another
/// address (named by a trusted proxy) still signs in; `X-Forwarded-For` from an
/// untrusted peer changes nothing.
#[tokio::test]
async fn sign_in_floods_get_429_per_client_address() {
    let server = TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("proxy")];
        c.sign_in_burst = 3;
        c.sign_in_per_minute = 1;
    })
    .await;
    let addr = server.addr();
    for _ in 0..3 {
        let a = sign_in_as(addr, [127, 0, 0, 1], "203.0.113.1", "forged").await;
        assert_eq!(a.status, 401, "{}", a.body);
    }
    for _ in 0..20 {
        let a = sign_in_as(addr, [127, 0, 0, 1], "203.0.113.1", "forged").await;
        assert_eq!(a.status, 429, "{}", a.body);
        let retry: u64 = a
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!(retry >= 1);
    }
    // The client cannot escape by claiming another address left of the proxy's entry.
    let a = sign_in_as(addr, [127, 0, 0, 1], "198.51.100.77, 203.0.113.1", "forged").await;
    assert_eq!(a.status, 429);

    // Another client behind the same proxy signs in with a real invitation.
    server
        .http()
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": "Limits", "series": "Limits", "from": null }),
        )
        .await;
    let meetings = server.http().get("/api/meetings").await.json();
    let meeting = meetings[0]["name"].as_str().expect("a meeting").to_string();
    let invitation = invite(addr, &server.admin, &meeting, "Olive", None, Role::Observer).await;
    let token = invite_token(invitation["link"].as_str().expect("link")).to_string();
    let a = sign_in_as(addr, [127, 0, 0, 1], "203.0.113.2", &token).await;
    assert_eq!(a.status, 200, "{}", a.body);

    // From a peer that is not a trusted proxy, the header is ignored: the peer's own
    // budget is spent whatever it claims.
    for i in 0..3 {
        let a = sign_in_as(addr, [127, 0, 0, 5], &format!("192.0.2.{i}"), "forged").await;
        assert_eq!(a.status, 401);
    }
    let a = sign_in_as(addr, [127, 0, 0, 5], "192.0.2.200", "forged").await;
    assert_eq!(
        a.status, 429,
        "X-Forwarded-For from an untrusted peer was honoured"
    );

    // One audit entry for the 21 refusals of the first address (within one minute).
    let audit = server.http().get("/api/audit").await;
    assert_eq!(audit.status, 200);
    let text = audit.text();
    let flood_entries = text
        .lines()
        .filter(|l| l.contains("too many attempts from 203.0.113.1"))
        .count();
    assert_eq!(flood_entries, 1, "{text}");
}

/// A WebSocket through the proxy, for the client `forwarded_for`.
async fn proxied_ws(
    server: &TestServer,
    forwarded_for: &str,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut request = server.ws_url("proxied").into_client_request()?;
    let headers = request.headers_mut();
    headers.insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {}", server.admin)).expect("header"),
    );
    headers.insert(
        "X-Forwarded-For",
        HeaderValue::from_str(forwarded_for).expect("header"),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    // Keep it open for the rest of the test.
    std::mem::forget(ws);
    Ok(())
}

/// Behind a trusted proxy the per-address cap counts the clients it names, for as long
/// as their WebSockets are open.
#[tokio::test]
async fn behind_a_trusted_proxy_the_cap_counts_each_client() {
    let server = TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.0/30".parse().expect("proxy")];
        c.max_connections_per_address = 2;
    })
    .await;
    proxied_ws(&server, "203.0.113.9").await.expect("first");
    proxied_ws(&server, "203.0.113.9").await.expect("second");
    let third = proxied_ws(&server, "203.0.113.9").await;
    match third {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 503)
        }
        other => panic!("a third WebSocket for one client was not refused: {other:?}"),
    }
    proxied_ws(&server, "203.0.113.10")
        .await
        .expect("another client through the same proxy");
    // The proxy itself is not capped by its own address.
    let ok = healthz_from(server.addr(), [127, 0, 0, 1]).await;
    assert_eq!(ok.status, 200);
}

fn assert_security_headers(what: &str, answer: &Answer) {
    let csp = answer
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in [
        "frame-ancestors 'none'",
        "'wasm-unsafe-eval'",
        "connect-src 'self'",
        "object-src 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing from {csp}"
        );
    }
    assert!(!csp.contains("'unsafe-eval'"), "{what}: {csp}");
    assert_eq!(
        answer.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        answer.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
}

/// Every response carries the security headers: the page, the API (answers and errors),
/// `/healthz` and the refusals of the caps.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start_with(|c| c.max_connections_per_address = 3).await;
    let addr = server.addr();
    let page = ask(
        connect_from(addr, [127, 0, 0, 1]).await.expect("connect"),
        "GET",
        "/",
        &[],
        "",
    )
    .await;
    assert_eq!(page.status, 200);
    assert_security_headers("/", &page);
    let csp = page.header("content-security-policy").unwrap_or_default();
    // The page's inline script is allowed by its hash, not by 'unsafe-inline'.
    if page.body.contains("<script type=\"module\">") {
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{csp}"
        );
    }
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    for path in [
        "/healthz",
        "/api/meetings",
        "/api/session",
        "/api/meetings/x/export.md",
    ] {
        let answer = ask(
            connect_from(addr, [127, 0, 0, 1]).await.expect("connect"),
            "GET",
            path,
            &[],
            "",
        )
        .await;
        assert_security_headers(path, &answer);
    }
    let held = hold(addr, 3).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = healthz_from(addr, [127, 0, 0, 1]).await;
    assert_eq!(refused.status, 503);
    assert!(refused
        .header("content-security-policy")
        .is_some_and(|c| c.contains("frame-ancestors 'none'")));
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    drop(held);
}

/// `n` connections from 127.0.0.1 that send nothing.
async fn hold(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(TcpStream::connect(addr).await.expect("connect"));
    }
    held
}

/// What an administrator or member sends is sized and checked like anything else: a JSON
/// body over the request limit is 413 (not a 400 "bad request"), an invitation names an
/// existing meeting and a register id of sensible length, and a new meeting's title has
/// a bound.
#[tokio::test]
async fn oversized_bodies_and_fields_are_refused_with_their_reason() {
    let server = TestServer::start().await;
    let meeting = server.create_meeting("Board", "Board").await;
    let attendee = server
        .member(&meeting, "Pat", Some("p1"), Role::Attendee)
        .await;
    let pat = minutebook_tests::http::Client::new(server.addr(), Some(attendee));
    let huge = serde_json::json!({ "sha256": "a".repeat(5 << 20) });
    let r = pat
        .post_json(
            &format!("/api/meetings/{meeting}/statements/s1/confirm"),
            &huge,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text());

    let invite = |meeting: &str, person: &str| {
        let (meeting, person) = (meeting.to_owned(), person.to_owned());
        let admin = server.http();
        async move {
            admin
                .post_json(
                    &format!("/api/meetings/{meeting}/invites"),
                    &serde_json::json!({ "name": "Someone", "role": "attendee", "person": person }),
                )
                .await
        }
    };
    let r = invite("no-such-meeting", "").await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = invite(&meeting, &"p".repeat(1 << 20)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = server
        .http()
        .post_json(
            "/api/meetings",
            &serde_json::json!({ "title": "T".repeat(1 << 20), "series": "Board" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("longer than"), "{}", r.text());
}
