//! The read side: [`MeetingView`], a plain snapshot of a meeting that the UI and the
//! exporters render, computed deterministically from the document.
//!
//! - People, minute-takers: live entries in `(order, id)` order.
//! - Items: the visible tree of [`super::tree`], flattened in pre-order with numbers.
//! - Blocks: live blocks of visible items, in `(order, id)` order. A block whose item is
//!   deleted (or unknown) is hidden with it — kept in the document, shown again if the item
//!   is restored — so every live block of a visible item is shown exactly once.
//! - Speakers and owners: only people still in the register; speakers only on statements.
//! - Actions, in log order: by where they were raised (item in reading order; "start of
//!   the item" before its first block, then after each block), then `(order, id)`; actions
//!   not raised in a visible item come last. Where an action was raised is resolved as: its
//!   block if that is visible (the block's item wins over the stored item), else its item if
//!   visible, else nowhere.

use super::document::{entity, read_bool, read_ids, read_str, read_text, Meeting};
use super::exemption::Exemption;
use super::model::{
    children_at, ActionFields, ActionId, ActionStatus, Attendance, BlockId, BlockKind, Header,
    ItemId, ItemPath, MeetingStatus, MinuteTaker, MinuteTakerId, Minutes, MinutesAction,
    MinutesBlock, MinutesItem, MinutesPerson, NextMeeting, Person, PersonId, RaisedIn,
};
use super::tree;
use crate::schema::{self, common};
use std::collections::{HashMap, HashSet};
use yrs::{Map, MapRef, Out, ReadTxn};

/// A snapshot of a whole meeting.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MeetingView {
    /// Header.
    pub header: HeaderView,
    /// The attendance register, in order.
    pub people: Vec<PersonView>,
    /// Items in reading order (pre-order), each with its number and depth.
    pub items: Vec<ItemView>,
    /// The action log, in log order.
    pub actions: Vec<ActionView>,
}

/// The header.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HeaderView {
    /// Plain fields.
    pub fields: Header,
    /// The chair, if set and still in the register.
    pub chair: Option<PersonId>,
    /// Minute-takers, in order.
    pub minute_takers: Vec<MinuteTakerView>,
}

/// A minute-taker.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MinuteTakerView {
    /// Id.
    pub id: MinuteTakerId,
    /// Fields.
    pub taker: MinuteTaker,
}

/// A person in the register.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PersonView {
    /// Id.
    pub id: PersonId,
    /// Register fields.
    pub person: Person,
    /// Attendance; a "joined for" item that is not visible shows as `JoinedFor(None)`.
    pub attendance: Attendance<ItemId>,
}

/// An agenda item.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ItemView {
    /// Id.
    pub id: ItemId,
    /// Visible parent.
    pub parent: Option<ItemId>,
    /// Position in the tree.
    pub path: ItemPath,
    /// Number shown, e.g. "2.1".
    pub number: String,
    /// 0 for top-level items.
    pub depth: usize,
    /// Title.
    pub title: String,
    /// A standing item (every meeting of the series has it).
    pub standing: bool,
    /// The item's own exemption ([`schema::item::EXEMPT`]), if it is marked exempt.
    pub exemption: Option<Exemption>,
    /// The stored public title ([`schema::item::PUBLIC_TITLE`], "" when unset); see
    /// [`ItemView::public_heading`].
    pub public_title: String,
    /// The exemption that applies: its own, else its nearest exempt ancestor's.
    pub effective_exemption: Option<Exemption>,
    /// The outermost exempt item among itself and its ancestors: the one whose placeholder
    /// stands for it (with all its sub-items) in the public version.
    pub withheld_by: Option<ItemId>,
    /// Blocks, in order.
    pub blocks: Vec<BlockView>,
}

impl ItemView {
    /// The title the public version shows in the heading: the public title when one is
    /// set, else the title.
    pub fn public_heading(&self) -> &str {
        if self.public_title.is_empty() {
            &self.title
        } else {
            &self.public_title
        }
    }
}

