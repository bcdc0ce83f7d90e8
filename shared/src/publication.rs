//! Published minutes: a signed version that the chair or an administrator has made
//! public, readable without signing in at a stable address, `/public/{series}/{meeting}`,
//! listed in its series' index (newest first) and Atom feed.
//!
//! - [`Publication`]: what is published (the wire and stored form), and its addresses;
//! - [`series_slug`]: the series' address segment, fixed at the first publication;
//! - [`page`]: the public HTML pages (a meeting's minutes with their verification details
//!   and approval state, a series' index, the list of series);
//! - [`feed`]: a series' Atom feed.
//!
//! Everything here renders text the server hands it; which version is public and who may
//! publish is the server's (`server/src/meetings/publication.rs`).

pub mod feed;
pub mod page;

use serde::{Deserialize, Serialize};

/// Where the public pages live.
pub const ROOT: &str = "/public";
/// A series' Atom feed, under its index (no meeting may be called this).
pub const FEED: &str = "feed.atom";
/// The longest series address segment.
pub const MAX_SLUG: usize = 64;
/// The public downloads of a published meeting, by file name under its page.
pub const DOWNLOADS: [(&str, &str); 4] = [
    ("minutes.pdf", "PDF"),
    ("minutes.docx", "Word"),
    ("minutes.md", "Markdown, signed"),
    ("minutes.html", "HTML, signed"),
];
/// The signed approval record of a published version, when it is approved.
pub const APPROVAL_FILE: &str = "approval.txt";

/// A published signed version of one meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// The meeting (document name).
    pub meeting: String,
    /// The signed version published.
    pub version: u32,
    /// The series' address segment ([`series_slug`]).
    pub series: String,
    /// The series' name as the version gives it (may be empty).
    #[serde(default)]
    pub series_title: String,
    /// The meeting's title and date as the version gives them.
    pub title: String,
    #[serde(default)]
    pub date: String,
    /// Who published it (display name) and when (Unix milliseconds).
    pub published_by: String,
    pub published_at: u64,
    /// When the meeting was first catalogued (microseconds; orders the index).
    #[serde(default)]
    pub created: u64,
}

impl Publication {
    /// `/public/{series}/{meeting}`.
    pub fn path(&self) -> String {
        format!("{ROOT}/{}/{}", self.series, self.meeting)
    }

    /// `/public/{series}`.
    pub fn index_path(&self) -> String {
        index_path(&self.series)
    }

    /// The meeting as a link names it: its title, else its document name.
    pub fn display_title(&self) -> &str {
        match self.title.trim() {
            "" => &self.meeting,
            title => title,
        }
    }

    /// The series' name as shown (its address segment when the version names none).
    pub fn series_name(&self) -> String {
        match self.series_title.trim() {
            "" => self.series.clone(),
            name => name.to_owned(),
        }
    }
}

/// `/public/{slug}`.
pub fn index_path(slug: &str) -> String {
    format!("{ROOT}/{slug}")
}

/// `POST /api/meetings/{name}/publication`: publish this signed version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRequest {
    pub version: u32,
}

/// The address segment of a series: its name in lower case, every run of characters
/// other than `a-z 0-9` as one `-`, at most [`MAX_SLUG`] characters; `minutes` for a
/// name with none of them.
pub fn series_slug(series: &str) -> String {
    let mut slug = String::new();
    for c in series.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= MAX_SLUG {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "minutes".to_owned()
    } else {
        slug.to_owned()
    }
}

/// Whether `s` could be a [`series_slug`] (checked before anything is looked up).
pub fn valid_slug(s: &str) -> bool {
    (1..=MAX_SLUG).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The published minutes in index order: newest meeting first (by when it was
/// catalogued, then by name).
pub fn newest_first(list: &mut [Publication]) {
    list.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then_with(|| a.meeting.cmp(&b.meeting))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(
            series_slug("Joint Audit Committee"),
            "joint-audit-committee"
        );
        assert_eq!(
            series_slug("  PCC — Monthly Assurance (2022) "),
            "pcc-monthly-assurance-2022"
        );
        assert_eq!(series_slug("Ünïcode"), "n-code");
        assert_eq!(series_slug(""), "minutes");
        assert_eq!(series_slug("—"), "minutes");
        let long = series_slug(&"ab ".repeat(100));
        assert!(long.len() <= MAX_SLUG && valid_slug(&long), "{long}");
        for s in ["Board", "a--b", "x_y", "2026"] {
            assert!(valid_slug(&series_slug(s)), "{s}");
        }
        for bad in ["", "-a", "a-", "A", "a/b", "a.b", &"a".repeat(65)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn the_index_lists_the_newest_meeting_first() {
        let p = |meeting: &str, created| Publication {
            meeting: meeting.into(),
            version: 1,
            series: "board".into(),
            series_title: "Board".into(),
            title: meeting.into(),
            date: String::new(),
            published_by: "Chair".into(),
            published_at: 0,
            created,
        };
        let mut list = vec![p("jan", 1), p("mar", 3), p("feb", 2)];
        newest_first(&mut list);
        let order: Vec<_> = list.iter().map(|p| p.meeting.as_str()).collect();
        assert_eq!(order, ["mar", "feb", "jan"]);
        assert_eq!(list[0].path(), "/public/board/mar");
    }
}
