//! Importing the published January 2022 assurance meeting minutes
//! (`shared/fixtures/assurance-meeting-2022-01.txt`, a copy of the team's fixture kept in
//! this crate so a clean clone has it).

use crate::meeting::import::parse_minutes;
use crate::meeting::{export, markdown, Attendance, BlockKind, Meeting, Minutes, MinutesItem};
use std::path::Path;
use yrs::{Doc, Transact};

pub(crate) fn fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/assurance-meeting-2022-01.txt");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn imported() -> Minutes {
    parse_minutes(&fixture()).expect("the fixture imports")
}

fn shorts(m: &Minutes, ids: &[usize]) -> Vec<String> {
    ids.iter()
        .map(|&i| m.people[i].person.short.clone())
        .collect()
}

/// The block whose text starts with `prefix`.
fn block<'a>(item: &'a MinutesItem, prefix: &str) -> &'a crate::meeting::MinutesBlock {
    item.blocks
        .iter()
        .find(|b| b.text.starts_with(prefix))
        .unwrap_or_else(|| panic!("no block starting {prefix:?} in {:?}", item.title))
}

/// The header, the register with capacities and short forms, the chair and minute-taker.
#[test]
fn header_and_register() {
    let m = imported();
    let h = &m.header;
    assert_eq!(
        h.title,
        "Monthly Assurance Meeting January 2022– Meeting Notes"
    );
    assert_eq!(h.series, "Monthly Assurance Meeting");
    assert_eq!(h.date, "Monday 31st January");
    assert_eq!(h.start_time, "2:00 pm");
    assert_eq!(h.venue, "West Mercia Police HQ");
    assert_eq!(h.next.date, "Friday 11th March");
    assert_eq!(h.next.kind, "Performance");
    assert_eq!((h.next.time.as_str(), h.next.venue.as_str()), ("", ""));

    let people: Vec<(&str, &str, &str)> = m
        .people
        .iter()
        .map(|p| {
            (
                p.person.name.as_str(),
                p.person.capacity.as_str(),
                p.person.short.as_str(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("John Campion", "Police and Crime Commissioner", "PCC"),
            (
                "Tracey Onslow",
                "Deputy Police and Crime Commissioner",
                "DPCC"
            ),
            ("Jackie Irvin", "Senior Policy Manager", "JI"),
            ("Pippa Mills", "Chief Constable", "CC"),
            ("Julian Moss", "Deputy Chief Constable", "DCC"),
            ("Damian Barrett", "T/Assistant Chief Constable", "DB"),
            ("Mel Crowther", "T/Ch. Supt Crime and Vulnerability", "MC"),
        ]
    );
    assert!(m.people.iter().all(|p| p.attendance == Attendance::Present));
    assert_eq!(
        m.chair,
        Some(0),
        "the chair John Campion is the PCC in the register"
    );

    assert_eq!(m.minute_takers.len(), 1);
    let t = &m.minute_takers[0];
    assert_eq!(
        (
            t.name.as_str(),
            t.capacity.as_str(),
            t.organisation.as_str()
        ),
        ("Charity Pearce", "Assistant Policy Officer", "OPCC")
    );
}

/// Items 1–4 with their titles, 2.1–2.6 under 2, sub-headings, page-break joins.
#[test]
fn items_and_blocks() {
    let m = imported();
    let titles: Vec<&str> = m.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Outstanding Matters / Matters arising",
            "Holding to account – Homicide performance",
            "AOB",
            "Confirmation of next meeting type / date / time / venue:",
        ]
    );
    let subs: Vec<&str> = m.items[1]
        .children
        .iter()
        .map(|i| i.title.as_str())
        .collect();
    assert_eq!(
        subs,
        [
            "Current Investigative demand",
            "Data quality",
            "Governance arrangements",
            "DA/VAWG",
            "Mental health",
            "Next steps"
        ]
    );
    assert!(m
        .items
        .iter()
        .enumerate()
        .all(|(i, it)| i == 1 || it.children.is_empty()));
    assert!(m.items[1].children.iter().all(|c| c.children.is_empty()));

    // Item 1: title and text on one line.
    assert_eq!(m.items[0].blocks.len(), 1);
    assert_eq!(m.items[0].blocks[0].text, "There were none.");
    assert_eq!(m.items[0].blocks[0].kind, BlockKind::Paragraph);

    // Item 2: the <u> line is a sub-heading, then 15 paragraphs.
    let two = &m.items[1];
    assert_eq!(two.blocks[0].kind, BlockKind::SubHeading);
    assert_eq!(two.blocks[0].text, "Homicide data and trends");
    assert_eq!(two.blocks.len(), 16);
    assert!(two.blocks[1..]
        .iter()
        .all(|b| b.kind != BlockKind::SubHeading));

    // Sentences split by page breaks are joined again.
    let joined = block(two, "Many of the victims");
    assert!(joined.text.ends_with(
        "DB added that the force are working to understand how the data can be further analysed to make data more meaningful for local policing."
    ));
    let dq = &two.children[1];
    assert_eq!(dq.blocks.len(), 3);
    assert!(dq.blocks[1]
        .text
        .contains("the right data sharing agreements are in place"));

    // 2.6's body continues after a page break and is not glued to its title.
    let next_steps = &two.children[5];
    assert_eq!(next_steps.blocks.len(), 3);
    assert!(next_steps.blocks[0]
        .text
        .starts_with("The force have recently developed"));

    // AOB and the next meeting item keep their text.
    assert_eq!(m.items[2].blocks.len(), 1);
    assert_eq!(m.items[2].blocks[0].text, "N/A.");
    let texts: Vec<&str> = m.items[3].blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, ["Friday 11th March", "Performance"]);
    assert!(m.actions.is_empty());
}

