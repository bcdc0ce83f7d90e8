//! The PDF: the minutes as JSON data ([`data`]) typeset by the house-style Typst template
//! (`minutes.typ`) in a closed Typst world ([`MinutesWorld`]: three virtual files, the
//! crate's own fonts, no file system, no network, a fixed date), exported as tagged
//! PDF/UA-1 with a fixed timestamp and document identifier.
//!
//! The template reads the minutes with `json("/data.json")` and shows every value as
//! text, so nothing in the minutes is ever parsed as Typst markup.

use crate::text;
use crate::{logo, Frozen, House, LogoImage, RenderError, MAX_LOGO_BYTES};
use minutebook_shared::meeting::reading::{
    Entry, ACTION_COLUMNS, ATTENDANCE_COLUMNS, DECISION_LABEL, NO_ACTIONS,
};
use minutebook_shared::meeting::ActionStatus;
use serde_json::{json, Value};
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

/// The template.
const TEMPLATE: &str = include_str!("minutes.typ");

/// The fonts, all from this crate (Liberation Sans 2.1.5, SIL OFL 1.1: `fonts/OFL.txt`).
const FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../fonts/LiberationSans-Italic.ttf"),
    include_bytes!("../fonts/LiberationSans-BoldItalic.ttf"),
];

/// Fonts and the standard library, loaded once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// The virtual files' paths.
const MAIN: &str = "/minutes.typ";
const DATA: &str = "/data.json";
const MARKDOWN: &str = "/minutes.md";
const LOGO_SVG: &str = "/logo.svg";
const LOGO_PNG: &str = "/logo.png";

