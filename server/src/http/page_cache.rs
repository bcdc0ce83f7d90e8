//! What the public site keeps in memory, so that anonymous readers — a link shared widely,
//! or a flood — cost a lookup, not a decode and render of the whole meeting on the CPU
//! pool that members' exports share:
//!
//! - the published pages most recently rendered, found by everything a page shows that
//!   can change (the published version, its approval, its signing key, its downloads), so
//!   a change is a new key and never a stale page;
//! - the signed versions they were rendered from, decoded: a signed version never
//!   changes, so (meeting, version) finds it.
//!
//! Each is bounded by total bytes; the oldest go first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::store::SignedVersion;

/// Bytes of pages kept at most.
pub const MAX_BYTES: usize = 16 << 20;

/// Rendered pages by key.
pub type PageCache = ByteCache<Bytes>;

/// Decoded signed versions by `"{meeting}\n{version}"` ([`version_key`]).
pub type VersionCache = ByteCache<Arc<SignedVersion>>;

/// The key of version `n` of `meeting` in a [`VersionCache`].
pub fn version_key(meeting: &str, n: u32) -> String {
    format!("{meeting}\n{n}")
}

/// About how many bytes a decoded version holds.
pub fn version_bytes(v: &SignedVersion) -> usize {
    let public = v.public.as_ref().map_or(0, |p| {
        p.markdown.len() + p.full_block.len() + p.public_block.len()
    });
    v.markdown.len() + v.state.len() + v.html.as_ref().map_or(0, String::len) + public
}

/// (key, value, bytes) entries, oldest first.
type Entries<V> = VecDeque<(String, V, usize)>;

/// Values by key, oldest first, at most [`MAX_BYTES`] of them (as their owner counts).
pub struct ByteCache<V> {
    entries: Arc<Mutex<Entries<V>>>,
}

impl<V> Clone for ByteCache<V> {
    fn clone(&self) -> Self {
        ByteCache {
            entries: self.entries.clone(),
        }
    }
}

impl<V> Default for ByteCache<V> {
    fn default() -> Self {
        ByteCache {
            entries: Arc::default(),
        }
    }
}

impl<V: Clone> ByteCache<V> {
    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, value, _)| value.clone())
    }

    /// Keeps `value` (about `bytes` long) under `key`, dropping the oldest entries beyond
    /// [`MAX_BYTES`] (a value larger than that is not kept).
    pub fn put(&self, key: String, value: V, bytes: usize) {
        if bytes > MAX_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|(k, _, _)| *k != key);
        entries.push_back((key, value, bytes));
        let mut total: usize = entries.iter().map(|(k, _, n)| k.len() + n).sum();
        while total > MAX_BYTES {
            let Some((k, _, n)) = entries.pop_front() else {
                break;
            };
            total -= k.len() + n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    #[test]
    fn pages_are_found_by_key_and_bounded_by_bytes() {
        let cache = PageCache::default();
        cache.put("a".into(), page("page a"), 6);
        assert_eq!(cache.get("a"), Some(page("page a")));
        assert_eq!(cache.get("b"), None);
        cache.put("a".into(), page("page a2"), 7);
        assert_eq!(cache.get("a"), Some(page("page a2")));
        let big = Bytes::from("x".repeat(MAX_BYTES / 2));
        cache.put("b".into(), big.clone(), big.len());
        cache.put("c".into(), big.clone(), big.len());
        cache.put("d".into(), big.clone(), big.len());
        assert_eq!(cache.get("a"), None, "the oldest went first");
        assert!(cache.get("d").is_some());
        let huge = Bytes::from("y".repeat(MAX_BYTES + 1));
        cache.put("huge".into(), huge.clone(), huge.len());
        assert_eq!(cache.get("huge"), None);
    }
}
