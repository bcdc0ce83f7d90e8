//! Every schema operation on one document, checked through the view.

use crate::meeting::*;
use yrs::{Doc, GetString, Text, Transact, TransactionMut};

fn meeting() -> Meeting {
    Meeting::new(Doc::with_client_id(1))
}

fn person(name: &str, short: &str) -> Person {
    Person {
        name: name.into(),
        capacity: format!("{name}'s role"),
        short: short.into(),
        organisation: "Org".into(),
    }
}

fn numbers(view: &MeetingView) -> Vec<(String, String)> {
    view.items
        .iter()
        .map(|i| (i.number.clone(), i.title.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn add_items(m: &Meeting, txn: &mut TransactionMut, titles: &[&str]) -> Vec<ItemId> {
    titles
        .iter()
        .map(|t| m.insert_item(txn, None, usize::MAX, t).unwrap())
        .collect()
}

/// Header fields, status and chair are stored and read back; a removed chair reads as none.
#[test]
fn header_status_chair() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let header = Header {
        title: "T".into(),
        series: "S".into(),
        date: "D".into(),
        start_time: "2 pm".into(),
        venue: "V".into(),
        status: MeetingStatus::InMeeting,
        next: NextMeeting {
            date: "nd".into(),
            time: "nt".into(),
            kind: "nk".into(),
            venue: "nv".into(),
        },
    };
    m.set_header(&mut txn, &header);
    assert_eq!(m.view(&txn).header.fields, header);
    m.set_status(&mut txn, MeetingStatus::SignedOff);
    assert_eq!(m.view(&txn).header.fields.status, MeetingStatus::SignedOff);

    let pcc = m.add_person(&mut txn, &person("John", "PCC"), &Attendance::Present);
    m.set_chair(&mut txn, Some(&pcc)).unwrap();
    assert_eq!(m.view(&txn).header.chair, Some(pcc.clone()));
    assert_eq!(
        m.set_chair(&mut txn, Some(&PersonId::from("nobody"))),
        Err(OpError::UnknownPerson("nobody".into()))
    );
    m.remove_person(&mut txn, &pcc).unwrap();
    assert_eq!(m.view(&txn).header.chair, None);
    m.set_chair(&mut txn, None).unwrap();
    assert_eq!(m.view(&txn).header.chair, None);
}

/// Minute-takers: add, update, remove, in order.
#[test]
fn minute_takers() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let t = |n: &str| MinuteTaker {
        name: n.into(),
        capacity: "Officer".into(),
        organisation: "OPCC".into(),
    };
    let a = m.add_minute_taker(&mut txn, &t("A"));
    let b = m.add_minute_taker(&mut txn, &t("B"));
    m.update_minute_taker(&mut txn, &a, &t("A2")).unwrap();
    let names = |txn: &TransactionMut| -> Vec<String> {
        m.view(txn)
            .header
            .minute_takers
            .iter()
            .map(|t| t.taker.name.clone())
            .collect()
    };
    assert_eq!(names(&txn), ["A2", "B"]);
    m.remove_minute_taker(&mut txn, &a).unwrap();
    assert_eq!(names(&txn), ["B"]);
    assert!(matches!(
        m.update_minute_taker(&mut txn, &a, &t("x")),
        Err(OpError::UnknownMinuteTaker(_))
    ));
    assert!(m.remove_minute_taker(&mut txn, &b).is_ok());
}

/// The register: add, update, attendance (including "joined for item N"), remove.
#[test]
fn register_and_attendance() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let items = add_items(&m, &mut txn, &["One", "Two"]);
    let cc = m.add_person(&mut txn, &person("Pippa", "CC"), &Attendance::Present);
    let db = m.add_person(&mut txn, &person("Damian", "DB"), &Attendance::Apologies);
    m.update_person(&mut txn, &cc, &person("Pippa Mills", "CC"))
        .unwrap();
    m.set_attendance(
        &mut txn,
        &db,
        &Attendance::JoinedFor(Some(items[1].clone())),
    )
    .unwrap();
    let view = m.view(&txn);
    assert_eq!(view.people[0].person.name, "Pippa Mills");
    assert_eq!(
        view.people[1].attendance,
        Attendance::JoinedFor(Some(items[1].clone()))
    );
    assert!(export::markdown(&view).contains("| joined for item 2 |"));

    // Renumbering reaches the register: move item 2 to the front.
    m.move_item(&mut txn, &items[1], None, 0).unwrap();
    assert!(export::markdown(&m.view(&txn)).contains("| joined for item 1 |"));
    assert!(export::html(&m.view(&txn)).contains("Joined for item 1"));

    // A deleted item reads as "joined late".
    m.delete_item(&mut txn, &items[1]).unwrap();
    assert_eq!(
        m.view(&txn).people[1].attendance,
        Attendance::JoinedFor(None)
    );
    assert!(matches!(
        m.set_attendance(
            &mut txn,
            &db,
            &Attendance::JoinedFor(Some(items[1].clone()))
        ),
        Err(OpError::UnknownItem(_))
    ));
    m.set_attendance(&mut txn, &db, &Attendance::Absent)
        .unwrap();
    assert_eq!(m.view(&txn).people[1].attendance, Attendance::Absent);

    m.remove_person(&mut txn, &cc).unwrap();
    assert_eq!(m.view(&txn).people.len(), 1);
    assert!(matches!(
        m.update_person(&mut txn, &cc, &person("x", "y")),
        Err(OpError::UnknownPerson(_))
    ));
}

