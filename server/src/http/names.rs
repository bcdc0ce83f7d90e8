//! Meeting names in request paths are checked once, at the router, before any handler
//! runs, anything is looked up or anything is audited: `/ws/{name}` and
//! `/api/meetings/{name}/…` answer 400 unless the (percent-decoded) name is a valid
//! document name ([`valid_doc_name`]: 1–128 characters of `A-Z a-z 0-9 . _ -`). So a
//! request with a hostile name — 60 KB of text, a spreadsheet formula, markup — costs a
//! 400 and leaves no trace in the store or the audit log.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use minutebook_shared::protocol::valid_doc_name;

/// What a refused request is told.
pub const INVALID_NAME: &str = "meeting names are 1-128 characters of A-Z a-z 0-9 . _ -";

/// Middleware: 400 for a path that names an invalid meeting.
pub async fn refuse_invalid_names(request: Request, next: Next) -> Response {
    if path_name_is_invalid(request.uri().path()) {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": INVALID_NAME })),
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether `path` names a meeting (`/ws/NAME…`, `/api/meetings/NAME/…`) that is not a
/// valid name. `/api/meetings` itself names none.
pub fn path_name_is_invalid(path: &str) -> bool {
    let Some(rest) = path
        .strip_prefix("/ws/")
        .or_else(|| path.strip_prefix("/api/meetings/"))
    else {
        return false;
    };
    let segment = rest.split('/').next().unwrap_or("");
    !percent_decode(segment).is_some_and(|name| valid_doc_name(&name))
}

/// Decodes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    // A valid name is at most 128 characters, i.e. at most 3 × 128 encoded bytes.
    if segment.len() > 3 * 128 {
        return None;
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_paths_are_checked() {
        for ok in [
            "/ws/board-2026",
            "/api/meetings/board.v2_1/ledger",
            "/api/meetings/%41bc/export.md",
            "/api/meetings",
            "/api/meetings/import",
            "/api/session",
            "/healthz",
            "/index.html",
        ] {
            assert!(!path_name_is_invalid(ok), "{ok}");
        }
        let long = format!("/api/meetings/{}/ledger", "a".repeat(129));
        let huge = format!("/ws/{}", "x".repeat(60_000));
        for bad in [
            "/ws/",
            "/api/meetings//ledger",
            "/api/meetings/%3Dcmd%7C/audit",
            "/api/meetings/a%20b/export.md",
            "/api/meetings/%zz/ledger",
            "/api/meetings/%E2%80%AE/ledger",
            long.as_str(),
            huge.as_str(),
        ] {
            assert!(path_name_is_invalid(bad), "{bad}");
        }
    }
}
