//! Nesting limits for untrusted structured data, checked without recursion.
//!
//! yrs (and any recursive decoder) uses one stack frame per level of nesting, so a small
//! message nested thousands deep overflows the stack and aborts the whole process —
//! something `catch_unwind` cannot contain. Everything that reaches a recursive decoder is
//! first checked here (or by [`crate::prescan`] for Yjs updates) with an explicit limit.

/// The deepest nesting accepted anywhere untrusted data is decoded (JSON in awareness
/// states, `Any` values and embedded JSON in Yjs updates). Real minutes nest a few levels.
pub const MAX_NESTING: usize = 64;

/// Whether the JSON text `json` nests arrays and objects at most `max` deep.
///
/// A linear scan over the bytes that only tracks brackets outside strings; it does not
/// validate the JSON (the decoder that runs afterwards does). Unbalanced closing
/// brackets are tolerated here for the same reason.
pub fn json_within_depth(json: &str, max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings() {
        assert!(json_within_depth("{}", 1));
        assert!(!json_within_depth("[[1]]", 1));
        assert!(json_within_depth("[[1]]", 2));
        assert!(json_within_depth(r#"{"a":"[[[[[[","b":[1,{"c":2}]}"#, 3));
        assert!(!json_within_depth(r#"{"a":"\"","b":[[[1]]]}"#, 3));
        assert!(json_within_depth(r#"{"a":"\\","b":[[1]]}"#, 3));
    }

    #[test]
    fn a_very_deep_document_is_refused_without_recursion() {
        let deep = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
        assert!(!json_within_depth(&deep, MAX_NESTING));
        assert!(json_within_depth(&deep, 1_000_000));
    }
}
