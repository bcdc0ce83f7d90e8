//! [`Meeting`]: a typed handle on one meeting's `yrs::Doc`, and the low-level field access
//! the write side ([`super::ops`]) and read side ([`super::view`]) share.
//!
//! Every entity is a Y.Map under its id in one of the root maps named in
//! [`crate::schema`]; nothing is ever removed from those maps (deletion is a tombstone
//! field), so a concurrent edit to a deleted entity is kept, just not shown.

use crate::schema;
use yrs::types::text::TextPrelim;
use yrs::{
    Any, Doc, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, Text, TextRef, TransactionMut,
};

/// A meeting document: one `yrs::Doc` per meeting.
///
/// Mutations take the caller's `&mut TransactionMut` (so several form one update); reads
/// take any transaction. The handle is cheap to clone.
#[derive(Clone, Debug)]
pub struct Meeting {
    doc: Doc,
    pub(crate) header: MapRef,
    pub(crate) people: MapRef,
    pub(crate) minute_takers: MapRef,
    pub(crate) items: MapRef,
    pub(crate) blocks: MapRef,
    pub(crate) actions: MapRef,
}

impl Meeting {
    /// Wraps a document (new or loaded), creating the root maps' handles.
    ///
    /// Must not be called while a transaction on `doc` is open.
    pub fn new(doc: Doc) -> Self {
        Meeting {
            header: doc.get_or_insert_map(schema::HEADER),
            people: doc.get_or_insert_map(schema::PEOPLE),
            minute_takers: doc.get_or_insert_map(schema::MINUTE_TAKERS),
            items: doc.get_or_insert_map(schema::ITEMS),
            blocks: doc.get_or_insert_map(schema::BLOCKS),
            actions: doc.get_or_insert_map(schema::ACTIONS),
            doc,
        }
    }

    /// The underlying document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// A new id, unique across clients: this client's id and its current clock, which
    /// advances with every insert (and every new entity inserts its map).
    pub(crate) fn new_id(&self, txn: &TransactionMut) -> String {
        let client = self.doc.client_id();
        let clock = txn.state_vector().get(&client);
        format!("{:x}-{clock:x}", client.get())
    }
}

/// The entity map stored under `id` in `root`, if there is one.
pub(crate) fn entity<T: ReadTxn>(root: &MapRef, txn: &T, id: &str) -> Option<MapRef> {
    match root.get(txn, id) {
        Some(Out::YMap(m)) => Some(m),
        _ => None,
    }
}

/// Whether `map` exists and is not tombstoned.
pub(crate) fn is_live<T: ReadTxn>(root: &MapRef, txn: &T, id: &str) -> bool {
    entity(root, txn, id).is_some_and(|m| !read_bool(&m, txn, schema::common::DELETED))
}

/// A string field ("" when absent or of another type).
pub(crate) fn read_str<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> String {
    match map.get(txn, key) {
        Some(Out::Any(Any::String(s))) => s.to_string(),
        Some(Out::YText(t)) => t.get_string(txn),
        _ => String::new(),
    }
}

/// A text field: the Y.Text's content (or a plain string written by another client).
pub(crate) fn read_text<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> String {
    read_str(map, txn, key)
}

/// A boolean field (false when absent).
pub(crate) fn read_bool<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> bool {
    matches!(map.get(txn, key), Some(Out::Any(Any::Bool(true))))
}

