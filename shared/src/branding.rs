//! The organisation's branding of its signed outputs — its name, logo (with the logo's
//! alt text) and footer text, set once for the whole server — as the administrators'
//! API (`GET`/`PUT /api/branding`, `PUT`/`DELETE /api/branding/logo`) and the web
//! client's admin view exchange it. The server keeps it in its store; the PDF and Word
//! renderings of every version signed afterwards use it, and the published pages name
//! the organisation.

use serde::{Deserialize, Serialize};

/// The longest organisation name, in characters.
pub const MAX_ORGANISATION_CHARS: usize = 200;
/// The longest footer text, in characters.
pub const MAX_FOOTER_CHARS: usize = 500;
/// The longest alt text of the logo, in characters.
pub const MAX_LOGO_ALT_CHARS: usize = 300;
/// The largest logo file, in bytes (a PNG, or an SVG before it is sanitised).
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// The branding as it applies now (`GET /api/branding`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// The organisation's name, at the top of every rendering ("" = none).
    pub organisation: String,
    /// Text at the foot of every page ("" = none).
    pub footer: String,
    /// What the logo shows, for readers who cannot see it.
    pub logo_alt: String,
    /// The logo, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<LogoInfo>,
    /// Where it comes from: `"settings"` (set here by an administrator) or `"flags"`
    /// (the server's start-up flags, until an administrator sets it).
    pub source: String,
}

/// What the branding's logo is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoInfo {
    /// `"png"` or `"svg"`.
    pub kind: String,
    /// Its size in bytes (an SVG's after sanitising).
    pub bytes: usize,
}

/// `PUT /api/branding`: the texts (the logo has its own address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandingTexts {
    pub organisation: String,
    pub footer: String,
    pub logo_alt: String,
}

impl BrandingTexts {
    /// The texts trimmed, or why they cannot be used (too long, or a control character
    /// other than a line break in the footer).
    pub fn checked(&self) -> Result<BrandingTexts, String> {
        let field = |name: &str, value: &str, max: usize, lines: bool| {
            let value = value.trim();
            let chars = value.chars().count();
            if chars > max {
                return Err(format!("the {name} is {chars} characters; at most {max}"));
            }
            if value
                .chars()
                .any(|c| c.is_control() && !(lines && c == '\n'))
            {
                return Err(format!("the {name} holds a control character"));
            }
            Ok(value.to_owned())
        };
        Ok(BrandingTexts {
            organisation: field(
                "organisation's name",
                &self.organisation,
                MAX_ORGANISATION_CHARS,
                false,
            )?,
            footer: field("footer text", &self.footer, MAX_FOOTER_CHARS, true)?,
            logo_alt: field("logo's alt text", &self.logo_alt, MAX_LOGO_ALT_CHARS, false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        let t = BrandingTexts {
            organisation: "  Office of the PCC ".into(),
            footer: "1 High Street\nWorcester".into(),
            logo_alt: "Crest".into(),
        };
        let ok = t.checked().expect("fine");
        assert_eq!(ok.organisation, "Office of the PCC");
        assert_eq!(ok.footer, "1 High Street\nWorcester");
        let long = BrandingTexts {
            organisation: "x".repeat(MAX_ORGANISATION_CHARS + 1),
            ..t.clone()
        };
        assert!(long.checked().unwrap_err().contains("at most 200"));
        let control = BrandingTexts {
            organisation: "A\u{7}B".into(),
            ..t
        };
        assert!(control.checked().is_err());
    }
}
