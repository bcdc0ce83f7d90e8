//! The minutes as they read: [`Reading`], the words of a formatted document (title, facts,
//! attendance table, numbered items with attributed statements, decisions and actions in
//! place, next meeting, action log), computed from a [`MeetingView`].
//!
//! It is the one place that decides what the minutes *say*: the HTML export
//! ([`super::html`]) and the web client's reading view both render it, element for element,
//! so the two cannot drift apart (a browser test compares their text). Renderers only add
//! markup. Live annotations that are not part of the minutes (confirmation chips, "overdue")
//! are left to the live view.

use super::model::{ActionId, ActionStatus, Attendance, BlockId, BlockKind, ItemId, PersonId};
use super::view::{ActionView, MeetingView, ViewIndex};

/// The minutes of one meeting, ready to render.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Reading {
    /// The title line.
    pub title: String,
    /// The series name (may be empty).
    pub series: String,
    /// Date, venue, chair, minute-takers and status, only those that are set.
    pub facts: Vec<Fact>,
    /// The attendance table, in register order.
    pub attendance: Vec<AttendanceRow>,
    /// The items in reading order.
    pub items: Vec<ReadingItem>,
    /// The next meeting's date, time, type and venue, only those that are set.
    pub next_meeting: Vec<Fact>,
    /// The action log, in log order.
    pub actions: Vec<ActionRow>,
}

/// A labelled value ("Venue: Room 2").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Fact {
    /// The label.
    pub label: &'static str,
    /// The value.
    pub value: String,
}

/// The column headings of [`Reading::attendance`].
pub const ATTENDANCE_COLUMNS: [&str; 5] = [
    "Name",
    "Capacity",
    "Short form",
    "Organisation",
    "Attendance",
];

/// The column headings of [`Reading::actions`].
pub const ACTION_COLUMNS: [&str; 6] = ["Ref", "Action", "Owner(s)", "Due", "Status", "Item"];

/// What the action log says when there are no actions.
pub const NO_ACTIONS: &str = "No actions.";

/// One row of the attendance table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct AttendanceRow {
    /// Who.
    pub person: PersonId,
    /// The cells, in [`ATTENDANCE_COLUMNS`] order.
    pub cells: [String; 5],
}

/// An item with what was minuted under it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ReadingItem {
    /// Id.
    pub id: ItemId,
    /// "2.1".
    pub number: String,
    /// The heading.
    pub title: String,
    /// 0 for top-level items.
    pub depth: usize,
    /// Blocks and the actions raised among them, in order.
    pub entries: Vec<Entry>,
}

impl ReadingItem {
    /// The heading level of the item (`h3` for top-level items, at most `h6`).
    pub fn heading_level(&self) -> usize {
        (self.depth + 3).min(6)
    }
}

/// One line of the minutes under an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    /// A paragraph.
    Paragraph {
        /// Which block.
        block: BlockId,
        /// Text (may hold line breaks).
        text: String,
    },
    /// A sub-heading.
    SubHeading {
        /// Which block.
        block: BlockId,
        /// Text.
        text: String,
    },
    /// A statement attributed to its speakers.
    Statement {
        /// Which block.
        block: BlockId,
        /// The speakers still in the register.
        speakers: Vec<PersonId>,
        /// "DCC, ACC:" (empty when nobody is named).
        attribution: String,
        /// Text.
        text: String,
    },
    /// A decision.
    Decision {
        /// Which block.
        block: BlockId,
        /// Text.
        text: String,
    },
    /// An action, where it was flagged.
    Action(ActionLine),
}

/// What the minutes say of a decision before its text.
pub const DECISION_LABEL: &str = "Decision:";

/// An action as the minutes state it in place.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ActionLine {
    /// Id.
    pub id: ActionId,
    /// "ACTION 06/23:" ("ACTION:" until a reference is given), as published minutes say.
    pub label: String,
    /// Owners' short forms, "DCC, ACC" (may be empty).
    pub owners: String,
    /// What is to be done.
    pub description: String,
    /// "due 2027-01-05" (empty when no due date is set).
    pub due: String,
    /// Progress.
    pub status: ActionStatus,
    /// The due date as written, for a live view's overdue check.
    pub due_date: String,
}

impl ActionLine {
    /// The line of action `a`, whose owners the minutes call `owners` ("DCC, ACC").
    pub fn of(a: &ActionView, owners: String) -> ActionLine {
        ActionLine {
            id: a.id.clone(),
            label: match &a.fields.reference {
                Some(r) => format!("ACTION {r}:"),
                None => "ACTION:".to_owned(),
            },
            owners,
            description: a.fields.description.clone(),
            due: match a.fields.due.trim() {
                "" => String::new(),
                due => format!("due {due}"),
            },
            status: a.fields.status,
            due_date: a.fields.due.clone(),
        }
    }

