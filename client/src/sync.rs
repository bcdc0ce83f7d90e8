//! The browser WebSocket provider: keeps one yrs document in sync with the server.
//!
//! It speaks the y-websocket sync protocol (see `minutebook_shared::protocol`): on open
//! it sends sync step 1, answers the server's step 1 with step 2, applies the server's
//! step 2 and updates under a "remote" origin, and sends local document changes as
//! updates. The protocol session it drives ([`SyncSession`], shared with the native
//! client) counts what it sent and the server's `MSG_SAVED` acknowledgements to tell
//! when everything is durable. It reconnects with exponential backoff; edits made
//! while offline stay in the doc and reach the server through the next handshake. While
//! any change is unsaved, the document is also kept in `localStorage` ([`local_copy`]),
//! so closing the page offline loses nothing: the next page applies it and sends it.
//!
//! No UI here: the provider reports a [`SaveState`] to a callback, and lets the editor
//! wrap the application of remote updates ([`RemoteGuard`]) to keep its caret in place.
//!
//! It also carries the y-protocols awareness protocol (presence, [`awareness`]): the page
//! sets its own state as JSON ([`SyncProvider::set_awareness`]); the provider sends it once
//! the handshake is done, on change (throttled) and every 15 s, sends `null` when the page
//! is hidden for good (`pagehide`), applies the peers' states and drops those not renewed
//! for 30 s, and tells listeners ([`SyncProvider::on_awareness_change`]) when the set of
//! peer states changes. [`crate::presence`] builds the user-facing API on top.
//!
//! Minutebook's own messages beyond `MSG_SAVED` reach the page as [`SyncEvent`]s
//! ([`SyncProvider::on_event`]): the meeting's ledger (`MSG_LEDGER` on join, then each
//! change as `MSG_LEDGER_CHANGE`), a refused write
//! (`MSG_REJECTED`, which also turns the save state to "not saved"), and every close.
//! A close with code 1008 (policy violation: access revoked) stops reconnecting until
//! the page calls [`SyncProvider::resume`]; the page can also stop it
//! ([`SyncProvider::halt`]). A close with code 4001 ([`CLOSE_REBUILT`]: the server rebuilt
//! the document, e.g. an item moved into Part II) stops it for good and *discards* this
//! page's copy: the offline copy is deleted and never stored again, and nothing more is
//! sent, so the old document's content can never reach the server again; the page then
//! loads the minutes afresh ([`SyncProvider::discard`]). So does a close with code 1007
//! ([`CLOSE_REFUSED`]) on an opened connection: the server refused content this copy
//! holds (e.g. edits under another member's client id), and every reconnection would send
//! it again (a sync step 2 carries everything the server lacks), so reconnecting would
//! only repeat the refusal, forever.

pub mod awareness;
mod backoff;
pub mod combined;
pub mod local_copy;
mod throttle;

pub use backoff::backoff_delay_ms;
pub use minutebook_shared::protocol::session::SaveState;
pub use throttle::{Step, Throttle};

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use minutebook_shared::protocol::session::{self, Received, SyncSession};
use minutebook_shared::protocol::{self, Message, Rejected, SyncMessage};
use minutebook_shared::time::now_ms;
use minutebook_shared::trust::{Ledger, LedgerChange};
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

use awareness::{AwarenessHub, CHECK_INTERVAL_MS};
use local_copy::LocalCopy;

/// Origin of transactions that apply updates received from the server.
const REMOTE_ORIGIN: &str = "minutebook/remote";
/// Key of the provider's update observer on the doc.
const OBSERVER_KEY: &str = "minutebook/sync";

/// WebSocket close code of a policy violation: the server closed the connection because
/// the caller's access was revoked (or changed).
pub const CLOSE_POLICY: u16 = minutebook_shared::protocol::close::code::POLICY_VIOLATION;

/// WebSocket close code of a rebuilt document: this page's copy is from a document the
/// server replaced (see `minutebook_shared::meeting::part2`) and must be discarded.
pub const CLOSE_REBUILT: u16 = minutebook_shared::protocol::close::code::REBUILT;