/// A block.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlockView {
    /// Id.
    pub id: BlockId,
    /// Kind.
    pub kind: BlockKind,
    /// Text.
    pub text: String,
    /// Speakers (statements only).
    pub speakers: Vec<PersonId>,
}

/// An action.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ActionView {
    /// Id.
    pub id: ActionId,
    /// Description, due date, status, reference.
    pub fields: ActionFields,
    /// Owners still in the register.
    pub owners: Vec<PersonId>,
    /// The visible item where it was raised.
    pub item: Option<ItemId>,
    /// The visible block after which it was raised.
    pub block: Option<BlockId>,
}

impl MeetingView {
    /// A person by id.
    pub fn person(&self, id: &PersonId) -> Option<&PersonView> {
        self.people.iter().find(|p| &p.id == id)
    }

    /// An item by id.
    pub fn item(&self, id: &ItemId) -> Option<&ItemView> {
        self.items.iter().find(|i| &i.id == id)
    }

    /// Actions raised at one place: at the start of `item` (`block == None`) or after `block`.
    pub fn actions_at<'a>(
        &'a self,
        item: &'a ItemId,
        block: Option<&'a BlockId>,
    ) -> impl Iterator<Item = &'a ActionView> + 'a {
        self.actions
            .iter()
            .filter(move |a| a.item.as_ref() == Some(item) && a.block.as_ref() == block)
    }
}

/// Lookups into a [`MeetingView`] built once, so a renderer that looks up people, items
/// and actions for every line stays linear in the meeting's size (the lookups on
/// [`MeetingView`] itself scan).
pub struct ViewIndex<'a> {
    view: &'a MeetingView,
    people: HashMap<&'a str, usize>,
    items: HashMap<&'a str, usize>,
    /// Block id → its position in its item.
    blocks: HashMap<&'a str, usize>,
    /// Item id → actions raised at its start.
    at_start: HashMap<&'a str, Vec<&'a ActionView>>,
    /// Block id → actions raised after it.
    after_block: HashMap<&'a str, Vec<&'a ActionView>>,
}

impl<'a> ViewIndex<'a> {
    /// Indexes `view`.
    pub fn new(view: &'a MeetingView) -> Self {
        let mut at_start: HashMap<&str, Vec<&ActionView>> = HashMap::new();
        let mut after_block: HashMap<&str, Vec<&ActionView>> = HashMap::new();
        for a in &view.actions {
            match (&a.item, &a.block) {
                (Some(item), None) => at_start.entry(item.as_str()).or_default().push(a),
                (Some(_), Some(block)) => after_block.entry(block.as_str()).or_default().push(a),
                (None, _) => {}
            }
        }
        ViewIndex {
            view,
            people: view
                .people
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect(),
            items: view
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| (it.id.as_str(), i))
                .collect(),
            blocks: view
                .items
                .iter()
                .flat_map(|it| {
                    it.blocks
                        .iter()
                        .enumerate()
                        .map(|(i, b)| (b.id.as_str(), i))
                })
                .collect(),
            at_start,
            after_block,
        }
    }

    /// A person by id.
    pub fn person(&self, id: &PersonId) -> Option<&'a PersonView> {
        self.people.get(id.as_str()).map(|&i| &self.view.people[i])
    }

    /// The position of a person in the register.
    pub fn person_position(&self, id: &PersonId) -> Option<usize> {
        self.people.get(id.as_str()).copied()
    }

    /// An item by id.
    pub fn item(&self, id: &ItemId) -> Option<&'a ItemView> {
        self.items.get(id.as_str()).map(|&i| &self.view.items[i])
    }

    /// The position of a block within its item.
    pub fn block_position(&self, id: &BlockId) -> Option<usize> {
        self.blocks.get(id.as_str()).copied()
    }

    /// Like [`MeetingView::actions_at`], in log order.
    pub fn actions_at<'s>(
        &'s self,
        item: &'s ItemId,
        block: Option<&BlockId>,
    ) -> impl Iterator<Item = &'a ActionView> + 's {
        let list = match block {
            None => self.at_start.get(item.as_str()),
            Some(b) => self.after_block.get(b.as_str()),
        };
        list.map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(move |a| a.item.as_ref() == Some(item))
    }
}

