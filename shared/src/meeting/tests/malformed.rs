//! Malformed input gives an error that says what and where — never a panic — and the
//! legacy importer reads other meetings of the same shape, with actions.

use super::fixture::fixture;
use crate::meeting::import::{parse_minutes, ImportError};
use crate::meeting::{markdown, ActionStatus, Attendance, BlockKind, ItemPath};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const OTHER_MEETING: &str = "Quarterly Estates Board March 2023 - Minutes

Date: Tuesday 14th March 2023, 10.30am
Chair: Alice Smith
Minutes: Bob Jones, Governance Officer, OPCC; Carol White, Clerk, OPCC
Location: Hindlip Hall

\tName:\tCapacity:\tOrganisation:
Present:\tAlice Smith\tChief Executive (CE)\tOPCC
\tDavid Brown\tHead of Estates\tWest Mercia Police
\tEve Black (joined for item 2)\tChief Finance Officer (CFO)\tOPCC
Apologies:\tFrank Green\tEstates Surveyor (FG)\tWest Mercia Police

No.\tItem
1.\tApologies Noted as above.
2.\t<p>Estates strategy</p> <p>DB presented the draft strategy. The CE asked whether the timeline was realistic. DB and the CFO responded that it was.</p> <p>ACTION 06/23: DB to circulate the final strategy by 31 March 2023.</p>
2.1\t<p><u>Disposals</u></p> <p>The CE and DB agreed the list.</p> <p>ACTION: CE and CFO to confirm values.</p>
3.\t<p>Date of next meeting</p> <p>Date: Tuesday 13th June</p> <p>Time: 2pm</p> <p>Venue: Hindlip Hall</p> <p>Type: Board</p>
";

/// Another meeting: other people, initials used in the text, apologies, a late joiner,
/// two minute-takers, actions with and without references.
#[test]
fn another_meeting_of_the_same_shape() {
    let m = parse_minutes(OTHER_MEETING).unwrap();
    assert_eq!(m.header.series, "Quarterly Estates Board");
    assert_eq!(
        (m.header.date.as_str(), m.header.start_time.as_str()),
        ("Tuesday 14th March 2023", "10.30am")
    );
    assert_eq!(m.header.venue, "Hindlip Hall");
    assert_eq!(m.minute_takers.len(), 2);
    assert_eq!(m.minute_takers[1].name, "Carol White");
    let shorts: Vec<&str> = m.people.iter().map(|p| p.person.short.as_str()).collect();
    assert_eq!(
        shorts,
        ["CE", "DB", "CFO", "FG"],
        "David Brown's initials are used in the text"
    );
    assert_eq!(m.people[1].person.organisation, "West Mercia Police");
    assert_eq!(m.people[2].person.name, "Eve Black");
    assert_eq!(
        m.people[2].attendance,
        Attendance::JoinedFor(Some(ItemPath(vec![1])))
    );
    assert_eq!(m.people[3].attendance, Attendance::Apologies);
    assert_eq!(m.chair, Some(0));

    assert_eq!(m.items.len(), 3);
    assert_eq!(m.items[0].title, "Apologies");
    assert_eq!(m.items[0].blocks[0].text, "Noted as above.");
    let two = &m.items[1];
    assert_eq!(two.blocks.len(), 1);
    assert_eq!(two.blocks[0].kind, BlockKind::Statement);
    assert_eq!(two.blocks[0].speakers, [1, 0, 2]);
    assert_eq!(two.children[0].title, "Disposals");
    assert_eq!(two.children[0].blocks[0].speakers, [0, 1]);

    assert_eq!(m.actions.len(), 2);
    let a = &m.actions[0];
    assert_eq!(a.fields.reference.as_deref(), Some("06/23"));
    assert_eq!(a.owners, [1]);
    assert_eq!(
        a.fields.description,
        "circulate the final strategy by 31 March 2023."
    );
    assert_eq!(a.fields.due, "31 March 2023");
    assert_eq!(a.fields.status, ActionStatus::Open);
    let raised = a.raised_in.as_ref().unwrap();
    assert_eq!(
        (raised.item.number(), raised.block),
        ("2".to_owned(), Some(0))
    );
    let b = &m.actions[1];
    assert_eq!(
        (b.fields.reference.as_deref(), b.owners.as_slice()),
        (None, &[0, 2][..])
    );
    assert_eq!(b.raised_in.as_ref().unwrap().item.number(), "2.1");

    let next = &m.header.next;
    assert_eq!(
        (
            next.date.as_str(),
            next.time.as_str(),
            next.venue.as_str(),
            next.kind.as_str()
        ),
        ("Tuesday 13th June", "2pm", "Hindlip Hall", "Board")
    );
}