/// Insert at positions and under parents; numbers follow position.
#[test]
fn insert_and_number_items() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let items = add_items(&m, &mut txn, &["A", "C"]);
    m.insert_item(&mut txn, None, 1, "B").unwrap();
    let a1 = m.insert_item(&mut txn, Some(&items[0]), 0, "A.1").unwrap();
    m.insert_item(&mut txn, Some(&items[0]), 0, "A.0").unwrap();
    m.insert_item(&mut txn, Some(&a1), 9, "A.1.1").unwrap();
    m.insert_item(&mut txn, None, 0, "Z").unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[
            ("1", "Z"),
            ("2", "A"),
            ("2.1", "A.0"),
            ("2.2", "A.1"),
            ("2.2.1", "A.1.1"),
            ("3", "B"),
            ("4", "C")
        ])
    );
    let v = m.view(&txn);
    assert_eq!(v.items[4].depth, 2);
    assert_eq!(v.items[4].parent, Some(a1.clone()));
    assert!(matches!(
        m.insert_item(&mut txn, Some(&ItemId::from("missing")), 0, "x"),
        Err(OpError::UnknownItem(_))
    ));
}

/// Move, indent, outdent renumber everything; moving under oneself is refused.
#[test]
fn move_indent_outdent() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let ids = add_items(&m, &mut txn, &["A", "B", "C", "D"]);
    m.indent_item(&mut txn, &ids[1]).unwrap();
    m.indent_item(&mut txn, &ids[2]).unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[("1", "A"), ("1.1", "B"), ("1.2", "C"), ("2", "D")])
    );
    m.indent_item(&mut txn, &ids[2]).unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[("1", "A"), ("1.1", "B"), ("1.1.1", "C"), ("2", "D")])
    );
    assert_eq!(
        m.indent_item(&mut txn, &ids[0]),
        Err(OpError::CannotIndent(ids[0].0.clone()))
    );
    assert_eq!(
        m.indent_item(&mut txn, &ids[1]),
        Err(OpError::CannotIndent(ids[1].0.clone()))
    );

    m.outdent_item(&mut txn, &ids[2]).unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[("1", "A"), ("1.1", "B"), ("1.2", "C"), ("2", "D")])
    );
    m.outdent_item(&mut txn, &ids[1]).unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[("1", "A"), ("1.1", "C"), ("2", "B"), ("3", "D")])
    );
    assert_eq!(
        m.outdent_item(&mut txn, &ids[0]),
        Err(OpError::CannotOutdent(ids[0].0.clone()))
    );

    assert_eq!(
        m.move_item(&mut txn, &ids[0], Some(&ids[2]), 0),
        Err(OpError::Cycle(ids[0].0.clone()))
    );
    assert_eq!(
        m.move_item(&mut txn, &ids[0], Some(&ids[0]), 0),
        Err(OpError::Cycle(ids[0].0.clone()))
    );
    m.move_item(&mut txn, &ids[3], Some(&ids[0]), 0).unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[("1", "A"), ("1.1", "D"), ("1.2", "C"), ("2", "B")])
    );
    m.move_item(&mut txn, &ids[0], None, 99).unwrap();
    assert_eq!(
        numbers(&m.view(&txn)),
        pairs(&[("1", "B"), ("2", "A"), ("2.1", "D"), ("2.2", "C")])
    );
}