/// An array-of-ids field (strings only; duplicates dropped, first occurrence kept).
pub(crate) fn read_ids<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(Out::Any(Any::Array(items))) = map.get(txn, key) {
        for item in items.iter() {
            if let Any::String(s) = item {
                if !out.iter().any(|o| o.as_str() == &**s) {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// Writes a string field unless it already holds `value`.
pub(crate) fn write_str(map: &MapRef, txn: &mut TransactionMut, key: &str, value: &str) {
    if !matches!(map.get(txn, key), Some(Out::Any(Any::String(s))) if &*s == value) {
        map.insert(txn, key, value);
    }
}

/// Writes a boolean field unless it already holds `value`.
pub(crate) fn write_bool(map: &MapRef, txn: &mut TransactionMut, key: &str, value: bool) {
    if read_bool(map, txn, key) != value || map.get(txn, key).is_none() {
        map.insert(txn, key, value);
    }
}

/// Writes an array-of-ids field.
pub(crate) fn write_ids(map: &MapRef, txn: &mut TransactionMut, key: &str, ids: &[String]) {
    let mut unique: Vec<String> = Vec::new();
    for id in ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    if read_ids(map, txn, key) != unique || map.get(txn, key).is_none() {
        let any: Vec<Any> = unique.into_iter().map(Any::from).collect();
        map.insert(txn, key, Any::from(any));
    }
}

/// Creates an empty entity map under a new id.
pub(crate) fn create_entity(root: &MapRef, txn: &mut TransactionMut, id: &str) -> MapRef {
    root.insert(txn, id, MapPrelim::default())
}

/// Creates a Y.Text field holding `value`.
pub(crate) fn create_text(
    map: &MapRef,
    txn: &mut TransactionMut,
    key: &str,
    value: &str,
) -> TextRef {
    map.insert(txn, key, TextPrelim::new(value))
}

/// The Y.Text under `key`, if the field is one.
pub(crate) fn text_ref<T: ReadTxn>(map: &MapRef, txn: &T, key: &str) -> Option<TextRef> {
    match map.get(txn, key) {
        Some(Out::YText(t)) => Some(t),
        _ => None,
    }
}

/// Replaces a text field's content with `value`, editing only the changed middle so that
/// concurrent typing elsewhere in the text survives. Creates the Y.Text if missing.
pub(crate) fn write_text(map: &MapRef, txn: &mut TransactionMut, key: &str, value: &str) {
    let Some(text) = text_ref(map, txn, key) else {
        create_text(map, txn, key, value);
        return;
    };
    let old = text.get_string(txn);
    if old == value {
        return;
    }
    let prefix = common_prefix(&old, value);
    let suffix = common_suffix(&old[prefix..], &value[prefix..]);
    let removed = &old[prefix..old.len() - suffix];
    let inserted = &value[prefix..value.len() - suffix];
    let unit = |s: &str| -> u32 {
        let n = match txn.doc().offset_kind() {
            yrs::OffsetKind::Bytes => s.len(),
            yrs::OffsetKind::Utf16 => s.encode_utf16().count(),
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let at = unit(&old[..prefix]);
    let removed_len = unit(removed);
    if removed_len > 0 {
        text.remove_range(txn, at, removed_len);
    }
    if !inserted.is_empty() {
        text.insert(txn, at, inserted);
    }
}

/// Length in bytes of the longest common prefix, on a char boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, ca), cb)| ca != cb)
        .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i)
}

/// Length in bytes of the longest common suffix, on a char boundary.
fn common_suffix(a: &str, b: &str) -> usize {
    let mut n = 0;
    for (ca, cb) in a.chars().rev().zip(b.chars().rev()) {
        if ca != cb {
            break;
        }
        n += ca.len_utf8();
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::Transact;

    #[test]
    fn write_text_edits_the_middle() {
        let m = Meeting::new(Doc::new());
        let mut txn = m.doc().transact_mut();
        let e = create_entity(&m.blocks, &mut txn, "b");
        write_text(&e, &mut txn, "t", "héllo wörld");
        write_text(&e, &mut txn, "t", "héllo brave wörld");
        assert_eq!(read_text(&e, &txn, "t"), "héllo brave wörld");
        write_text(&e, &mut txn, "t", "wörld");
        assert_eq!(read_text(&e, &txn, "t"), "wörld");
        write_text(&e, &mut txn, "t", "");
        assert_eq!(read_text(&e, &txn, "t"), "");
        assert_eq!(common_prefix("aé", "aè"), 1);
        assert_eq!(common_suffix("éa", "èa"), 1);
    }

    #[test]
    fn ids_are_unique_within_a_transaction() {
        let m = Meeting::new(Doc::with_client_id(7));
        let mut txn = m.doc().transact_mut();
        let a = m.new_id(&txn);
        create_entity(&m.people, &mut txn, &a);
        let b = m.new_id(&txn);
        assert_ne!(a, b);
        assert!(a.starts_with("7-"));
    }
}
