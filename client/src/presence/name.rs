//! The local display name: from the `?name=` URL parameter, else the name remembered in
//! `localStorage["minutebook.name"]` when it was chosen under the same signed-in name (kept
//! in `localStorage["minutebook.name.for"]`), else the signed-in session's name (the
//! invitation's), else any remembered name, else "Guest NNN" from the client id.

/// The `localStorage` key that remembers the display name.
pub const STORAGE_KEY: &str = "minutebook.name";

/// The `localStorage` key of the signed-in name under which the display name was chosen
/// (so that another person signing in on the same browser gets their own name).
pub const STORAGE_FOR_KEY: &str = "minutebook.name.for";

/// Longest accepted display name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Trims `name` and caps its length; `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    let name = name.trim_end();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The default name for a client that has not chosen one.
pub fn guest_name(client_id: u64) -> String {
    format!("Guest {:03}", client_id % 1000)
}

/// Picks the display name: the URL's, else the stored one if it was chosen under this
/// session's name (`stored_for`; a name stored before sign-in existed counts as this
/// user's), else the session's, else the stored one, else a guest name.
pub fn choose_name(
    from_url: Option<&str>,
    session: Option<&str>,
    stored: Option<&str>,
    stored_for: Option<&str>,
    client_id: u64,
) -> String {
    let session = session.and_then(clean_name);
    let mine = match (&session, stored_for.and_then(clean_name)) {
        (Some(s), Some(f)) => *s == f,
        _ => true,
    };
    from_url
        .and_then(clean_name)
        .or_else(|| stored.filter(|_| mine).and_then(clean_name))
        .or(session)
        .or_else(|| stored.and_then(clean_name))
        .unwrap_or_else(|| guest_name(client_id))
}

/// The `name` query parameter of the page's URL.
pub fn url_name() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("name")
}

/// Remembers the URL's `?name=` (if any) in `localStorage`, chosen under the signed-in
/// name `session`. Returns the cleaned name.
pub fn remember_url_name(session: Option<&str>) -> Option<String> {
    let name = url_name().and_then(|n| clean_name(&n))?;
    store_name(&name, session);
    Some(name)
}

/// The name remembered in `localStorage`, and the signed-in name it was chosen under.
pub fn stored_name() -> (Option<String>, Option<String>) {
    let Some(storage) = storage() else {
        return (None, None);
    };
    let get = |k: &str| storage.get_item(k).ok().flatten();
    (get(STORAGE_KEY), get(STORAGE_FOR_KEY))
}

/// Remembers `name`, chosen under the signed-in name `session`, in `localStorage`
/// (silently does nothing where storage is disabled).
pub fn store_name(name: &str, session: Option<&str>) {
    if let Some(storage) = storage() {
        let stored = storage
            .set_item(STORAGE_KEY, name)
            .and_then(|()| match session {
                Some(s) => storage.set_item(STORAGE_FOR_KEY, s),
                None => storage.remove_item(STORAGE_FOR_KEY),
            });
        if stored.is_err() {
            crate::warn("presence: cannot remember the display name");
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_beats_storage_beats_guest() {
        assert_eq!(
            choose_name(Some(" Ann "), Some("Sue"), Some("Bob"), None, 7),
            "Ann"
        );
        assert_eq!(choose_name(Some("  "), None, Some("Bob"), None, 7), "Bob");
        assert_eq!(choose_name(None, None, Some("Bob"), Some("X"), 7), "Bob");
        assert_eq!(
            choose_name(None, None, None, None, 123_456_007),
            "Guest 007"
        );
        assert_eq!(
            choose_name(Some(""), None, Some(" "), None, 42),
            "Guest 042"
        );
    }

    #[test]
    fn the_session_name_is_the_default() {
        // A name chosen by this user (under this session name) is kept.
        assert_eq!(
            choose_name(None, Some("Sue"), Some("Susan B"), Some("Sue"), 7),
            "Susan B"
        );
        // One chosen under another name is someone else's: the session's name wins.
        assert_eq!(
            choose_name(None, Some("Sue"), Some("Bob"), Some("Bob"), 7),
            "Sue"
        );
        // A name remembered before sign-ins existed counts as this user's.
        assert_eq!(choose_name(None, Some("Sue"), Some("Bob"), None, 7), "Bob");
        assert_eq!(
            choose_name(None, Some(" "), Some("Bob"), Some("Y"), 7),
            "Bob"
        );
        assert_eq!(choose_name(None, Some("Sue"), None, None, 7), "Sue");
    }

    #[test]
    fn names_are_capped() {
        let long = "x".repeat(200);
        assert_eq!(clean_name(&long).unwrap().chars().count(), MAX_NAME_CHARS);
        assert_eq!(
            clean_name("é".repeat(70).as_str()).unwrap().chars().count(),
            64
        );
        assert_eq!(clean_name(" \t"), None);
    }
}