/// WebSocket close code of refused content (invalid payload): this page's copy holds
/// something the server will never accept, and must be discarded.
pub const CLOSE_REFUSED: u16 = minutebook_shared::protocol::close::code::INVALID_PAYLOAD;

/// What the provider tells the page beyond the save state.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncEvent {
    /// The meeting's whole ledger (`MSG_LEDGER`), on join.
    Ledger(Ledger),
    /// One change to it (`MSG_LEDGER_CHANGE`), after every change.
    LedgerChange(LedgerChange),
    /// The server refused one of this page's writes (`MSG_REJECTED`).
    Rejected(Rejected),
    /// A connection (or an attempt to make one) ended.
    Closed {
        /// The close code (1006 when the socket never opened, e.g. an upgrade refused
        /// with HTTP 401/403: browsers do not reveal the status).
        code: u16,
        /// The server's reason (empty when it gave none).
        reason: String,
        /// Whether the socket had opened.
        opened: bool,
        /// Consecutive attempts that ended before opening (0 after an opened one).
        failures: u32,
        /// Whether the provider stopped reconnecting (code 1008, 1007 or 4001, or
        /// [`SyncProvider::halt`]).
        halted: bool,
    },
}

/// Wraps the application of a remote update: it must call the given closure exactly once.
/// The editor uses it to capture the caret before and restore it after.
pub type RemoteGuard = Rc<dyn Fn(&mut dyn FnMut())>;

/// Handle to a running provider; clones share it. The provider lives while a handle does.
#[derive(Clone)]
pub struct SyncProvider {
    inner: Rc<RefCell<Inner>>,
    /// The synced document, reachable without borrowing `inner`.
    doc: Doc,
}

struct Inner {
    doc: Doc,
    url: String,
    /// The protocol session: handshake, what was sent and what is durable.
    session: SyncSession,
    /// Failed attempts since the last completed handshake.
    attempt: u32,
    next_id: u64,
    conn: Option<Connection>,
    on_state: Rc<dyn Fn(SaveState)>,
    reported: Option<SaveState>,
    remote_guard: Option<RemoteGuard>,
    awareness: AwarenessHub,
    awareness_listeners: Vec<Rc<dyn Fn()>>,
    hooks: Option<PageHooks>,
    on_event: Option<Rc<dyn Fn(SyncEvent)>>,
    /// No reconnecting until [`SyncProvider::resume`].
    halted: bool,
    /// Consecutive connection attempts that closed before opening.
    failures: u32,
    /// Where unsaved changes are kept across page loads.
    local_copy: LocalCopy,
    /// Whether `local_copy` holds a copy this page stored.
    copy_stored: bool,
    /// The document was rebuilt on the server: this copy is dead (never stored, never
    /// sent again).
    discarded: bool,
}

/// Page-level handlers of the awareness protocol: leaving on `pagehide`, coming back on
/// `pageshow`, and the periodic renewal/timeout check.
struct PageHooks {
    on_pagehide: Closure<dyn FnMut(Event)>,
    on_pageshow: Closure<dyn FnMut(web_sys::PageTransitionEvent)>,
    _on_check: Closure<dyn FnMut()>,
    interval: Option<i32>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(hooks) = self.hooks.take() {
            if let Some(window) = web_sys::window() {
                let _ = window.remove_event_listener_with_callback(
                    "pagehide",
                    hooks.on_pagehide.as_ref().unchecked_ref(),
                );
                let _ = window.remove_event_listener_with_callback(
                    "pageshow",
                    hooks.on_pageshow.as_ref().unchecked_ref(),
                );
                if let Some(id) = hooks.interval {
                    window.clear_interval_with_handle(id);
                }
            }
        }
        if let Some(bye) = self.awareness.leave() {
            send(self, &bye);
        }
        if let Some(conn) = self.conn.take() {
            conn.shut();
        }
    }
}

/// One WebSocket and the event handlers attached to it.
struct Connection {
    id: u64,
    ws: WebSocket,
    open: bool,
    _onopen: Closure<dyn FnMut(Event)>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onclose: Closure<dyn FnMut(CloseEvent)>,
    _onerror: Closure<dyn FnMut(Event)>,
}

