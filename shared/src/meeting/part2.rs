//! Part II of a meeting: its exempt items' restricted content lives in a second Yjs
//! document, because a Yjs document cannot be partly shared.
//!
//! - The **main document** (which every invited member syncs) keeps each exempt item as a
//!   placeholder: its place in the agenda (parent, order), its exemption, its public title
//!   and an empty title. Nothing else of it.
//! - The **Part II document** uses the same schema. It holds, under the same ids, the
//!   exempt items' restricted titles, their sub-items, blocks and actions. Only members
//!   with restricted access sync it.
//! - The full view is the main document merged with Part II ([`Meeting::full_view`]);
//!   Part II content counts only inside items the main document marks exempt.
//!
//! Moving content typed in the main document into Part II ([`move_into_part2`]) copies it
//! into the Part II document and *rebuilds* the main document without it: a new document
//! holding only the current content (no history, no deleted text) under a new client id.
//! The clients of the old document ([`Rebuilt::retired`]) can never write to the new one,
//! so no offline copy or undo stack can bring the moved text back.

use std::collections::HashSet;

mod strays;
pub use strays::{strays, strays_in, Stray};

use serde::{Deserialize, Serialize};

use yrs::types::text::TextPrelim;
use yrs::{Any, ArrayPrelim, Doc, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, Transact};
use yrs::{StateVector, TransactionMut};

use super::document::{entity, read_str, Meeting};
use super::exemption::Exemption;
use super::model::ItemId;
use super::ops::OpError;
use super::tree;
use super::view::item_nodes;
use crate::schema;

/// How deep [`copy_map`] follows nested maps (entities nest one level; anything deeper is
/// not part of the schema and is not copied).
const MAX_COPY_DEPTH: usize = 4;

/// What [`move_into_part2`] produced.
pub struct Rebuilt {
    /// The update that adds the moved content to the Part II document (already applied
    /// to it; empty when nothing changed there).
    pub part2_update: Vec<u8>,
    /// The new main document: the old one's current content without the moved text and
    /// without history.
    pub main: Doc,
    /// The new main document's whole state as one update.
    pub main_state: Vec<u8>,
    /// The client ids of the old main document: none of them may write to the new one.
    pub retired: Vec<u64>,
    /// How many items (the exempt one and its sub-items), blocks and actions moved.
    pub moved: Moved,
}

/// The longest public title an exempt item may be given, in characters.
pub const MAX_PUBLIC_TITLE_CHARS: usize = 300;

/// `POST /api/meetings/{name}/items/{id}/exempt`: mark the item exempt and move its
/// content into Part II.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExemptRequest {
    /// [`Exemption::code`]: "12A:1" … "12A:7", or "confidential".
    pub exemption: String,
    /// With "confidential": the reason in words (at most
    /// [`MAX_NOTE_CHARS`](super::exemption::MAX_NOTE_CHARS) characters).
    #[serde(default)]
    pub note: String,
    /// The title the public version shows ("" = the placeholder's label alone).
    #[serde(default)]
    pub public_title: String,
}

/// One of Part II's statements as the attendee it is attributed to sees it (`GET
/// /api/meetings/{name}/restricted/mine`): its text to confirm, and nothing else of the
/// exempt item but its number and what the public version calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnStatement {
    /// The statement's block id (confirm and correct it through the ledger API).
    pub block: String,
    /// The number of the item it is in.
    pub item: String,
    /// The exempt item's public heading: its label and public title.
    pub heading: String,
    /// The statement's text.
    pub text: String,
    /// Its SHA-256 (what a confirmation is bound to).
    pub sha256: String,
}

/// The statements of `view`'s exempt items that register person `person` is a speaker of.
pub fn own_statements(view: &super::MeetingView, person: &str) -> Vec<OwnStatement> {
    let mut out = Vec::new();
    for item in view.items.iter() {
        let Some(exemption) = &item.effective_exemption else {
            continue;
        };
        for b in &item.blocks {
            if b.speakers.iter().any(|s| s.0 == person) {
                let heading = match view
                    .items
                    .iter()
                    .find(|i| Some(&i.id) == item.withheld_by.as_ref())
                {
                    Some(root) if !root.public_title.is_empty() => {
                        format!("{} — {}", exemption.label(), root.public_title)
                    }
                    _ => exemption.label(),
                };
                out.push(OwnStatement {
                    block: b.id.0.clone(),
                    item: item.number.clone(),
                    heading,
                    text: b.text.clone(),
                    sha256: crate::trust::statement_hash(&b.text),
                });
            }
        }
    }
    out
}