/// Deleting an item hides its sub-items and blocks; restoring brings the item and its
/// blocks back; titles are editable through the API and the Y.Text.
#[test]
fn delete_restore_and_titles() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let ids = add_items(&m, &mut txn, &["A", "B", "C"]);
    let sub = m.insert_item(&mut txn, Some(&ids[1]), 0, "B.1").unwrap();
    let b = m
        .insert_block(&mut txn, &ids[1], 0, BlockKind::Paragraph, "text of B")
        .unwrap();
    m.insert_block(&mut txn, &sub, 0, BlockKind::Paragraph, "text of B.1")
        .unwrap();
    m.delete_item(&mut txn, &ids[1]).unwrap();
    let v = m.view(&txn);
    assert_eq!(numbers(&v), pairs(&[("1", "A"), ("2", "C")]));
    assert!(v.items.iter().all(|i| i.blocks.is_empty()));
    assert!(matches!(
        m.insert_block(&mut txn, &ids[1], 0, BlockKind::Paragraph, "x"),
        Err(OpError::UnknownItem(_))
    ));
    assert!(matches!(
        m.delete_item(&mut txn, &ids[1]),
        Err(OpError::UnknownItem(_))
    ));

    m.restore_item(&mut txn, &ids[1]).unwrap();
    let v = m.view(&txn);
    assert_eq!(numbers(&v), pairs(&[("1", "A"), ("2", "B"), ("3", "C")]));
    assert_eq!(v.items[1].blocks[0].id, b);
    assert!(matches!(
        m.restore_item(&mut txn, &ItemId::from("nope")),
        Err(OpError::UnknownItem(_))
    ));

    m.set_item_title(&mut txn, &ids[0], "Apologies").unwrap();
    let title = m.item_title_text(&txn, &ids[0]).unwrap();
    title.insert(&mut txn, 0, "1st: ");
    assert_eq!(m.view(&txn).items[0].title, "1st: Apologies");
    assert!(m.item_title_text(&txn, &ItemId::from("nope")).is_none());
}

