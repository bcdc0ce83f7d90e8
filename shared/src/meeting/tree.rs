//! The read side of the item hierarchy: from the stored `(parent, order, deleted)` fields —
//! whatever concurrent edits left in them — to one valid tree, deterministically.
//!
//! Rules, applied in this order (every replica that has seen the same edits gets the same
//! tree, whatever order it received them in):
//!
//! 1. **Unknown parents.** A parent id that is empty, names no stored item or names the
//!    item itself counts as the top level.
//! 2. **Cycles.** Concurrent moves can make items each other's ancestors (A under B on
//!    one client, B under A on another). In every cycle, the item with the smallest id is
//!    re-attached to the top level; that breaks the cycle and no other edge changes.
//! 3. **Order.** Siblings sort by `(order key, id)`.
//! 4. **Deleted items.** A deleted item is hidden, and its children that are not deleted
//!    are promoted into its place (they take its position among its siblings, keeping their
//!    own order). Deleting an item through [`crate::meeting::Meeting::delete_item`] marks its
//!    whole subtree deleted, so promotion only shows items that another client moved or
//!    created under the item concurrently with the delete: they are never lost.
//! 5. **Depth.** Items nest at most [`MAX_ITEM_DEPTH`] levels. The sub-items of an item
//!    at the deepest level are promoted like those of a deleted item: they follow it as
//!    its siblings (in pre-order, their own sub-items flattened the same way). So a
//!    hostile chain of thousands of nested items reads as a bounded-depth tree, and every
//!    read is linear in the number of items (a path has at most [`MAX_ITEM_DEPTH`] parts).
//! 6. **Numbers** are the 1-based positions among visible siblings, joined with dots.
//!
//! Every item that is not deleted appears exactly once.

use std::collections::HashMap;

pub use super::model::MAX_ITEM_DEPTH;

/// One stored item, as read from the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Item id.
    pub id: String,
    /// Stored parent id (empty for the top level).
    pub parent: String,
    /// Stored order key.
    pub order: String,
    /// Tombstone.
    pub deleted: bool,
}

/// One visible item, in pre-order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visible {
    /// Item id.
    pub id: String,
    /// Id of the visible parent (`None` at the top level).
    pub parent: Option<String>,
    /// 0-based sibling indices from the top down; `path.len() - 1` is the depth.
    pub path: Vec<usize>,
    /// Whether the stored parent is this visible parent (false after cycle repair,
    /// promotion out of a deleted item or out of an item at the deepest level).
    pub in_place: bool,
}

/// The effective parent index of every node after rules 1 and 2.
fn effective_parents(nodes: &[Node]) -> Vec<Option<usize>> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut parent: Vec<Option<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| index.get(n.parent.as_str()).copied().filter(|&p| p != i))
        .collect();

    // Each node has at most one parent, so every cycle is found by walking up from any of
    // its nodes. 0 = unvisited, 1 = on the current walk, 2 = done.
    let mut state = vec![0u8; nodes.len()];
    for start in 0..nodes.len() {
        let mut walk = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state[c] {
                2 => break,
                1 => {
                    // `c` closes a cycle: the part of the walk from `c` on.
                    let pos = walk.iter().position(|&w| w == c).unwrap_or(0);
                    let smallest = walk[pos..]
                        .iter()
                        .copied()
                        .min_by(|&a: &usize, &b: &usize| nodes[a].id.cmp(&nodes[b].id))
                        .unwrap_or(c);
                    parent[smallest] = None;
                    break;
                }
                _ => {
                    state[c] = 1;
                    walk.push(c);
                    cur = parent[c];
                }
            }
        }
        for w in walk {
            state[w] = 2;
        }
    }
    parent
}