/// Counts of what moved into Part II (the answer to an [`ExemptRequest`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub items: usize,
    pub blocks: usize,
    pub actions: usize,
}

/// Marks `item` exempt for `exemption` with `public_title`, and moves its restricted
/// content (title, sub-items, blocks, actions) from `main` into `part2`.
///
/// `part2` is changed in place (see [`Rebuilt::part2_update`]); `main` is not: the caller
/// replaces it with [`Rebuilt::main`]. Refuses an item that is not live and visible.
pub fn move_into_part2(
    main: &Meeting,
    part2: &Meeting,
    item: &ItemId,
    exemption: &Exemption,
    public_title: &str,
) -> Result<Rebuilt, OpError> {
    // The walking-skeleton text, if the document has one (taken before reading).
    let main_text = main.doc().get_or_insert_text(schema::TEXT);
    let rtxn = main.doc().transact();
    let nodes = item_nodes(&main.items, &rtxn);
    if !tree::visible(&nodes).iter().any(|v| v.id == item.0) {
        return Err(OpError::UnknownItem(item.0.clone()));
    }
    let subtree = subtree_of(&nodes, &item.0);
    let blocks: HashSet<String> = main
        .blocks
        .iter(&rtxn)
        .filter_map(|(id, v)| match v {
            Out::YMap(m) if subtree.contains(&read_str(&m, &rtxn, schema::block::ITEM)) => {
                Some(id.to_owned())
            }
            _ => None,
        })
        .collect();
    let actions: HashSet<String> = main
        .actions
        .iter(&rtxn)
        .filter_map(|(id, v)| match v {
            Out::YMap(m)
                if subtree.contains(&read_str(&m, &rtxn, schema::action::ITEM))
                    || blocks.contains(&read_str(&m, &rtxn, schema::action::BLOCK)) =>
            {
                Some(id.to_owned())
            }
            _ => None,
        })
        .collect();

    // 1. Part II receives the content.
    let part2_update = {
        let mut wtxn = part2.doc().transact_mut();
        for id in &subtree {
            let Some(src) = entity(&main.items, &rtxn, id) else {
                continue;
            };
            if id == &item.0 {
                // The exempt item itself: only its restricted title (its place, exemption
                // and public title stay in the main document).
                // A title typed since an earlier move replaces the one Part II holds.
                let title = read_str(&src, &rtxn, schema::item::TITLE);
                if !title.is_empty() || entity(&part2.items, &wtxn, id).is_none() {
                    let dst: MapRef =
                        part2
                            .items
                            .insert(&mut wtxn, id.as_str(), MapPrelim::default());
                    dst.insert(&mut wtxn, schema::item::TITLE, TextPrelim::new(title));
                }
            } else {
                copy_entity(&src, &rtxn, &part2.items, &mut wtxn, id, &[]);
            }
        }
        for id in &blocks {
            if let Some(src) = entity(&main.blocks, &rtxn, id) {
                copy_entity(&src, &rtxn, &part2.blocks, &mut wtxn, id, &[]);
            }
        }
        for id in &actions {
            if let Some(src) = entity(&main.actions, &rtxn, id) {
                copy_entity(&src, &rtxn, &part2.actions, &mut wtxn, id, &[]);
            }
        }
        let changed = wtxn.before_state() != wtxn.after_state();
        if changed {
            wtxn.encode_update_v1()
        } else {
            Vec::new()
        }
    };

    // 2. The main document is rebuilt without it.
    let retired: Vec<u64> = rtxn
        .state_vector()
        .iter()
        .map(|(client, _)| client.get())
        .collect();
    let new = fresh_doc(&retired);
    let rebuilt = Meeting::new(new.clone());
    // Root handles are taken before any transaction: yrs would wait for the open one.
    let new_text = new.get_or_insert_text(schema::TEXT);
    {
        let mut wtxn = new.transact_mut();
        copy_roots(main, &rtxn, &rebuilt, &mut wtxn, |root, id| match root {
            schema::ITEMS if id == item.0 => Some(&[schema::item::TITLE]),
            schema::ITEMS if subtree.contains(id) => None,
            schema::BLOCKS if blocks.contains(id) => None,
            schema::ACTIONS if actions.contains(id) => None,
            _ => Some(&[]),
        });
        let content = main_text.get_string(&rtxn);
        if !content.is_empty() {
            yrs::Text::insert(&new_text, &mut wtxn, 0, &content);
        }
        if let Some(m) = entity(&rebuilt.items, &wtxn, &item.0) {
            m.insert(&mut wtxn, schema::item::TITLE, TextPrelim::new(""));
        }
        rebuilt.set_exemption(&mut wtxn, item, Some(exemption))?;
        rebuilt.set_public_title(&mut wtxn, item, public_title)?;
    }
    let main_state = new
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    Ok(Rebuilt {
        part2_update,
        main: new,
        main_state,
        retired,
        moved: Moved {
            items: subtree.len(),
            blocks: blocks.len(),
            actions: actions.len(),
        },
    })
}

