//! The Word document of the real fixture: a golden outline of `word/document.xml` (every
//! paragraph's style and text, every table's style, header row and cells, in order),
//! the styles an office pastes into its template, the footer, and the same bytes every
//! time. Regenerate the golden with `UPDATE_GOLDEN=1 cargo test -p minutebook-render`.

mod common;

use minutebook_render::docx;
use std::io::Read;
use std::path::Path;

/// The parts of a `.docx`.
fn part(docx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip");
    let mut file = zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut s = String::new();
    file.read_to_string(&mut s).expect("utf-8 part");
    s
}

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn attr<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.attribute((W, name))
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name((W, name)))
}

/// A paragraph's text, tabs as `→`, breaks as `↵`, fields as `{PAGE}`.
fn para_text(p: roxmltree::Node) -> String {
    let mut s = String::new();
    for n in p.descendants() {
        if n.has_tag_name((W, "t")) {
            s.push_str(n.text().unwrap_or_default());
        } else if n.has_tag_name((W, "tab")) && n.parent().is_some_and(|r| r.has_tag_name((W, "r")))
        {
            s.push('→');
        } else if n.has_tag_name((W, "br")) {
            s.push('↵');
        } else if n.has_tag_name((W, "instrText")) {
            s.push_str(&format!("{{{}}}", n.text().unwrap_or_default().trim()));
        } else if n.has_tag_name((W, "drawing")) {
            s.push_str("[picture]");
        }
    }
    s
}

fn para_style(p: roxmltree::Node) -> String {
    child(p, "pPr")
        .and_then(|pr| child(pr, "pStyle"))
        .and_then(|s| attr(s, "val"))
        .unwrap_or("-")
        .to_owned()
}

/// One line per paragraph, table and cell of the body.
fn outline(document: &str) -> String {
    let doc = roxmltree::Document::parse(document).expect("document.xml parses");
    let body = doc
        .descendants()
        .find(|n| n.has_tag_name((W, "body")))
        .expect("a body");
    let mut out = String::new();
    for n in body.children().filter(|n| n.is_element()) {
        if n.has_tag_name((W, "p")) {
            // Bold runs (the attribution, labels) are marked with **…**.
            let bold: Vec<String> = n
                .children()
                .filter(|r| r.has_tag_name((W, "r")))
                .filter(|r| {
                    child(*r, "rPr").is_some_and(|pr| {
                        child(pr, "b").is_some()
                            || child(pr, "rStyle").and_then(|s| attr(s, "val"))
                                == Some("Attribution")
                    })
                })
                .map(para_text)
                .collect();
            out.push_str(&format!("p[{}] {}", para_style(n), para_text(n)));
            if !bold.is_empty() {
                out.push_str(&format!("  **{}**", bold.join("|")));
            }
            out.push('\n');
        } else if n.has_tag_name((W, "tbl")) {
            let style = child(n, "tblPr")
                .and_then(|pr| child(pr, "tblStyle"))
                .and_then(|s| attr(s, "val"))
                .unwrap_or("-");
            out.push_str(&format!("table[{style}]\n"));
            for row in n.children().filter(|r| r.has_tag_name((W, "tr"))) {
                let header = child(row, "trPr")
                    .and_then(|pr| child(pr, "tblHeader"))
                    .is_some();
                let cells: Vec<String> = row
                    .children()
                    .filter(|c| c.has_tag_name((W, "tc")))
                    .map(|c| {
                        c.children()
                            .filter(|p| p.has_tag_name((W, "p")))
                            .map(para_text)
                            .collect::<Vec<_>>()
                            .join("↵")
                    })
                    .collect();
                out.push_str(&format!(
                    "  {} {}\n",
                    if header { "header" } else { "row" },
                    cells.join(" | ")
                ));
            }
        } else if n.has_tag_name((W, "sectPr")) {
            out.push_str("section\n");
        }
    }
    out
}

