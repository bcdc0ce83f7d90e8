//! [`Snapshot`]: the current [`MeetingView`] with id indices, and the small per-entity
//! pieces ([`ItemHead`], [`BlockInfo`]) that views memoise so that a change re-renders
//! only what it touched.
//!
//! Pure data: no browser types, so it is unit-tested natively.

use std::collections::HashMap;

use minutebook_shared::meeting::{BlockId, BlockView, ItemId, ItemView, MeetingView, PersonView};

use crate::changes::TextTarget;

/// One computed view of the meeting plus lookups by id.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The view (numbers computed from position).
    pub view: MeetingView,
    items: HashMap<ItemId, usize>,
    blocks: HashMap<BlockId, (usize, usize)>,
    heads: HashMap<ItemId, ItemHead>,
}

/// What an item's heading and outline entry show.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ItemHead {
    /// Computed number, e.g. "2.1".
    pub number: String,
    /// 0 for top-level items.
    pub depth: usize,
    /// Title text.
    pub title: String,
    /// Visible parent.
    pub parent: Option<ItemId>,
    /// Position among its siblings (0-based) and how many siblings there are.
    pub sibling: (usize, usize),
    /// A standing item (the next meeting of the series starts with it).
    pub standing: bool,
    /// Its own exemption (Part II), if marked; and one it inherits from an exempt parent.
    pub exemption: Option<minutebook_shared::meeting::Exemption>,
    pub inherited: bool,
    /// The exemption in force: its own, else its exempt parent's.
    pub effective: Option<minutebook_shared::meeting::Exemption>,
    /// The title the public version shows ("" = its own).
    pub public_title: String,
}

/// What a block's controls need: the block and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlockInfo {
    /// The item it belongs to.
    pub item: ItemId,
    /// That item's number.
    pub item_number: String,
    /// 1-based position in the item.
    pub position: usize,
    /// The block itself.
    pub block: BlockView,
}

impl Snapshot {
    /// Indexes `view`.
    pub fn new(view: MeetingView) -> Self {
        let mut items = HashMap::with_capacity(view.items.len());
        let mut blocks = HashMap::new();
        let mut siblings: HashMap<Option<&ItemId>, usize> = HashMap::new();
        let mut position = Vec::with_capacity(view.items.len());
        for (ii, item) in view.items.iter().enumerate() {
            items.insert(item.id.clone(), ii);
            for (bi, b) in item.blocks.iter().enumerate() {
                blocks.insert(b.id.clone(), (ii, bi));
            }
            let n = siblings.entry(item.parent.as_ref()).or_default();
            position.push(*n);
            *n += 1;
        }
        let heads = view
            .items
            .iter()
            .zip(position)
            .map(|(item, pos)| {
                let count = siblings.get(&item.parent.as_ref()).copied().unwrap_or(0);
                let head = ItemHead {
                    number: item.number.clone(),
                    depth: item.depth,
                    title: item.title.clone(),
                    parent: item.parent.clone(),
                    sibling: (pos, count),
                    standing: item.standing,
                    exemption: item.exemption.clone(),
                    inherited: item.exemption.is_none() && item.effective_exemption.is_some(),
                    effective: item.effective_exemption.clone(),
                    public_title: item.public_title.clone(),
                };
                (item.id.clone(), head)
            })
            .collect();
        Snapshot {
            view,
            items,
            blocks,
            heads,
        }
    }

    /// Takes the new content of one typed text (see [`crate::changes`]); false when the
    /// text is not shown (a hidden block, an unknown id).
    pub fn patch_text(&mut self, target: &TextTarget, text: String) -> bool {
        match target {
            TextTarget::Block(id) => {
                let Some(&(ii, bi)) = self.blocks.get(&BlockId::from(id.as_str())) else {
                    return false;
                };
                match self
                    .view
                    .items
                    .get_mut(ii)
                    .and_then(|i| i.blocks.get_mut(bi))
                {
                    Some(b) => {
                        b.text = text;
                        true
                    }
                    None => false,
                }
            }
            TextTarget::ItemTitle(id) => {
                let id = ItemId::from(id.as_str());
                let Some(&ii) = self.items.get(&id) else {
                    return false;
                };
                if let Some(h) = self.heads.get_mut(&id) {
                    h.title = text.clone();
                }
                match self.view.items.get_mut(ii) {
                    Some(i) => {
                        i.title = text;
                        true
                    }
                    None => false,
                }
            }
            TextTarget::ActionDescription(id) => {
                match self.view.actions.iter_mut().find(|a| a.id.as_str() == id) {
                    Some(a) => {
                        a.fields.description = text;
                        true
                    }
                    None => false,
                }
            }
        }
    }

    /// Whether `target` is inside an effectively exempt item (its title or one of its
    /// blocks; action descriptions count as outside).
    pub fn in_exempt(&self, target: &TextTarget) -> bool {
        match target {
            TextTarget::Block(id) => self
                .block_ref(&BlockId::from(id.as_str()))
                .is_some_and(|(item, _, _)| item.effective_exemption.is_some()),
            TextTarget::ItemTitle(id) => self
                .item(&ItemId::from(id.as_str()))
                .is_some_and(|i| i.effective_exemption.is_some()),
            TextTarget::ActionDescription(_) => false,
        }
    }

