//! The meeting list's HTTP API (`server/`): list, create and import meetings, through the
//! browser's `fetch`. Response parsing is pure and unit-tested natively.
//!
//! - `GET /api/meetings` → `[{"name","title","series","date","status"}]`
//! - `POST /api/meetings` `{"title","series","from": NAME|null}` → 201 `{"name"}`
//! - `POST /api/meetings/import?format=legacy|markdown` (text) → 201 `{"name"}` | 422 `{"error"}`

use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use minutebook_shared::api::MeetingSummary;

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
pub(crate) struct Failure {
    pub(crate) error: String,
}

/// Parses the list response.
pub fn parse_list(body: &str) -> Result<Vec<MeetingSummary>, String> {
    serde_json::from_str(body).map_err(|e| format!("unexpected answer from the server: {e}"))
}

/// Reads a create/import response: the new meeting's name on success, else the server's
/// error message (or a description of the failure).
pub fn parse_created(status: u16, body: &str) -> Result<String, String> {
    if (200..300).contains(&status) {
        return serde_json::from_str::<Named>(body)
            .map(|n| n.name)
            .map_err(|e| format!("unexpected answer from the server: {e}"));
    }
    match serde_json::from_str::<Failure>(body) {
        Ok(f) => Err(f.error),
        Err(_) if body.trim().is_empty() => Err(format!("the server answered {status}")),
        Err(_) => Err(format!("the server answered {status}: {}", body.trim())),
    }
}

/// The JSON body of a create request.
pub fn create_body(title: &str, series: &str, from: Option<&str>) -> String {
    serde_json::json!({ "title": title, "series": series, "from": from }).to_string()
}

/// Lists the meetings.
pub async fn list() -> Result<Vec<MeetingSummary>, String> {
    let (status, body) = fetch("GET", "/api/meetings", None).await?;
    if !(200..300).contains(&status) {
        return Err(format!("the server answered {status}"));
    }
    parse_list(&body)
}

/// Creates a meeting, empty or from meeting `from`; returns its name.
pub async fn create(title: &str, series: &str, from: Option<&str>) -> Result<String, String> {
    let body = create_body(title, series, from);
    let (status, text) = fetch("POST", "/api/meetings", Some(("application/json", body))).await?;
    parse_created(status, &text)
}

/// Imports minutes in `format` (`legacy` or `markdown`); returns the new meeting's name.
pub async fn import(format: &str, text: String) -> Result<String, String> {
    let url = format!(
        "/api/meetings/import?format={}",
        String::from(js_sys::encode_uri_component(format))
    );
    let (status, body) = fetch("POST", &url, Some(("text/plain; charset=utf-8", text))).await?;
    parse_created(status, &body)
}

/// `what`, then the browser's own one-line message: an `Error`'s `message`, never its
/// debug form (which carries a stack trace nobody should read in an alert).
fn js_err(what: &str, e: JsValue) -> String {
    let detail = e
        .dyn_ref::<js_sys::Error>()
        .and_then(|e| e.message().as_string())
        .or_else(|| e.as_string())
        .unwrap_or_default();
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what} ({detail})")
    }
}

/// Sends one request (same origin: the session cookie goes along) and reads the whole
/// answer as text: `(status, body)`. `body` is `(content type, text)`.
pub(crate) async fn fetch(
    method: &str,
    url: &str,
    body: Option<(&str, String)>,
) -> Result<(u16, String), String> {
    let body = body.map(|(kind, text)| (Some(kind), JsValue::from_str(&text)));
    fetch_js(method, url, body).await
}

/// [`fetch`] with any body the browser sends (a `File` goes as its bytes, with its own
/// type when `kind` is `None`).
pub(crate) async fn fetch_js(
    method: &str,
    url: &str,
    body: Option<(Option<&str>, JsValue)>,
) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some((_, value)) = &body {
        init.set_body(value);
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(|e| js_err("request", e))?;
    if let Some((Some(kind), _)) = &body {
        request
            .headers()
            .set("Content-Type", kind)
            .map_err(|e| js_err("request", e))?;
    }
    let response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| {
            "the server cannot be reached — check the connection and try again".to_owned()
        })?;
    let response: Response = response
        .dyn_into()
        .map_err(|e| js_err("unexpected response", e))?;
    let text = response.text().map_err(|e| js_err("response", e))?;
    let text = JsFuture::from(text)
        .await
        .map_err(|e| js_err("response", e))?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// Reads a file the user picked as text.
pub async fn read_file(file: &web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .map_err(|e| js_err("cannot read the file", e))?
        .as_string()
        .ok_or_else(|| "the file is not text".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_list() {
        let list = parse_list(
            r#"[{"name":"m1","title":"T","series":"S","date":"D","status":"draft"},{"name":"m2"}]"#,
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].title, "T");
        assert_eq!(list[1].status, "");
        assert!(parse_list("{").is_err());
    }

    #[test]
    fn parses_created_and_errors() {
        assert_eq!(parse_created(201, r#"{"name":"x"}"#), Ok("x".to_owned()));
        assert_eq!(
            parse_created(422, r#"{"error":"line 3: no title"}"#),
            Err("line 3: no title".to_owned())
        );
        assert_eq!(
            parse_created(500, ""),
            Err("the server answered 500".to_owned())
        );
        assert!(parse_created(201, "nope").is_err());
    }

    #[test]
    fn create_body_has_null_from() {
        let v: serde_json::Value = serde_json::from_str(&create_body("T", "S", None)).unwrap();
        assert_eq!(v["from"], serde_json::Value::Null);
        let v: serde_json::Value = serde_json::from_str(&create_body("T", "S", Some("m"))).unwrap();
        assert_eq!(v["from"], "m");
    }
}
