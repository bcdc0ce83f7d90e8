//! How one meeting of a series follows another: the next meeting starts from the
//! previous one (see [`carry_forward`]). The series' action references are counted by
//! the rules in [`super::reference`].

use super::{
    ActionStatus, Attendance, Header, ItemPath, MeetingStatus, MeetingView, Minutes, MinutesAction,
    MinutesItem, MinutesPerson, RaisedIn,
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
    // Open actions are reviewed under "Matters arising": the standing item of that name,
    // or a new one after the previous minutes.
    let arising = if open.is_empty() {
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
    let actions = open
        .into_iter()
        .map(|a| MinutesAction {
            fields: a.fields.clone(),
            owners: a.owners.clone(),
            raised_in: arising.map(|at| RaisedIn {
                item: ItemPath(vec![at]),
                block: None,
            }),
        })
        .collect();
    Minutes {
        header,
        chair: base.chair,
        minute_takers: base.minute_takers.clone(),
        people,
        items,
        actions,
    }
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
}
