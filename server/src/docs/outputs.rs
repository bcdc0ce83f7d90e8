//! The house-style outputs of a signed version — a tagged PDF and a Word document — and
//! what renders them. Rendering is the `minutebook` binary's (it links
//! `minutebook-render`, Typst and all); the library only defines the [`Render`] interface,
//! so the integration tests that never render never link Typst. A server started without
//! a renderer keeps Markdown and HTML only.

use std::sync::Arc;

use minutebook_shared::meeting::reading::Reading;

/// One signed version to render.
#[derive(Debug, Clone)]
pub struct Job {
    /// The minutes' words as signed.
    pub reading: Reading,
    /// The version's canonical Markdown (the PDF carries it as an attached file).
    pub markdown: String,
    pub meeting: String,
    pub version: u32,
    /// Hex SHA-256 of the canonical Markdown.
    pub sha256: String,
    pub signer: String,
    /// Unix milliseconds.
    pub signed_at: u64,
    /// The status line ("Signed off — version 2 — by … on …").
    pub status: String,
}

/// The outputs of one version.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub docx: Vec<u8>,
}

/// Renders signed versions (CPU work: callers run it on the blocking pool).
pub trait Render: Send + Sync + 'static {
    /// The PDF and Word document of `job`.
    fn render(&self, job: &Job) -> Result<Rendered, String>;
}

/// A shared renderer.
pub type Renderer = Arc<dyn Render>;

/// An output's kind (`pdf`, `docx`): the shared type, which also reads the signature a
/// downloaded output carries.
pub use minutebook_shared::signoff::output_signature::OutputKind as Kind;
