//! Where an outline command or a drag-and-drop puts an item, computed from the current
//! [`MeetingView`] as a [`Move`] for `Meeting::move_item` / `indent_item` / `outdent_item`,
//! and why a move may not be made ([`refusal`]: it would take an item into or out of an
//! exempt item). Pure, so it is unit-tested natively.

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

/// Why `mv` may not be made to item `id`, in words a clerk understands (`None`: it may).
///
/// A move never changes which part of the minutes an item belongs to. A public item stays
/// out of exempt items: its text has already gone to every invited member, and taking it
/// into Part II is the deliberate, audited act of marking it exempt. An exempt item stays
/// out of other exempt items, and a sub-item of an exempt item stays inside that item
/// (its content lives in Part II).
pub fn refusal(view: &MeetingView, id: &ItemId, mv: &Move) -> Option<String> {
    let item = view.item(id)?;
    let new_parent = match mv {
        Move::To { parent, .. } => parent.clone(),
        Move::Indent => {
            let sibs = siblings(view, item.parent.as_ref());
            let pos = sibs.iter().position(|s| *s == id)?;
            sibs.get(pos.checked_sub(1)?).map(|s| (*s).clone())
        }
        Move::Outdent => item
            .parent
            .as_ref()
            .and_then(|p| view.item(p))
            .and_then(|p| p.parent.clone()),
    };
    // The exempt item the parent is withheld by (itself, when it is the exempt one).
    let new_root = new_parent
        .as_ref()
        .and_then(|p| view.item(p))
        .and_then(|p| p.withheld_by.clone());
    let number = |i: &ItemId| view.item(i).map(|i| i.number.clone()).unwrap_or_default();
    match (&item.withheld_by, &new_root) {
        (None, Some(root)) => {
            let title = item.title.trim();
            let named = if title.is_empty() {
                format!("Item {}", item.number)
            } else {
                format!("Item {} “{title}”", item.number)
            };
            Some(format!(
                "{named} is public, so it cannot go inside exempt item {root} (Part II): \
                 every member has already received its text. To withhold it, mark item {n} \
                 exempt where it is; to minute it within item {root}, add a sub-item there \
                 with “+ Sub-item”.",
                root = number(root),
                n = item.number,
            ))
        }
        (Some(own), Some(root)) if own == id && own != root => Some(format!(
            "Item {} is exempt in its own right, so it cannot go inside exempt item {}. \
             Move it elsewhere in the agenda.",
            item.number,
            number(root)
        )),
        (Some(own), new) if own != id && new.as_ref() != Some(own) => Some(format!(
            "Item {} belongs to exempt item {} (Part II, for restricted access only), so it \
             cannot be moved out of it.",
            item.number,
            number(own)
        )),
        _ => None,
    }
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

    #[test]
    fn moves_never_cross_into_or_out_of_an_exempt_item() {
        let (m, ids) = tree();
        {
            let mut txn = m.doc().transact_mut();
            let paragraph = minutebook_shared::meeting::Exemption::parse_code("12A:3", "").unwrap();
            m.set_exemption(&mut txn, &ids[1], Some(&paragraph))
                .unwrap();
        }
        let v = m.view(&m.doc().transact());
        // 3 (public) indented under 2 (exempt): refused, with the way to do it.
        let why = refusal(&v, &ids[2], &Move::Indent).expect("refused");
        assert!(why.contains("Item 3 “3” is public"), "{why}");
        assert!(why.contains("exempt item 2"), "{why}");
        assert!(why.contains("mark item 3 exempt"), "{why}");
        // Dropped onto 2.1: refused too.
        let drop = for_drop(&v, &ids[2], &ids[3]).unwrap();
        assert!(refusal(&v, &ids[2], &drop).is_some());
        // 2.1 (inside exempt 2) outdented out of it: refused.
        let why = refusal(&v, &ids[3], &Move::Outdent).expect("refused");
        assert!(why.contains("belongs to exempt item 2"), "{why}");
        // Within 2, and public items among public ones: allowed.
        let down = for_command(&v, &ids[3], OutlineCommand::MoveDown).unwrap();
        assert_eq!(refusal(&v, &ids[3], &down), None);
        assert_eq!(refusal(&v, &ids[3], &Move::Indent), None);
        let up = for_command(&v, &ids[2], OutlineCommand::MoveUp).unwrap();
        assert_eq!(refusal(&v, &ids[2], &up), None);
        // 2 itself moves anywhere public, but not into another exempt item.
        assert_eq!(refusal(&v, &ids[1], &Move::Indent), None);
        {
            let mut txn = m.doc().transact_mut();
            let paragraph = minutebook_shared::meeting::Exemption::parse_code("12A:1", "").unwrap();
            m.set_exemption(&mut txn, &ids[2], Some(&paragraph))
                .unwrap();
        }
        let v = m.view(&m.doc().transact());
        let why = refusal(&v, &ids[2], &Move::Indent).expect("refused");
        assert!(why.contains("exempt in its own right"), "{why}");
    }
}
