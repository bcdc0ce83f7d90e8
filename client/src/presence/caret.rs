//! Where a character offset of a textarea's text is drawn, by the mirror-div technique: an
//! invisible `div` with the textarea's font, padding, content width and wrapping holds the
//! text up to the offset followed by a marker `span`; the marker's offset is the caret's
//! position. Positions are relative to the textarea's border box, scrolling included, so
//! an overlay laid exactly over the textarea can draw carets and selections with them.
//!
//! The geometry helpers ([`utf16_to_byte`], [`selection_rects`]) are pure and tested
//! natively; [`Mirror`] needs a browser.

use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};

/// A rectangle in pixels, relative to the textarea's border box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// A caret position: its left edge, top and line height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaretPos {
    pub left: f64,
    pub top: f64,
    pub height: f64,
}

/// Computed-style properties the mirror copies from the textarea.
const COPIED: &[&str] = &[
    "direction",
    "font-family",
    "font-feature-settings",
    "font-size",
    "font-size-adjust",
    "font-stretch",
    "font-style",
    "font-variant",
    "font-weight",
    "letter-spacing",
    "line-height",
    "overflow-wrap",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "tab-size",
    "text-align",
    "text-indent",
    "text-transform",
    "white-space",
    "word-break",
    "word-spacing",
    "word-wrap",
];

/// The byte index in `s` of UTF-16 offset `units` (clamped to the end; an offset inside
/// a surrogate pair counts as after the character).
pub fn utf16_to_byte(s: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (i, c) in s.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16() as u32;
    }
    s.len()
}

/// The rectangles covering a selection from caret `start` to caret `end` (in reading
/// order) in a content area spanning `content_left..content_right`: one per line part.
pub fn selection_rects(
    start: CaretPos,
    end: CaretPos,
    content_left: f64,
    content_right: f64,
) -> Vec<Rect> {
    let (start, end) = if (end.top, end.left) < (start.top, start.left) {
        (end, start)
    } else {
        (start, end)
    };
    if (end.top - start.top).abs() < start.height / 2.0 {
        return vec![Rect {
            left: start.left,
            top: start.top,
            width: (end.left - start.left).max(0.0),
            height: start.height,
        }];
    }
    let mut rects = vec![Rect {
        left: start.left,
        top: start.top,
        width: (content_right - start.left).max(0.0),
        height: start.height,
    }];
    let middle_top = start.top + start.height;
    if end.top - middle_top > 0.5 {
        rects.push(Rect {
            left: content_left,
            top: middle_top,
            width: (content_right - content_left).max(0.0),
            height: end.top - middle_top,
        });
    }
    rects.push(Rect {
        left: content_left,
        top: end.top,
        width: (end.left - content_left).max(0.0),
        height: end.height,
    });
    rects
}

/// An invisible copy of a textarea's text layout, removed from the page when dropped.
pub struct Mirror {
    div: HtmlElement,
    el: HtmlTextAreaElement,
    value: String,
    padding_left: f64,
    padding_right: f64,
}