fn error(input: &str) -> ImportError {
    match parse_minutes(input) {
        Ok(m) => panic!("accepted malformed input: {m:#?}"),
        Err(e) => e,
    }
}

/// Each malformed shape names its line and what is wrong.
#[test]
fn legacy_errors_say_what_and_where() {
    let head = "Title\nDate: Monday 1st May\n\n\tName:\tCapacity:\nAttendance:\tA B\tRole (AB)\n\nNo.\tItem\n";
    let cases: &[(String, usize, &str)] = &[
        (String::new(), 1, "empty"),
        ("\n\n  \n".into(), 3, "empty"),
        ("Date: Monday\n".into(), 1, "expected a title line"),
        (
            "Title\nWhatever this is\n".into(),
            2,
            "unrecognised header line",
        ),
        ("Title\nDate: x\n".into(), 2, "no numbered items"),
        (head.to_string(), 7, "no numbered items"),
        (format!("{head}2.\tTwo\n"), 8, "expected 1"),
        (format!("{head}1.\tOne\n1.2\tBad\n"), 9, "expected 2, 1.1"),
        (
            format!("{head}1.\tOne\n2.\tTwo\n2.3\tBad\n"),
            10,
            "expected 3, 2.1",
        ),
        (
            format!("{head}1.\t<p>One</p> <p>unclosed\n"),
            8,
            "without a closing </p>",
        ),
        (
            format!("{head}1.\t<p>One</p> stray <p>x</p>\n"),
            8,
            "text outside <p>",
        ),
        (
            format!("{head}1.\t<p>One <u>half</p>\n"),
            8,
            "unbalanced <u>",
        ),
        (format!("{head}1.\t\t\n"), 8, "has no title"),
        (format!("{head}1.\t<p><u></u></p>\n"), 8, "has no title"),
        (
            format!("{head}1.\tOne\n\tACTION 1/23 JI to x\n"),
            9,
            "ACTION without a colon",
        ),
        (
            "Title\n\tName:\tCapacity:\n\tA B\n".into(),
            3,
            "has no capacity",
        ),
        (
            "Title\n\tName:\tCapacity:\n\t\tRole\n".into(),
            3,
            "without a name",
        ),
        (
            "Title\n\tName:\tShoe size:\n".into(),
            2,
            "unknown attendance column",
        ),
        (
            "Title\n\tName:\tCapacity:\n\tA B\tR\tx\n".into(),
            3,
            "has 3 cells",
        ),
        (
            "Title\n\tName:\tCapacity:\nA B\n".into(),
            3,
            "expected an attendance row",
        ),
        (
            "Title\n\tName:\tCapacity:\n\tA (late)\tR\n".into(),
            3,
            "unrecognised note",
        ),
        (
            "Title\n\tName:\tCapacity:\n\tA\tR (X)\n\tB\tS (X)\n\n1.\tOne\n".into(),
            4,
            "short form X is used for both",
        ),
        (
            format!("{head}plain text first\n1.\tOne\n"),
            8,
            "text before the first numbered item",
        ),
        (
            format!("{head}\t<p>continuation first</p>\n"),
            8,
            "text before the first numbered item",
        ),
        (
            "Title\n\tName:\tCapacity:\n\tA (joined for item 7)\tR\n\n1.\tOne\n".into(),
            3,
            "joined for item 7",
        ),
    ];
    for (input, line, what) in cases {
        let e = error(input);
        assert!(
            e.message.contains(what),
            "{input:?}: expected {what:?}, got {e}"
        );
        assert_eq!(e.line, *line, "{input:?}: {e}");
        assert_eq!(e.to_string(), format!("line {}: {}", e.line, e.message));
    }
}

