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
//!
//! **Part II.** A page with restricted access also syncs the meeting's Part II document
//! (`/ws/{meeting}/restricted`, see `minutebook_shared::meeting::part2`) with its own
//! provider, offline copy, bindings, change observers and undo history ([`Doc2`]). The
//! snapshot is then [`Meeting::full_view`] of both. Writes go to the document that holds
//! what they touch ([`Which`]): inside an effectively exempt item (its title, sub-items,
//! blocks and the actions raised there) to Part II, never to the main document; the
//! exemption and public title stay in the main document. Undo takes back the latest
//! change of the document this page changed last ([`Store::undo`]), with that
//! document's own history, so undo in one never touches the other.

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
    /// Why this page's copy was discarded, while it is about to load the minutes afresh
    /// (the main document was rebuilt, or the server refused what the copy holds).
    pub reloading: RwSignal<Option<String>>,
    /// Why the previous page of this meeting in this tab discarded its copy and
    /// reloaded, shown until dismissed (the reload would otherwise wipe the reason).
    pub reloaded: RwSignal<Option<String>>,
    /// Why the last outline move was refused (`crate::moves::refusal`), until the next
    /// move is made.
    pub move_refused: RwSignal<Option<String>>,
    inner: StoredValue<Rc<Inner>, LocalStorage>,
}

/// Which of the meeting's two documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The main document (everyone invited syncs it).
    Main,
    /// The Part II document (restricted access only).
    Part2,
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
    /// The Part II document, when this page has restricted access.
    part2: Option<Doc2>,
    /// Serial numbers of the latest local change and the latest undo, per document
    /// (main, Part II): which history Ctrl+Z and Ctrl+Shift+Z step.
    last_edit: Cell<[u64; 2]>,
    last_undo: Cell<[u64; 2]>,
    serial: Cell<u64>,
}

impl Inner {
    /// The undo histories: the main document's, then Part II's.
    fn histories(&self) -> Vec<&RefCell<History>> {
        let mut all = vec![&self.history];
        if let Some(p2) = &self.part2 {
            all.push(&p2.history);
        }
        all
    }
}

/// The Part II document and everything the page keeps per document.
struct Doc2 {
    doc: Doc,
    meeting: Meeting,
    provider: SyncProvider,
    bindings: Bindings,
    history: RefCell<History>,
    changes: Changes,
}

/// A new document as the page needs it (see [`Store::open`] on garbage collection).
fn page_doc() -> Doc {
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        skip_gc: true,
        ..Options::default()
    })
}

/// The address of meeting `name`'s Part II document.
pub fn part2_url(name: &str) -> String {
    format!(
        "{}/{}",
        crate::socket_url(name),
        minutebook_shared::protocol::PART2_SEGMENT
    )
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

/// Why the page reloads when the main document was rebuilt.
const REBUILT: &str = "The minutes were rebuilt because an item moved into Part II";

/// Where the cause of a reload waits for the reloaded page (`sessionStorage`, per tab),
/// followed by the meeting's name.
const RELOAD_CAUSE: &str = "minutebook.reloaded:";

/// Takes the cause of the reload that opened `meeting`'s page, if one did.
fn take_reload_cause(meeting: &str) -> Option<String> {
    let storage = web_sys::window()?.session_storage().ok().flatten()?;
    let key = format!("{RELOAD_CAUSE}{meeting}");
    let cause = storage.get_item(&key).ok().flatten()?;
    let _ = storage.remove_item(&key);
    Some(cause)
}

/// Sets `signal` to `value` unless it already holds an equal value.
fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.try_with_untracked(|old| *old != value) == Some(true) {
        signal.set(value);
    }
}

