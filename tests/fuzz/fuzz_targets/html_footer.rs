//! Fuzz target `html_footer`: see `checks::html_footer`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::html_footer(data));