impl Connection {
    /// Detaches the handlers and closes the socket. The closures themselves must outlive
    /// the event being handled, so the caller keeps `self` until a later task.
    fn shut(&self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        if let Err(e) = self.ws.close() {
            crate::warn(&format!("sync: closing the socket failed: {e:?}"));
        }
    }
}

impl SyncProvider {
    /// Starts syncing `doc` over the WebSocket at `url` as `writer` (who the page's
    /// unsaved copy belongs to: [`crate::session::writer`]); `on_state` hears every
    /// change of [`SaveState`] (and the initial one, synchronously).
    pub fn start(
        doc: Doc,
        url: String,
        writer: &str,
        on_state: impl Fn(SaveState) + 'static,
    ) -> Self {
        // This page's slot is named by its doc's client id (random per page).
        let local_copy = LocalCopy::new(&url, writer, doc.client_id().get());
        let earlier_copies = local_copy.clone();
        let inner = Rc::new(RefCell::new(Inner {
            doc: doc.clone(),
            url,
            session: SyncSession::default(),
            attempt: 0,
            next_id: 0,
            conn: None,
            on_state: Rc::new(on_state),
            reported: None,
            remote_guard: None,
            awareness: AwarenessHub::new(doc.clone(), now_ms),
            awareness_listeners: Vec::new(),
            hooks: None,
            on_event: None,
            halted: false,
            failures: 0,
            local_copy,
            copy_stored: false,
            discarded: false,
        }));
        let weak = SendWrapper::new(Rc::downgrade(&inner));
        let observed = doc.observe_update_v1(OBSERVER_KEY, move |txn, event| {
            let remote = txn
                .origin()
                .is_some_and(|o| o.as_ref() == REMOTE_ORIGIN.as_bytes());
            if remote {
                return;
            }
            if let Some(inner) = weak.upgrade() {
                on_local_update(&inner, event.update.clone());
            }
        });
        if let Err(e) = observed {
            crate::warn(&format!("sync: cannot observe local changes: {e}"));
        }
        install_page_hooks(&inner);
        // Unsaved changes earlier pages (or other tabs) left behind: applied as local
        // edits before the socket opens, so the observer above counts them as unsaved and
        // keeps them in this page's copy, and the handshake sends them. (No borrow of
        // `inner` here.)
        let restored = earlier_copies.restore_all(&doc);
        if restored > 0 {
            crate::warn(&format!(
                "sync: applied {restored} unsaved copies kept from earlier pages"
            ));
        }
        report(&inner);
        connect(&inner);
        SyncProvider { inner, doc }
    }

    /// The document being synced.
    pub fn doc(&self) -> Doc {
        self.doc.clone()
    }

    /// This page's awareness client id (the doc's client id).
    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    /// Sets this page's awareness state (a JSON object, see `client/DOM.md`). It is sent
    /// at once, or within 50 ms when changes come faster; the latest is always sent.
    pub fn set_awareness(&self, json: &str) {
        set_awareness(&self.inner, json.to_owned());
    }

    /// Every awareness state known, this page's included, as `(client id, JSON)`.
    pub fn awareness_states(&self) -> Vec<(u64, Arc<str>)> {
        self.inner
            .try_borrow()
            .map(|inner| inner.awareness.states())
            .unwrap_or_default()
    }