#[test]
fn the_fixture_renders_to_a_styled_word_document_matching_the_golden_outline() {
    let sample = common::sample(1);
    let bytes = docx(&common::frozen(&sample), &common::house()).expect("renders");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join("../../target"));
    let artifacts = target.join("test-artifacts/render");
    std::fs::create_dir_all(&artifacts).expect("artifacts");
    std::fs::write(artifacts.join("fixture.docx"), &bytes).expect("write");

    let document = part(&bytes, "word/document.xml");
    let got = outline(&document);
    let golden = dir.join("tests/golden/fixture.document.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).expect("write the golden");
    }
    let want = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", golden.display()));
    if got != want {
        let diff = similar::TextDiff::from_lines(&want, &got);
        panic!(
            "word/document.xml's outline differs from {} (UPDATE_GOLDEN=1 to accept):\n{}",
            golden.display(),
            diff.unified_diff().context_radius(2)
        );
    }

    // Real styles an office can map to its template.
    let styles = part(&bytes, "word/styles.xml");
    let doc = roxmltree::Document::parse(&styles).expect("styles.xml parses");
    let style = |id: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name((W, "style")) && attr(*n, "styleId") == Some(id))
            .unwrap_or_else(|| panic!("style {id} defined"))
    };
    for (id, name) in [
        ("Heading1", "heading 1"),
        ("Heading2", "heading 2"),
        ("Title", "Title"),
    ] {
        let s = style(id);
        assert_eq!(attr(s, "type"), Some("paragraph"));
        assert_eq!(child(s, "name").and_then(|n| attr(n, "val")), Some(name));
    }
    let table = style("MinutebookTable");
    assert_eq!(attr(table, "type"), Some("table"));
    assert!(
        table
            .children()
            .any(|c| c.has_tag_name((W, "tblStylePr")) && attr(c, "type") == Some("firstRow")),
        "the table style formats its header row"
    );
    assert_eq!(attr(style("Attribution"), "type"), Some("character"));
    assert!(
        styles.contains("<w:lang w:val=\"en-GB\" />"),
        "the document language"
    );

    // The attendance table uses the style and repeats its header row.
    assert!(got.contains("table[MinutebookTable]\n  header Name | Capacity | Short form | Organisation | Attendance\n"));
    // The footer: page n of N, the version and its hash.
    let footer = part(&bytes, "word/footer1.xml");
    assert!(
        footer.contains("PAGE") && footer.contains("NUMPAGES"),
        "{footer}"
    );
    assert!(footer.contains(&format!("Version 2 · SHA-256 {}", sample.sha256)));
    // Title and language in the core properties.
    let core = part(&bytes, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>Monthly Assurance Meeting January 2022– Meeting Notes</dc:title>")
    );
    assert!(core.contains("<dc:language>en-GB</dc:language>"));
}

#[test]
fn the_word_document_is_the_same_bytes_every_time() {
    let sample = common::sample(1);
    let frozen = common::frozen(&sample);
    let a = docx(&frozen, &common::house()).expect("renders");
    let b = docx(&frozen, &common::house()).expect("renders");
    let c = std::thread::spawn(move || {
        let sample = common::sample(1);
        docx(&common::frozen(&sample), &common::house()).expect("renders")
    })
    .join()
    .expect("thread");
    assert_eq!(a, b, "same bytes twice in a row");
    assert_eq!(a, c, "same bytes on another thread");
}

#[test]
fn a_png_logo_is_embedded_with_its_description() {
    let sample = common::sample(1);
    let mut house = common::house();
    house.logo = Some(minutebook_render::Logo {
        image: minutebook_render::LogoImage::Png(common::tiny_png()),
        alt: "Crest & \"motto\"".into(),
    });
    let bytes = docx(&common::frozen(&sample), &house).expect("renders");
    let document = part(&bytes, "word/document.xml");
    assert!(
        document.contains(r#"descr="Crest &amp; &quot;motto&quot;""#),
        "alt text"
    );
    let pdf = minutebook_render::pdf(&common::frozen(&sample), &house).expect("renders");
    assert!(
        String::from_utf8_lossy(&pdf).contains("/Alt"),
        "alt text in the PDF"
    );
}

#[test]
fn hostile_text_stays_text_in_word() {
    let sample = common::sample(1);
    let mut frozen = common::frozen(&sample);
    let evil = "</w:t></w:r><w:r><w:t>injected & \u{1} \"quoted\" ]]>";
    frozen.signer = evil;
    let house = minutebook_render::House {
        organisation: evil.into(),
        logo: None,
        footer: evil.into(),
    };
    let bytes = docx(&frozen, &house).expect("renders");
    let document = part(&bytes, "word/document.xml");
    roxmltree::Document::parse(&document).expect("still well-formed");
    let out = outline(&document);
    assert!(
        out.contains("</w:t></w:r><w:r><w:t>injected &  \"quoted\" ]]>"),
        "{out}"
    );
    roxmltree::Document::parse(&part(&bytes, "word/footer1.xml")).expect("footer well-formed");
    roxmltree::Document::parse(&part(&bytes, "docProps/core.xml")).expect("core well-formed");
}
