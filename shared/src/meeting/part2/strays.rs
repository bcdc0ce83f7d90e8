//! Public content under an exempt item: what the minutes (the public document) must not
//! hold. An up-to-date page never writes it — its outline refuses to move an item into or
//! out of an exempt one, and it writes an exempt item's content into Part II — but an
//! older page, a plain Yjs client or a hostile one can: by indenting or moving a public
//! item under an exempt one, by writing a block, an action or a title into an exempt
//! item, or by marking an item exempt with a plain field write. The server looks for it
//! when a meeting loads and after every update that could have placed content
//! ([`crate::prescan::Scanned::placing`]), and moves it into Part II.

use yrs::{Map, Out, ReadTxn};

use crate::meeting::document::{read_str, Meeting};
use crate::meeting::{Exemption, ItemId, MeetingView};
use crate::schema;

/// An exempt item whose part of the agenda still holds content in the minutes, with what
/// marking it exempt again needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    pub item: ItemId,
    pub exemption: Exemption,
    pub public_title: String,
}

impl Meeting {
    /// Whether any item of this document is marked exempt: one pass over the items'
    /// exemption fields, no view built (the common case, a meeting without exempt items,
    /// stops here).
    pub fn any_exempt<T: ReadTxn>(&self, txn: &T) -> bool {
        self.items.iter(txn).any(|(_, v)| match v {
            Out::YMap(m) => !read_str(&m, txn, schema::item::EXEMPT).is_empty(),
            _ => false,
        })
    }
}

/// The exempt items of the minutes `main` whose part of the agenda still holds content
/// there (their own title, a sub-item, a block, an action); nothing, at the cost of one
/// pass over the items, when no item is marked exempt.
pub fn strays<T: ReadTxn>(main: &Meeting, txn: &T) -> Vec<Stray> {
    if !main.any_exempt(txn) {
        return Vec::new();
    }
    strays_in(&main.view(txn))
}

/// [`strays`] of the minutes' view `view` (the main document's alone, not merged with
/// Part II).
pub fn strays_in(view: &MeetingView) -> Vec<Stray> {
    let holds_content = |root: &ItemId| {
        view.items.iter().any(|i| {
            i.withheld_by.as_ref() == Some(root)
                && (&i.id != root || !i.title.is_empty() || !i.blocks.is_empty())
        }) || view.actions.iter().any(|a| {
            a.item
                .as_ref()
                .and_then(|i| view.item(i))
                .is_some_and(|i| i.withheld_by.as_ref() == Some(root))
        })
    };
    view.items
        .iter()
        .filter(|i| i.withheld_by.as_ref() == Some(&i.id) && holds_content(&i.id))
        .filter_map(|i| {
            Some(Stray {
                item: i.id.clone(),
                exemption: i.exemption.clone()?,
                public_title: i.public_title.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, Transact};

    #[test]
    fn a_public_item_indented_under_an_exempt_one_is_a_stray() {
        let m = Meeting::new(Doc::new());
        let (one, two) = {
            let mut txn = m.doc().transact_mut();
            let one = m.insert_item(&mut txn, None, 0, "").unwrap();
            let two = m.insert_item(&mut txn, None, 1, "Public words").unwrap();
            (one, two)
        };
        assert!(strays(&m, &m.doc().transact()).is_empty(), "nothing exempt");
        let paragraph = Exemption::parse_code("12A:3", "").unwrap();
        {
            let mut txn = m.doc().transact_mut();
            m.set_exemption(&mut txn, &one, Some(&paragraph)).unwrap();
            m.set_public_title(&mut txn, &one, "Contract").unwrap();
        }
        assert!(
            strays(&m, &m.doc().transact()).is_empty(),
            "an empty placeholder holds nothing"
        );
        m.indent_item(&mut m.doc().transact_mut(), &two).unwrap();
        assert_eq!(
            strays(&m, &m.doc().transact()),
            vec![Stray {
                item: one,
                exemption: paragraph,
                public_title: "Contract".into(),
            }]
        );
    }
}