    /// Calls `listener` whenever a peer's awareness state appears, changes or goes.
    pub fn on_awareness_change(&self, listener: impl Fn() + 'static) {
        match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.awareness_listeners.push(Rc::new(listener)),
            Err(_) => crate::warn("presence: provider busy; awareness listener not added"),
        }
    }

    /// Whether closing the page now could lose local changes (see
    /// [`SyncSession::has_unsaved`]).
    pub fn has_unsaved_changes(&self) -> bool {
        self.inner.try_borrow().map_or(true, |inner| {
            !inner.discarded && inner.session.has_unsaved()
        })
    }

    /// Discards this page's copy of the document for good (the server rebuilt it): stops
    /// syncing, deletes the offline copy and never stores or sends anything again. The
    /// page must load the minutes afresh.
    pub fn discard(&self) {
        match self.inner.try_borrow_mut() {
            Ok(mut inner) => {
                inner.discarded = true;
                inner.local_copy.clear();
                inner.copy_stored = false;
            }
            Err(_) => {
                // Inside a provider callback: the close handler already discarded it.
                crate::warn("sync: provider busy; discarding in a later task");
                let weak = Rc::downgrade(&self.inner);
                later(0, move || {
                    if let Some(inner) = weak.upgrade() {
                        let doc = inner.borrow().doc.clone();
                        SyncProvider { doc, inner }.discard();
                    }
                });
                return;
            }
        }
        self.halt();
    }

    /// Whether the copy was discarded ([`SyncProvider::discard`], or a close with
    /// [`CLOSE_REBUILT`]).
    pub fn discarded(&self) -> bool {
        self.inner.try_borrow().is_ok_and(|i| i.discarded)
    }

    /// Sets the listener of [`SyncEvent`]s (call it right after [`SyncProvider::start`]:
    /// socket events only arrive in later tasks).
    pub fn on_event(&self, listener: impl Fn(SyncEvent) + 'static) {
        match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.on_event = Some(Rc::new(listener)),
            Err(_) => crate::warn("sync: provider busy; event listener not set"),
        }
    }

    /// Closes the connection and stops reconnecting (access is gone); the save state
    /// shows "stopped". Local changes stay in the doc.
    pub fn halt(&self) {
        let old = {
            let Ok(mut inner) = self.inner.try_borrow_mut() else {
                crate::warn("sync: provider busy; not halted");
                return;
            };
            inner.halted = true;
            inner.session.closed();
            inner.session.stopped();
            inner.conn.take()
        };
        if let Some(conn) = old {
            conn.shut();
            // Its handlers may be running right now: drop them in a later task.
            later(0, move || drop(conn));
        }
        report(&self.inner);
    }

    /// Whether the provider stopped reconnecting.
    pub fn halted(&self) -> bool {
        self.inner.try_borrow().is_ok_and(|i| i.halted)
    }

    /// Reconnects after [`SyncProvider::halt`] or a close with code 1008 (e.g. the role
    /// changed and the session still grants access).
    pub fn resume(&self) {
        let reconnect = {
            let Ok(mut inner) = self.inner.try_borrow_mut() else {
                return;
            };
            if !inner.halted || inner.discarded {
                return;
            }
            inner.halted = false;
            inner.attempt = 0;
            inner.failures = 0;
            inner.conn.is_none()
        };
        if reconnect {
            connect(&self.inner);
        }
        report(&self.inner);
    }

    /// Installs the wrapper through which remote updates are applied.
    pub fn set_remote_guard(&self, guard: RemoteGuard) {
        self.inner.borrow_mut().remote_guard = Some(guard);
    }
}

/// Runs `f` if connection `id` is still the provider's current one.
fn if_current(weak: &Weak<RefCell<Inner>>, id: u64, f: impl FnOnce(&Rc<RefCell<Inner>>)) {
    let Some(inner) = weak.upgrade() else { return };
    let current = match inner.try_borrow() {
        Ok(i) => i.conn.as_ref().is_some_and(|c| c.id == id),
        Err(_) => {
            // Browser events never interrupt running Rust code, so this cannot happen.
            crate::warn("sync: a socket event arrived while the provider was busy; dropped");
            false
        }
    };
    if current {
        f(&inner);
    }
}

