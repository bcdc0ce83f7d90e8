//! Other users' carets and selections over a block's textarea: `.remote-caret
//! [data-peer-name]` and `.remote-selection` in an overlay laid exactly over the textarea.
//!
//! Each peer focused in the block announces its caret as yrs sticky indices; they are
//! resolved against the local doc and measured with [`Mirror`]. The work is redone (once
//! per animation frame at most) when the peers move, the block's text changes (local or
//! remote), and the textarea is typed in, scrolled or resized — and only while at least
//! one peer is in the block: an idle block watches nothing but the peer list.
//!
//! Measuring costs a style read and two layouts per peer keystroke, so it waits while the
//! textarea is far from the view (an `IntersectionObserver` with a margin) and is redone
//! when the block scrolls near: a page with peers typing elsewhere in a long meeting does
//! no caret work for them.

use std::sync::atomic::{AtomicU64, Ordering};

use leptos::html::Textarea;
use leptos::prelude::*;
use minutebook_shared::meeting::model::BlockId;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yrs::{Observable, TextRef, Transact};

use crate::in_view::InView;
use crate::presence::caret::{selection_rects, CaretPos, Mirror, Rect};
use crate::presence::{use_presence, Peer};

/// Textarea events after which the drawing is redone.
const TEXTAREA_EVENTS: [&str; 4] = ["input", "scroll", "mouseup", "keyup"];

/// How far outside the view a textarea still counts as near it (CSS margin).
const NEAR_VIEW: &str = "400px 0px";

/// Distinguishes the observers of different mounted overlays.
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

/// One peer's drawing.
#[derive(Clone, PartialEq)]
struct Mark {
    client_id: u64,
    name: String,
    colour: String,
    caret: Option<CaretPos>,
    selection: Vec<Rect>,
}

/// The overlay for the textarea in `textarea`, bound to `text`, the Y.Text of `block`.
/// Render it as a sibling of the textarea: the overlay copies the textarea's offset box,
/// so both must share the same offset parent (make the common parent `position: relative`).
#[component]
pub fn RemoteCarets(text: TextRef, block: BlockId, textarea: NodeRef<Textarea>) -> impl IntoView {
    let presence = use_presence();
    let text = StoredValue::new_local(text);
    let marks = RwSignal::new_local(Vec::<Mark>::new());
    let frame = RwSignal::new(String::new());
    let block_id = block.as_str().to_owned();
    let peers_here = Memo::new(move |_| {
        presence
            .map(|p| {
                p.peers_with_carets()
                    .into_iter()
                    .filter(|peer| {
                        !peer.is_self
                            && peer.focus.as_ref().and_then(|f| f.block.as_deref())
                                == Some(block_id.as_str())
                    })
                    .collect::<Vec<Peer>>()
            })
            .unwrap_or_default()
    });

    // Whether the textarea is near the view, and whether a measurement waits for it.
    let near_view = StoredValue::new_local(true);
    let stale = StoredValue::new_local(false);

    let recompute = move || {
        let peers = peers_here.get_untracked();
        if peers.is_empty() {
            if !marks.with_untracked(Vec::is_empty) {
                marks.set(Vec::new());
            }
            return;
        }
        if near_view.try_get_value() == Some(false) {
            stale.try_set_value(true);
            return;
        }
        let Some(el) = textarea.get_untracked() else {
            return;
        };
        let Some(doc) = presence.and_then(|p| p.doc()) else {
            return;
        };
        // Resolve every sticky index in one read transaction, then measure.
        let offsets: Vec<(Peer, Option<(u32, u32)>)> = {
            let Ok(txn) = doc.try_transact() else {
                return;
            };
            peers
                .into_iter()
                .map(|peer| {
                    let focus = peer.focus.as_ref();
                    let head = focus
                        .and_then(|f| f.head.as_ref())
                        .and_then(|s| s.get_offset(&txn))
                        .map(|o| o.index);
                    let anchor = focus
                        .and_then(|f| f.anchor.as_ref())
                        .and_then(|s| s.get_offset(&txn))
                        .map(|o| o.index);
                    let at = head.map(|h| (anchor.unwrap_or(h), h));
                    (peer, at)
                })
                .collect()
        };
        let Some(mirror) = Mirror::new(&el) else {
            return;
        };
        let (left, right) = mirror.content_span();
        let new_marks: Vec<Mark> = offsets
            .into_iter()
            .map(|(peer, at)| {
                let (caret, selection) = match at {
                    Some((anchor, head)) => {
                        let head_pos = mirror.caret(head);
                        let selection = if anchor != head {
                            match (mirror.caret(anchor), head_pos) {
                                (Some(a), Some(h)) => selection_rects(a, h, left, right),
                                _ => Vec::new(),
                            }
                        } else {
                            Vec::new()
                        };
                        (head_pos, selection)
                    }
                    None => (None, Vec::new()),
                };
                Mark {
                    client_id: peer.client_id,
                    name: peer.name,
                    colour: peer.color,
                    caret,
                    selection,
                }
            })
            .collect();
        drop(mirror);
        frame.set(format!(
            "position:absolute;pointer-events:none;overflow:hidden;\
             left:{}px;top:{}px;width:{}px;height:{}px",
            el.offset_left(),
            el.offset_top(),
            el.offset_width(),
            el.offset_height()
        ));
        if marks.with_untracked(|old| *old != new_marks) {
            marks.set(new_marks);
        }
    };

    // At most one recomputation per animation frame.
    let pending = StoredValue::new_local(false);
    let schedule = move || {
        if pending.try_get_value() != Some(false) {
            return;
        }
        pending.set_value(true);
        request_animation_frame(move || {
            if pending.try_get_value().is_none() {
                return; // unmounted meanwhile
            }
            pending.set_value(false);
            recompute();
        });
    };

    // Follow the peer list; watch the text and the window only while peers are here.
    let key = format!(
        "minutebook/carets/{}",
        NEXT_KEY.fetch_add(1, Ordering::Relaxed)
    );
    let watching = StoredValue::new_local(None::<WindowListenerHandle>);
    let observe_key = key.clone();
    Effect::new(move |_| {
        let busy = !peers_here.with(Vec::is_empty);
        let is_watching = watching.with_value(Option::is_some);
        if busy && !is_watching {
            let notify = SendWrapper::new(schedule);
            text.with_value(|t| t.observe(observe_key.clone(), move |_, _| (*notify)()));
            let resize = window_event_listener(leptos::ev::resize, move |_| schedule());
            watching.set_value(Some(resize));
        } else if !busy && is_watching {
            stop_watching(text, watching, &observe_key);
        }
        schedule();
    });

    // Textarea events (cheap when nobody is here: `recompute` returns at once).
    let listener = StoredValue::new_local(None::<Closure<dyn FnMut()>>);
    let observer = StoredValue::new_local(None::<InView>);
    textarea.on_load(move |el| {
        let callback = Closure::<dyn FnMut()>::new(schedule);
        for event in TEXTAREA_EVENTS {
            let _ = el.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
        }
        listener.set_value(Some(callback));
        let on_change = move |_: &web_sys::Element, near: bool| {
            near_view.try_set_value(near);
            if near && stale.try_get_value() == Some(true) {
                stale.try_set_value(false);
                schedule();
            }
        };
        let near = InView::new(NEAR_VIEW, on_change);
        if let Some(near) = &near {
            near.observe(&el);
        }
        observer.set_value(near);
    });
    on_cleanup(move || {
        stop_watching(text, watching, &key);
        // Dropping it disconnects it.
        observer.try_update_value(Option::take);
        let callback = listener.try_update_value(Option::take).flatten();
        if let (Some(callback), Some(el)) = (callback, textarea.get_untracked()) {
            for event in TEXTAREA_EVENTS {
                let _ = el
                    .remove_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
            }
        }
    });

    let drawn = move || {
        marks
            .get()
            .into_iter()
            .map(|mark| view! { <PeerMark mark=mark /> })
            .collect_view()
    };
    view! {
        <div class="remote-carets" aria-hidden="true" style=move || frame.get()>{drawn}</div>
    }
}

