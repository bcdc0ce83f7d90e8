//! Property tests of what reads untrusted input, run under plain `cargo test`:
//! `embedded_markdown` on arbitrary bytes and on mutations of a real rendered PDF (never a
//! panic, never more than the cap), a deflate bomb cut off at the cap, and `sanitize_svg`
//! on arbitrary and mutated SVG (its output is always a small SVG of shapes only).

mod common;

use minutebook_render::{embedded_markdown, pdf, sanitize_svg, EmbedError, House};
use proptest::prelude::*;
use std::sync::LazyLock;

/// A real PDF from the renderer (no logo, to keep it small).
static PDF: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let sample = common::sample(1);
    pdf(&common::frozen(&sample), &House::default()).expect("renders")
});

const CAP: usize = 256 * 1024;

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        any::<usize>().prop_map(Mutation::Cut),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), 0usize..512).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0usize..4096, any::<usize>())
            .prop_map(|(a, n, to)| Mutation::Duplicate(a, n, to)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip(at, b) => {
            if let Some(x) = bytes.get_mut(at % len) {
                *x ^= b | 1;
            }
        }
        Mutation::Cut(at) => bytes.truncate(at % len),
        Mutation::Insert(at, data) => {
            let at = (at % len).min(bytes.len());
            bytes.splice(at..at, data.iter().copied());
        }
        Mutation::Delete(at, n) => {
            let at = (at % len).min(bytes.len());
            let end = (at + n).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Duplicate(at, n, to) => {
            let at = (at % len).min(bytes.len());
            let end = (at + n).min(bytes.len());
            let piece = bytes[at..end].to_vec();
            let to = (to % len).min(bytes.len());
            bytes.splice(to..to, piece);
        }
    }
}

/// Mutations aimed at the attachment: near the names and keys the reader looks for.
fn targeted(bytes: &[u8]) -> Vec<usize> {
    let keys: [&[u8]; 6] = [
        b"(minutes.md)",
        b"/EF",
        b"/Length",
        b"/FlateDecode",
        b"stream",
        b"/Size",
    ];
    let mut at = Vec::new();
    for key in keys {
        let mut i = 0;
        while let Some(p) = bytes[i..].windows(key.len()).position(|w| w == key) {
            at.push(i + p);
            i += p + 1;
        }
    }
    at
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(mut data in proptest::collection::vec(any::<u8>(), 0..4096), pdf_head in any::<bool>()) {
        if pdf_head {
            data.splice(0..0, b"%PDF-1.7\n".iter().copied());
        }
        if let Ok(Some(md)) = embedded_markdown(&data, CAP) {
            prop_assert!(md.len() <= CAP);
        }
    }

    #[test]
    fn mutated_pdfs_never_panic_and_stay_under_the_cap(ms in proptest::collection::vec(mutation(), 1..6), aim in any::<prop::sample::Index>(), near in any::<bool>()) {
        let mut bytes = PDF.clone();
        let aims = targeted(&bytes);
        for m in &ms {
            let m = match (near, m, aims.is_empty()) {
                (true, Mutation::Flip(_, b), false) => Mutation::Flip(aims[aim.index(aims.len())] + (*b as usize % 24), *b),
                (true, Mutation::Insert(_, d), false) => Mutation::Insert(aims[aim.index(aims.len())], d.clone()),
                (_, m, _) => m.clone(),
            };
            apply(&mut bytes, &m);
        }
        if let Ok(Some(md)) = embedded_markdown(&bytes, CAP) {
            prop_assert!(md.len() <= CAP);
        }
    }

    #[test]
    fn generated_svgs_keep_only_shapes(svg in svg_document()) {
        match sanitize_svg(&svg, 1 << 20) {
            Ok(clean) => check_shapes_only(&clean)?,
            Err(e) => prop_assert!(
                matches!(e, minutebook_render::LogoError::TooDeep),
                "well-formed input refused: {e}"
            ),
        }
    }

    #[test]
    fn svg_output_is_always_shapes_only(
        ms in proptest::collection::vec(mutation(), 0..6),
        junk in proptest::option::of("[<>/=\"a-z :#()&;!\\-\\[\\]]{0,200}"),
    ) {
        let mut bytes = common::LOGO_SVG.as_bytes().to_vec();
        for m in &ms {
            apply(&mut bytes, m);
        }
        if let Some(junk) = junk {
            let at = junk.len() % bytes.len().max(1);
            bytes.splice(at..at, junk.bytes());
        }
        let svg = String::from_utf8_lossy(&bytes);
        if let Ok(clean) = sanitize_svg(&svg, 64 * 1024) {
            prop_assert!(clean.len() <= 2 * svg.len() + 64);
            check_shapes_only(&clean)?;
        }
    }
}

