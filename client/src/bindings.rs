//! Many live text bindings at once: each `<textarea>` or `<input>` of the meeting editor
//! bound to its own Y.Text (block texts, item titles).
//!
//! The one-binding version for the free-text page is [`crate::binding::TextareaBinding`]; this
//! one reuses its pieces ([`diff`], [`apply`], [`StickySelection`]) and adds:
//!
//! - **Per-text observers.** Each binding observes only its own Y.Text (under a unique
//!   observer key), so a change re-renders exactly the fields whose text changed and no
//!   other; a field whose value already matches (the local typist's) is not touched.
//! - **One remote guard for all.** [`Bindings::around_remote`] (installed as the sync
//!   provider's remote guard) captures the focused field's caret/selection as sticky
//!   indices before a remote update is applied; that field's observer then restores it
//!   while rendering the new text, inside the same commit.
//!
//! Indices are UTF-16 code units: the doc is created with `OffsetKind::Utf16`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use send_wrapper::SendWrapper;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yrs::types::text::TextEvent;
use yrs::{
    Doc, GetString, IndexedSequence, Observable, ReadTxn, StickyIndex, Text, TextRef, Transact,
    TransactionMut,
};

use crate::binding::{apply, diff, StickySelection};
use minutebook_shared::meeting::undo::LOCAL_ORIGIN;

/// The element a Y.Text is shown in.
#[derive(Clone)]
pub enum Field {
    /// A multi-line block text.
    Area(HtmlTextAreaElement),
    /// A one-line title.
    Input(HtmlInputElement),
}

impl Field {
    fn value(&self) -> String {
        match self {
            Field::Area(e) => e.value(),
            Field::Input(e) => e.value(),
        }
    }

    fn set_value(&self, v: &str) {
        match self {
            Field::Area(e) => e.set_value(v),
            Field::Input(e) => e.set_value(v),
        }
    }

    /// `(selectionStart, selectionEnd)`.
    pub fn selection(&self) -> Option<(u32, u32)> {
        let (s, e) = match self {
            Field::Area(e) => (e.selection_start(), e.selection_end()),
            Field::Input(e) => (e.selection_start(), e.selection_end()),
        };
        Some((s.ok().flatten()?, e.ok().flatten()?))
    }

    fn direction(&self) -> Option<String> {
        match self {
            Field::Area(e) => e.selection_direction().ok().flatten(),
            Field::Input(e) => e.selection_direction().ok().flatten(),
        }
    }

    fn set_selection(&self, start: u32, end: u32, direction: &str) {
        let done = match self {
            Field::Area(e) => e.set_selection_range_with_direction(start, end, direction),
            Field::Input(e) => e.set_selection_range_with_direction(start, end, direction),
        };
        if let Err(e) = done {
            crate::warn(&format!("editor: cannot restore the selection: {e:?}"));
        }
    }

    fn element(&self) -> &web_sys::Element {
        match self {
            Field::Area(e) => e,
            Field::Input(e) => e,
        }
    }
}

/// The registry of live bindings of one doc; clones share it.
#[derive(Clone)]
pub struct Bindings {
    reg: Rc<RefCell<Registry>>,
}

struct Registry {
    doc: Doc,
    next: u64,
    bound: HashMap<u64, Bound>,
    /// The binding whose field has the focus.
    focused: Option<u64>,
    /// While a remote update is applied: the focused binding and its anchored selection.
    pending: Option<(u64, StickySelection)>,
}

struct Bound {
    text: TextRef,
    field: Field,
    observer: String,
}

/// One field bound to one Y.Text; unbinds when dropped.
pub struct Binding {
    id: u64,
    reg: Weak<RefCell<Registry>>,
}

impl Bindings {
    /// An empty registry for `doc`.
    pub fn new(doc: Doc) -> Self {
        Bindings {
            reg: Rc::new(RefCell::new(Registry {
                doc,
                next: 0,
                bound: HashMap::new(),
                focused: None,
                pending: None,
            })),
        }
    }