/// The updates of [`move_into_part1`].
pub struct Restored {
    /// The change to the minutes (already applied to them).
    pub main_update: Vec<u8>,
    /// The change to Part II (already applied to it; empty when it held nothing).
    pub part2_update: Vec<u8>,
    /// How much moved back.
    pub moved: Moved,
}

/// Makes exempt item `item` public again: its Part II content (restricted title,
/// sub-items, blocks, actions) is copied into the minutes, removed from Part II, and the
/// item's exemption and public title are cleared. Both documents are changed in place.
/// The text is then in the minutes every invited member syncs: the caller must mean it.
pub fn move_into_part1(
    main: &Meeting,
    part2: &Meeting,
    item: &ItemId,
) -> Result<Restored, OpError> {
    let mut mtxn = main.doc().transact_mut();
    let mut ptxn = part2.doc().transact_mut();
    let nodes = item_nodes(&main.items, &mtxn);
    if !tree::visible(&nodes).iter().any(|v| v.id == item.0) {
        return Err(OpError::UnknownItem(item.0.clone()));
    }
    let part2_nodes = item_nodes(&part2.items, &ptxn);
    let subtree = subtree_of(&part2_nodes, &item.0);
    let blocks = ids_where(&part2.blocks, &ptxn, |m, t| {
        subtree.contains(&read_str(m, t, schema::block::ITEM))
    });
    let actions = ids_where(&part2.actions, &ptxn, |m, t| {
        subtree.contains(&read_str(m, t, schema::action::ITEM))
            || blocks.contains(&read_str(m, t, schema::action::BLOCK))
    });
    for id in &subtree {
        let Some(src) = entity(&part2.items, &ptxn, id) else {
            continue;
        };
        if id == &item.0 {
            if let Some(dst) = entity(&main.items, &mtxn, id) {
                let title = read_str(&src, &ptxn, schema::item::TITLE);
                dst.insert(&mut mtxn, schema::item::TITLE, TextPrelim::new(title));
            }
        } else {
            copy_entity(&src, &ptxn, &main.items, &mut mtxn, id, &[]);
        }
    }
    for (root, dst, ids) in [
        (&part2.blocks, &main.blocks, &blocks),
        (&part2.actions, &main.actions, &actions),
    ] {
        for id in ids {
            if let Some(src) = entity(root, &ptxn, id) {
                copy_entity(&src, &ptxn, dst, &mut mtxn, id, &[]);
            }
        }
    }
    main.set_exemption(&mut mtxn, item, None)?;
    main.set_public_title(&mut mtxn, item, "")?;
    for id in &subtree {
        part2.items.remove(&mut ptxn, id);
    }
    for id in &blocks {
        part2.blocks.remove(&mut ptxn, id);
    }
    for id in &actions {
        part2.actions.remove(&mut ptxn, id);
    }
    let part2_update = if ptxn.before_state() != ptxn.after_state() || !ptxn.delete_set().is_empty()
    {
        ptxn.encode_update_v1()
    } else {
        Vec::new()
    };
    Ok(Restored {
        main_update: mtxn.encode_update_v1(),
        part2_update,
        moved: Moved {
            items: subtree.len(),
            blocks: blocks.len(),
            actions: actions.len(),
        },
    })
}