impl Mirror {
    /// Lays out a mirror of `el` (its current value, style and size).
    pub fn new(el: &HtmlTextAreaElement) -> Option<Mirror> {
        let window = web_sys::window()?;
        let document = window.document()?;
        let body = document.body()?;
        let computed = window.get_computed_style(el).ok()??;
        let div: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
        let style = div.style();
        for name in COPIED {
            if let Ok(value) = computed.get_property_value(name) {
                let _ = style.set_property(name, &value);
            }
        }
        let px = |name: &str| {
            computed
                .get_property_value(name)
                .ok()
                .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let (padding_left, padding_right) = (px("padding-left"), px("padding-right"));
        // clientWidth is the padding box without the scrollbar: the mirror's content box
        // gets exactly the textarea's text width.
        let width = (f64::from(el.client_width()) - padding_left - padding_right).max(0.0);
        for (name, value) in [
            ("position", "absolute".to_owned()),
            ("visibility", "hidden".to_owned()),
            ("top", "0".to_owned()),
            ("left", "-10000px".to_owned()),
            ("box-sizing", "content-box".to_owned()),
            ("border", "0".to_owned()),
            ("overflow", "hidden".to_owned()),
            ("width", format!("{width}px")),
            ("height", "auto".to_owned()),
        ] {
            let _ = style.set_property(name, &value);
        }
        if computed.get_property_value("white-space").ok().as_deref() == Some("normal") {
            let _ = style.set_property("white-space", "pre-wrap");
        }
        let _ = div.set_attribute("aria-hidden", "true");
        body.append_child(&div).ok()?;
        Some(Mirror {
            div,
            el: el.clone(),
            value: el.value(),
            padding_left,
            padding_right,
        })
    }

    /// The textarea's value the mirror lays out.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Where UTF-16 offset `offset` of the value is drawn, relative to the textarea's
    /// border box with its current scroll position.
    pub fn caret(&self, offset: u32) -> Option<CaretPos> {
        let document = web_sys::window()?.document()?;
        let split = utf16_to_byte(&self.value, offset);
        self.div.set_text_content(Some(&self.value[..split]));
        let marker: HtmlElement = document.create_element("span").ok()?.dyn_into().ok()?;
        // The rest of the text keeps the wrapping of the word the offset is in.
        let rest = &self.value[split..];
        marker.set_text_content(Some(if rest.is_empty() { "." } else { rest }));
        self.div.append_child(&marker).ok()?;
        let line = marker
            .get_client_rects()
            .get(0)
            .map(|r| r.height())
            .filter(|h| *h > 0.0)
            .unwrap_or_else(|| f64::from(marker.offset_height()));
        Some(CaretPos {
            left: f64::from(self.el.client_left()) + f64::from(marker.offset_left())
                - f64::from(self.el.scroll_left()),
            top: f64::from(self.el.client_top()) + f64::from(marker.offset_top())
                - f64::from(self.el.scroll_top()),
            height: line,
        })
    }

    /// The content area's horizontal extent, relative to the textarea's border box.
    pub fn content_span(&self) -> (f64, f64) {
        let left = f64::from(self.el.client_left()) + self.padding_left;
        let right = f64::from(self.el.client_left()) + f64::from(self.el.client_width())
            - self.padding_right;
        (left, right.max(left))
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.div.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_map_to_bytes() {
        let s = "aé👍b";
        assert_eq!(utf16_to_byte(s, 0), 0);
        assert_eq!(utf16_to_byte(s, 1), 1);
        assert_eq!(utf16_to_byte(s, 2), 3);
        assert_eq!(utf16_to_byte(s, 3), 7, "inside the pair: after it");
        assert_eq!(utf16_to_byte(s, 4), 7);
        assert_eq!(utf16_to_byte(s, 5), 8);
        assert_eq!(utf16_to_byte(s, 99), 8);
    }

    fn at(left: f64, top: f64) -> CaretPos {
        CaretPos {
            left,
            top,
            height: 20.0,
        }
    }

    #[test]
    fn one_line_selection_is_one_rect() {
        let r = selection_rects(at(10.0, 5.0), at(50.0, 5.0), 4.0, 200.0);
        assert_eq!(
            r,
            vec![Rect {
                left: 10.0,
                top: 5.0,
                width: 40.0,
                height: 20.0
            }]
        );
        // Backwards (head before anchor) gives the same.
        assert_eq!(selection_rects(at(50.0, 5.0), at(10.0, 5.0), 4.0, 200.0), r);
    }

    #[test]
    fn multi_line_selection_has_head_body_tail() {
        let r = selection_rects(at(30.0, 5.0), at(60.0, 65.0), 4.0, 200.0);
        assert_eq!(
            r,
            vec![
                Rect {
                    left: 30.0,
                    top: 5.0,
                    width: 170.0,
                    height: 20.0
                },
                Rect {
                    left: 4.0,
                    top: 25.0,
                    width: 196.0,
                    height: 40.0
                },
                Rect {
                    left: 4.0,
                    top: 65.0,
                    width: 56.0,
                    height: 20.0
                },
            ]
        );
        // Two adjacent lines: no middle part.
        assert_eq!(
            selection_rects(at(30.0, 5.0), at(60.0, 25.0), 4.0, 200.0).len(),
            2
        );
    }
}