    /// Whether it is open and its due day has passed at `now_ms` (a live annotation: the
    /// minutes' own words never say it, see the module docs).
    pub fn overdue(&self, now_ms: u64) -> bool {
        self.status.overdue(&self.due_date, now_ms)
    }

    /// The words after the description: " — DCC, ACC · due 5 January · open".
    pub fn tail(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(3);
        if !self.owners.is_empty() {
            parts.push(&self.owners);
        }
        if !self.due.is_empty() {
            parts.push(&self.due);
        }
        parts.push(self.status.as_str());
        format!(" — {}", parts.join(" · "))
    }
}

/// The class both renderers give an action of status `s` ("status-open", …).
pub fn status_class(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "status-open",
        ActionStatus::Done => "status-done",
        ActionStatus::Dropped => "status-dropped",
    }
}

/// One row of the action log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ActionRow {
    /// The action.
    pub line: ActionLine,
    /// The reference alone ("06/23", may be empty).
    pub reference: String,
    /// The number of the item where it was raised (may be empty).
    pub item: String,
}

impl Reading {
    /// The minutes of `view`, whose lifecycle status (from the server's ledger, never the
    /// header's own field) is `status`.
    pub fn new(view: &MeetingView, status: &str) -> Reading {
        let index = ViewIndex::new(view);
        let h = &view.header.fields;
        let label = |id: &PersonId| index.person(id).map(|p| p.person.label().to_owned());
        let labels = |ids: &[PersonId]| ids.iter().filter_map(label).collect::<Vec<_>>().join(", ");
        let action = |a: &ActionView| ActionLine::of(a, labels(&a.owners));

        let mut facts = Vec::new();
        let fact = |facts: &mut Vec<Fact>, label: &'static str, value: String| {
            if !value.trim().is_empty() {
                facts.push(Fact { label, value });
            }
        };
        let when = [h.date.as_str(), h.start_time.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        fact(&mut facts, "Date", when);
        fact(&mut facts, "Venue", h.venue.clone());
        let chair = view.header.chair.as_ref().and_then(|c| index.person(c));
        let chair = chair.map(|p| match p.person.short.as_str() {
            "" => p.person.name.clone(),
            short => format!("{} ({short})", p.person.name),
        });
        fact(&mut facts, "Chair", chair.unwrap_or_default());
        let takers = view.header.minute_takers.iter().map(|t| {
            [&t.taker.name, &t.taker.capacity, &t.taker.organisation]
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        });
        fact(&mut facts, "Minutes", takers.collect::<Vec<_>>().join("; "));
        fact(&mut facts, "Status", status.to_owned());

        let attendance = view
            .people
            .iter()
            .map(|p| AttendanceRow {
                person: p.id.clone(),
                cells: [
                    p.person.name.clone(),
                    p.person.capacity.clone(),
                    p.person.short.clone(),
                    p.person.organisation.clone(),
                    match &p.attendance {
                        Attendance::Present => "Present".to_owned(),
                        Attendance::Apologies => "Apologies".to_owned(),
                        Attendance::Absent => "Absent".to_owned(),
                        Attendance::Unknown => "Not recorded".to_owned(),
                        Attendance::JoinedFor(item) => {
                            match item.as_ref().and_then(|i| index.item(i)) {
                                Some(item) => format!("Joined for item {}", item.number),
                                None => "Joined late".to_owned(),
                            }
                        }
                    },
                ],
            })
            .collect();

        let items = view
            .items
            .iter()
            .map(|item| {
                let mut entries: Vec<Entry> = index
                    .actions_at(&item.id, None)
                    .map(|a| Entry::Action(action(a)))
                    .collect();
                for b in &item.blocks {
                    let block = b.id.clone();
                    let text = b.text.clone();
                    entries.push(match b.kind {
                        BlockKind::Paragraph => Entry::Paragraph { block, text },
                        BlockKind::SubHeading => Entry::SubHeading { block, text },
                        BlockKind::Decision => Entry::Decision { block, text },
                        BlockKind::Statement => {
                            let names = labels(&b.speakers);
                            Entry::Statement {
                                block,
                                speakers: b.speakers.clone(),
                                attribution: if names.is_empty() {
                                    String::new()
                                } else {
                                    format!("{names}:")
                                },
                                text,
                            }
                        }
                    });
                    entries.extend(
                        index
                            .actions_at(&item.id, Some(&b.id))
                            .map(|a| Entry::Action(action(a))),
                    );
                }
                ReadingItem {
                    id: item.id.clone(),
                    number: item.number.clone(),
                    title: item.title.clone(),
                    depth: item.depth,
                    entries,
                }
            })
            .collect();

        let next = &h.next;
        let next_meeting = [
            ("Date", &next.date),
            ("Time", &next.time),
            ("Type", &next.kind),
            ("Venue", &next.venue),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(label, v)| Fact {
            label,
            value: v.clone(),
        })
        .collect();

        let actions = view
            .actions
            .iter()
            .map(|a| ActionRow {
                line: action(a),
                reference: a.fields.reference.clone().unwrap_or_default(),
                item: a
                    .item
                    .as_ref()
                    .and_then(|i| index.item(i))
                    .map(|i| i.number.clone())
                    .unwrap_or_default(),
            })
            .collect();

        Reading {
            title: h.title.clone(),
            series: h.series.clone(),
            facts,
            attendance,
            items,
            next_meeting,
            actions,
        }
    }
}

