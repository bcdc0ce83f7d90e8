//! The binary's renderer of signed versions: `minutebook-render` (Typst for the tagged
//! PDF, docx-rs for Word) in the organisation's house style — the one an administrator
//! set (each job carries it), else the start-up flags' (`--organisation`,
//! `--footer-text`, `--logo`, `--logo-alt`). Only this binary links it; the server
//! library sees the [`Render`] interface, through which it also checks an uploaded logo.

use anyhow::{bail, Context};
use minutebook_render::{House, Logo, LogoImage, MAX_LOGO_BYTES};
use minutebook_server::docs::outputs::{self, HouseLogo, Job, Render, Rendered};
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
        let set = job.house.as_ref().map(|h| self.with(h));
        let house = set.as_ref().unwrap_or(&self.house);
        let pdf = minutebook_render::pdf(&frozen, house).map_err(|e| e.to_string())?;
        let docx = minutebook_render::docx(&frozen, house).map_err(|e| e.to_string())?;
        Ok(Rendered { pdf, docx })
    }

    fn check_logo(&self, bytes: &[u8]) -> Result<outputs::Logo, String> {
        if bytes.starts_with(b"\x89PNG") {
            minutebook_render::check_png(bytes, MAX_LOGO_BYTES).map_err(|e| e.to_string())?;
            return Ok(outputs::Logo::Png(bytes.to_vec()));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "the logo is neither a PNG nor an SVG".to_owned())?;
        minutebook_render::sanitize_svg(text, MAX_LOGO_BYTES)
            .map(outputs::Logo::Svg)
            .map_err(|e| e.to_string())
    }
}

impl Typst {
    /// The house style an administrator set (`house`), the flags' logo kept when it says
    /// so.
    fn with(&self, house: &outputs::House) -> House {
        let image = |logo: &outputs::Logo| match logo {
            outputs::Logo::Png(b) => LogoImage::Png(b.clone()),
            outputs::Logo::Svg(s) => LogoImage::Svg(s.clone()),
        };
        let logo = match &house.logo {
            HouseLogo::Flags => self.house.logo.clone().map(|l| Logo {
                alt: if house.logo_alt.is_empty() {
                    l.alt
                } else {
                    house.logo_alt.clone()
                },
                image: l.image,
            }),
            HouseLogo::Removed => None,
            HouseLogo::Set(logo) => Some(Logo {
                image: image(logo),
                alt: house.logo_alt.clone(),
            }),
        };
        House {
            organisation: house.organisation.clone(),
            logo,
            footer: house.footer.clone(),
        }
    }
}