/// The ids of the entities of `root` for which `pick` holds.
fn ids_where<T: ReadTxn>(
    root: &MapRef,
    txn: &T,
    pick: impl Fn(&MapRef, &T) -> bool,
) -> HashSet<String> {
    root.iter(txn)
        .filter_map(|(id, v)| match v {
            Out::YMap(m) if pick(&m, txn) => Some(id.to_owned()),
            _ => None,
        })
        .collect()
}

/// Copies every root of `src` into `dst` (a new document's handle): the header's fields,
/// and each entity for which `keep(root, id)` gives the fields to leave out (`None`:
/// leave the entity out).
fn copy_roots<T: ReadTxn>(
    src: &Meeting,
    rtxn: &T,
    dst: &Meeting,
    wtxn: &mut TransactionMut,
    keep: impl Fn(&str, &str) -> Option<&'static [&'static str]>,
) {
    // The header's fields are plain values, not entities.
    copy_map(&src.header, rtxn, &dst.header, wtxn, &[], 1);
    let roots = [
        (schema::PEOPLE, &src.people, &dst.people),
        (
            schema::MINUTE_TAKERS,
            &src.minute_takers,
            &dst.minute_takers,
        ),
        (schema::ITEMS, &src.items, &dst.items),
        (schema::BLOCKS, &src.blocks, &dst.blocks),
        (schema::ACTIONS, &src.actions, &dst.actions),
    ];
    for (root, from, to) in roots {
        for (id, v) in from.iter(rtxn) {
            if let (Out::YMap(m), Some(omit)) = (v, keep(root, id)) {
                copy_entity(&m, rtxn, to, wtxn, id, omit);
            }
        }
    }
}

/// The whole meeting — the minutes with the Part II content [`Meeting::full_view`]
/// admits put in place — as one document's state (a v1 update), for a signed version's
/// frozen state: its [`Meeting::view`] is the full view.
pub fn merged_state(main: &Meeting, part2: &Meeting) -> Vec<u8> {
    let rtxn = main.doc().transact();
    let ptxn = part2.doc().transact();
    let full = main.full_view(&rtxn, part2, &ptxn);
    let exempt: HashSet<&str> = full
        .items
        .iter()
        .filter(|i| i.effective_exemption.is_some())
        .map(|i| i.id.as_str())
        .collect();
    let shown_blocks: HashSet<&str> = full
        .items
        .iter()
        .filter(|i| i.effective_exemption.is_some())
        .flat_map(|i| i.blocks.iter().map(|b| b.id.as_str()))
        .collect();
    let shown_actions: HashSet<&str> = full.actions.iter().map(|a| a.id.as_str()).collect();
    let new = Doc::new();
    let merged = Meeting::new(new.clone());
    {
        let mut wtxn = new.transact_mut();
        copy_roots(main, &rtxn, &merged, &mut wtxn, |_, _| Some(&[]));
        for (id, v) in part2.items.iter(&ptxn) {
            let Out::YMap(src) = v else { continue };
            if !exempt.contains(id) {
                continue;
            }
            match entity(&merged.items, &wtxn, id) {
                Some(dst) => {
                    let title = read_str(&src, &ptxn, schema::item::TITLE);
                    dst.insert(&mut wtxn, schema::item::TITLE, TextPrelim::new(title));
                }
                None => copy_entity(&src, &ptxn, &merged.items, &mut wtxn, id, &[]),
            }
        }
        for (from, to, shown) in [
            (&part2.blocks, &merged.blocks, &shown_blocks),
            (&part2.actions, &merged.actions, &shown_actions),
        ] {
            for (id, v) in from.iter(&ptxn) {
                if let Out::YMap(src) = v {
                    if shown.contains(id) && entity(to, &wtxn, id).is_none() {
                        copy_entity(&src, &ptxn, to, &mut wtxn, id, &[]);
                    }
                }
            }
        }
    }
    let state = new
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    state
}

