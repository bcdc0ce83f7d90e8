//! An organisation's logo, checked before any renderer sees it: an SVG is rebuilt from
//! its shapes alone ([`sanitize_svg`]: no scripts, text, images, styles, links or external
//! references survive), a PNG's structure and size are checked without decoding it
//! ([`check_png`]).

use std::fmt::Write as _;

/// Why a logo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// Larger than allowed.
    #[error("the logo is {0} bytes, more than the {1} allowed")]
    TooLarge(usize, usize),
    /// Not well-formed XML (or a DTD, which is refused).
    #[error("the SVG cannot be read: {0}")]
    Xml(String),
    /// The root element is not `<svg>` in the SVG namespace.
    #[error("the document is not an SVG")]
    NotSvg,
    /// Nested more deeply than allowed.
    #[error("the SVG nests more than {MAX_SVG_DEPTH} levels")]
    TooDeep,
    /// Not a PNG file.
    #[error("not a PNG file: {0}")]
    NotPng(&'static str),
    /// Wider or taller than allowed.
    #[error("the PNG is {0}×{1} pixels, more than {MAX_PNG_SIDE} on a side")]
    TooBig(u32, u32),
}

/// The deepest nesting of SVG elements kept.
pub const MAX_SVG_DEPTH: usize = 32;
/// The widest and tallest PNG accepted, in pixels.
pub const MAX_PNG_SIDE: u32 = 4096;
/// The most XML nodes read from an SVG.
const MAX_SVG_NODES: u32 = 20_000;
/// The longest attribute value kept.
const MAX_VALUE_LEN: usize = 64 * 1024;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The shape elements kept.
const ELEMENTS: [&str; 9] = [
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
];

/// The presentation and geometry attributes kept (no `style`, `href`, `on*`, `class`,
/// `id`, nor anything namespaced).
const ATTRIBUTES: [&str; 36] = [
    "viewBox",
    "width",
    "height",
    "preserveAspectRatio",
    "x",
    "y",
    "rx",
    "ry",
    "cx",
    "cy",
    "r",
    "x1",
    "y1",
    "x2",
    "y2",
    "d",
    "points",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "clip-rule",
    "vector-effect",
    "shape-rendering",
    "color",
    "visibility",
    "display",
];

/// Whether an attribute value is plain geometry or paint: numbers, names, `#rgb`,
/// `rgb(..)`, `matrix(..)`; never `url(..)`, entities, quotes, `;` or `:`.
fn plain_value(v: &str) -> bool {
    v.len() <= MAX_VALUE_LEN
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" \t\r\n#.,%()+-".contains(&b))
        && !v.to_ascii_lowercase().contains("url")
}

