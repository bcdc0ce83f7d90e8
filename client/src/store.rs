//! The meeting page's reactive store: the yrs doc (UTF-16 offsets), its [`Meeting`]
//! handle, the [`SyncProvider`], the text [`Bindings`], and the current [`Snapshot`]
//! (a [`MeetingView`] with indices).
//!
//! Every change of the doc, local or remote, schedules one recomputation of the snapshot
//! in a microtask, so a burst of changes within one browser task costs one view; when
//! only typed texts changed, the snapshot's texts are patched instead ([`crate::changes`]). The
//! snapshot is then pushed into *fine-grained signals*, each set only when its part
//! changed: the register, the item list, the header, the actions, and one signal per
//! mounted item heading, item block list and block ([`Store::watch_block`] …). A keystroke
//! in one block thus wakes that block's components and nothing else, however big the
//! meeting (a single snapshot signal read by every component would wake them all).
//!
//! Views write through [`Store::write`]: one transaction of `Meeting` operations per user
//! action, with this page's origin so that [`Store::undo`] can take it back (and never
//! anyone else's change: [`History`]), refused while [`Store::editable`] is false (the
//! role is read-only or the minutes are signed off: controls are hidden or disabled then,
//! and this makes every remaining path, e.g. a keyboard shortcut, inert). [`Store`] is `Copy` (arena handles), so event handlers capture it freely; it is
//! provided to the page's views as context ([`use_store`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use minutebook_shared::meeting::undo::{History, LOCAL_ORIGIN};
use minutebook_shared::meeting::{
    ActionView, BlockId, HeaderView, ItemId, Meeting, MeetingView, OpError, PersonView,
};
use yrs::{Doc, OffsetKind, Options, TextRef, Transact, TransactionMut};

use crate::bindings::{Binding, Bindings, Field};
use crate::changes::{Changes, TextTarget};
use crate::snapshot::{BlockInfo, ItemHead, Snapshot};
use crate::sync::{SaveState, SyncProvider};

/// Where the action form was opened from (see `views::action_form`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionTarget {
    /// The item.
    pub item: ItemId,
    /// The block.
    pub block: BlockId,
}

/// A short-lived message with an Undo button ("Deleted paragraph 2 of item 3 — Undo").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What happened, in words.
    pub text: String,
    /// Distinguishes notices with the same text (each one hides on its own timer).
    pub serial: u64,
}

/// Handle on the open meeting; cheap to copy.
#[derive(Clone, Copy)]
pub struct Store {
    /// The block the action form is open for, if it is open.
    pub action_target: RwSignal<Option<ActionTarget>>,
    /// The register, in order.
    pub people: RwSignal<Vec<PersonView>>,
    /// Visible items in reading order with their numbers.
    pub items: RwSignal<Vec<(ItemId, String)>>,
    /// The header.
    pub header: RwSignal<HeaderView>,
    /// The action log.
    pub actions: RwSignal<Vec<ActionView>>,
    /// Whether this page may change the minutes now (kept by `crate::meeting_trust`).
    pub editable: RwSignal<bool>,
    /// Counts snapshot recomputations: views that derive from the whole meeting (the
    /// statements panels) track it and memoise what they need.
    pub revision: RwSignal<u64>,
    /// Counts recomputations that were not a text-only patch (structure, attributions,
    /// fields): views that show texts through their own watchers track this instead.
    pub structure: RwSignal<u64>,
    /// Whether [`Store::undo`] / [`Store::redo`] have a step to take (for the buttons).
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    /// The notice shown after a deletion, with its Undo button.
    pub notice: RwSignal<Option<Notice>>,
    /// What the page last said to screen readers ([`Store::announce`]).
    pub announcement: RwSignal<String>,
    inner: StoredValue<Rc<Inner>, LocalStorage>,
}

