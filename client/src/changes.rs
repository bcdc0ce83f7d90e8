//! What a document change touched, for the store's fast path: a transaction that only
//! typed into texts (block texts, item titles, action descriptions) patches those texts in
//! the current snapshot instead of recomputing the whole [`MeetingView`]; anything else
//! (a field, an entity added or moved, …) recomputes it.
//!
//! [`Changes::observe`] installs deep observers on the meeting's root maps (the key names
//! are `minutebook_shared::schema`'s). Classification is pure and unit-tested natively.
//!
//! [`MeetingView`]: minutebook_shared::meeting::MeetingView

use std::cell::RefCell;
use std::rc::Rc;

use minutebook_shared::schema;
use send_wrapper::SendWrapper;
use yrs::types::{Event, PathSegment};
use yrs::{DeepObservable, Doc, GetString, ReadTxn, TextRef};

/// A typed text whose new content the snapshot can take as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextTarget {
    /// `blocks[id].text`.
    Block(String),
    /// `items[id].title`.
    ItemTitle(String),
    /// `actions[id].description`.
    ActionDescription(String),
}

/// The root maps the view reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// Header, people, minute-takers: any change needs a full view.
    Other,
    /// Items.
    Items,
    /// Blocks.
    Blocks,
    /// Actions.
    Actions,
}

/// The text target of a text event at `path` under `root`, or `None` when the change needs
/// a full recomputation.
pub fn classify(root: Root, path: &[PathSegment]) -> Option<TextTarget> {
    let [PathSegment::Key(id), PathSegment::Key(field)] = path else {
        return None;
    };
    let id = id.to_string();
    match (root, &**field) {
        (Root::Blocks, f) if f == schema::block::TEXT => Some(TextTarget::Block(id)),
        (Root::Items, f) if f == schema::item::TITLE => Some(TextTarget::ItemTitle(id)),
        (Root::Actions, f) if f == schema::action::DESCRIPTION => {
            Some(TextTarget::ActionDescription(id))
        }
        _ => None,
    }
}

/// Changes accumulated since the last [`Changes::take`].
#[derive(Default)]
pub struct Pending {
    /// Something other than typed text changed.
    pub full: bool,
    /// Texts that changed, with their Y.Text.
    pub texts: Vec<(TextTarget, TextRef)>,
}

impl Pending {
    /// Reads the changed texts' current content.
    pub fn contents<T: ReadTxn>(&self, txn: &T) -> Vec<(TextTarget, String)> {
        self.texts
            .iter()
            .map(|(t, text)| (t.clone(), text.get_string(txn)))
            .collect()
    }
}

/// The accumulator; clones share it.
#[derive(Clone, Default)]
pub struct Changes {
    pending: Rc<RefCell<Pending>>,
}

impl Changes {
    /// Observes the meeting's root maps of `doc`; `on_change` runs after every recorded
    /// change (inside the transaction's commit: it must only schedule work).
    pub fn observe(&self, doc: &Doc, on_change: impl Fn() + 'static) {
        let on_change = Rc::new(on_change);
        let roots = [
            (schema::HEADER, Root::Other),
            (schema::PEOPLE, Root::Other),
            (schema::MINUTE_TAKERS, Root::Other),
            (schema::ITEMS, Root::Items),
            (schema::BLOCKS, Root::Blocks),
            (schema::ACTIONS, Root::Actions),
        ];
        for (name, root) in roots {
            let map = doc.get_or_insert_map(name);
            let state = SendWrapper::new((self.pending.clone(), on_change.clone()));
            map.observe_deep("minutebook/changes", move |_, events| {
                let (pending, on_change) = &*state;
                if let Ok(mut p) = pending.try_borrow_mut() {
                    for event in events.iter() {
                        let target = match event {
                            Event::Text(e) => {
                                let path: Vec<PathSegment> = e.path().into_iter().collect();
                                classify(root, &path).map(|t| (t, e.target().clone()))
                            }
                            _ => None,
                        };
                        match target {
                            Some(t) => p.texts.push(t),
                            None => p.full = true,
                        }
                    }
                } else {
                    return;
                }
                on_change();
            });
        }
    }