impl Meeting {
    /// A snapshot of the meeting (see the module docs for the rules).
    pub fn view<T: ReadTxn>(&self, txn: &T) -> MeetingView {
        self.view_with::<T, T>(txn, None)
    }

    /// The full snapshot: this (the main) document merged with its Part II document
    /// `part2` ([`super::part2`]), read through `txn2`. Part II content shows only inside
    /// items the main document marks exempt: titles of exempt items, their sub-items,
    /// blocks and actions. Anything else `part2` holds is ignored, so un-marking an item in
    /// the main document can never make restricted text part of the public version.
    pub fn full_view<T: ReadTxn, U: ReadTxn>(
        &self,
        txn: &T,
        part2: &Meeting,
        txn2: &U,
    ) -> MeetingView {
        self.view_with(txn, Some((part2, txn2)))
    }

    fn view_with<T: ReadTxn, U: ReadTxn>(
        &self,
        txn: &T,
        part2: Option<(&Meeting, &U)>,
    ) -> MeetingView {
        let people: Vec<PersonView> = sorted_live(&self.people, txn, false)
            .into_iter()
            .map(|(id, m, _)| PersonView {
                id: PersonId(id),
                person: Person {
                    name: read_str(&m, txn, schema::person::NAME),
                    capacity: read_str(&m, txn, schema::person::CAPACITY),
                    short: read_str(&m, txn, schema::person::SHORT),
                    organisation: read_str(&m, txn, schema::person::ORGANISATION),
                },
                attendance: read_attendance(&m, txn),
            })
            .collect();
        let live_people: HashSet<String> = people.iter().map(|p| p.id.0.clone()).collect();
        let person_ok = |id: &String| live_people.contains(id);

        let mut nodes = item_nodes(&self.items, txn);
        // Part II: its items (by id) and the restricted sub-items admitted into the tree.
        let mut part2_items: HashMap<String, RawItem> = HashMap::new();
        if let Some((p2, txn2)) = part2 {
            let exempt = exempt_in(&self.items, txn, &nodes);
            let main_ids: HashSet<String> = nodes.iter().map(|n| n.id.clone()).collect();
            let extra: Vec<tree::Node> = item_nodes(&p2.items, txn2)
                .into_iter()
                .filter(|n| !main_ids.contains(&n.id))
                .collect();
            let admitted: HashSet<String> = admitted_under(&extra, &exempt)
                .into_iter()
                .map(str::to_owned)
                .collect();
            for (id, m, _) in sorted_live(&p2.items, txn2, true) {
                part2_items.insert(id, RawItem::read(&m, txn2));
            }
            nodes.extend(
                extra
                    .into_iter()
                    .filter(|n| admitted.contains(n.id.as_str())),
            );
        }
        let visible = tree::visible(&nodes);
        let mut items = Vec::with_capacity(visible.len());
        for v in &visible {
            let raw = match entity(&self.items, txn, &v.id) {
                Some(m) => RawItem::read(&m, txn),
                None => match part2_items.get(&v.id) {
                    // A restricted sub-item: exempt with its parent, never on its own.
                    Some(raw) => RawItem {
                        exemption: None,
                        public_title: String::new(),
                        ..raw.clone()
                    },
                    None => continue,
                },
            };
            items.push(ItemView {
                id: ItemId(v.id.clone()),
                parent: v.parent.clone().map(ItemId),
                number: ItemPath(v.path.clone()).number(),
                path: ItemPath(v.path.clone()),
                depth: v.path.len().saturating_sub(1),
                title: raw.title,
                standing: raw.standing,
                exemption: raw.exemption,
                public_title: raw.public_title,
                effective_exemption: None,
                withheld_by: None,
                blocks: Vec::new(),
            });
        }
        inherit_exemptions(&mut items);

        let mut blocks_by_item: HashMap<String, Vec<RawBlock>> = HashMap::new();
        let main_blocks = raw_blocks(&self.blocks, txn);
        let main_block_ids: HashSet<String> =
            main_blocks.iter().map(|b| b.view.id.0.clone()).collect();
        for b in main_blocks {
            blocks_by_item.entry(b.item.clone()).or_default().push(b);
        }
        let mut part2_blocks: HashMap<String, Vec<RawBlock>> = HashMap::new();
        if let Some((p2, txn2)) = part2 {
            for b in raw_blocks(&p2.blocks, txn2) {
                if !main_block_ids.contains(&b.view.id.0) {
                    part2_blocks.entry(b.item.clone()).or_default().push(b);
                }
            }
        }
        for item in &mut items {
            let mut blocks = blocks_by_item.remove(item.id.as_str()).unwrap_or_default();
            if item.effective_exemption.is_some() {
                if let Some(raw) = part2_items.get(item.id.as_str()) {
                    item.title = raw.title.clone();
                }
                blocks.extend(part2_blocks.remove(item.id.as_str()).unwrap_or_default());
            }
            blocks.sort_by(|a, b| (&a.key, &a.view.id).cmp(&(&b.key, &b.view.id)));
            item.blocks = blocks
                .into_iter()
                .map(|mut b| {
                    b.view.speakers.retain(|p| person_ok(&p.0));
                    b.view
                })
                .collect();
        }

        let shown: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let exempt_items: HashSet<&str> = items
            .iter()
            .filter(|i| i.effective_exemption.is_some())
            .map(|i| i.id.as_str())
            .collect();
        let people: Vec<PersonView> = people
            .into_iter()
            .map(|mut p| {
                if let Attendance::JoinedFor(Some(item)) = &p.attendance {
                    if !shown.contains(item.as_str()) {
                        p.attendance = Attendance::JoinedFor(None);
                    }
                }
                p
            })
            .collect();

        // Anchor positions for the log order: (item index, 0 = start / 1 + block index).
        let mut anchors: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut block_item: HashMap<&str, &ItemId> = HashMap::new();
        for (ii, item) in items.iter().enumerate() {
            anchors.insert(item.id.as_str(), (ii, 0));
            for (bi, b) in item.blocks.iter().enumerate() {
                anchors.insert(b.id.as_str(), (ii, bi + 1));
                block_item.insert(b.id.as_str(), &item.id);
            }
        }
        let mut raw_actions: Vec<(RawAction, bool)> = raw_actions_of(&self.actions, txn)
            .into_iter()
            .map(|a| (a, false))
            .collect();
        if let Some((p2, txn2)) = part2 {
            let main_ids: HashSet<String> = raw_actions
                .iter()
                .map(|(a, _)| a.view.id.0.clone())
                .collect();
            raw_actions.extend(
                raw_actions_of(&p2.actions, txn2)
                    .into_iter()
                    .filter(|a| !main_ids.contains(&a.view.id.0))
                    .map(|a| (a, true)),
            );
        }
        let mut actions: Vec<((usize, usize), String, ActionView)> = raw_actions
            .into_iter()
            .filter_map(|(raw, restricted)| {
                let RawAction {
                    key,
                    item: stored_item,
                    block: stored_block,
                    mut view,
                } = raw;
                let (item, block) = if let Some(item) = block_item.get(stored_block.as_str()) {
                    (Some((*item).clone()), Some(BlockId(stored_block)))
                } else if shown.contains(stored_item.as_str()) {
                    (Some(ItemId(stored_item)), None)
                } else {
                    (None, None)
                };
                // A Part II action shows only where it was raised in an exempt item.
                if restricted
                    && !item
                        .as_ref()
                        .is_some_and(|i| exempt_items.contains(i.as_str()))
                {
                    return None;
                }
                let anchor = match (&block, &item) {
                    (Some(b), _) => anchors.get(b.as_str()).copied(),
                    (None, Some(i)) => anchors.get(i.as_str()).copied(),
                    (None, None) => None,
                }
                .unwrap_or((usize::MAX, 0));
                view.owners.retain(|p| person_ok(&p.0));
                view.item = item;
                view.block = block;
                Some((anchor, key, view))
            })
            .collect();
        actions.sort_by(|a, b| (a.0, &a.1, &a.2.id).cmp(&(b.0, &b.1, &b.2.id)));
        let actions = actions.into_iter().map(|(_, _, a)| a).collect();

        let h = &self.header;
        use schema::header as f;
        let chair = read_str(h, txn, f::CHAIR);
        let header = HeaderView {
            fields: Header {
                title: read_str(h, txn, f::TITLE),
                series: read_str(h, txn, f::SERIES),
                date: read_str(h, txn, f::DATE),
                start_time: read_str(h, txn, f::START_TIME),
                venue: read_str(h, txn, f::VENUE),
                status: MeetingStatus::parse(&read_str(h, txn, f::STATUS)).unwrap_or_default(),
                next: NextMeeting {
                    date: read_str(h, txn, f::NEXT_DATE),
                    time: read_str(h, txn, f::NEXT_TIME),
                    kind: read_str(h, txn, f::NEXT_TYPE),
                    venue: read_str(h, txn, f::NEXT_VENUE),
                },
            },
            chair: person_ok(&chair).then_some(PersonId(chair)),
            minute_takers: sorted_live(&self.minute_takers, txn, false)
                .into_iter()
                .map(|(id, m, _)| MinuteTakerView {
                    id: MinuteTakerId(id),
                    taker: MinuteTaker {
                        name: read_str(&m, txn, schema::minute_taker::NAME),
                        capacity: read_str(&m, txn, schema::minute_taker::CAPACITY),
                        organisation: read_str(&m, txn, schema::minute_taker::ORGANISATION),
                    },
                })
                .collect(),
        };
        MeetingView {
            header,
            people,
            items,
            actions,
        }
    }
}