struct Inner {
    name: String,
    doc: Doc,
    meeting: Meeting,
    provider: SyncProvider,
    bindings: Bindings,
    /// This page's own changes, for undo and redo.
    history: RefCell<History>,
    snapshot: RefCell<Rc<Snapshot>>,
    watchers: RefCell<Watchers>,
    changes: Changes,
}

/// Signals of mounted components, by registration number (one id may be mounted twice
/// for a moment while a keyed list moves it).
#[derive(Default)]
struct Watchers {
    next: u64,
    heads: Watched<ItemId, ItemHead>,
    item_blocks: Watched<ItemId, Vec<BlockId>>,
    blocks: Watched<BlockId, BlockInfo>,
}

/// Registration number → (what is watched, its signal).
type Watched<K, V> = HashMap<u64, (K, RwSignal<V>)>;

/// Sets `signal` to `value` unless it already holds an equal value.
fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.try_with_untracked(|old| *old != value) == Some(true) {
        signal.set(value);
    }
}

impl Store {
    /// Opens meeting document `name`: creates the doc and starts syncing it; `on_state`
    /// hears the save state.
    pub fn open(name: &str, on_state: impl Fn(SaveState) + 'static) -> Store {
        // No garbage collection of deleted content: the page holds handles into it (the
        // `TextRef`s of bound fields, the undo history's items). With collection on, a
        // block deleted by another page while its field was still mounted crashed the
        // page ("memory access out of bounds"; browser_undo hit it in 4 of 6 runs, and in
        // none of 8 without collection). Deleted text then stays in memory: fine for one
        // meeting.
        let doc = Doc::with_options(Options {
            offset_kind: OffsetKind::Utf16,
            skip_gc: true,
            ..Options::default()
        });
        let meeting = Meeting::new(doc.clone());
        let history = History::new(&meeting, minutebook_shared::time::now_ms);
        let snapshot = Snapshot::new(view_of(&meeting));
        let bindings = Bindings::new(doc.clone());
        let changes = Changes::default();
        let provider = SyncProvider::start(doc.clone(), crate::socket_url(name), on_state);
        provider.set_remote_guard({
            let bindings = bindings.clone();
            Rc::new(move |apply| bindings.around_remote(apply))
        });
        let store = Store {
            action_target: RwSignal::new(None),
            people: RwSignal::new(snapshot.view.people.clone()),
            items: RwSignal::new(item_numbers(&snapshot.view)),
            header: RwSignal::new(snapshot.view.header.clone()),
            actions: RwSignal::new(snapshot.view.actions.clone()),
            editable: RwSignal::new(false),
            revision: RwSignal::new(0),
            structure: RwSignal::new(0),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            inner: StoredValue::new_local(Rc::new(Inner {
                name: name.to_owned(),
                doc: doc.clone(),
                meeting,
                provider,
                bindings,
                history: RefCell::new(history),
                snapshot: RefCell::new(Rc::new(snapshot)),
                watchers: RefCell::default(),
                changes: changes.clone(),
            })),
        };

        let scheduled = Rc::new(Cell::new(false));
        changes.observe(&doc, move || {
            if scheduled.replace(true) {
                return;
            }
            let scheduled = scheduled.clone();
            queue_microtask(move || {
                scheduled.set(false);
                store.refresh();
            });
        });
        // Read-only (a role without editing, or signed off): nothing to undo any more.
        Effect::new(move |_| {
            if !store.editable.get() {
                store.clear_history();
            }
        });
        store
    }

    /// Takes back this page's last change (text or structure); whether it did anything.
    /// Inert while the page is read-only.
    pub fn undo(&self) -> bool {
        self.step_history(History::undo)
    }

    /// Does again the last change undone; whether it did anything.
    pub fn redo(&self) -> bool {
        self.step_history(History::redo)
    }

    fn step_history(&self, step: fn(&mut History) -> bool) -> bool {
        if !self.editable.get_untracked() {
            return false;
        }
        let Some(inner) = self.inner() else {
            return false;
        };
        let changed = match inner.history.try_borrow_mut() {
            Ok(mut history) => step(&mut history),
            Err(_) => false,
        };
        self.history_state();
        changed
    }

