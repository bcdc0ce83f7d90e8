//! Presence: who else is on this document, and where they are working.
//!
//! [`Presence`] is a small `Copy` handle over the sync provider's awareness protocol
//! ([`crate::sync::awareness`]). It announces this page's user (name and colour) and focus
//! (item, block, caret/selection as yrs sticky indices) in the JSON format of
//! `client/DOM.md`, and exposes everyone's state as a reactive list of [`Peer`]s.
//!
//! Names are verified, never chosen: every peer is shown under the name the server
//! stamped on its state (`verified.name`), this page under its session's name (see
//! [`name`]); what a client announces as `user.name` is not shown.
//! The colour is picked from a fixed, accessible palette by client id ([`colour_for`]).
//!
//! # Usage
//!
//! Once, where the document and its provider are made (inside a leptos owner):
//!
//! ```ignore
//! let provider = SyncProvider::start(doc.clone(), url, &writer, move |s| state.set(s));
//! let presence = Presence::start(&provider, Some("Ann")); // also provide_context(presence)
//! ```
//!
//! In views ([`crate::views::presence`] has ready-made ones):
//!
//! ```ignore
//! let presence = use_presence().expect("Presence::start ran above");
//! view! {
//!     <PresenceList />          // ul#presence > li.peer[data-client][data-self]
//! }
//! // In an item's / a block's header (span.block-presence with .peer-badge's):
//! view! { <BlockPresence item=item_id.clone() block=block_id.clone() /> } // or item only
//! // Next to a block's textarea, inside the same `position: relative` parent:
//! view! { <RemoteCarets text=block_text.clone() block=block_id.clone() textarea=node_ref /> }
//!
//! // Tell the others where the caret is: on focus, input, select, keyup and mouseup of a
//! // block's textarea (it reads selectionStart/End/direction and anchors them to `text`),
//! presence.focus_textarea(&item_id, Some(&block_id), &block_text, &textarea_el);
//! // or of an item-level control without text (e.g. the item title input's focus),
//! presence.set_focus(&item_id, None, None);
//! // and on blur:
//! presence.clear_focus();
//!
//! // Reactive reads (inside views/effects they track changes):
//! presence.peers()        // Vec<Peer>, own entry first (is_self), then by name
//! presence.name()         // this page's name (the session's)
//! ```

pub mod caret;
pub mod colour;
pub mod name;
pub mod state;

pub use colour::{colour_for, PALETTE};
pub use state::{AwarenessState, Focus, User};

use leptos::prelude::*;
use minutebook_shared::meeting::model::{BlockId, ItemId};
use web_sys::HtmlTextAreaElement;
use yrs::{Assoc, Doc, IndexedSequence, StickyIndex, TextRef, Transact};

use crate::sync::SyncProvider;

/// One client on the document, as its awareness state says.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// Awareness client id (unique per page load).
    pub client_id: u64,
    /// The verified name ("Guest NNN" for a state the server did not stamp).
    pub name: String,
    /// The verified meeting role, if the server stamped one.
    pub role: Option<String>,
    /// CSS colour (`#rrggbb`).
    pub color: String,
    /// Where the peer is working, if anywhere.
    pub focus: Option<Focus>,
    /// This page's own entry.
    pub is_self: bool,
}

impl Peer {
    /// Whether the peer is in `item` (and, when `block` is given, in that block).
    pub fn is_in(&self, item: &ItemId, block: Option<&BlockId>) -> bool {
        self.focus.as_ref().is_some_and(|f| {
            f.item == item.as_str() && block.is_none_or(|b| f.block.as_deref() == Some(b.as_str()))
        })
    }
}

/// Handle to this page's presence; `Copy`, lives as long as the leptos owner that made it.
#[derive(Clone, Copy)]
pub struct Presence {
    provider: StoredValue<SyncProvider, LocalStorage>,
    client_id: u64,
    name: RwSignal<String>,
    colour: RwSignal<String>,
    focus: StoredValue<Option<Focus>, LocalStorage>,
    peers: RwSignal<Vec<Peer>, LocalStorage>,
    /// The same without carets: set only when someone joins, leaves or moves to another
    /// block, so the hundreds of per-block badges and overlay checks do not re-run for
    /// every caret move (the caret overlays read [`Presence::peers_with_carets`]).
    places: RwSignal<Vec<Peer>, LocalStorage>,
}

