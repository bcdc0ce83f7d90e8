//! Fuzz target `import_legacy`: see `checks::import_legacy`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::import_legacy(data));
