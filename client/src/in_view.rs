//! Whether elements are near the view, from one `IntersectionObserver` with a margin:
//! the editor lets the browser skip rendering items far from the view, and measures other
//! people's carets only near it. The callback runs once per element when it is first
//! observed, then whenever it crosses the margin.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

/// Watches elements; disconnects when dropped.
pub struct InView {
    observer: IntersectionObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl InView {
    /// Calls `on_change(element, near)` as observed elements come within `margin` (CSS
    /// margin syntax, e.g. `"400px 0px"`) of the view or leave it. `None` when the
    /// browser has no `IntersectionObserver`.
    pub fn new(margin: &str, on_change: impl Fn(&Element, bool) + 'static) -> Option<InView> {
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            // Entries come oldest first, so the last one of an element is its state.
            for entry in entries
                .iter()
                .filter_map(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
            {
                on_change(&entry.target(), entry.is_intersecting());
            }
        });
        let init = IntersectionObserverInit::new();
        init.set_root_margin(margin);
        let observer =
            IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
                .ok()?;
        Some(InView {
            observer,
            _callback: callback,
        })
    }

    pub fn observe(&self, el: &Element) {
        self.observer.observe(el);
    }

    pub fn unobserve(&self, el: &Element) {
        self.observer.unobserve(el);
    }
}

impl Drop for InView {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