fn connect(inner_rc: &Rc<RefCell<Inner>>) {
    let mut inner = inner_rc.borrow_mut();
    inner.next_id += 1;
    let id = inner.next_id;
    let protocols = js_sys::Array::of1(&JsValue::from_str(protocol::SUBPROTOCOL));
    let ws = match WebSocket::new_with_str_sequence(&inner.url, &protocols) {
        Ok(ws) => ws,
        Err(e) => {
            crate::warn(&format!("sync: cannot open {}: {e:?}", inner.url));
            inner.session.closed();
            drop(inner);
            schedule_reconnect(inner_rc, None);
            report(inner_rc);
            return;
        }
    };
    ws.set_binary_type(BinaryType::Arraybuffer);
    let weak = Rc::downgrade(inner_rc);

    let onopen = Closure::<dyn FnMut(Event)>::new({
        let weak = weak.clone();
        move |_: Event| if_current(&weak, id, on_open)
    });
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new({
        let weak = weak.clone();
        move |ev: MessageEvent| if_current(&weak, id, |inner| on_message(inner, &ev))
    });
    let onclose = Closure::<dyn FnMut(CloseEvent)>::new({
        let weak = weak.clone();
        move |ev: CloseEvent| {
            if_current(&weak, id, |inner| on_close(inner, ev.code(), &ev.reason()))
        }
    });
    let onerror = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        // A close event always follows; reconnecting happens there.
        crate::warn("sync: WebSocket error");
    });
    ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    ws.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    inner.conn = Some(Connection {
        id,
        ws,
        open: false,
        _onopen: onopen,
        _onmessage: onmessage,
        _onclose: onclose,
        _onerror: onerror,
    });
}

fn on_open(inner_rc: &Rc<RefCell<Inner>>) {
    let step1 = {
        let mut inner = inner_rc.borrow_mut();
        let Some(conn) = inner.conn.as_mut() else {
            return;
        };
        conn.open = true;
        let acks = conn.ws.protocol() == protocol::SUBPROTOCOL;
        inner.failures = 0;
        inner.session.opened(acks);
        let step1 = inner.doc.try_transact().map(|txn| session::step1(&txn));
        step1
    };
    match step1 {
        Ok(step1) => {
            send(&mut inner_rc.borrow_mut(), &step1);
            report(inner_rc);
        }
        Err(e) => drop_connection(inner_rc, &format!("cannot read the document: {e}")),
    }
}

fn on_message(inner_rc: &Rc<RefCell<Inner>>, ev: &MessageEvent) {
    let data = ev.data();
    let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() else {
        drop_connection(inner_rc, "protocol error: a non-binary frame");
        return;
    };
    let frame = js_sys::Uint8Array::new(buffer).to_vec();
    let received = inner_rc.borrow_mut().session.receive(&frame);
    let received = match received {
        Ok(received) => received,
        Err(e) => {
            drop_connection(inner_rc, &e.to_string());
            return;
        }
    };
    let mut event = None;
    let outcome = match received {
        Received::SyncStep1(state_vector) => {
            let mut inner = inner_rc.borrow_mut();
            let step2 = inner
                .doc
                .try_transact()
                .map(|txn| session::step2(&txn, &state_vector));
            match step2 {
                Ok(step2) => {
                    send(&mut inner, &step2);
                    Ok(())
                }
                Err(e) => Err(format!("cannot read the document: {e}")),
            }
        }
        Received::Update {
            update,
            step2: true,
        } => {
            apply_remote(inner_rc, &update).map(|()| {
                let mut inner = inner_rc.borrow_mut();
                inner.session.synced();
                inner.attempt = 0;
                // Handshake done: announce ourselves.
                if let Some(hello) = inner.awareness.hello_message() {
                    send(&mut inner, &hello);
                }
            })
        }
        Received::Update {
            update,
            step2: false,
        } => apply_remote(inner_rc, &update),
        Received::Awareness(update) => {
            let applied = {
                let mut inner = inner_rc.borrow_mut();
                let applied = inner.awareness.apply_remote(update);
                if let Ok((_, Some(answer))) = &applied {
                    send(&mut inner, answer);
                }
                applied
            };
            applied.map(|(changed, _)| {
                if changed {
                    notify_awareness(inner_rc);
                }
            })
        }
        Received::AwarenessQuery => {
            let mut inner = inner_rc.borrow_mut();
            if let Some(state) = inner.awareness.local_message() {
                send(&mut inner, &state);
            }
            Ok(())
        }
        Received::Saved | Received::Storage(_) => Ok(()),
        Received::Ledger(ledger) => {
            event = Some(SyncEvent::Ledger(ledger));
            Ok(())
        }
        Received::LedgerChange(change) => {
            event = Some(SyncEvent::LedgerChange(change));
            Ok(())
        }
        Received::Rejected(rejected) => {
            event = Some(SyncEvent::Rejected(rejected));
            Ok(())
        }
        // A ledger this client cannot read must not cut the minutes off (the page
        // fetches the whole ledger again when a change is missing); unknown custom
        // messages are ignored.
        Received::Ignored(why) => {
            crate::warn(&format!("sync: {why}"));
            Ok(())
        }
    };
    if let Err(why) = outcome {
        drop_connection(inner_rc, &why);
        return;
    }
    report(inner_rc);
    if let Some(event) = event {
        emit(inner_rc, event);
    }
}

