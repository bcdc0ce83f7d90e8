//! The Word document: the minutes with real Word styles (Title, Heading 1–4, the
//! "Minutebook Table" table style with a repeating header row, an "Attribution" character
//! style for who spoke, "Decision" and "Action" paragraph styles), a footer with
//! "Page n of N", the version and its SHA-256, and the signature block; built with
//! `docx-rs`.
//!
//! `docx-rs` writes no table header rows, table-style conditional formats, document
//! language, title or picture descriptions, so [`finish`] adds those to the generated
//! parts (every inserted value XML-escaped) before packing. The bytes are deterministic:
//! `docx-rs` dates are fixed here, its ZIP entries carry the 1980 epoch, and paragraph
//! ids are renumbered per document.

use crate::text;
use crate::{logo, Frozen, House, LogoImage, RenderError, MAX_LOGO_BYTES};
use docx_rs::{
    BorderType, Docx, Footer, LineSpacing, LineSpacingType, NumPages, PageMargin, PageNum,
    Paragraph, Pic, Run, RunFonts, Shading, Style, StyleType, Tab, TabValueType, Table,
    TableBorder, TableBorderPosition, TableBorders, TableCell, TableLayoutType, TableRow,
    WidthType,
};
use minutebook_shared::meeting::reading::{
    Entry, ACTION_COLUMNS, ATTENDANCE_COLUMNS, DECISION_LABEL, NO_ACTIONS,
};
use minutebook_shared::meeting::ActionStatus;

/// The table style's id (tables with a header row).
pub const TABLE_STYLE: &str = "MinutebookTable";
/// The signature block's table style (labels and values, no header row).
pub const SIGNATURE_STYLE: &str = "MinutebookSignature";
const FONT: &str = "Arial";
const NAVY: &str = "1D3557";
const HEAD_FILL: &str = "E6ECF2";
const RULE: &str = "9AA5B1";
/// A4 text width between 20 mm margins, in twentieths of a point.
const TEXT_WIDTH: usize = 9638;

fn styles(docx: Docx) -> Docx {
    let fonts = || RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT);
    let heading = |id: &str, name: &str, size: usize, level: usize| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .based_on("Normal")
            .next("Normal")
            .q_format(true)
            .ui_priority(9)
            .bold()
            .size(size)
            .color(NAVY)
            .fonts(fonts())
            .outline_lvl(level)
            .line_spacing(LineSpacing::new().before(240).after(100))
    };
    let borders = TableBorders::new()
        .set(border(TableBorderPosition::Top))
        .set(border(TableBorderPosition::Bottom))
        .set(border(TableBorderPosition::Left))
        .set(border(TableBorderPosition::Right))
        .set(border(TableBorderPosition::InsideH))
        .set(border(TableBorderPosition::InsideV));
    docx.default_fonts(fonts())
        .default_size(21)
        .add_style(
            Style::new("Normal", StyleType::Paragraph)
                .name("Normal")
                .q_format(true)
                .fonts(fonts())
                .size(21)
                .line_spacing(
                    LineSpacing::new()
                        .after(120)
                        .line(264)
                        .line_rule(LineSpacingType::Auto),
                ),
        )
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .bold()
                .size(36)
                .color(NAVY)
                .line_spacing(
                    LineSpacing::new()
                        .before(120)
                        .after(200)
                        .line(240)
                        .line_rule(LineSpacingType::Auto),
                ),
        )
        .add_style(
            Style::new("Subtitle", StyleType::Paragraph)
                .name("Subtitle")
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .bold()
                .size(22)
                .color(NAVY)
                .line_spacing(LineSpacing::new().after(0)),
        )
        .add_style(heading("Heading1", "heading 1", 26, 0))
        .add_style(heading("Heading2", "heading 2", 23, 1))
        .add_style(heading("Heading3", "heading 3", 21, 2))
        .add_style(heading("Heading4", "heading 4", 21, 3).italic())
        .add_style(
            Style::new("Decision", StyleType::Paragraph)
                .name("Decision")
                .based_on("Normal")
                .q_format(true)
                .indent(Some(284), None, None, None),
        )
        .add_style(
            Style::new("Action", StyleType::Paragraph)
                .name("Action")
                .based_on("Normal")
                .q_format(true)
                .indent(Some(284), None, None, None),
        )
        .add_style(
            Style::new("Attribution", StyleType::Character)
                .name("Attribution")
                .q_format(true)
                .bold(),
        )
        .add_style(
            Style::new("Footer", StyleType::Paragraph)
                .name("footer")
                .based_on("Normal")
                .size(15)
                .color("4A5561")
                .line_spacing(LineSpacing::new().after(0)),
        )
        .add_style(
            Style::new(SIGNATURE_STYLE, StyleType::Table)
                .name("Minutebook Signature")
                .q_format(true)
                .set_borders(
                    TableBorders::with_empty()
                        .set(heavy(TableBorderPosition::Top))
                        .set(heavy(TableBorderPosition::Bottom))
                        .set(heavy(TableBorderPosition::Left))
                        .set(heavy(TableBorderPosition::Right)),
                ),
        )
        .add_style(
            Style::new(TABLE_STYLE, StyleType::Table)
                .name("Minutebook Table")
                .q_format(true)
                .size(18)
                .set_borders(borders)
                .layout(TableLayoutType::Autofit),
        )
}