impl Minutes {
    /// The id-free structure of a view: what importing its export must reproduce.
    pub fn from_view(view: &MeetingView) -> Minutes {
        let index = ViewIndex::new(view);
        let person_ix: HashMap<&PersonId, usize> = view
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.id, i))
            .collect();
        let people_of = |ids: &[PersonId]| -> Vec<usize> {
            ids.iter()
                .filter_map(|i| person_ix.get(i).copied())
                .collect()
        };
        let path_of: HashMap<&ItemId, &ItemPath> =
            view.items.iter().map(|i| (&i.id, &i.path)).collect();

        // Rebuild the nested items from the pre-order list and the paths.
        let mut roots: Vec<MinutesItem> = Vec::new();
        for item in &view.items {
            let minutes_item = MinutesItem {
                title: item.title.clone(),
                standing: item.standing,
                exemption: item.exemption.clone(),
                public_title: if item.exemption.is_some() {
                    item.public_title.clone()
                } else {
                    String::new()
                },
                blocks: item
                    .blocks
                    .iter()
                    .map(|b| MinutesBlock {
                        kind: b.kind,
                        text: b.text.clone(),
                        speakers: people_of(&b.speakers),
                    })
                    .collect(),
                children: Vec::new(),
            };
            let Some((_, parents)) = item.path.0.split_last() else {
                continue;
            };
            if let Some(list) = children_at(&mut roots, parents) {
                list.push(minutes_item);
            }
        }

        let actions = view
            .actions
            .iter()
            .map(|a| MinutesAction {
                fields: a.fields.clone(),
                owners: people_of(&a.owners),
                raised_in: a.item.as_ref().and_then(|i| {
                    let item = index.item(i)?;
                    Some(RaisedIn {
                        item: item.path.clone(),
                        block: a
                            .block
                            .as_ref()
                            .and_then(|b| index.block_position(b))
                            .filter(|&p| item.blocks.get(p).map(|x| &x.id) == a.block.as_ref()),
                    })
                }),
            })
            .collect();

        Minutes {
            header: view.header.fields.clone(),
            chair: view
                .header
                .chair
                .as_ref()
                .and_then(|c| person_ix.get(c).copied()),
            minute_takers: view
                .header
                .minute_takers
                .iter()
                .map(|t| t.taker.clone())
                .collect(),
            people: view
                .people
                .iter()
                .map(|p| MinutesPerson {
                    person: p.person.clone(),
                    attendance: match &p.attendance {
                        Attendance::Present => Attendance::Present,
                        Attendance::Apologies => Attendance::Apologies,
                        Attendance::Absent => Attendance::Absent,
                        Attendance::Unknown => Attendance::Unknown,
                        Attendance::JoinedFor(i) => Attendance::JoinedFor(
                            i.as_ref()
                                .and_then(|i| path_of.get(i).map(|p| (*p).clone())),
                        ),
                    },
                })
                .collect(),
            items: roots,
            actions,
        }
    }
}

