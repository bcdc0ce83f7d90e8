//! Fuzz target `verify_upload`: see `checks::verify_upload`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::verify_upload(data));
