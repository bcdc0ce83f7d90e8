//! Minutebook's browser client: a leptos (client-side rendered) app compiled to wasm32.
//!
//! The yrs document lives in the browser; [`sync`] keeps it in sync with the server over
//! a WebSocket, [`binding`] ties it to the editor's textarea, and [`views`] draws the page.

pub mod binding;
pub mod sync;
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