    /// An item by id.
    pub fn item(&self, id: &ItemId) -> Option<&ItemView> {
        self.items.get(id).and_then(|&i| self.view.items.get(i))
    }

    /// Ids of all visible items in reading order.
    pub fn item_ids(&self) -> Vec<ItemId> {
        self.view.items.iter().map(|i| i.id.clone()).collect()
    }

    /// An item's heading data.
    pub fn item_head(&self, id: &ItemId) -> Option<&ItemHead> {
        self.heads.get(id)
    }

    /// Ids of an item's blocks, in order (empty for an unknown item).
    pub fn block_ids(&self, item: &ItemId) -> Vec<BlockId> {
        self.item(item)
            .map(|i| i.blocks.iter().map(|b| b.id.clone()).collect())
            .unwrap_or_default()
    }

    /// A block and where it is.
    pub fn block(&self, id: &BlockId) -> Option<BlockInfo> {
        let (item, position, block) = self.block_ref(id)?;
        Some(BlockInfo {
            item: item.id.clone(),
            item_number: item.number.clone(),
            position,
            block: block.clone(),
        })
    }

    /// A block, its item and its 1-based position, borrowed.
    pub fn block_ref(&self, id: &BlockId) -> Option<(&ItemView, usize, &BlockView)> {
        let &(ii, bi) = self.blocks.get(id)?;
        let item = self.view.items.get(ii)?;
        Some((item, bi + 1, item.blocks.get(bi)?))
    }

    /// A person in the register.
    pub fn person(&self, id: &minutebook_shared::meeting::PersonId) -> Option<&PersonView> {
        self.view.person(id)
    }

    /// How the minutes refer to a person: short form, else name, else "(unnamed)".
    pub fn person_label(&self, id: &minutebook_shared::meeting::PersonId) -> String {
        self.person(id)
            .map(|p| p.person.label().to_owned())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "(unnamed)".to_owned())
    }
}

impl BlockInfo {
    /// Whether this is what [`Snapshot::block_ref`] returned (without cloning it).
    pub fn is(&self, item: &ItemView, position: usize, block: &BlockView) -> bool {
        self.position == position
            && self.item == item.id
            && self.item_number == item.number
            && self.block == *block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::meeting::{BlockKind, Meeting};
    use yrs::{Doc, Transact};

    fn sample() -> (Snapshot, Vec<ItemId>, BlockId) {
        let m = Meeting::new(Doc::new());
        let mut txn = m.doc().transact_mut();
        let one = m.insert_item(&mut txn, None, 0, "One").unwrap();
        let two = m.insert_item(&mut txn, None, 1, "Two").unwrap();
        let sub = m.insert_item(&mut txn, Some(&two), 0, "Sub").unwrap();
        m.insert_block(&mut txn, &sub, 0, BlockKind::Paragraph, "first")
            .unwrap();
        let b = m
            .insert_block(&mut txn, &sub, 1, BlockKind::Decision, "second")
            .unwrap();
        let view = m.view(&txn);
        (Snapshot::new(view), vec![one, two, sub], b)
    }

    #[test]
    fn indexes_items_and_blocks() {
        let (s, ids, b) = sample();
        assert_eq!(s.item_ids(), ids);
        let head = s.item_head(&ids[2]).unwrap();
        assert_eq!(head.number, "2.1");
        assert_eq!(head.depth, 1);
        assert_eq!(head.parent.as_ref(), Some(&ids[1]));
        assert_eq!(head.sibling, (0, 1));
        assert_eq!(s.item_head(&ids[1]).unwrap().sibling, (1, 2));
        let info = s.block(&b).unwrap();
        let (item, pos, block) = s.block_ref(&b).unwrap();
        assert!(info.is(item, pos, block));
        assert_eq!(info.item, ids[2]);
        assert_eq!(info.item_number, "2.1");
        assert_eq!(info.position, 2);
        assert_eq!(info.block.text, "second");
        assert_eq!(s.block_ids(&ids[2]).len(), 2);
        assert!(s.block_ids(&ids[0]).is_empty());
        assert!(s.block(&BlockId::from("nope")).is_none());
    }

    #[test]
    fn patches_texts_in_place() {
        let (mut s, ids, b) = sample();
        assert!(s.patch_text(&TextTarget::Block(b.0.clone()), "changed".into()));
        assert_eq!(s.block(&b).unwrap().block.text, "changed");
        assert!(s.patch_text(&TextTarget::ItemTitle(ids[2].0.clone()), "Renamed".into()));
        assert_eq!(s.item_head(&ids[2]).unwrap().title, "Renamed");
        assert_eq!(s.item(&ids[2]).unwrap().title, "Renamed");
        assert!(!s.patch_text(&TextTarget::Block("nope".into()), "x".into()));
        assert!(!s.patch_text(&TextTarget::ActionDescription("nope".into()), "x".into()));
    }
}
