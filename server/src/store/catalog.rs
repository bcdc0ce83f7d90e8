//! The meeting catalog's stored record: a meeting's [`CatalogEntry`] — title, series,
//! date and when it was first catalogued — kept in redb by the document's actor, written
//! in the same transaction as the update that changed the header, so `GET /api/meetings`
//! never needs to load a document. The header is read through the meeting model
//! (`Meeting::summary`); this module only stores it.

use minutebook_shared::meeting::summary::HeaderSummary;
use serde::{Deserialize, Serialize};

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

    /// The entry for a meeting's header summary (`created` is 0 until stored).
    pub fn of(summary: HeaderSummary) -> Self {
        CatalogEntry {
            title: summary.title,
            series: summary.series,
            date: summary.date,
            // Lifecycle status comes from the ledger, not the editable header.
            status: String::new(),
            created: 0,
        }
    }

    /// Whether the header fields (not `created`) match.
    pub fn same_header(&self, other: &CatalogEntry) -> bool {
        self.title == other.title
            && self.series == other.series
            && self.date == other.date
            && self.status == other.status
    }
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
