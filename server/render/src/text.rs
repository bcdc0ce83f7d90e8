//! The few words both outputs add around the minutes (section titles, the signature
//! block's labels, the footer line) and the small conversions they share (the document
//! language, the sign-off time), so the PDF and the Word document cannot disagree.

use crate::Frozen;

/// Section titles, in the order the outputs show them.
pub const ATTENDANCE: &str = "Attendance";
/// The items' section.
pub const MINUTES: &str = "Minutes";
/// The next meeting's section.
pub const NEXT_MEETING: &str = "Next meeting";
/// The action log's section.
pub const ACTION_LOG: &str = "Action log";
/// The signature block's section.
pub const SIGN_OFF: &str = "Sign-off";

/// The signature block: labelled values in order.
pub fn signature(f: &Frozen) -> Vec<(&'static str, String)> {
    vec![
        ("Signed off by", f.signer.to_owned()),
        ("Signed at", signed_at(f)),
        ("Version", f.version.to_string()),
        ("SHA-256", f.sha256.to_owned()),
        ("Status", f.status.to_owned()),
    ]
}

/// The sign-off time as sign-off blocks write it (`2026-11-26 10:04:05.123 UTC`).
pub fn signed_at(f: &Frozen) -> String {
    minutebook_shared::time::format_utc(f.signed_at_ms)
}

/// The footer's version line ("Version 2 · SHA-256 ab12…").
pub fn footer_version(f: &Frozen) -> String {
    format!("Version {} · SHA-256 {}", f.version, f.sha256)
}

/// The sign-off time as (year, month, day, hour, minute, second) in UTC.
pub fn signed_at_parts(ms: u64) -> (i32, u8, u8, u8, u8, u8) {
    // `iso_utc` is `YYYY-MM-DDTHH:MM:SSZ` for every instant (clamped past year 9999).
    let iso = minutebook_shared::time::iso_utc(ms);
    let num = |range: std::ops::Range<usize>| -> u32 {
        iso.get(range)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    };
    let small = |n: u32| u8::try_from(n).unwrap_or_default();
    (
        i32::try_from(num(0..4)).unwrap_or(1970),
        small(num(5..7)).max(1),
        small(num(8..10)).max(1),
        small(num(11..13)),
        small(num(14..16)),
        small(num(17..19)),
    )
}

/// A BCP 47 tag split into an ISO 639 language and an optional ISO 3166 region, both
/// checked ("en-GB" → ("en", Some("GB"))); anything unreadable is English.
pub fn language(tag: &str) -> (String, Option<String>) {
    let mut parts = tag.trim().split(['-', '_']);
    let lang = parts.next().unwrap_or_default().to_ascii_lowercase();
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
        return ("en".to_owned(), None);
    }
    let region = parts
        .find(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|p| p.to_ascii_uppercase());
    (lang, region)
}

/// The language tag as Word writes it ("en-GB").
pub fn word_language(tag: &str) -> String {
    match language(tag) {
        (lang, Some(region)) => format!("{lang}-{region}"),
        (lang, None) => lang,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_checked() {
        assert_eq!(language("en-GB"), ("en".into(), Some("GB".into())));
        assert_eq!(language("cy"), ("cy".into(), None));
        assert_eq!(language("de-Latn-de"), ("de".into(), Some("DE".into())));
        assert_eq!(language("#import"), ("en".into(), None));
        assert_eq!(language(""), ("en".into(), None));
        assert_eq!(word_language("en_gb"), "en-GB");
    }

    #[test]
    fn sign_off_time_parts() {
        // 2026-11-26 10:04:05.123 UTC
        assert_eq!(signed_at_parts(1_795_687_445_123), (2026, 11, 26, 10, 4, 5));
        assert_eq!(signed_at_parts(0), (1970, 1, 1, 0, 0, 0));
    }
}
