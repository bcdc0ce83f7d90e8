//! A series' Atom feed (RFC 4287): one entry per published meeting, newest first, whose
//! `updated` moves when the meeting is republished or approved. Links are absolute (the
//! server's public address), and text is escaped for XML with the characters XML 1.0
//! cannot carry left out.

use std::fmt::Write as _;

use super::page::ApprovalState;
use super::{index_path, Publication, FEED};
use crate::time::iso_utc;

/// One published meeting in the feed.
pub struct FeedEntry<'a> {
    pub publication: &'a Publication,
    pub approval: &'a ApprovalState,
    /// The latest of its publication and its approval (Unix milliseconds).
    pub updated: u64,
}

/// The feed of series `slug` (named `series`), served from `base` (e.g.
/// `https://minutes.example.org`, no trailing slash); `entries` newest first.
pub fn atom(
    base: &str,
    organisation: &str,
    slug: &str,
    series: &str,
    entries: &[FeedEntry],
) -> String {
    let index = format!("{base}{}", index_path(slug));
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or(0);
    let author = match organisation.trim() {
        "" => series,
        org => org,
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{} — published minutes</title>\n\
         <id>{}</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{}/{FEED}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<updated>{}</updated>\n\
         <author><name>{}</name></author>",
        xml(series),
        xml(&index),
        xml(&index),
        xml(&index),
        iso_utc(updated),
        xml(author)
    );
    for e in entries {
        let p = e.publication;
        let page = format!("{base}{}", p.path());
        let title = p.display_title();
        let _ = writeln!(
            out,
            "<entry>\n<title>{} ({})</title>\n<id>{}</id>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <link rel=\"enclosure\" type=\"application/pdf\" href=\"{}/minutes.pdf\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n\
             <summary>Version {}. {} {}</summary>\n</entry>",
            xml(title),
            e.approval.label(),
            xml(&page),
            xml(&page),
            xml(&page),
            iso_utc(p.published_at),
            iso_utc(e.updated),
            p.version,
            e.approval.label(),
            xml(&e.approval.sentence())
        );
    }
    out.push_str("</feed>\n");
    out
}

/// `s` escaped for XML text and attributes (as for HTML), without the characters XML 1.0
/// forbids.
pub fn xml(s: &str) -> String {
    let allowed: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect();
    crate::meeting::html::esc(&allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_escapes_and_links_absolutely() {
        let p = Publication {
            meeting: "board-jan".into(),
            version: 2,
            series: "board".into(),
            series_title: "Board <& Co>".into(),
            title: "January \u{1}meeting & \"notes\"".into(),
            date: "9 January".into(),
            published_by: "Chair".into(),
            published_at: 1_700_000_000_000,
            created: 1,
        };
        let state = ApprovalState::Unapproved;
        let feed = atom(
            "https://m.example",
            "",
            "board",
            &p.series_title,
            &[FeedEntry {
                publication: &p,
                approval: &state,
                updated: p.published_at,
            }],
        );
        assert!(feed.contains("<title>Board &lt;&amp; Co&gt; — published minutes</title>"));
        assert!(feed.contains(
            "<title>January meeting &amp; &quot;notes&quot; (Unapproved minutes)</title>"
        ));
        assert!(feed.contains("href=\"https://m.example/public/board/board-jan/minutes.pdf\""));
        assert!(feed.contains("<id>https://m.example/public/board/board-jan</id>"));
        assert!(feed.contains("<updated>2023-11-14T22:13:20Z</updated>"));
        assert!(!feed.contains('\u{1}'));
    }
}
