//! Containment of panics raised while decoding or applying untrusted bytes.
//!
//! yrs is not hardened against adversarial input, so every call that feeds it bytes
//! from the network runs inside [`contain`]: a panic becomes an error for that one
//! connection instead of taking down the task (and with it every other client).

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The contained code panicked; the message is kept for the log.
#[derive(Debug, thiserror::Error)]
#[error("panicked: {0}")]
pub struct Panicked(pub String);

/// Runs `f`, turning a panic into `Err(Panicked)`.
///
/// Callers must treat any state `f` touched as suspect after a panic (the document actor
/// rebuilds its document from disk).
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        metrics::counter!(crate::metrics::name::CONTAINED_PANICS).increment(1);
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Panicked(msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors() {
        assert_eq!(contain(|| 7).ok(), Some(7));
        let err = contain(|| -> u8 { panic!("boom") }).unwrap_err();
        assert!(err.0.contains("boom"));
    }
}