/// An item's own fields as stored.
#[derive(Clone)]
struct RawItem {
    title: String,
    standing: bool,
    exemption: Option<Exemption>,
    public_title: String,
}

impl RawItem {
    fn read<T: ReadTxn>(m: &MapRef, txn: &T) -> Self {
        RawItem {
            title: read_text(m, txn, schema::item::TITLE),
            standing: read_bool(m, txn, schema::item::STANDING),
            exemption: Exemption::from_stored(
                &read_str(m, txn, schema::item::EXEMPT),
                &read_str(m, txn, schema::item::EXEMPT_NOTE),
            ),
            public_title: read_str(m, txn, schema::item::PUBLIC_TITLE),
        }
    }
}

/// A live block as stored: its item, order key and view (speakers not yet checked
/// against the register).
struct RawBlock {
    item: String,
    key: String,
    view: BlockView,
}

fn raw_blocks<T: ReadTxn>(blocks: &MapRef, txn: &T) -> Vec<RawBlock> {
    sorted_live(blocks, txn, false)
        .into_iter()
        .map(|(id, b, key)| {
            let kind =
                BlockKind::parse(&read_str(&b, txn, schema::block::KIND)).unwrap_or_default();
            let speakers = if kind == BlockKind::Statement {
                read_ids(&b, txn, schema::block::SPEAKERS)
                    .into_iter()
                    .map(PersonId)
                    .collect()
            } else {
                Vec::new()
            };
            RawBlock {
                item: read_str(&b, txn, schema::block::ITEM),
                key,
                view: BlockView {
                    id: BlockId(id),
                    kind,
                    text: read_text(&b, txn, schema::block::TEXT),
                    speakers,
                },
            }
        })
        .collect()
}