    /// Takes what accumulated.
    pub fn take(&self) -> Pending {
        self.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::meeting::{BlockKind, Meeting};
    use std::cell::Cell;
    use yrs::{Text, Transact};

    #[test]
    fn classifies_paths() {
        let key = |s: &str| PathSegment::Key(s.into());
        assert_eq!(
            classify(Root::Blocks, &[key("b1"), key(schema::block::TEXT)]),
            Some(TextTarget::Block("b1".into()))
        );
        assert_eq!(
            classify(Root::Items, &[key("i1"), key(schema::item::TITLE)]),
            Some(TextTarget::ItemTitle("i1".into()))
        );
        assert_eq!(
            classify(
                Root::Actions,
                &[key("a1"), key(schema::action::DESCRIPTION)]
            ),
            Some(TextTarget::ActionDescription("a1".into()))
        );
        assert_eq!(classify(Root::Other, &[key("x"), key("text")]), None);
        assert_eq!(classify(Root::Blocks, &[key("b1")]), None);
        assert_eq!(classify(Root::Blocks, &[key("b1"), key("kind")]), None);
    }

    #[test]
    fn typing_is_text_only_and_structure_is_full() {
        let m = Meeting::new(Doc::new());
        let changes = Changes::default();
        let calls = Rc::new(Cell::new(0));
        let c = calls.clone();
        changes.observe(m.doc(), move || c.set(c.get() + 1));
        let block = {
            let mut txn = m.doc().transact_mut();
            let item = m.insert_item(&mut txn, None, 0, "One").unwrap();
            m.insert_block(&mut txn, &item, 0, BlockKind::Paragraph, "hi")
                .unwrap()
        };
        assert!(changes.take().full, "creating entities is structural");
        {
            let mut txn = m.doc().transact_mut();
            let text = m.block_text(&txn, &block).unwrap();
            text.insert(&mut txn, 2, " there");
        }
        let p = changes.take();
        assert!(!p.full);
        let contents = p.contents(&m.doc().transact());
        assert_eq!(
            contents,
            [(TextTarget::Block(block.0.clone()), "hi there".to_owned())]
        );
        {
            let mut txn = m.doc().transact_mut();
            m.set_block_kind(&mut txn, &block, BlockKind::Decision)
                .unwrap();
        }
        assert!(changes.take().full, "a field write is structural");
        assert!(calls.get() >= 3);
    }

    /// Undoing the creation of a block whose text was typed and undone (the editor's
    /// history) is observed like any change, and ends.
    #[test]
    fn undoing_structure_is_observed() {
        use minutebook_shared::meeting::undo::{History, LOCAL_ORIGIN};
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let m = Meeting::new(Doc::new());
        let clock = Arc::new(AtomicU64::new(1_000_000));
        let c = clock.clone();
        let mut history = History::new(&m, move || c.fetch_add(1000, Ordering::SeqCst));
        let changes = Changes::default();
        changes.observe(m.doc(), || {});
        let item = {
            let mut txn = m.doc().transact_mut_with("setup");
            let item = m.insert_item(&mut txn, None, 0, "One").unwrap();
            m.insert_block(&mut txn, &item, 0, BlockKind::Statement, "A.")
                .unwrap();
            item
        };
        let local = || m.doc().transact_mut_with(LOCAL_ORIGIN);
        let scratch = {
            let mut txn = local();
            m.insert_block(&mut txn, &item, 1, BlockKind::Paragraph, "")
                .unwrap()
        };
        history.stop_capturing();
        {
            let mut txn = local();
            let text = m.block_text(&txn, &scratch).unwrap();
            text.insert(&mut txn, 0, "Scratch.");
        }
        history.stop_capturing();
        {
            let mut txn = local();
            m.delete_block(&mut txn, &scratch).unwrap();
        }
        history.stop_capturing();
        for _ in 0..3 {
            assert!(history.undo());
            changes.take();
        }
        assert!(history.redo());
        let view = m.view(&m.doc().transact());
        assert_eq!(view.items[0].blocks.len(), 2);
    }

    /// What another page receives when a deleted block comes back (undo of a delete,
    /// redo of an add) is a structural change for it too.
    #[test]
    fn a_block_brought_back_elsewhere_is_structural() {
        use minutebook_shared::meeting::undo::{History, LOCAL_ORIGIN};
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::{Arc, Mutex};
        use yrs::updates::decoder::Decode;
        let a = Meeting::new(Doc::with_client_id(1));
        let b = Meeting::new(Doc::with_client_id(2));
        let _b_history = History::new(&b, || 1);
        let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let s2 = sent.clone();
        a.doc()
            .observe_update_v1("test", move |_, e: &yrs::UpdateEvent| {
                s2.lock().unwrap().push(e.update.clone())
            })
            .unwrap();
        let deliver = || {
            for u in sent.lock().unwrap().drain(..) {
                b.doc()
                    .transact_mut_with("remote")
                    .apply_update(yrs::Update::decode_v1(&u).unwrap())
                    .unwrap();
            }
        };
        let clock = Arc::new(AtomicU64::new(1_000_000));
        let c = clock.clone();
        let mut history = History::new(&a, move || c.fetch_add(1000, Ordering::SeqCst));
        let changes = Changes::default();
        changes.observe(b.doc(), || {});
        let item = {
            let mut txn = a.doc().transact_mut_with("setup");
            let item = a.insert_item(&mut txn, None, 0, "One").unwrap();
            a.insert_block(&mut txn, &item, 0, BlockKind::Statement, "A.")
                .unwrap();
            item
        };
        let local = || a.doc().transact_mut_with(LOCAL_ORIGIN);
        let scratch = {
            let mut txn = local();
            a.insert_block(&mut txn, &item, 1, BlockKind::Paragraph, "")
                .unwrap()
        };
        history.stop_capturing();
        {
            let mut txn = local();
            let text = a.block_text(&txn, &scratch).unwrap();
            text.insert(&mut txn, 0, "Scratch.");
        }
        history.stop_capturing();
        {
            let mut txn = local();
            a.delete_block(&mut txn, &scratch).unwrap();
        }
        history.stop_capturing();
        deliver();
        changes.take();
        let live = |m: &Meeting| {
            m.view(&m.doc().transact()).items[0]
                .blocks
                .iter()
                .any(|bl| bl.id == scratch)
        };
        for step in ["undo delete", "undo typing", "undo add", "redo add"] {
            if step.starts_with("undo") {
                assert!(history.undo(), "{step}");
            } else {
                assert!(history.redo(), "{step}");
            }
            deliver();
            let pending = changes.take();
            assert_eq!(live(&a), live(&b), "{step}: both see the same blocks");
            let shown_changed = step != "undo typing";
            assert!(
                pending.full || !shown_changed,
                "{step}: the other page must recompute its view"
            );
        }
        assert!(live(&b));
    }
}