/// Stops the text observer and the resize listener, if running.
fn stop_watching(
    text: StoredValue<TextRef, LocalStorage>,
    watching: StoredValue<Option<WindowListenerHandle>, LocalStorage>,
    key: &str,
) {
    if let Some(handle) = watching.try_update_value(Option::take).flatten() {
        handle.remove();
        text.try_with_value(|t| t.unobserve(key.to_owned()));
    }
}

/// One peer's caret (with its name) and selection rectangles.
#[component]
fn PeerMark(mark: Mark) -> impl IntoView {
    let colour = format!("--peer-colour: {}", mark.colour);
    let selection = mark
        .selection
        .iter()
        .map(|r| {
            view! {
                <div class="remote-selection" data-client=mark.client_id.to_string()
                    style=format!("{colour};position:absolute;left:{}px;top:{}px;width:{}px;\
                        height:{}px;background:var(--peer-colour);opacity:0.25",
                        r.left, r.top, r.width, r.height)></div>
            }
        })
        .collect_view();
    let caret = mark.caret.map(|c| {
        // The name sits above the caret, or below it on the first visible line.
        let label_at = if c.top >= 14.0 {
            "bottom:100%"
        } else {
            "top:100%"
        };
        view! {
            <div class="remote-caret" data-peer-name=mark.name.clone()
                data-client=mark.client_id.to_string()
                style=format!("{colour};position:absolute;left:{}px;top:{}px;height:{}px;\
                    width:0;border-left:2px solid var(--peer-colour);margin-left:-1px",
                    c.left, c.top, c.height)>
                <span class="remote-caret-label"
                    style=format!("position:absolute;{label_at};left:-2px;\
                        background:var(--peer-colour);color:#fff;font-size:10px;\
                        line-height:12px;padding:0 2px;white-space:nowrap;border-radius:2px")>
                    {mark.name.clone()}
                </span>
            </div>
        }
    });
    view! { {selection} {caret} }
}