fn border(position: TableBorderPosition) -> TableBorder {
    TableBorder::new(position)
        .border_type(BorderType::Single)
        .size(4)
        .color(RULE)
}

fn heavy(position: TableBorderPosition) -> TableBorder {
    TableBorder::new(position)
        .border_type(BorderType::Single)
        .size(8)
        .color(NAVY)
}

fn para(style: &str) -> Paragraph {
    Paragraph::new().style(style)
}

/// Runs of `text` with its line breaks kept.
fn lines(mut p: Paragraph, text: &str) -> Paragraph {
    for (i, line) in text.split('\n').enumerate() {
        let mut run = Run::new();
        if i > 0 {
            run = run.add_break(docx_rs::BreakType::TextWrapping);
        }
        p = p.add_run(run.add_text(clean(line)));
    }
    p
}

/// A paragraph in a table cell: no space after it.
fn cell_paragraph() -> Paragraph {
    Paragraph::new().line_spacing(LineSpacing::new().before(20).after(20))
}

fn cell(text: &str, header: bool) -> TableCell {
    let mut run = Run::new().add_text(clean(text));
    if header {
        run = run.bold();
    }
    let c = TableCell::new().add_paragraph(cell_paragraph().add_run(run));
    if header {
        c.shading(Shading::new().fill(HEAD_FILL))
    } else {
        c
    }
}

fn table(columns: &[&str], grid: Vec<usize>, rows: Vec<Vec<String>>, empty: Option<&str>) -> Table {
    let mut all = vec![TableRow::new(
        columns.iter().map(|c| cell(c, true)).collect(),
    )];
    all.extend(
        rows.iter()
            .map(|r| TableRow::new(r.iter().map(|c| cell(c, false)).collect()).cant_split()),
    );
    if let (true, Some(empty)) = (rows.is_empty(), empty) {
        all.push(TableRow::new(vec![
            cell(empty, false).grid_span(columns.len())
        ]));
    }
    // Without direct borders, so the table style's apply.
    Table::without_borders(all)
        .set_grid(grid)
        .style(TABLE_STYLE)
        .width(TEXT_WIDTH, WidthType::Dxa)
}

fn facts(mut docx: Docx, facts: impl IntoIterator<Item = (String, String)>) -> Docx {
    for (label, value) in facts {
        let p = para("Normal")
            .add_run(Run::new().add_text(format!("{label}:")).bold())
            .add_run(Run::new().add_tab());
        docx = docx
            .add_paragraph(lines(p, &value).add_tab(Tab::new().val(TabValueType::Left).pos(1700)));
    }
    docx
}

