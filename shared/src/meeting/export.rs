//! The exporters under one name: `export::markdown(&view)` and `export::html(&view)`.
//!
//! [`markdown`] is canonical — [`super::markdown::parse`] reads it back to the same
//! structure — and [`html`] is a printable, self-contained document.

pub use super::html::to_html as html;
pub use super::markdown::to_markdown as markdown;
