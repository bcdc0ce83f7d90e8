//! The binary's renderer of signed versions: `minutebook-render` (Typst for the tagged
//! PDF, docx-rs for Word) in the organisation's house style (`--organisation`,
//! `--footer-text`, `--logo`, `--logo-alt`). Only this binary links it; the server library
//! sees the [`Render`] interface.

use anyhow::{bail, Context};
use minutebook_render::{House, Logo, LogoImage, MAX_LOGO_BYTES};
use minutebook_server::docs::outputs::{Job, Render, Rendered};
use minutebook_server::ServerConfig;

/// Renders with `minutebook-render` in one house style.
pub struct Typst {
    house: House,
}

impl Typst {
    /// The house style the configuration gives; the logo is read and checked now, so a
    /// bad one stops the start with a reason rather than every sign-off later.
    pub fn from_config(config: &ServerConfig) -> anyhow::Result<Typst> {
        let logo = match (&config.logo, &config.logo_alt) {
            (None, _) => None,
            (Some(_), None) => bail!("--logo needs --logo-alt (what the logo shows)"),
            (Some(path), Some(alt)) => {
                let shown = path.display();
                let size = std::fs::metadata(path)
                    .with_context(|| format!("reading the logo {shown}"))?
                    .len();
                if size > MAX_LOGO_BYTES as u64 {
                    bail!("the logo {shown} is {size} bytes; at most {MAX_LOGO_BYTES}");
                }
                let bytes = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
                let image = if bytes.starts_with(b"\x89PNG") {
                    minutebook_render::check_png(&bytes, MAX_LOGO_BYTES)
                        .with_context(|| format!("the logo {shown}"))?;
                    LogoImage::Png(bytes)
                } else {
                    let text = String::from_utf8(bytes)
                        .with_context(|| format!("the logo {shown} is neither PNG nor SVG"))?;
                    let clean = minutebook_render::sanitize_svg(&text, MAX_LOGO_BYTES)
                        .with_context(|| format!("the logo {shown}"))?;
                    LogoImage::Svg(clean)
                };
                Some(Logo {
                    image,
                    alt: alt.clone(),
                })
            }
        };
        Ok(Typst {
            house: House {
                organisation: config.organisation.clone(),
                logo,
                footer: config.footer_text.clone(),
            },
        })
    }
}

impl Render for Typst {
    fn render(&self, job: &Job) -> Result<Rendered, String> {
        let frozen = minutebook_render::Frozen {
            reading: &job.reading,
            markdown: &job.markdown,
            meeting: &job.meeting,
            version: job.version,
            sha256: &job.sha256,
            signer: &job.signer,
            signed_at_ms: job.signed_at,
            status: &job.status,
            language: "en-GB",
        };
        let pdf = minutebook_render::pdf(&frozen, &self.house).map_err(|e| e.to_string())?;
        let docx = minutebook_render::docx(&frozen, &self.house).map_err(|e| e.to_string())?;
        Ok(Rendered { pdf, docx })
    }
}
