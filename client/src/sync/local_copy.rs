//! The browser's copy of a document's unsaved changes, in `localStorage`.
//!
//! While some local change is not acknowledged as durable (offline, or sent on a
//! connection that closed first), the provider keeps the whole document state here, so
//! that closing or reloading the page loses nothing: the next page to open the document
//! applies the copy before it connects, and the handshake sends whatever the server
//! lacks (Yjs updates are idempotent). The copy is deleted as soon as everything is
//! saved, when the server refuses a change (it would be refused again), and on sign-out.
//!
//! Each page keeps its own slot (`minutebook.unsaved:URL#WRITER#PAGE`): two tabs of the
//! same meeting, both offline, would otherwise overwrite each other's copy, and the one
//! saved first would delete the other's. A page opening the document applies *every*
//! slot of its writer (other tabs' included, open or closed) and deletes them; what they
//! held is then unsaved in the new page, which keeps it in its own slot until it is
//! saved. One person's slots are never applied in another's page (see
//! [`LocalCopy::new`]).

use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// Prefix of every key this module writes.
const PREFIX: &str = "minutebook.unsaved:";

/// One page's slot for one document in `localStorage`.
#[derive(Clone)]
pub struct LocalCopy {
    /// Every slot of this document and writer starts with it.
    writer_prefix: String,
    key: String,
}

impl LocalCopy {
    /// The slot of page `page` (unique per page: the doc's client id) for the document
    /// synced over `url` (one per server and document) by `writer`. One person's copy is
    /// never applied in another's page: another person signing in on this browser would
    /// otherwise send it under their own sign-in, where the server refuses it (its client
    /// id is the first person's); it stays for its writer to come back to (or until a
    /// sign-out deletes every copy).
    pub fn new(url: &str, writer: &str, page: u64) -> Self {
        // `#` separates the parts: escaped in the writer (an administrator's name).
        let writer = writer.replace('%', "%25").replace('#', "%23");
        let writer_prefix = format!("{PREFIX}{url}#{writer}#");
        LocalCopy {
            key: format!("{writer_prefix}{page}"),
            writer_prefix,
        }
    }

    /// Applies every stored slot of this document and writer (earlier pages', other
    /// tabs') that decodes to `doc`, deleting each. Returns how many it applied. A slot is
    /// deleted before it is decoded (a corrupt copy that crashed the page would otherwise
    /// crash every later load); the provider stores the document again when the applied
    /// changes count as unsaved.
    pub fn restore_all(&self, doc: &Doc) -> usize {
        let Some(storage) = storage() else {
            return 0;
        };
        let len = storage.length().unwrap_or(0);
        let keys: Vec<String> = (0..len)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|k| k.starts_with(&self.writer_prefix))
            .collect();
        let mut applied = 0;
        for key in keys {
            let Ok(Some(text)) = storage.get_item(&key) else {
                continue;
            };
            let _ = storage.remove_item(&key);
            if apply(doc, &text) {
                applied += 1;
            }
        }
        applied
    }

    /// Stores `doc`'s whole state. Returns whether it was stored (quota, private mode).
    pub fn store(&self, doc: &Doc) -> bool {
        let Some(storage) = storage() else {
            return false;
        };
        let Ok(txn) = doc.try_transact() else {
            return false;
        };
        let state = txn.encode_state_as_update_v1(&StateVector::default());
        drop(txn);
        let Some(text) = to_base64(&state) else {
            return false;
        };
        match storage.set_item(&self.key, &text) {
            Ok(()) => true,
            Err(_) => {
                crate::warn("sync: cannot keep unsaved changes in this browser (storage full?)");
                false
            }
        }
    }

    /// Deletes the copy.
    pub fn clear(&self) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&self.key);
        }
    }
}

/// Applies a stored copy (`text`, base64 of a v1 update) to `doc`; false if it does not
/// decode or apply.
fn apply(doc: &Doc, text: &str) -> bool {
    let update = from_base64(text).and_then(|bytes| Update::decode_v1(&bytes).ok());
    let Some(update) = update else {
        crate::warn("sync: a stored unsaved copy is unreadable; deleted");
        return false;
    };
    let applied = doc
        .try_transact_mut()
        .map_err(|e| e.to_string())
        .and_then(|mut txn| txn.apply_update(update).map_err(|e| e.to_string()));
    match applied {
        Ok(()) => true,
        Err(e) => {
            crate::warn(&format!("sync: cannot apply a stored unsaved copy: {e}"));
            false
        }
    }
}

/// Deletes every document's copy (on sign-out: nothing of the minutes stays behind).
pub fn clear_all() {
    let Some(storage) = storage() else {
        return;
    };
    let len = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Bytes → base64 through the browser's `btoa` (each byte as one Latin-1 character).
fn to_base64(bytes: &[u8]) -> Option<String> {
    let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
    web_sys::window()?.btoa(&latin1).ok()
}

/// The inverse of [`to_base64`]; `None` for anything that is not base64 of bytes.
fn from_base64(text: &str) -> Option<Vec<u8>> {
    let latin1 = web_sys::window()?.atob(text).ok()?;
    latin1
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}
