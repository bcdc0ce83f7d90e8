//! The canonical Markdown as a sequence of [`Segment`]s: the preamble (title block and
//! attendance), one segment per item (its heading and its own content — standing and
//! exemption lines, actions, blocks — but not its sub-items, which are segments of their
//! own), and the trailer ("Other actions", possibly empty).
//!
//! `segments(view, status)` ([`super::markdown::segments`]) concatenated is exactly
//! [`super::markdown::to_markdown_as`]; each segment's [`Segment::public`] counterpart
//! concatenated is [`super::markdown::to_public_markdown_as`]. In the public counterpart:
//!
//! - the segment of an exempt item whose ancestors are not exempt (the item that is
//!   *withheld by itself*) is its heading with its public title (number kept) and one
//!   placeholder line, `*Exempt item — Schedule 12A paragraph 3*`;
//! - the segment of any sub-item of it is **empty**: the placeholder stands for the whole
//!   subtree (its sub-items, blocks and actions), so the public text names nothing of it.
//!   A verifier tells such an empty segment apart by its commitment entry (see
//!   [`crate::trust::commitment`]), which names the withheld item it belongs to;
//! - every other segment is unchanged. Actions raised in an exempt item belong to its
//!   segment, so none appears anywhere in the public version (not under "Other actions",
//!   which only lists actions raised in no item).
//!
//! A signed version's canonical Markdown ends with the sign-off facts; the server appends
//! them to the trailer of both versions ([`append_to_trailer`]).

use super::exemption::Exemption;

/// One piece of the canonical Markdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// What the piece is.
    pub kind: SegmentKind,
    /// Its exact text.
    pub text: String,
}

/// What a [`Segment`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// The title block and the attendance table.
    Preamble,
    /// One agenda item (without its sub-items).
    Item {
        /// "2.1".
        number: String,
        /// 0 for a top-level item.
        depth: usize,
        /// The exemption that applies to it: its own, else its nearest exempt ancestor's.
        exemption: Option<Exemption>,
        /// Set when the public version withholds it.
        withheld: Option<Withheld>,
        /// The title the public version's heading shows (its public title, else its title).
        public_title: String,
    },
    /// "Other actions" (empty when there are none), and for a signed version the
    /// sign-off facts.
    Trailer,
}

/// Why the public version withholds an item's segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    /// The number of the item whose placeholder stands for it: the outermost exempt item
    /// among itself and its ancestors (its own number when it is that item).
    pub by: String,
    /// That item's exemption: what its placeholder says, and the reason the commitment
    /// binds.
    pub reason: Exemption,
}

impl Segment {
    /// Whether the public version withholds this segment.
    pub fn is_withheld(&self) -> bool {
        self.withheld().is_some()
    }

    /// Why the public version withholds this segment, if it does.
    pub fn withheld(&self) -> Option<&Withheld> {
        match &self.kind {
            SegmentKind::Item { withheld, .. } => withheld.as_ref(),
            _ => None,
        }
    }

    /// The item number of an item segment.
    pub fn number(&self) -> Option<&str> {
        match &self.kind {
            SegmentKind::Item { number, .. } => Some(number),
            _ => None,
        }
    }

    /// The public counterpart (see the module docs): the placeholder for the item withheld
    /// by itself, empty text for its sub-items, the segment itself otherwise.
    pub fn public(&self) -> Segment {
        let text = match &self.kind {
            SegmentKind::Item {
                number,
                depth,
                withheld: Some(w),
                public_title,
                ..
            } => {
                if &w.by == number {
                    super::markdown::placeholder(number, *depth, public_title, &w.reason)
                } else {
                    String::new()
                }
            }
            _ => self.text.clone(),
        };
        Segment {
            kind: self.kind.clone(),
            text,
        }
    }
}

/// The text of `segments`, in order.
pub fn concat(segments: &[Segment]) -> String {
    segments.iter().map(|s| s.text.as_str()).collect()
}

/// The public text of `segments` (each one's [`Segment::public`]), in order.
pub fn public_concat(segments: &[Segment]) -> String {
    segments.iter().map(|s| s.public().text).collect()
}

/// Appends `text` to the trailer (the last segment), e.g. a signed version's sign-off
/// facts; pushes a trailer when there is none.
pub fn append_to_trailer(segments: &mut Vec<Segment>, text: &str) {
    match segments.last_mut() {
        Some(s) if s.kind == SegmentKind::Trailer => s.text.push_str(text),
        _ => segments.push(Segment {
            kind: SegmentKind::Trailer,
            text: text.to_owned(),
        }),
    }
}