/// Blocks: insert, move between items, kinds, texts, speakers, delete.
#[test]
fn blocks() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let ids = add_items(&m, &mut txn, &["A", "B"]);
    let cc = m.add_person(&mut txn, &person("Pippa", "CC"), &Attendance::Present);
    let dcc = m.add_person(&mut txn, &person("Julian", "DCC"), &Attendance::Present);
    let b1 = m
        .insert_block(&mut txn, &ids[0], 0, BlockKind::Paragraph, "one")
        .unwrap();
    let b3 = m
        .insert_block(&mut txn, &ids[0], 1, BlockKind::Paragraph, "three")
        .unwrap();
    let b2 = m
        .insert_block(&mut txn, &ids[0], 1, BlockKind::SubHeading, "two")
        .unwrap();
    let texts = |txn: &TransactionMut, i: usize| -> Vec<String> {
        m.view(txn).items[i]
            .blocks
            .iter()
            .map(|b| b.text.clone())
            .collect()
    };
    assert_eq!(texts(&txn, 0), ["one", "two", "three"]);

    m.move_block(&mut txn, &b1, &ids[0], 5).unwrap();
    assert_eq!(texts(&txn, 0), ["two", "three", "one"]);
    m.move_block(&mut txn, &b2, &ids[1], 0).unwrap();
    assert_eq!(texts(&txn, 0), ["three", "one"]);
    assert_eq!(texts(&txn, 1), ["two"]);

    m.set_block_text(&mut txn, &b3, "three, edited").unwrap();
    m.block_text(&txn, &b3).unwrap().push(&mut txn, "!");
    assert_eq!(
        m.block_text(&txn, &b3).unwrap().get_string(&txn),
        "three, edited!"
    );

    m.set_speakers(&mut txn, &b3, &[dcc.clone(), cc.clone(), dcc.clone()])
        .unwrap();
    let v = m.view(&txn);
    assert_eq!(v.items[0].blocks[0].kind, BlockKind::Statement);
    assert_eq!(v.items[0].blocks[0].speakers, [dcc.clone(), cc.clone()]);
    assert!(matches!(
        m.set_speakers(&mut txn, &b3, &[PersonId::from("x")]),
        Err(OpError::UnknownPerson(_))
    ));

    m.set_block_kind(&mut txn, &b3, BlockKind::Decision)
        .unwrap();
    assert!(
        m.view(&txn).items[0].blocks[0].speakers.is_empty(),
        "only statements show speakers"
    );
    m.set_block_kind(&mut txn, &b3, BlockKind::Statement)
        .unwrap();
    m.remove_person(&mut txn, &dcc).unwrap();
    assert_eq!(
        m.view(&txn).items[0].blocks[0].speakers,
        std::slice::from_ref(&cc)
    );
    m.set_speakers(&mut txn, &b3, &[]).unwrap();
    assert_eq!(m.view(&txn).items[0].blocks[0].kind, BlockKind::Paragraph);

    m.delete_block(&mut txn, &b1).unwrap();
    assert_eq!(texts(&txn, 0), ["three, edited!"]);
    assert!(matches!(
        m.set_block_text(&mut txn, &b1, "x"),
        Err(OpError::UnknownBlock(_))
    ));
    assert!(m.block_text(&txn, &b1).is_none());
}

