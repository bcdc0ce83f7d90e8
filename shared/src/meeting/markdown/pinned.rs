//! The pin on the canonical bytes: signed versions are stored and hashed, so the Markdown
//! of a meeting with no exempt item must never change. [`legacy_to_markdown_as`] is a
//! verbatim copy of `to_markdown_as` as it was before exempt items (M7); the property test
//! in `meeting::tests::exempt` compares the two over generated meetings, and
//! [`fixture_exports_are_pinned`] pins the SHA-256 of the fixture's exports.

use super::*;
use crate::trust::sha256_hex;

/// `to_markdown_as` before M7, kept byte for byte as the oracle.
pub(crate) fn legacy_to_markdown_as(view: &MeetingView, status: &str) -> String {
    let index = ViewIndex::new(view);
    let tokens = person_tokens(view);
    let token = |id: &crate::meeting::model::PersonId| -> Option<&str> {
        index.person_position(id).map(|i| tokens[i].as_str())
    };
    let refs = |ids: &[crate::meeting::model::PersonId]| -> String {
        ids.iter().filter_map(&token).collect::<Vec<_>>().join(", ")
    };
    let h = &view.header.fields;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", esc(&h.title, &[]));
    let field = |out: &mut String, key: &str, value: &str| {
        let _ = writeln!(out, "{}", format!("- {key}: {value}").trim_end());
    };
    field(&mut out, "Series", &esc(&h.series, &[]));
    field(&mut out, "Date", &esc(&h.date, &[]));
    field(&mut out, "Start time", &esc(&h.start_time, &[]));
    field(&mut out, "Venue", &esc(&h.venue, &[]));
    field(
        &mut out,
        "Chair",
        view.header.chair.as_ref().and_then(token).unwrap_or(""),
    );
    let takers: Vec<String> = view
        .header
        .minute_takers
        .iter()
        .map(|t| {
            let e = |s: &str| esc(s, &[',', ';']);
            format!(
                "{}, {}, {}",
                e(&t.taker.name),
                e(&t.taker.capacity),
                e(&t.taker.organisation)
            )
        })
        .collect();
    field(&mut out, "Minutes", &takers.join("; "));
    field(&mut out, "Status", &esc(status, &[]));
    field(&mut out, "Next meeting date", &esc(&h.next.date, &[]));
    field(&mut out, "Next meeting time", &esc(&h.next.time, &[]));
    field(&mut out, "Next meeting type", &esc(&h.next.kind, &[]));
    field(&mut out, "Next meeting venue", &esc(&h.next.venue, &[]));

    let _ = writeln!(out, "\n## {ATTENDANCE}\n\n{TABLE_HEAD}\n{TABLE_RULE}");
    for p in &view.people {
        let attendance = match &p.attendance {
            Attendance::Present => "present".to_owned(),
            Attendance::Apologies => "apologies".to_owned(),
            Attendance::Absent => "absent".to_owned(),
            Attendance::Unknown => NOT_RECORDED.to_owned(),
            Attendance::JoinedFor(item) => match item.as_ref().and_then(|i| index.item(i)) {
                Some(item) => format!("joined for item {}", item.number),
                None => "joined late".to_owned(),
            },
        };
        let c = |s: &str| esc(s, &[]);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            c(&p.person.name),
            c(&p.person.capacity),
            c(&p.person.short),
            c(&p.person.organisation),
            attendance
        );
    }

    let action = |out: &mut String, a: &crate::meeting::view::ActionView| {
        let mut attrs = Vec::new();
        if !a.owners.is_empty() {
            let owners: Vec<&str> = a.owners.iter().filter_map(&token).collect();
            attrs.push(format!("owners: {}", owners.join(", ")));
        }
        if !a.fields.due.is_empty() {
            attrs.push(format!("due: {}", esc(&a.fields.due, &[';', '(', ')'])));
        }
        attrs.push(format!("status: {}", a.fields.status.as_str()));
        let reference = a
            .fields
            .reference
            .as_ref()
            .map(|r| format!(" {}", esc(r, &[])))
            .unwrap_or_default();
        let description = if a.fields.description.is_empty() {
            String::new()
        } else {
            format!(" {}", esc_block(&a.fields.description))
        };
        let _ = writeln!(
            out,
            "\n- **Action{reference}** ({}):{description}",
            attrs.join("; ")
        );
    };

    for item in &view.items {
        let level = "#".repeat((item.depth + 2).min(5));
        let title = if item.title.is_empty() {
            String::new()
        } else {
            format!(" {}", esc(&item.title, &[]))
        };
        let _ = writeln!(out, "\n{level} {}{title}", item.number);
        if item.standing {
            let _ = writeln!(out, "\n{STANDING_LINE}");
        }
        for a in index.actions_at(&item.id, None) {
            action(&mut out, a);
        }
        for b in &item.blocks {
            let text = esc_block(&b.text);
            let sep = if text.is_empty() { "" } else { " " };
            let _ = match b.kind {
                BlockKind::Paragraph if text.is_empty() => writeln!(out, "\n{EMPTY_PARAGRAPH}"),
                BlockKind::Paragraph => writeln!(out, "\n{text}"),
                BlockKind::SubHeading => writeln!(out, "\n**{}**", esc_bold(&b.text)),
                BlockKind::Statement => writeln!(out, "\n**{}:**{sep}{text}", refs(&b.speakers)),
                BlockKind::Decision => {
                    let quoted = format!("**Decision:**{sep}{text}").replace('\n', "\n> ");
                    writeln!(out, "\n> {quoted}")
                }
            };
            for a in index.actions_at(&item.id, Some(&b.id)) {
                action(&mut out, a);
            }
        }
    }
    let others: Vec<_> = view.actions.iter().filter(|a| a.item.is_none()).collect();
    if !others.is_empty() {
        let _ = writeln!(out, "\n## {OTHER_ACTIONS}");
        for a in others {
            action(&mut out, a);
        }
    }
    out
}

