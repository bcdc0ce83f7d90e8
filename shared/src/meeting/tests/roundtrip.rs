//! Markdown is canonical: for generated meetings, export → import → the same structure,
//! both as [`Minutes`] and once written into a new document.

use crate::meeting::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use yrs::{Doc, Transact};

/// Text with everything that could be mistaken for structure.
pub(crate) fn text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => "[a-zA-Z]{1,8}".prop_map(|s| s),
        3 => Just(" ".to_owned()),
        1 => prop::sample::select(vec![
            "\n", "\t", "\\", "*", "**", "_", "#", "## 1 ", "|", "&", "&#32;", ":", ",", ";", "(", ")", "-", "- ", "> ",
            "<", "<!-- empty -->", "1.", "2)", "`", "[x]", "é", "\u{a0}", "–", "\r", "ACTION", "- **Action", "#3", "  ",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

fn person() -> impl Strategy<Value = Person> {
    (
        text(4),
        text(4),
        prop_oneof![Just(String::new()), "[A-Z]{1,4}", text(2)],
        text(3),
    )
        .prop_map(|(name, capacity, short, organisation)| Person {
            name,
            capacity,
            short,
            organisation,
        })
}

fn block() -> impl Strategy<Value = (BlockKind, String, Vec<u8>)> {
    (
        prop::sample::select(BlockKind::ALL.to_vec()),
        text(12),
        prop::collection::vec(any::<u8>(), 0..3),
    )
}

/// An exemption: (0 confidential, 1–7 a Schedule 12A paragraph; the confidential reason;
/// the public title).
pub(crate) type ExemptionSpec = (u8, String, String);

/// Some exemptions: none (most often), a Schedule 12A paragraph or confidential, with
/// texts that could be mistaken for structure.
pub(crate) fn exemption() -> impl Strategy<Value = Option<ExemptionSpec>> {
    prop_oneof![
        3 => Just(None),
        1 => (0u8..8, text(4), prop_oneof![Just(String::new()), text(4)]).prop_map(Some),
    ]
}

pub(crate) fn exemption_of(spec: Option<ExemptionSpec>) -> (Option<Exemption>, String) {
    match spec {
        None => (None, String::new()),
        Some((p, note, public_title)) => (
            Some(match Paragraph::new(p) {
                Some(p) => Exemption::Schedule12A(p),
                None => Exemption::confidential(&note),
            }),
            public_title,
        ),
    }
}

/// (level move: 0 sibling, 1 child, 2+ up, title, blocks, exemption)
pub(crate) type ItemSpec = (
    u8,
    String,
    Vec<(BlockKind, String, Vec<u8>)>,
    Option<ExemptionSpec>,
);

pub(crate) fn build_items(specs: Vec<ItemSpec>, people: usize) -> Vec<MinutesItem> {
    let mut roots: Vec<MinutesItem> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for (mv, title, blocks, exempt) in specs {
        let (exemption, public_title) = exemption_of(exempt);
        let item = MinutesItem {
            // Some standing items, decided by the generated title.
            standing: title.len() % 3 == 0,
            exemption,
            public_title,
            title,
            blocks: blocks
                .into_iter()
                .map(|(kind, text, speakers)| MinutesBlock {
                    kind,
                    text,
                    speakers: if people == 0 {
                        Vec::new()
                    } else {
                        speakers.iter().map(|s| usize::from(*s) % people).collect()
                    },
                })
                .collect(),
            children: Vec::new(),
        };
        if !path.is_empty() {
            match mv {
                1 if path.len() < 4 => {}
                0 | 1 => {
                    path.pop();
                }
                _ => {
                    path.pop();
                    if path.len() > 1 {
                        path.pop();
                    }
                }
            }
        }
        let (_, list) = descend(&mut roots, &path);
        list.push(item);
        path.push(list.len() - 1);
    }
    roots
}

fn descend<'a>(
    mut list: &'a mut Vec<MinutesItem>,
    path: &[usize],
) -> (usize, &'a mut Vec<MinutesItem>) {
    for &i in path {
        list = &mut list[i].children;
    }
    (path.len(), list)
}

fn paths(items: &[MinutesItem], prefix: &mut Vec<usize>, out: &mut Vec<(ItemPath, usize)>) {
    for (i, it) in items.iter().enumerate() {
        prefix.push(i);
        out.push((ItemPath(prefix.clone()), it.blocks.len()));
        paths(&it.children, prefix, out);
        prefix.pop();
    }
}

pub(crate) fn minutes() -> impl Strategy<Value = Minutes> {
    let header = (
        text(6),
        text(4),
        text(4),
        text(3),
        text(4),
        // The Status line is the server's lifecycle status; the importer ignores it.
        Just(MeetingStatus::Draft),
        (text(3), text(2), text(3), text(3)),
    )
        .prop_map(
            |(title, series, date, start_time, venue, status, (nd, nt, nk, nv))| Header {
                title,
                series,
                date,
                start_time,
                venue,
                status,
                next: NextMeeting {
                    date: nd,
                    time: nt,
                    kind: nk,
                    venue: nv,
                },
            },
        );
    let taker =
        (text(3), text(3), text(3)).prop_map(|(name, capacity, organisation)| MinuteTaker {
            name,
            capacity,
            organisation,
        });
    let items = prop::collection::vec(
        (
            any::<u8>().prop_map(|m| m % 4),
            text(5),
            prop::collection::vec(block(), 0..4),
            exemption(),
        ),
        0..9,
    );
    let action = (
        text(8),
        text(3),
        prop::sample::select(ActionStatus::ALL.to_vec()),
        prop::option::of((1u32..200, 0u8..100)),
        prop::collection::vec(any::<u8>(), 0..3),
        prop::option::of((any::<u8>(), prop::option::of(any::<u8>()))),
    );
    (
        header,
        prop::option::of(any::<u8>()),
        prop::collection::vec(taker, 0..3),
        prop::collection::vec((person(), 0u8..6, any::<u8>()), 0..6),
        items,
        prop::collection::vec(action, 0..5),
    )
        .prop_map(|(header, chair, minute_takers, people, items, actions)| {
            let n = people.len();
            let items = build_items(items, n);
            let mut all = Vec::new();
            paths(&items, &mut Vec::new(), &mut all);
            let people = people
                .into_iter()
                .map(|(person, att, joined)| MinutesPerson {
                    person,
                    attendance: match att {
                        0 => Attendance::Present,
                        1 => Attendance::Apologies,
                        2 => Attendance::Absent,
                        3 => Attendance::JoinedFor(None),
                        4 => Attendance::Unknown,
                        _ => Attendance::JoinedFor(
                            all.get(usize::from(joined) % all.len().max(1))
                                .map(|(p, _)| p.clone()),
                        ),
                    },
                })
                .collect();
            let actions = actions
                .into_iter()
                .map(
                    |(description, due, status, reference, owners, raised)| MinutesAction {
                        fields: ActionFields {
                            description,
                            due,
                            status,
                            reference: reference.map(|(n, y)| format!("{n:02}/{y:02}")),
                        },
                        owners: if n == 0 {
                            Vec::new()
                        } else {
                            owners.iter().map(|o| usize::from(*o) % n).collect()
                        },
                        raised_in: raised.and_then(|(item, block)| {
                            let (path, blocks) = all.get(usize::from(item) % all.len().max(1))?;
                            Some(RaisedIn {
                                item: path.clone(),
                                block: block
                                    .and_then(|b| (*blocks > 0).then(|| usize::from(b) % blocks)),
                            })
                        }),
                    },
                )
                .collect();
            Minutes {
                header,
                chair: chair.and_then(|c| (n > 0).then(|| usize::from(c) % n)),
                minute_takers,
                people,
                items,
                actions,
            }
        })
}

pub(crate) fn view_of(minutes: &Minutes) -> MeetingView {
    let m = Meeting::new(Doc::new());
    let mut txn = m.doc().transact_mut();
    m.import_minutes(&mut txn, minutes)
        .expect("generated minutes are valid");
    m.view(&txn)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn markdown_round_trips(generated in minutes()) {
        let view = view_of(&generated);
        let structure = Minutes::from_view(&view);
        let md = export::markdown(&view);
        let parsed = markdown::parse(&md).map_err(|e| TestCaseError::fail(format!("{e}\n{md}")))?;
        prop_assert_eq!(&parsed, &structure, "{}", md);
        // Written into a new document, the structure (and so the export) is the same again.
        let again = view_of(&parsed);
        prop_assert_eq!(Minutes::from_view(&again), structure);
        prop_assert_eq!(export::markdown(&again), md);
        // The HTML export never lets text through unescaped.
        let html = export::html(&view);
        prop_assert!(!html.contains("<!-- empty -->") && !html.contains("<script"));
    }
}

/// A hand-made meeting with every block kind, actions in every position and a late joiner.
#[test]
fn every_feature_round_trips() {
    let m = Meeting::new(Doc::new());
    let mut txn = m.doc().transact_mut();
    let one = m.insert_item(&mut txn, None, 0, "Welcome").unwrap();
    let two = m.insert_item(&mut txn, None, 1, "Performance: Q3").unwrap();
    let sub = m.insert_item(&mut txn, Some(&two), 0, "Data").unwrap();
    let cc = m.add_person(
        &mut txn,
        &Person {
            name: "Pippa Mills".into(),
            capacity: "Chief Constable".into(),
            short: "CC".into(),
            organisation: "WMP".into(),
        },
        &Attendance::Present,
    );
    let twin1 = m.add_person(
        &mut txn,
        &Person {
            name: "Sam".into(),
            ..Person::default()
        },
        &Attendance::JoinedFor(Some(sub.clone())),
    );
    let twin2 = m.add_person(
        &mut txn,
        &Person {
            name: "Sam".into(),
            ..Person::default()
        },
        &Attendance::Apologies,
    );
    m.set_chair(&mut txn, Some(&cc)).unwrap();
    m.insert_block(&mut txn, &one, 0, BlockKind::SubHeading, "Note:")
        .unwrap();
    let st = m
        .insert_block(
            &mut txn,
            &one,
            1,
            BlockKind::Paragraph,
            "Sam said hello.\nTwice.",
        )
        .unwrap();
    m.set_speakers(&mut txn, &st, &[twin1.clone(), twin2.clone()])
        .unwrap();
    let dec = m
        .insert_block(
            &mut txn,
            &sub,
            0,
            BlockKind::Decision,
            "Agreed: publish\n\nquarterly",
        )
        .unwrap();
    m.insert_block(&mut txn, &sub, 1, BlockKind::Paragraph, "")
        .unwrap();
    m.add_action(
        &mut txn,
        &NewAction {
            owners: vec![cc.clone()],
            item: Some(sub.clone()),
            block: Some(dec),
            ..NewAction::default()
        },
    )
    .unwrap();
    m.add_action(
        &mut txn,
        &NewAction {
            item: Some(two.clone()),
            ..NewAction::default()
        },
    )
    .unwrap();
    m.add_action(
        &mut txn,
        &NewAction {
            fields: ActionFields {
                description: "loose".into(),
                due: "1 May (tbc)".into(),
                reference: Some("01/24".into()),
                ..ActionFields::default()
            },
            owners: vec![twin2],
            ..NewAction::default()
        },
    )
    .unwrap();
    let view = m.view(&txn);
    let md = export::markdown(&view);
    for expected in [
        "- Chair: CC",
        "| Sam |  |  |  | joined for item 2.1 |",
        "**Note\\:**",
        "**#2, #3:** Sam said hello.\\\nTwice.",
        "> **Decision:** Agreed: publish\\\n> \\\n> quarterly",
        "<!-- empty -->",
        "- **Action** (owners: CC; status: open):",
        "## Other actions\n\n- **Action 01/24** (owners: #3; due: 1 May \\(tbc\\); status: open): loose",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    assert_eq!(markdown::parse(&md).unwrap(), Minutes::from_view(&view));
}
