//! The organisation's branding of its outputs, set by administrators
//! ([`crate::http::branding_api`]) and kept in the store: its texts (name, footer, the
//! logo's alt text) as one record, its logo — checked by the renderer, an SVG sanitised
//! to shapes — as another (both under [`kind::BRANDING`]). Until an administrator sets
//! it, the start-up flags (`--organisation`, `--footer-text`, `--logo`, `--logo-alt`)
//! apply; once set, the stored branding does, the flags' logo only while no logo was
//! uploaded or removed. Every version signed afterwards is rendered with it (versions
//! already rendered keep their bytes: they are signed), and the published pages name the
//! organisation.

use std::sync::{Arc, RwLock};

use base64::Engine;
use minutebook_shared::branding::{Branding, BrandingTexts, LogoInfo};
use serde::{Deserialize, Serialize};

use crate::auth::records::kind;
use crate::docs::outputs::{House, HouseLogo, Logo};
use crate::store::{Record, Store, StoreError};

/// The key of the texts' record.
const TEXTS: &str = "texts";
/// The key of the logo's record.
const LOGO: &str = "logo";

/// The texts' record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct StoredTexts {
    #[serde(flatten)]
    texts: BrandingTexts,
    /// The flags' logo is not shown (an administrator removed the logo).
    #[serde(default)]
    logo_removed: bool,
}

/// The logo's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredLogo {
    /// `png` or `svg`.
    kind: String,
    /// The checked file, base64.
    data: String,
}

impl StoredLogo {
    fn of(logo: &Logo) -> StoredLogo {
        let (kind, bytes) = match logo {
            Logo::Png(b) => ("png", b.as_slice()),
            Logo::Svg(s) => ("svg", s.as_bytes()),
        };
        StoredLogo {
            kind: kind.into(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    fn logo(&self) -> Option<Logo> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .ok()?;
        match self.kind.as_str() {
            "png" => Some(Logo::Png(bytes)),
            "svg" => String::from_utf8(bytes).ok().map(Logo::Svg),
            _ => None,
        }
    }
}

/// What the start-up flags give.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub organisation: String,
    pub footer: String,
    pub logo_alt: String,
    /// The flags' logo, if one was given (checked at start by the binary).
    pub logo: Option<LogoInfo>,
}

impl Flags {
    /// From the configuration: the logo's kind and size read from its file (the binary
    /// has already refused to start with a bad one).
    pub fn of(config: &crate::ServerConfig) -> Flags {
        let logo = config.logo.as_ref().and_then(|path| {
            let bytes = std::fs::read(path).ok()?;
            let kind = if bytes.starts_with(b"\x89PNG") {
                "png"
            } else {
                "svg"
            };
            Some(LogoInfo {
                kind: kind.into(),
                bytes: bytes.len(),
            })
        });
        Flags {
            organisation: config.organisation.trim().to_owned(),
            footer: config.footer_text.trim().to_owned(),
            logo_alt: config
                .logo_alt
                .clone()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            logo,
        }
    }
}

/// The branding in force, shared by the request handlers.
#[derive(Clone, Default)]
pub struct HouseState {
    flags: Arc<Flags>,
    current: Arc<RwLock<Branding>>,
}

impl HouseState {
    /// The branding in force: the stored one (read from `store` now), else `flags`'.
    pub fn load(store: &Store, flags: Flags) -> Result<HouseState, StoreError> {
        let state = HouseState {
            flags: Arc::new(flags),
            current: Arc::default(),
        };
        state.refresh(store)?;
        Ok(state)
    }

