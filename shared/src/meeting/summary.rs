//! Cheap reads of a meeting for the server's side records, without building a view: the
//! header fields a catalog lists, and each action's reference, status and order. They
//! touch a few fields per entity, so the server can afford them after every update.

use yrs::{Map, Out, ReadTxn};

use super::document::{read_bool, read_str, Meeting};
use crate::schema::{action, common, header};

/// The header fields a meeting is listed by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderSummary {
    pub title: String,
    pub series: String,
    /// As written ("Monday 31st January 2022").
    pub date: String,
}

/// One action as the server's side records see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionRecord {
    pub id: String,
    /// "06/23", or empty until assigned.
    pub reference: String,
    /// As stored (`open`, `done`, `dropped`).
    pub status: String,
    /// The action's order key.
    pub order: String,
    /// Tombstoned.
    pub deleted: bool,
}

impl Meeting {
    /// The header's listed fields, or `None` when the header is empty (the document is
    /// not a meeting: the API, importers and the demo always write one).
    pub fn summary<T: ReadTxn>(&self, txn: &T) -> Option<HeaderSummary> {
        if self.header.len(txn) == 0 {
            return None;
        }
        Some(HeaderSummary {
            title: read_str(&self.header, txn, header::TITLE),
            series: read_str(&self.header, txn, header::SERIES),
            date: read_str(&self.header, txn, header::DATE),
        })
    }

    /// How many entries the actions map holds (deleted ones included).
    pub fn action_entries<T: ReadTxn>(&self, txn: &T) -> u32 {
        self.actions.len(txn)
    }

    /// Every action's reference, status and order, in map order.
    pub fn action_records<T: ReadTxn>(&self, txn: &T) -> Vec<ActionRecord> {
        self.actions
            .iter(txn)
            .filter_map(|(id, value)| {
                let Out::YMap(a) = value else { return None };
                Some(ActionRecord {
                    id: id.to_string(),
                    reference: read_str(&a, txn, action::REFERENCE),
                    status: read_str(&a, txn, action::STATUS),
                    order: read_str(&a, txn, common::ORDER),
                    deleted: read_bool(&a, txn, common::DELETED),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::NewAction;
    use yrs::{Doc, Transact};

    #[test]
    fn an_empty_document_is_not_a_meeting() {
        let m = Meeting::new(Doc::new());
        assert_eq!(m.summary(&m.doc().transact()), None);
    }

    #[test]
    fn the_summary_and_action_records_read_what_was_written() {
        let m = Meeting::new(Doc::new());
        {
            let mut txn = m.doc().transact_mut();
            let header = crate::meeting::Header {
                title: "Board".into(),
                series: "Board series".into(),
                date: "3 March 2023".into(),
                ..Default::default()
            };
            m.set_header(&mut txn, &header);
            m.add_action(&mut txn, &NewAction::default()).unwrap();
        }
        let txn = m.doc().transact();
        assert_eq!(
            m.summary(&txn),
            Some(HeaderSummary {
                title: "Board".into(),
                series: "Board series".into(),
                date: "3 March 2023".into(),
            })
        );
        let records = m.action_records(&txn);
        assert_eq!(records.len(), 1);
        assert_eq!(m.action_entries(&txn), 1);
        assert_eq!(records[0].reference, "");
        assert!(!records[0].deleted);
    }
}
