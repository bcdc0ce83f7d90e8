//! The exporters under one name: `export::markdown(&view)` and `export::html(&view)`.
//!
//! [`markdown`] is canonical — [`super::markdown::parse`] reads it back to the same
//! structure — and [`html`] is a printable, self-contained document.

//!
//! Their `Status:` line says DRAFT; `markdown_as` and `html_as` take the lifecycle status
//! the server's ledger gives (see `crate::signoff::lifecycle`).

pub use super::html::to_html as html;
pub use super::html::to_html_as as html_as;
pub use super::markdown::to_markdown as markdown;
pub use super::markdown::to_markdown_as as markdown_as;