/// `root` and every stored item below it (deleted ones included: their text moves too).
fn subtree_of(nodes: &[tree::Node], root: &str) -> HashSet<String> {
    let mut out: HashSet<String> = HashSet::from([root.to_owned()]);
    // Each pass adds the children of what is in; a chain is at most `nodes.len()` long.
    for _ in 0..nodes.len() {
        let before = out.len();
        for n in nodes {
            if !out.contains(&n.id) && out.contains(&n.parent) {
                out.insert(n.id.clone());
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// A new document whose client id is not one of `retired`.
fn fresh_doc(retired: &[u64]) -> Doc {
    loop {
        let doc = Doc::new();
        if !retired.contains(&doc.client_id().get()) {
            return doc;
        }
    }
}

/// Writes a copy of entity `src` (read through `rtxn`) under `id` in `dst_root`, replacing
/// what is there: its current values only, texts as their current strings.
fn copy_entity<T: ReadTxn>(
    src: &MapRef,
    rtxn: &T,
    dst_root: &MapRef,
    wtxn: &mut TransactionMut,
    id: &str,
    omit: &[&str],
) {
    let dst: MapRef = dst_root.insert(wtxn, id, MapPrelim::default());
    copy_map(src, rtxn, &dst, wtxn, omit, 1);
}

fn copy_map<T: ReadTxn>(
    src: &MapRef,
    rtxn: &T,
    dst: &MapRef,
    wtxn: &mut TransactionMut,
    omit: &[&str],
    depth: usize,
) {
    for (key, value) in src.iter(rtxn) {
        if omit.contains(&key) {
            continue;
        }
        match value {
            Out::Any(any) => {
                dst.insert(wtxn, key, any);
            }
            Out::YText(t) => {
                dst.insert(wtxn, key, TextPrelim::new(t.get_string(rtxn)));
            }
            Out::YArray(a) => {
                let values: Vec<Any> = yrs::Array::iter(&a, rtxn)
                    .filter_map(|v| match v {
                        Out::Any(any) => Some(any),
                        _ => None,
                    })
                    .collect();
                dst.insert(wtxn, key, ArrayPrelim::from(values));
            }
            Out::YMap(m) if depth < MAX_COPY_DEPTH => {
                let child: MapRef = dst.insert(wtxn, key, MapPrelim::default());
                copy_map(&m, rtxn, &child, wtxn, &[], depth + 1);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::model::{ActionFields, BlockKind};
    use crate::meeting::ops::NewAction;
    use crate::meeting::Paragraph;
    use yrs::updates::decoder::Decode;
    use yrs::Update;

    const SECRET: &str = "the tender from Acme was 4.2 million";

    fn contains(bytes: &[u8], needle: &str) -> bool {
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    /// A meeting with items 1 and 2 (2 with sub-item 2.1), secret text typed and partly
    /// deleted in item 2, a statement, and an action raised there.
    fn meeting() -> (Meeting, ItemId) {
        let m = Meeting::new(Doc::new());
        let mut txn = m.doc().transact_mut();
        m.set_header(
            &mut txn,
            &crate::meeting::model::Header {
                title: "Board".into(),
                date: "9 March".into(),
                ..Default::default()
            },
        );
        let one = m.insert_item(&mut txn, None, 0, "Apologies").unwrap();
        m.insert_block(&mut txn, &one, 0, BlockKind::Paragraph, "None received.")
            .unwrap();
        let two = m.insert_item(&mut txn, None, 1, "Contract award").unwrap();
        let sub = m
            .insert_item(&mut txn, Some(&two), 0, "Bids received")
            .unwrap();
        let b = m
            .insert_block(&mut txn, &two, 0, BlockKind::Decision, SECRET)
            .unwrap();
        let gone = m
            .insert_block(&mut txn, &sub, 0, BlockKind::Paragraph, "deleted secret")
            .unwrap();
        m.delete_block(&mut txn, &gone).unwrap();
        m.add_action(
            &mut txn,
            &NewAction {
                fields: ActionFields {
                    description: "Notify Acme".into(),
                    ..Default::default()
                },
                owners: Vec::new(),
                item: Some(two.clone()),
                block: Some(b),
            },
        )
        .unwrap();
        drop(txn);
        (m, two)
    }

    #[test]
    fn moving_an_item_rebuilds_the_main_document_without_its_text() {
        let (main, two) = meeting();
        let before = main.view(&main.doc().transact());
        let part2 = Meeting::new(Doc::new());
        let e = Exemption::Schedule12A(Paragraph::ALL[2]);
        let rebuilt = move_into_part2(&main, &part2, &two, &e, "Contract matter").unwrap();
        assert_eq!(
            rebuilt.moved,
            Moved {
                items: 2,
                blocks: 2,
                actions: 1
            }
        );
        for needle in [
            SECRET,
            "Contract award",
            "Bids received",
            "deleted secret",
            "Notify Acme",
        ] {
            assert!(
                !contains(&rebuilt.main_state, needle),
                "{needle} left in main"
            );
        }
        assert!(contains(&rebuilt.part2_update, SECRET));
        let old: Vec<u64> = rebuilt.retired.clone();
        assert!(!old.contains(&rebuilt.main.client_id().get()));

        // The main document alone: a placeholder with the public title.
        let new = Meeting::new(rebuilt.main.clone());
        let public = new.view(&new.doc().transact());
        assert_eq!(public.items.len(), 2);
        assert_eq!(public.items[1].public_heading(), "Contract matter");
        assert!(public.items[1].blocks.is_empty());
        assert!(public.actions.is_empty());

        // Merged: what the meeting said before, now exempt.
        let full = new.full_view(&new.doc().transact(), &part2, &part2.doc().transact());
        assert_eq!(full.items.len(), 3);
        assert_eq!(full.items[1].title, "Contract award");
        assert_eq!(full.items[1].exemption, Some(e.clone()));
        assert_eq!(full.items[2].title, "Bids received");
        assert_eq!(full.items[2].number, "2.1");
        assert_eq!(full.items[2].effective_exemption, Some(e));
        assert_eq!(full.items[1].blocks, before.items[1].blocks);
        assert_eq!(full.actions, before.actions);
        assert_eq!(full.people, before.people);
        assert_eq!(full.header, before.header);
        assert_eq!(full.header.fields.title, "Board");

        // A signed version's frozen state reads as the full view.
        let state = merged_state(&new, &part2);
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        let frozen = Meeting::new(doc);
        assert_eq!(frozen.view(&frozen.doc().transact()), full);
    }

    #[test]
    fn part2_content_shows_only_inside_exempt_items() {
        let (main, two) = meeting();
        let part2 = Meeting::new(Doc::new());
        let e = Exemption::Schedule12A(Paragraph::ALL[0]);
        let rebuilt = move_into_part2(&main, &part2, &two, &e, "").unwrap();
        let new = Meeting::new(rebuilt.main);
        // Someone without restricted access clears the mark in the main document.
        new.set_exemption(&mut new.doc().transact_mut(), &two, None)
            .unwrap();
        let full = new.full_view(&new.doc().transact(), &part2, &part2.doc().transact());
        assert_eq!(full.items.len(), 2);
        assert_eq!(full.items[1].title, "");
        assert!(full.items[1].blocks.is_empty());
        assert!(full.actions.is_empty());
        let md = crate::meeting::markdown::to_markdown_as(&full, "x");
        assert!(!md.contains(SECRET));
    }

    #[test]
    fn an_item_moved_back_to_part1_is_whole_again() {
        let (main, two) = meeting();
        let before = main.view(&main.doc().transact());
        let part2 = Meeting::new(Doc::new());
        let e = Exemption::Schedule12A(Paragraph::ALL[2]);
        let rebuilt = move_into_part2(&main, &part2, &two, &e, "Contract matter").unwrap();
        let new = Meeting::new(rebuilt.main);
        let back = move_into_part1(&new, &part2, &two).unwrap();
        assert_eq!(back.moved.blocks, 2, "a deleted block comes back deleted");
        assert!(contains(&back.main_update, SECRET));
        let view = new.view(&new.doc().transact());
        assert_eq!(view.items, before.items);
        assert_eq!(view.actions, before.actions);
        let left = part2.view(&part2.doc().transact());
        assert!(left.items.is_empty() && left.actions.is_empty());
        let full = new.full_view(&new.doc().transact(), &part2, &part2.doc().transact());
        assert_eq!(full.items, before.items);
    }

    #[test]
    fn the_part2_update_applies_to_a_replica() {
        let (main, two) = meeting();
        let part2 = Meeting::new(Doc::new());
        let e = Exemption::confidential("commercial");
        let rebuilt = move_into_part2(&main, &part2, &two, &e, "").unwrap();
        let replica = Doc::new();
        replica
            .transact_mut()
            .apply_update(Update::decode_v1(&rebuilt.part2_update).unwrap())
            .unwrap();
        let other = Meeting::new(replica);
        let new = Meeting::new(rebuilt.main);
        let full = new.full_view(&new.doc().transact(), &other, &other.doc().transact());
        assert_eq!(full.items[1].blocks[0].text, SECRET);
        assert!(move_into_part2(&new, &part2, &ItemId("nope".into()), &e, "").is_err());
    }
}
