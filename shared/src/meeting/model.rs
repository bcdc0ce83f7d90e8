//! Plain data of the meeting model: stable ids, the enumerations, and [`Minutes`] — a whole
//! meeting as id-free plain data.
//!
//! [`Minutes`] is what both importers produce ([`super::import::parse_minutes`] for legacy
//! text, [`super::markdown::parse`] for canonical Markdown), what
//! [`super::Meeting::import_minutes`] writes into a document, and — through
//! [`Minutes::from_view`](super::view) — the *structure* of a document: two documents have the
//! same structure exactly when their `Minutes` are equal. References between entities are
//! positions (register index, item path, block index) instead of ids.

use crate::schema;
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub String);

        impl $name {
            /// The id as stored in the document.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// Stable id of a person in the attendance register.
    PersonId
);
id_type!(
    /// Stable id of a minute-taker.
    MinuteTakerId
);
id_type!(
    /// Stable id of an agenda item.
    ItemId
);
id_type!(
    /// Stable id of a block inside an item.
    BlockId
);
id_type!(
    /// Stable id of an action.
    ActionId
);

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored in the document (see [`crate::schema`]).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }

            /// Reads a stored value; `None` for anything unknown.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $(v if v == $value => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Where the meeting is in its life cycle.
    MeetingStatus {
        /// Being prepared (the default).
        #[default]
        Draft = schema::status::DRAFT,
        /// The meeting is taking place.
        InMeeting = schema::status::IN_MEETING,
        /// Minutes written, waiting for confirmation.
        AwaitingConfirmation = schema::status::AWAITING_CONFIRMATION,
        /// Confirmed and signed off.
        SignedOff = schema::status::SIGNED_OFF,
    }
);

string_enum!(
    /// What a block inside an item is.
    BlockKind {
        /// Plain paragraph (the default).
        #[default]
        Paragraph = schema::block_kind::PARAGRAPH,
        /// Sub-heading.
        SubHeading = schema::block_kind::SUB_HEADING,
        /// Paragraph attributed to one or more speakers.
        Statement = schema::block_kind::STATEMENT,
        /// Decision.
        Decision = schema::block_kind::DECISION,
    }
);

string_enum!(
    /// Progress of an action.
    ActionStatus {
        /// Still to do (the default).
        #[default]
        Open = schema::action_status::OPEN,
        /// Done.
        Done = schema::action_status::DONE,
        /// Dropped.
        Dropped = schema::action_status::DROPPED,
    }
);

impl ActionStatus {
    /// Whether an action of this status due on `due` (as written) is overdue at
    /// `now_ms`: open, and its due day (UTC) has passed; "next meeting" never is.
    pub fn overdue(self, due: &str, now_ms: u64) -> bool {
        self == ActionStatus::Open && crate::time::is_overdue(due, now_ms)
    }
}

/// A person's attendance. `I` says how the item is referred to: an [`ItemId`] in a
/// document and its views, an [`ItemPath`] in [`Minutes`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Attendance<I> {
    /// Present for the whole meeting (the default).
    #[default]
    Present,
    /// Sent apologies.
    Apologies,
    /// Absent.
    Absent,
    /// Joined for an item; `None` when that item is unknown or no longer visible.
    JoinedFor(Option<I>),
    /// Not recorded yet (the next meeting of a series starts with everyone so).
    Unknown,
}

/// How many levels items nest at most: "2.1.3" is 3 levels deep, so "1.1.1.1.1.1.1.1" is
/// the deepest number. Real minutes use two or three levels; the bound keeps every read
/// linear in the meeting's size whatever a client writes. The read side flattens deeper
/// items ([`super::tree`]), moves and indents refuse to go deeper ([`super::OpError`]),
/// and both importers refuse deeper numbers.
pub const MAX_ITEM_DEPTH: usize = 8;

/// Position of an item in the tree: 0-based sibling indices from the top level down.
/// Its [`number`](ItemPath::number) is what people see: `[1, 0]` is item "2.1".
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ItemPath(pub Vec<usize>);

