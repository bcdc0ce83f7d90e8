//! Cross-site request refusal. A browser names the page a request comes from in its
//! `Origin` header; a WebSocket upgrade or a state-changing request (anything but
//! GET/HEAD/OPTIONS) from another site's page is refused with 403 and audited before any
//! handler runs. This backs up the `SameSite=Strict` session cookie against cross-site
//! WebSocket hijacking and request forgery. Requests without `Origin` (the CLI, the
//! native client, same-origin navigation) are not affected: they still need credentials.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::http::state::AppState;

/// Whether a request with these headers may proceed: no `Origin`, or an `Origin` whose
/// host (and port) is the `Host` the request was sent to, or the public URL's.
pub fn allowed(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(origin_host) = authority(origin) else {
        // "null" (sandboxed frames, file: pages) or garbage.
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
        || authority(public_url).is_some_and(|p| p.eq_ignore_ascii_case(origin_host))
}

/// `host[:port]` of an `http(s)://host[:port][/…]` URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..end];
    (!authority.is_empty()).then_some(authority)
}

/// Middleware: refuses (403, audited) what [`allowed`] does not allow, for WebSocket
/// upgrades and state-changing methods.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let upgrade = headers.contains_key(header::UPGRADE);
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if (safe && !upgrade) || allowed(headers, state.auth.public_url()) {
        return next.run(request).await;
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .unwrap_or("?")
        .chars()
        .take(200)
        .collect::<String>();
    let caller = crate::http::credentials::caller(&state.auth, headers).unwrap_or_default();
    let path = request.uri().path().chars().take(300).collect::<String>();
    let meeting = meeting_of(&path);
    tracing::warn!(%origin, %path, "refused a cross-site request");
    crate::http::access::refuse(
        &state,
        &caller,
        meeting,
        &format!("cross-site request from {origin} to {path}"),
    )
    .await;
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({ "error": "cross-site request refused" })),
    )
        .into_response()
}

/// The meeting a path names (`/ws/NAME`, `/api/meetings/NAME/…`), or "" for none.
fn meeting_of(path: &str) -> &str {
    let rest = path
        .strip_prefix("/ws/")
        .or_else(|| path.strip_prefix("/api/meetings/"))
        .unwrap_or("");
    rest.split('/').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_site_pages_and_non_browsers_pass_other_sites_do_not() {
        let public = "http://127.0.0.1:8080";
        assert!(allowed(&headers(None, "127.0.0.1:8080"), public));
        assert!(allowed(
            &headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"),
            public
        ));
        // Behind a proxy: the Host is internal, the Origin is the public URL.
        assert!(allowed(
            &headers(Some("https://minutes.example.org"), "10.0.0.5:8080"),
            "https://minutes.example.org/"
        ));
        assert!(!allowed(
            &headers(Some("http://evil.example"), "127.0.0.1:8080"),
            public
        ));
        assert!(!allowed(
            &headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8080"),
            public
        ));
        assert!(!allowed(&headers(Some("null"), "127.0.0.1:8080"), public));
    }

    #[test]
    fn meeting_is_read_from_the_path() {
        assert_eq!(meeting_of("/ws/board-2026"), "board-2026");
        assert_eq!(meeting_of("/api/meetings/board/confirm"), "board");
        assert_eq!(meeting_of("/api/session"), "");
    }
}
