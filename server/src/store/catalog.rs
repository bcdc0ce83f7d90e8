//! The meeting catalog and the inputs of action references, read cheaply off a document.
//!
//! A document is a *meeting* when its header root map holds anything (the API, importers
//! and the demo always write one). Its [`CatalogEntry`] — title, series, date and
//! when it was first catalogued — is kept in redb by the document's actor, written in the
//! same transaction as the update that changed the header, so `GET /api/meetings` never
//! needs to load a document. Reading the summary touches four fields of one root map, so
//! the actor can afford it after every update.

use std::time::{SystemTime, UNIX_EPOCH};

use minutebook_shared::schema;
use serde::{Deserialize, Serialize};
use yrs::{Any, Doc, GetString, Map, MapRef, Out, ReadTxn};

/// A meeting as listed by `GET /api/meetings` (without its name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CatalogEntry {
    pub title: String,
    pub series: String,
    pub date: String,
    /// Unused (always empty now): the list's status is the ledger's lifecycle status
    /// (`crate::meetings::list`), never the header's own field. Kept so stored entries
    /// keep reading.
    #[serde(default)]
    pub status: String,
    /// Microseconds since the Unix epoch when the meeting was first catalogued (ordering).
    #[serde(default)]
    pub created: u64,
}

impl CatalogEntry {
    /// Reads a stored entry; `None` if it is not valid JSON of this shape.
    pub fn from_json(s: &str) -> Option<Self> {
        serde_json::from_str(s).ok()
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether the header fields (not `created`) match.
    pub fn same_header(&self, other: &CatalogEntry) -> bool {
        self.title == other.title
            && self.series == other.series
            && self.date == other.date
            && self.status == other.status
    }
}

/// The header root map of `doc` (must be called with no transaction open).
pub fn header_map(doc: &Doc) -> MapRef {
    doc.get_or_insert_map(schema::HEADER)
}

/// The actions root map of `doc` (must be called with no transaction open).
pub fn actions_map(doc: &Doc) -> MapRef {
    doc.get_or_insert_map(schema::ACTIONS)
}

/// A string field of a map ("" when absent or of another type).
pub fn read_field<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> String {
    match map.get(txn, key) {
        Some(Out::Any(Any::String(s))) => s.to_string(),
        Some(Out::YText(t)) => t.get_string(txn),
        _ => String::new(),
    }
}

/// The header summary, or `None` when the header is empty (not a meeting). `created` is 0.
pub fn summary<T: ReadTxn>(header: &MapRef, txn: &T) -> Option<CatalogEntry> {
    if header.len(txn) == 0 {
        return None;
    }
    use schema::header as h;
    Some(CatalogEntry {
        title: read_field(header, txn, h::TITLE),
        series: read_field(header, txn, h::SERIES),
        date: read_field(header, txn, h::DATE),
        // Lifecycle status comes from the ledger, not the editable header.
        status: String::new(),
        created: 0,
    })
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

/// The year the references of a meeting count in: a 4-digit year in its date, else in its
/// title, else the current UTC year.
pub fn reference_year(date: &str, title: &str) -> i32 {
    find_year(date)
        .or_else(|| find_year(title))
        .unwrap_or_else(current_year)
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
                if let Ok(y) = s[start..i].parse::<i32>() {
                    if (1900..3000).contains(&y) {
                        return Some(y);
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Microseconds since the Unix epoch.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// The current year in UTC.
pub fn current_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    year_of_day(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// The civil (proleptic Gregorian) year of a day counted from 1970-01-01.
fn year_of_day(days: i64) -> i32 {
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    i32::try_from(year).unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        assert_eq!(find_year("Monday 31st January 2022"), Some(2022));
        assert_eq!(find_year("12345 and 1999"), Some(1999));
        assert_eq!(find_year("no year 31/01"), None);
        assert_eq!(reference_year("", "Meeting January 2022– Notes"), 2022);
        assert_eq!(reference_year("3 March 2023", "Meeting 2022"), 2023);
        assert_eq!(year_of_day(0), 1970);
        assert_eq!(year_of_day(19_357), 2022); // 2022-12-31
        assert_eq!(year_of_day(19_358), 2023); // 2023-01-01
        assert!(current_year() >= 2024);
    }

    #[test]
    fn keys_and_json() {
        assert_eq!(series_key(" Board ", "x"), "Board");
        assert_eq!(series_key("", "x"), "#doc:x");
        let e = CatalogEntry {
            title: "T".into(),
            created: 5,
            ..CatalogEntry::default()
        };
        assert_eq!(CatalogEntry::from_json(&e.to_json()), Some(e));
        assert_eq!(CatalogEntry::from_json("nope"), None);
    }
}
