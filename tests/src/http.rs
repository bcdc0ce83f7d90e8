//! The tests' HTTP helpers for the API: one request per call through the shared HTTP
//! client ([`minutebook_shared::client::http`]), answers as [`Response`].

use std::net::SocketAddr;

use minutebook_shared::client::{self, http::Limits};

/// A response: status, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request and reads the whole response.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Response {
    request_as(addr, None, method, path, content_type, body).await
}

/// Sends one request with an optional session token (`Authorization: Bearer`).
pub async fn request_as(
    addr: SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Response {
    request_from(addr, token, None, method, path, content_type, body).await
}

/// Like [`request_as`], sending `Origin: origin` as a browser page would.
pub async fn request_from(
    addr: SocketAddr,
    token: Option<&str>,
    origin: Option<&str>,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Response {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    if let Some(origin) = origin {
        headers.push(("origin", origin));
    }
    if let Some(ct) = content_type {
        headers.push(("content-type", ct));
    }
    request_with_headers(addr, method, path, &headers, body).await
}

/// Sends one request with the given extra headers (e.g. a `Cookie`, as a browser would).
pub async fn request_with_headers(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let url = format!("http://{addr}{path}");
    let answer = client::http::request(method, &url, headers, body.to_vec(), Limits::default())
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    Response {
        status: answer.status,
        headers: answer.headers,
        body: answer.body,
    }
}

/// `GET path`.
pub async fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, None, &[]).await
}

/// `POST path` with a JSON body.
pub async fn post_json(addr: SocketAddr, path: &str, body: &serde_json::Value) -> Response {
    let bytes = serde_json::to_vec(body).expect("json");
    request(addr, "POST", path, Some("application/json"), &bytes).await
}

/// `POST path` with a text body.
pub async fn post_text(addr: SocketAddr, path: &str, body: &str) -> Response {
    request(
        addr,
        "POST",
        path,
        Some("text/plain; charset=utf-8"),
        body.as_bytes(),
    )
    .await
}

/// An HTTP client for one server, signed in as one session (or anonymous).
#[derive(Clone, Debug)]
pub struct Client {
    pub addr: SocketAddr,
    pub token: Option<String>,
}

impl Client {
    pub fn new(addr: SocketAddr, token: Option<String>) -> Client {
        Client { addr, token }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        request_as(self.addr, self.token.as_deref(), "GET", path, None, &[]).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Response {
        request_as(self.addr, self.token.as_deref(), "DELETE", path, None, &[]).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        let bytes = serde_json::to_vec(body).expect("json");
        request_as(
            self.addr,
            self.token.as_deref(),
            "POST",
            path,
            Some("application/json"),
            &bytes,
        )
        .await
    }

    /// `POST path` with a text body.
    pub async fn post_text(&self, path: &str, body: &str) -> Response {
        self.post_typed(path, "text/plain; charset=utf-8", body.as_bytes())
            .await
    }

    /// `POST path` with a binary body.
    pub async fn post_bytes(&self, path: &str, body: &[u8]) -> Response {
        self.post_typed(path, "application/octet-stream", body)
            .await
    }

    async fn post_typed(&self, path: &str, content_type: &str, body: &[u8]) -> Response {
        request_as(
            self.addr,
            self.token.as_deref(),
            "POST",
            path,
            Some(content_type),
            body,
        )
        .await
    }
}
