//! Where an outline command or a drag-and-drop puts an item, computed from the current
//! [`MeetingView`] as a [`Move`] for `Meeting::move_item` / `indent_item` / `outdent_item`.
//! Pure, so it is unit-tested natively.

use minutebook_shared::meeting::{ItemId, MeetingView};

use crate::keys::OutlineCommand;

/// One structural edit of the item tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// `move_item(id, parent, index)`: `index` among the new siblings, not counting the item.
    To {
        /// New parent (`None` = top level).
        parent: Option<ItemId>,
        /// Position among the new siblings.
        index: usize,
    },
    /// `indent_item(id)`.
    Indent,
    /// `outdent_item(id)`.
    Outdent,
}

/// Ids of the items under `parent`, in order.
fn siblings<'a>(view: &'a MeetingView, parent: Option<&ItemId>) -> Vec<&'a ItemId> {
    view.items
        .iter()
        .filter(|i| i.parent.as_ref() == parent)
        .map(|i| &i.id)
        .collect()
}

/// What `cmd` does to item `id`, or `None` when it cannot apply (first item moving up,
/// first sibling indenting, top-level item outdenting, unknown item).
pub fn for_command(view: &MeetingView, id: &ItemId, cmd: OutlineCommand) -> Option<Move> {
    let item = view.item(id)?;
    let sibs = siblings(view, item.parent.as_ref());
    let pos = sibs.iter().position(|s| *s == id)?;
    match cmd {
        OutlineCommand::MoveUp => pos.checked_sub(1).map(|index| Move::To {
            parent: item.parent.clone(),
            index,
        }),
        OutlineCommand::MoveDown => (pos + 1 < sibs.len()).then(|| Move::To {
            parent: item.parent.clone(),
            index: pos + 1,
        }),
        OutlineCommand::Indent => (pos > 0).then_some(Move::Indent),
        OutlineCommand::Outdent => item.parent.is_some().then_some(Move::Outdent),
    }
}

/// Dropping item `dragged` onto item `target` moves it just before the target, at the
/// target's level. `None` for a drop onto itself or onto one of its own sub-items.
pub fn for_drop(view: &MeetingView, dragged: &ItemId, target: &ItemId) -> Option<Move> {
    if dragged == target || is_within(view, target, dragged) {
        return None;
    }
    view.item(dragged)?;
    let t = view.item(target)?;
    let index = siblings(view, t.parent.as_ref())
        .into_iter()
        .filter(|s| *s != dragged)
        .position(|s| s == target)?;
    Some(Move::To {
        parent: t.parent.clone(),
        index,
    })
}