/// Statements are attributed where the text names the speaker.
#[test]
fn statements_are_attributed() {
    let m = imported();
    let two = &m.items[1];
    let speakers = |prefix: &str| {
        let b = block(two, prefix);
        assert_eq!(b.kind, BlockKind::Statement, "{prefix}");
        shorts(&m, &b.speakers)
    };
    assert_eq!(
        speakers("Homicides can impact public confidence"),
        ["PCC", "DCC"]
    );
    assert_eq!(
        speakers("The PCC sought assurance that there is confidence"),
        ["PCC", "CC", "DCC"]
    );
    assert_eq!(
        speakers("As a result of the highlighted data errors"),
        ["PCC", "DB"]
    );
    assert_eq!(speakers("The PCC acknowledged"), ["PCC", "MC"]);
    assert_eq!(speakers("Various data was provided"), ["JI", "DCC"]);
    assert_eq!(speakers("Many of the victims"), ["DPCC", "CC", "DB"]);
    assert_eq!(speakers("The PCC is comfortable"), ["PCC"]);
    // Mentions that are not speech leave a paragraph.
    for prefix in [
        "The CC provided the PCC",
        "There was a discussion",
        "The force are working with OPCC",
    ] {
        let b = block(two, prefix);
        assert_eq!(b.kind, BlockKind::Paragraph, "{prefix}");
        assert!(b.speakers.is_empty());
    }
    let gov = &two.children[2];
    assert_eq!(shorts(&m, &gov.blocks[0].speakers), ["PCC", "DCC"]);
}

/// Written into a document, the view has the numbers 1, 2, 2.1 … 2.6, 3, 4.
#[test]
fn into_a_document_and_numbered() {
    let m = imported();
    let meeting = Meeting::new(Doc::new());
    let mut txn = meeting.doc().transact_mut();
    meeting.import_minutes(&mut txn, &m).unwrap();
    let view = meeting.view(&txn);
    let numbers: Vec<&str> = view.items.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(
        numbers,
        ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4"]
    );
    assert_eq!(view.items[2].depth, 1);
    assert_eq!(view.people.len(), 7);
    let chair = view
        .header
        .chair
        .as_ref()
        .and_then(|c| view.person(c))
        .unwrap();
    assert_eq!(chair.person.short, "PCC");
    assert_eq!(
        Minutes::from_view(&view),
        m,
        "the document holds exactly the imported structure"
    );
}

/// The fixture survives Markdown export and import, and renders as HTML.
#[test]
fn exports() {
    let m = imported();
    let meeting = Meeting::new(Doc::new());
    let mut txn = meeting.doc().transact_mut();
    meeting.import_minutes(&mut txn, &m).unwrap();
    let view = meeting.view(&txn);

    let md = export::markdown(&view);
    assert!(
        md.contains("\n### 2.1 Current Investigative demand\n"),
        "{md}"
    );
    assert!(md.contains("\n**Homicide data and trends**\n"));
    assert!(md.contains("\n**PCC, DCC:** Homicides can impact public confidence"));
    assert!(md.contains("| Pippa Mills | Chief Constable | CC |  | present |"));
    assert_eq!(markdown::parse(&md).unwrap(), m);

    let html = export::html(&view);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<h4><span class=\"number\">2.1</span> Current Investigative demand</h4>")
    );
    assert!(html.contains("<span class=\"speakers\">PCC, CC, DCC:</span> The PCC sought assurance"));
    assert!(html.contains("<td>Pippa Mills</td><td>Chief Constable</td><td>CC</td>"));
    assert!(html.contains("<h2>Action log</h2>"));
    assert!(html.contains("the CC&#39;s presentation"));
    assert!(!html.contains("<script"));
}
