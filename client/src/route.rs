//! Which page the URL asks for (`client/DOM.md`, "Routes"), as pure data.

use minutebook_shared::protocol::valid_doc_name;

/// A page of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: the meeting list.
    List,
    /// `?meeting=NAME`: the meeting editor.
    Meeting(String),
    /// `?doc=NAME`: the free-text editor.
    Doc(String),
    /// A `meeting` or `doc` parameter the server would refuse.
    BadName(String),
    /// `?setup=TOKEN`: create the first administrator with the one-time setup token.
    Setup(String),
    /// `?invite=TOKEN`: redeem a personal invitation link.
    Invite(String),
    /// `?signin=TOKEN`: sign this device in with a device link made on another one.
    DeviceSignIn(String),
}

fn clean(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The route for the `meeting` and `doc` query parameters (`meeting` wins).
pub fn route(meeting: Option<&str>, doc: Option<&str>) -> Route {
    let (name, make): (_, fn(String) -> Route) = match (clean(meeting), clean(doc)) {
        (Some(m), _) => (m, Route::Meeting),
        (None, Some(d)) => (d, Route::Doc),
        (None, None) => return Route::List,
    };
    if valid_doc_name(name) {
        make(name.to_owned())
    } else {
        Route::BadName(name.to_owned())
    }
}

/// The route for all query parameters the app reads: a setup or invitation token wins
/// over everything else (those links carry nothing else), then [`route`].
pub fn route_all(get: impl Fn(&str) -> Option<String>) -> Route {
    if let Some(token) = clean(get("setup").as_deref()) {
        return Route::Setup(token.to_owned());
    }
    if let Some(token) = clean(get("invite").as_deref()) {
        return Route::Invite(token.to_owned());
    }
    if let Some(token) = clean(get("signin").as_deref()) {
        return Route::DeviceSignIn(token.to_owned());
    }
    route(get("meeting").as_deref(), get("doc").as_deref())
}

/// The address of meeting `name`'s page, keeping a display name from the old URL
/// (`/?meeting=NAME&name=Alice`); what an invitation link's URL is replaced with.
pub fn meeting_href(name: &str, display_name: Option<&str>) -> String {
    match clean(display_name) {
        Some(n) => format!("/?meeting={}&name={}", escape(name), escape(n)),
        None => format!("/?meeting={}", escape(name)),
    }
}

/// Percent-escapes a URL path segment or query value (unreserved characters stay).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The current page's query parameter `key`.
pub fn param(key: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(key)
}

/// The route of the current page's URL.
pub fn current() -> Route {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    route_all(|k| params.as_ref().and_then(|p| p.get(k)))
}

/// Replaces the page's URL without loading it (`history.replaceState`), so that a
/// one-time token does not stay in the address bar or the history.
pub fn replace_url(href: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let replaced = window
        .history()
        .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href)));
    if let Err(e) = replaced {
        crate::warn(&format!("cannot replace the address with {href}: {e:?}"));
    }
}

/// Loads `href` in place of the current page (no history entry).
pub fn go(href: &str) {
    if let Some(w) = web_sys::window() {
        if let Err(e) = w.location().replace(href) {
            crate::warn(&format!("cannot open {href}: {e:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(None, None), Route::List);
        assert_eq!(route(Some(" "), None), Route::List);
        assert_eq!(route(Some("m1"), None), Route::Meeting("m1".into()));
        assert_eq!(route(None, Some("d")), Route::Doc("d".into()));
        assert_eq!(route(Some("m"), Some("d")), Route::Meeting("m".into()));
        assert_eq!(route(Some("a b"), None), Route::BadName("a b".into()));
        assert_eq!(route(None, Some("x/y")), Route::BadName("x/y".into()));
    }

    #[test]
    fn tokens_win() {
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            route_all(move |k| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| (*v).to_owned())
            })
        };
        assert_eq!(q(&[("setup", "abc")]), Route::Setup("abc".into()));
        assert_eq!(q(&[("signin", "d1")]), Route::DeviceSignIn("d1".into()));
        assert_eq!(
            q(&[("invite", " t1 "), ("meeting", "m")]),
            Route::Invite("t1".into())
        );
        assert_eq!(
            q(&[("invite", ""), ("meeting", "m")]),
            Route::Meeting("m".into())
        );
        assert_eq!(q(&[]), Route::List);
    }

    #[test]
    fn meeting_hrefs_keep_the_name() {
        assert_eq!(meeting_href("m-1", None), "/?meeting=m-1");
        assert_eq!(meeting_href("m-1", Some(" ")), "/?meeting=m-1");
        assert_eq!(
            meeting_href("m-1", Some("Ann Lee&co")),
            "/?meeting=m-1&name=Ann%20Lee%26co"
        );
    }
}