impl Presence {
    /// Starts presence over `provider` under the signed-in user's name `session_name`
    /// (the name the server verifies), announces it, follows the peers' states, and
    /// provides the handle as leptos context ([`use_presence`]).
    pub fn start(provider: &SyncProvider, session_name: Option<&str>) -> Presence {
        let client_id = provider.client_id();
        let presence = Presence {
            provider: StoredValue::new_local(provider.clone()),
            client_id,
            name: RwSignal::new(name::own_name(session_name, client_id)),
            colour: RwSignal::new(colour_for(client_id).to_owned()),
            focus: StoredValue::new_local(None),
            peers: RwSignal::new_local(Vec::new()),
            places: RwSignal::new_local(Vec::new()),
        };
        provider.on_awareness_change(move || presence.refresh_peers());
        presence.announce();
        provide_context(presence);
        presence
    }

    /// This page's awareness client id.
    pub fn client_id(&self) -> u64 {
        self.client_id
    }

    /// The synced document (to resolve peers' sticky indices against).
    pub fn doc(&self) -> Option<Doc> {
        self.provider.try_with_value(SyncProvider::doc)
    }

    /// This page's name (reactive).
    pub fn name(&self) -> String {
        self.name.get()
    }

    /// This page's colour (reactive).
    pub fn colour(&self) -> String {
        self.colour.get()
    }

    /// Everyone with a state, this page first, then by name, without their carets
    /// (reactive: changes when someone joins, leaves or moves to another block).
    pub fn peers(&self) -> Vec<Peer> {
        self.places.get()
    }

    /// [`Presence::peers`] with their carets (reactive: changes with every caret move).
    pub fn peers_with_carets(&self) -> Vec<Peer> {
        self.peers.get()
    }

    /// Whether some peer matches `f`, carets aside (reactive; copies nothing).
    pub fn any_peer(&self, f: impl Fn(&Peer) -> bool) -> bool {
        self.places.with(|peers| peers.iter().any(f))
    }

    /// The peers (not this page) focused in `item` / `block` (reactive, carets aside).
    pub fn peers_in(&self, item: &ItemId, block: Option<&BlockId>) -> Vec<Peer> {
        self.places.with(|peers| {
            peers
                .iter()
                .filter(|p| !p.is_self && p.is_in(item, block))
                .cloned()
                .collect()
        })
    }

    /// Announces that this page works in `item`, optionally in `block`, optionally with a
    /// caret/selection `(anchor, head)` in that block's text.
    pub fn set_focus(
        &self,
        item: &ItemId,
        block: Option<&BlockId>,
        selection: Option<(StickyIndex, StickyIndex)>,
    ) {
        let (anchor, head) = match selection {
            Some((a, h)) => (Some(a), Some(h)),
            None => (None, None),
        };
        let focus = Focus {
            item: item.as_str().to_owned(),
            block: block.map(|b| b.as_str().to_owned()),
            anchor,
            head,
        };
        self.focus.set_value(Some(focus));
        self.announce();
    }

    /// [`Presence::set_focus`] with the caret/selection read from `el`, a textarea bound
    /// to `text` (indices in UTF-16 units, as the doc's offsets).
    pub fn focus_textarea(
        &self,
        item: &ItemId,
        block: Option<&BlockId>,
        text: &TextRef,
        el: &HtmlTextAreaElement,
    ) {
        let selection = self.selection_of(text, el);
        self.set_focus(item, block, selection);
    }

    /// Announces that this page works in no item.
    pub fn clear_focus(&self) {
        let had = self.focus.try_update_value(|f| f.take().is_some());
        if had == Some(true) {
            self.announce();
        }
    }

    fn selection_of(
        &self,
        text: &TextRef,
        el: &HtmlTextAreaElement,
    ) -> Option<(StickyIndex, StickyIndex)> {
        let start = el.selection_start().ok().flatten()?;
        let end = el.selection_end().ok().flatten()?;
        let backward = el.selection_direction().ok().flatten().as_deref() == Some("backward");
        let (anchor, head) = if backward { (end, start) } else { (start, end) };
        let doc = self.doc()?;
        let txn = doc.try_transact().ok()?;
        // The doc counts UTF-16 units (`OffsetKind::Utf16`), like the textarea.
        let len = yrs::Text::len(text, &txn);
        let sticky = |i: u32| text.sticky_index(&txn, i.min(len), Assoc::After);
        Some((sticky(anchor)?, sticky(head)?))
    }

