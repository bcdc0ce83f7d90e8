//! Part II on the server: each meeting's exempt items live in a second Yjs document
//! ([`minutebook_shared::meeting::part2`] explains the model), which the meeting's actor
//! holds beside the minutes.
//!
//! - It is stored under [`key`]`(meeting)`: `{meeting}~restricted`. `~` is not valid in a
//!   meeting's name, so nothing can collide with it or address it as a meeting.
//! - Connections reach it at `/ws/{meeting}/restricted`, only with restricted access.
//! - Moving an item into Part II rebuilds the main document under a new client id; the
//!   old document's client ids are *retired* ([`RETIRED_CLIENTS`], one record per
//!   meeting) and the actor refuses any update that carries content or deletions of
//!   theirs ([`touches_retired`]): an old offline copy, a stale tab or an undo stack can
//!   never bring moved text back into the main document.

use std::collections::HashSet;

use minutebook_shared::prescan::{self, ScanError, Scanned};

use crate::store::{Record, Store, StoreError};

/// The record kind of a meeting's retired client ids (key: the meeting; JSON list).
pub const RETIRED_CLIENTS: &str = "retired-clients";

/// The suffix of a meeting's Part II document name.
const SUFFIX: &str = "~restricted";

/// The name meeting `meeting`'s Part II document is stored under.
pub fn key(meeting: &str) -> String {
    format!("{meeting}{SUFFIX}")
}

/// The client ids retired by earlier rebuilds of `meeting`'s main document. Blocking.
pub fn load_retired(store: &Store, meeting: &str) -> Result<HashSet<u64>, StoreError> {
    Ok(match store.record(RETIRED_CLIENTS, meeting)? {
        Some(json) => serde_json::from_slice::<Vec<u64>>(&json)?
            .into_iter()
            .collect(),
        None => HashSet::new(),
    })
}

/// The record that stores `retired` for `meeting`.
pub fn retired_record(meeting: &str, retired: &HashSet<u64>) -> Record {
    let mut list: Vec<u64> = retired.iter().copied().collect();
    list.sort_unstable();
    Record::Put {
        kind: RETIRED_CLIENTS,
        key: meeting.to_owned(),
        json: serde_json::to_vec(&list).unwrap_or_default(),
    }
}

/// Whether update `raw` carries structs or deletions of a retired client (found by the
/// pre-scan, without decoding). An update the scan refuses is left to the normal path,
/// which refuses it with its own reason.
pub fn touches_retired(raw: &[u8], retired: &HashSet<u64>) -> Result<bool, ScanError> {
    if retired.is_empty() {
        return Ok(false);
    }
    Ok(scanned_touches_retired(
        &prescan::scan_update_v1(raw)?,
        retired,
    ))
}

/// [`touches_retired`] for an update already scanned.
pub fn scanned_touches_retired(scanned: &Scanned, retired: &HashSet<u64>) -> bool {
    scanned
        .clocks
        .iter()
        .any(|(client, _, _)| retired.contains(client))
        || scanned
            .deletes
            .iter()
            .any(|r| r.len > 0 && retired.contains(&r.client))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, Text, Transact};

    fn typed(doc: &Doc, text: &str) -> Vec<u8> {
        let t = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        t.push(&mut txn, text);
        txn.encode_update_v1()
    }

    #[test]
    fn updates_of_retired_clients_are_recognised() {
        use yrs::updates::decoder::Decode;
        let old = Doc::new();
        let new = Doc::new();
        let retired: HashSet<u64> = [old.client_id().get()].into();
        let secret = typed(&old, "secret");
        assert!(touches_retired(&secret, &retired).unwrap());
        assert!(!touches_retired(&typed(&new, "fine"), &retired).unwrap());
        assert!(!touches_retired(&secret, &HashSet::new()).unwrap());
        // A new client deleting a retired client's text.
        let third = Doc::new();
        third
            .transact_mut()
            .apply_update(yrs::Update::decode_v1(&secret).unwrap())
            .unwrap();
        let t = third.get_or_insert_text("t");
        let mut txn = third.transact_mut();
        t.remove_range(&mut txn, 0, 1);
        let only_deletes = txn.encode_update_v1();
        drop(txn);
        assert!(touches_retired(&only_deletes, &retired).unwrap());
    }

    #[test]
    fn the_part2_key_is_no_meeting_name() {
        assert_eq!(key("board-1"), "board-1~restricted");
        assert!(!minutebook_shared::protocol::valid_doc_name(&key(
            "board-1"
        )));
    }
}
