//! Fuzz target `import_markdown`: see `checks::import_markdown`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::import_markdown(data));