/// A live action as stored: order key, where it was raised, and its view (owners not yet
/// checked, place not yet resolved).
struct RawAction {
    key: String,
    item: String,
    block: String,
    view: ActionView,
}

fn raw_actions_of<T: ReadTxn>(actions: &MapRef, txn: &T) -> Vec<RawAction> {
    sorted_live(actions, txn, false)
        .into_iter()
        .map(|(id, m, key)| {
            let reference = read_str(&m, txn, schema::action::REFERENCE);
            RawAction {
                key,
                item: read_str(&m, txn, schema::action::ITEM),
                block: read_str(&m, txn, schema::action::BLOCK),
                view: ActionView {
                    id: ActionId(id),
                    fields: ActionFields {
                        description: read_text(&m, txn, schema::action::DESCRIPTION),
                        due: read_str(&m, txn, schema::action::DUE),
                        status: ActionStatus::parse(&read_str(&m, txn, schema::action::STATUS))
                            .unwrap_or_default(),
                        reference: (!reference.is_empty()).then_some(reference),
                    },
                    owners: read_ids(&m, txn, schema::action::OWNERS)
                        .into_iter()
                        .map(PersonId)
                        .collect(),
                    item: None,
                    block: None,
                },
            }
        })
        .collect()
}

/// The ids of the items of `nodes` (the main document's) that are exempt, themselves or
/// through an ancestor, in the visible tree.
fn exempt_in<T: ReadTxn>(items: &MapRef, txn: &T, nodes: &[tree::Node]) -> HashSet<String> {
    let mut exempt: HashSet<String> = HashSet::new();
    for v in tree::visible(nodes) {
        let own = entity(items, txn, &v.id)
            .is_some_and(|m| !read_str(&m, txn, schema::item::EXEMPT).is_empty());
        if own || v.parent.as_ref().is_some_and(|p| exempt.contains(p)) {
            exempt.insert(v.id);
        }
    }
    exempt
}