    /// Binds `field` to `text`: shows its content now and on every later change.
    pub fn bind(&self, text: TextRef, field: Field) -> Binding {
        let id = {
            let mut reg = self.reg.borrow_mut();
            reg.next += 1;
            reg.next
        };
        // Marks the field as bound: the page's undo takes its Ctrl+Z (see
        // `views::history`), where an unbound field keeps the browser's own.
        let _ = field.element().set_attribute("data-bound", "");
        let observer = format!("minutebook/binding/{id}");
        let weak = SendWrapper::new(Rc::downgrade(&self.reg));
        text.observe(observer.clone(), move |txn, _: &TextEvent| {
            if let Some(reg) = weak.upgrade() {
                render(&reg, id, txn);
            }
        });
        self.reg.borrow_mut().bound.insert(
            id,
            Bound {
                text,
                field,
                observer,
            },
        );
        let doc = self.reg.borrow().doc.clone();
        match doc.try_transact() {
            Ok(txn) => render(&self.reg, id, &txn),
            Err(e) => crate::warn(&format!("editor: cannot read the document: {e}")),
        }
        Binding {
            id,
            reg: Rc::downgrade(&self.reg),
        }
    }

    /// Applies a remote update (`apply_remote`) keeping the focused field's caret and
    /// selection next to the same characters. Meant as the sync provider's remote guard.
    pub fn around_remote(&self, apply_remote: &mut dyn FnMut()) {
        let captured = {
            let reg = self.reg.borrow();
            reg.focused.and_then(|id| {
                let b = reg.bound.get(&id)?;
                let (start, end) = b.field.selection()?;
                let txn = reg.doc.try_transact().ok()?;
                Some((id, StickySelection::capture(&b.text, &txn, start, end)?))
            })
        };
        self.reg.borrow_mut().pending = captured;
        apply_remote();
        self.reg.borrow_mut().pending = None;
    }
}

/// The focused field and its anchored selection, taken before a re-render that may move
/// the field's node (a keyed list reordering items takes the focus away from a moved node).
pub struct FocusMemo {
    field: Field,
    doc: Doc,
    selection: StickySelection,
}

impl Bindings {
    /// Remembers the focused bound field, if the page's focus is in one.
    pub fn remember_focus(&self) -> Option<FocusMemo> {
        let reg = self.reg.try_borrow().ok()?;
        let b = reg.bound.get(&reg.focused?)?;
        let active = web_sys::window()?.document()?.active_element()?;
        if &active != b.field.element() {
            return None;
        }
        let (start, end) = b.field.selection()?;
        let txn = reg.doc.try_transact().ok()?;
        let selection = StickySelection::capture(&b.text, &txn, start, end)?;
        Some(FocusMemo {
            field: b.field.clone(),
            doc: reg.doc.clone(),
            selection,
        })
    }
}

impl FocusMemo {
    /// Gives the focus (and the selection) back if nothing has it and the field is still
    /// in the page.
    pub fn restore(&self) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let lost = document
            .active_element()
            .is_none_or(|a| Some(&a) == document.body().as_deref());
        let el = self.field.element();
        if !lost || !el.is_connected() {
            return;
        }
        let focused = match &self.field {
            Field::Area(e) => e.focus(),
            Field::Input(e) => e.focus(),
        };
        if focused.is_err() {
            return;
        }
        if let Ok(txn) = self.doc.try_transact() {
            if let Some((start, end)) = self.selection.resolve(&txn) {
                self.field.set_selection(start, end, "none");
            }
        }
    }
}

