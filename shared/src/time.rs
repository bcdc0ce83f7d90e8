//! Time, written once for the server, the browser client and the native client: the
//! clock, the sign-off timestamp form (`2026-11-26 10:04:05.123 UTC`), local and ISO 8601
//! display, and the year of a meeting's date. Calendar arithmetic is jiff's; only UTC and
//! fixed offsets are used, so no time-zone database is built in.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// Milliseconds since the Unix epoch now (0 if the clock is before it).
pub fn now_ms() -> u64 {
    u64::try_from(Timestamp::now().as_millisecond()).unwrap_or(0)
}

/// Microseconds since the Unix epoch now (0 if the clock is before it).
pub fn now_micros() -> u64 {
    u64::try_from(Timestamp::now().as_microsecond()).unwrap_or(0)
}

/// The current year in UTC.
pub fn current_year() -> i32 {
    i32::from(Timestamp::now().to_zoned(TimeZone::UTC).year())
}

/// The civil date and time of `ms` at `offset_minutes` east of UTC; `None` past year 9999.
fn civil(ms: u64, offset_minutes: i64) -> Option<DateTime> {
    let ts = Timestamp::from_millisecond(i64::try_from(ms).ok()?).ok()?;
    let offset = Offset::from_seconds(i32::try_from(offset_minutes.checked_mul(60)?).ok()?).ok()?;
    Some(offset.to_datetime(ts))
}

