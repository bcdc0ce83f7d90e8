//! The local display name: from the `?name=` URL parameter, else the name remembered in
//! `localStorage["minutebook.name"]`, else "Guest NNN" from the client id.

/// The `localStorage` key that remembers the display name.
pub const STORAGE_KEY: &str = "minutebook.name";

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

/// Picks the display name: the URL's, else the stored one, else a guest name.
pub fn choose_name(from_url: Option<&str>, stored: Option<&str>, client_id: u64) -> String {
    from_url
        .and_then(clean_name)
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

/// Remembers the URL's `?name=` (if any) in `localStorage`; for pages without presence
/// (DOM.md: `&name=` works on any page). Returns the cleaned name.
pub fn remember_url_name() -> Option<String> {
    let name = url_name().and_then(|n| clean_name(&n))?;
    store_name(&name);
    Some(name)
}

/// The name remembered in `localStorage`.
pub fn stored_name() -> Option<String> {
    storage()?.get_item(STORAGE_KEY).ok()?
}

/// Remembers `name` in `localStorage` (silently does nothing where storage is disabled).
pub fn store_name(name: &str) {
    if let Some(storage) = storage() {
        if storage.set_item(STORAGE_KEY, name).is_err() {
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
        assert_eq!(choose_name(Some(" Ann "), Some("Bob"), 7), "Ann");
        assert_eq!(choose_name(Some("  "), Some("Bob"), 7), "Bob");
        assert_eq!(choose_name(None, Some("Bob"), 7), "Bob");
        assert_eq!(choose_name(None, None, 123_456_007), "Guest 007");
        assert_eq!(choose_name(Some(""), Some(" "), 42), "Guest 042");
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
