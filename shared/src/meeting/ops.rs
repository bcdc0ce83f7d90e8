//! The write side: every schema operation as a method on [`Meeting`].
//!
//! Each method is a handful of last-writer-wins field writes in the caller's transaction,
//! chosen so that concurrent edits merge into something the read side
//! ([`super::tree`], [`super::view`]) can always turn into a valid meeting:
//!
//! - **Insert / move** an item or block writes its parent (item) and an order key between
//!   its new neighbours ([`super::order`]). If the neighbours' keys tie, or some visible
//!   siblings are only there by promotion or cycle repair, the siblings are first re-keyed
//!   (and re-parented to where they are seen), so the local result is exactly what was
//!   asked for.
//! - **Indent** = move under the previous sibling, as its last child; **outdent** = move to
//!   just after the parent. Moving an item under itself or its own sub-item is refused
//!   locally; concurrent moves that still make a cycle are repaired on read.
//! - **Delete** writes a tombstone. Deleting an item tombstones its whole visible subtree;
//!   its blocks are hidden with it (not deleted one by one, so [`Meeting::restore_item`]
//!   brings them back).
//! - Operations on unknown or deleted entities fail with [`OpError`] and change nothing.

use super::document::{
    create_entity, create_text, entity, is_live, read_str, text_ref, write_bool, write_ids,
    write_str, write_text, Meeting,
};
use super::exemption::{bound_note, Exemption};
use super::model::{
    ActionFields, ActionId, ActionStatus, Attendance, BlockId, BlockKind, Header, ItemId, ItemPath,
    MeetingStatus, MinuteTaker, MinuteTakerId, Minutes, MinutesItem, Person, PersonId,
    MAX_ITEM_DEPTH,
};
use super::order;
use super::reference::ActionReference;
use super::tree;
use super::view::{item_nodes, sorted_live};
use crate::schema::{self, common};
use std::collections::HashMap;
use yrs::{Map, MapRef, TextRef, TransactionMut};

/// Why an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// No live person with this id.
    #[error("no such person: {0}")]
    UnknownPerson(String),
    /// No live minute-taker with this id.
    #[error("no such minute-taker: {0}")]
    UnknownMinuteTaker(String),
    /// No live item with this id.
    #[error("no such item: {0}")]
    UnknownItem(String),
    /// No live block with this id.
    #[error("no such block: {0}")]
    UnknownBlock(String),
    /// No live action with this id.
    #[error("no such action: {0}")]
    UnknownAction(String),
    /// The move would put an item under itself or one of its own sub-items.
    #[error("cannot move item {0} under itself or one of its sub-items")]
    Cycle(String),
    /// Indent needs a previous sibling.
    #[error("item {0} has no previous item at its level to indent under")]
    CannotIndent(String),
    /// The move or indent would nest items deeper than [`MAX_ITEM_DEPTH`] levels.
    #[error("item {0} cannot go deeper: items nest at most {MAX_ITEM_DEPTH} levels")]
    TooDeep(String),
    /// Outdent needs a parent.
    #[error("item {0} is already at the top level")]
    CannotOutdent(String),
    /// References are given once and never rewritten.
    #[error("action {id} already has reference {existing}")]
    ReferenceAssigned {
        /// The action.
        id: String,
        /// Its reference.
        existing: String,
    },
    /// Not a reference of the form `NN/YY`.
    #[error("invalid action reference {0:?} (expected the form 06/23)")]
    BadReference(String),
    /// [`Minutes`] with a dangling reference.
    #[error("invalid minutes: {0}")]
    InvalidMinutes(String),
}

/// A new action (see [`Meeting::add_action`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NewAction {
    /// Description, due date, status and (for imported minutes only) the reference.
    pub fields: ActionFields,
    /// Owners.
    pub owners: Vec<PersonId>,
    /// The item where it was raised.
    pub item: Option<ItemId>,
    /// The block after which it was raised.
    pub block: Option<BlockId>,
}

/// The longest entity id [`Meeting::import_minutes_as`] takes ("{client:x}-{clock:x}" is
/// at most 30 characters).
pub const MAX_ID_LEN: usize = 64;

