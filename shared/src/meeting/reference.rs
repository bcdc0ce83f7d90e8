//! Action references: "06/23" is the 6th action of 2023 in a meeting series.
//!
//! A reference must be unique across every meeting of a series and never change once
//! given. Clients editing concurrently (possibly offline) cannot guarantee that on their
//! own: two of them would both pick "07/23". So the document's `reference` field starts
//! empty and is written **once** by a single writer that sees the whole series — the
//! server, when an action syncs — using [`next_reference`] over the references already
//! given in the series. [`crate::meeting::Meeting::assign_reference`] refuses to overwrite.
//!
//! Limitation: if two writers nevertheless assign concurrently (e.g. two servers, or a
//! client assigning while offline), the document keeps one value (last writer wins) and
//! the series may hold a duplicate; detecting that needs the series index, which lives
//! outside a single document. Imported minutes keep the references they were published with.

use std::fmt;

use crate::time;

/// The year a meeting's action references count in: the year of its date, else a year
/// written in its title, else the current UTC year.
pub fn reference_year(date: &str, title: &str) -> i32 {
    time::meeting_date(date)
        .map(|d| i32::from(d.year()))
        .or_else(|| time::find_year(date))
        .or_else(|| time::find_year(title))
        .unwrap_or_else(time::current_year)
}

/// The counter key of a meeting's action references: its series, or (for a meeting with
/// no series) the document itself.
pub fn series_key(series: &str, doc: &str) -> String {
    let series = series.trim();
    if series.is_empty() {
        format!("#doc:{doc}")
    } else {
        series.to_string()
    }
}

/// A parsed action reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionReference {
    /// Two-digit year (23 for 2023).
    pub year: u8,
    /// Position of the action in that year, from 1.
    pub number: u32,
}

impl ActionReference {
    /// Reads "06/23" (also "6/23"); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let (n, y) = s.trim().split_once('/')?;
        let digits = |t: &str, max: usize| {
            !t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(n, 6) || y.len() != 2 || !digits(y, 2) {
            return None;
        }
        let number: u32 = n.parse().ok()?;
        let year: u8 = y.parse().ok()?;
        (number > 0).then_some(ActionReference { year, number })
    }
}

impl fmt::Display for ActionReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}", self.number, self.year)
    }
}

/// The next free reference of `year` (e.g. 2023) given every reference already used in
/// the series: one more than the highest number of that year, or 1. Unparseable
/// references are ignored.
pub fn next_reference<'a>(
    existing: impl IntoIterator<Item = &'a str>,
    year: i32,
) -> ActionReference {
    let yy = year.rem_euclid(100) as u8;
    let max = existing
        .into_iter()
        .filter_map(ActionReference::parse)
        .filter(|r| r.year == yy)
        .map(|r| r.number)
        .max()
        .unwrap_or(0);
    ActionReference {
        year: yy,
        number: max.saturating_add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_year_comes_from_the_date_then_the_title() {
        assert_eq!(reference_year("", "Meeting January 2022– Notes"), 2022);
        assert_eq!(reference_year("3 March 2023", "Meeting 2022"), 2023);
        assert_eq!(reference_year("Monday 31st January 2022", ""), 2022);
        assert!(reference_year("", "") >= 2024);
    }

    #[test]
    fn a_meeting_without_a_series_counts_alone() {
        assert_eq!(series_key(" Board ", "x"), "Board");
        assert_eq!(series_key("", "x"), "#doc:x");
    }

    #[test]
    fn parse_and_format() {
        let r = ActionReference::parse("06/23").unwrap();
        assert_eq!(
            r,
            ActionReference {
                year: 23,
                number: 6
            }
        );
        assert_eq!(r.to_string(), "06/23");
        assert_eq!(ActionReference::parse("6/23").unwrap().to_string(), "06/23");
        assert_eq!(
            ActionReference::parse("123/23").unwrap().to_string(),
            "123/23"
        );
        for bad in [
            "", "06", "/23", "06/", "06/2023", "0/23", "a6/23", "06/2x", "+6/23",
        ] {
            assert_eq!(ActionReference::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn next_counts_per_year() {
        let used = ["01/22", "07/23", "03/23", "junk", "12/22"];
        assert_eq!(next_reference(used, 2023).to_string(), "08/23");
        assert_eq!(next_reference(used, 2022).to_string(), "13/22");
        assert_eq!(next_reference(used, 2024).to_string(), "01/24");
        assert_eq!(next_reference([], 2100).to_string(), "01/00");
    }
}