/// Whether `id` is `ancestor` or lies below it.
fn is_within(view: &MeetingView, id: &ItemId, ancestor: &ItemId) -> bool {
    let mut cur = Some(id.clone());
    let mut steps = 0;
    while let Some(c) = cur {
        if &c == ancestor {
            return true;
        }
        steps += 1;
        if steps > view.items.len() {
            return false;
        }
        cur = view.item(&c).and_then(|i| i.parent.clone());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::meeting::Meeting;
    use yrs::{Doc, Transact};

    /// Items 1, 2 (2.1, 2.2), 3.
    fn tree() -> (Meeting, Vec<ItemId>) {
        let m = Meeting::new(Doc::new());
        let mut txn = m.doc().transact_mut();
        let a = m.insert_item(&mut txn, None, 0, "1").unwrap();
        let b = m.insert_item(&mut txn, None, 1, "2").unwrap();
        let c = m.insert_item(&mut txn, None, 2, "3").unwrap();
        let b1 = m.insert_item(&mut txn, Some(&b), 0, "2.1").unwrap();
        let b2 = m.insert_item(&mut txn, Some(&b), 1, "2.2").unwrap();
        drop(txn);
        (m, vec![a, b, c, b1, b2])
    }

    fn apply(m: &Meeting, id: &ItemId, mv: Move) {
        let mut txn = m.doc().transact_mut();
        match mv {
            Move::To { parent, index } => m.move_item(&mut txn, id, parent.as_ref(), index),
            Move::Indent => m.indent_item(&mut txn, id),
            Move::Outdent => m.outdent_item(&mut txn, id),
        }
        .unwrap();
    }

    fn numbers(m: &Meeting) -> Vec<(String, String)> {
        m.view(&m.doc().transact())
            .items
            .into_iter()
            .map(|i| (i.number, i.title))
            .collect()
    }

    #[test]
    fn commands_at_the_edges_do_nothing() {
        let (m, ids) = tree();
        let v = m.view(&m.doc().transact());
        assert_eq!(for_command(&v, &ids[0], OutlineCommand::MoveUp), None);
        assert_eq!(for_command(&v, &ids[2], OutlineCommand::MoveDown), None);
        assert_eq!(for_command(&v, &ids[0], OutlineCommand::Indent), None);
        assert_eq!(for_command(&v, &ids[0], OutlineCommand::Outdent), None);
        assert_eq!(for_command(&v, &ids[3], OutlineCommand::MoveUp), None);
        assert_eq!(
            for_command(&v, &ids[3], OutlineCommand::Outdent),
            Some(Move::Outdent)
        );
        assert_eq!(
            for_command(&v, &ItemId::from("x"), OutlineCommand::MoveUp),
            None
        );
    }

    #[test]
    fn moving_up_to_the_top_renumbers_everything() {
        let (m, ids) = tree();
        let new = {
            let mut txn = m.doc().transact_mut();
            m.insert_item(&mut txn, None, 3, "new").unwrap()
        };
        for _ in 0..3 {
            let v = m.view(&m.doc().transact());
            let mv = for_command(&v, &new, OutlineCommand::MoveUp).unwrap();
            apply(&m, &new, mv);
        }
        let n = numbers(&m);
        assert_eq!(n[0], ("1".to_owned(), "new".to_owned()));
        assert_eq!(n[1], ("2".to_owned(), "1".to_owned()));
        assert_eq!(n[2], ("3".to_owned(), "2".to_owned()));
        assert_eq!(n[3], ("3.1".to_owned(), "2.1".to_owned()));
        let v = m.view(&m.doc().transact());
        assert_eq!(for_command(&v, &new, OutlineCommand::MoveUp), None);
        let v = m.view(&m.doc().transact());
        let mv = for_command(&v, &ids[3], OutlineCommand::MoveDown).unwrap();
        apply(&m, &ids[3], mv);
        assert_eq!(numbers(&m)[3], ("3.1".to_owned(), "2.2".to_owned()));
    }

    #[test]
    fn indent_and_outdent() {
        let (m, ids) = tree();
        let v = m.view(&m.doc().transact());
        apply(
            &m,
            &ids[2],
            for_command(&v, &ids[2], OutlineCommand::Indent).unwrap(),
        );
        assert_eq!(numbers(&m)[4], ("2.3".to_owned(), "3".to_owned()));
        let v = m.view(&m.doc().transact());
        apply(
            &m,
            &ids[2],
            for_command(&v, &ids[2], OutlineCommand::Outdent).unwrap(),
        );
        assert_eq!(numbers(&m)[4], ("3".to_owned(), "3".to_owned()));
    }

    #[test]
    fn drop_moves_before_the_target() {
        let (m, ids) = tree();
        let v = m.view(&m.doc().transact());
        assert_eq!(
            for_drop(&v, &ids[1], &ids[3]),
            None,
            "into its own sub-item"
        );
        assert_eq!(for_drop(&v, &ids[1], &ids[1]), None, "onto itself");
        // 3 dropped onto 2.2: becomes 2.2, the old 2.2 becomes 2.3.
        apply(&m, &ids[2], for_drop(&v, &ids[2], &ids[4]).unwrap());
        let n = numbers(&m);
        assert_eq!(n[3], ("2.2".to_owned(), "3".to_owned()));
        assert_eq!(n[4], ("2.3".to_owned(), "2.2".to_owned()));
        // 1 dropped onto 2 (its next sibling) stays first.
        let v = m.view(&m.doc().transact());
        apply(&m, &ids[0], for_drop(&v, &ids[0], &ids[1]).unwrap());
        assert_eq!(numbers(&m)[0], ("1".to_owned(), "1".to_owned()));
        // 2 dropped onto 1 goes first.
        let v = m.view(&m.doc().transact());
        apply(&m, &ids[1], for_drop(&v, &ids[1], &ids[0]).unwrap());
        assert_eq!(numbers(&m)[0], ("1".to_owned(), "2".to_owned()));
    }
}