impl Reading {
    /// The public version of the minutes (Part I only): [`Reading::new`] with each exempt
    /// item that is not inside another one showing its public title and, as its only
    /// entry, a paragraph saying why it is withheld ("Exempt item — Schedule 12A paragraph
    /// 3"); its sub-items are left out, and the actions raised in any of them are in
    /// neither an item nor the action log. The same words as
    /// [`super::markdown::to_public_markdown_as`].
    pub fn public(view: &MeetingView, status: &str) -> Reading {
        let mut r = Reading::new(view, status);
        let index = ViewIndex::new(view);
        r.items.retain_mut(|item| {
            let Some(v) = index.item(&item.id) else {
                return true;
            };
            match (&v.withheld_by, &v.exemption) {
                (None, _) => true,
                (Some(by), Some(e)) if by == &v.id => {
                    item.title = v.public_heading().to_owned();
                    item.entries = vec![Entry::Paragraph {
                        block: BlockId::default(),
                        text: e.label(),
                    }];
                    true
                }
                _ => false,
            }
        });
        let withheld: std::collections::HashSet<&ActionId> = view
            .actions
            .iter()
            .filter(|a| {
                a.item
                    .as_ref()
                    .and_then(|i| index.item(i))
                    .is_some_and(|i| i.withheld_by.is_some())
            })
            .map(|a| &a.id)
            .collect();
        r.actions.retain(|row| !withheld.contains(&row.line.id));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::tests::fixture;
    use crate::meeting::Meeting;
    use yrs::Transact;

    fn reading_of_fixture() -> Reading {
        let minutes = crate::meeting::import::parse_minutes(&fixture::fixture()).expect("imports");
        let meeting = Meeting::new(yrs::Doc::new());
        {
            let mut txn = meeting.doc().transact_mut();
            meeting.import_minutes(&mut txn, &minutes).expect("imports");
        }
        // An action after the first block of the first item with blocks, one at its start.
        let view = meeting.view(&meeting.doc().transact());
        let item = view
            .items
            .iter()
            .find(|i| !i.blocks.is_empty())
            .expect("blocks");
        let owner = view.people[0].id.clone();
        {
            let mut txn = meeting.doc().transact_mut();
            for block in [Some(item.blocks[0].id.clone()), None] {
                let action = crate::meeting::NewAction {
                    fields: crate::meeting::ActionFields {
                        description: "Circulate the report".into(),
                        due: "2027-01-05".into(),
                        ..Default::default()
                    },
                    owners: vec![owner.clone()],
                    item: Some(item.id.clone()),
                    block,
                };
                meeting.add_action(&mut txn, &action).expect("adds");
            }
        }
        let view = meeting.view(&meeting.doc().transact());
        Reading::new(&view, "DRAFT")
    }

    #[test]
    fn actions_sit_where_they_were_flagged_with_owners_due_and_status() {
        let r = reading_of_fixture();
        assert_eq!(r.actions.len(), 2);
        let placed: Vec<&ActionLine> = r
            .items
            .iter()
            .flat_map(|i| &i.entries)
            .filter_map(|e| match e {
                Entry::Action(a) => Some(a),
                _ => None,
            })
            .collect();
        assert_eq!(
            placed.len(),
            r.actions.len(),
            "every action is in place once"
        );
        let item = r
            .items
            .iter()
            .find(|i| i.entries.len() > 2)
            .expect("the item");
        assert!(
            matches!(item.entries[0], Entry::Action(_)),
            "raised at the start"
        );
        assert!(
            matches!(item.entries[2], Entry::Action(_)),
            "raised after block 1"
        );
        let Entry::Action(a) = &item.entries[2] else {
            unreachable!()
        };
        assert_eq!(a.label, "ACTION:");
        let owner = &r.attendance[0].cells;
        let short = if owner[2].is_empty() {
            &owner[0]
        } else {
            &owner[2]
        };
        assert_eq!(a.tail(), format!(" — {short} · due 2027-01-05 · open"));
    }
}
