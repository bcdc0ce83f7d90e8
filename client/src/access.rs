//! Who may do what in the open meeting, as pure data (tested natively): the caller's
//! standing from the session ([`MeetingAccess`]), whether the minutes are read-only and
//! what the banner says ([`read_only_notice`]), the statement status chips, and the small
//! formatting helpers the trust views share (times, hashes, invitation links).
//!
//! The server enforces all of it; the client only presents it.

use minutebook_shared::trust::{
    CorrectionStatus, Grant, Ledger, Role, SessionInfo, StatementStatus,
};

/// The caller's standing in one meeting.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MeetingAccess {
    /// The grant's role, if the caller has a grant for this meeting.
    pub role: Option<Role>,
    /// An administrator (edits any draft like a minute-taker, invites people).
    pub admin: bool,
    /// The register person the grant speaks for.
    pub person: Option<String>,
    /// The display name (the grant's, else the session's).
    pub name: String,
    /// Restricted access: reads and edits exempt (Part II) business (the grant's flag;
    /// administrators always have it).
    pub restricted: bool,
}

impl MeetingAccess {
    /// The standing of `session` in `meeting`; `None` when it may not open it.
    pub fn of(session: &SessionInfo, meeting: &str) -> Option<MeetingAccess> {
        let grant: Option<&Grant> = session.grant(meeting);
        if grant.is_none() && !session.admin {
            return None;
        }
        let name = grant
            .map(|g| g.name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or(session.name.trim())
            .to_owned();
        Some(MeetingAccess {
            role: grant.map(|g| g.role),
            admin: session.admin,
            person: grant
                .and_then(|g| g.person.clone())
                .filter(|p| !p.is_empty()),
            name,
            restricted: session.admin || grant.is_some_and(|g| g.restricted),
        })
    }

    /// May change the minutes' text and structure while they are a draft.
    pub fn edits(&self) -> bool {
        self.admin || self.role.is_some_and(Role::edits_minutes)
    }

    /// May accept or decline correction proposals (chair and minute-takers only, as the
    /// server decides; administrators edit drafts but do not decide on corrections).
    pub fn moderates(&self) -> bool {
        self.role.is_some_and(Role::moderates)
    }

    /// May sign the minutes off and reopen them.
    pub fn signs(&self) -> bool {
        self.role == Some(Role::Chair)
    }

    /// May publish a signed version, and withdraw it (the chair and administrators).
    pub fn publishes(&self) -> bool {
        self.admin || self.role == Some(Role::Chair)
    }

    /// May read the audit log.
    pub fn audits(&self) -> bool {
        self.admin || self.role.is_some_and(Role::moderates)
    }

    /// May manage invitations.
    pub fn invites(&self) -> bool {
        self.admin
    }

    /// What the role chip in the bar says ("Chair", "Administrator", "Chair · Administrator").
    pub fn label(&self) -> String {
        match (self.role, self.admin) {
            (Some(r), true) => format!("{} · Administrator", r.label()),
            (Some(r), false) => r.label().to_owned(),
            (None, true) => "Administrator".to_owned(),
            (None, false) => String::new(),
        }
    }

    /// The role chip's `data-role` (`chair`, `minute-taker`, `attendee`, `observer`,
    /// `admin`).
    pub fn role_attr(&self) -> &'static str {
        match self.role {
            Some(r) => r.as_str(),
            None => "admin",
        }
    }
}

/// Whether the minutes may be edited on this page now.
pub fn editable(access: Option<&MeetingAccess>, ledger: &Ledger) -> bool {
    access.is_some_and(MeetingAccess::edits) && !ledger.signed()
}

/// Why the minutes are read-only on this page, as the banner says it; `None` when the
/// caller may edit them.
pub fn read_only_notice(access: Option<&MeetingAccess>, ledger: &Ledger) -> Option<String> {
    if ledger.signed() {
        let version = ledger.versions.last().map(|v| v.version);
        return Some(match version {
            Some(v) => format!("Signed off — version {v} — read-only"),
            None => "Signed off — read-only".to_owned(),
        });
    }
    let access = access?;
    if access.edits() {
        return None;
    }
    let mine = access.person.is_some();
    Some(match access.role {
        Some(Role::Attendee) if mine => {
            "You are an attendee: the minutes are read-only; confirm your statements below"
                .to_owned()
        }
        Some(Role::Attendee) => "You are an attendee: the minutes are read-only".to_owned(),
        Some(Role::Observer) => "You are an observer: the minutes are read-only".to_owned(),
        _ => "The minutes are read-only for you".to_owned(),
    })
}

/// The `data-status` value of a statement status chip.
pub fn status_attr(s: StatementStatus) -> &'static str {
    match s {
        StatementStatus::Pending => "pending",
        StatementStatus::Confirmed => "confirmed",
        StatementStatus::Changed => "changed",
    }
}

