//! The PDF of the real fixture: PDF/UA-1 (Typst's own checks fail the render on a
//! violation), tagged, fonts embedded, the Markdown attached byte for byte, every page
//! rendered to PNG with `pdftoppm` and kept in `target/test-artifacts/render/`, minutes'
//! text shown literally whatever Typst syntax it holds, and the same bytes every time.

mod common;

use minutebook_render::{embedded_markdown, pdf, House};
use minutebook_shared::meeting::reading::{Entry, Fact, Reading, ReadingItem};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/test-artifacts/render/` of this workspace.
fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("test-artifacts/render");
    std::fs::create_dir_all(&dir).expect("artifact directory");
    dir
}

/// Runs a poppler tool, failing the test with an install hint when it is missing.
fn poppler(tool: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "{tool} (poppler-utils) is needed to check the PDF and could not be run ({e}); \
             install it with `apt-get install -y poppler-utils` or run scripts/setup.sh"
        )
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = artifacts().join(name);
    std::fs::write(&path, bytes).expect("write artifact");
    path
}

/// Whether a PNG from pdftoppm shows anything: its inflated scanlines hold more than a
/// handful of distinct byte values (a blank page's hold only white and filter bytes).
fn png_shows_something(png: &[u8]) -> bool {
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]) as usize;
        let kind = &png[at + 4..at + 8];
        if at + 12 + len > png.len() {
            break;
        }
        if kind == b"IDAT" {
            idat.extend_from_slice(&png[at + 8..at + 8 + len]);
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    let inflated =
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&idat[..]), &mut raw);
    inflated.is_ok() && {
        let mut seen = [false; 256];
        raw.iter().for_each(|&b| seen[b as usize] = true);
        seen.iter().filter(|&&s| s).count() > 16
    }
}

/// Renders every page of `pdf_path` to `<stem>-N.png`; checks each exists and is not
/// blank; returns the pages.
fn pages_to_png(pdf_path: &Path, stem: &str) -> Vec<PathBuf> {
    let dir = artifacts();
    for old in std::fs::read_dir(&dir).expect("artifacts").flatten() {
        let name = old.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{stem}-")) && name.ends_with(".png") {
            let _ = std::fs::remove_file(old.path());
        }
    }
    let prefix = dir.join(stem);
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            pdf_path.to_str().expect("utf-8 path"),
            prefix.to_str().expect("utf-8 path"),
        ],
    );
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("artifacts")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&format!("{stem}-")) && name.ends_with(".png")
        })
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm made no pages of {stem}");
    for page in &pages {
        let png = std::fs::read(page).expect("page");
        assert!(png_shows_something(&png), "{} is blank", page.display());
    }
    pages
}

/// `s` with every run of white space as one space.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pdf_text(pdf_path: &Path) -> String {
    let out = poppler(
        "pdftotext",
        &["-enc", "UTF-8", pdf_path.to_str().expect("utf-8 path"), "-"],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_fixture_renders_to_a_tagged_pdf_ua_document_with_embedded_fonts_and_markdown() {
    let sample = common::sample(1);
    let frozen = common::frozen(&sample);
    let bytes = pdf(&frozen, &common::house()).expect("renders as PDF/UA-1");
    let path = write("fixture.pdf", &bytes);

    // Tagged PDF/UA-1: identification, structure tree, language, title shown.
    let raw = String::from_utf8_lossy(&bytes);
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(
        raw.contains("pdfuaid:part"),
        "PDF/UA identification in the XMP"
    );
    assert!(raw.contains("/StructTreeRoot"), "a structure tree");
    assert!(raw.contains("/Marked true"), "marked content");
    assert!(
        raw.contains("/Lang(en-GB)") || raw.contains("/Lang (en-GB)"),
        "the document language"
    );
    assert!(raw.contains("/DisplayDocTitle true"), "the title is shown");

    // Every font is embedded.
    let fonts = poppler("pdffonts", &[path.to_str().expect("utf-8 path")]);
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "fonts listed: {fonts}");
    for row in &rows {
        assert!(row.contains("Liberation"), "only the crate's fonts: {row}");
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding…] emb sub uni object ID
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "embedded: {row}");
    }

    // The Markdown comes back out byte for byte.
    let md = embedded_markdown(&bytes, 1 << 20)
        .expect("reads")
        .expect("attached");
    assert_eq!(md, sample.markdown);

    // The words of the minutes are there, in the house style's places.
    let text = squash(&pdf_text(&path));
    for expected in [
        "Monthly Assurance Meeting January 2022",
        "Office of the Police and Crime Commissioner for West Mercia",
        "Attendance",
        "Deputy Chief Constable",
        "2.1",
        "Current Investigative demand",
        "DCC: The force will publish a data quality improvement plan.",
        "Decision: The PCC agreed",
        "ACTION 01/22:",
        "Next meeting",
        "Friday 11th March",
        "Action log",
        "Sign-off",
        &sample.sha256,
        "Page 1 of",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from the PDF text:\n{text}"
        );
    }

    let pages = pages_to_png(&path, "fixture");
    assert!(pages.len() >= 3, "{} pages", pages.len());
}

#[test]
fn the_same_version_renders_to_the_same_bytes() {
    let sample = common::sample(1);
    let frozen = common::frozen(&sample);
    let house = common::house();
    let a = pdf(&frozen, &house).expect("renders");
    let b = pdf(&frozen, &House::default()).expect("renders");
    let c = pdf(&frozen, &house).expect("renders");
    assert_eq!(a, c, "deterministic");
    assert_ne!(a, b, "the house style is used");
}

#[test]
fn the_ten_times_meeting_renders() {
    let sample = common::sample(10);
    let bytes = pdf(&common::frozen(&sample), &common::house()).expect("renders");
    let path = write("ten-times.pdf", &bytes);
    let md = embedded_markdown(&bytes, 8 << 20)
        .expect("reads")
        .expect("attached");
    assert_eq!(md, sample.markdown);
    let info = poppler("pdfinfo", &[path.to_str().expect("utf-8 path")]);
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(pages_to_png(&path, "ten-times").len() >= 20);
}

/// Text that would be markup if it were spliced into Typst source.
const HOSTILE: [&str; 10] = [
    r#"#import "/etc/passwd""#,
    r#"#read("/etc/passwd")"#,
    "#panic(\"boom\")",
    "] #set page(width: 1pt) [",
    "$x^2$ and *not bold* and _not italic_",
    "<label> @ref `raw` // not a comment",
    r"back\slash \u{41} \#",
    "= Not a heading",
    "#{ let x = 1; x }",
    "/* not a comment */ ~ -- ---",
];

#[test]
fn minutes_text_is_shown_literally_never_run_as_typst() {
    let hostile = |i: usize| HOSTILE[i % HOSTILE.len()].to_owned();
    let reading = Reading {
        title: hostile(0),
        series: hostile(1),
        facts: vec![Fact {
            label: "Venue",
            value: hostile(2),
        }],
        attendance: vec![minutebook_shared::meeting::reading::AttendanceRow {
            person: Default::default(),
            cells: [hostile(3), hostile(4), hostile(5), hostile(6), hostile(7)],
        }],
        items: vec![ReadingItem {
            number: "1".into(),
            title: hostile(8),
            depth: 0,
            entries: HOSTILE
                .iter()
                .map(|t| Entry::Statement {
                    block: Default::default(),
                    speakers: vec![],
                    attribution: format!("{t}:"),
                    text: t.to_string(),
                })
                .chain(HOSTILE.iter().map(|t| Entry::Paragraph {
                    block: Default::default(),
                    text: format!("{t}\nsecond line {t}"),
                }))
                .collect(),
            ..Default::default()
        }],
        next_meeting: vec![Fact {
            label: "Date",
            value: hostile(9),
        }],
        actions: vec![],
    };
    let markdown = HOSTILE.join("\n");
    let base = common::sample(1);
    let mut frozen = common::frozen(&base);
    frozen.reading = &reading;
    frozen.markdown = &markdown;
    frozen.signer = HOSTILE[0];
    frozen.status = HOSTILE[3];
    frozen.language = "#import";
    let house = House {
        organisation: HOSTILE[4].into(),
        logo: None,
        footer: HOSTILE[5].into(),
    };
    let bytes = pdf(&frozen, &house).expect("renders");
    let path = write("hostile.pdf", &bytes);
    let text = pdf_text(&path);
    let shown = squash(&text);
    for t in HOSTILE {
        assert!(
            shown.contains(&squash(t)),
            "{t:?} not shown literally in:\n{text}"
        );
    }
    assert!(!shown.contains("root:x:0"), "no file was read");
    assert_eq!(
        embedded_markdown(&bytes, 1 << 20)
            .expect("reads")
            .as_deref(),
        Some(markdown.as_str())
    );
    pages_to_png(&path, "hostile");
}

#[test]
fn bare_and_deeply_nested_minutes_render() {
    // No title, series, facts, people, actions or next meeting, no house style.
    let bare = Reading::default();
    let base = common::sample(1);
    let mut frozen = common::frozen(&base);
    let markdown = String::new();
    frozen.reading = &bare;
    frozen.markdown = &markdown;
    let bytes = pdf(&frozen, &House::default()).expect("a bare reading renders");
    assert_eq!(embedded_markdown(&bytes, 1024), Ok(Some(String::new())));
    let path = write("bare.pdf", &bytes);
    let text = squash(&pdf_text(&path));
    assert!(
        text.contains("Minutes") && text.contains("No actions."),
        "{text}"
    );

    // Items nested eight deep, each with a sub-heading and every kind of entry.
    let items: Vec<ReadingItem> = (0..8)
        .map(|depth| ReadingItem {
            number: (1..=depth + 1)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join("."),
            title: format!(
                "Level {depth} with a title long enough to wrap onto a second line of the page"
            ),
            depth,
            entries: vec![
                Entry::SubHeading {
                    block: Default::default(),
                    text: "A sub-heading".into(),
                },
                Entry::Paragraph {
                    block: Default::default(),
                    text: "word ".repeat(80),
                },
                Entry::Decision {
                    block: Default::default(),
                    text: "Agreed.".into(),
                },
            ],
            ..Default::default()
        })
        .collect();
    let nested = Reading {
        title: "Nested".into(),
        items,
        ..Default::default()
    };
    frozen.reading = &nested;
    let bytes = pdf(&frozen, &House::default()).expect("deep nesting renders as PDF/UA-1");
    let path = write("nested.pdf", &bytes);
    pages_to_png(&path, "nested");
}
