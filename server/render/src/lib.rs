//! Minutebook's house-style outputs of a signed version: a tagged, accessible PDF
//! (PDF/UA-1, laid out by Typst used as a library) and a Word `.docx` with real styles.
//!
//! Both render a [`Reading`] — the one place that decides what the minutes say — and only
//! add layout, exactly as the HTML export does. Everything that comes from the minutes
//! reaches Typst as JSON data read with `json(..)`, never as markup, so no text can change
//! the layout or reach a file.
//!
//! - [`pdf()`] (module `pdf`): the PDF, with the canonical Markdown attached as
//!   `minutes.md`, fonts embedded from this crate (Liberation Sans, `fonts/OFL.txt`).
//! - [`docx()`] (module `docx`): the Word document.
//! - [`sanitize_svg`] / [`check_png`] (module `logo`): an organisation's logo, checked.
//! - [`embedded_markdown`] (module `embed`): the attached Markdown read back out of an
//!   untrusted PDF, bounded, for `minutebook verify`.
//! - module `text`: the few words both outputs add (section titles, the signature block).
//!
//! The crate's README explains the choices (Typst over krilla, printpdf or genpdf; a
//! minimal scanner over a general PDF reader) and how the outputs are tested.
//!
//! Both outputs are deterministic: the same input gives the same bytes (the PDF's dates are
//! the sign-off time and its identifier is derived from the meeting, version and hash).

mod docx;
mod embed;
mod logo;
mod pdf;
mod text;

pub use embed::{embedded_markdown, EmbedError, ATTACHMENT_NAME};
pub use logo::{check_png, sanitize_svg, LogoError, MAX_PNG_SIDE, MAX_SVG_DEPTH};
pub use minutebook_shared::meeting::reading::Reading;

/// One signed version, everything the outputs show.
#[derive(Clone, Copy, Debug)]
pub struct Frozen<'a> {
    /// The minutes' words.
    pub reading: &'a Reading,
    /// The version's canonical Markdown export (attached to the PDF as `minutes.md`).
    pub markdown: &'a str,
    /// The meeting's id.
    pub meeting: &'a str,
    /// The version number.
    pub version: u32,
    /// Hex SHA-256 of the canonical Markdown (shown in the footer and the signature block).
    pub sha256: &'a str,
    /// Who signed it off.
    pub signer: &'a str,
    /// When, Unix milliseconds (also the PDF's creation date).
    pub signed_at_ms: u64,
    /// The lifecycle line ("Signed off — version 2 — by Jane Chair on …").
    pub status: &'a str,
    /// The document language, BCP 47 ("en-GB").
    pub language: &'a str,
}

/// An organisation's house style.
#[derive(Clone, Debug, Default)]
pub struct House {
    /// The organisation's name, at the top of the title block.
    pub organisation: String,
    /// Its logo, if any (checked with [`check_png`] / [`sanitize_svg`] before use).
    pub logo: Option<Logo>,
    /// Text for every page's footer (may be empty).
    pub footer: String,
}

/// A logo with its alternative text.
#[derive(Clone, Debug)]
pub struct Logo {
    /// The image.
    pub image: LogoImage,
    /// What it shows, for readers who cannot see it (required by PDF/UA).
    pub alt: String,
}

/// A logo's image data.
#[derive(Clone, Debug)]
pub enum LogoImage {
    /// A PNG file.
    Png(Vec<u8>),
    /// An SVG document (sanitised to shapes before use).
    Svg(String),
}

/// Why an output could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Typst reported errors (a PDF/UA-1 violation is one).
    #[error("typesetting failed: {0}")]
    Typst(String),
    /// The Word document could not be written.
    #[error("writing the Word document failed: {0}")]
    Docx(String),
    /// The logo was refused.
    #[error("logo refused: {0}")]
    Logo(#[from] LogoError),
}

/// The largest logo file accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// The version's PDF: tagged PDF/UA-1 in the house style, with the canonical Markdown
/// attached as [`ATTACHMENT_NAME`].
pub fn pdf(f: &Frozen, house: &House) -> Result<Vec<u8>, RenderError> {
    pdf::render(f, house)
}

/// The version's Word document, with Heading 1/2 styles, the "Minutebook Table" table
/// style and a footer with page numbers, the version and its SHA-256.
pub fn docx(f: &Frozen, house: &House) -> Result<Vec<u8>, RenderError> {
    docx::render(f, house)
}