/// Actions: add, edit every field, references given once, delete, log order.
#[test]
fn actions() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let ids = add_items(&m, &mut txn, &["A", "B"]);
    let ji = m.add_person(&mut txn, &person("Jackie", "JI"), &Attendance::Present);
    let cc = m.add_person(&mut txn, &person("Pippa", "CC"), &Attendance::Present);
    let blk = m
        .insert_block(&mut txn, &ids[0], 0, BlockKind::Paragraph, "p")
        .unwrap();
    let late = m
        .add_action(
            &mut txn,
            &NewAction {
                fields: ActionFields {
                    description: "raised in B".into(),
                    ..ActionFields::default()
                },
                item: Some(ids[1].clone()),
                ..NewAction::default()
            },
        )
        .unwrap();
    let a = m
        .add_action(
            &mut txn,
            &NewAction {
                fields: ActionFields {
                    description: "circulate the report".into(),
                    due: "1 March".into(),
                    ..ActionFields::default()
                },
                owners: vec![ji.clone()],
                item: Some(ids[0].clone()),
                block: Some(blk.clone()),
            },
        )
        .unwrap();
    let loose = m.add_action(&mut txn, &NewAction::default()).unwrap();
    let order: Vec<ActionId> = m.view(&txn).actions.iter().map(|a| a.id.clone()).collect();
    assert_eq!(
        order,
        [a.clone(), late.clone(), loose.clone()],
        "log order follows the minutes"
    );

    m.set_action_description(&mut txn, &a, "circulate the final report")
        .unwrap();
    m.set_action_due(&mut txn, &a, "8 March").unwrap();
    m.set_action_status(&mut txn, &a, ActionStatus::Done)
        .unwrap();
    m.set_action_owners(&mut txn, &a, &[ji.clone(), cc.clone()])
        .unwrap();
    assert!(matches!(
        m.set_action_owners(&mut txn, &a, &[PersonId::from("x")]),
        Err(OpError::UnknownPerson(_))
    ));
    assert_eq!(
        m.assign_reference(&mut txn, &a, "6/23x"),
        Err(OpError::BadReference("6/23x".into()))
    );
    m.assign_reference(&mut txn, &a, "6/23").unwrap();
    assert_eq!(
        m.assign_reference(&mut txn, &a, "07/23"),
        Err(OpError::ReferenceAssigned {
            id: a.0.clone(),
            existing: "06/23".into()
        })
    );
    let v = m.view(&txn);
    let va = &v.actions[0];
    assert_eq!(va.fields.description, "circulate the final report");
    assert_eq!(va.fields.due, "8 March");
    assert_eq!(va.fields.status, ActionStatus::Done);
    assert_eq!(va.fields.reference.as_deref(), Some("06/23"));
    assert_eq!(va.owners, [ji.clone(), cc.clone()]);
    assert_eq!(
        (va.item.as_ref(), va.block.as_ref()),
        (Some(&ids[0]), Some(&blk))
    );
    let html = export::html(&v);
    assert!(html.contains("<td>06/23</td><td>circulate the final report</td><td>JI, CC</td><td>8 March</td><td>done</td><td>1</td>"));

    // Moving the block moves where the action shows; deleting it falls back to the item.
    m.move_block(&mut txn, &blk, &ids[1], 0).unwrap();
    assert_eq!(m.view(&txn).actions[0].item, Some(ids[1].clone()));
    m.delete_block(&mut txn, &blk).unwrap();
    let v = m.view(&txn);
    let va = v.actions.iter().find(|x| x.id == a).unwrap();
    assert_eq!((va.item.as_ref(), va.block.as_ref()), (Some(&ids[0]), None));

    m.set_action_raised_in(&mut txn, &a, None, None).unwrap();
    assert_eq!(
        m.view(&txn).actions.last().unwrap().id,
        loose,
        "ties among loose actions by order key"
    );
    m.delete_action(&mut txn, &late).unwrap();
    assert_eq!(m.view(&txn).actions.len(), 2);
    assert!(matches!(
        m.set_action_due(&mut txn, &late, "x"),
        Err(OpError::UnknownAction(_))
    ));
    assert!(matches!(
        m.add_action(
            &mut txn,
            &NewAction {
                item: Some(ItemId::from("gone")),
                ..NewAction::default()
            }
        ),
        Err(OpError::UnknownItem(_))
    ));
}

/// Minutes with dangling references are refused before anything is written.
#[test]
fn invalid_minutes_are_refused() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let bad = Minutes {
        chair: Some(3),
        ..Minutes::default()
    };
    assert!(matches!(
        m.import_minutes(&mut txn, &bad),
        Err(OpError::InvalidMinutes(_))
    ));
    let bad = Minutes {
        actions: vec![MinutesAction {
            raised_in: Some(RaisedIn {
                item: ItemPath(vec![0]),
                block: None,
            }),
            ..MinutesAction::default()
        }],
        ..Minutes::default()
    };
    assert!(matches!(
        m.import_minutes(&mut txn, &bad),
        Err(OpError::InvalidMinutes(_))
    ));
    assert_eq!(m.view(&txn), MeetingView::default());
}

/// Two clients inserting at the same place pick the same key; a later local insert
/// between the tied siblings still lands exactly where asked.
#[test]
fn tied_keys_are_respaced() {
    let a = Meeting::new(Doc::with_client_id(1));
    let b = Meeting::new(Doc::with_client_id(2));
    {
        let mut ta = a.doc().transact_mut();
        let mut tb = b.doc().transact_mut();
        a.insert_item(&mut ta, None, 0, "from a").unwrap();
        b.insert_item(&mut tb, None, 0, "from b").unwrap();
    }
    super::sync(&a, &b);
    let mut ta = a.doc().transact_mut();
    let before = numbers(&a.view(&ta));
    a.insert_item(&mut ta, None, 1, "between").unwrap();
    let after = numbers(&a.view(&ta));
    assert_eq!(after[0].1, before[0].1);
    assert_eq!(after[1].1, "between");
    assert_eq!(after[2].1, before[1].1);
}

