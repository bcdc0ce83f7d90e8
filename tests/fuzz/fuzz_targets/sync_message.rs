//! Fuzz target `sync_message`: see `checks::sync_message`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::sync_message(data));
