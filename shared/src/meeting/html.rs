//! The printable HTML export: one self-contained document (inline CSS, no scripts, no
//! external resources) with the header, the attendance table, the numbered items with
//! attributed statements and decisions, the next meeting, and the action log table.
//!
//! It renders a [`Reading`], which decides the words; this module adds only markup. All
//! text is HTML-escaped (`& < > " '`); line breaks inside a block become `<br>`.

use super::reading::{
    status_class, Entry, Fact, Reading, ACTION_COLUMNS, ATTENDANCE_COLUMNS, DECISION_LABEL,
    NO_ACTIONS,
};
use super::view::MeetingView;
use std::fmt::Write as _;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 11pt; line-height: 1.45;
       color: #111; max-width: 52em; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #234; padding-bottom: .15em; margin-top: 1.6em; }
h3, h4, h5, h6 { margin: 1.1em 0 .4em; }
.series { color: #456; margin: 0 0 1em; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; margin: 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #e8edf2; }
.item .number { display: inline-block; min-width: 2.5em; }
.item.depth-1 { margin-left: 1.5em; }
.item.depth-2 { margin-left: 3em; }
.item.depth-3, .item.depth-4 { margin-left: 4.5em; }
.sub-heading { text-decoration: underline; font-size: 1em; }
.speakers { font-weight: 600; }
.decision { border-left: 4px solid #2a6; padding-left: .6em; }
.action { border-left: 4px solid #c70; padding-left: .6em; }
.status-done { color: #275; }
.status-dropped { color: #777; text-decoration: line-through; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr, p { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  th { background: none; }
}
"#;

/// The printable HTML document of a meeting.
pub fn to_html(view: &MeetingView) -> String {
    to_html_as(view, super::markdown::DRAFT_STATUS)
}

/// [`to_html`] for a meeting whose lifecycle status (from the server's ledger, never the
/// header's own field) is `status`.
pub fn to_html_as(view: &MeetingView, status: &str) -> String {
    render(&Reading::new(view, status))
}

/// The public version of [`to_html_as`]: exempt items withheld as in
/// [`super::markdown::to_public_markdown_as`] (see [`Reading::public`]).
pub fn to_public_html_as(view: &MeetingView, status: &str) -> String {
    render(&Reading::public(view, status))
}

/// The HTML document of `r`: its words, element for element, with markup only.
pub fn render(r: &Reading) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&r.title),
    );
    out.push_str(&article(r));
    out.push_str("</body>\n</html>\n");
    out
}

/// The style sheet of [`render`]'s page (a published page adds to it).
pub const fn style() -> &'static str {
    STYLE
}

/// The minutes of `r` as one `<article>` (what [`render`] puts in its `<body>`).
pub fn article(r: &Reading) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<article class=\"minutes\">\n<header>\n<h1>{}</h1>",
        esc(&r.title)
    );
    if !r.series.is_empty() {
        let _ = writeln!(out, "<p class=\"series\">{}</p>", esc(&r.series));
    }
    facts(&mut out, &r.facts);
    out.push_str("</header>\n");

    out.push_str("<section class=\"attendance\">\n<h2>Attendance</h2>\n<table>\n");
    table_head(&mut out, &ATTENDANCE_COLUMNS);
    for row in &r.attendance {
        out.push_str("<tr>");
        for cell in &row.cells {
            let _ = write!(out, "<td>{}</td>", esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");

    out.push_str("<section class=\"items\">\n<h2>Minutes</h2>\n");
    for item in &r.items {
        let level = item.heading_level();
        let _ = writeln!(
            out,
            "<section class=\"item depth-{}\">\n<h{level}><span class=\"number\">{}</span> {}</h{level}>",
            item.depth.min(4),
            esc(&item.number),
            esc(&item.title)
        );
        for entry in &item.entries {
            let _ = match entry {
                Entry::Paragraph { text: t, .. } => writeln!(out, "<p>{}</p>", text(t)),
                Entry::SubHeading { text: t, .. } => writeln!(
                    out,
                    "<h{0} class=\"sub-heading\">{1}</h{0}>",
                    (level + 1).min(6),
                    text(t)
                ),
                Entry::Statement {
                    attribution,
                    text: t,
                    ..
                } => writeln!(
                    out,
                    "<p class=\"statement\"><span class=\"speakers\">{}</span> {}</p>",
                    esc(attribution),
                    text(t)
                ),
                Entry::Decision { text: t, .. } => writeln!(
                    out,
                    "<p class=\"decision\"><strong>{DECISION_LABEL}</strong> {}</p>",
                    text(t)
                ),
                Entry::Action(a) => writeln!(
                    out,
                    "<p class=\"action {}\"><strong>{}</strong> {}{}</p>",
                    status_class(a.status),
                    esc(&a.label),
                    text(&a.description),
                    esc(&a.tail())
                ),
            };
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");

    if !r.next_meeting.is_empty() {
        out.push_str("<section class=\"next-meeting\">\n<h2>Next meeting</h2>\n");
        facts(&mut out, &r.next_meeting);
        out.push_str("</section>\n");
    }

    out.push_str("<section class=\"action-log\">\n<h2>Action log</h2>\n<table>\n");
    table_head(&mut out, &ACTION_COLUMNS);
    for row in &r.actions {
        let a = &row.line;
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            status_class(a.status),
            esc(&row.reference),
            text(&a.description),
            esc(&a.owners),
            esc(&a.due_date),
            esc(a.status.as_str()),
            esc(&row.item)
        );
    }
    if r.actions.is_empty() {
        let _ = writeln!(out, "<tr><td colspan=\"6\">{NO_ACTIONS}</td></tr>");
    }
    out.push_str("</tbody>\n</table>\n</section>\n</article>\n");
    out
}

/// A `dl` of labelled values.
fn facts(out: &mut String, facts: &[Fact]) {
    out.push_str("<dl class=\"meta\">\n");
    for f in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", f.label, esc(&f.value));
    }
    out.push_str("</dl>\n");
}

/// A table's heading row and the opening of its body.
fn table_head(out: &mut String, columns: &[&str]) {
    out.push_str("<thead><tr>");
    for c in columns {
        let _ = write!(out, "<th>{c}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped block text with line breaks as `<br>`.
fn text(s: &str) -> String {
    esc(s).replace('\n', "<br>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            esc(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(text("a\nb"), "a<br>\nb");
    }
}
