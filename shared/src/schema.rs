//! The shared document's schema: every root type's key name lives here and nowhere else.
//!
//! The meeting document (see [`crate::meeting`]) uses the root types and field names below.
//! Each entity (person, minute-taker, item, block, action) is a Y.Map stored under its
//! stable id in its root map; fields are plain values (last writer wins) except the
//! collaboratively typed texts, which are nested Y.Texts created with the entity.
//! The string values of the enumerations are part of the persisted format too: changing
//! one breaks existing documents.

/// The Y.Text holding the free-text minutes of the walking-skeleton editor.
pub const TEXT: &str = "text";

/// Root Y.Map: the meeting header (plain string fields below).
pub const HEADER: &str = "header";
/// Root Y.Map: id → person Y.Map (the attendance register).
pub const PEOPLE: &str = "people";
/// Root Y.Map: id → minute-taker Y.Map.
pub const MINUTE_TAKERS: &str = "minute_takers";
/// Root Y.Map: id → agenda item Y.Map.
pub const ITEMS: &str = "items";
/// Root Y.Map: id → block Y.Map.
pub const BLOCKS: &str = "blocks";
/// Root Y.Map: id → action Y.Map.
pub const ACTIONS: &str = "actions";

/// Header field names (all strings).
pub mod header {
    /// Meeting title, e.g. "Monthly Assurance Meeting January 2022 – Meeting Notes".
    pub const TITLE: &str = "title";
    /// Series name; meetings with the same series are linked (action references run per series).
    pub const SERIES: &str = "series";
    /// Meeting date as written, e.g. "Monday 31st January".
    pub const DATE: &str = "date";
    /// Start time as written, e.g. "2:00 pm".
    pub const START_TIME: &str = "start_time";
    /// Venue.
    pub const VENUE: &str = "venue";
    /// Person id of the chair (a person in the register), or absent.
    pub const CHAIR: &str = "chair";
    /// One of the [`super::status`] values.
    pub const STATUS: &str = "status";
    /// Next meeting date as written.
    pub const NEXT_DATE: &str = "next_date";
    /// Next meeting time as written.
    pub const NEXT_TIME: &str = "next_time";
    /// Next meeting type, e.g. "Performance".
    pub const NEXT_TYPE: &str = "next_type";
    /// Next meeting venue.
    pub const NEXT_VENUE: &str = "next_venue";
}

/// Meeting status values ([`header::STATUS`]).
pub mod status {
    /// Being prepared.
    pub const DRAFT: &str = "draft";
    /// The meeting is taking place.
    pub const IN_MEETING: &str = "in meeting";
    /// Minutes written, waiting for confirmation.
    pub const AWAITING_CONFIRMATION: &str = "awaiting confirmation";
    /// Confirmed and signed off.
    pub const SIGNED_OFF: &str = "signed off";
}

/// Field names shared by several entity kinds.
pub mod common {
    /// Order key among siblings (a fractional index string; ties broken by id).
    pub const ORDER: &str = "order";
    /// Tombstone: `true` once the entity is deleted. Entities are never removed from the maps.
    pub const DELETED: &str = "deleted";
}

/// Person fields (strings unless noted).
pub mod person {
    /// Full name, e.g. "Pippa Mills".
    pub const NAME: &str = "name";
    /// Capacity or role, e.g. "Chief Constable".
    pub const CAPACITY: &str = "capacity";
    /// Short form used in the text, e.g. "CC".
    pub const SHORT: &str = "short";
    /// Organisation.
    pub const ORGANISATION: &str = "organisation";
    /// One of the [`super::attendance`] values.
    pub const ATTENDANCE: &str = "attendance";
    /// With attendance [`super::attendance::JOINED`]: the id of the item they joined for.
    pub const JOINED_ITEM: &str = "joined_item";
}