/// A block naming attendees in a speech pattern offers them as speakers, except those it
/// is already attributed to.
#[test]
fn speaker_suggestions() {
    let m = meeting();
    let mut txn = m.doc().transact_mut();
    let item = m.insert_item(&mut txn, None, 0, "Item").unwrap();
    let dcc = m.add_person(
        &mut txn,
        &person("Julian Moss", "DCC"),
        &Attendance::Present,
    );
    let ji = m.add_person(
        &mut txn,
        &person("Jackie Irvin", "JI"),
        &Attendance::Present,
    );
    let text = "JI asked what data is shared. The DCC responded that it is limited.";
    let b = m
        .insert_block(&mut txn, &item, 0, BlockKind::Paragraph, text)
        .unwrap();
    let view = m.view(&txn);
    let got = suggest::suggest_speakers(&view, &view.items[0].blocks[0]);
    let people: Vec<(&PersonId, &str)> =
        got.iter().map(|s| (&s.person, s.phrase.as_str())).collect();
    assert_eq!(people, [(&ji, "JI asked"), (&dcc, "The DCC responded")]);

    m.set_speakers(&mut txn, &b, std::slice::from_ref(&ji))
        .unwrap();
    let view = m.view(&txn);
    let got = suggest::suggest_speakers(&view, &view.items[0].blocks[0]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].person, dcc);

    m.set_block_kind(&mut txn, &b, BlockKind::Decision).unwrap();
    let view = m.view(&txn);
    assert!(suggest::suggest_speakers(&view, &view.items[0].blocks[0]).is_empty());
}

/// A Part II document holds no register: its statements and actions name people of the
/// main document's, so `set_part2_speakers` and `add_part2_action` leave that check to
/// the caller, and the merged view attributes them.
#[test]
fn part2_statements_and_actions_name_people_of_the_main_register() {
    let main = meeting();
    let part2 = Meeting::new(Doc::with_client_id(2));
    let (item, ann) = {
        let mut txn = main.doc().transact_mut();
        let item = main.insert_item(&mut txn, None, 0, "").unwrap();
        main.set_exemption(&mut txn, &item, Some(&Exemption::confidential("legal")))
            .unwrap();
        let ann = main.add_person(&mut txn, &person("Ann Able", "AA"), &Attendance::Present);
        (item, ann)
    };
    let (block, action) = {
        let mut txn = part2.doc().transact_mut();
        // The exempt item's restricted title, under the same id (as `move_into_part2`).
        let m = crate::meeting::document::create_entity(&part2.items, &mut txn, item.as_str());
        crate::meeting::document::create_text(&m, &mut txn, crate::schema::item::TITLE, "Legal");
        let block = part2
            .insert_block(&mut txn, &item, 0, BlockKind::Paragraph, "Advice received")
            .unwrap();
        // The checked variants refuse a person Part II does not hold …
        assert!(part2
            .set_speakers(&mut txn, &block, std::slice::from_ref(&ann))
            .is_err());
        // … the Part II ones take the caller's word.
        part2
            .set_part2_speakers(&mut txn, &block, std::slice::from_ref(&ann))
            .unwrap();
        let action = part2
            .add_part2_action(
                &mut txn,
                &NewAction {
                    fields: ActionFields {
                        description: "Reply to counsel".into(),
                        ..Default::default()
                    },
                    owners: vec![ann.clone()],
                    item: Some(item.clone()),
                    block: Some(block.clone()),
                },
            )
            .unwrap();
        assert!(part2.has_action(&txn, &action));
        (block, action)
    };
    assert!(!main.has_action(&main.doc().transact_mut(), &action));
    let full = main.full_view(&main.doc().transact(), &part2, &part2.doc().transact());
    assert_eq!(full.items[0].title, "Legal");
    let b = &full.items[0].blocks[0];
    assert_eq!(b.id, block);
    assert_eq!(b.kind, BlockKind::Statement);
    assert_eq!(b.speakers, vec![ann.clone()]);
    assert!(full
        .actions
        .iter()
        .any(|a| a.id == action && a.owners == vec![ann.clone()]));
}
