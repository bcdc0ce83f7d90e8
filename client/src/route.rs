//! Which page the URL asks for (`client/DOM.md`, "Routes"), as pure data.

use minutebook_shared::protocol::valid_doc_name;

/// A page of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: the meeting list.
    List,
    /// `?meeting=NAME`: the meeting editor.
    Meeting(String),
    /// `?doc=NAME`: the M1 free-text editor.
    Doc(String),
    /// A `meeting` or `doc` parameter the server would refuse.
    BadName(String),
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

/// The route of the current page's URL.
pub fn current() -> Route {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let get = |k: &str| params.as_ref().and_then(|p| p.get(k));
    route(get("meeting").as_deref(), get("doc").as_deref())
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
}