/// The fixture as a document, with a standing item and actions in every position
/// (at an item's start, after a block, and not raised in any item).
pub(crate) fn fixture_view() -> MeetingView {
    use crate::meeting::{ActionFields, Meeting, NewAction};
    use yrs::{Doc, Transact};
    let minutes = crate::meeting::import::parse_minutes(&crate::meeting::tests::fixture::fixture())
        .expect("the fixture imports");
    let meeting = Meeting::new(Doc::with_client_id(1));
    let mut txn = meeting.doc().transact_mut();
    meeting
        .import_minutes(&mut txn, &minutes)
        .expect("the fixture imports");
    let view = meeting.view(&txn);
    let first = view.items[0].id.clone();
    meeting
        .set_standing(&mut txn, &first, true)
        .expect("a live item");
    let two = &view.items[1];
    let owner = view.people[3].id.clone();
    for (item, block, description) in [
        (Some(two.id.clone()), None, "Review the homicide data"),
        (
            Some(two.id.clone()),
            Some(two.blocks[2].id.clone()),
            "Report on *data quality*",
        ),
        (None, None, "Circulate the notes"),
    ] {
        meeting
            .add_action(
                &mut txn,
                &NewAction {
                    fields: ActionFields {
                        description: description.into(),
                        due: "11 March".into(),
                        reference: Some("01/22".into()),
                        ..ActionFields::default()
                    },
                    owners: vec![owner.clone()],
                    item,
                    block,
                },
            )
            .expect("adds");
    }
    meeting.view(&txn)
}

#[test]
fn fixture_exports_are_pinned() {
    let view = fixture_view();
    let signed = crate::signoff::signed_status(3, "Jane Chair", 1_795_687_445_123);
    for (status, expected) in [
        (
            DRAFT_STATUS,
            "155bd41e5b1ac26f8bfdca7205f665bb354731b1b79ccab4036cc9d56a900860",
        ),
        (
            signed.as_str(),
            "ad3179b1d2d76c71d322db211130e0ee6b5ce0266fe6349a5adea1f9d6d1f8ed",
        ),
    ] {
        let md = to_markdown_as(&view, status);
        assert_eq!(md, legacy_to_markdown_as(&view, status));
        assert_eq!(sha256_hex(md.as_bytes()), expected, "{md}");
    }
}
