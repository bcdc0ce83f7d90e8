//! The public HTML pages: a published meeting's minutes ([`minutes`]) with their approval
//! state and verification details, a series' index ([`series_index`]) and the list of
//! series ([`series_list`]).
//!
//! The pages have no scripts and one inline style sheet ([`style`]; the server allows it
//! by its hash), every value is escaped, and the markup is built for WCAG 2.2 AA: one
//! `h1`, landmarks around all content (`header`, `main`, `footer`), labelled links, and
//! colours with at least 4.5:1 contrast (the minutes' own sheet is kept, with the greys
//! it uses for dropped actions darkened here).

use std::fmt::Write as _;

use super::{index_path, Publication, APPROVAL_FILE, FEED, ROOT};
use crate::meeting::html::{self, esc};
use crate::meeting::reading::Reading;
use crate::time::{format_utc, iso_utc};
use crate::trust::{Ledger, Resolution};

/// What the public pages add to the minutes' style sheet.
const PUBLIC_STYLE: &str = r#"
.status-dropped { color: #555; }
header.site { margin: 0 0 1em; }
header.site p { margin: 0; }
main { display: block; }
body > main, body > footer { margin: 0; padding: 0; }
a { color: #0b4f8a; }
p.state { padding: .5em .75em; border: 2px solid #234; border-radius: 4px; }
p.state.approved { border-color: #1d6b3a; background: #eef7f1; }
p.state.unapproved { border-color: #8a5a00; background: #fff6e5; }
footer.verification { border-top: 2px solid #234; margin-top: 2em; padding-top: .5em; }
footer.verification code { overflow-wrap: anywhere; }
footer.verification li, ul.minutes-index li { margin: .5em 0; }
footer.verification li a, ul.minutes-index li a, header.site a { display: inline-block; min-height: 24px; padding: 2px 0; }
"#;

/// The inline style sheet of every public page (the server allows exactly this by hash).
pub fn style() -> String {
    format!("{}{PUBLIC_STYLE}", html::style())
}

/// Where a published version stands: the next meeting agreed it, or not (yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApprovalState {
    /// Signed, not yet agreed by a later meeting.
    Unapproved,
    /// Agreed as a correct record ("Approved at Board — March on 11 March 2026").
    Approved(String),
    /// Agreed subject to amendments: the amended minutes are a later version.
    Amended(String),
}

impl ApprovalState {
    /// Version `version` (hashing to `sha256`) in `ledger`.
    pub fn of(ledger: &Ledger, version: u32, sha256: &str) -> ApprovalState {
        if let Some(a) = ledger.approval_of(version, sha256) {
            return ApprovalState::Approved(a.describe());
        }
        match ledger
            .approvals
            .iter()
            .rev()
            .find(|a| a.version == version && a.resolution == Resolution::SubjectToAmendments)
        {
            Some(a) => ApprovalState::Amended(a.describe()),
            None => ApprovalState::Unapproved,
        }
    }

    /// "Approved minutes" or "Unapproved minutes".
    pub fn label(&self) -> &'static str {
        match self {
            ApprovalState::Approved(_) => "Approved minutes",
            _ => "Unapproved minutes",
        }
    }

    /// One sentence on it.
    pub fn sentence(&self) -> String {
        match self {
            ApprovalState::Unapproved => {
                "Signed off; not yet agreed as a correct record by the next meeting.".to_owned()
            }
            ApprovalState::Approved(how) => format!("{how}."),
            ApprovalState::Amended(how) => {
                format!("{how}; the amended minutes are a later version, not this one.")
            }
        }
    }

    fn class(&self) -> &'static str {
        match self {
            ApprovalState::Approved(_) => "approved",
            _ => "unapproved",
        }
    }
}

/// The signed facts a published page shows, for checking a download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub version: u32,
    pub signed_by: String,
    /// Unix milliseconds.
    pub signed_at: u64,
    /// SHA-256 of the canonical Markdown.
    pub sha256: String,
    /// The id of the key that signed it, when it is signed.
    pub key_id: Option<String>,
    /// The downloads there are, as ([`super::DOWNLOADS`] file name, what it is).
    pub downloads: Vec<(&'static str, &'static str)>,
    /// The public version's SHA-256, commitment root and withheld items, when the version
    /// has a public version.
    pub public: Option<PublicFacts>,
}

/// What the page says of the public version it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicFacts {
    pub sha256: String,
    pub root: String,
    /// The numbers of the items withheld.
    pub withheld: Vec<String>,
}

/// A published meeting's page: the minutes of the published version, its approval state,
/// and how to verify it.
pub fn minutes(
    organisation: &str,
    p: &Publication,
    reading: &Reading,
    v: &Verification,
    approval: &ApprovalState,
) -> String {
    let mut out = String::new();
    let series = p.series_name();
    head(
        &mut out,
        &format!("{} — {}", reading.title, approval.label()),
        organisation,
        Some(&p.series),
        Some(&series),
    );
    let _ = writeln!(
        out,
        "<header class=\"site\">\n<p><a href=\"{ROOT}\">{}</a> › <a href=\"{}\">{}</a></p>\n</header>",
        esc(&site_name(organisation)),
        esc(&p.index_path()),
        esc(&series)
    );
    let _ = writeln!(
        out,
        "<main>\n<p class=\"state {}\"><strong>{}.</strong> {}</p>",
        approval.class(),
        approval.label(),
        esc(&approval.sentence())
    );
    out.push_str(&html::article(reading));
    out.push_str("</main>\n");
    verification(&mut out, p, v, approval);
    out.push_str("</body>\n</html>\n");
    out
}

fn verification(out: &mut String, p: &Publication, v: &Verification, approval: &ApprovalState) {
    let _ = writeln!(
        out,
        "<footer class=\"verification\" aria-labelledby=\"verification\">\n\
         <h2 id=\"verification\">Verification</h2>\n<dl class=\"meta\">\n\
         <dt>Version</dt><dd>{}</dd>\n\
         <dt>Signed off</dt><dd>by {} at <time datetime=\"{}\">{}</time></dd>\n\
         <dt>SHA-256 of the canonical Markdown</dt><dd><code>{}</code></dd>",
        v.version,
        esc(&v.signed_by),
        iso_utc(v.signed_at),
        format_utc(v.signed_at),
        esc(&v.sha256)
    );
    if let Some(public) = &v.public {
        let withheld = if public.withheld.is_empty() {
            "none".to_owned()
        } else {
            format!("items {}", public.withheld.join(", "))
        };
        let _ = writeln!(
            out,
            "<dt>Withheld (exempt)</dt><dd>{}</dd>\n\
             <dt>SHA-256 of this public version</dt><dd><code>{}</code></dd>\n\
             <dt>Commitment root</dt><dd><code>{}</code></dd>",
            esc(&withheld),
            esc(&public.sha256),
            esc(&public.root)
        );
    }
    match &v.key_id {
        Some(key) => {
            let _ = writeln!(
                out,
                "<dt>Signed with key</dt><dd><code>{}</code> (<a href=\"/api/signing-keys\">the server's published keys</a>)</dd>",
                esc(key)
            );
        }
        None => out.push_str("<dt>Signed with key</dt><dd>not signed yet</dd>\n"),
    }
    let _ = writeln!(
        out,
        "<dt>Approval</dt><dd>{}</dd>\n<dt>Published</dt><dd>by {} at <time datetime=\"{}\">{}</time></dd>\n</dl>",
        esc(&approval.sentence()),
        esc(&p.published_by),
        iso_utc(p.published_at),
        format_utc(p.published_at)
    );
    out.push_str("<h3>Downloads</h3>\n<ul>\n");
    let page = p.path();
    for (file, what) in &v.downloads {
        let _ = writeln!(
            out,
            "<li><a href=\"{}/{file}\">{} — {what}</a></li>",
            esc(&page),
            esc(p.display_title())
        );
    }
    if matches!(approval, ApprovalState::Approved(_)) {
        let _ = writeln!(
            out,
            "<li><a href=\"{}/{APPROVAL_FILE}\">The approval, signed</a></li>",
            esc(&page)
        );
    }
    out.push_str(
        "</ul>\n<p>To check a download without this website, save the published keys and \
         run <code>minutebook verify --key signing-keys.json FILE</code>: it checks the \
         file's signature offline, and for the Markdown also that it is the signed full \
         version with exactly the exempt items withheld. <code>minutebook verify --server \
         URL FILE</code> asks this server instead.</p>\n</footer>\n",
    );
}

/// A series' index: its published minutes, newest first (`list` is in that order), each
/// with its approval state.
pub fn series_index(
    organisation: &str,
    slug: &str,
    series: &str,
    list: &[(Publication, ApprovalState)],
) -> String {
    let mut out = String::new();
    let title = format!("{series} — published minutes");
    head(&mut out, &title, organisation, Some(slug), Some(series));
    let _ = writeln!(
        out,
        "<header class=\"site\">\n<p><a href=\"{ROOT}\">{}</a></p>\n</header>\n<main>\n<h1>{}</h1>\n\
         <p><a href=\"{}/{FEED}\">Atom feed of these minutes</a></p>",
        esc(&site_name(organisation)),
        esc(&title),
        esc(&index_path(slug))
    );
    if list.is_empty() {
        out.push_str("<p>No minutes are published in this series.</p>\n");
    } else {
        out.push_str("<ul class=\"minutes-index\">\n");
        for (p, state) in list {
            let date = if p.date.trim().is_empty() {
                String::new()
            } else {
                format!(", {}", esc(p.date.trim()))
            };
            let _ = writeln!(
                out,
                "<li><a href=\"{}\">{}</a>{date} — {} (version {})</li>",
                esc(&p.path()),
                esc(p.display_title()),
                state.label(),
                p.version
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The list of series with published minutes: (slug, name, how many).
pub fn series_list(organisation: &str, list: &[(String, String, usize)]) -> String {
    let mut out = String::new();
    let title = site_name(organisation);
    head(&mut out, &title, organisation, None, None);
    let _ = writeln!(out, "<main>\n<h1>{}</h1>", esc(&title));
    if list.is_empty() {
        out.push_str("<p>No minutes are published.</p>\n");
    } else {
        out.push_str("<ul class=\"minutes-index\">\n");
        for (slug, name, n) in list {
            let _ = writeln!(
                out,
                "<li><a href=\"{}\">{}</a> — {n} published</li>",
                esc(&index_path(slug)),
                esc(name)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The document's head and the opening of its body.
fn head(
    out: &mut String,
    title: &str,
    organisation: &str,
    feed_slug: Option<&str>,
    series: Option<&str>,
) {
    let full = if organisation.trim().is_empty() {
        title.to_owned()
    } else {
        format!("{title} — {}", organisation.trim())
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n",
        esc(&full)
    );
    if let (Some(slug), Some(series)) = (feed_slug, series) {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{} — published minutes\" href=\"{}/{FEED}\">",
            esc(series),
            esc(&index_path(slug))
        );
    }
    let _ = write!(out, "<style>{}</style>\n</head>\n<body>\n", style());
}

/// The organisation's name, or a plain name for the site.
fn site_name(organisation: &str) -> String {
    match organisation.trim() {
        "" => "Published minutes".to_owned(),
        org => format!("{org} — published minutes"),
    }
}
