//! How one meeting of a series follows another: the next meeting starts from the
//! previous one (see [`carry_forward`]). The series' action references are counted by
//! the rules in [`super::reference`].

use super::{
    ActionStatus, Attendance, Exemption, Header, ItemPath, MeetingStatus, MeetingView, Minutes,
    MinutesAction, MinutesItem, MinutesPerson, RaisedIn,
};

/// Title of the item open actions are carried into when the agenda has none.
pub const MATTERS_ARISING: &str = "Matters arising";

/// Title of the item under which the next meeting agrees the previous meeting's minutes.
pub const PREVIOUS_MINUTES: &str = "Minutes of the previous meeting";

/// Whether an item with this title is where the previous meeting's minutes are agreed:
/// "Minutes of the previous meeting", "Minutes of the last meeting", or "Matters arising"
/// (many bodies agree them there: the fixture's "Outstanding Matters / Matters arising").
pub fn is_previous_minutes(title: &str) -> bool {
    let t = title.to_lowercase();
    t.contains("minutes of the previous meeting")
        || t.contains("minutes of the last meeting")
        || t.contains("matters arising")
}

/// What the minutes of the approving meeting say of its resolution, e.g. "The minutes of
/// the meeting held on 9th February 2026 were agreed as a correct record (version 2,
/// SHA-256 9f86d0…)." `held` is the previous meeting's date, or its title when it has none.
pub fn resolution_text(
    held: &str,
    words: &str,
    amendments: &str,
    version: u32,
    sha256: &str,
) -> String {
    let mut text = format!("The minutes of the meeting held on {held} were {words}");
    if !amendments.trim().is_empty() {
        text.push_str(&format!(": {}", amendments.trim()));
    }
    text.push_str(&format!(" (version {version}, SHA-256 {sha256})."));
    text
}

/// The next meeting of a series, started from the previous one: same series (unless
/// another is given), venue, chair, register (attendance not recorded yet: nobody is
/// marked present before the meeting), minute-takers, and the top-level items marked as
/// standing (titles only, still standing; one-off topic items are not copied); date,
/// time and venue from the previous meeting's "next meeting" (the start time and venue
/// stay as they were when it names none); its open actions carried forward with their
/// references into the "Matters arising" item, so the series' action log continues; and,
/// first, a "Minutes of the previous meeting" item (unless a standing item is one), under
/// which the next meeting agrees them.
pub fn carry_forward(prev: &MeetingView, title: &str, series: &str) -> Minutes {
    let base = Minutes::from_view(prev);
    let old = &base.header;
    let header = Header {
        title: title.to_string(),
        series: if series.is_empty() {
            old.series.clone()
        } else {
            series.to_string()
        },
        date: old.next.date.clone(),
        start_time: if old.next.time.trim().is_empty() {
            old.start_time.clone()
        } else {
            old.next.time.clone()
        },
        venue: if old.next.venue.trim().is_empty() {
            old.venue.clone()
        } else {
            old.next.venue.clone()
        },
        status: MeetingStatus::Draft,
        next: Default::default(),
    };
    let people = base
        .people
        .iter()
        .map(|p| MinutesPerson {
            person: p.person.clone(),
            attendance: Attendance::Unknown,
        })
        .collect();
    let mut items: Vec<MinutesItem> = base
        .items
        .iter()
        .filter(|i| i.standing)
        .map(|i| MinutesItem {
            title: i.title.clone(),
            standing: true,
            // An exempt standing item stays exempt (Part II) at every meeting.
            exemption: i.exemption.clone(),
            public_title: i.public_title.clone(),
            ..MinutesItem::default()
        })
        .collect();
    // The previous minutes are agreed early: after welcome and apologies, when first.
    let previous_at = match items.iter().position(|i| is_previous_minutes(&i.title)) {
        Some(at) => at,
        None => {
            let at = usize::from(items.first().is_some_and(|i| {
                let t = i.title.to_lowercase();
                t.contains("apolog") || t.contains("welcome")
            }));
            items.insert(
                at,
                MinutesItem {
                    title: PREVIOUS_MINUTES.into(),
                    standing: true,
                    ..MinutesItem::default()
                },
            );
            at
        }
    };
    let open: Vec<_> = base
        .actions
        .iter()
        .filter(|a| a.fields.status == ActionStatus::Open)
        .collect();
    // An open action raised in an exempt item stays exempt: it is carried into an exempt
    // "Matters arising" item of its own reason, never into the public one.
    let (exempt, public): (Vec<_>, Vec<_>) = open
        .into_iter()
        .map(|a| (exemption_at(&base.items, a.raised_in.as_ref()), a))
        .partition(|(e, _)| e.is_some());
    // Open actions are reviewed under "Matters arising": the standing item of that name,
    // or a new one after the previous minutes.
    let arising = if public.is_empty() {
        None
    } else {
        Some(
            match items
                .iter()
                .position(|i| i.title.to_lowercase().contains("matters arising"))
            {
                Some(at) => at,
                None => {
                    let at = previous_at + 1;
                    items.insert(
                        at,
                        MinutesItem {
                            title: MATTERS_ARISING.into(),
                            standing: true,
                            ..MinutesItem::default()
                        },
                    );
                    at
                }
            },
        )
    };
    let raised = |at: Option<usize>| {
        at.map(|at| RaisedIn {
            item: ItemPath(vec![at]),
            block: None,
        })
    };
    let mut actions: Vec<MinutesAction> = public
        .into_iter()
        .map(|(_, a)| MinutesAction {
            fields: a.fields.clone(),
            owners: a.owners.clone(),
            raised_in: raised(arising),
        })
        .collect();
    // One exempt item per reason, after the public one (or the previous minutes).
    let mut exempt_items: Vec<(Exemption, usize)> = Vec::new();
    let mut next_at = arising.unwrap_or(previous_at) + 1;
    for (reason, a) in exempt {
        let Some(reason) = reason else { continue };
        let at = match exempt_items.iter().find(|(r, _)| *r == reason) {
            Some((_, at)) => *at,
            None => {
                items.insert(
                    next_at,
                    MinutesItem {
                        title: format!("{MATTERS_ARISING} ({})", reason.label()),
                        public_title: MATTERS_ARISING.into(),
                        exemption: Some(reason.clone()),
                        ..MinutesItem::default()
                    },
                );
                exempt_items.push((reason, next_at));
                next_at += 1;
                next_at - 1
            }
        };
        actions.push(MinutesAction {
            fields: a.fields.clone(),
            owners: a.owners.clone(),
            raised_in: raised(Some(at)),
        });
    }
    Minutes {
        header,
        chair: base.chair,
        minute_takers: base.minute_takers.clone(),
        people,
        items,
        actions,
    }
}

