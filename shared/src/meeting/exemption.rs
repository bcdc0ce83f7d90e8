//! Exempt items — Part II of the minutes: why an agenda item (with its sub-items) is
//! withheld from the public version ([`Exemption`]), how that is stored, and how the
//! minutes say it.
//!
//! An item is exempt either under a paragraph 1–7 of Part 1 of Schedule 12A to the Local
//! Government Act 1972 ([`Paragraph`], with the paragraphs' descriptions), or as
//! "confidential" with a reason in words (bodies outside local government). The document
//! stores [`Exemption::code`] in [`schema::item::EXEMPT`](crate::schema::item::EXEMPT)
//! ("12A:3", "confidential") and the words in
//! [`schema::item::EXEMPT_NOTE`](crate::schema::item::EXEMPT_NOTE).
//!
//! Reading fails closed: a non-empty stored value that is not a known code (a later
//! version's, or a client's garbage) reads as confidential, so an item someone meant to
//! withhold is never published because this reader does not know why. The note is
//! bounded ([`MAX_NOTE_CHARS`]) on write and on read.
//!
//! A sub-item of an exempt item is exempt with it: its *effective* exemption is its own
//! or else its nearest exempt ancestor's ([`crate::meeting::ItemView::effective_exemption`]).

use crate::schema::exemption as code;
use std::fmt;

/// The longest confidential reason kept, in characters (longer ones are cut).
pub const MAX_NOTE_CHARS: usize = 500;

/// A paragraph of Part 1 of Schedule 12A to the Local Government Act 1972 (1 to 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Paragraph(u8);

/// The descriptions of exempt information in Part 1 of Schedule 12A (as substituted in
/// England by the Local Government (Access to Information) (Variation) Order 2006).
const DESCRIPTIONS: [&str; 7] = [
    "Information relating to any individual.",
    "Information which is likely to reveal the identity of an individual.",
    "Information relating to the financial or business affairs of any particular person \
     (including the authority holding that information).",
    "Information relating to any consultations or negotiations, or contemplated \
     consultations or negotiations, in connection with any labour relations matter arising \
     between the authority or a Minister of the Crown and employees of, or office holders \
     under, the authority.",
    "Information in respect of which a claim to legal professional privilege could be \
     maintained in legal proceedings.",
    "Information which reveals that the authority proposes (a) to give under any enactment \
     a notice under or by virtue of which requirements are imposed on a person; or (b) to \
     make an order or direction under any enactment.",
    "Information relating to any action taken or to be taken in connection with the \
     prevention, investigation or prosecution of crime.",
];

impl Paragraph {
    /// Paragraphs 1 to 7, in order.
    pub const ALL: [Paragraph; 7] = [
        Paragraph(1),
        Paragraph(2),
        Paragraph(3),
        Paragraph(4),
        Paragraph(5),
        Paragraph(6),
        Paragraph(7),
    ];

    /// Paragraph `n`; `None` outside 1..=7.
    pub fn new(n: u8) -> Option<Paragraph> {
        (1..=7).contains(&n).then_some(Paragraph(n))
    }

    /// The paragraph's number (1 to 7).
    pub fn number(self) -> u8 {
        self.0
    }

    /// What the paragraph exempts, in the Schedule's words.
    pub fn description(self) -> &'static str {
        DESCRIPTIONS[usize::from(self.0 - 1)]
    }
}

/// Why an item is withheld from the public version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exemption {
    /// Exempt information under a paragraph of Schedule 12A.
    Schedule12A(Paragraph),
    /// Confidential for the reason given (at most [`MAX_NOTE_CHARS`]; may be empty).
    Confidential(String),
}

/// `note` cut to at most [`MAX_NOTE_CHARS`] characters.
pub fn bound_note(note: &str) -> &str {
    match note.char_indices().nth(MAX_NOTE_CHARS) {
        Some((at, _)) => &note[..at],
        None => note,
    }
}

impl Exemption {
    /// Confidential for `note` (bounded).
    pub fn confidential(note: &str) -> Exemption {
        Exemption::Confidential(bound_note(note).to_owned())
    }

    /// The same exemption with its note bounded.
    pub fn bounded(self) -> Exemption {
        match self {
            Exemption::Confidential(n) if n.chars().nth(MAX_NOTE_CHARS).is_some() => {
                Exemption::confidential(&n)
            }
            other => other,
        }
    }

    /// The stored value and reason code: "12A:3" or "confidential".
    pub fn code(&self) -> String {
        match self {
            Exemption::Schedule12A(p) => format!("{}{}", code::SCHEDULE_12A_PREFIX, p.0),
            Exemption::Confidential(_) => code::CONFIDENTIAL.to_owned(),
        }
    }

