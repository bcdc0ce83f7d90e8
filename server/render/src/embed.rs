//! Reading the attached `minutes.md` back out of a PDF that anyone may upload (for
//! `minutebook verify`), bounded in time and memory and without panics.
//!
//! This is a small scanner for the structure the renderer writes (through Typst and
//! krilla: plain indirect objects, no object streams around embedded files, a file
//! specification `<< /F (minutes.md) … /EF << /F n g R >> >>` and an embedded-file stream
//! with a direct `/Length`, `FlateDecode` or no filter), not a general PDF reader: a
//! general reader parses far more than is needed here (and recursively, on attacker
//! depth), while this one only finds one file specification and inflates one stream with
//! the inflated size capped. A PDF rewritten by another tool may hide the attachment from
//! it (the answer is then "no attachment", never a wrong one: `verify` compares the text
//! with the hash the file carries).
//!
//! Every search is linear in the input and looks only within small windows; nothing
//! allocates more than the input or `max_out + 1` bytes.

use std::io::Read;

/// The name of the attached Markdown.
pub const ATTACHMENT_NAME: &str = "minutes.md";

/// How far a file specification's dictionary may reach around its name, in bytes.
const WINDOW: usize = 4096;
/// How many mentions of the name are looked at.
const MAX_CANDIDATES: usize = 64;

/// Why the attachment could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// The file is not a PDF.
    #[error("not a PDF file")]
    NotPdf,
    /// The attachment's objects are malformed.
    #[error("the attached Markdown is malformed: {0}")]
    Malformed(&'static str),
    /// The attachment uses an encoding this reader does not accept.
    #[error("the attached Markdown uses an unsupported encoding: {0}")]
    Unsupported(&'static str),
    /// The attachment inflates to more than allowed.
    #[error("the attached Markdown is larger than {0} bytes")]
    TooLarge(usize),
    /// The attachment is not UTF-8 text.
    #[error("the attached Markdown is not UTF-8 text")]
    NotUtf8,
}

/// The text of the attachment named [`ATTACHMENT_NAME`] in `pdf`: `Ok(None)` if there is
/// none, an error if it is there but unreadable or inflates past `max_out` bytes.
pub fn embedded_markdown(pdf: &[u8], max_out: usize) -> Result<Option<String>, EmbedError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(EmbedError::NotPdf);
    }
    let name = b"(minutes.md)";
    let mut from = 0;
    let mut stream_ref = None;
    for _ in 0..MAX_CANDIDATES {
        let Some(at) = find(&pdf[from..], name).map(|i| i + from) else {
            break;
        };
        from = at + name.len();
        // The dictionary around the name: after the last `obj` before it, up to the
        // `endobj` after it, both within the window.
        let start = at.saturating_sub(WINDOW);
        let Some(open) = rfind(&pdf[start..at], b"obj").map(|i| start + i + 3) else {
            continue;
        };
        let end = (at + WINDOW).min(pdf.len());
        let Some(close) = find(&pdf[at..end], b"endobj").map(|i| at + i) else {
            continue;
        };
        let object = &pdf[open..close];
        if !(follows_key(object, at - open, b"/F") || follows_key(object, at - open, b"/UF")) {
            continue;
        }
        if let Some(r) = ef_reference(object) {
            stream_ref = Some(r);
            break;
        }
    }
    let Some((num, generation)) = stream_ref else {
        return Ok(None);
    };
    read_stream(pdf, num, generation, max_out).map(Some)
}

/// Whether the name at `at` in `object` is the value of `key` (`/F (minutes.md)`; the
/// key's `/` ends whatever name stands before it).
fn follows_key(object: &[u8], at: usize, key: &[u8]) -> bool {
    trim_end(&object[..at]).ends_with(key)
}

/// The `n g R` of `/EF << /F n g R >>` in a file specification.
fn ef_reference(object: &[u8]) -> Option<(u32, u32)> {
    let at = find(object, b"/EF")?;
    let rest = skip_ws(&object[at + 3..]);
    let rest = rest.strip_prefix(b"<<")?;
    let end = find(rest, b">>")?;
    let dict = &rest[..end];
    let mut i = 0;
    while let Some(k) = find(&dict[i..], b"/F").map(|k| k + i) {
        let after = &dict[k + 2..];
        // `/F` exactly, not `/Foo`.
        if after.first().is_some_and(|b| b.is_ascii_whitespace()) {
            if let Some(r) = reference(after) {
                return Some(r);
            }
        }
        i = k + 2;
    }
    None
}