/// Tells the page's listener about `event` (outside any borrow of the provider).
fn emit(inner_rc: &Rc<RefCell<Inner>>, event: SyncEvent) {
    let listener = inner_rc.try_borrow().ok().and_then(|i| i.on_event.clone());
    if let Some(listener) = listener {
        listener(event);
    }
}

/// The current socket closed with `code`.
fn on_close(inner_rc: &Rc<RefCell<Inner>>, code: u16, reason: &str) {
    let (opened, failures, halted) = {
        let mut inner = inner_rc.borrow_mut();
        let opened = inner.conn.as_ref().is_some_and(|c| c.open);
        if opened {
            inner.failures = 0;
        } else {
            inner.failures = inner.failures.saturating_add(1);
        }
        if code == CLOSE_POLICY {
            inner.halted = true;
        }
        if code == CLOSE_REBUILT || (code == CLOSE_REFUSED && opened) {
            // The server replaced the document, or refuses content this copy holds: this
            // copy must never go back to it.
            inner.halted = true;
            inner.discarded = true;
            inner.local_copy.clear();
            inner.copy_stored = false;
        }
        (opened, inner.failures, inner.halted)
    };
    drop_connection(
        inner_rc,
        &format!("closed (code {code}, reason {reason:?})"),
    );
    emit(
        inner_rc,
        SyncEvent::Closed {
            code,
            reason: reason.to_owned(),
            opened,
            failures,
            halted,
        },
    );
}

/// Decodes and applies a remote update, through the editor's guard when there is one.
fn apply_remote(inner_rc: &Rc<RefCell<Inner>>, bytes: &[u8]) -> Result<(), String> {
    let update = Update::decode_v1(bytes).map_err(|e| format!("protocol error: {e}"))?;
    let (doc, guard) = {
        let inner = inner_rc.borrow();
        (inner.doc.clone(), inner.remote_guard.clone())
    };
    let mut update = Some(update);
    let mut outcome = Ok(());
    let mut apply = || {
        if let Some(update) = update.take() {
            outcome = match doc.try_transact_mut_with(REMOTE_ORIGIN) {
                Ok(mut txn) => txn
                    .apply_update(update)
                    .map_err(|e| format!("protocol error: bad update: {e}")),
                Err(e) => Err(format!("cannot write the document: {e}")),
            };
        }
    };
    match guard {
        Some(guard) => guard(&mut apply),
        None => apply(),
    }
    outcome
}

fn on_local_update(inner_rc: &Rc<RefCell<Inner>>, update: Vec<u8>) {
    {
        let Ok(mut inner) = inner_rc.try_borrow_mut() else {
            crate::warn("sync: a local change arrived mid-message; it is sent on reconnect");
            return;
        };
        inner.session.local_change();
        let open = inner.conn.as_ref().is_some_and(|c| c.open);
        // Not sent: the change waits, unsaved, for the next sync step 2.
        if open && !send(&mut inner, &Message::Sync(SyncMessage::Update(update))) {
            crate::warn("sync: a change could not be sent; it is sent on reconnect");
        }
        if !open {
            keep_copy(&mut inner);
        }
    }
    report(inner_rc);
}

