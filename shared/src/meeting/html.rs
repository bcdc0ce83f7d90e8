//! The printable HTML export: one self-contained document (inline CSS, no scripts, no
//! external resources) with the header, the attendance table, the numbered items with
//! attributed statements and decisions, the next meeting, and the action log table.
//!
//! All text is HTML-escaped (`& < > " '`); line breaks inside a block become `<br>`.
//! People are shown by their short form (else name), with the full name and capacity in
//! the attendance table.

use super::model::{ActionStatus, Attendance, BlockKind, PersonId};
use super::view::{ActionView, MeetingView, ViewIndex};
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
    let index = ViewIndex::new(view);
    let h = &view.header.fields;
    let who = |id: &PersonId| -> String {
        index
            .person(id)
            .map(|p| p.person.label().to_owned())
            .unwrap_or_default()
    };
    let who_all =
        |ids: &[PersonId]| -> String { ids.iter().map(who).collect::<Vec<_>>().join(", ") };

    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<article class=\"minutes\">\n<header>\n<h1>{}</h1>\n",
        esc(&h.title),
        esc(&h.title)
    );
    if !h.series.is_empty() {
        let _ = writeln!(out, "<p class=\"series\">{}</p>", esc(&h.series));
    }
    out.push_str("<dl class=\"meta\">\n");
    let mut meta = |label: &str, value: String| {
        if !value.is_empty() {
            let _ = writeln!(out, "<dt>{label}</dt><dd>{value}</dd>");
        }
    };
    let when = [h.date.as_str(), h.start_time.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| esc(s))
        .collect::<Vec<_>>()
        .join(", ");
    meta("Date", when);
    meta("Venue", esc(&h.venue));
    let chair = view
        .header
        .chair
        .as_ref()
        .and_then(|c| index.person(c))
        .map(|p| {
            if p.person.short.is_empty() {
                esc(&p.person.name)
            } else {
                format!("{} ({})", esc(&p.person.name), esc(&p.person.short))
            }
        });
    meta("Chair", chair.unwrap_or_default());
    let takers: Vec<String> = view
        .header
        .minute_takers
        .iter()
        .map(|t| {
            [&t.taker.name, &t.taker.capacity, &t.taker.organisation]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| esc(s))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    meta("Minutes", takers.join("; "));
    meta("Status", esc(status));
    out.push_str("</dl>\n</header>\n");

    out.push_str(
        "<section class=\"attendance\">\n<h2>Attendance</h2>\n<table>\n<thead><tr><th>Name</th><th>Capacity</th>\
         <th>Short form</th><th>Organisation</th><th>Attendance</th></tr></thead>\n<tbody>\n",
    );
    for p in &view.people {
        let attendance = match &p.attendance {
            Attendance::Present => "Present".to_owned(),
            Attendance::Apologies => "Apologies".to_owned(),
            Attendance::Absent => "Absent".to_owned(),
            Attendance::JoinedFor(item) => match item.as_ref().and_then(|i| index.item(i)) {
                Some(item) => format!("Joined for item {}", esc(&item.number)),
                None => "Joined late".to_owned(),
            },
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{attendance}</td></tr>",
            esc(&p.person.name),
            esc(&p.person.capacity),
            esc(&p.person.short),
            esc(&p.person.organisation)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");

    out.push_str("<section class=\"items\">\n<h2>Minutes</h2>\n");
    let action_line = |out: &mut String, a: &ActionView| {
        let reference = a
            .fields
            .reference
            .as_deref()
            .map(|r| format!(" {}", esc(r)))
            .unwrap_or_default();
        let owners = if a.owners.is_empty() {
            String::new()
        } else {
            format!("{}: ", esc(&who_all(&a.owners)))
        };
        let due = if a.fields.due.is_empty() {
            String::new()
        } else {
            format!(" (due {})", esc(&a.fields.due))
        };
        let _ = writeln!(
            out,
            "<p class=\"action {}\"><strong>ACTION{reference}</strong> {owners}{}{due}</p>",
            status_class(a.fields.status),
            text(&a.fields.description)
        );
    };
    for item in &view.items {
        let level = (item.depth + 3).min(6);
        let _ = writeln!(
            out,
            "<section class=\"item depth-{}\">\n<h{level}><span class=\"number\">{}</span> {}</h{level}>",
            item.depth.min(4),
            esc(&item.number),
            esc(&item.title)
        );
        for a in index.actions_at(&item.id, None) {
            action_line(&mut out, a);
        }
        for b in &item.blocks {
            let _ = match b.kind {
                BlockKind::Paragraph => writeln!(out, "<p>{}</p>", text(&b.text)),
                BlockKind::SubHeading => writeln!(
                    out,
                    "<h{0} class=\"sub-heading\">{1}</h{0}>",
                    (level + 1).min(6),
                    text(&b.text)
                ),
                BlockKind::Statement => writeln!(
                    out,
                    "<p class=\"statement\"><span class=\"speakers\">{}:</span> {}</p>",
                    esc(&who_all(&b.speakers)),
                    text(&b.text)
                ),
                BlockKind::Decision => writeln!(
                    out,
                    "<p class=\"decision\"><strong>Decision:</strong> {}</p>",
                    text(&b.text)
                ),
            };
            for a in index.actions_at(&item.id, Some(&b.id)) {
                action_line(&mut out, a);
            }
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");

    let next = &h.next;
    let parts: Vec<String> = [
        ("Date", &next.date),
        ("Time", &next.time),
        ("Type", &next.kind),
        ("Venue", &next.venue),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("<dt>{k}</dt><dd>{}</dd>", esc(v)))
    .collect();
    if !parts.is_empty() {
        let _ = writeln!(
            out,
            "<section class=\"next-meeting\">\n<h2>Next meeting</h2>\n<dl class=\"meta\">\n{}\n</dl>\n</section>",
            parts.join("\n")
        );
    }

    out.push_str(
        "<section class=\"action-log\">\n<h2>Action log</h2>\n<table>\n<thead><tr><th>Ref</th><th>Action</th>\
         <th>Owner(s)</th><th>Due</th><th>Status</th><th>Item</th></tr></thead>\n<tbody>\n",
    );
    for a in &view.actions {
        let item = a
            .item
            .as_ref()
            .and_then(|i| index.item(i))
            .map(|i| esc(&i.number))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{item}</td></tr>",
            status_class(a.fields.status),
            esc(a.fields.reference.as_deref().unwrap_or("")),
            text(&a.fields.description),
            esc(&who_all(&a.owners)),
            esc(&a.fields.due),
            esc(a.fields.status.as_str())
        );
    }
    if view.actions.is_empty() {
        out.push_str("<tr><td colspan=\"6\">No actions.</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n</article>\n</body>\n</html>\n");
    out
}

fn status_class(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "status-open",
        ActionStatus::Done => "status-done",
        ActionStatus::Dropped => "status-dropped",
    }
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
