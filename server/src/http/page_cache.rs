//! The published pages most recently rendered, so that anonymous readers — a link shared
//! widely, or a flood — cost a lookup, not a decode and render of the whole meeting on
//! the CPU pool that members' exports share. A page is found by everything it shows that
//! can change (the published version, its approval, its signing key, its downloads), so a
//! change is a new key and never a stale page. Bounded by total bytes; the oldest go first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Bytes of pages kept at most.
pub const MAX_BYTES: usize = 16 << 20;

/// (key, page) pairs, oldest first.
type Pages = VecDeque<(String, Arc<str>)>;

/// Rendered pages by key, oldest first.
#[derive(Clone, Default)]
pub struct PageCache {
    pages: Arc<Mutex<Pages>>,
}

impl PageCache {
    /// The page stored under `key`.
    pub fn get(&self, key: &str) -> Option<Arc<str>> {
        let pages = self.pages.lock().ok()?;
        pages
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, page)| page.clone())
    }

    /// Keeps `page` under `key`, dropping the oldest pages beyond [`MAX_BYTES`] (a page
    /// larger than that is not kept).
    pub fn put(&self, key: String, page: Arc<str>) {
        if page.len() > MAX_BYTES {
            return;
        }
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        pages.retain(|(k, _)| *k != key);
        pages.push_back((key, page));
        let mut total: usize = pages.iter().map(|(k, p)| k.len() + p.len()).sum();
        while total > MAX_BYTES {
            let Some((k, p)) = pages.pop_front() else {
                break;
            };
            total -= k.len() + p.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_found_by_key_and_bounded_by_bytes() {
        let cache = PageCache::default();
        cache.put("a".into(), "page a".into());
        assert_eq!(cache.get("a").as_deref(), Some("page a"));
        assert_eq!(cache.get("b"), None);
        cache.put("a".into(), "page a2".into());
        assert_eq!(cache.get("a").as_deref(), Some("page a2"));
        let big: Arc<str> = "x".repeat(MAX_BYTES / 2).into();
        cache.put("b".into(), big.clone());
        cache.put("c".into(), big.clone());
        cache.put("d".into(), big);
        assert_eq!(cache.get("a"), None, "the oldest went first");
        assert!(cache.get("d").is_some());
        cache.put("huge".into(), "y".repeat(MAX_BYTES + 1).into());
        assert_eq!(cache.get("huge"), None);
    }
}