    /// Forgets the undo and redo stacks.
    fn clear_history(&self) {
        if let Some(inner) = self.inner() {
            if let Ok(mut history) = inner.history.try_borrow_mut() {
                history.clear();
            }
        }
        self.notice.set(None);
        self.history_state();
    }

    /// Sets the undo/redo button signals from the history.
    fn history_state(&self) {
        let Some(inner) = self.inner() else { return };
        let Ok(history) = inner.history.try_borrow() else {
            return;
        };
        set_if_changed(self.can_undo, history.can_undo());
        set_if_changed(self.can_redo, history.can_redo());
    }

    /// Shows `text` with an Undo button for a while (after a deletion).
    pub fn notify_undoable(&self, text: String) {
        let serial = self
            .notice
            .with_untracked(|n| n.as_ref().map_or(0, |n| n.serial + 1));
        self.notice.set(Some(Notice { text, serial }));
    }

    /// Recomputes the snapshot and updates every signal whose part changed. When only
    /// typed texts changed, only their watchers are compared: the cost of a keystroke
    /// arriving from someone else does not grow with the meeting.
    fn refresh(&self) {
        let Some(inner) = self.inner() else { return };
        let focus = inner.bindings.remember_focus();
        let pending = inner.changes.take();
        let (snap, patched) = if pending.full {
            (Rc::new(Snapshot::new(view_of(&inner.meeting))), None)
        } else {
            // Only typed texts changed: patch them instead of recomputing the view.
            // Taken out of the cell, the snapshot is usually not shared: no copy is made.
            let mut snap = std::mem::take(&mut *inner.snapshot.borrow_mut());
            let contents = match inner.doc.try_transact() {
                Ok(txn) => pending.contents(&txn),
                Err(_) => Vec::new(),
            };
            let patch = Rc::make_mut(&mut snap);
            let mut targets = Vec::with_capacity(contents.len());
            for (target, text) in contents {
                if patch.patch_text(&target, text) {
                    targets.push(target);
                }
            }
            (snap, Some(targets))
        };
        *inner.snapshot.borrow_mut() = snap.clone();
        match &patched {
            None => {
                self.publish_all(&inner, &snap);
                self.structure.update(|r| *r += 1);
            }
            Some(targets) => self.publish_texts(&inner, &snap, targets),
        }
        self.revision.update(|r| *r += 1);
        self.history_state();
        // The re-render runs after this; if it moved the focused field's node, give the
        // focus back.
        if let Some(focus) = focus {
            set_timeout(move || focus.restore(), std::time::Duration::ZERO);
        }
    }

    /// After a full recomputation: every signal whose part changed.
    fn publish_all(&self, inner: &Inner, snap: &Snapshot) {
        let v = &snap.view;
        set_if_changed(self.people, v.people.clone());
        if self
            .items
            .try_with_untracked(|old| {
                old.len() != v.items.len()
                    || old
                        .iter()
                        .zip(&v.items)
                        .any(|((id, n), i)| *id != i.id || *n != i.number)
            })
            .unwrap_or(false)
        {
            self.items.set(item_numbers(v));
        }
        set_if_changed(self.header, v.header.clone());
        set_if_changed(self.actions, v.actions.clone());

        // Collect first, set after: setting may run code that registers watchers.
        let mut heads = Vec::new();
        let mut lists = Vec::new();
        let mut blocks = Vec::new();
        {
            let w = inner.watchers.borrow();
            for (id, sig) in w.heads.values() {
                if let Some(h) = snap.item_head(id) {
                    if sig.try_with_untracked(|old| old != h) == Some(true) {
                        heads.push((*sig, h.clone()));
                    }
                }
            }
            for (id, sig) in w.item_blocks.values() {
                let Some(item) = snap.item(id) else { continue };
                let same = sig.try_with_untracked(|old| {
                    old.len() == item.blocks.len()
                        && old.iter().zip(&item.blocks).all(|(a, b)| *a == b.id)
                });
                if same == Some(false) {
                    lists.push((*sig, snap.block_ids(id)));
                }
            }
            for (id, sig) in w.blocks.values() {
                let Some((item, pos, block)) = snap.block_ref(id) else {
                    continue;
                };
                if sig.try_with_untracked(|old| !old.is(item, pos, block)) == Some(true) {
                    if let Some(info) = snap.block(id) {
                        blocks.push((*sig, info));
                    }
                }
            }
        }
        for (sig, h) in heads {
            sig.set(h);
        }
        for (sig, l) in lists {
            sig.set(l);
        }
        for (sig, b) in blocks {
            sig.set(b);
        }
    }