/// The text of a statement status chip.
pub fn status_label(s: StatementStatus) -> &'static str {
    match s {
        StatementStatus::Pending => "Awaiting confirmation",
        StatementStatus::Confirmed => "Confirmed",
        StatementStatus::Changed => "Changed since confirmed",
    }
}

/// The `data-status` value of a correction proposal.
pub fn correction_attr(s: CorrectionStatus) -> &'static str {
    match s {
        CorrectionStatus::Open => "open",
        CorrectionStatus::Accepted => "accepted",
        CorrectionStatus::Declined => "declined",
        CorrectionStatus::Withdrawn => "withdrawn",
    }
}

/// How a correction proposal's status reads.
pub fn correction_label(s: CorrectionStatus) -> &'static str {
    match s {
        CorrectionStatus::Open => "Awaiting a decision",
        CorrectionStatus::Accepted => "Accepted",
        CorrectionStatus::Declined => "Declined",
        CorrectionStatus::Withdrawn => "Withdrawn",
    }
}

/// Unix milliseconds as local time "2024-05-01 14:03" given the browser's
/// `Date.getTimezoneOffset()` (minutes *behind* UTC, so UTC+2 is -120).
pub fn format_time(ms: u64, offset_minutes: i64) -> String {
    minutebook_shared::time::format_local(ms, -offset_minutes)
}

/// Unix milliseconds as an ISO 8601 UTC timestamp (a `<time datetime>` value).
pub fn iso_time(ms: u64) -> String {
    minutebook_shared::time::iso_utc(ms)
}

/// Local time of `ms` in the browser's time zone.
pub fn local_time(ms: u64) -> String {
    #[cfg(target_arch = "wasm32")]
    let offset =
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_timezone_offset() as i64;
    #[cfg(not(target_arch = "wasm32"))]
    let offset = 0;
    format_time(ms, offset)
}