impl Store {
    /// Opens meeting document `name`: creates the doc and starts syncing it; `on_state`
    /// hears the save state. With `part2` (the page has restricted access) it also syncs
    /// the Part II document, whose save state `on_state2` hears.
    pub fn open(
        name: &str,
        on_state: impl Fn(SaveState) + 'static,
        part2: Option<Box<dyn Fn(SaveState)>>,
    ) -> Store {
        // No garbage collection of deleted content: the page holds handles into it (the
        // `TextRef`s of bound fields, the undo history's items). With collection on, a
        // block deleted by another page while its field was still mounted crashed the
        // page ("memory access out of bounds"; browser_undo hit it in 4 of 6 runs, and in
        // none of 8 without collection). Deleted text then stays in memory: fine for one
        // meeting.
        let doc = page_doc();
        let meeting = Meeting::new(doc.clone());
        let history = History::new(&meeting, minutebook_shared::time::now_ms);
        let bindings = Bindings::new(doc.clone());
        let changes = Changes::default();
        let writer = crate::session::writer(name);
        let provider = SyncProvider::start(doc.clone(), crate::socket_url(name), &writer, on_state);
        provider.set_remote_guard({
            let bindings = bindings.clone();
            Rc::new(move |apply| bindings.around_remote(apply))
        });
        let part2 = part2.map(|on_state2| {
            let doc = page_doc();
            let meeting = Meeting::new(doc.clone());
            let history = History::new(&meeting, minutebook_shared::time::now_ms);
            let bindings = Bindings::new(doc.clone());
            let provider = SyncProvider::start(doc.clone(), part2_url(name), &writer, on_state2);
            provider.set_remote_guard({
                let bindings = bindings.clone();
                Rc::new(move |apply| bindings.around_remote(apply))
            });
            Doc2 {
                doc,
                meeting,
                provider,
                bindings,
                history: RefCell::new(history),
                changes: Changes::default(),
            }
        });
        let snapshot = Snapshot::new(view_of(&meeting, part2.as_ref()));
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
            reloading: RwSignal::new(None),
            reloaded: RwSignal::new(take_reload_cause(name)),
            move_refused: RwSignal::new(None),
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
                part2,
                last_edit: Cell::new([0; 2]),
                last_undo: Cell::new([0; 2]),
                serial: Cell::new(0),
            })),
        };

        let scheduled = Rc::new(Cell::new(false));
        let schedule = move || {
            if scheduled.replace(true) {
                return;
            }
            let scheduled = scheduled.clone();
            queue_microtask(move || {
                scheduled.set(false);
                store.refresh();
            });
        };
        changes.observe(&doc, schedule.clone());
        store.track_local_edits(&doc, Which::Main);
        if let Some(inner) = store.inner() {
            if let Some(p2) = &inner.part2 {
                p2.changes.observe(&p2.doc, schedule);
                store.track_local_edits(&p2.doc, Which::Part2);
            }
        }
        // Read-only (a role without editing, or signed off): nothing to undo any more.
        Effect::new(move |_| {
            if !store.editable.get() {
                store.clear_history();
            }
        });
        store
    }

    /// Notes every local change of `doc` (typing included), for [`Store::undo`].
    fn track_local_edits(&self, doc: &Doc, which: Which) {
        let store = *self;
        let observed = doc.observe_update_v1(
            match which {
                Which::Main => "minutebook/store/main",
                Which::Part2 => "minutebook/store/part2",
            },
            move |txn, _| {
                let local = txn
                    .origin()
                    .is_some_and(|o| o.as_ref() == LOCAL_ORIGIN.as_bytes());
                if local {
                    if let Some(inner) = store.inner() {
                        let n = inner.serial.get() + 1;
                        inner.serial.set(n);
                        let mut last = inner.last_edit.get();
                        last[which as usize] = n;
                        inner.last_edit.set(last);
                    }
                }
            },
        );
        if let Err(e) = observed {
            crate::warn(&format!("undo: cannot observe local changes: {e}"));
        }
    }

    /// Takes back this page's last change (text or structure) in the document it changed
    /// last (main or Part II, each with its own history); whether it did anything. Inert
    /// while the page is read-only.
    pub fn undo(&self) -> bool {
        self.step_history(History::undo, History::can_undo, true)
    }

    /// Does again the last change undone (in the document undone last); whether it did
    /// anything.
    pub fn redo(&self) -> bool {
        self.step_history(History::redo, History::can_redo, false)
    }

    fn step_history(
        &self,
        step: fn(&mut History) -> bool,
        can: fn(&History) -> bool,
        undo: bool,
    ) -> bool {
        if !self.editable.get_untracked() {
            return false;
        }
        let Some(inner) = self.inner() else {
            return false;
        };
        let order = if undo {
            inner.last_edit.get()
        } else {
            inner.last_undo.get()
        };
        let mut candidates: Vec<(u64, Which, &RefCell<History>)> =
            vec![(order[0], Which::Main, &inner.history)];
        if let Some(p2) = &inner.part2 {
            candidates.push((order[1], Which::Part2, &p2.history));
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut changed = false;
        for (_, which, history) in candidates {
            let Ok(mut history) = history.try_borrow_mut() else {
                continue;
            };
            if can(&history) {
                changed = step(&mut history);
                if undo && changed {
                    let n = inner.serial.get() + 1;
                    inner.serial.set(n);
                    let mut last = inner.last_undo.get();
                    last[which as usize] = n;
                    inner.last_undo.set(last);
                }
                break;
            }
        }
        self.history_state();
        changed
    }

    /// Forgets the undo and redo stacks (of both documents).
    fn clear_history(&self) {
        if let Some(inner) = self.inner() {
            for history in inner.histories() {
                if let Ok(mut history) = history.try_borrow_mut() {
                    history.clear();
                }
            }
        }
        self.notice.set(None);
        self.history_state();
    }

    /// Sets the undo/redo button signals from the histories.
    fn history_state(&self) {
        let Some(inner) = self.inner() else { return };
        let (mut undo, mut redo) = (false, false);
        for history in inner.histories() {
            let Ok(history) = history.try_borrow() else {
                return;
            };
            undo |= history.can_undo();
            redo |= history.can_redo();
        }
        set_if_changed(self.can_undo, undo);
        set_if_changed(self.can_redo, redo);
    }

    /// The server rebuilt the main document (an item moved into Part II): discards this
    /// page's copy of it (offline copy, undo history; it is never sent again), says so,
    /// and loads the minutes afresh.
    pub fn rebuilt(&self) {
        self.reload_afresh(false, REBUILT.to_owned());
    }

    /// The server refused content this page's copy of the minutes (or, with `part2`, of
    /// Part II) holds, and closed its connection (1007, `reason`): every reconnection
    /// would send it again, so the copy is discarded and the minutes load afresh, saying
    /// what was lost and why.
    pub fn refused(&self, part2: bool, reason: &str) {
        let reason = reason.trim_end_matches('.');
        let reason = if reason.is_empty() {
            "no reason given"
        } else {
            reason
        };
        self.reload_afresh(
            part2,
            format!(
                "The server refused changes held in this page ({reason}); they could not be \
                 saved and were discarded"
            ),
        );
    }

    /// Discards this page's copy of the main document (with `part2`, of Part II's),
    /// undo history included, says why (`cause`) now and again on the reloaded page, and
    /// reloads the page.
    fn reload_afresh(&self, part2: bool, cause: String) {
        let Some(inner) = self.inner() else { return };
        if self.reloading.with_untracked(Option::is_some) {
            return;
        }
        match (part2, &inner.part2) {
            (true, Some(doc2)) => doc2.provider.discard(),
            _ => inner.provider.discard(),
        }
        self.clear_history();
        if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = storage.set_item(&format!("{RELOAD_CAUSE}{}", inner.name), &cause);
        }
        let notice = format!("{cause} — reloading the minutes as saved");
        self.reloading.set(Some(notice.clone()));
        self.announce(notice);
        set_timeout(
            || {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            },
            std::time::Duration::from_millis(1500),
        );
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
        let focus = inner.bindings.remember_focus().or_else(|| {
            inner
                .part2
                .as_ref()
                .and_then(|p| p.bindings.remember_focus())
        });
        let pending = inner.changes.take();
        let pending2 = inner.part2.as_ref().map(|p| p.changes.take());
        let mut full = pending.full || pending2.as_ref().is_some_and(|p| p.full);
        let mut contents = Vec::new();
        if !full {
            if let Ok(txn) = inner.doc.try_transact() {
                contents = pending.contents(&txn);
            }
            if let (Some(p2), Some(pending2)) = (&inner.part2, &pending2) {
                // Text typed in the main document inside an exempt item is not what the
                // full view shows there: recompute.
                let snap = inner.snapshot.borrow().clone();
                if contents.iter().any(|(t, _)| snap.in_exempt(t)) {
                    full = true;
                }
                // Part II text counts only inside exempt items (as in the full view).
                if let Ok(txn) = p2.doc.try_transact() {
                    contents.extend(pending2.contents(&txn).into_iter().filter(|(t, _)| {
                        matches!(t, TextTarget::ActionDescription(_)) || snap.in_exempt(t)
                    }));
                }
            }
        }
        let (snap, patched) = if full {
            (
                Rc::new(Snapshot::new(view_of(&inner.meeting, inner.part2.as_ref()))),
                None,
            )
        } else {
            // Only typed texts changed: patch them instead of recomputing the view.
            // Taken out of the cell, the snapshot is usually not shared: no copy is made.
            let mut snap = std::mem::take(&mut *inner.snapshot.borrow_mut());
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

    /// Runs `f` on the main document in one transaction (one update to the server). A
    /// refused operation is logged and yields `None`; so does any write while the page
    /// is read-only. For what belongs to an item, use [`Store::write_item`] and its
    /// kin: inside an exempt item they write to Part II.
    pub fn write<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> Result<T, OpError>,
    ) -> Option<T> {
        self.write_in(Which::Main, what, f)
    }

    /// [`Store::write`] into item `id`'s content (its blocks, sub-items, actions): Part II
    /// when the item is effectively exempt, else the main document. `None` (nothing
    /// written) when the item is exempt and this page has no Part II.
    pub fn write_item<T>(
        &self,
        id: &ItemId,
        what: &str,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> Result<T, OpError>,
    ) -> Option<T> {
        let which = self.item_doc(id)?;
        self.write_in(which, what, f)
    }

    /// [`Store::write`] to block `id`, in the document that holds it.
    pub fn write_block<T>(
        &self,
        id: &BlockId,
        what: &str,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> Result<T, OpError>,
    ) -> Option<T> {
        let which = self.holder(|m, txn| m.block_text(txn, id).is_some())?;
        self.write_in(which, what, f)
    }

    /// [`Store::write`] to action `id`, in the document that holds it.
    pub fn write_action<T>(
        &self,
        id: &minutebook_shared::meeting::ActionId,
        what: &str,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> Result<T, OpError>,
    ) -> Option<T> {
        let which = self.holder(|m, txn| m.has_action(txn, id))?;
        self.write_in(which, what, f)
    }

    /// The document that holds block `id`.
    pub fn block_home(&self, id: &BlockId) -> Option<Which> {
        self.holder(|m, txn| m.block_text(txn, id).is_some())
    }

    /// Where item `id` itself (its place in the agenda) lives: a restricted sub-item of
    /// an exempt item in Part II (`None` without Part II), every other item in the main
    /// document.
    pub fn item_home(&self, id: &ItemId) -> Option<Which> {
        let inherited = self.with_untracked(|s| s.item_head(id).is_some_and(|h| h.inherited));
        match (inherited, self.has_part2()) {
            (false, _) => Some(Which::Main),
            (true, true) => Some(Which::Part2),
            (true, false) => None,
        }
    }

    /// Where item `id`'s content goes: Part II inside an effectively exempt item (`None`
    /// without a Part II document: nothing may be written there), else the main
    /// document.
    pub fn item_doc(&self, id: &ItemId) -> Option<Which> {
        let exempt =
            self.with_untracked(|s| s.item(id).is_some_and(|i| i.effective_exemption.is_some()));
        match (exempt, self.has_part2()) {
            (false, _) => Some(Which::Main),
            (true, true) => Some(Which::Part2),
            (true, false) => None,
        }
    }

    /// Whether this page syncs the Part II document (restricted access).
    pub fn has_part2(&self) -> bool {
        self.inner().is_some_and(|i| i.part2.is_some())
    }

    /// The document in which `holds` is true: the main one first, then Part II.
    fn holder(&self, holds: impl Fn(&Meeting, &TransactionMut) -> bool) -> Option<Which> {
        let inner = self.inner()?;
        if let Ok(txn) = inner.doc.try_transact_mut() {
            if holds(&inner.meeting, &txn) {
                return Some(Which::Main);
            }
        }
        let p2 = inner.part2.as_ref()?;
        let txn = p2.doc.try_transact_mut().ok()?;
        holds(&p2.meeting, &txn).then_some(Which::Part2)
    }

    /// Runs `f` in one transaction of document `which` (see [`Store::write`]).
    pub fn write_in<T>(
        &self,
        which: Which,
        what: &str,
        f: impl FnOnce(&Meeting, &mut TransactionMut) -> Result<T, OpError>,
    ) -> Option<T> {
        if !self.editable.get_untracked() {
            crate::warn(&format!("{what}: the minutes are read-only here"));
            return None;
        }
        let inner = self.inner()?;
        let (doc, meeting, history) = match which {
            Which::Main => (&inner.doc, &inner.meeting, &inner.history),
            Which::Part2 => {
                let Some(p2) = inner.part2.as_ref() else {
                    crate::warn(&format!("{what}: this page has no Part II"));
                    return None;
                };
                (&p2.doc, &p2.meeting, &p2.history)
            }
        };
        // A structural change is its own undo step, apart from typing just before it.
        if let Ok(mut history) = history.try_borrow_mut() {
            history.stop_capturing();
        }
        let result = {
            let mut txn = match doc.try_transact_mut_with(LOCAL_ORIGIN) {
                Ok(txn) => txn,
                Err(e) => {
                    crate::warn(&format!("{what}: cannot write the document: {e}"));
                    return None;
                }
            };
            f(meeting, &mut txn)
        };
        if let Ok(mut history) = history.try_borrow_mut() {
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

    /// A block's Y.Text in the main document (for presence carets, which travel over
    /// the main document's awareness and resolve against it). `None` for a Part II
    /// block: its carets would mix the two documents and tell everyone invited where
    /// restricted text is typed.
    pub fn block_text(&self, id: &BlockId) -> Option<TextRef> {
        self.text_in(Which::Main, |m, txn| m.block_text(txn, id))
            .map(|(t, _)| t)
    }

    fn text_in(
        &self,
        which: Which,
        get: impl Fn(&Meeting, &TransactionMut) -> Option<TextRef>,
    ) -> Option<(TextRef, Bindings)> {
        let inner = self.inner()?;
        match which {
            Which::Main => {
                let txn = inner.doc.try_transact_mut().ok()?;
                Some((get(&inner.meeting, &txn)?, inner.bindings.clone()))
            }
            Which::Part2 => {
                let p2 = inner.part2.as_ref()?;
                let txn = p2.doc.try_transact_mut().ok()?;
                Some((get(&p2.meeting, &txn)?, p2.bindings.clone()))
            }
        }
    }

    /// Binds `field` to a block's Y.Text (in the document that holds the block).
    pub fn bind_block(&self, id: &BlockId, field: Field) -> Option<Binding> {
        let which = self.holder(|m, txn| m.block_text(txn, id).is_some())?;
        let (text, bindings) = self.text_in(which, |m, txn| m.block_text(txn, id))?;
        Some(bindings.bind(text, field))
    }

    /// Binds `field` to an item title's Y.Text: inside an exempt item the Part II
    /// document's, and nothing (`None`) while Part II does not hold it yet — never the
    /// main document's, which everyone invited can read.
    pub fn bind_title(&self, id: &ItemId, field: Field) -> Option<Binding> {
        let which = self.item_doc(id)?;
        let (text, bindings) = self.text_in(which, |m, txn| m.item_title_text(txn, id))?;
        Some(bindings.bind(text, field))
    }

    /// The Part II provider, when this page syncs Part II.
    pub fn part2_provider(&self) -> Option<SyncProvider> {
        self.inner()?.part2.as_ref().map(|p| p.provider.clone())
    }
}

fn item_numbers(view: &MeetingView) -> Vec<(ItemId, String)> {
    view.items
        .iter()
        .map(|i| (i.id.clone(), i.number.clone()))
        .collect()
}

/// The meeting's view: the main document's, merged with Part II when there is one.
fn view_of(meeting: &Meeting, part2: Option<&Doc2>) -> MeetingView {
    let txn = match meeting.doc().try_transact() {
        Ok(txn) => txn,
        Err(e) => {
            crate::warn(&format!("meeting: cannot read the document: {e}"));
            return MeetingView::default();
        }
    };
    match part2 {
        None => meeting.view(&txn),
        Some(p2) => match p2.doc.try_transact() {
            Ok(txn2) => meeting.full_view(&txn, &p2.meeting, &txn2),
            Err(e) => {
                crate::warn(&format!("meeting: cannot read Part II: {e}"));
                meeting.view(&txn)
            }
        },
    }
}

/// The page's store (provided by the meeting page).
pub fn use_store() -> Store {
    expect_context::<Store>()
}