    /// After a text-only patch: the watchers of the patched texts, and the action log
    /// when a description changed.
    fn publish_texts(&self, inner: &Inner, snap: &Snapshot, targets: &[TextTarget]) {
        let mut heads = Vec::new();
        let mut blocks = Vec::new();
        let mut actions = false;
        {
            let w = inner.watchers.borrow();
            for target in targets {
                match target {
                    TextTarget::Block(id) => {
                        let id = BlockId::from(id.as_str());
                        for (watched, sig) in w.blocks.values() {
                            if *watched == id {
                                if let Some(info) = snap.block(&id) {
                                    blocks.push((*sig, info));
                                }
                            }
                        }
                    }
                    TextTarget::ItemTitle(id) => {
                        let id = ItemId::from(id.as_str());
                        for (watched, sig) in w.heads.values() {
                            if *watched == id {
                                if let Some(h) = snap.item_head(&id) {
                                    heads.push((*sig, h.clone()));
                                }
                            }
                        }
                    }
                    TextTarget::ActionDescription(_) => actions = true,
                }
            }
        }
        for (sig, h) in heads {
            set_if_changed(sig, h);
        }
        for (sig, b) in blocks {
            set_if_changed(sig, b);
        }
        if actions {
            set_if_changed(self.actions, snap.view.actions.clone());
        }
    }

    fn inner(&self) -> Option<Rc<Inner>> {
        self.inner.try_get_value()
    }

    /// The document name.
    pub fn name(&self) -> String {
        self.inner().map(|i| i.name.clone()).unwrap_or_default()
    }

    /// The yrs document.
    pub fn doc(&self) -> Option<Doc> {
        self.inner().map(|i| i.doc.clone())
    }

    /// The sync provider.
    pub fn provider(&self) -> Option<SyncProvider> {
        self.inner().map(|i| i.provider.clone())
    }

    /// Says `text` politely to screen readers (see [`crate::announce`]); the same
    /// sentence twice in a row is said twice.
    pub fn announce(&self, text: String) {
        self.announcement.update(|shown| {
            *shown = if *shown == text {
                format!("{text}\u{a0}")
            } else {
                text
            }
        });
    }

