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
}