/// `svg` rebuilt from its shapes only: the elements `svg g path rect circle ellipse line
/// polyline polygon` with geometry and paint attributes (`d`, `x`, `points`, `transform`,
/// `fill`, `stroke`, … ) whose values are plain; everything else (scripts,
/// `foreignObject`, text, images, `use`, styles, links, event handlers, `url(..)`
/// references, comments, processing instructions) is dropped with its content. Refuses
/// input longer than `max_bytes`, a DTD, more than 20,000 nodes, or nesting deeper than
/// [`MAX_SVG_DEPTH`].
pub fn sanitize_svg(svg: &str, max_bytes: usize) -> Result<String, LogoError> {
    if svg.len() > max_bytes {
        return Err(LogoError::TooLarge(svg.len(), max_bytes));
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_SVG_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(svg, options)
        .map_err(|e| LogoError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if !is_svg_element(root, "svg") {
        return Err(LogoError::NotSvg);
    }

    let mut out = String::with_capacity(svg.len().min(max_bytes));
    // An explicit stack, never recursion: (node, depth, whether its end tag is due).
    let mut stack: Vec<(roxmltree::Node, usize, bool)> = vec![(root, 1, false)];
    while let Some((node, depth, closing)) = stack.pop() {
        let name = node.tag_name().name();
        if closing {
            let _ = write!(out, "</{name}>");
            continue;
        }
        if depth > MAX_SVG_DEPTH {
            return Err(LogoError::TooDeep);
        }
        out.push('<');
        out.push_str(name);
        if depth == 1 {
            let _ = write!(out, " xmlns=\"{SVG_NS}\"");
        }
        for a in node.attributes() {
            if a.namespace().is_none() && ATTRIBUTES.contains(&a.name()) && plain_value(a.value()) {
                let _ = write!(out, " {}=\"{}\"", a.name(), escape(a.value()));
            }
        }
        let kept: Vec<roxmltree::Node> = node
            .children()
            .filter(|c| ELEMENTS.iter().any(|e| is_svg_element(*c, e)))
            .collect();
        if kept.is_empty() {
            out.push_str("/>");
            continue;
        }
        out.push('>');
        stack.push((node, depth, true));
        for child in kept.into_iter().rev() {
            stack.push((child, depth + 1, false));
        }
    }
    Ok(out)
}

/// A sanitised SVG drawn as a PNG `height` pixels high (at most four times as wide), for
/// Word, which needs a raster picture. `None` if it cannot be drawn.
pub(crate) fn svg_to_png(clean_svg: &str, height: u32) -> Option<(Vec<u8>, u32, u32)> {
    let tree = resvg::usvg::Tree::from_str(clean_svg, &resvg::usvg::Options::default()).ok()?;
    let size = tree.size();
    if !(size.width() > 0.0 && size.height() > 0.0) {
        return None;
    }
    let scale = height as f32 / size.height();
    let width = (size.width() * scale)
        .ceil()
        .clamp(1.0, 4.0 * height as f32) as u32;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Some((pixmap.encode_png().ok()?, width, height))
}

/// Whether `node` is the SVG element `name` (in the SVG namespace, or in none).
fn is_svg_element(node: roxmltree::Node, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && matches!(node.tag_name().namespace(), None | Some(SVG_NS))
}

/// Escapes an attribute value (plain values hold none of these, but never rely on it).
fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Checks a PNG without decoding its pixels: the signature, a well-formed `IHDR` first
/// (CRC checked) with a known bit depth and colour type, chunks that stay inside the file
/// and an `IEND`; at most `max_bytes` long and [`MAX_PNG_SIDE`] pixels on a side. Returns
/// (width, height).
pub fn check_png(png: &[u8], max_bytes: usize) -> Result<(u32, u32), LogoError> {
    const SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];
    if png.len() > max_bytes {
        return Err(LogoError::TooLarge(png.len(), max_bytes));
    }
    if png.get(..8) != Some(&SIGNATURE[..]) {
        return Err(LogoError::NotPng("no PNG signature"));
    }
    let be32 = |at: usize| -> Option<u32> {
        let b = png.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut at = 8usize;
    let mut size = None;
    loop {
        let len = be32(at).ok_or(LogoError::NotPng("truncated chunk"))? as usize;
        let kind = png
            .get(at + 4..at + 8)
            .ok_or(LogoError::NotPng("truncated chunk"))?;
        let end = at
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= png.len())
            .ok_or(LogoError::NotPng("chunk runs past the end"))?;
        let body = &png[at + 8..at + 8 + len];
        let crc = be32(at + 8 + len).ok_or(LogoError::NotPng("truncated chunk"))?;
        let mut sum = flate2::Crc::new();
        sum.update(kind);
        sum.update(body);
        if sum.sum() != crc {
            return Err(LogoError::NotPng("bad chunk checksum"));
        }
        match (size, kind) {
            (None, b"IHDR") => {
                if len != 13 {
                    return Err(LogoError::NotPng("bad IHDR"));
                }
                let w = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
                let h = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
                let (depth, colour) = (body[8], body[9]);
                let valid = match colour {
                    0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
                    3 => matches!(depth, 1 | 2 | 4 | 8),
                    2 | 4 | 6 => matches!(depth, 8 | 16),
                    _ => false,
                };
                if !valid || body[10] != 0 || body[11] != 0 || body[12] > 1 {
                    return Err(LogoError::NotPng("bad IHDR"));
                }
                if w == 0 || h == 0 {
                    return Err(LogoError::NotPng("empty image"));
                }
                if w > MAX_PNG_SIDE || h > MAX_PNG_SIDE {
                    return Err(LogoError::TooBig(w, h));
                }
                size = Some((w, h));
            }
            (None, _) => return Err(LogoError::NotPng("IHDR is not first")),
            (Some(size), b"IEND") => return Ok(size),
            (Some(_), _) => {}
        }
        at = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_shapes_and_drops_the_rest() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
            <script>alert(1)</script>
            <style>rect { fill: url(http://evil/) }</style>
            <g transform="translate(1 1)" style="fill:red">
              <rect x="0" y="0" width="5" height="5" fill="#123456" onclick="x()"/>
              <path d="M0 0L5 5" stroke="url(#grad)" stroke-width="1"/>
              <text x="0" y="0">secret</text>
              <image xlink:href="http://evil/x.png"/>
              <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
              <use xlink:href="#a"/>
              <a href="http://evil/"><rect width="1" height="1"/></a>
            </g>
            <circle cx="5" cy="5" r="2" xlink:href="x" fill="rgb(1,2,3)"/>
        </svg>"##;
        let clean = sanitize_svg(svg, 10_000).expect("sanitises");
        assert_eq!(
            clean,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">\
             <g transform=\"translate(1 1)\"><rect x=\"0\" y=\"0\" width=\"5\" height=\"5\" fill=\"#123456\"/>\
             <path d=\"M0 0L5 5\" stroke-width=\"1\"/></g>\
             <circle cx=\"5\" cy=\"5\" r=\"2\" fill=\"rgb(1,2,3)\"/></svg>"
        );
    }

    #[test]
    fn refuses_what_is_not_a_small_svg() {
        assert_eq!(sanitize_svg("<html/>", 100), Err(LogoError::NotSvg));
        assert!(matches!(sanitize_svg("<svg", 100), Err(LogoError::Xml(_))));
        assert!(matches!(
            sanitize_svg("<!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg>&a;</svg>", 1000),
            Err(LogoError::Xml(_))
        ));
        assert_eq!(
            sanitize_svg(&"x".repeat(101), 100),
            Err(LogoError::TooLarge(101, 100))
        );
        let deep = format!(
            "<svg xmlns=\"{SVG_NS}\">{}{}</svg>",
            "<g>".repeat(40),
            "</g>".repeat(40)
        );
        assert_eq!(sanitize_svg(&deep, 10_000), Err(LogoError::TooDeep));
    }

    /// A valid 1×1 PNG.
    pub(crate) fn tiny_png() -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
            out.extend_from_slice(&(body.len() as u32).to_be_bytes());
            out.extend_from_slice(kind);
            out.extend_from_slice(body);
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(body);
            out.extend_from_slice(&crc.sum().to_be_bytes());
        }
        let mut png = vec![137, 80, 78, 71, 13, 10, 26, 10];
        chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &[0, 29, 53, 87]).expect("in memory");
        chunk(&mut png, b"IDAT", &z.finish().expect("in memory"));
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn checks_pngs() {
        let png = tiny_png();
        assert_eq!(check_png(&png, 1000), Ok((1, 1)));
        assert!(check_png(&png[..png.len() - 1], 1000).is_err());
        let mut bad = png.clone();
        bad[20] ^= 1;
        assert!(check_png(&bad, 1000).is_err());
        assert!(check_png(b"GIF89a", 1000).is_err());
        assert_eq!(check_png(&png, 10), Err(LogoError::TooLarge(png.len(), 10)));
    }
}
