//! The names presence shows. Each client is shown under the name the server verified
//! for it (the signed-in person's, stamped on every relayed state as `verified.name`);
//! this page's own entry under its session's name. A name chosen in the page (an old
//! `?name=` parameter, an announced `user.name`) is never shown. A state the server did
//! not stamp shows as "Guest NNN" from its client id.

/// Longest name shown, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Trims `name` and caps its length; `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    let name = name.trim_end();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The name of a client without a verified one.
pub fn guest_name(client_id: u64) -> String {
    format!("Guest {:03}", client_id % 1000)
}

/// This page's name: the session's (the verified one), else a guest name.
pub fn own_name(session: Option<&str>, client_id: u64) -> String {
    session
        .and_then(clean_name)
        .unwrap_or_else(|| guest_name(client_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_name_else_a_guest() {
        assert_eq!(own_name(Some(" Ann "), 7), "Ann");
        assert_eq!(own_name(Some("  "), 42), "Guest 042");
        assert_eq!(own_name(None, 123_456_007), "Guest 007");
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
