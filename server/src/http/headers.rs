//! Security headers on every response: a Content-Security-Policy that fits the WASM
//! client and nothing more, `frame-ancestors 'none'` (no framing, so no clickjacking),
//! `Referrer-Policy: no-referrer` (invitation and setup tokens travel in page URLs) and
//! `X-Content-Type-Options: nosniff`.
//!
//! The policy allows the page's own files (`'self'`), WebAssembly compilation
//! (`'wasm-unsafe-eval'`, no JavaScript `eval`), the inline `<script>` and `<style>`
//! blocks of the served `index.html` by their SHA-256 (computed from the file, again
//! whenever it changes), inline `style` attributes (the client positions carets and
//! colours with them), and connections to this server only (`'self'` plus `ws:`/`wss:`
//! of the host the page was loaded from and of `--public-url`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};

/// Headers whose value never changes.
pub const FIXED: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// The policy for answers that are not pages (e.g. the 503 of a refused connection).
pub const CSP_NONE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to responses.
#[derive(Clone)]
pub struct SecurityHeaders {
    index: PathBuf,
    /// `host[:port]` of `--public-url`, if it is a valid one.
    public_host: Option<String>,
    inline: Arc<Mutex<Inline>>,
}

/// Hash sources of the inline blocks of `index.html`, as of its modification time.
#[derive(Default)]
struct Inline {
    modified: Option<SystemTime>,
    scripts: String,
    styles: String,
}

impl SecurityHeaders {
    /// For a web client in `web_dir`, served as `public_url`.
    pub fn new(web_dir: &Path, public_url: &str) -> Self {
        let public_host = public_url
            .strip_prefix("https://")
            .or_else(|| public_url.strip_prefix("http://"))
            .map(|rest| rest.split('/').next().unwrap_or(""))
            .filter(|h| valid_host(h))
            .map(str::to_string);
        let headers = SecurityHeaders {
            index: web_dir.join("index.html"),
            public_host,
            inline: Arc::default(),
        };
        headers.refresh();
        headers
    }

    /// Re-reads `index.html` if it changed since it was last hashed.
    fn refresh(&self) {
        let modified = std::fs::metadata(&self.index)
            .and_then(|m| m.modified())
            .ok();
        let Ok(mut inline) = self.inline.lock() else {
            return;
        };
        if modified.is_some() && inline.modified == modified {
            return;
        }
        let html = std::fs::read_to_string(&self.index).unwrap_or_default();
        inline.modified = modified;
        inline.scripts = hash_sources(&html, "script");
        inline.styles = hash_sources(&html, "style");
    }

    /// The Content-Security-Policy for a response to a request sent to `host`.
    pub fn policy(&self, host: Option<&str>) -> String {
        let (scripts, styles) = match self.inline.lock() {
            Ok(inline) => (inline.scripts.clone(), inline.styles.clone()),
            Err(_) => (String::new(), String::new()),
        };
        let mut connect = String::from("'self'");
        let hosts = [host.filter(|h| valid_host(h)), self.public_host.as_deref()];
        for (i, h) in hosts.iter().enumerate() {
            let Some(h) = h else { continue };
            if i == 1 && hosts[0].is_some_and(|first| first.eq_ignore_ascii_case(h)) {
                continue;
            }
            connect.push_str(&format!(" ws://{h} wss://{h}"));
        }
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
             style-src 'self'{styles}; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
             connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
        )
    }

    /// Adds the headers to a response (keeping any a handler set itself). `request_host`
    /// is the request's `Host` header.
    pub fn apply(&self, request_host: Option<&HeaderValue>, headers: &mut HeaderMap) {
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if html {
            self.refresh();
        }
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            let host = request_host.and_then(|h| h.to_str().ok());
            if let Ok(value) = HeaderValue::from_str(&self.policy(host)) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        // A page whose own policy lets any site frame it (the published minutes) gets no
        // `X-Frame-Options: DENY` contradicting it.
        let embeddable = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("frame-ancestors *"));
        for (name, value) in FIXED {
            if embeddable && name == "x-frame-options" {
                continue;
            }
            headers
                .entry(HeaderName::from_static(name))
                .or_insert(HeaderValue::from_static(value));
        }
    }
}

/// `host`, `host:port`, `[v6]:port`: nothing that could end a CSP source or directive.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// ` 'sha256-…'` for the content of every inline `<tag>` element (those without `src`).
fn hash_sources(html: &str, tag: &str) -> String {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        rest = &rest[start + open.len()..];
        let Some(end_of_open) = rest.find('>') else {
            break;
        };
        let attributes = &rest[..end_of_open];
        rest = &rest[end_of_open + 1..];
        let Some(end) = rest.find(&close) else {
            break;
        };
        let content = &rest[..end];
        rest = &rest[end + close.len()..];
        if attributes.contains("src=") {
            continue;
        }
        let digest = Sha256::digest(content.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        out.push_str(&format!(" 'sha256-{b64}'"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_blocks_are_hashed_by_content() {
        let html = "<head><style>a{}</style><script src=\"x.js\"></script>\
                    <script type=\"module\">go()</script></head>";
        let b64 = |s: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
        };
        assert_eq!(
            hash_sources(html, "script"),
            format!(" 'sha256-{}'", b64("go()"))
        );
        assert_eq!(
            hash_sources(html, "style"),
            format!(" 'sha256-{}'", b64("a{}"))
        );
    }

    #[test]
    fn hosts_that_could_inject_directives_are_left_out() {
        let h = SecurityHeaders::new(Path::new("/nonexistent"), "https://minutes.example.org/");
        let p = h.policy(Some("127.0.0.1:8080"));
        assert!(p.contains("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080 ws://minutes.example.org wss://minutes.example.org;"), "{p}");
        let p = h.policy(Some("evil; script-src *"));
        assert!(!p.contains("evil"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"));
    }
}