impl ItemPath {
    /// The item number, e.g. "2.1".
    pub fn number(&self) -> String {
        number_string(&self.0)
    }

    /// Reads an item number such as "2.1" (also "2.1." and "2"); `None` unless every
    /// component is a positive integer.
    pub fn parse_number(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_suffix('.').unwrap_or(s);
        if s.is_empty() {
            return None;
        }
        let mut path = Vec::new();
        for part in s.split('.') {
            if part.is_empty() || part.len() > 6 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: usize = part.parse().ok()?;
            path.push(n.checked_sub(1)?);
        }
        Some(ItemPath(path))
    }
}

/// Formats 0-based sibling indices as an item number: `[1, 0]` → "2.1".
pub fn number_string(path: &[usize]) -> String {
    let parts: Vec<String> = path.iter().map(|i| (i + 1).to_string()).collect();
    parts.join(".")
}

/// The next meeting as announced at the end of the minutes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct NextMeeting {
    /// Date as written, e.g. "Friday 11th March".
    pub date: String,
    /// Time as written.
    pub time: String,
    /// Type of meeting, e.g. "Performance".
    pub kind: String,
    /// Venue.
    pub venue: String,
}

/// The meeting header's plain fields (the chair and minute-takers are kept apart because
/// they refer to people).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Header {
    /// Title line.
    pub title: String,
    /// Series name; meetings of one series share it.
    pub series: String,
    /// Date as written.
    pub date: String,
    /// Start time as written.
    pub start_time: String,
    /// Venue.
    pub venue: String,
    /// Life-cycle status.
    pub status: MeetingStatus,
    /// The next meeting.
    pub next: NextMeeting,
}

/// A person's register fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Person {
    /// Full name.
    pub name: String,
    /// Capacity or role, e.g. "Chief Constable".
    pub capacity: String,
    /// Short form used in the text, e.g. "CC" (may be empty).
    pub short: String,
    /// Organisation (may be empty).
    pub organisation: String,
}

impl Person {
    /// The short form if there is one, else the name: how the minutes refer to the person.
    pub fn label(&self) -> &str {
        if self.short.is_empty() {
            &self.name
        } else {
            &self.short
        }
    }
}

/// Who took the minutes. Minute-takers are recorded apart from the attendance register
/// (published minutes list them in the header, not among the attendees).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct MinuteTaker {
    /// Full name.
    pub name: String,
    /// Role, e.g. "Assistant Policy Officer".
    pub capacity: String,
    /// Organisation, e.g. "OPCC".
    pub organisation: String,
}

/// The fields of an action that are not references to other entities.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ActionFields {
    /// What is to be done.
    pub description: String,
    /// Due date as written (may be empty).
    pub due: String,
    /// Progress.
    pub status: ActionStatus,
    /// Series-wide reference such as "06/23", once assigned.
    pub reference: Option<String>,
}

/// A whole meeting as id-free plain data (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Minutes {
    /// Header fields.
    pub header: Header,
    /// The chair: an index into `people`.
    pub chair: Option<usize>,
    /// Minute-takers, in order.
    pub minute_takers: Vec<MinuteTaker>,
    /// The attendance register, in order.
    pub people: Vec<MinutesPerson>,
    /// Top-level agenda items, in order (each with its sub-items).
    pub items: Vec<MinutesItem>,
    /// Actions in log order (the order in which they appear in the minutes).
    pub actions: Vec<MinutesAction>,
}

/// A register entry of [`Minutes`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MinutesPerson {
    /// Register fields.
    pub person: Person,
    /// Attendance; the item is referred to by its path.
    pub attendance: Attendance<ItemPath>,
}