    /// Sends this page's current state.
    fn announce(&self) {
        let (Some(name), Some(color)) = (
            self.name.try_get_untracked(),
            self.colour.try_get_untracked(),
        ) else {
            return; // disposed
        };
        let user = User { name, color };
        let focus = self.focus.try_get_value().flatten();
        let json = AwarenessState {
            user: Some(user),
            focus,
            verified: None,
        }
        .to_json();
        if self
            .provider
            .try_with_value(|p| p.set_awareness(&json))
            .is_some()
        {
            self.refresh_peers();
        }
    }

    /// Rebuilds the peer list from the provider's states.
    fn refresh_peers(&self) {
        let Some(states) = self.provider.try_with_value(SyncProvider::awareness_states) else {
            return;
        };
        let own = self.name.try_get_untracked().unwrap_or_default();
        let peers = peers_from(&states, self.client_id, &own);
        // A peer with a lower client id wears this page's colour: move to a free one.
        if let Some(mine) = self.colour.try_get_untracked() {
            let others: Vec<(u64, &str)> = peers
                .iter()
                .filter(|p| !p.is_self)
                .map(|p| (p.client_id, p.color.as_str()))
                .collect();
            let next = colour::resolve(self.client_id, &mine, &others).to_owned();
            if next != mine {
                self.colour.set(next);
                self.announce();
                return;
            }
        }
        let places: Vec<Peer> = peers
            .iter()
            .map(|p| Peer {
                focus: p.focus.as_ref().map(|f| Focus {
                    anchor: None,
                    head: None,
                    ..f.clone()
                }),
                ..p.clone()
            })
            .collect();
        if self.places.try_with_untracked(|old| *old != places) == Some(true) {
            self.places.set(places);
        }
        if self.peers.try_with_untracked(|old| *old != peers) == Some(true) {
            self.peers.set(peers);
        }
    }
}

/// The page's [`Presence`], if [`Presence::start`] ran in an ancestor.
pub fn use_presence() -> Option<Presence> {
    use_context::<Presence>()
}

/// Turns raw awareness states into the sorted peer list (own entry first): each under
/// its verified name, this page (`own`) under `own_name`.
pub fn peers_from(states: &[(u64, std::sync::Arc<str>)], own: u64, own_name: &str) -> Vec<Peer> {
    let mut peers: Vec<Peer> = states
        .iter()
        .filter_map(|(id, json)| {
            let state = AwarenessState::from_json(json)?;
            let is_self = *id == own;
            let color = state
                .user
                .map(|u| u.color)
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| colour_for(*id).to_owned());
            let verified = state
                .verified
                .and_then(|v| Some((name::clean_name(&v.name)?, v.role)));
            let (name, role) = match verified {
                _ if is_self => (own_name.to_owned(), None),
                Some((name, role)) => (name, Some(role)),
                None => (name::guest_name(*id), None),
            };
            Some(Peer {
                client_id: *id,
                name,
                role,
                color,
                focus: state.focus,
                is_self,
            })
        })
        .collect();
    peers.sort_by(|a, b| {
        b.is_self
            .cmp(&a.is_self)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then(a.client_id.cmp(&b.client_id))
    });
    peers
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn peer_list_shows_verified_names_sorted_and_fills_gaps() {
        let states: Vec<(u64, Arc<str>)> = vec![
            (
                5,
                r##"{"user":{"name":"zed","color":"#010203"},"verified":{"name":"Zoe","role":"chair"}}"##
                    .into(),
            ),
            (3, r##"{"user":{"name":"Me","color":"#aaaaaa"}}"##.into()),
            (
                9,
                r#"{"user":{"name":"Administrator (Chair)"},"verified":{"name":"Amy","role":"observer"},"focus":{"item":"i","block":"b"}}"#.into(),
            ),
            (12, r#"{"user":{"name":"Self-named"}}"#.into()),
            (13, "garbage".into()),
        ];
        let peers = peers_from(&states, 3, "Sam");
        let names: Vec<&str> = peers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Sam", "Amy", "Guest 012", "Zoe"]);
        assert!(peers[0].is_self && !peers[1].is_self);
        assert_eq!(peers[1].role.as_deref(), Some("observer"));
        assert_eq!(peers[1].color, colour_for(9));
        assert_eq!(peers[3].color, "#010203");
        let (i, b) = (ItemId::from("i"), BlockId::from("b"));
        assert!(peers[1].is_in(&i, None));
        assert!(peers[1].is_in(&i, Some(&b)));
        assert!(!peers[1].is_in(&i, Some(&BlockId::from("c"))));
        assert!(!peers[2].is_in(&i, None));
    }
}
