//! The browser WebSocket provider: keeps one yrs document in sync with the server.
//!
//! It speaks the y-websocket sync protocol (see `minutebook_shared::protocol`): on open
//! it sends sync step 1, answers the server's step 1 with step 2, applies the server's
//! step 2 and updates under a "remote" origin, and sends local document changes as
//! updates. It counts the update-carrying messages it sent on each connection and
//! compares them with the server's `MSG_SAVED` acknowledgements to tell when everything
//! is durable ([`SaveTracker`]). It reconnects with exponential backoff; edits made
//! while offline stay in the doc and reach the server through the next handshake.
//!
//! No UI here: the provider reports a [`SaveState`] to a callback, and lets the editor
//! wrap the application of remote updates ([`RemoteGuard`]) to keep its caret in place.

mod backoff;
mod save_state;

pub use backoff::backoff_delay_ms;
pub use save_state::{SaveState, SaveTracker};

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use minutebook_shared::protocol::{self, Message, SyncMessage};
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

/// Origin of transactions that apply updates received from the server.
const REMOTE_ORIGIN: &str = "minutebook/remote";
/// Key of the provider's update observer on the doc.
const OBSERVER_KEY: &str = "minutebook/sync";

/// Wraps the application of a remote update: it must call the given closure exactly once.
/// The editor uses it to capture the caret before and restore it after.
pub type RemoteGuard = Rc<dyn Fn(&mut dyn FnMut())>;

/// Handle to a running provider; clones share it. The provider lives while a handle does.
#[derive(Clone)]
pub struct SyncProvider {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    doc: Doc,
    url: String,
    tracker: SaveTracker,
    /// Failed attempts since the last completed handshake.
    attempt: u32,
    next_id: u64,
    conn: Option<Connection>,
    on_state: Rc<dyn Fn(SaveState)>,
    reported: Option<SaveState>,
    remote_guard: Option<RemoteGuard>,
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
    /// Starts syncing `doc` over the WebSocket at `url`; `on_state` hears every change
    /// of [`SaveState`] (and the initial one, synchronously).
    pub fn start(doc: Doc, url: String, on_state: impl Fn(SaveState) + 'static) -> Self {
        let inner = Rc::new(RefCell::new(Inner {
            doc: doc.clone(),
            url,
            tracker: SaveTracker::default(),
            attempt: 0,
            next_id: 0,
            conn: None,
            on_state: Rc::new(on_state),
            reported: None,
            remote_guard: None,
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
        report(&inner);
        connect(&inner);
        SyncProvider { inner }
    }

    /// Whether closing the page now could lose local changes (see
    /// [`SaveTracker::has_unsaved`]).
    pub fn has_unsaved_changes(&self) -> bool {
        self.inner
            .try_borrow()
            .map_or(true, |inner| inner.tracker.has_unsaved())
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
            inner.tracker.closed();
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
            if_current(&weak, id, |inner| {
                let why = format!("closed (code {}, reason {:?})", ev.code(), ev.reason());
                drop_connection(inner, &why);
            })
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
    let state_vector = {
        let mut inner = inner_rc.borrow_mut();
        let Some(conn) = inner.conn.as_mut() else {
            return;
        };
        conn.open = true;
        let acks = conn.ws.protocol() == protocol::SUBPROTOCOL;
        inner.tracker.opened(acks);
        let state_vector = inner.doc.try_transact().map(|txn| txn.state_vector());
        state_vector
    };
    match state_vector {
        Ok(state_vector) => {
            let step1 = Message::Sync(SyncMessage::SyncStep1(state_vector));
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
    let msg = match protocol::decode(&frame) {
        Ok(msg) => msg,
        Err(e) => {
            drop_connection(inner_rc, &format!("protocol error: {e}"));
            return;
        }
    };
    let outcome = match msg {
        Message::Sync(SyncMessage::SyncStep1(state_vector)) => {
            let mut inner = inner_rc.borrow_mut();
            let diff = inner
                .doc
                .try_transact()
                .map(|txn| txn.encode_diff_v1(&state_vector));
            match diff {
                Ok(diff) => {
                    send(&mut inner, &Message::Sync(SyncMessage::SyncStep2(diff)));
                    Ok(())
                }
                Err(e) => Err(format!("cannot read the document: {e}")),
            }
        }
        Message::Sync(SyncMessage::SyncStep2(update)) => {
            apply_remote(inner_rc, &update).map(|()| {
                let mut inner = inner_rc.borrow_mut();
                inner.tracker.synced();
                inner.attempt = 0;
            })
        }
        Message::Sync(SyncMessage::Update(update)) => apply_remote(inner_rc, &update),
        Message::Custom(protocol::MSG_SAVED, payload) => protocol::parse_saved(&payload)
            .map_err(|e| e.to_string())
            .and_then(|count| inner_rc.borrow_mut().tracker.acked(count))
            .map_err(|e| format!("protocol error: {e}")),
        Message::Auth(Some(reason)) => Err(format!("permission denied: {reason}")),
        // Awareness (presence) is not shown yet; unknown custom messages are ignored.
        _ => Ok(()),
    };
    if let Err(why) = outcome {
        drop_connection(inner_rc, &why);
        return;
    }
    report(inner_rc);
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
        inner.tracker.local_edit();
        if inner.conn.as_ref().is_some_and(|c| c.open)
            && !send(&mut inner, &Message::Sync(SyncMessage::Update(update)))
        {
            inner.tracker.send_failed();
        }
    }
    report(inner_rc);
}

/// Sends `msg` on the open connection and counts it; false if it was not sent.
fn send(inner: &mut Inner, msg: &Message) -> bool {
    let Some(conn) = inner.conn.as_ref().filter(|c| c.open) else {
        return false;
    };
    match conn.ws.send_with_u8_array(&protocol::encode(msg)) {
        Ok(()) => {
            inner.tracker.sent(msg);
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
    crate::warn(&format!("sync: connection {why}; reconnecting"));
    let old = {
        let mut inner = inner_rc.borrow_mut();
        inner.tracker.closed();
        inner.conn.take()
    };
    if let Some(conn) = &old {
        conn.shut();
    }
    schedule_reconnect(inner_rc, old);
    report(inner_rc);
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
            connect(&inner);
            report(&inner);
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
        let state = inner.tracker.state();
        if inner.reported == Some(state) {
            return;
        }
        inner.reported = Some(state);
        (inner.on_state.clone(), state)
    };
    on_state(state);
}