/// Renders the Word document.
pub fn render(f: &Frozen, house: &House) -> Result<Vec<u8>, RenderError> {
    let r = f.reading;
    let date = minutebook_shared::time::iso_utc(f.signed_at_ms);
    let mut docx = styles(Docx::new())
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(1020)
                .bottom(1134)
                .left(1134)
                .right(1134)
                .footer(567),
        )
        .created_at(&date)
        .updated_at(&date);

    // The title block.
    let mut head = para("Subtitle").add_run(Run::new().add_text(clean(&house.organisation)));
    let mut alt = None;
    if let Some(l) = &house.logo {
        let picture = match &l.image {
            LogoImage::Png(png) => {
                let (w, h) = logo::check_png(png, MAX_LOGO_BYTES)?;
                Some((png.clone(), w, h))
            }
            // Word needs a raster picture: the sanitised shapes drawn at 240 px high.
            LogoImage::Svg(svg) => logo::svg_to_png(&logo::sanitize_svg(svg, MAX_LOGO_BYTES)?, 240),
        };
        if let Some((png, w, h)) = picture {
            // 16 mm high (576,000 EMU), at most 60 mm wide.
            let height = 576_000u64;
            let width = (height * u64::from(w) / u64::from(h)).min(2_160_000);
            // A fixed id: docx-rs would take the next of a process-wide counter.
            let pic = Pic::new_with_dimensions(png, w, h)
                .id("rIdImage1")
                .size(width as u32, height as u32);
            head = para("Normal")
                .add_run(Run::new().add_image(pic))
                .add_run(Run::new().add_break(docx_rs::BreakType::TextWrapping))
                .add_run(
                    Run::new()
                        .add_text(clean(&house.organisation))
                        .bold()
                        .size(22)
                        .color(NAVY),
                );
            alt = Some(match l.alt.trim() {
                "" => format!("{} logo", house.organisation),
                alt => alt.to_owned(),
            });
        }
    }
    docx = docx.add_paragraph(head);
    if !r.series.is_empty() {
        docx = docx.add_paragraph(
            para("Normal").add_run(Run::new().add_text(clean(&r.series)).color("4A5561")),
        );
    }
    docx = docx.add_paragraph(para("Title").add_run(Run::new().add_text(clean(&r.title))));
    docx = facts(
        docx,
        r.facts
            .iter()
            .map(|x| (x.label.to_owned(), x.value.clone())),
    );

    docx = docx
        .add_paragraph(para("Heading1").add_run(Run::new().add_text(text::ATTENDANCE)))
        .add_table(table(
            &ATTENDANCE_COLUMNS,
            vec![2000, 2900, 1000, 1900, 1838],
            r.attendance.iter().map(|row| row.cells.to_vec()).collect(),
            None,
        ));

    docx = docx.add_paragraph(para("Heading1").add_run(Run::new().add_text(text::MINUTES)));
    for item in &r.items {
        let level = (item.depth + 2).min(4);
        let indent = i32::try_from(item.depth.min(4) * 340).unwrap_or(0);
        let heading = para(&format!("Heading{level}"))
            .add_run(Run::new().add_text(clean(&item.number)))
            .add_run(Run::new().add_tab())
            .add_run(Run::new().add_text(clean(&item.title)))
            .indent(Some(indent), None, None, None)
            .add_tab(
                Tab::new()
                    .val(TabValueType::Left)
                    .pos(indent as usize + 680),
            );
        docx = docx.add_paragraph(heading);
        let body = |style: &str| para(style).indent(Some(indent), None, None, None);
        for e in &item.entries {
            let p = match e {
                Entry::Paragraph { text, .. } => lines(body("Normal"), text),
                Entry::SubHeading { text, .. } => {
                    lines(body(&format!("Heading{}", (level + 1).min(4))), text)
                }
                Entry::Statement {
                    attribution, text, ..
                } => {
                    let mut p = body("Normal");
                    if !attribution.is_empty() {
                        p = p
                            .add_run(Run::new().style("Attribution").add_text(clean(attribution)))
                            .add_run(Run::new().add_text(" "));
                    }
                    lines(p, text)
                }
                Entry::Decision { text, .. } => {
                    let p = para("Decision")
                        .indent(Some(indent + 284), None, None, None)
                        .add_run(Run::new().add_text(format!("{DECISION_LABEL} ")).bold());
                    lines(p, text)
                }
                Entry::Action(a) => {
                    let p = para("Action")
                        .indent(Some(indent + 284), None, None, None)
                        .add_run(Run::new().add_text(clean(&format!("{} ", a.label))).bold());
                    let mut p = lines(p, &a.description);
                    let mut tail = Run::new().add_text(clean(&a.tail())).color("4A5561");
                    if a.status == ActionStatus::Dropped {
                        tail = tail.strike();
                    }
                    p = p.add_run(tail);
                    p
                }
            };
            docx = docx.add_paragraph(p);
        }
    }

    if !r.next_meeting.is_empty() {
        docx =
            docx.add_paragraph(para("Heading1").add_run(Run::new().add_text(text::NEXT_MEETING)));
        docx = facts(
            docx,
            r.next_meeting
                .iter()
                .map(|x| (x.label.to_owned(), x.value.clone())),
        );
    }

    docx = docx
        .add_paragraph(para("Heading1").add_run(Run::new().add_text(text::ACTION_LOG)))
        .add_table(table(
            &ACTION_COLUMNS,
            vec![800, 4300, 1500, 1200, 900, 938],
            r.actions
                .iter()
                .map(|row| {
                    let a = &row.line;
                    vec![
                        row.reference.clone(),
                        a.description.clone(),
                        a.owners.clone(),
                        a.due_date.clone(),
                        a.status.as_str().to_owned(),
                        row.item.clone(),
                    ]
                })
                .collect(),
            Some(NO_ACTIONS),
        ));

    docx = docx
        .add_paragraph(para("Heading1").add_run(Run::new().add_text(text::SIGN_OFF)))
        .add_table(
            Table::without_borders(
                text::signature(f)
                    .into_iter()
                    .map(|(label, value)| {
                        TableRow::new(vec![
                            TableCell::new()
                                .add_paragraph(
                                    cell_paragraph().add_run(Run::new().add_text(label).bold()),
                                )
                                .width(2000, WidthType::Dxa),
                            cell(&value, false).width(TEXT_WIDTH - 2000, WidthType::Dxa),
                        ])
                        .cant_split()
                    })
                    .collect(),
            )
            .set_grid(vec![2000, TEXT_WIDTH - 2000])
            .style(SIGNATURE_STYLE)
            .width(TEXT_WIDTH, WidthType::Dxa),
        );

    // The footer: house text and "Page n of N" on one line, the version and hash below.
    let mut footer_line = para("Footer")
        .add_tab(Tab::new().val(TabValueType::Right).pos(TEXT_WIDTH))
        .add_run(Run::new().add_text(clean(&house.footer)))
        .add_run(Run::new().add_tab())
        .add_run(Run::new().add_text("Page "));
    footer_line = footer_line
        .add_page_num(PageNum::new())
        .add_run(Run::new().add_text(" of "))
        .add_num_pages(NumPages::new());
    let footer = Footer::new().add_paragraph(footer_line).add_paragraph(
        para("Footer").add_run(Run::new().add_text(clean(&text::footer_version(f)))),
    );
    docx = docx.footer(footer);

    finish(docx, f, &r.title, alt.as_deref())
}