/// Attendance values ([`person::ATTENDANCE`]).
pub mod attendance {
    /// Present for the whole meeting.
    pub const PRESENT: &str = "present";
    /// Sent apologies.
    pub const APOLOGIES: &str = "apologies";
    /// Absent without apologies.
    pub const ABSENT: &str = "absent";
    /// Joined for one item ([`super::person::JOINED_ITEM`]).
    pub const JOINED: &str = "joined";
    /// Not recorded yet: the next meeting of a series starts with everyone so.
    pub const UNKNOWN: &str = "unknown";
}

/// Minute-taker fields (strings).
pub mod minute_taker {
    /// Full name.
    pub const NAME: &str = "name";
    /// Role, e.g. "Assistant Policy Officer".
    pub const CAPACITY: &str = "capacity";
    /// Organisation, e.g. "OPCC".
    pub const ORGANISATION: &str = "organisation";
}

/// Agenda item fields.
pub mod item {
    /// Y.Text: the item's title.
    pub const TITLE: &str = "title";
    /// Id of the parent item; absent or empty for a top-level item.
    pub const PARENT: &str = "parent";
    /// `true` for a standing item: one every meeting of the series has (apologies,
    /// matters arising, AOB), which the next meeting starts with. Absent: false.
    pub const STANDING: &str = "standing";
    /// Why the item is exempt from publication (Part II of the minutes): one of the
    /// [`super::exemption`] values; absent or empty: not exempt. Its sub-items are exempt
    /// with it.
    pub const EXEMPT: &str = "exempt";
    /// With [`EXEMPT`] = [`super::exemption::CONFIDENTIAL`]: the reason in words, which
    /// the public version shows (a plain string, bounded on read and write).
    pub const EXEMPT_NOTE: &str = "exempt_note";
    /// The title the public version shows for an exempt item (a plain string); absent or
    /// empty: the item's own title.
    pub const PUBLIC_TITLE: &str = "public_title";
}

/// Exemption values ([`item::EXEMPT`]).
pub mod exemption {
    /// Followed by the paragraph number 1 to 7: exempt information under that paragraph
    /// of Part 1 of Schedule 12A to the Local Government Act 1972, e.g. "12A:3".
    pub const SCHEDULE_12A_PREFIX: &str = "12A:";
    /// Confidential for another reason (bodies outside local government), given in
    /// [`super::item::EXEMPT_NOTE`].
    pub const CONFIDENTIAL: &str = "confidential";
}

/// Block fields.
pub mod block {
    /// One of the [`super::block_kind`] values.
    pub const KIND: &str = "kind";
    /// Id of the item the block belongs to.
    pub const ITEM: &str = "item";
    /// Y.Text: the block's text.
    pub const TEXT: &str = "text";
    /// Array of person ids (strings): the speakers of a statement.
    pub const SPEAKERS: &str = "speakers";
}

/// Block kind values ([`block::KIND`]).
pub mod block_kind {
    /// Plain paragraph.
    pub const PARAGRAPH: &str = "paragraph";
    /// Sub-heading inside an item.
    pub const SUB_HEADING: &str = "sub-heading";
    /// Paragraph attributed to speakers.
    pub const STATEMENT: &str = "statement";
    /// Decision.
    pub const DECISION: &str = "decision";
}

/// Action fields.
pub mod action {
    /// Y.Text: what is to be done.
    pub const DESCRIPTION: &str = "description";
    /// Array of person ids (strings): the owners.
    pub const OWNERS: &str = "owners";
    /// Due date as written.
    pub const DUE: &str = "due";
    /// One of the [`super::action_status`] values.
    pub const STATUS: &str = "status";
    /// Id of the item where the action was raised.
    pub const ITEM: &str = "item";
    /// Id of the block after which the action was raised (optional).
    pub const BLOCK: &str = "block";
    /// Series-wide reference such as "06/23"; written once (normally by the server).
    pub const REFERENCE: &str = "reference";
}

/// Action status values ([`action::STATUS`]).
pub mod action_status {
    /// Still to do.
    pub const OPEN: &str = "open";
    /// Done.
    pub const DONE: &str = "done";
    /// Dropped.
    pub const DROPPED: &str = "dropped";
}