/// The canonical Markdown importer is strict too.
#[test]
fn markdown_errors_say_what_and_where() {
    let head = "# T\n\n- Status: draft\n\n## Attendance\n\n| Name | Capacity | Short form | Organisation | Attendance |\n| --- | --- | --- | --- | --- |\n| A | R | CC |  | present |\n";
    let cases: &[(String, usize, &str)] = &[
        (String::new(), 1, "empty"),
        ("Title\n".into(), 1, "expected the title"),
        ("# T\n\n- Colour: red\n".into(), 3, "unknown header field"),
        (
            "# T\n\n- Chair: XX\n".into(),
            3,
            "not in the attendance table",
        ),
        (
            "# T\n\n## Attendance\n\n| Name |\n".into(),
            5,
            "attendance table header",
        ),
        (format!("{head}| A | B |\n"), 10, "expected 5 cells"),
        (
            format!("{head}| A | B | C | D | sleeping |\n"),
            10,
            "unknown attendance",
        ),
        (
            format!("{head}| A | B | C | D | joined for item 9 |\n"),
            10,
            "which does not exist",
        ),
        (
            format!("{head}\nstray paragraph\n"),
            11,
            "expected an item heading",
        ),
        (format!("{head}\n## 2 Two\n"), 11, "out of sequence"),
        (format!("{head}\n## x Two\n"), 11, "expected an item number"),
        (format!("{head}\n# 1 One\n"), 11, "levels 2 to 5"),
        (
            format!("{head}\n## 1 One\n\n**ZZ:** hi\n"),
            13,
            "not in the attendance table",
        ),
        (
            format!("{head}\n## 1 One\n\n**open bold\n"),
            13,
            "without a closing",
        ),
        (
            format!("{head}\n## 1 One\n\n**Sub** trailing\n"),
            13,
            "text after a sub-heading",
        ),
        (
            format!("{head}\n## 1 One\n\n> quoted\n"),
            13,
            "must be a decision",
        ),
        (
            format!("{head}\n## 1 One\n\n- **Action** (status: maybe):\n"),
            13,
            "unknown action status",
        ),
        (
            format!("{head}\n## 1 One\n\n- **Action** (colour: red; status: open):\n"),
            13,
            "unknown action attribute",
        ),
        (
            format!("{head}\n## 1 One\n\n- **Action** (owners: CC):\n"),
            13,
            "no status",
        ),
        (
            format!("{head}\n- **Action** (status: open):\n"),
            11,
            "before the first item",
        ),
        (
            format!("{head}\n## Other actions\n\n## 1 One\n"),
            13,
            "must come before",
        ),
        (
            format!("{head}\n## Other actions\n\ntext\n"),
            13,
            "only actions",
        ),
        (
            format!("{head}\n## 1 One\n\n**#9:** hi\n"),
            13,
            "no person #9",
        ),
    ];
    for (input, line, what) in cases {
        let e = markdown::parse(input).expect_err(input);
        assert!(
            e.message.contains(what),
            "{input:?}: expected {what:?}, got {e}"
        );
        assert_eq!(e.line, *line, "{input:?}: {e}");
    }
}

fn mutate(text: &str, edits: &[(u8, u16, String)]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for (kind, at, s) in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = usize::from(*at) % lines.len();
        match kind % 5 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => lines.insert(i, s.clone()),
            3 => {
                let cut = lines[i]
                    .char_indices()
                    .nth(s.len() % 7)
                    .map_or(0, |(k, _)| k);
                lines[i].insert_str(cut, s);
            }
            _ => {
                let j = (i + s.len()) % lines.len();
                lines.swap(i, j);
            }
        }
    }
    lines.join("\n")
}

fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~\t]{0,12}",
        prop::sample::select(vec![
            "\t",
            "<p>",
            "</p>",
            "<u>",
            "</u>",
            "2.1",
            "<p>3.4</p>",
            "ACTION",
            "ACTION 1/23:",
            "Attendance:",
            "\tName:",
            "(",
            ")",
            "&amp",
            "&#",
            "é",
            "–",
            "\u{feff}",
            "\r",
            "## 1",
            "| a |",
            "**",
            "- **Action",
            "\\",
            "&#32;",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    /// Arbitrary text: either minutes or an error, never a panic.
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = parse_minutes(&s);
        let _ = markdown::parse(&s);
    }

    /// The fixture and its Markdown export, mangled line by line: never a panic, and an
    /// error always names a line of the input.
    #[test]
    fn mangled_minutes_never_panic(edits in prop::collection::vec((any::<u8>(), any::<u16>(), noise()), 1..8)) {
        let legacy = mutate(&fixture(), &edits);
        if let Err(e) = parse_minutes(&legacy) {
            prop_assert!(e.line >= 1 && e.line <= legacy.split('\n').count().max(1), "{}", e);
        }
        let md = {
            let m = parse_minutes(&fixture()).unwrap();
            let meeting = crate::meeting::Meeting::new(yrs::Doc::new());
            let mut txn = yrs::Transact::transact_mut(meeting.doc());
            meeting.import_minutes(&mut txn, &m).unwrap();
            crate::meeting::export::markdown(&meeting.view(&txn))
        };
        let mangled = mutate(&md, &edits);
        if let Err(e) = markdown::parse(&mangled) {
            prop_assert!(e.line >= 1 && e.line <= mangled.split('\n').count().max(1), "{}", e);
        }
    }
}