/// The sanitiser's promise: XML of shape elements with plain attributes, nothing else.
fn check_shapes_only(clean: &str) -> Result<(), TestCaseError> {
    let doc = roxmltree::Document::parse(clean)
        .map_err(|e| TestCaseError::fail(format!("not XML: {e}")))?;
    for n in doc.descendants() {
        prop_assert!(
            !n.is_text() && !n.is_comment() && !n.is_pi(),
            "only elements: {clean}"
        );
        if n.is_element() {
            prop_assert!(
                ["svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon"]
                    .contains(&n.tag_name().name()),
                "{clean}"
            );
            for a in n.attributes() {
                prop_assert!(a.namespace().is_none());
                prop_assert!(
                    !a.name().starts_with("on") && a.name() != "href" && a.name() != "style"
                );
                prop_assert!(!a.value().to_ascii_lowercase().contains("url"));
                prop_assert!(!a.value().contains(':') && !a.value().contains(';'));
            }
        }
    }
    Ok(())
}

/// Well-formed SVG documents mixing shapes with everything the sanitiser must drop:
/// scripts, text, images, links, styles, foreign objects, event handlers, `url(..)`
/// paints, namespaced references, comments and character data, nested up to 40 deep.
fn svg_document() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "g",
        "path",
        "rect",
        "circle",
        "polygon",
        "script",
        "text",
        "image",
        "use",
        "a",
        "style",
        "foreignObject",
        "defs",
        "linearGradient",
        "tspan",
    ]);
    let attribute = prop_oneof![
        Just("fill=\"#123\"".to_owned()),
        Just("d=\"M0 0L1 1Z\"".to_owned()),
        Just("transform=\"rotate(45)\"".to_owned()),
        Just("onload=\"alert(1)\"".to_owned()),
        Just("style=\"fill:red\"".to_owned()),
        Just("href=\"https://example.org/\"".to_owned()),
        Just("xlink:href=\"#x\"".to_owned()),
        Just("fill=\"url(#g)\"".to_owned()),
        Just("stroke=\"javascript:alert(1)\"".to_owned()),
        Just("width=\"10\"".to_owned()),
        "[a-z]{1,8}=\"[a-zA-Z0-9 .#(),:;/-]{0,12}\"",
    ];
    let leaf = prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ]{0,12}",
        Just("<!-- note -->".to_owned()),
        Just("<![CDATA[alert(1)]]>".to_owned()),
    ];
    let element = leaf.prop_recursive(40, 200, 4, move |inner| {
        (
            names.clone(),
            prop::collection::vec(attribute.clone(), 0..4),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, attributes, children)| {
                let attributes: std::collections::BTreeMap<String, String> = attributes
                    .into_iter()
                    .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
                    .collect();
                let attributes: String = attributes
                    .iter()
                    .map(|(k, v)| format!(" {k}={v}"))
                    .collect();
                format!("<{name}{attributes}>{}</{name}>", children.concat())
            })
    });
    prop::collection::vec(element, 0..4).prop_map(|children| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 10 10\">{}</svg>",
            children.concat()
        )
    })
}

#[test]
fn a_deflate_bomb_in_a_real_pdf_is_cut_off_at_the_cap() {
    // Swap the real attachment's stream for 256 MiB of zeros deflated (~256 KiB).
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..256 {
        std::io::Write::write_all(&mut z, &chunk).expect("in memory");
    }
    let bomb = z.finish().expect("in memory");
    let bytes = &*PDF;
    let find = |from: usize, key: &[u8]| {
        bytes[from..]
            .windows(key.len())
            .position(|w| w == key)
            .map(|p| p + from)
    };
    let ty = find(0, b"/EmbeddedFile").expect("an embedded file");
    let obj = bytes[..ty]
        .windows(4)
        .rposition(|w| w == b" obj")
        .expect("its object");
    let stream = find(ty, b"stream").expect("its stream");
    let end = find(stream, b"endstream").expect("its end");
    let mut dict = String::from_utf8(bytes[obj..stream].to_vec()).expect("an ASCII dictionary");
    let length_at = dict.find("/Length ").expect("a length");
    let digits = dict[length_at + 8..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    dict.replace_range(
        length_at + 8..length_at + 8 + digits,
        &bomb.len().to_string(),
    );
    if let Some(size_at) = dict.find("/Size ") {
        let digits = dict[size_at + 6..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        dict.replace_range(
            size_at + 6..size_at + 6 + digits,
            &(256u64 << 20).to_string(),
        );
    }
    let mut evil = bytes[..obj].to_vec();
    evil.extend_from_slice(dict.as_bytes());
    evil.extend_from_slice(b"stream\n");
    evil.extend_from_slice(&bomb);
    evil.extend_from_slice(b"\n");
    evil.extend_from_slice(&bytes[end..]);
    let started = std::time::Instant::now();
    assert_eq!(
        embedded_markdown(&evil, 1 << 20),
        Err(EmbedError::TooLarge(1 << 20))
    );
    assert!(
        started.elapsed().as_secs() < 5,
        "stops at the cap, not at the end"
    );
}
