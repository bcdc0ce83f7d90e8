//! Two-way binding between the editor `<textarea>` and the shared Y.Text.
//!
//! Local typing: on every `input` event the textarea's new value is diffed against the
//! Y.Text's content ([`diff`]) and applied as one delete plus one insert ([`apply`]).
//! Remote edits: the textarea's value is replaced with the Y.Text's content, and the
//! local caret/selection is carried across the change as yrs [`StickyIndex`]es
//! ([`StickySelection`]), so the user's caret stays next to the characters it was next to.
//!
//! Every index here counts UTF-16 code units, like the DOM's `selectionStart` and like a
//! doc created with `OffsetKind::Utf16`.

use web_sys::HtmlTextAreaElement;
use yrs::{
    Assoc, Doc, GetString, IndexedSequence, ReadTxn, StickyIndex, Text, TextRef, Transact,
    TransactionMut,
};

/// One contiguous replacement that turns an old string into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice<'a> {
    /// Where the replacement starts, in UTF-16 code units.
    pub index: u32,
    /// How many UTF-16 code units of the old string are removed at `index`.
    pub delete: u32,
    /// What is inserted at `index` after the removal.
    pub insert: &'a str,
}

/// The single splice that turns `old` into `new`, or `None` when they are equal.
///
/// `caret` is where the caret sits in `new` after the edit (the textarea's
/// `selectionEnd`). An edit ends at the caret, so text after the caret is matched first;
/// that places an ambiguous insertion (typing `a` into `aa`) where the user actually typed
/// it. Without a caret the common prefix wins. Characters are compared whole, so a
/// surrogate pair is never split.
pub fn diff<'a>(old: &str, new: &'a str, caret: Option<u32>) -> Option<Splice<'a>> {
    if old == new {
        return None;
    }
    let suffix_cap = match caret {
        Some(caret) => utf16_len(new).saturating_sub(caret),
        None => utf16_len(old).min(utf16_len(new)) - common_prefix(old, new, u32::MAX).units,
    };
    let suffix = common_suffix(old, new, suffix_cap);
    let old_head = &old[..old.len() - suffix.bytes];
    let new_head = &new[..new.len() - suffix.bytes];
    let prefix = common_prefix(old_head, new_head, u32::MAX);
    Some(Splice {
        index: prefix.units,
        delete: utf16_len(&old_head[prefix.bytes..]),
        insert: &new_head[prefix.bytes..],
    })
}

/// Applies `splice` to `text`, which must hold the `old` string the splice was made from.
pub fn apply(text: &TextRef, txn: &mut TransactionMut, splice: &Splice) {
    if splice.delete > 0 {
        text.remove_range(txn, splice.index, splice.delete);
    }
    text.insert(txn, splice.index, splice.insert);
}

/// A caret or selection anchored to characters of the Y.Text rather than to indices.
pub struct StickySelection {
    start: StickyIndex,
    end: StickyIndex,
}

impl StickySelection {
    /// Anchors the selection `start..end` (a caret when equal). Text inserted exactly at a
    /// caret, or at either edge of a selection, ends up outside of it: a caret stays
    /// before text another user types at the same spot, and a selection does not grow.
    pub fn capture<T: ReadTxn>(text: &TextRef, txn: &T, start: u32, end: u32) -> Option<Self> {
        let len = text.len(txn);
        let start = start.min(len);
        let end = end.clamp(start, len);
        let start_assoc = if start == end {
            Assoc::Before
        } else {
            Assoc::After
        };
        Some(StickySelection {
            start: text.sticky_index(txn, start, start_assoc)?,
            end: text.sticky_index(txn, end, Assoc::Before)?,
        })
    }

    /// Where the anchored selection is now, as `(start, end)` with `start <= end`.
    pub fn resolve<T: ReadTxn>(&self, txn: &T) -> Option<(u32, u32)> {
        let start = self.start.get_offset(txn)?.index;
        let end = self.end.get_offset(txn)?.index;
        Some((start, end.max(start)))
    }
}

/// A live binding of one textarea to one Y.Text.
pub struct TextareaBinding {
    doc: Doc,
    text: TextRef,
    el: HtmlTextAreaElement,
}

impl TextareaBinding {
    /// Binds `el` to `text` (a root of `doc`) and shows the text's current content.
    pub fn new(doc: Doc, text: TextRef, el: HtmlTextAreaElement) -> Self {
        let binding = TextareaBinding { doc, text, el };
        binding.render(None);
        binding
    }

    /// Handles the textarea's `input` event: records the user's edit in the Y.Text.
    pub fn on_input(&self) {
        let value = self.el.value();
        let caret = self.el.selection_end().ok().flatten();
        let mut txn = match self.doc.try_transact_mut() {
            Ok(txn) => txn,
            Err(e) => {
                crate::warn(&format!("editor: cannot record the edit: {e}"));
                return;
            }
        };
        let old = self.text.get_string(&txn);
        if let Some(splice) = diff(&old, &value, caret) {
            apply(&self.text, &mut txn, &splice);
        }
        // A value the Y.Text cannot hold as is (a lone surrogate from the DOM arrives as
        // U+FFFD) would leave the two apart: show what the document really holds.
        let stored = self.text.get_string(&txn);
        drop(txn); // commits: the sync provider sends the update
        if stored != value {
            self.render(None);
        }
    }

