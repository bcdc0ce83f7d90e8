//! The meeting catalog and the inputs of action references, read cheaply off a document.
//!
//! A document is a *meeting* when its header root map holds anything (the API, importers
//! and the demo always write one). Its [`CatalogEntry`] — title, series, date and
//! when it was first catalogued — is kept in redb by the document's actor, written in the
//! same transaction as the update that changed the header, so `GET /api/meetings` never
//! needs to load a document. Reading the summary touches four fields of one root map, so
//! the actor can afford it after every update.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_json() {
        let e = CatalogEntry {
            title: "T".into(),
            created: 5,
            ..CatalogEntry::default()
        };
        assert_eq!(CatalogEntry::from_json(&e.to_json()), Some(e));
        assert_eq!(CatalogEntry::from_json("nope"), None);
    }
}