/// Builds the parts, adds what `docx-rs` cannot write, and packs them.
fn finish(docx: Docx, f: &Frozen, title: &str, alt: Option<&str>) -> Result<Vec<u8>, RenderError> {
    let mut xml = docx.build();
    // docx-rs numbers paragraphs from a per-thread counter that runs on across
    // documents: number them afresh, in order, across the document and its footers.
    let mut next_id = 1u32;
    let lang = esc(&text::word_language(f.language));

    // Header rows repeat on every page: the first row of each table.
    let document = String::from_utf8(std::mem::take(&mut xml.document))
        .map_err(|e| RenderError::Docx(e.to_string()))?;
    // docx-rs opens every paragraph's properties with an empty run-properties element,
    // where the schema wants the paragraph style first.
    let document = document.replace("<w:pPr><w:rPr />", "<w:pPr>");
    let mut document = style_first(&mark_header_rows(&renumber_paragraphs(
        &document,
        &mut next_id,
    )));
    for footer in &mut xml.footers {
        let text = String::from_utf8(std::mem::take(footer))
            .map_err(|e| RenderError::Docx(e.to_string()))?;
        *footer = renumber_paragraphs(&text, &mut next_id)
            .replace("<w:pPr><w:rPr />", "<w:pPr>")
            .into_bytes();
    }
    if let Some(alt) = alt {
        document = document.replacen(
            r#"<wp:docPr id="1" name="Figure" />"#,
            &format!(r#"<wp:docPr id="1" name="Logo" descr="{}" />"#, esc(alt)),
            1,
        );
    }
    xml.document = document.into_bytes();

    // The table style's header row, and the document language.
    let styles = String::from_utf8(std::mem::take(&mut xml.styles))
        .map_err(|e| RenderError::Docx(e.to_string()))?;
    let first_row = format!(
        "<w:tblStylePr w:type=\"firstRow\"><w:rPr><w:b /></w:rPr><w:trPr><w:tblHeader /></w:trPr>\
         <w:tcPr><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"{HEAD_FILL}\" /></w:tcPr></w:tblStylePr></w:style>"
    );
    let styles = insert_after_style(&styles, TABLE_STYLE, &first_row).replacen(
        "</w:rPr></w:rPrDefault>",
        &format!("<w:lang w:val=\"{lang}\" /></w:rPr></w:rPrDefault>"),
        1,
    );
    xml.styles = styles.into_bytes();

    // Title, language and fixed dates in the core properties.
    let date = esc(&minutebook_shared::time::iso_utc(f.signed_at_ms));
    xml.doc_props.core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:creator>{}</dc:creator><dc:description>{}</dc:description>\
         <dc:language>{lang}</dc:language><cp:revision>{}</cp:revision>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{date}</dcterms:created>\
         <dcterms:modified xsi:type=\"dcterms:W3CDTF\">{date}</dcterms:modified></cp:coreProperties>",
        esc(title),
        esc(f.signer),
        esc(&text::footer_version(f)),
        f.version,
    )
    .into_bytes();

    let mut out = std::io::Cursor::new(Vec::new());
    xml.pack(&mut out)
        .map_err(|e| RenderError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

/// `document` with `<w:tblHeader />` on the first row of every table in [`TABLE_STYLE`]
/// (the signature block has no header row). The markup searched for is `docx-rs`'s own:
/// text is escaped, so no minutes' text can look like it.
fn mark_header_rows(document: &str) -> String {
    const TABLE: &str = "<w:tbl>";
    const ROW_PROPERTIES: &str = "<w:trPr>";
    let styled = format!("<w:tblStyle w:val=\"{TABLE_STYLE}\" />");
    let mut out = String::with_capacity(document.len() + 256);
    let mut rest = document;
    while let Some(at) = rest.find(TABLE) {
        let (before, from_table) = rest.split_at(at + TABLE.len());
        out.push_str(before);
        rest = from_table;
        let Some(row) = from_table.find("<w:tr>") else {
            continue;
        };
        if !from_table[..row].contains(&styled) {
            continue;
        }
        let (head, from_row) = from_table.split_at(row + "<w:tr>".len());
        out.push_str(head);
        if let Some(after) = from_row.strip_prefix(ROW_PROPERTIES) {
            out.push_str(ROW_PROPERTIES);
            out.push_str("<w:tblHeader />");
            rest = after;
        } else {
            out.push_str("<w:trPr><w:tblHeader /></w:trPr>");
            rest = from_row;
        }
    }
    out.push_str(rest);
    out
}

/// `document` with each table's `<w:tblStyle>` moved to the start of its `<w:tblPr>`,
/// where the schema wants it (`docx-rs` writes it last).
fn style_first(document: &str) -> String {
    const PROPERTIES: &str = "<w:tblPr>";
    let mut out = String::with_capacity(document.len());
    let mut rest = document;
    while let Some(at) = rest.find(PROPERTIES) {
        let (before, from) = rest.split_at(at + PROPERTIES.len());
        out.push_str(before);
        rest = from;
        let end = from.find("</w:tblPr>").unwrap_or(0);
        let Some(style) = from[..end].find("<w:tblStyle ") else {
            continue;
        };
        let Some(len) = from[style..end].find("/>").map(|l| l + 2) else {
            continue;
        };
        out.push_str(&from[style..style + len]);
        out.push_str(&from[..style]);
        rest = &from[style + len..];
    }
    out.push_str(rest);
    out
}

/// `xml` with every `w14:paraId` replaced by the next number from `next`.
fn renumber_paragraphs(xml: &str, next: &mut u32) -> String {
    const KEY: &str = "w14:paraId=\"";
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find(KEY) {
        let value = at + KEY.len();
        let Some(end) = rest[value..].find('"') else {
            break;
        };
        out.push_str(&rest[..value]);
        out.push_str(&format!("{:08X}", *next));
        *next += 1;
        rest = &rest[value + end..];
    }
    out.push_str(rest);
    out
}

/// `styles` with `extra` (ending in `</w:style>`) replacing the closing tag of style `id`.
fn insert_after_style(styles: &str, id: &str, extra: &str) -> String {
    let open = format!("w:styleId=\"{id}\"");
    let Some(at) = styles.find(&open) else {
        return styles.to_owned();
    };
    let Some(close) = styles[at..].find("</w:style>") else {
        return styles.to_owned();
    };
    let close = at + close;
    format!(
        "{}{}{}",
        &styles[..close],
        extra,
        &styles[close + "</w:style>".len()..]
    )
}

/// `s` without the control characters XML 1.0 cannot carry; a line break becomes a space
/// (paragraphs split their lines into breaks before this).
fn clean(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' => Some(c),
            '\n' | '\r' => Some(' '),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => None,
            c => Some(c),
        })
        .collect()
}

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