/// Stores the document in `localStorage` when some change is unsaved.
fn keep_copy(inner: &mut Inner) {
    if !inner.discarded && inner.session.has_unsaved() {
        inner.copy_stored = inner.local_copy.store(&inner.doc) || inner.copy_stored;
    }
}

/// Sends `msg` on the open connection and counts it; false if it was not sent.
fn send(inner: &mut Inner, msg: &Message) -> bool {
    if inner.discarded {
        return false;
    }
    let Some(conn) = inner.conn.as_ref().filter(|c| c.open) else {
        return false;
    };
    match conn.ws.send_with_u8_array(&protocol::encode(msg)) {
        Ok(()) => {
            inner.session.sent(msg);
            true
        }
        Err(e) => {
            crate::warn(&format!("sync: send failed: {e:?}"));
            false
        }
    }
}

/// Ends the current connection (logging `why`) and schedules a reconnect.
fn drop_connection(inner_rc: &Rc<RefCell<Inner>>, why: &str) {
    let (old, had_peers, halted) = {
        let mut inner = inner_rc.borrow_mut();
        let was_open = inner.conn.as_ref().is_some_and(|c| c.open);
        inner.session.closed();
        if inner.halted {
            inner.session.stopped();
        }
        if was_open {
            // Changes sent but not acknowledged on it are unsaved now.
            keep_copy(&mut inner);
        }
        (
            inner.conn.take(),
            inner.awareness.forget_peers(),
            inner.halted,
        )
    };
    if let Some(conn) = &old {
        conn.shut();
    }
    if halted {
        crate::warn(&format!("sync: connection {why}; not reconnecting"));
        if let Some(conn) = old {
            later(0, move || drop(conn));
        }
    } else {
        crate::warn(&format!("sync: connection {why}; reconnecting"));
        schedule_reconnect(inner_rc, old);
    }
    report(inner_rc);
    if had_peers {
        notify_awareness(inner_rc);
    }
}

/// Reconnects after the backoff delay. `old` (whose handler may be running right now)
/// is dropped in that later task.
fn schedule_reconnect(inner_rc: &Rc<RefCell<Inner>>, old: Option<Connection>) {
    let delay = {
        let mut inner = inner_rc.borrow_mut();
        let delay = backoff_delay_ms(inner.attempt, js_sys::Math::random());
        inner.attempt = inner.attempt.saturating_add(1);
        delay
    };
    let weak = Rc::downgrade(inner_rc);
    let retry = Closure::once_into_js(move || {
        drop(old);
        if let Some(inner) = weak.upgrade() {
            // Not after a halt, nor when a resume already reconnected.
            let wanted = inner
                .try_borrow()
                .is_ok_and(|i| !i.halted && i.conn.is_none());
            if wanted {
                connect(&inner);
                report(&inner);
            }
        }
    });
    let scheduled = web_sys::window().map(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            retry.unchecked_ref(),
            i32::try_from(delay).unwrap_or(i32::MAX),
        )
    });
    if !matches!(scheduled, Some(Ok(_))) {
        crate::warn("sync: cannot schedule a reconnect");
    }
}

/// Tells `on_state` about a changed [`SaveState`].
fn report(inner_rc: &Rc<RefCell<Inner>>) {
    let (on_state, state) = {
        let Ok(mut inner) = inner_rc.try_borrow_mut() else {
            return;
        };
        if inner.copy_stored && !inner.session.has_unsaved() {
            inner.local_copy.clear();
            inner.copy_stored = false;
        }
        let state = inner.session.state();
        if inner.reported == Some(state) {
            return;
        }
        inner.reported = Some(state);
        (inner.on_state.clone(), state)
    };
    on_state(state);
}

/// Runs `f` in a later task (used when the provider is busy right now).
fn later(delay_ms: u64, f: impl FnOnce() + 'static) -> bool {
    let callback = Closure::once_into_js(f);
    let scheduled = web_sys::window().map(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.unchecked_ref(),
            i32::try_from(delay_ms).unwrap_or(i32::MAX),
        )
    });
    matches!(scheduled, Some(Ok(_)))
}