/// The visible tree (see the module docs), in pre-order.
pub fn visible(nodes: &[Node]) -> Vec<Visible> {
    let parent = effective_parents(nodes);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    let key = |&i: &usize| (nodes[i].order.as_str(), nodes[i].id.as_str());
    roots.sort_by(|a, b| key(a).cmp(&key(b)));
    for c in &mut children {
        c.sort_by(|a, b| key(a).cmp(&key(b)));
    }

    // Iterative pre-order walk (a hostile document may nest deeply). A "level" is a
    // visible parent with its running child count; deleted nodes splice their children
    // into the level they are in.
    struct Level {
        parent: Option<usize>,
        path: Vec<usize>,
        next: usize,
    }
    struct Frame {
        list: Vec<usize>,
        pos: usize,
        level: usize,
        owns_level: bool,
    }
    let mut out = Vec::new();
    let mut levels = vec![Level {
        parent: None,
        path: Vec::new(),
        next: 0,
    }];
    let mut frames = vec![Frame {
        list: roots,
        pos: 0,
        level: 0,
        owns_level: false,
    }];
    while let Some(frame) = frames.last_mut() {
        let Some(&node) = frame.list.get(frame.pos) else {
            if frame.owns_level {
                levels.pop();
            }
            frames.pop();
            continue;
        };
        frame.pos += 1;
        let level_ix = frame.level;
        let kids = std::mem::take(&mut children[node]);
        if nodes[node].deleted {
            frames.push(Frame {
                list: kids,
                pos: 0,
                level: level_ix,
                owns_level: false,
            });
            continue;
        }
        let level = &mut levels[level_ix];
        let mut path = level.path.clone();
        path.push(level.next);
        level.next += 1;
        let vparent = level.parent;
        let stored_parent = nodes[node].parent.as_str();
        let in_place = match vparent {
            Some(p) => nodes[p].id == stored_parent,
            None => stored_parent.is_empty(),
        };
        out.push(Visible {
            id: nodes[node].id.clone(),
            parent: vparent.map(|p| nodes[p].id.clone()),
            path: path.clone(),
            in_place,
        });
        if path.len() >= MAX_ITEM_DEPTH {
            // The deepest level: sub-items follow the item as its siblings (rule 5).
            frames.push(Frame {
                list: kids,
                pos: 0,
                level: level_ix,
                owns_level: false,
            });
            continue;
        }
        levels.push(Level {
            parent: Some(node),
            path,
            next: 0,
        });
        frames.push(Frame {
            list: kids,
            pos: 0,
            level: levels.len() - 1,
            owns_level: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::model::number_string;

    fn node(id: &str, parent: &str, order: &str) -> Node {
        Node {
            id: id.into(),
            parent: parent.into(),
            order: order.into(),
            deleted: false,
        }
    }

    fn numbers(nodes: &[Node]) -> Vec<(String, String)> {
        visible(nodes)
            .into_iter()
            .map(|v| (number_string(&v.path), v.id))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn numbering_follows_order_then_id() {
        let nodes = vec![
            node("c", "", "V"),
            node("a", "", "k"),
            node("b", "a", "V"),
            node("d", "a", "V"),
            node("e", "b", "1"),
        ];
        assert_eq!(
            numbers(&nodes),
            pairs(&[
                ("1", "c"),
                ("2", "a"),
                ("2.1", "b"),
                ("2.1.1", "e"),
                ("2.2", "d")
            ])
        );
    }

    #[test]
    fn cycles_are_broken_at_the_smallest_id() {
        // a → b → c → a, plus d hanging off c.
        let nodes = vec![
            node("b", "a", "V"),
            node("c", "b", "V"),
            node("a", "c", "V"),
            node("d", "c", "k"),
            node("x", "", "1"),
        ];
        assert_eq!(
            numbers(&nodes),
            pairs(&[
                ("1", "x"),
                ("2", "a"),
                ("2.1", "b"),
                ("2.1.1", "c"),
                ("2.1.1.1", "d")
            ])
        );
        let vis = visible(&nodes);
        assert!(!vis[1].in_place && vis[2].in_place);
    }

    #[test]
    fn self_parent_and_unknown_parent_are_top_level() {
        let nodes = vec![node("a", "a", "1"), node("b", "zzz", "2")];
        assert_eq!(numbers(&nodes), pairs(&[("1", "a"), ("2", "b")]));
    }

    #[test]
    fn children_of_deleted_items_are_promoted_in_place() {
        let mut nodes = vec![
            node("a", "", "1"),
            node("b", "", "2"),
            node("b1", "b", "1"),
            node("b2", "b", "2"),
            node("b2x", "b2", "1"),
            node("c", "", "3"),
        ];
        nodes[1].deleted = true;
        nodes[3].deleted = true;
        assert_eq!(
            numbers(&nodes),
            pairs(&[("1", "a"), ("2", "b1"), ("3", "b2x"), ("4", "c")])
        );
        assert!(visible(&nodes)
            .iter()
            .all(|v| v.in_place != (v.id == "b1" || v.id == "b2x")));
    }

    fn chain(n: usize) -> Vec<Node> {
        (0..n)
            .map(|i| {
                let parent = if i == 0 {
                    String::new()
                } else {
                    format!("n{:06}", i - 1)
                };
                node(&format!("n{i:06}"), &parent, "V")
            })
            .collect()
    }

    #[test]
    fn deep_chains_are_clamped_to_the_maximum_depth() {
        // A 6,000-item chain (each item the only sub-item of the one before).
        let nodes = chain(6_000);
        let vis = visible(&nodes);
        assert_eq!(vis.len(), 6_000);
        assert!(vis.iter().all(|v| v.path.len() <= MAX_ITEM_DEPTH));
        // The first MAX_ITEM_DEPTH items nest as stored, the rest follow the deepest one
        // as its siblings, in chain order.
        for (i, v) in vis.iter().enumerate() {
            assert_eq!(v.id, format!("n{i:06}"));
            let depth = (i + 1).min(MAX_ITEM_DEPTH);
            assert_eq!(v.path.len(), depth, "item {i}");
            assert_eq!(v.in_place, i < MAX_ITEM_DEPTH, "item {i}");
            if i >= MAX_ITEM_DEPTH - 1 {
                assert_eq!(v.path[depth - 1], i - (MAX_ITEM_DEPTH - 1));
                assert_eq!(
                    v.parent.as_deref(),
                    Some(format!("n{:06}", MAX_ITEM_DEPTH - 2).as_str())
                );
            }
        }
        assert_eq!(
            number_string(&vis[MAX_ITEM_DEPTH - 1].path),
            "1.1.1.1.1.1.1.1"
        );
        assert_eq!(number_string(&vis[5_999].path), "1.1.1.1.1.1.1.5993");
    }

    #[test]
    fn items_at_the_deepest_level_keep_their_order_and_later_siblings() {
        // d7 is at the deepest level; its sub-items x and y (y with a sub-item z) follow
        // it, then its stored sibling e7.
        let mut nodes = chain(MAX_ITEM_DEPTH);
        let d = |i: usize| format!("n{i:06}");
        let last = d(MAX_ITEM_DEPTH - 1);
        let parent = d(MAX_ITEM_DEPTH - 2);
        nodes.push(node("y", &last, "k"));
        nodes.push(node("x", &last, "V"));
        nodes.push(node("z", "y", "V"));
        nodes.push(node("e7", &parent, "z"));
        let tail: Vec<(String, String)> = numbers(&nodes)
            .into_iter()
            .skip(MAX_ITEM_DEPTH - 1)
            .collect();
        let prefix = "1.".repeat(MAX_ITEM_DEPTH - 1);
        let expect: Vec<(String, String)> =
            [(1, last.as_str()), (2, "x"), (3, "y"), (4, "z"), (5, "e7")]
                .iter()
                .map(|(n, id)| (format!("{prefix}{n}"), id.to_string()))
                .collect();
        assert_eq!(tail, expect);
    }

    #[test]
    fn wide_trees_number_every_sibling() {
        let nodes: Vec<Node> = (0..20_000)
            .map(|i| node(&format!("w{i:06}"), "", &format!("{i:06}")))
            .collect();
        let vis = visible(&nodes);
        assert_eq!(vis.len(), 20_000);
        assert!(vis.iter().enumerate().all(|(i, v)| v.path == [i]));
    }
}