/// The first 12 hex digits of a SHA-256 (the full value goes in a `title`).
pub fn short_hash(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

/// An invitation link as the user can paste it anywhere: relative links the server
/// gives (`/?invite=…`) are made absolute with the page's `origin`.
pub fn absolute_link(link: &str, origin: &str) -> String {
    if link.starts_with("http://") || link.starts_with("https://") {
        link.to_owned()
    } else if let Some(rest) = link.strip_prefix('/') {
        format!("{}/{rest}", origin.trim_end_matches('/'))
    } else {
        format!("{}/{link}", origin.trim_end_matches('/'))
    }
}

/// The meeting a freshly redeemed invitation opened: the grant that `after` has and
/// `before` had not (by meeting and invitation); without `before`, or when nothing is
/// new (a link redeemed again), the last grant — the server adds the new grant last.
pub fn new_grant<'a>(before: Option<&SessionInfo>, after: &'a SessionInfo) -> Option<&'a Grant> {
    let Some(before) = before else {
        return after.grants.last();
    };
    let known = |g: &Grant| {
        before
            .grants
            .iter()
            .any(|o| o.meeting == g.meeting && o.invite == g.invite)
    };
    after
        .grants
        .iter()
        .find(|g| !known(g))
        .or_else(|| after.grants.last())
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::trust::{LockState, Readiness, Stamp, VersionInfo};

    fn grant(meeting: &str, role: Role, person: Option<&str>, invite: u64) -> Grant {
        Grant {
            restricted: role.restricted_by_default(),
            meeting: meeting.into(),
            role,
            person: person.map(Into::into),
            name: format!("{} person", role.label()),
            invite,
        }
    }

    fn session(admin: bool, grants: Vec<Grant>) -> SessionInfo {
        SessionInfo {
            name: "Sam".into(),
            admin,
            grants,
            token: None,
            meeting: None,
        }
    }

    fn signed(version: u32) -> Ledger {
        Ledger {
            state: LockState::Signed,
            versions: vec![VersionInfo {
                version,
                signed: Stamp {
                    by: "Chair".into(),
                    person: None,
                    at: 0,
                    ..Stamp::default()
                },
                sha256: "ab".repeat(32),
                override_reason: String::new(),
                readiness: Readiness::default(),
                withheld: None,
            }],
            ..Ledger::default()
        }
    }

    #[test]
    fn standing_comes_from_the_grant_or_admin() {
        let s = session(false, vec![grant("m", Role::Attendee, Some("p1"), 3)]);
        let a = MeetingAccess::of(&s, "m").unwrap();
        assert_eq!(a.role, Some(Role::Attendee));
        assert_eq!(a.person.as_deref(), Some("p1"));
        assert_eq!(a.name, "Attendee person");
        assert!(!a.edits() && !a.moderates() && !a.signs() && !a.audits() && !a.invites());
        assert!(MeetingAccess::of(&s, "other").is_none());

        let admin = session(true, vec![]);
        let a = MeetingAccess::of(&admin, "any").unwrap();
        assert!(a.edits() && !a.moderates() && a.audits() && a.invites() && !a.signs());
        assert_eq!(a.name, "Sam");
        assert_eq!(a.label(), "Administrator");
        assert_eq!(a.role_attr(), "admin");

        let chair = session(false, vec![grant("m", Role::Chair, None, 1)]);
        let a = MeetingAccess::of(&chair, "m").unwrap();
        assert!(a.edits() && a.moderates() && a.signs() && a.audits() && !a.invites());
        let mt = session(false, vec![grant("m", Role::MinuteTaker, None, 1)]);
        let a = MeetingAccess::of(&mt, "m").unwrap();
        assert!(a.edits() && a.moderates() && !a.signs() && a.audits());
        // An administrator who is also an observer of a meeting edits it as an admin.
        let both = session(true, vec![grant("m", Role::Observer, None, 1)]);
        let a = MeetingAccess::of(&both, "m").unwrap();
        assert!(a.edits() && !a.moderates() && a.audits());
        assert_eq!(a.label(), "Observer · Administrator");
    }

    #[test]
    fn read_only_follows_role_and_ledger() {
        let draft = Ledger::default();
        let att = MeetingAccess::of(
            &session(false, vec![grant("m", Role::Attendee, Some("p"), 1)]),
            "m",
        );
        let obs = MeetingAccess::of(
            &session(false, vec![grant("m", Role::Observer, None, 1)]),
            "m",
        );
        let chair = MeetingAccess::of(&session(false, vec![grant("m", Role::Chair, None, 1)]), "m");
        assert!(!editable(att.as_ref(), &draft));
        assert!(!editable(obs.as_ref(), &draft));
        assert!(editable(chair.as_ref(), &draft));
        assert!(!editable(chair.as_ref(), &signed(2)));
        assert!(!editable(None, &draft));
        assert_eq!(read_only_notice(chair.as_ref(), &draft), None);
        assert_eq!(
            read_only_notice(chair.as_ref(), &signed(2)).unwrap(),
            "Signed off — version 2 — read-only"
        );
        assert_eq!(
            read_only_notice(att.as_ref(), &draft).unwrap(),
            "You are an attendee: the minutes are read-only; confirm your statements below"
        );
        assert!(read_only_notice(obs.as_ref(), &draft)
            .unwrap()
            .contains("observer"));
        assert!(read_only_notice(att.as_ref(), &signed(1))
            .unwrap()
            .starts_with("Signed off"));
    }

    #[test]
    fn times_format_in_utc_and_local() {
        // 2022-01-13 09:30:15 UTC
        let ms = 1_642_066_215_000;
        assert_eq!(format_time(ms, 0), "2022-01-13 09:30");
        assert_eq!(format_time(ms, -120), "2022-01-13 11:30");
        assert_eq!(format_time(ms, 600), "2022-01-12 23:30");
        assert_eq!(iso_time(ms), "2022-01-13T09:30:15Z");
        assert_eq!(format_time(0, 0), "1970-01-01 00:00");
        assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn links_and_hashes() {
        assert_eq!(
            absolute_link("/?invite=abc", "http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/?invite=abc"
        );
        assert_eq!(
            absolute_link("https://x.example/?invite=abc", "http://h"),
            "https://x.example/?invite=abc"
        );
        assert_eq!(
            absolute_link("?invite=a", "http://h/"),
            "http://h/?invite=a"
        );
        assert_eq!(short_hash("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_hash("01"), "01");
    }

    #[test]
    fn the_new_grant_is_found() {
        let before = session(false, vec![grant("a", Role::Attendee, None, 1)]);
        let after = session(
            false,
            vec![
                grant("a", Role::Attendee, None, 1),
                grant("b", Role::Chair, None, 7),
            ],
        );
        assert_eq!(new_grant(Some(&before), &after).unwrap().meeting, "b");
        assert_eq!(new_grant(None, &after).unwrap().meeting, "b");
        assert_eq!(new_grant(Some(&after), &after).unwrap().meeting, "b");
        assert!(new_grant(None, &session(true, vec![])).is_none());
    }

    #[test]
    fn labels_are_distinct() {
        let all = [
            StatementStatus::Pending,
            StatementStatus::Confirmed,
            StatementStatus::Changed,
        ];
        let attrs: std::collections::HashSet<_> = all.iter().map(|s| status_attr(*s)).collect();
        assert_eq!(attrs.len(), 3);
        assert_eq!(correction_attr(CorrectionStatus::Declined), "declined");
    }
}