    /// Runs `apply_remote` (which applies a remote update to the doc), then shows the
    /// new text with the local caret and selection kept next to the same characters.
    pub fn around_remote(&self, apply_remote: &mut dyn FnMut()) {
        let selection = self.capture_selection();
        apply_remote();
        self.render(selection.as_ref());
    }

    fn capture_selection(&self) -> Option<StickySelection> {
        let start = self.el.selection_start().ok().flatten()?;
        let end = self.el.selection_end().ok().flatten()?;
        let txn = self.doc.try_transact().ok()?;
        StickySelection::capture(&self.text, &txn, start, end)
    }

    /// Puts the Y.Text's content into the textarea if it differs, restoring `selection`.
    fn render(&self, selection: Option<&StickySelection>) {
        let (content, restored) = match self.doc.try_transact() {
            Ok(txn) => (
                self.text.get_string(&txn),
                selection.and_then(|s| s.resolve(&txn)),
            ),
            Err(e) => {
                crate::warn(&format!("editor: cannot read the document: {e}"));
                return;
            }
        };
        if content == self.el.value() {
            return;
        }
        let direction = self.el.selection_direction().ok().flatten();
        let scroll_top = self.el.scroll_top();
        self.el.set_value(&content);
        self.el.set_scroll_top(scroll_top);
        if let Some((start, end)) = restored {
            let direction = direction.as_deref().unwrap_or("none");
            if let Err(e) = self
                .el
                .set_selection_range_with_direction(start, end, direction)
            {
                crate::warn(&format!("editor: cannot restore the selection: {e:?}"));
            }
        }
    }
}

/// Length and byte length of a common prefix or suffix.
struct Common {
    units: u32,
    bytes: usize,
}

fn common_prefix(a: &str, b: &str, cap_units: u32) -> Common {
    common(a.chars().zip(b.chars()), cap_units)
}

fn common_suffix(a: &str, b: &str, cap_units: u32) -> Common {
    common(a.chars().rev().zip(b.chars().rev()), cap_units)
}

fn common(pairs: impl Iterator<Item = (char, char)>, cap_units: u32) -> Common {
    let mut found = Common { units: 0, bytes: 0 };
    for (x, y) in pairs {
        let units = found.units.saturating_add(x.len_utf16() as u32);
        if x != y || units > cap_units {
            break;
        }
        found.units = units;
        found.bytes += x.len_utf8();
    }
    found
}