/// Which sibling list an insert or move targets.
enum Siblings<'a> {
    Items(Option<&'a str>),
    Blocks(&'a str),
}

impl Meeting {
    // ---------------------------------------------------------------- header

    /// Writes the header's plain fields (only those that differ, so concurrent edits of
    /// other fields survive).
    pub fn set_header(&self, txn: &mut TransactionMut, header: &Header) {
        use schema::header as h;
        let m = &self.header;
        write_str(m, txn, h::TITLE, &header.title);
        write_str(m, txn, h::SERIES, &header.series);
        write_str(m, txn, h::DATE, &header.date);
        write_str(m, txn, h::START_TIME, &header.start_time);
        write_str(m, txn, h::VENUE, &header.venue);
        write_str(m, txn, h::STATUS, header.status.as_str());
        write_str(m, txn, h::NEXT_DATE, &header.next.date);
        write_str(m, txn, h::NEXT_TIME, &header.next.time);
        write_str(m, txn, h::NEXT_TYPE, &header.next.kind);
        write_str(m, txn, h::NEXT_VENUE, &header.next.venue);
    }

    /// Sets the meeting status.
    pub fn set_status(&self, txn: &mut TransactionMut, status: MeetingStatus) {
        write_str(&self.header, txn, schema::header::STATUS, status.as_str());
    }

    /// Sets (or clears) the chair, who must be in the register.
    pub fn set_chair(
        &self,
        txn: &mut TransactionMut,
        chair: Option<&PersonId>,
    ) -> Result<(), OpError> {
        let id = match chair {
            Some(p) => {
                self.live_person(txn, p)?;
                p.as_str()
            }
            None => "",
        };
        write_str(&self.header, txn, schema::header::CHAIR, id);
        Ok(())
    }

    /// Adds a minute-taker at the end of the list.
    pub fn add_minute_taker(&self, txn: &mut TransactionMut, taker: &MinuteTaker) -> MinuteTakerId {
        let key = self.append_key(txn, &self.minute_takers);
        let id = self.new_id(txn);
        let m = create_entity(&self.minute_takers, txn, &id);
        write_str(&m, txn, common::ORDER, &key);
        write_minute_taker(&m, txn, taker);
        MinuteTakerId(id)
    }

    /// Rewrites a minute-taker's fields.
    pub fn update_minute_taker(
        &self,
        txn: &mut TransactionMut,
        id: &MinuteTakerId,
        taker: &MinuteTaker,
    ) -> Result<(), OpError> {
        let m = live(&self.minute_takers, txn, id.as_str())
            .ok_or_else(|| OpError::UnknownMinuteTaker(id.0.clone()))?;
        write_minute_taker(&m, txn, taker);
        Ok(())
    }

    /// Removes a minute-taker.
    pub fn remove_minute_taker(
        &self,
        txn: &mut TransactionMut,
        id: &MinuteTakerId,
    ) -> Result<(), OpError> {
        let m = live(&self.minute_takers, txn, id.as_str())
            .ok_or_else(|| OpError::UnknownMinuteTaker(id.0.clone()))?;
        write_bool(&m, txn, common::DELETED, true);
        Ok(())
    }

    // ---------------------------------------------------------------- register

    /// Adds a person at the end of the attendance register.
    pub fn add_person(
        &self,
        txn: &mut TransactionMut,
        person: &Person,
        attendance: &Attendance<ItemId>,
    ) -> PersonId {
        let key = self.append_key(txn, &self.people);
        let id = self.new_id(txn);
        let m = create_entity(&self.people, txn, &id);
        write_str(&m, txn, common::ORDER, &key);
        write_person(&m, txn, person);
        write_attendance(&m, txn, attendance);
        PersonId(id)
    }

    /// Rewrites a person's register fields (name, capacity, short form, organisation).
    pub fn update_person(
        &self,
        txn: &mut TransactionMut,
        id: &PersonId,
        person: &Person,
    ) -> Result<(), OpError> {
        let m = self.live_person(txn, id)?;
        write_person(&m, txn, person);
        Ok(())
    }

    /// Sets a person's attendance. The item of [`Attendance::JoinedFor`] must exist.
    pub fn set_attendance(
        &self,
        txn: &mut TransactionMut,
        id: &PersonId,
        attendance: &Attendance<ItemId>,
    ) -> Result<(), OpError> {
        let m = self.live_person(txn, id)?;
        if let Attendance::JoinedFor(Some(item)) = attendance {
            self.live_item(txn, item)?;
        }
        write_attendance(&m, txn, attendance);
        Ok(())
    }

    /// Removes a person from the register. Statements and actions that name them keep the
    /// id, but views leave it out (and a chair who was removed shows as no chair).
    pub fn remove_person(&self, txn: &mut TransactionMut, id: &PersonId) -> Result<(), OpError> {
        let m = self.live_person(txn, id)?;
        write_bool(&m, txn, common::DELETED, true);
        Ok(())
    }

    // ---------------------------------------------------------------- items

    /// Inserts an item under `parent` (`None` = top level) at visible position `index`
    /// (clamped to the end).
    pub fn insert_item(
        &self,
        txn: &mut TransactionMut,
        parent: Option<&ItemId>,
        index: usize,
        title: &str,
    ) -> Result<ItemId, OpError> {
        if let Some(p) = parent {
            self.live_item(txn, p)?;
        }
        let id = self.new_id(txn);
        let key = self.place(
            txn,
            Siblings::Items(parent.map(ItemId::as_str)),
            None,
            index,
        );
        let m = create_entity(&self.items, txn, &id);
        write_str(
            &m,
            txn,
            schema::item::PARENT,
            parent.map_or("", ItemId::as_str),
        );
        write_str(&m, txn, common::ORDER, &key);
        create_text(&m, txn, schema::item::TITLE, title);
        Ok(ItemId(id))
    }

    /// Moves an item (with its sub-items and blocks) under `parent` at visible position
    /// `index` among its new siblings (not counting itself), clamped to the end.
    pub fn move_item(
        &self,
        txn: &mut TransactionMut,
        id: &ItemId,
        parent: Option<&ItemId>,
        index: usize,
    ) -> Result<(), OpError> {
        let m = self.live_item(txn, id)?;
        if let Some(p) = parent {
            self.live_item(txn, p)?;
            let vis = tree::visible(&item_nodes(&self.items, txn));
            if p == id || ancestors(&vis, p.as_str()).any(|a| a == id.as_str()) {
                return Err(OpError::Cycle(id.0.clone()));
            }
            if levels_of(&vis, p.as_str()) + subtree_height(&vis, id.as_str()) > MAX_ITEM_DEPTH {
                return Err(OpError::TooDeep(id.0.clone()));
            }
        }
        let key = self.place(
            txn,
            Siblings::Items(parent.map(ItemId::as_str)),
            Some(id.as_str()),
            index,
        );
        write_str(
            &m,
            txn,
            schema::item::PARENT,
            parent.map_or("", ItemId::as_str),
        );
        write_str(&m, txn, common::ORDER, &key);
        Ok(())
    }

    /// Makes an item the last sub-item of the item before it at the same level.
    pub fn indent_item(&self, txn: &mut TransactionMut, id: &ItemId) -> Result<(), OpError> {
        self.live_item(txn, id)?;
        let vis = tree::visible(&item_nodes(&self.items, txn));
        let me = vis
            .iter()
            .find(|v| v.id == id.as_str())
            .ok_or_else(|| OpError::UnknownItem(id.0.clone()))?;
        let prev = vis
            .iter()
            .filter(|v| v.parent == me.parent)
            .take_while(|v| v.id != me.id)
            .last()
            .ok_or_else(|| OpError::CannotIndent(id.0.clone()))?;
        let new_parent = ItemId(prev.id.clone());
        let end = vis
            .iter()
            .filter(|v| v.parent.as_deref() == Some(prev.id.as_str()))
            .count();
        self.move_item(txn, id, Some(&new_parent), end)
    }

    /// Moves an item to just after its parent, one level up.
    pub fn outdent_item(&self, txn: &mut TransactionMut, id: &ItemId) -> Result<(), OpError> {
        self.live_item(txn, id)?;
        let vis = tree::visible(&item_nodes(&self.items, txn));
        let me = vis
            .iter()
            .find(|v| v.id == id.as_str())
            .ok_or_else(|| OpError::UnknownItem(id.0.clone()))?;
        let parent_id = me
            .parent
            .clone()
            .ok_or_else(|| OpError::CannotOutdent(id.0.clone()))?;
        let parent = vis
            .iter()
            .find(|v| v.id == parent_id)
            .ok_or_else(|| OpError::UnknownItem(parent_id.clone()))?;
        let grand = parent.parent.clone().map(ItemId);
        let index = parent.path.last().copied().unwrap_or(0) + 1;
        self.move_item(txn, id, grand.as_ref(), index)
    }

    /// Deletes an item and its sub-items (tombstones); their blocks are hidden with them.
    pub fn delete_item(&self, txn: &mut TransactionMut, id: &ItemId) -> Result<(), OpError> {
        self.live_item(txn, id)?;
        let vis = tree::visible(&item_nodes(&self.items, txn));
        let doomed: Vec<String> = vis
            .iter()
            .filter(|v| v.id == id.as_str() || ancestors(&vis, &v.id).any(|a| a == id.as_str()))
            .map(|v| v.id.clone())
            .collect();
        for d in doomed {
            if let Some(m) = entity(&self.items, txn, &d) {
                write_bool(&m, txn, common::DELETED, true);
            }
        }
        Ok(())
    }

    /// Undeletes one item (not its deleted sub-items); its blocks show again.
    pub fn restore_item(&self, txn: &mut TransactionMut, id: &ItemId) -> Result<(), OpError> {
        let m = entity(&self.items, txn, id.as_str())
            .ok_or_else(|| OpError::UnknownItem(id.0.clone()))?;
        write_bool(&m, txn, common::DELETED, false);
        Ok(())
    }

    /// Replaces an item's title (editing only the changed part of the Y.Text).
    pub fn set_item_title(
        &self,
        txn: &mut TransactionMut,
        id: &ItemId,
        title: &str,
    ) -> Result<(), OpError> {
        let m = self.live_item(txn, id)?;
        write_text(&m, txn, schema::item::TITLE, title);
        Ok(())
    }

    /// Marks an item as standing (every meeting of the series has it: the next meeting
    /// starts with it) or not.
    pub fn set_standing(
        &self,
        txn: &mut TransactionMut,
        id: &ItemId,
        standing: bool,
    ) -> Result<(), OpError> {
        let m = self.live_item(txn, id)?;
        write_bool(&m, txn, schema::item::STANDING, standing);
        Ok(())
    }

    /// Marks an item exempt from the public version for `exemption` (its sub-items with
    /// it), or clears the mark (`None`). A confidential reason is cut to
    /// [`MAX_NOTE_CHARS`](super::exemption::MAX_NOTE_CHARS) characters; the note is
    /// cleared for any other value.
    pub fn set_exemption(
        &self,
        txn: &mut TransactionMut,
        id: &ItemId,
        exemption: Option<&Exemption>,
    ) -> Result<(), OpError> {
        let m = self.live_item(txn, id)?;
        write_exemption(&m, txn, exemption);
        Ok(())
    }

    /// Sets the title the public version shows for an exempt item ("" = its own title).
    pub fn set_public_title(
        &self,
        txn: &mut TransactionMut,
        id: &ItemId,
        public_title: &str,
    ) -> Result<(), OpError> {
        let m = self.live_item(txn, id)?;
        write_str(&m, txn, schema::item::PUBLIC_TITLE, public_title);
        Ok(())
    }

    /// The item title's Y.Text, for binding an editor to it.
    pub fn item_title_text(&self, txn: &TransactionMut, id: &ItemId) -> Option<TextRef> {
        let m = live(&self.items, txn, id.as_str())?;
        text_ref(&m, txn, schema::item::TITLE)
    }

    // ---------------------------------------------------------------- blocks

    /// Inserts a block into an item at position `index` (clamped to the end).
    pub fn insert_block(
        &self,
        txn: &mut TransactionMut,
        item: &ItemId,
        index: usize,
        kind: BlockKind,
        text: &str,
    ) -> Result<BlockId, OpError> {
        self.live_item(txn, item)?;
        let id = self.new_id(txn);
        let key = self.place(txn, Siblings::Blocks(item.as_str()), None, index);
        let m = create_entity(&self.blocks, txn, &id);
        write_str(&m, txn, schema::block::ITEM, item.as_str());
        write_str(&m, txn, common::ORDER, &key);
        write_str(&m, txn, schema::block::KIND, kind.as_str());
        create_text(&m, txn, schema::block::TEXT, text);
        Ok(BlockId(id))
    }

    /// Moves a block to position `index` (not counting itself) of an item.
    pub fn move_block(
        &self,
        txn: &mut TransactionMut,
        id: &BlockId,
        item: &ItemId,
        index: usize,
    ) -> Result<(), OpError> {
        let m = self.live_block(txn, id)?;
        self.live_item(txn, item)?;
        let key = self.place(
            txn,
            Siblings::Blocks(item.as_str()),
            Some(id.as_str()),
            index,
        );
        write_str(&m, txn, schema::block::ITEM, item.as_str());
        write_str(&m, txn, common::ORDER, &key);
        Ok(())
    }

    /// Deletes a block (tombstone).
    pub fn delete_block(&self, txn: &mut TransactionMut, id: &BlockId) -> Result<(), OpError> {
        let m = self.live_block(txn, id)?;
        write_bool(&m, txn, common::DELETED, true);
        Ok(())
    }

    /// Changes a block's kind. Speakers are kept but only shown for statements.
    pub fn set_block_kind(
        &self,
        txn: &mut TransactionMut,
        id: &BlockId,
        kind: BlockKind,
    ) -> Result<(), OpError> {
        let m = self.live_block(txn, id)?;
        write_str(&m, txn, schema::block::KIND, kind.as_str());
        Ok(())
    }

    /// Replaces a block's text (editing only the changed part of the Y.Text).
    pub fn set_block_text(
        &self,
        txn: &mut TransactionMut,
        id: &BlockId,
        text: &str,
    ) -> Result<(), OpError> {
        let m = self.live_block(txn, id)?;
        write_text(&m, txn, schema::block::TEXT, text);
        Ok(())
    }

    /// The block text's Y.Text, for binding an editor to it.
    pub fn block_text(&self, txn: &TransactionMut, id: &BlockId) -> Option<TextRef> {
        let m = live(&self.blocks, txn, id.as_str())?;
        text_ref(&m, txn, schema::block::TEXT)
    }

    /// Attributes a block to speakers from the register. A paragraph with speakers becomes
    /// a statement; a statement left without speakers becomes a paragraph again.
    pub fn set_speakers(
        &self,
        txn: &mut TransactionMut,
        id: &BlockId,
        speakers: &[PersonId],
    ) -> Result<(), OpError> {
        self.live_block(txn, id)?;
        for s in speakers {
            self.live_person(txn, s)?;
        }
        self.set_part2_speakers(txn, id, speakers)
    }

    /// [`Meeting::set_speakers`] for a Part II block (see [`super::part2`]): the Part II
    /// document holds no register, so the caller checks the speakers against the main
    /// document's.
    pub fn set_part2_speakers(
        &self,
        txn: &mut TransactionMut,
        id: &BlockId,
        speakers: &[PersonId],
    ) -> Result<(), OpError> {
        let m = self.live_block(txn, id)?;
        let ids: Vec<String> = speakers.iter().map(|s| s.0.clone()).collect();
        write_ids(&m, txn, schema::block::SPEAKERS, &ids);
        let kind = BlockKind::parse(&read_str(&m, txn, schema::block::KIND)).unwrap_or_default();
        let new_kind = match (kind, ids.is_empty()) {
            (BlockKind::Paragraph, false) => BlockKind::Statement,
            (BlockKind::Statement, true) => BlockKind::Paragraph,
            (k, _) => k,
        };
        write_str(&m, txn, schema::block::KIND, new_kind.as_str());
        Ok(())
    }

    // ---------------------------------------------------------------- actions

    /// Adds an action at the end of the log. `fields.reference` is written only when it is
    /// given (imported minutes); live meetings leave it to [`Meeting::assign_reference`].
    pub fn add_action(
        &self,
        txn: &mut TransactionMut,
        action: &NewAction,
    ) -> Result<ActionId, OpError> {
        for o in &action.owners {
            self.live_person(txn, o)?;
        }
        self.add_part2_action(txn, action)
    }

    /// [`Meeting::add_action`] for an action raised in Part II (see [`super::part2`]): the
    /// Part II document holds no register, so the caller checks the owners against the
    /// main document's.
    pub fn add_part2_action(
        &self,
        txn: &mut TransactionMut,
        action: &NewAction,
    ) -> Result<ActionId, OpError> {
        if let Some(item) = &action.item {
            self.live_item(txn, item)?;
        }
        if let Some(block) = &action.block {
            self.live_block(txn, block)?;
        }
        if let Some(r) = &action.fields.reference {
            ActionReference::parse(r).ok_or_else(|| OpError::BadReference(r.clone()))?;
        }
        let key = self.append_key(txn, &self.actions);
        let id = self.new_id(txn);
        let m = create_entity(&self.actions, txn, &id);
        write_str(&m, txn, common::ORDER, &key);
        create_text(
            &m,
            txn,
            schema::action::DESCRIPTION,
            &action.fields.description,
        );
        write_str(&m, txn, schema::action::DUE, &action.fields.due);
        write_str(
            &m,
            txn,
            schema::action::STATUS,
            action.fields.status.as_str(),
        );
        let owners: Vec<String> = action.owners.iter().map(|o| o.0.clone()).collect();
        write_ids(&m, txn, schema::action::OWNERS, &owners);
        write_str(
            &m,
            txn,
            schema::action::ITEM,
            action.item.as_ref().map_or("", ItemId::as_str),
        );
        write_str(
            &m,
            txn,
            schema::action::BLOCK,
            action.block.as_ref().map_or("", BlockId::as_str),
        );
        if let Some(r) = &action.fields.reference {
            write_str(&m, txn, schema::action::REFERENCE, r);
        }
        Ok(ActionId(id))
    }

    /// Replaces an action's description.
    pub fn set_action_description(
        &self,
        txn: &mut TransactionMut,
        id: &ActionId,
        text: &str,
    ) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        write_text(&m, txn, schema::action::DESCRIPTION, text);
        Ok(())
    }

    /// Sets an action's due date.
    pub fn set_action_due(
        &self,
        txn: &mut TransactionMut,
        id: &ActionId,
        due: &str,
    ) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        write_str(&m, txn, schema::action::DUE, due);
        Ok(())
    }

    /// Sets an action's status.
    pub fn set_action_status(
        &self,
        txn: &mut TransactionMut,
        id: &ActionId,
        status: ActionStatus,
    ) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        write_str(&m, txn, schema::action::STATUS, status.as_str());
        Ok(())
    }

    /// Sets an action's owners (people from the register).
    pub fn set_action_owners(
        &self,
        txn: &mut TransactionMut,
        id: &ActionId,
        owners: &[PersonId],
    ) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        for o in owners {
            self.live_person(txn, o)?;
        }
        let ids: Vec<String> = owners.iter().map(|o| o.0.clone()).collect();
        write_ids(&m, txn, schema::action::OWNERS, &ids);
        Ok(())
    }

    /// Sets where an action was raised.
    pub fn set_action_raised_in(
        &self,
        txn: &mut TransactionMut,
        id: &ActionId,
        item: Option<&ItemId>,
        block: Option<&BlockId>,
    ) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        if let Some(i) = item {
            self.live_item(txn, i)?;
        }
        if let Some(b) = block {
            self.live_block(txn, b)?;
        }
        write_str(
            &m,
            txn,
            schema::action::ITEM,
            item.map_or("", ItemId::as_str),
        );
        write_str(
            &m,
            txn,
            schema::action::BLOCK,
            block.map_or("", BlockId::as_str),
        );
        Ok(())
    }

    /// Gives an action its series-wide reference, once. Meant for the one writer that can
    /// see the whole series (the server): see [`super::reference`].
    pub fn assign_reference(
        &self,
        txn: &mut TransactionMut,
        id: &ActionId,
        reference: &str,
    ) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        let existing = read_str(&m, txn, schema::action::REFERENCE);
        if !existing.is_empty() {
            return Err(OpError::ReferenceAssigned {
                id: id.0.clone(),
                existing,
            });
        }
        let parsed = ActionReference::parse(reference)
            .ok_or_else(|| OpError::BadReference(reference.to_owned()))?;
        write_str(&m, txn, schema::action::REFERENCE, &parsed.to_string());
        Ok(())
    }

    /// Deletes an action (tombstone).
    pub fn delete_action(&self, txn: &mut TransactionMut, id: &ActionId) -> Result<(), OpError> {
        let m = self.live_action(txn, id)?;
        write_bool(&m, txn, common::DELETED, true);
        Ok(())
    }

    // ---------------------------------------------------------------- import

    /// Writes [`Minutes`] into the document: header fields, then people, items (after any
    /// existing top-level items), blocks and actions. Meant for an empty document; on one
    /// with content it appends. Nothing is written if the minutes do not validate.
    pub fn import_minutes(
        &self,
        txn: &mut TransactionMut,
        minutes: &Minutes,
    ) -> Result<(), OpError> {
        self.import_minutes_as(txn, minutes, &[])
    }

    /// [`Meeting::import_minutes`], giving the register's people the ids `person_ids` (in
    /// order): the next meeting of a series keeps its people's ids, so whatever speaks for
    /// a person (an invitation) does so in every meeting of the series. An id that is
    /// missing, empty, longer than [`MAX_ID_LEN`] or already in the document gets a fresh
    /// one.
    pub fn import_minutes_as(
        &self,
        txn: &mut TransactionMut,
        minutes: &Minutes,
        person_ids: &[PersonId],
    ) -> Result<(), OpError> {
        // Linear in the size of the minutes: every order key is computed up front (one
        // evenly spaced run per sibling list, after whatever the list already holds) and
        // entities are written directly, instead of one insert at a time (each insert
        // reads its siblings, which made a large import quadratic).
        minutes.validate().map_err(OpError::InvalidMinutes)?;
        for a in &minutes.actions {
            if let Some(r) = &a.fields.reference {
                ActionReference::parse(r).ok_or_else(|| OpError::BadReference(r.clone()))?;
            }
        }
        self.set_header(txn, &minutes.header);
        let keys = order::after_n(
            last_key(&self.minute_takers, txn, None).as_deref(),
            minutes.minute_takers.len(),
        );
        for (t, key) in minutes.minute_takers.iter().zip(keys) {
            let id = self.new_id(txn);
            let m = create_entity(&self.minute_takers, txn, &id);
            write_str(&m, txn, common::ORDER, &key);
            write_minute_taker(&m, txn, t);
        }
        // People first as present (items do not exist yet), then their attendance.
        let keys = order::after_n(
            last_key(&self.people, txn, None).as_deref(),
            minutes.people.len(),
        );
        let mut people: Vec<(PersonId, MapRef)> = Vec::with_capacity(minutes.people.len());
        let mut given = person_ids.iter().map(PersonId::as_str);
        for (p, key) in minutes.people.iter().zip(keys) {
            let id = match given.next() {
                Some(id)
                    if !id.is_empty()
                        && id.len() <= MAX_ID_LEN
                        && self.people.get(txn, id).is_none() =>
                {
                    id.to_owned()
                }
                _ => self.new_id(txn),
            };
            let m = create_entity(&self.people, txn, &id);
            write_str(&m, txn, common::ORDER, &key);
            write_person(&m, txn, &p.person);
            write_attendance(&m, txn, &Attendance::Present);
            people.push((PersonId(id), m));
        }
        let person = |i: usize| people.get(i).map(|(id, _)| id);
        let chair = minutes.chair.and_then(person);
        self.set_chair(txn, chair)?;

        let mut item_ids: HashMap<Vec<usize>, (ItemId, Vec<BlockId>)> = HashMap::new();
        let top_keys = order::after_n(
            last_key(&self.items, txn, Some(schema::item::PARENT)).as_deref(),
            minutes.items.len(),
        );
        // (parent, path of the parent, its sub-items, their order keys)
        type Pending<'m> = (Option<ItemId>, Vec<usize>, &'m [MinutesItem], Vec<String>);
        let mut stack: Vec<Pending<'_>> = vec![(None, Vec::new(), &minutes.items, top_keys)];
        while let Some((parent, prefix, list, keys)) = stack.pop() {
            for ((i, it), key) in list.iter().enumerate().zip(keys) {
                let id = self.new_id(txn);
                let m = create_entity(&self.items, txn, &id);
                write_str(
                    &m,
                    txn,
                    schema::item::PARENT,
                    parent.as_ref().map_or("", ItemId::as_str),
                );
                write_str(&m, txn, common::ORDER, &key);
                create_text(&m, txn, schema::item::TITLE, &it.title);
                if it.standing {
                    write_bool(&m, txn, schema::item::STANDING, true);
                }
                if let Some(e) = &it.exemption {
                    write_exemption(&m, txn, Some(e));
                    if !it.public_title.is_empty() {
                        write_str(&m, txn, schema::item::PUBLIC_TITLE, &it.public_title);
                    }
                }
                let mut blocks = Vec::with_capacity(it.blocks.len());
                for (b, key) in it.blocks.iter().zip(order::spread(it.blocks.len())) {
                    let bid = self.new_id(txn);
                    let bm = create_entity(&self.blocks, txn, &bid);
                    write_str(&bm, txn, schema::block::ITEM, &id);
                    write_str(&bm, txn, common::ORDER, &key);
                    write_str(&bm, txn, schema::block::KIND, b.kind.as_str());
                    create_text(&bm, txn, schema::block::TEXT, &b.text);
                    if !b.speakers.is_empty() {
                        let speakers: Vec<String> = b
                            .speakers
                            .iter()
                            .filter_map(|&s| person(s).map(|p| p.0.clone()))
                            .collect();
                        write_ids(&bm, txn, schema::block::SPEAKERS, &speakers);
                    }
                    blocks.push(BlockId(bid));
                }
                let mut path = prefix.clone();
                path.push(i);
                let child_keys = order::spread(it.children.len());
                stack.push((
                    Some(ItemId(id.clone())),
                    path.clone(),
                    &it.children,
                    child_keys,
                ));
                item_ids.insert(path, (ItemId(id), blocks));
            }
        }
        let find = |path: &ItemPath| item_ids.get(&path.0);

        for (p, (_, m)) in minutes.people.iter().zip(&people) {
            let attendance = match &p.attendance {
                Attendance::Present => continue,
                Attendance::Apologies => Attendance::Apologies,
                Attendance::Absent => Attendance::Absent,
                Attendance::Unknown => Attendance::Unknown,
                Attendance::JoinedFor(item) => {
                    Attendance::JoinedFor(item.as_ref().and_then(find).map(|(i, _)| i.clone()))
                }
            };
            write_attendance(m, txn, &attendance);
        }
        let keys = order::after_n(
            last_key(&self.actions, txn, None).as_deref(),
            minutes.actions.len(),
        );
        for (a, key) in minutes.actions.iter().zip(keys) {
            let (item, block) = match a.raised_in.as_ref().and_then(|r| Some((r, find(&r.item)?))) {
                Some((r, (id, blocks))) => (Some(id), r.block.and_then(|b| blocks.get(b))),
                None => (None, None),
            };
            let id = self.new_id(txn);
            let m = create_entity(&self.actions, txn, &id);
            write_str(&m, txn, common::ORDER, &key);
            create_text(&m, txn, schema::action::DESCRIPTION, &a.fields.description);
            write_str(&m, txn, schema::action::DUE, &a.fields.due);
            write_str(&m, txn, schema::action::STATUS, a.fields.status.as_str());
            let owners: Vec<String> = a
                .owners
                .iter()
                .filter_map(|&o| person(o).map(|p| p.0.clone()))
                .collect();
            write_ids(&m, txn, schema::action::OWNERS, &owners);
            write_str(
                &m,
                txn,
                schema::action::ITEM,
                item.map_or("", ItemId::as_str),
            );
            write_str(
                &m,
                txn,
                schema::action::BLOCK,
                block.map_or("", BlockId::as_str),
            );
            if let Some(r) = &a.fields.reference {
                write_str(&m, txn, schema::action::REFERENCE, r);
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- helpers

    fn live_person(&self, txn: &TransactionMut, id: &PersonId) -> Result<MapRef, OpError> {
        live(&self.people, txn, id.as_str()).ok_or_else(|| OpError::UnknownPerson(id.0.clone()))
    }

    fn live_item(&self, txn: &TransactionMut, id: &ItemId) -> Result<MapRef, OpError> {
        live(&self.items, txn, id.as_str()).ok_or_else(|| OpError::UnknownItem(id.0.clone()))
    }

    fn live_block(&self, txn: &TransactionMut, id: &BlockId) -> Result<MapRef, OpError> {
        live(&self.blocks, txn, id.as_str()).ok_or_else(|| OpError::UnknownBlock(id.0.clone()))
    }

    /// Whether this document holds live action `id` (a page that syncs Part II writes to
    /// the document that holds it).
    pub fn has_action(&self, txn: &TransactionMut, id: &ActionId) -> bool {
        self.live_action(txn, id).is_ok()
    }

    fn live_action(&self, txn: &TransactionMut, id: &ActionId) -> Result<MapRef, OpError> {
        live(&self.actions, txn, id.as_str()).ok_or_else(|| OpError::UnknownAction(id.0.clone()))
    }

    /// An order key after every entity (live or not) of a flat root map.
    fn append_key(&self, txn: &mut TransactionMut, root: &MapRef) -> String {
        let all = sorted_live(root, txn, true);
        if let Some(k) = order::after(all.last().map(|(_, _, key)| key.as_str())) {
            return k;
        }
        // The largest stored key is malformed: re-space everything.
        let keys = order::spread(all.len() + 1);
        for ((_, m, _), k) in all.iter().zip(&keys) {
            write_str(m, txn, common::ORDER, k);
        }
        keys.last().cloned().unwrap_or_default()
    }

    /// The order key for an entity placed at `index` among `siblings` (excluding `moving`),
    /// re-keying the siblings first if their keys cannot take a key between them.
    fn place(
        &self,
        txn: &mut TransactionMut,
        siblings: Siblings<'_>,
        moving: Option<&str>,
        index: usize,
    ) -> String {
        let (root, parent_key, parent_value, list): (&MapRef, &str, &str, Vec<(String, bool)>) =
            match siblings {
                Siblings::Items(parent) => {
                    let vis = tree::visible(&item_nodes(&self.items, txn));
                    let list = vis
                        .into_iter()
                        .filter(|v| v.parent.as_deref() == parent && Some(v.id.as_str()) != moving)
                        .map(|v| (v.id, v.in_place))
                        .collect();
                    (
                        &self.items,
                        schema::item::PARENT,
                        parent.unwrap_or(""),
                        list,
                    )
                }
                Siblings::Blocks(item) => {
                    let list = super::view::item_block_ids(&self.blocks, txn, item)
                        .into_iter()
                        .filter(|b| Some(b.as_str()) != moving)
                        .map(|b| (b, true))
                        .collect();
                    (&self.blocks, schema::block::ITEM, item, list)
                }
            };
        let index = index.min(list.len());
        let maps: Vec<MapRef> = list
            .iter()
            .filter_map(|(id, _)| entity(root, txn, id))
            .collect();
        let keys: Vec<String> = maps
            .iter()
            .map(|m| read_str(m, txn, common::ORDER))
            .collect();
        let tidy = maps.len() == list.len()
            && list.iter().all(|(_, in_place)| *in_place)
            && keys.windows(2).all(|w| w[0] < w[1]);
        if tidy {
            let before = index
                .checked_sub(1)
                .and_then(|i| keys.get(i))
                .map(String::as_str);
            let after = keys.get(index).map(String::as_str);
            if let Some(k) = order::between(before, after) {
                return k;
            }
        }
        let fresh = order::spread(maps.len() + 1);
        for (i, m) in maps.iter().enumerate() {
            let slot = if i < index { i } else { i + 1 };
            write_str(m, txn, parent_key, parent_value);
            write_str(m, txn, common::ORDER, &fresh[slot]);
        }
        fresh[index].clone()
    }
}

/// The live entity `id` of `root`.
fn live(root: &MapRef, txn: &TransactionMut, id: &str) -> Option<MapRef> {
    if is_live(root, txn, id) {
        entity(root, txn, id)
    } else {
        None
    }
}

/// How many levels deep `item` is (1 at the top level).
fn levels_of(vis: &[tree::Visible], item: &str) -> usize {
    vis.iter()
        .find(|v| v.id == item)
        .map_or(1, |v| v.path.len())
}

/// How many levels the visible subtree of `id` spans (1 for an item without sub-items).
fn subtree_height(vis: &[tree::Visible], id: &str) -> usize {
    let Some(at) = vis.iter().position(|v| v.id == id) else {
        return 1;
    };
    let own = vis[at].path.len();
    // In pre-order, the subtree is the run after the item of deeper paths.
    vis[at + 1..]
        .iter()
        .take_while(|v| v.path.len() > own)
        .map(|v| v.path.len() - own + 1)
        .max()
        .unwrap_or(1)
}

/// The largest order key stored in a flat root map (deleted entities included, as for
/// [`Meeting::add_person`]); with `top_level_field`, only among entities whose field of
/// that name is empty (top-level items).
fn last_key(root: &MapRef, txn: &TransactionMut, top_level_field: Option<&str>) -> Option<String> {
    root.iter(txn)
        .filter_map(|(_, v)| match v {
            yrs::Out::YMap(m) => Some(m),
            _ => None,
        })
        .filter(|m| top_level_field.is_none_or(|f| read_str(m, txn, f).is_empty()))
        .map(|m| read_str(&m, txn, common::ORDER))
        .max()
}

/// Visible ancestors of `id`, nearest first.
fn ancestors<'a>(vis: &'a [tree::Visible], id: &str) -> impl Iterator<Item = &'a str> + 'a {
    let mut cur = vis
        .iter()
        .find(|v| v.id == id)
        .and_then(|v| v.parent.as_deref());
    std::iter::from_fn(move || {
        let this = cur?;
        cur = vis
            .iter()
            .find(|v| v.id == this)
            .and_then(|v| v.parent.as_deref());
        Some(this)
    })
}