    /// Reads the stored branding again (after a change).
    pub fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let texts = stored_texts(store)?;
        let logo = stored_logo(store)?;
        let branding = match texts {
            None => Branding {
                organisation: self.flags.organisation.clone(),
                footer: self.flags.footer.clone(),
                logo_alt: self.flags.logo_alt.clone(),
                logo: self.flags.logo.clone(),
                source: "flags".into(),
            },
            Some(t) => Branding {
                logo: match (&logo, t.logo_removed) {
                    (Some(l), _) => l.logo().map(|logo| info(&logo)),
                    (None, true) => None,
                    (None, false) => self.flags.logo.clone(),
                },
                organisation: t.texts.organisation,
                footer: t.texts.footer,
                logo_alt: t.texts.logo_alt,
                source: "settings".into(),
            },
        };
        if let Ok(mut current) = self.current.write() {
            *current = branding;
        }
        Ok(())
    }

    /// The branding in force.
    pub fn current(&self) -> Branding {
        self.current.read().map(|b| b.clone()).unwrap_or_default()
    }

    /// The organisation's name in force ("" = none).
    pub fn organisation(&self) -> String {
        self.current
            .read()
            .map(|b| b.organisation.clone())
            .unwrap_or_default()
    }
}

fn info(logo: &Logo) -> LogoInfo {
    match logo {
        Logo::Png(b) => LogoInfo {
            kind: "png".into(),
            bytes: b.len(),
        },
        Logo::Svg(s) => LogoInfo {
            kind: "svg".into(),
            bytes: s.len(),
        },
    }
}

fn stored_texts(store: &Store) -> Result<Option<StoredTexts>, StoreError> {
    Ok(store
        .record(kind::BRANDING, TEXTS)?
        .and_then(|json| serde_json::from_slice(&json).ok()))
}

fn stored_logo(store: &Store) -> Result<Option<StoredLogo>, StoreError> {
    Ok(store
        .record(kind::BRANDING, LOGO)?
        .and_then(|json| serde_json::from_slice(&json).ok()))
}

/// The house an administrator set, for a rendering (`None`: nothing set, the renderer's
/// own from the flags).
pub fn house(store: &Store) -> Result<Option<House>, StoreError> {
    let Some(t) = stored_texts(store)? else {
        return Ok(None);
    };
    let logo = match (stored_logo(store)?.and_then(|l| l.logo()), t.logo_removed) {
        (Some(logo), _) => HouseLogo::Set(logo),
        (None, true) => HouseLogo::Removed,
        (None, false) => HouseLogo::Flags,
    };
    Ok(Some(House {
        organisation: t.texts.organisation,
        footer: t.texts.footer,
        logo_alt: t.texts.logo_alt,
        logo,
    }))
}

/// The record writes that set the texts `texts` (checked), keeping the logo as it is.
pub fn texts_records(store: &Store, texts: BrandingTexts) -> Result<Vec<Record>, StoreError> {
    let logo_removed = stored_texts(store)?.is_some_and(|t| t.logo_removed);
    Ok(vec![put(
        TEXTS,
        &StoredTexts {
            texts,
            logo_removed,
        },
    )])
}

/// The record writes that set the logo (`Some`, checked) or remove it (`None`); the
/// texts stay (taken from what is in force when none were stored yet).
pub fn logo_records(store: &Store, current: &Branding, logo: Option<&Logo>) -> Vec<Record> {
    let texts = stored_texts(store)
        .ok()
        .flatten()
        .unwrap_or_else(|| StoredTexts {
            texts: BrandingTexts {
                organisation: current.organisation.clone(),
                footer: current.footer.clone(),
                logo_alt: current.logo_alt.clone(),
            },
            logo_removed: false,
        });
    let texts = StoredTexts {
        logo_removed: logo.is_none(),
        ..texts
    };
    let logo_record = match logo {
        Some(logo) => put(LOGO, &StoredLogo::of(logo)),
        None => Record::Delete {
            kind: kind::BRANDING,
            key: LOGO.into(),
        },
    };
    vec![put(TEXTS, &texts), logo_record]
}

fn put<T: Serialize>(key: &str, value: &T) -> Record {
    Record::Put {
        kind: kind::BRANDING,
        key: key.into(),
        json: serde_json::to_vec(value).unwrap_or_default(),
    }
}