/// An agenda item of [`Minutes`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MinutesItem {
    /// Title.
    pub title: String,
    /// A standing item (see [`crate::schema::item::STANDING`]).
    pub standing: bool,
    /// Why the item is withheld from the public version, if it is (its own exemption;
    /// sub-items inherit it, see [`super::exemption`]).
    pub exemption: Option<super::exemption::Exemption>,
    /// The title the public version shows for an exempt item ("" = its own title); kept
    /// only for exempt items (the canonical Markdown carries it on the exemption line).
    pub public_title: String,
    /// Blocks, in order.
    pub blocks: Vec<MinutesBlock>,
    /// Sub-items, in order.
    pub children: Vec<MinutesItem>,
}

/// A block of [`Minutes`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MinutesBlock {
    /// Kind.
    pub kind: BlockKind,
    /// Text.
    pub text: String,
    /// Speakers (indices into [`Minutes::people`]); only statements have any.
    pub speakers: Vec<usize>,
}

/// Where an action was raised: an item, and optionally the block it follows.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RaisedIn {
    /// The item.
    pub item: ItemPath,
    /// Index of the block within the item; `None` for "at the start of the item".
    pub block: Option<usize>,
}

/// An action of [`Minutes`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MinutesAction {
    /// Plain fields.
    pub fields: ActionFields,
    /// Owners (indices into [`Minutes::people`]).
    pub owners: Vec<usize>,
    /// Where it was raised, if anywhere.
    pub raised_in: Option<RaisedIn>,
}

/// The child list reached by following `parents` (sibling indices) down from `list`.
pub(crate) fn children_at<'a>(
    mut list: &'a mut Vec<MinutesItem>,
    parents: &[usize],
) -> Option<&'a mut Vec<MinutesItem>> {
    for &p in parents {
        list = &mut list.get_mut(p)?.children;
    }
    Some(list)
}

impl Minutes {
    /// The item at `path`, if there is one.
    pub fn item(&self, path: &ItemPath) -> Option<&MinutesItem> {
        let (first, rest) = path.0.split_first()?;
        let mut item = self.items.get(*first)?;
        for i in rest {
            item = item.children.get(*i)?;
        }
        Some(item)
    }

    /// Checks that every reference (register index, item path, block index) points at
    /// something; says what is wrong otherwise.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.people.len();
        let person = |i: usize, what: &str| {
            if i < n {
                Ok(())
            } else {
                Err(format!("{what} refers to person #{} of {n}", i + 1))
            }
        };
        if let Some(c) = self.chair {
            person(c, "the chair")?;
        }
        for (i, p) in self.people.iter().enumerate() {
            if let Attendance::JoinedFor(Some(path)) = &p.attendance {
                if self.item(path).is_none() {
                    return Err(format!(
                        "person #{} joined for item {}, which does not exist",
                        i + 1,
                        path.number()
                    ));
                }
            }
        }
        let mut stack: Vec<(Vec<usize>, &MinutesItem)> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (vec![i], it))
            .collect();
        while let Some((path, item)) = stack.pop() {
            if path.len() > MAX_ITEM_DEPTH {
                return Err(format!(
                    "item {} nests deeper than {MAX_ITEM_DEPTH} levels",
                    number_string(&path)
                ));
            }
            for block in &item.blocks {
                for &s in &block.speakers {
                    person(s, &format!("a statement in item {}", number_string(&path)))?;
                }
            }
            for (i, child) in item.children.iter().enumerate() {
                let mut p = path.clone();
                p.push(i);
                stack.push((p, child));
            }
        }
        for (i, a) in self.actions.iter().enumerate() {
            for &o in &a.owners {
                person(o, &format!("action #{}", i + 1))?;
            }
            if let Some(r) = &a.raised_in {
                let item = self.item(&r.item).ok_or_else(|| {
                    format!(
                        "action #{} was raised in missing item {}",
                        i + 1,
                        r.item.number()
                    )
                })?;
                if let Some(b) = r.block {
                    if b >= item.blocks.len() {
                        return Err(format!(
                            "action #{} was raised after block {} of item {}, which has {}",
                            i + 1,
                            b + 1,
                            r.item.number(),
                            item.blocks.len()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