fn file_id(path: &str) -> Result<FileId, RenderError> {
    let vpath = VirtualPath::new(path)
        .map_err(|e| RenderError::Typst(format!("virtual path {path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// A closed world: the template, the data, the Markdown and the logo, nothing else.
struct MinutesWorld {
    main: Source,
    files: Vec<(FileId, Bytes)>,
    today: Option<Datetime>,
}

impl World for MinutesWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, b)| b.clone())
            .ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// Renders the PDF.
pub fn render(f: &Frozen, house: &House) -> Result<Vec<u8>, RenderError> {
    let (y, mo, d, h, mi, s) = text::signed_at_parts(f.signed_at_ms);
    let signed = Datetime::from_ymd_hms(y, mo, d, h, mi, s)
        .ok_or_else(|| RenderError::Typst("sign-off time out of range".into()))?;

    let mut files = vec![
        (
            file_id(DATA)?,
            Bytes::new(data(f, house)?.to_string().into_bytes()),
        ),
        (
            file_id(MARKDOWN)?,
            Bytes::new(f.markdown.as_bytes().to_vec()),
        ),
    ];
    match house.logo.as_ref().map(|l| &l.image) {
        Some(LogoImage::Svg(svg)) => {
            let clean = logo::sanitize_svg(svg, MAX_LOGO_BYTES)?;
            files.push((file_id(LOGO_SVG)?, Bytes::new(clean.into_bytes())));
        }
        Some(LogoImage::Png(png)) => {
            logo::check_png(png, MAX_LOGO_BYTES)?;
            files.push((file_id(LOGO_PNG)?, Bytes::new(png.clone())));
        }
        None => {}
    }
    typeset(
        TEMPLATE,
        files,
        signed,
        format!("minutebook/{}/{}/{}", f.meeting, f.version, f.sha256),
    )
}

/// Typesets `template` with `files` into PDF/UA-1 dated `signed`, identified by `ident`.
fn typeset(
    template: &str,
    files: Vec<(FileId, Bytes)>,
    signed: Datetime,
    ident: String,
) -> Result<Vec<u8>, RenderError> {
    let world = MinutesWorld {
        main: Source::new(file_id(MAIN)?, template.to_owned()),
        files,
        today: Datetime::from_ymd(
            signed.year().unwrap_or(1970),
            signed.month().unwrap_or(1),
            signed.day().unwrap_or(1),
        ),
    };
    let result = typst::compile::<PagedDocument>(&world).output;
    let bytes = result
        .map_err(|errors| RenderError::Typst(diagnostics(errors.as_slice())))
        .and_then(|document| {
            let standards = PdfStandards::new(&[PdfStandard::Ua_1])
                .map_err(|e| RenderError::Typst(e.message().to_string()))?;
            let options = PdfOptions {
                ident: Smart::Custom(ident),
                creator: Smart::Custom(Some("Minutebook".to_owned())),
                timestamp: Some(Timestamp::new_utc(signed)),
                standards,
                ..PdfOptions::default()
            };
            typst_pdf::pdf(&document, &options)
                .map_err(|errors| RenderError::Typst(diagnostics(errors.as_slice())))
        });
    // Typst memoises across compilations in a process-wide cache: keep it from growing
    // with every version a long-running server renders.
    comemo::evict(2);
    bytes
}

/// Typst's errors as one line each, with hints.
fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| {
            let mut line = e.message.to_string();
            for hint in &e.hints {
                line.push_str(" (hint: ");
                line.push_str(&hint.v);
                line.push(')');
            }
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The minutes as the template's data: words only, every one a JSON string.
fn data(f: &Frozen, house: &House) -> Result<Value, RenderError> {
    let r = f.reading;
    let (lang, region) = text::language(f.language);
    let facts = |facts: &[minutebook_shared::meeting::reading::Fact]| -> Vec<Value> {
        facts
            .iter()
            .map(|x| json!({ "label": x.label, "value": x.value }))
            .collect()
    };
    let items: Vec<Value> = r
        .items
        .iter()
        .map(|item| {
            let entries: Vec<Value> = item
                .entries
                .iter()
                .map(|e| match e {
                    Entry::Paragraph { text, .. } => json!({ "kind": "paragraph", "text": text }),
                    Entry::SubHeading { text, .. } => {
                        json!({ "kind": "sub-heading", "text": text })
                    }
                    Entry::Statement {
                        attribution, text, ..
                    } => json!({ "kind": "statement", "attribution": attribution, "text": text }),
                    Entry::Decision { text, .. } => json!({ "kind": "decision", "text": text }),
                    Entry::Action(a) => json!({
                        "kind": "action",
                        "label": a.label,
                        "text": a.description,
                        "tail": a.tail(),
                        "status": match a.status {
                            ActionStatus::Open => "open",
                            ActionStatus::Done => "done",
                            ActionStatus::Dropped => "dropped",
                        },
                    }),
                })
                .collect();
            json!({
                "number": item.number,
                "title": item.title,
                "depth": item.depth,
                "entries": entries,
            })
        })
        .collect();
    let actions: Vec<Value> = r
        .actions
        .iter()
        .map(|row| {
            let a = &row.line;
            json!([
                row.reference,
                a.description,
                a.owners,
                a.due_date,
                a.status.as_str(),
                row.item
            ])
        })
        .collect();
    let logo = match &house.logo {
        None => Value::Null,
        Some(l) => {
            let (path, format) = match l.image {
                LogoImage::Svg(_) => (LOGO_SVG, "svg"),
                LogoImage::Png(_) => (LOGO_PNG, "png"),
            };
            let alt = match l.alt.trim() {
                "" => format!("{} logo", house.organisation),
                alt => alt.to_owned(),
            };
            json!({ "path": path, "format": format, "alt": alt })
        }
    };
    let signature: Vec<Value> = text::signature(f)
        .into_iter()
        .map(|(label, value)| json!({ "label": label, "value": value }))
        .collect();
    let title = if r.title.trim().is_empty() {
        "Minutes".to_owned()
    } else {
        r.title.clone()
    };
    Ok(json!({
        "title": title,
        "series": r.series,
        "organisation": house.organisation,
        "description": format!("Minutes, version {}, SHA-256 {}", f.version, f.sha256),
        "lang": lang,
        "region": region,
        "footer": house.footer,
        "footer_version": text::footer_version(f),
        "logo": logo,
        "facts": facts(&r.facts),
        "sections": {
            "attendance": text::ATTENDANCE,
            "minutes": text::MINUTES,
            "next_meeting": text::NEXT_MEETING,
            "action_log": text::ACTION_LOG,
            "sign_off": text::SIGN_OFF,
        },
        "attendance_columns": ATTENDANCE_COLUMNS,
        "attendance": r.attendance.iter().map(|row| row.cells.to_vec()).collect::<Vec<_>>(),
        "items": items,
        "decision_label": DECISION_LABEL,
        "next_meeting": facts(&r.next_meeting),
        "action_columns": ACTION_COLUMNS,
        "actions": actions,
        "no_actions": NO_ACTIONS,
        "signature": signature,
        "attachment_description": format!(
            "The canonical Markdown of version {} (SHA-256 {})",
            f.version, f.sha256
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typeset_alone(source: &str, files: Vec<(FileId, Bytes)>) -> Result<Vec<u8>, RenderError> {
        let date = Datetime::from_ymd_hms(2022, 2, 7, 9, 30, 0).expect("a date");
        typeset(source, files, date, "test".into())
    }

    /// Typst's own PDF/UA-1 checks are on: a document that breaks them is refused.
    #[test]
    fn pdf_ua_violations_fail_the_render() {
        let svg = Bytes::new(b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'><rect width='1' height='1'/></svg>".to_vec());
        let logo = || vec![(file_id(LOGO_SVG).expect("id"), svg.clone())];
        let ok = "#set document(title: \"T\")\n#set text(font: \"Liberation Sans\", lang: \"en\")\n= Heading\n#image(\"/logo.svg\", alt: \"A square\")";
        assert!(typeset_alone(ok, logo()).is_ok());
        let no_alt = ok.replace(", alt: \"A square\"", "");
        let err = typeset_alone(&no_alt, logo()).expect_err("an image without alt text");
        assert!(err.to_string().contains("alt"), "{err}");
        let no_title = ok.replace("#set document(title: \"T\")", "");
        let err = typeset_alone(&no_title, logo()).expect_err("a document without a title");
        assert!(err.to_string().contains("title"), "{err}");
    }

    /// Nothing outside the three virtual files can be read.
    #[test]
    fn the_world_holds_no_other_file() {
        for source in [
            "#set document(title: \"T\")\n#read(\"/etc/passwd\")",
            "#set document(title: \"T\")\n#import \"/etc/passwd\"",
            "#set document(title: \"T\")\n#import \"@preview/cetz:0.3.0\"",
            "#set document(title: \"T\")\n#image(\"../../../../etc/hosts\")",
        ] {
            assert!(typeset_alone(source, vec![]).is_err(), "{source}");
        }
    }
}