/// The Part II items of `extra` whose chain of parents (through other Part II items)
/// reaches an exempt item of the main document.
fn admitted_under<'a>(extra: &'a [tree::Node], exempt: &HashSet<String>) -> HashSet<&'a str> {
    let parent: HashMap<&str, &str> = extra
        .iter()
        .map(|n| (n.id.as_str(), n.parent.as_str()))
        .collect();
    let mut admitted: HashSet<&str> = HashSet::new();
    for n in extra {
        let mut cur = n.parent.as_str();
        // A chain is at most as long as the Part II items (a cycle never reaches one).
        for _ in 0..=extra.len() {
            if exempt.contains(cur) || admitted.contains(cur) {
                admitted.insert(n.id.as_str());
                break;
            }
            match parent.get(cur) {
                Some(p) => cur = p,
                None => break,
            }
        }
    }
    admitted
}

/// Fills in each item's effective exemption and the item it is withheld with (items are in
/// pre-order, so a parent comes before its sub-items).
fn inherit_exemptions(items: &mut [ItemView]) {
    let mut at: HashMap<ItemId, usize> = HashMap::with_capacity(items.len());
    for i in 0..items.len() {
        let inherited = items[i].parent.as_ref().and_then(|p| at.get(p)).map(|&p| {
            (
                items[p].effective_exemption.clone(),
                items[p].withheld_by.clone(),
            )
        });
        let (parent_effective, parent_withheld_by) = inherited.unwrap_or_default();
        let item = &mut items[i];
        item.effective_exemption = item.exemption.clone().or(parent_effective);
        item.withheld_by =
            parent_withheld_by.or_else(|| item.exemption.is_some().then(|| item.id.clone()));
        at.insert(item.id.clone(), i);
    }
}

fn read_attendance<T: ReadTxn>(m: &MapRef, txn: &T) -> Attendance<ItemId> {
    use schema::attendance as v;
    match read_str(m, txn, schema::person::ATTENDANCE).as_str() {
        v::APOLOGIES => Attendance::Apologies,
        v::ABSENT => Attendance::Absent,
        v::UNKNOWN => Attendance::Unknown,
        v::JOINED => {
            let item = read_str(m, txn, schema::person::JOINED_ITEM);
            Attendance::JoinedFor((!item.is_empty()).then_some(ItemId(item)))
        }
        _ => Attendance::Present,
    }
}

/// Every stored item as a [`tree::Node`].
pub(crate) fn item_nodes<T: ReadTxn>(items: &MapRef, txn: &T) -> Vec<tree::Node> {
    items
        .iter(txn)
        .filter_map(|(id, v)| match v {
            Out::YMap(m) => Some(tree::Node {
                id: id.to_owned(),
                parent: read_str(&m, txn, schema::item::PARENT),
                order: read_str(&m, txn, common::ORDER),
                deleted: read_bool(&m, txn, common::DELETED),
            }),
            _ => None,
        })
        .collect()
}

/// Entities of a flat root map as `(id, map, order key)`, sorted by `(order, id)`;
/// tombstoned ones only with `include_deleted`.
pub(crate) fn sorted_live<T: ReadTxn>(
    root: &MapRef,
    txn: &T,
    include_deleted: bool,
) -> Vec<(String, MapRef, String)> {
    let mut out: Vec<(String, MapRef, String)> = root
        .iter(txn)
        .filter_map(|(id, v)| match v {
            Out::YMap(m) if include_deleted || !read_bool(&m, txn, common::DELETED) => {
                let key = read_str(&m, txn, common::ORDER);
                Some((id.to_owned(), m, key))
            }
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
    out
}

/// Ids of the live blocks of one item, in order.
pub(crate) fn item_block_ids<T: ReadTxn>(blocks: &MapRef, txn: &T, item: &str) -> Vec<String> {
    sorted_live(blocks, txn, false)
        .into_iter()
        .filter(|(_, m, _)| read_str(m, txn, schema::block::ITEM) == item)
        .map(|(id, _, _)| id)
        .collect()
}