/// The exemption an action raised at `raised` stands under: that of the outermost exempt
/// item on its path (sub-items inherit it).
fn exemption_at(items: &[MinutesItem], raised: Option<&RaisedIn>) -> Option<Exemption> {
    let mut list = items;
    for &i in &raised?.item.0 {
        let item = list.get(i)?;
        if let Some(e) = &item.exemption {
            return Some(e.clone());
        }
        list = &item.children;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::{ActionFields, Meeting, NextMeeting};
    use yrs::{Doc, Transact};

    fn previous() -> MeetingView {
        let action = |description: &str, status, reference: &str| MinutesAction {
            fields: ActionFields {
                description: description.into(),
                status,
                reference: Some(reference.into()),
                ..Default::default()
            },
            owners: Vec::new(),
            raised_in: None,
        };
        let minutes = Minutes {
            header: Header {
                title: "Board — January".into(),
                series: "Board".into(),
                venue: "Room 1".into(),
                next: NextMeeting {
                    date: "Friday 11th March 2022".into(),
                    time: "10:00".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            items: vec![
                MinutesItem {
                    title: "Apologies".into(),
                    standing: true,
                    ..Default::default()
                },
                MinutesItem {
                    title: "Estates strategy".into(),
                    ..Default::default()
                },
                MinutesItem {
                    title: "Finance".into(),
                    standing: true,
                    ..Default::default()
                },
            ],
            people: vec![crate::meeting::MinutesPerson {
                person: crate::meeting::Person {
                    name: "Pippa Mills".into(),
                    ..Default::default()
                },
                attendance: Attendance::Apologies,
            }],
            actions: vec![
                action("Circulate the report", ActionStatus::Open, "01/22"),
                action("Book the room", ActionStatus::Done, "02/22"),
            ],
            ..Default::default()
        };
        let m = Meeting::new(Doc::new());
        m.import_minutes(&mut m.doc().transact_mut(), &minutes)
            .expect("imports");
        let txn = m.doc().transact();
        m.view(&txn)
    }

    #[test]
    fn the_next_meeting_starts_from_the_previous_one() {
        let next = carry_forward(&previous(), "Board — March", "");
        assert_eq!(next.header.title, "Board — March");
        assert_eq!(next.header.series, "Board", "the series carries over");
        assert_eq!(next.header.date, "Friday 11th March 2022");
        assert_eq!(next.header.start_time, "10:00");
        assert_eq!(next.header.venue, "Room 1", "no next venue: the same room");
        assert_eq!(next.header.status, MeetingStatus::Draft);
        // Standing items only (the one-off "Estates strategy" stays behind), and open
        // actions, with their references, into a new "Matters arising" after the new
        // "Minutes of the previous meeting".
        let titles: Vec<&str> = next.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Apologies", PREVIOUS_MINUTES, MATTERS_ARISING, "Finance"]
        );
        assert!(next.items.iter().all(|i| i.standing), "still standing");
        assert_eq!(next.people.len(), 1);
        assert_eq!(
            next.people[0].attendance,
            Attendance::Unknown,
            "attendance is taken at the meeting"
        );
        assert_eq!(next.actions.len(), 1);
        assert_eq!(next.actions[0].fields.reference.as_deref(), Some("01/22"));
        assert_eq!(
            next.actions[0].raised_in.as_ref().map(|r| r.item.0.clone()),
            Some(vec![2])
        );
    }

    #[test]
    fn an_agenda_that_agrees_the_minutes_already_keeps_its_item() {
        let mut prev = previous();
        prev.items[0].title = "Minutes of the last meeting".into();
        let next = carry_forward(&prev, "Board — March", "");
        let titles: Vec<_> = next.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles[0], "Minutes of the last meeting");
        assert!(!titles.contains(&PREVIOUS_MINUTES), "{titles:?}");
        assert!(
            resolution_text("9th February", "agreed as a correct record", "", 2, "ab")
                .starts_with("The minutes of the meeting held on 9th February were agreed")
        );
    }

    #[test]
    fn without_a_next_meeting_time_the_start_time_is_kept() {
        let mut prev = previous();
        prev.header.fields.start_time = "2:00 pm".into();
        prev.header.fields.next.time = String::new();
        let next = carry_forward(&prev, "Board — March", "");
        assert_eq!(next.header.start_time, "2:00 pm");
    }

    #[test]
    fn open_actions_of_exempt_items_stay_exempt_at_the_next_meeting() {
        use crate::meeting::{markdown, Paragraph};
        let reason = Exemption::Schedule12A(Paragraph::new(3).expect("paragraph 3"));
        let secret = |description: &str, item: usize| MinutesAction {
            fields: ActionFields {
                description: description.into(),
                status: ActionStatus::Open,
                ..Default::default()
            },
            owners: Vec::new(),
            raised_in: Some(RaisedIn {
                item: ItemPath(vec![item]),
                block: None,
            }),
        };
        let minutes = Minutes {
            header: Header {
                title: "Board — January".into(),
                series: "Board".into(),
                ..Default::default()
            },
            items: vec![
                MinutesItem {
                    title: "Open business".into(),
                    ..Default::default()
                },
                MinutesItem {
                    title: "Sale of SECRET-LAND".into(),
                    exemption: Some(reason.clone()),
                    public_title: "Land".into(),
                    children: vec![MinutesItem {
                        title: "Terms".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                MinutesItem {
                    title: "Staffing".into(),
                    standing: true,
                    exemption: Some(Exemption::confidential("personnel")),
                    ..Default::default()
                },
            ],
            actions: vec![
                secret("Publish the agenda", 0),
                secret("Tell SECRET-BUYER", 1),
                MinutesAction {
                    raised_in: Some(RaisedIn {
                        item: ItemPath(vec![1, 0]),
                        block: None,
                    }),
                    ..secret("Sign the SECRET-TERMS", 1)
                },
            ],
            ..Default::default()
        };
        let m = Meeting::new(Doc::new());
        m.import_minutes(&mut m.doc().transact_mut(), &minutes)
            .expect("imports");
        let prev = m.view(&m.doc().transact());
        let next = carry_forward(&prev, "Board — March", "");
        let titles: Vec<&str> = next.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                PREVIOUS_MINUTES,
                MATTERS_ARISING,
                "Matters arising (Exempt item — Schedule 12A paragraph 3)",
                "Staffing"
            ]
        );
        assert_eq!(next.items[2].exemption, Some(reason));
        assert!(
            next.items[3].exemption.is_some(),
            "an exempt standing item stays exempt"
        );
        let into: Vec<Vec<usize>> = next
            .actions
            .iter()
            .map(|a| {
                a.raised_in
                    .as_ref()
                    .map(|r| r.item.0.clone())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(into, [vec![1], vec![2], vec![2]]);
        // Loaded, the next meeting's public version carries none of it.
        let n = Meeting::new(Doc::new());
        n.import_minutes(&mut n.doc().transact_mut(), &next)
            .expect("imports");
        let view = n.view(&n.doc().transact());
        let public = markdown::to_public_markdown(&view);
        assert!(!public.contains("SECRET"), "{public}");
        assert!(public.contains("Publish the agenda"), "{public}");
        assert!(markdown::to_markdown(&view).contains("Tell SECRET-BUYER"));
    }
}
