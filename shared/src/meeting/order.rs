//! Order keys (fractional indices): strings that sort siblings, and new keys between two.
//!
//! A key is a base-62 fraction `0.d₁d₂…` written with the digits `0-9A-Za-z` (ascending in
//! ASCII) and no trailing `0`, so comparing keys as strings compares the fractions. Between
//! any two different valid keys there is another one, so inserting or moving a sibling writes
//! only its own key. Two clients inserting at the same place concurrently may pick the same
//! key; siblings are ordered by `(key, id)` so the outcome is still deterministic, and the
//! next local insert there re-spaces the tied siblings ([`spread`]).

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: u32 = 62;

fn digit(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 36),
        _ => None,
    }
}

fn digits_of(key: &str) -> Option<Vec<u32>> {
    key.bytes().map(digit).collect()
}

fn render(digits: &[u32]) -> String {
    let mut s: String = digits
        .iter()
        .map(|&d| char::from(DIGITS[d as usize % DIGITS.len()]))
        .collect();
    while s.ends_with('0') {
        s.pop();
    }
    s
}

/// A key strictly between `before` and `after` (`None` = the start / the end of the list).
///
/// Returns `None` when there is no such key: the bounds are not in order (a tie), or one
/// is not a well-formed key. Callers then re-space the siblings with [`spread`].
pub fn between(before: Option<&str>, after: Option<&str>) -> Option<String> {
    let lo = match before {
        Some(k) => digits_of(k)?,
        None => Vec::new(),
    };
    let mut hi = match after {
        Some("") => return None,
        Some(k) => Some(digits_of(k)?),
        None => None,
    };
    let mut out = Vec::new();
    // Each round either ends or moves one digit right; `lo` is finite and once `hi` is
    // dropped the loop ends at most one digit after `lo` runs out.
    let rounds = lo.len().max(hi.as_ref().map_or(0, Vec::len)) + 2;
    for i in 0..rounds {
        let d_lo = lo.get(i).copied().unwrap_or(0);
        let d_hi = match &hi {
            Some(h) => h.get(i).copied().unwrap_or(0),
            None => BASE,
        };
        if d_lo == d_hi {
            out.push(d_lo);
        } else if d_lo > d_hi {
            return None;
        } else if d_hi - d_lo > 1 {
            out.push((d_lo + d_hi) / 2);
            let key = render(&out);
            return check(before, after, key);
        } else {
            out.push(d_lo);
            hi = None;
        }
    }
    None
}

fn check(before: Option<&str>, after: Option<&str>, key: String) -> Option<String> {
    let above = before.is_none_or(|b| b < key.as_str());
    let below = after.is_none_or(|a| key.as_str() < a);
    (above && below && !key.is_empty()).then_some(key)
}

/// `n` evenly spaced, strictly increasing keys of equal length.
pub fn spread(n: usize) -> Vec<String> {
    let slots = n as u128 + 1;
    let mut width = 1u32;
    let mut space = u128::from(BASE);
    while space <= slots && width < 20 {
        width += 1;
        space *= u128::from(BASE);
    }
    let step = (space / slots).max(1);
    (1..=n as u128)
        .map(|i| {
            let mut v = i * step;
            let mut ds = vec![0u32; width as usize];
            for d in ds.iter_mut().rev() {
                *d = (v % u128::from(BASE)) as u32;
                v /= u128::from(BASE);
            }
            render(&ds)
        })
        .collect()
}

/// The key for a new last sibling after `last`.
pub fn after(last: Option<&str>) -> Option<String> {
    between(last, None)
}

/// `n` increasing keys after `last` (`None` = an empty list), in time linear in `n`:
/// `last` followed by the keys of [`spread`]. Each is greater than `last` (which is a
/// proper prefix of it) and well-formed when `last` is.
pub fn after_n(last: Option<&str>, n: usize) -> Vec<String> {
    let keys = spread(n);
    match last {
        None | Some("") => keys,
        Some(l) => keys.into_iter().map(|k| format!("{l}{k}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn basic_keys() {
        let a = between(None, None).unwrap();
        assert_eq!(a, "V");
        let b = between(Some(&a), None).unwrap();
        assert!(a < b);
        let c = between(Some(&a), Some(&b)).unwrap();
        assert!(a < c && c < b);
        let d = between(None, Some(&a)).unwrap();
        assert!(d < a && !d.is_empty());
        assert_eq!(between(Some("V"), Some("V")), None);
        assert_eq!(between(Some("k"), Some("V")), None);
        assert_eq!(between(Some("a b"), None), None);
        assert_eq!(between(None, Some("")), None);
    }

    #[test]
    fn adjacent_digits_and_zero_prefixes() {
        let k = between(Some("1"), Some("2")).unwrap();
        assert!("1" < k.as_str() && k.as_str() < "2");
        let k = between(None, Some("01")).unwrap();
        assert!(k.as_str() < "01" && !k.is_empty());
        let k = between(Some("z"), None).unwrap();
        assert!(k.as_str() > "z");
    }

    #[test]
    fn spread_is_increasing() {
        for n in [0, 1, 2, 61, 62, 63, 1000, 5000] {
            let keys = spread(n);
            assert_eq!(keys.len(), n);
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "n = {n}");
            assert!(keys.iter().all(|k| !k.is_empty() && !k.ends_with('0')));
        }
    }

    #[test]
    fn after_n_follows_the_last_key() {
        assert_eq!(after_n(None, 3), spread(3));
        let keys = after_n(Some("V"), 100);
        assert_eq!(keys.len(), 100);
        assert!(keys
            .iter()
            .all(|k| k.as_str() > "V" && digits_of(k).is_some()));
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(between(keys.last().map(String::as_str), None).is_some());
    }

    proptest! {
        #[test]
        fn repeated_inserts_stay_ordered(choices in proptest::collection::vec(0usize..1000, 1..200)) {
            let mut keys: Vec<String> = Vec::new();
            for c in choices {
                let at = c % (keys.len() + 1);
                let before = at.checked_sub(1).map(|i| keys[i].as_str());
                let after = keys.get(at).map(String::as_str);
                let k = between(before, after).expect("valid, distinct neighbours");
                keys.insert(at, k);
            }
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