fn utf16_len(s: &str) -> u32 {
    u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{OffsetKind, Options, StateVector, Update};

    fn utf16_doc() -> (Doc, TextRef) {
        let doc = Doc::with_options(Options {
            offset_kind: OffsetKind::Utf16,
            ..Options::default()
        });
        let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
        (doc, text)
    }

    /// Applies `splice` to `old` the way a JS string would (UTF-16 units).
    fn splice_str(old: &str, s: &Splice) -> String {
        let units: Vec<u16> = old.encode_utf16().collect();
        let (i, d) = (s.index as usize, s.delete as usize);
        let mut out: Vec<u16> = units[..i].to_vec();
        out.extend(s.insert.encode_utf16());
        out.extend(&units[i + d..]);
        String::from_utf16(&out).expect("splice split a surrogate pair")
    }

    /// Checks the splice both on strings and on a real UTF-16 Y.Text.
    fn check(old: &str, new: &str, caret: Option<u32>) -> Option<(u32, u32, String)> {
        let splice = diff(old, new, caret)?;
        assert_eq!(
            splice_str(old, &splice),
            new,
            "{old:?} -> {new:?} caret {caret:?}"
        );
        let (doc, text) = utf16_doc();
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, old);
        apply(&text, &mut txn, &splice);
        assert_eq!(text.get_string(&txn), new);
        Some((splice.index, splice.delete, splice.insert.to_owned()))
    }

    fn s(index: u32, delete: u32, insert: &str) -> Option<(u32, u32, String)> {
        Some((index, delete, insert.to_owned()))
    }

    #[test]
    fn equal_strings_need_no_splice() {
        assert_eq!(diff("abc", "abc", Some(1)), None);
        assert_eq!(diff("", "", None), None);
    }

    #[test]
    fn ascii_insert_delete_replace() {
        assert_eq!(check("", "a", Some(1)), s(0, 0, "a"));
        assert_eq!(check("hello", "hello!", Some(6)), s(5, 0, "!"));
        assert_eq!(check("hello", "hllo", Some(1)), s(1, 1, ""));
        assert_eq!(
            check("hello world", "hello there", Some(11)),
            s(6, 5, "there")
        );
        assert_eq!(check("abc", "", Some(0)), s(0, 3, ""));
    }

    #[test]
    fn caret_places_ambiguous_edits() {
        // Typing "a" at the start, the middle and the end of "aa".
        assert_eq!(check("aa", "aaa", Some(1)), s(0, 0, "a"));
        assert_eq!(check("aa", "aaa", Some(2)), s(1, 0, "a"));
        assert_eq!(check("aa", "aaa", Some(3)), s(2, 0, "a"));
        // Backspace on the first of "aaa" vs. on the last.
        assert_eq!(check("aaa", "aa", Some(0)), s(0, 1, ""));
        assert_eq!(check("aaa", "aa", Some(2)), s(2, 1, ""));
        // Without a caret the common prefix wins.
        assert_eq!(check("aa", "aaa", None), s(2, 0, "a"));
        assert_eq!(check("aaa", "aa", None), s(2, 1, ""));
    }

    #[test]
    fn non_ascii_counts_utf16_units() {
        assert_eq!(check("cafe", "café", Some(4)), s(3, 1, "é"));
        assert_eq!(check("漢字", "漢a字", Some(2)), s(1, 0, "a"));
        // 👍 is two UTF-16 units.
        assert_eq!(check("a👍b", "a👍xb", Some(4)), s(3, 0, "x"));
        assert_eq!(check("a👍b", "ab", Some(1)), s(1, 2, ""));
        assert_eq!(check("👍", "👍👍", Some(4)), s(2, 0, "👍"));
        assert_eq!(check("👍", "👍👍", Some(2)), s(0, 0, "👍"));
    }

    #[test]
    fn surrogate_pairs_are_never_split() {
        // U+1F44D 👍 (D83D DC4D) and U+1F44E 👎 (D83D DC4E) share their high surrogate,
        // U+1F60D 😍 (D83D DE0D) and U+1F44D share nothing else.
        assert_eq!(check("👍", "👎", Some(2)), s(0, 2, "👎"));
        assert_eq!(check("x👍y", "x👎y", Some(3)), s(1, 2, "👎"));
        assert_eq!(check("😍👍", "👍👍", None), s(0, 2, "👍"));
        // A caret inside a pair (impossible in a browser) still gives whole characters.
        assert_eq!(check("👍", "👍👍", Some(3)), s(2, 0, "👍"));
    }

    #[test]
    fn every_small_edit_round_trips() {
        let alphabet = ["a", "é", "漢", "👍", "👎"];
        let mut words = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        words.sort();
        words.dedup();
        for old in &words {
            for new in &words {
                let len = utf16_len(new);
                for caret in (0..=len).map(Some).chain([None]) {
                    let _ = check(old, new, caret);
                }
            }
        }
    }

    #[test]
    fn caret_follows_remote_insert_before_it() {
        let (local, text) = utf16_doc();
        let (remote, remote_text) = utf16_doc();
        local
            .transact_mut()
            .apply_update(Update::decode_v1(&encoded(&remote, "héllo 👍 world", 0)).unwrap())
            .unwrap();
        assert_eq!(text.get_string(&local.transact()), "héllo 👍 world");
        // Local caret after "👍" (index 8), selection "world" (9..14).
        let caret = StickySelection::capture(&text, &local.transact(), 8, 8).unwrap();
        let sel = StickySelection::capture(&text, &local.transact(), 9, 14).unwrap();
        // The other side types "漢字👎 " at the very start and "!" right at the caret.
        {
            let mut txn = remote.transact_mut();
            remote_text.insert(&mut txn, 0, "漢字👎 ");
            remote_text.insert(&mut txn, 13, "!");
        }
        let sv = local.transact().state_vector();
        let update = remote.transact().encode_diff_v1(&sv);
        local
            .transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let txn = local.transact();
        assert_eq!(text.get_string(&txn), "漢字👎 héllo 👍! world");
        // Shifted by the 5 units typed before it; the "!" typed at the caret stays after it.
        assert_eq!(caret.resolve(&txn), Some((13, 13)));
        assert_eq!(sel.resolve(&txn), Some((15, 20)));
    }

    #[test]
    fn selection_survives_deletion_around_it() {
        let (doc, text) = utf16_doc();
        text.insert(&mut doc.transact_mut(), 0, "abcdef");
        let sel = StickySelection::capture(&text, &doc.transact(), 2, 4).unwrap();
        let at_end = StickySelection::capture(&text, &doc.transact(), 6, 6).unwrap();
        text.remove_range(&mut doc.transact_mut(), 0, 3);
        let txn = doc.transact();
        assert_eq!(text.get_string(&txn), "def");
        assert_eq!(sel.resolve(&txn), Some((0, 1)));
        assert_eq!(at_end.resolve(&txn), Some((3, 3)));
        // Out-of-range indices are clamped, never a panic.
        let far = StickySelection::capture(&text, &txn, 99, 7).unwrap();
        assert_eq!(far.resolve(&txn), Some((3, 3)));
    }

    fn encoded(doc: &Doc, content: &str, at: u32) -> Vec<u8> {
        let text = doc.get_or_insert_text(minutebook_shared::schema::TEXT);
        text.insert(&mut doc.transact_mut(), at, content);
        doc.transact().encode_diff_v1(&StateVector::default())
    }
}