/// Reads `n g R` at the start of `s` (after white space).
fn reference(s: &[u8]) -> Option<(u32, u32)> {
    let (num, s) = integer(skip_ws(s))?;
    let (generation, s) = integer(skip_ws(s))?;
    let s = skip_ws(s);
    (s.first() == Some(&b'R'))
        .then_some((u32::try_from(num).ok()?, u32::try_from(generation).ok()?))
}

/// A non-negative integer at the start of `s` (at most 10 digits) and what follows.
fn integer(s: &[u8]) -> Option<(u64, &[u8])> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 10 {
        return None;
    }
    let n = std::str::from_utf8(&s[..digits]).ok()?.parse().ok()?;
    Some((n, &s[digits..]))
}

/// The stream of object `num generation`, decoded and checked.
fn read_stream(
    pdf: &[u8],
    num: u32,
    generation: u32,
    max_out: usize,
) -> Result<String, EmbedError> {
    let header = format!("{num} {generation} obj");
    // The last definition wins, as in an incrementally updated file.
    let mut found = None;
    let mut from = 0;
    while let Some(at) = find(&pdf[from..], header.as_bytes()).map(|i| i + from) {
        if at == 0 || pdf.get(at - 1).is_some_and(|b| b.is_ascii_whitespace()) {
            found = Some(at);
        }
        from = at + header.len();
    }
    let start =
        found.ok_or(EmbedError::Malformed("the attachment's stream is missing"))? + header.len();
    let end = (start + WINDOW).min(pdf.len());
    let keyword = find(&pdf[start..end], b"stream")
        .map(|i| start + i)
        .ok_or(EmbedError::Malformed("no stream"))?;
    let dict = &pdf[start..keyword];
    if !dict.windows(13).any(|w| w == b"/EmbeddedFile") {
        return Err(EmbedError::Malformed("not an embedded file"));
    }
    if find(dict, b"/DecodeParms").is_some() {
        return Err(EmbedError::Unsupported("decode parameters"));
    }
    let flate = match find(dict, b"/Filter") {
        None => false,
        Some(f) => {
            let value = skip_ws(&dict[f + 7..]);
            let (array, value) = match value.strip_prefix(b"[") {
                Some(inner) => (true, skip_ws(inner)),
                None => (false, value),
            };
            let Some(after) = value.strip_prefix(b"/FlateDecode".as_slice()) else {
                return Err(EmbedError::Unsupported("a filter other than FlateDecode"));
            };
            if array && !skip_ws(after).starts_with(b"]") {
                return Err(EmbedError::Unsupported("more than one filter"));
            }
            true
        }
    };
    let length = key_integer(dict, b"/Length").ok_or(EmbedError::Malformed("no direct /Length"))?;
    let size = key_integer(dict, b"/Size");

    // The data starts after `stream` and an end of line.
    let mut data_start = keyword + 6;
    if pdf.get(data_start) == Some(&b'\r') {
        data_start += 1;
    }
    if pdf.get(data_start) != Some(&b'\n') {
        return Err(EmbedError::Malformed("no end of line after `stream`"));
    }
    data_start += 1;
    let data_end = usize::try_from(length)
        .ok()
        .and_then(|l| data_start.checked_add(l))
        .filter(|&e| e <= pdf.len())
        .ok_or(EmbedError::Malformed("the stream runs past the end"))?;
    if !skip_ws(&pdf[data_end..]).starts_with(b"endstream") {
        return Err(EmbedError::Malformed("/Length does not end the stream"));
    }
    let data = &pdf[data_start..data_end];

    let limit = u64::try_from(max_out).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    if flate {
        flate2::read::ZlibDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|_| EmbedError::Malformed("the stream does not inflate"))?;
    } else {
        out.extend_from_slice(&data[..data.len().min(max_out.saturating_add(1))]);
    }
    if out.len() > max_out {
        return Err(EmbedError::TooLarge(max_out));
    }
    if size.is_some_and(|s| s != out.len() as u64) {
        return Err(EmbedError::Malformed("/Size does not match the data"));
    }
    String::from_utf8(out).map_err(|_| EmbedError::NotUtf8)
}

