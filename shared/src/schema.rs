//! The shared document's schema: every root type's key name lives here and nowhere else.

/// The Y.Text holding the free-text minutes of the walking-skeleton editor.
pub const TEXT: &str = "text";