/// Unix milliseconds as `2026-11-26 10:04:05.123 UTC` (the form sign-off blocks carry).
/// Instants past year 9999 come from no clock; they show as the last representable one.
pub fn format_utc(ms: u64) -> String {
    let t = civil(ms, 0).unwrap_or(DateTime::MAX);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Reads [`format_utc`]'s output back; `None` unless it is exactly that form.
pub fn parse_utc(s: &str) -> Option<u64> {
    let core = s.strip_suffix(" UTC")?;
    let t: DateTime = core.parse().ok()?;
    let ts = TimeZone::UTC.to_timestamp(t).ok()?;
    let ms = u64::try_from(ts.as_millisecond()).ok()?;
    // jiff accepts other spellings of the same instant (a `T`, fewer fraction digits):
    // only the exact form is this one.
    (format_utc(ms) == s).then_some(ms)
}

/// Unix milliseconds as ISO 8601 in UTC with milliseconds (`2026-11-26T10:04:05.123Z`).
pub fn iso_utc_ms(ms: u64) -> String {
    let shown = format_utc(ms);
    let core = shown.strip_suffix(" UTC").unwrap_or(&shown);
    format!("{}Z", core.replacen(' ', "T", 1))
}

/// Unix milliseconds as ISO 8601 in UTC to the second (`2024-05-01T14:03:05Z`), a
/// `<time datetime>` value.
pub fn iso_utc(ms: u64) -> String {
    let t = civil(ms, 0).unwrap_or(DateTime::MAX);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Unix milliseconds as local time `2024-05-01 14:03`, `offset_minutes` east of UTC.
pub fn format_local(ms: u64, offset_minutes: i64) -> String {
    let t = civil(ms, offset_minutes)
        .or_else(|| civil(ms, 0))
        .unwrap_or(DateTime::MAX);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The first run of exactly four digits between 1900 and 2999.
pub fn find_year(s: &str) -> Option<i32> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                if let Ok(year) = s[start..i].parse::<i32>() {
                    if (1900..3000).contains(&year) {
                        return Some(year);
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A meeting's date as written in its header ("Monday 31st January 2022", "3 March
/// 2023", "2023-03-03") as a real date, when it names a day, a month and a year.
pub fn meeting_date(text: &str) -> Option<Date> {
    if let Some(date) = iso_date(text.trim()) {
        return Some(date);
    }
    let year = i16::try_from(find_year(text)?).ok()?;
    let mut day = None;
    let mut month = None;
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let lower = word.to_ascii_lowercase();
        let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if day.is_none()
            && !digits.is_empty()
            && digits.len() <= 2
            && digits.len() < lower.len() + 1
        {
            if let Ok(d) = digits.parse::<i8>() {
                if (1..=31).contains(&d)
                    && matches!(&lower[digits.len()..], "" | "st" | "nd" | "rd" | "th")
                {
                    day = Some(d);
                    continue;
                }
            }
        }
        if month.is_none() {
            month = month_number(&lower);
        }
    }
    Date::new(year, month?, day?).ok()
}

/// Whether an action due on `due` (as written: an ISO date such as "2022-03-11", or a
/// meeting-style date) is past at `now_ms` (days in UTC). Text that names no day ("next
/// meeting") is never overdue.
pub fn is_overdue(due: &str, now_ms: u64) -> bool {
    match (meeting_date(due), civil(now_ms, 0)) {
        (Some(due), Some(now)) => due < now.date(),
        _ => false,
    }
}

/// `YYYY-MM-DD` as a date (read by hand: jiff's general parser would double the size of
/// the date code in the web client).
fn iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .and_then(|_| s.get(r))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(0..4)?.parse().ok()?;
    let month = digits(5..7)?.parse().ok()?;
    let day = digits(8..10)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

/// The month a word names (1–12): its full English name, its first three letters or
/// "sept", in any case.
pub fn month_number(word: &str) -> Option<i8> {
    let w = word.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| {
            *m == w || (w.len() == 3 && m.starts_with(&w)) || (w == "sept" && *m == "september")
        })
        .and_then(|i| i8::try_from(i + 1).ok())
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_overdue_once_its_day_has_passed() {
        let noon = |d: &str| parse_utc(&format!("{d} 12:00:00.000 UTC")).expect("a time");
        let now = noon("2022-03-12");
        assert!(is_overdue("2022-03-11", now));
        assert!(is_overdue("11 March 2022", now));
        assert!(!is_overdue("2022-03-12", now), "due today is not late yet");
        assert!(!is_overdue("2022-04-01", now));
        assert!(!is_overdue("next meeting", now));
        assert!(!is_overdue("", now));
    }

    #[test]
    fn sign_off_timestamps_format_and_parse_back() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(format_utc(1_795_687_445_123), "2026-11-26 10:04:05.123 UTC");
        assert_eq!(iso_utc_ms(1_795_687_445_123), "2026-11-26T10:04:05.123Z");
        for ms in [0, 1, 951_782_400_000, 1_795_687_445_123, 4_102_444_799_999] {
            assert_eq!(parse_utc(&format_utc(ms)), Some(ms), "{ms}");
        }
        for bad in [
            "2026-02-30 00:00:00.000 UTC",
            "2026-11-26T10:04:05.123 UTC",
            "2026-11-26 10:04:05.12 UTC",
            "2026-11-26 10:04:05.123",
            "26-11-26 10:04:05.123 UTC",
            "2026-11-26 24:00:00.000 UTC",
            "1969-12-31 23:59:59.999 UTC",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_and_iso_display() {
        assert_eq!(format_local(0, 0), "1970-01-01 00:00");
        // UTC+2 at 22:30 UTC is the next day.
        assert_eq!(format_local(1_714_602_600_000, 120), "2024-05-02 00:30");
        assert_eq!(format_local(1_714_602_600_000, -60), "2024-05-01 21:30");
        assert_eq!(iso_utc(1_714_602_605_999), "2024-05-01T22:30:05Z");
    }

    #[test]
    fn years_and_meeting_dates() {
        assert_eq!(find_year("Monday 31st January 2022"), Some(2022));
        assert_eq!(find_year("12345 and 1999"), Some(1999));
        assert_eq!(find_year("no year 31/01"), None);
        assert_eq!(
            meeting_date("Monday 31st January 2022"),
            Date::new(2022, 1, 31).ok()
        );
        assert_eq!(meeting_date("3 March 2023"), Date::new(2023, 3, 3).ok());
        assert_eq!(meeting_date("2023-03-03"), Date::new(2023, 3, 3).ok());
        assert_eq!(meeting_date("Tues 1 Feb 2022"), Date::new(2022, 2, 1).ok());
        assert_eq!(meeting_date("31st February 2022"), None);
        assert_eq!(month_number("Sept"), Some(9));
        assert_eq!(month_number("dec"), Some(12));
        assert_eq!(month_number("decem"), None);
        assert_eq!(meeting_date("January 2022"), None);
        assert!(current_year() >= 2024);
        assert!(now_ms() > 1_700_000_000_000);
    }
}
