//! The meeting document model: one Yjs document per meeting, a typed API over it, a
//! plain read-side snapshot, importers and exporters.
//!
//! # Layout
//!
//! | module | what it is for |
//! |---|---|
//! | [`exemption`] | [`Exemption`]: why an item is withheld from the public version (Schedule 12A, confidential) |
//! | [`model`] | ids, enumerations, and [`Minutes`]: a meeting as id-free plain data |
//! | [`document`] | [`Meeting`], the typed handle on a `yrs::Doc` |
//! | [`ops`] | every write operation ([`Meeting::insert_item`], …) and [`OpError`] |
//! | [`order`] | fractional order keys between siblings |
//! | [`tree`] | the item tree on the read side: order, cycle repair, deletion, numbering |
//! | [`view`] | [`MeetingView`], the snapshot the UI and exporters render |
//! | [`reference`](mod@reference) | series-wide action references ("06/23") |
//! | [`import`] | the legacy importer for text extracted from published minutes ([`import::ImportError`]: line + what) |
//! | [`export`] | `export::markdown(&view)` and `export::html(&view)` |
//! | [`markdown`] | the canonical Markdown export and its importer, and the public version |
//! | [`segment`] | the canonical Markdown as segments (preamble, one per item, trailer) and their public counterparts |
//! | [`reading`] | [`reading::Reading`]: the minutes as they read, which the HTML export and the web client's reading view both render |
//! | [`html`] | the printable HTML export |
//! | [`suggest`] | speaker suggestions ("The DCC responded…" → DCC) |
//!
//! # Document layout
//!
//! All key names are in [`crate::schema`]. The header is one root map of plain fields.
//! People, minute-takers, items, blocks and actions are each a root map from a stable id
//! (`"{client id:x}-{clock:x}"`, unique across clients) to the entity's Y.Map. Items and
//! blocks are *not* nested in their parents: an item stores its parent's id and a block its
//! item's id, both with an order key among their siblings, so moving, indenting and
//! outdenting are single field writes (last writer wins) and two clients' structural edits
//! always merge into something [`tree`] and [`view`] can read as one valid tree (no cycles,
//! nothing duplicated, no live item lost). Deletion is a tombstone field; entities are
//! never removed from the maps. Numbers ("2.1") are never stored: they are computed from
//! position on every read, so every edit renumbers everything at once.
//!
//! Typed texts (item titles, block texts, action descriptions) are Y.Texts created with
//! their entity; the other fields are plain values.
//!
//! # Decisions
//!
//! - **Minute-takers** are recorded apart from the attendance register (name, role,
//!   organisation), as published minutes do: the register lists attendees only.
//! - **Deleting an item** tombstones it and its sub-items; its blocks are hidden with it
//!   (still in the document, shown again by [`Meeting::restore_item`]). Items another client
//!   moved or created under it concurrently are promoted into its place.
//! - **Depth**: items nest at most [`MAX_ITEM_DEPTH`] (8) levels; deeper ones are shown
//!   as siblings of the deepest item (see [`tree`]).
//! - **Cycles** from concurrent moves are broken by re-attaching the cycle's smallest id to
//!   the top level.
//! - **Action references** are written once by a single writer (the server); see
//!   [`reference`](mod@reference) for the limitation.
//! - **Speakers** only show on statements; [`Meeting::set_speakers`] turns a paragraph into
//!   a statement. People removed from the register drop out of speakers, owners and chair
//!   in views (their ids stay stored). Dates and times are kept as written.
//! - **Standing items** ([`schema::item::STANDING`](crate::schema::item::STANDING)) are
//!   the ones every meeting of a series has; the next meeting starts with them only
//!   ([`series::carry_forward`]), its attendance **not recorded**
//!   ([`Attendance::Unknown`]) rather than assumed present. Documents written before
//!   either existed read as "not standing" and keep their recorded attendance.
//! - **Exempt items** (Part II, [`exemption`]): an item marked exempt (Schedule 12A
//!   paragraph 1–7, or confidential with a reason) is withheld from the public version
//!   with all its sub-items, blocks and actions ([`markdown::to_public_markdown_as`],
//!   [`html::to_public_html_as`]), its heading showing its public title (its own title
//!   when none is set). Unknown stored values read as confidential (withheld).
//! - **Blocks of a deleted item** are hidden, not deleted: a live block is shown exactly
//!   once when its item is visible, and never otherwise.
//!
//! # Flow
//!
//! ```text
//! legacy text ──import::parse_minutes──┐
//!                                      ├─► Minutes ──Meeting::import_minutes──► Doc
//! Markdown ─────markdown::parse────────┘                                         │
//!      ▲                                                                          ▼
//!      └──────────── export::markdown ◄──── MeetingView ◄──── Meeting::view ──────┘
//!    export::html ◄── Reading ◄───────────┘      └──► Minutes::from_view (structure)
//!    (and the web client's reading view)
//! ```

pub mod document;
pub mod exemption;
pub mod export;
pub mod html;
pub mod import;
pub mod markdown;
pub mod model;
pub mod ops;
pub mod order;
pub mod part2;
pub mod reading;
pub mod reference;
pub mod segment;
pub mod series;
pub mod suggest;
pub mod summary;
pub mod tree;
pub mod undo;
pub mod view;

#[cfg(test)]
pub(crate) mod tests;

pub use document::Meeting;
pub use exemption::{Exemption, Paragraph};
pub use model::{
    ActionFields, ActionId, ActionStatus, Attendance, BlockId, BlockKind, Header, ItemId, ItemPath,
    MeetingStatus, MinuteTaker, MinuteTakerId, Minutes, MinutesAction, MinutesBlock, MinutesItem,
    MinutesPerson, NextMeeting, Person, PersonId, RaisedIn, MAX_ITEM_DEPTH,
};
pub use ops::{NewAction, OpError};
pub use view::{
    ActionView, BlockView, HeaderView, ItemView, MeetingView, MinuteTakerView, PersonView,
    ViewIndex,
};
