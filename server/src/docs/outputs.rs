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
    /// The branding an administrator set ([`crate::branding`]); `None`: the renderer's
    /// own (the start-up flags).
    pub house: Option<House>,
}

/// The organisation's branding for a rendering, as an administrator set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct House {
    pub organisation: String,
    pub footer: String,
    /// The logo's alt text.
    pub logo_alt: String,
    pub logo: HouseLogo,
}

/// Which logo a rendering shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HouseLogo {
    /// The renderer's own (from the start-up flags), if it has one.
    Flags,
    /// None.
    Removed,
    /// This one (checked by [`Render::check_logo`]).
    Set(Logo),
}

/// A logo's image, checked: a PNG, or an SVG kept to shapes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logo {
    Png(Vec<u8>),
    Svg(String),
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

    /// `bytes` as a logo the renderings can show: a PNG checked, or an SVG sanitised to
    /// shapes only (scripts, text, links and external references dropped); why not.
    fn check_logo(&self, bytes: &[u8]) -> Result<Logo, String>;
}

/// A shared renderer.
pub type Renderer = Arc<dyn Render>;

/// An output's kind (`pdf`, `docx`): the shared type, which also reads the signature a
/// downloaded output carries.
pub use minutebook_shared::signoff::output_signature::OutputKind as Kind;