    /// The confidential reason ("" under Schedule 12A).
    pub fn note(&self) -> &str {
        match self {
            Exemption::Schedule12A(_) => "",
            Exemption::Confidential(n) => n,
        }
    }

    /// Reads a code strictly: "12A:1" … "12A:7" or "confidential" (with `note`,
    /// bounded); `None` for anything else.
    pub fn parse_code(value: &str, note: &str) -> Option<Exemption> {
        if value == code::CONFIDENTIAL {
            return Some(Exemption::confidential(note));
        }
        let digit = value.strip_prefix(code::SCHEDULE_12A_PREFIX)?;
        match digit.as_bytes() {
            [d @ b'1'..=b'7'] => Paragraph::new(d - b'0').map(Exemption::Schedule12A),
            _ => None,
        }
    }

    /// Reads the stored fields of an item: `None` when `value` is empty (not exempt); an
    /// unknown value reads as confidential (fails closed, see the module docs).
    pub fn from_stored(value: &str, note: &str) -> Option<Exemption> {
        if value.is_empty() {
            return None;
        }
        Some(Exemption::parse_code(value, note).unwrap_or_else(|| Exemption::confidential(note)))
    }

    /// What the public version says in place of the item: "Exempt item — Schedule 12A
    /// paragraph 3", "Confidential item — &lt;reason&gt;" ("Confidential item" without one).
    pub fn label(&self) -> String {
        match self {
            Exemption::Schedule12A(p) => {
                format!("Exempt item — Schedule 12A paragraph {}", p.0)
            }
            Exemption::Confidential(n) if n.is_empty() => "Confidential item".to_owned(),
            Exemption::Confidential(n) => format!("Confidential item — {n}"),
        }
    }

    /// What the full version says under the item's heading: "Exempt — Schedule 12A
    /// paragraph 3", "Confidential — &lt;reason&gt;" ("Confidential" without one).
    pub fn marker(&self) -> String {
        match self {
            Exemption::Schedule12A(p) => format!("Exempt — Schedule 12A paragraph {}", p.0),
            Exemption::Confidential(n) if n.is_empty() => "Confidential".to_owned(),
            Exemption::Confidential(n) => format!("Confidential — {n}"),
        }
    }
}

impl fmt::Display for Exemption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_values_fail_closed() {
        for p in Paragraph::ALL {
            let e = Exemption::Schedule12A(p);
            assert_eq!(Exemption::parse_code(&e.code(), "ignored"), Some(e.clone()));
            assert_eq!(Exemption::from_stored(&e.code(), ""), Some(e));
            assert!(p.description().starts_with("Information "));
        }
        let c = Exemption::confidential("commercially sensitive");
        assert_eq!(c.code(), "confidential");
        assert_eq!(Exemption::from_stored("confidential", c.note()), Some(c));
        assert_eq!(Exemption::from_stored("", "x"), None);
        for unknown in [
            "12A:0", "12A:8", "12A:33", "12A:", "12a:3", "secret", " 12A:3",
        ] {
            assert_eq!(Exemption::parse_code(unknown, ""), None, "{unknown}");
            assert_eq!(
                Exemption::from_stored(unknown, "why"),
                Some(Exemption::confidential("why")),
                "{unknown}"
            );
        }
        assert_eq!(Paragraph::new(0), None);
        assert_eq!(Paragraph::new(8), None);
    }

    #[test]
    fn labels_say_why() {
        let three = Exemption::Schedule12A(Paragraph(3));
        assert_eq!(three.label(), "Exempt item — Schedule 12A paragraph 3");
        assert_eq!(three.marker(), "Exempt — Schedule 12A paragraph 3");
        assert_eq!(
            Paragraph(3).description(),
            "Information relating to the financial or business affairs of any particular \
             person (including the authority holding that information)."
        );
        let c = Exemption::confidential("legal advice");
        assert_eq!(c.label(), "Confidential item — legal advice");
        assert_eq!(Exemption::confidential("").label(), "Confidential item");
        assert_eq!(c.to_string(), c.label());
    }

    #[test]
    fn notes_are_bounded() {
        let long = "é".repeat(MAX_NOTE_CHARS + 10);
        let c = Exemption::confidential(&long);
        assert_eq!(c.note().chars().count(), MAX_NOTE_CHARS);
        assert_eq!(Exemption::Confidential(long).bounded(), c);
        assert_eq!(bound_note("short"), "short");
    }
}
