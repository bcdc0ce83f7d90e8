//! Fuzz target `signoff_block`: see `checks::signoff_block`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::signoff_block(data));