/// Shows binding `id`'s text in its field if they differ, restoring the pending
/// selection when the binding is the focused one.
fn render<T: ReadTxn>(reg_rc: &Rc<RefCell<Registry>>, id: u64, txn: &T) {
    let Ok(reg) = reg_rc.try_borrow() else {
        crate::warn("editor: a text changed while its binding was busy");
        return;
    };
    let Some(b) = reg.bound.get(&id) else { return };
    let content = b.text.get_string(txn);
    if content == b.field.value() {
        return;
    }
    let focused = reg.focused == Some(id);
    if !focused {
        // Reading the scroll position or selection would force a layout per field; a
        // field without the focus just takes the new text.
        b.field.set_value(&content);
        return;
    }
    let restored = match &reg.pending {
        Some((p, sel)) if *p == id => sel.resolve(txn),
        _ => None,
    };
    let el = b.field.element();
    let direction = b.field.direction();
    let scroll_top = el.scroll_top();
    b.field.set_value(&content);
    el.set_scroll_top(scroll_top);
    if let Some((start, end)) = restored {
        b.field
            .set_selection(start, end, direction.as_deref().unwrap_or("none"));
    }
}

impl Binding {
    fn parts(&self) -> Option<(Rc<RefCell<Registry>>, Doc, TextRef, Field)> {
        let reg = self.reg.upgrade()?;
        let (doc, text, field) = {
            let r = reg.borrow();
            let b = r.bound.get(&self.id)?;
            (r.doc.clone(), b.text.clone(), b.field.clone())
        };
        Some((reg, doc, text, field))
    }

    /// Handles the field's `input` event: records the user's edit in the Y.Text.
    pub fn on_input(&self) {
        let Some((reg, doc, text, field)) = self.parts() else {
            return;
        };
        let value = field.value();
        let caret = field.selection().map(|(_, end)| end);
        let stored = {
            let mut txn = match doc.try_transact_mut_with(LOCAL_ORIGIN) {
                Ok(txn) => txn,
                Err(e) => {
                    crate::warn(&format!("editor: cannot record the edit: {e}"));
                    return;
                }
            };
            let old = text.get_string(&txn);
            if let Some(splice) = diff(&old, &value, caret) {
                apply(&text, &mut txn, &splice);
            }
            text.get_string(&txn)
        };
        // A value the Y.Text cannot hold as is (a lone surrogate) would leave the two
        // apart: show what the document really holds.
        if stored != value {
            if let Ok(txn) = doc.try_transact() {
                render(&reg, self.id, &txn);
            }
        }
    }

    /// The field got the focus.
    pub fn on_focus(&self) {
        if let Some(reg) = self.reg.upgrade() {
            reg.borrow_mut().focused = Some(self.id);
        }
    }

    /// The field lost the focus.
    pub fn on_blur(&self) {
        if let Some(reg) = self.reg.upgrade() {
            let mut r = reg.borrow_mut();
            if r.focused == Some(self.id) {
                r.focused = None;
            }
        }
    }

    /// The field's selection as sticky indices `(anchor, head)` (for presence): the
    /// anchor is where a selection started, the head where the caret is.
    pub fn sticky_selection(&self) -> Option<(StickyIndex, StickyIndex)> {
        let (_, doc, text, field) = self.parts()?;
        let (start, end) = field.selection()?;
        let backward = field.direction().as_deref() == Some("backward");
        let (anchor, head) = if backward { (end, start) } else { (start, end) };
        let txn = doc.try_transact().ok()?;
        let len = text.len(&txn);
        let a = text.sticky_index(&txn, anchor.min(len), yrs::Assoc::After)?;
        let h = text.sticky_index(&txn, head.min(len), yrs::Assoc::After)?;
        Some((a, h))
    }

    /// Applies `f` to the bound Y.Text inside a new transaction (for callers that edit it
    /// directly).
    pub fn with_text<R>(&self, f: impl FnOnce(&TextRef, &mut TransactionMut) -> R) -> Option<R> {
        let (_, doc, text, _) = self.parts()?;
        let mut txn = doc.try_transact_mut_with(LOCAL_ORIGIN).ok()?;
        Some(f(&text, &mut txn))
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        let Some(reg) = self.reg.upgrade() else {
            return;
        };
        let Ok(mut r) = reg.try_borrow_mut() else {
            return;
        };
        if r.focused == Some(self.id) {
            r.focused = None;
        }
        if let Some(b) = r.bound.remove(&self.id) {
            b.text.unobserve(b.observer);
        }
    }
}