fn write_person(m: &MapRef, txn: &mut TransactionMut, p: &Person) {
    use schema::person as f;
    write_str(m, txn, f::NAME, &p.name);
    write_str(m, txn, f::CAPACITY, &p.capacity);
    write_str(m, txn, f::SHORT, &p.short);
    write_str(m, txn, f::ORGANISATION, &p.organisation);
}

fn write_attendance(m: &MapRef, txn: &mut TransactionMut, a: &Attendance<ItemId>) {
    use schema::{attendance as v, person as f};
    let (value, item) = match a {
        Attendance::Present => (v::PRESENT, ""),
        Attendance::Apologies => (v::APOLOGIES, ""),
        Attendance::Absent => (v::ABSENT, ""),
        Attendance::Unknown => (v::UNKNOWN, ""),
        Attendance::JoinedFor(i) => (v::JOINED, i.as_ref().map_or("", ItemId::as_str)),
    };
    write_str(m, txn, f::ATTENDANCE, value);
    write_str(m, txn, f::JOINED_ITEM, item);
}

fn write_minute_taker(m: &MapRef, txn: &mut TransactionMut, t: &MinuteTaker) {
    use schema::minute_taker as f;
    write_str(m, txn, f::NAME, &t.name);
    write_str(m, txn, f::CAPACITY, &t.capacity);
    write_str(m, txn, f::ORGANISATION, &t.organisation);
}

/// Writes an item's exemption fields (the note bounded, and cleared unless confidential).
fn write_exemption(m: &MapRef, txn: &mut TransactionMut, exemption: Option<&Exemption>) {
    let (value, note) = match exemption {
        Some(e) => (e.code(), bound_note(e.note())),
        None => (String::new(), ""),
    };
    // Absent reads as "": an item never marked gets no fields.
    for (key, value) in [
        (schema::item::EXEMPT, value.as_str()),
        (schema::item::EXEMPT_NOTE, note),
    ] {
        if read_str(m, txn, key) != value {
            write_str(m, txn, key, value);
        }
    }
}