/// The direct integer value of `key` in `dict` (the key exactly, not a longer name).
fn key_integer(dict: &[u8], key: &[u8]) -> Option<u64> {
    let mut i = 0;
    while let Some(k) = find(&dict[i..], key).map(|k| k + i) {
        let after = &dict[k + key.len()..];
        if after
            .first()
            .is_some_and(|&b| b.is_ascii_whitespace() || is_delimiter(b))
        {
            let (n, rest) = integer(skip_ws(after))?;
            // `n g R` is an indirect reference, which this reader does not follow.
            if reference(skip_ws(after)).is_some() && !rest.is_empty() {
                return None;
            }
            return Some(n);
        }
        i = k + key.len();
    }
    None
}

fn is_delimiter(b: u8) -> bool {
    b"()<>[]{}/%".contains(&b)
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .take_while(|b| b.is_ascii_whitespace() || **b == 0)
        .count();
    &s[n..]
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &s[..s.len() - n]
}

/// The first position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)
        {
            None => return None,
            Some(p) => {
                i += p;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// The last position of `needle` in `hay`.
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf_with(stream_dict: &str, data: &[u8]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Filespec /F (minutes.md) /UF (minutes.md) /EF << /F 2 0 R /UF 2 0 R >> >>\nendobj\n2 0 obj\n".to_vec();
        pdf.extend_from_slice(stream_dict.as_bytes());
        pdf.extend_from_slice(b"\nstream\n");
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        pdf
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, data).expect("in memory");
        z.finish().expect("in memory")
    }

    #[test]
    fn reads_plain_and_deflated_attachments() {
        let plain = pdf_with(
            "<< /Type /EmbeddedFile /Length 5 /Params << /Size 5 >> >>",
            b"# Hi\n",
        );
        assert_eq!(embedded_markdown(&plain, 100), Ok(Some("# Hi\n".into())));
        let z = deflate(b"# Minutes\n");
        let dict = format!(
            "<< /Type /EmbeddedFile /Length {} /Filter /FlateDecode >>",
            z.len()
        );
        let deflated = pdf_with(&dict, &z);
        assert_eq!(
            embedded_markdown(&deflated, 100),
            Ok(Some("# Minutes\n".into()))
        );
        assert_eq!(
            embedded_markdown(&deflated, 5),
            Err(EmbedError::TooLarge(5))
        );
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        assert_eq!(embedded_markdown(b"GIF89a", 10), Err(EmbedError::NotPdf));
        assert_eq!(embedded_markdown(b"%PDF-1.7\n", 10), Ok(None));
        let lzw = pdf_with(
            "<< /Type /EmbeddedFile /Length 1 /Filter /LZWDecode >>",
            b"x",
        );
        assert!(matches!(
            embedded_markdown(&lzw, 10),
            Err(EmbedError::Unsupported(_))
        ));
        let long = pdf_with("<< /Type /EmbeddedFile /Length 999 >>", b"x");
        assert!(matches!(
            embedded_markdown(&long, 10),
            Err(EmbedError::Malformed(_))
        ));
        let indirect = pdf_with("<< /Type /EmbeddedFile /Length 3 0 R >>", b"x");
        assert!(matches!(
            embedded_markdown(&indirect, 10),
            Err(EmbedError::Malformed(_))
        ));
        let size = pdf_with(
            "<< /Type /EmbeddedFile /Length 1 /Params << /Size 2 >> >>",
            b"x",
        );
        assert!(matches!(
            embedded_markdown(&size, 10),
            Err(EmbedError::Malformed(_))
        ));
        let binary = pdf_with("<< /Type /EmbeddedFile /Length 1 >>", &[0xff]);
        assert_eq!(embedded_markdown(&binary, 10), Err(EmbedError::NotUtf8));
    }

    #[test]
    fn a_deflate_bomb_is_cut_off_at_the_cap() {
        // 64 MiB of zeros deflate to ~64 KiB; reading stops just past the 1 MiB cap.
        let zeros = vec![0u8; 64 << 20];
        let z = deflate(&zeros);
        drop(zeros);
        let dict = format!(
            "<< /Type /EmbeddedFile /Length {} /Filter /FlateDecode >>",
            z.len()
        );
        let bomb = pdf_with(&dict, &z);
        assert_eq!(
            embedded_markdown(&bomb, 1 << 20),
            Err(EmbedError::TooLarge(1 << 20))
        );
    }
}
