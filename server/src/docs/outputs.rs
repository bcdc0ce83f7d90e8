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

/// An output's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Pdf,
    Docx,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Pdf, Kind::Docx];

    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pdf => "PDF",
            Kind::Docx => "Word document",
        }
    }

    /// The kind a file's first bytes announce (`%PDF-`, or a ZIP archive for Word).
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(Kind::Docx)
        } else {
            None
        }
    }
}