    /// Reads the current snapshot (not reactive: for event handlers; views watch the
    /// signals).
    pub fn with_untracked<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        let snap = self
            .inner()
            .map(|i| i.snapshot.borrow().clone())
            .unwrap_or_default();
        f(&snap)
    }

    fn register<K: 'static, V: Send + Sync + 'static>(
        &self,
        pick: fn(&mut Watchers) -> &mut Watched<K, V>,
        key: K,
        initial: V,
    ) -> ReadSignal<V> {
        let sig = RwSignal::new(initial);
        if let Some(inner) = self.inner() {
            let n = {
                let mut w = inner.watchers.borrow_mut();
                w.next += 1;
                let n = w.next;
                pick(&mut w).insert(n, (key, sig));
                n
            };
            let store = *self;
            on_cleanup(move || {
                if let Some(inner) = store.inner() {
                    if let Ok(mut w) = inner.watchers.try_borrow_mut() {
                        pick(&mut w).remove(&n);
                    }
                }
            });
        }
        sig.read_only()
    }

    /// A signal with block `id` and where it is (for the calling component's lifetime).
    pub fn watch_block(&self, id: &BlockId) -> ReadSignal<BlockInfo> {
        let initial = self.with_untracked(|s| s.block(id)).unwrap_or_default();
        self.register(|w| &mut w.blocks, id.clone(), initial)
    }

    /// A signal with item `id`'s heading data.
    pub fn watch_item_head(&self, id: &ItemId) -> ReadSignal<ItemHead> {
        let initial = self
            .with_untracked(|s| s.item_head(id).cloned())
            .unwrap_or_default();
        self.register(|w| &mut w.heads, id.clone(), initial)
    }

    /// A signal with the ids of item `id`'s blocks.
    pub fn watch_item_blocks(&self, id: &ItemId) -> ReadSignal<Vec<BlockId>> {
        let initial = self.with_untracked(|s| s.block_ids(id));
        self.register(|w| &mut w.item_blocks, id.clone(), initial)
    }

    /// Runs `f` in one transaction (one update to the server). A refused operation is
    /// logged and yields `None`; so does any write while the page is read-only.
    pub fn write<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> Result<T, OpError>,
    ) -> Option<T> {
        if !self.editable.get_untracked() {
            crate::warn(&format!("{what}: the minutes are read-only here"));
            return None;
        }
        let inner = self.inner()?;
        // A structural change is its own undo step, apart from typing just before it.
        if let Ok(mut history) = inner.history.try_borrow_mut() {
            history.stop_capturing();
        }
        let result = {
            let mut txn = match inner.doc.try_transact_mut_with(LOCAL_ORIGIN) {
                Ok(txn) => txn,
                Err(e) => {
                    crate::warn(&format!("{what}: cannot write the document: {e}"));
                    return None;
                }
            };
            f(&inner.meeting, &mut txn)
        };
        if let Ok(mut history) = inner.history.try_borrow_mut() {
            history.stop_capturing();
        }
        result
            .map_err(|e| crate::warn(&format!("{what}: {e}")))
            .ok()
    }

    /// Whether this page may change the minutes now (reactive).
    pub fn is_editable(&self) -> bool {
        self.editable.get()
    }

    /// A block's Y.Text (for presence carets).
    pub fn block_text(&self, id: &BlockId) -> Option<TextRef> {
        let inner = self.inner()?;
        let txn = inner.doc.try_transact_mut().ok()?;
        inner.meeting.block_text(&txn, id)
    }

    /// Binds `field` to a block's Y.Text.
    pub fn bind_block(&self, id: &BlockId, field: Field) -> Option<Binding> {
        let inner = self.inner()?;
        let text = {
            let txn = inner.doc.try_transact_mut().ok()?;
            inner.meeting.block_text(&txn, id)?
        };
        Some(inner.bindings.bind(text, field))
    }

    /// Binds `field` to an item title's Y.Text.
    pub fn bind_title(&self, id: &ItemId, field: Field) -> Option<Binding> {
        let inner = self.inner()?;
        let text = {
            let txn = inner.doc.try_transact_mut().ok()?;
            inner.meeting.item_title_text(&txn, id)?
        };
        Some(inner.bindings.bind(text, field))
    }
}

fn item_numbers(view: &MeetingView) -> Vec<(ItemId, String)> {
    view.items
        .iter()
        .map(|i| (i.id.clone(), i.number.clone()))
        .collect()
}

fn view_of(meeting: &Meeting) -> MeetingView {
    match meeting.doc().try_transact() {
        Ok(txn) => meeting.view(&txn),
        Err(e) => {
            crate::warn(&format!("meeting: cannot read the document: {e}"));
            MeetingView::default()
        }
    }
}

/// The page's store (provided by the meeting page).
pub fn use_store() -> Store {
    expect_context::<Store>()
}