fn set_awareness(inner_rc: &Rc<RefCell<Inner>>, json: String) {
    let Ok(mut inner) = inner_rc.try_borrow_mut() else {
        // Called from inside a provider callback: retry once that has returned.
        let weak = Rc::downgrade(inner_rc);
        if !later(0, move || {
            if let Some(inner) = weak.upgrade() {
                set_awareness(&inner, json);
            }
        }) {
            crate::warn("presence: cannot schedule the awareness update");
        }
        return;
    };
    match inner.awareness.set_local(&json) {
        Step::SendNow => {
            if let Some(msg) = inner.awareness.local_message() {
                send(&mut inner, &msg);
            }
        }
        Step::ArmTimer(delay) => {
            let weak = Rc::downgrade(inner_rc);
            let armed = later(delay, move || {
                let Some(inner_rc) = weak.upgrade() else {
                    return;
                };
                let Ok(mut inner) = inner_rc.try_borrow_mut() else {
                    return;
                };
                if inner.awareness.on_throttle_timer() {
                    if let Some(msg) = inner.awareness.local_message() {
                        send(&mut inner, &msg);
                    }
                }
            });
            if !armed {
                crate::warn("presence: cannot schedule the awareness update");
            }
        }
        Step::Wait => {}
    }
}

/// Tells the awareness listeners that the states changed.
fn notify_awareness(inner_rc: &Rc<RefCell<Inner>>) {
    let listeners = match inner_rc.try_borrow() {
        Ok(inner) => inner.awareness_listeners.clone(),
        Err(_) => return,
    };
    for listener in listeners {
        listener();
    }
}

/// Hooks the page's lifecycle and the periodic awareness check (see [`PageHooks`]).
fn install_page_hooks(inner_rc: &Rc<RefCell<Inner>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let weak = Rc::downgrade(inner_rc);
    let on_pagehide = Closure::<dyn FnMut(Event)>::new({
        let weak = weak.clone();
        move |_: Event| {
            let Some(inner_rc) = weak.upgrade() else {
                return;
            };
            let Ok(mut inner) = inner_rc.try_borrow_mut() else {
                return;
            };
            if let Some(bye) = inner.awareness.leave() {
                send(&mut inner, &bye);
            }
            keep_copy(&mut inner);
        }
    });
    let on_pageshow = Closure::<dyn FnMut(web_sys::PageTransitionEvent)>::new({
        let weak = weak.clone();
        move |ev: web_sys::PageTransitionEvent| {
            if !ev.persisted() {
                return;
            }
            let Some(inner_rc) = weak.upgrade() else {
                return;
            };
            let Ok(mut inner) = inner_rc.try_borrow_mut() else {
                return;
            };
            if let Some(back) = inner.awareness.rejoin() {
                send(&mut inner, &back);
            }
        }
    });
    let on_check = Closure::<dyn FnMut()>::new(move || {
        let Some(inner_rc) = weak.upgrade() else {
            return;
        };
        let peers_changed = {
            let Ok(mut inner) = inner_rc.try_borrow_mut() else {
                return;
            };
            let outcome = inner.awareness.check();
            if outcome.renew {
                if let Some(msg) = inner.awareness.renew_message() {
                    send(&mut inner, &msg);
                }
            }
            outcome.peers_changed
        };
        if peers_changed {
            notify_awareness(&inner_rc);
        }
    });
    let hooked = window
        .add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref())
        .and_then(|()| {
            window
                .add_event_listener_with_callback("pageshow", on_pageshow.as_ref().unchecked_ref())
        });
    if hooked.is_err() {
        crate::warn("presence: cannot watch the page's lifecycle");
    }
    let interval = window
        .set_interval_with_callback_and_timeout_and_arguments_0(
            on_check.as_ref().unchecked_ref(),
            i32::try_from(CHECK_INTERVAL_MS).unwrap_or(i32::MAX),
        )
        .ok();
    if interval.is_none() {
        crate::warn("presence: cannot schedule the awareness check");
    }
    inner_rc.borrow_mut().hooks = Some(PageHooks {
        on_pagehide,
        on_pageshow,
        _on_check: on_check,
        interval,
    });
}
