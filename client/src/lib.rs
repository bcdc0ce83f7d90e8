//! Minutebook's browser client: a leptos (client-side rendered) app compiled to wasm32.
//!
//! | module | what it is for |
//! |---|---|
//! | [`sync`] | keeps one yrs doc in sync with the server over a WebSocket |
//! | [`binding`] | one textarea ↔ one Y.Text (the free-text page), and the diff/caret pieces |
//! | [`bindings`] | many fields ↔ their Y.Texts at once (the meeting editor) |
//! | [`store`] | the meeting page's doc, provider, bindings and reactive snapshot |
//! | [`changes`] | which typed texts a change touched (the snapshot's fast path) |
//! | [`snapshot`] | the computed meeting view with indices, memoised per entity |
//! | [`route`], [`keys`], [`moves`], [`filters`] | pure logic: URL → page, shortcuts, outline moves, action filters |
//! | [`progressive`] | mounting long lists a chunk per task |
//! | [`api`] | the HTTP API of the meeting list (list, create, import) |
//! | [`trust_api`] | the trust HTTP API: session, ledger commands, versions, invitations, audit |
//! | [`session`] | the signed-in session (context) |
//! | [`audit_text`] | audit details with ids turned into item numbers and names |
//! | [`access`] | pure trust logic: roles → permissions, read-only notices, formatting |
//! | [`meeting_trust`] | the open meeting's access, live ledger and alerts (context) |
//! | [`presence`] | who is where (awareness) |
//! | [`unload`] | asking before the page closes with unsaved changes |
//! | [`views`] | the pages, one component per file |

pub mod access;
pub mod announce;
pub mod api;
pub mod audit_text;
pub mod binding;
pub mod bindings;
pub mod changes;
pub mod filters;
pub mod focus;
pub mod in_view;
pub mod keys;
pub mod meeting_trust;
pub mod moves;
pub mod presence;
pub mod progressive;
pub mod route;
pub mod session;
pub mod snapshot;
pub mod store;
pub mod sync;
pub mod trust_api;
pub mod unload;
pub mod views;

use wasm_bindgen::prelude::wasm_bindgen;

/// Wasm entry point, run once the module is instantiated: mounts the app on `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(views::app::App);
}

/// Logs a warning to the browser console.
pub(crate) fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

/// `ws(s)://<host>/ws/<name>` on the server that served the page.
pub(crate) fn socket_url(name: &str) -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_default();
    let name = String::from(js_sys::encode_uri_component(name));
    format!("{scheme}://{host}/ws/{name}")
}

/// Asks the user to confirm something that cannot be undone from the page (the browser's
/// own dialog: modal, keyboard-operable and read by screen readers). `false` when no
/// dialog can be shown.
pub(crate) fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}
