//! Exempt items (Part II): the stored fields and the view's inheritance, the exemption line
//! of the canonical Markdown, the public version, and the segments both are made of.

use super::roundtrip::{minutes, view_of};
use crate::meeting::markdown::{
    self, segments, to_markdown_as, to_public_markdown_as, DRAFT_STATUS,
};
use crate::meeting::segment::{self, SegmentKind};
use crate::meeting::*;
use crate::schema;
use proptest::prelude::*;
use yrs::{Doc, Map, Transact};

fn without_exemptions(items: &mut [MinutesItem]) {
    for item in items {
        item.exemption = None;
        item.public_title.clear();
        without_exemptions(&mut item.children);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    /// CRITICAL: a meeting with no exempt item exports exactly the bytes it did before
    /// exempt items existed (signed versions are hashed), and its public version is the same.
    #[test]
    fn without_exempt_items_nothing_changes(mut generated in minutes()) {
        without_exemptions(&mut generated.items);
        let view = view_of(&generated);
        for status in [DRAFT_STATUS, "Signed off — version 2 — by A on 2026-01-01"] {
            let md = to_markdown_as(&view, status);
            prop_assert_eq!(&md, &markdown::pinned_legacy(&view, status));
            prop_assert_eq!(&to_public_markdown_as(&view, status), &md);
        }
    }

    /// The segments concatenate to the canonical Markdown, and their public counterparts
    /// to the public version; only withheld items' segments differ between the two.
    #[test]
    fn segments_concatenate_to_the_markdown(generated in minutes()) {
        let view = view_of(&generated);
        let segs = segments(&view, DRAFT_STATUS);
        prop_assert_eq!(segment::concat(&segs), to_markdown_as(&view, DRAFT_STATUS));
        prop_assert_eq!(
            segment::public_concat(&segs),
            to_public_markdown_as(&view, DRAFT_STATUS)
        );
        prop_assert_eq!(segs.len(), view.items.len() + 2);
        prop_assert_eq!(&segs[0].kind, &SegmentKind::Preamble);
        prop_assert_eq!(&segs[segs.len() - 1].kind, &SegmentKind::Trailer);
        for (s, item) in segs[1..segs.len() - 1].iter().zip(&view.items) {
            prop_assert_eq!(s.number(), Some(item.number.as_str()));
            let heading = format!("\n{} {}", "#".repeat((item.depth + 2).min(5)), item.number);
            prop_assert!(s.text.starts_with(&heading), "{:?}", s);
            prop_assert_eq!(s.is_withheld(), item.withheld_by.is_some());
            if !s.is_withheld() {
                prop_assert_eq!(&s.public(), s);
            }
        }
        // The public version of a meeting with exempt items still reads (it is no
        // canonical Markdown: the importer refuses its placeholders).
        let public = to_public_markdown_as(&view, DRAFT_STATUS);
        if view.items.iter().any(|i| i.withheld_by.is_some()) {
            prop_assert!(markdown::parse(&public).is_err());
        } else {
            prop_assert!(markdown::parse(&public).is_ok());
        }
    }
}

/// 1 Open; 2 Land sale (12A:3, public title) ⊃ 2.1 Bids ⊃ 2.1.1; 3 Staffing
/// (confidential) ; 4 Close — with actions everywhere and a late joiner for 2.1.
pub(crate) fn meeting() -> (Meeting, MeetingView) {
    let m = Meeting::new(Doc::with_client_id(9));
    let mut txn = m.doc().transact_mut();
    let one = m.insert_item(&mut txn, None, 0, "Open").unwrap();
    let two = m
        .insert_item(&mut txn, None, 1, "Sale of SECRET-LAND to SECRET-BUYER")
        .unwrap();
    let bids = m
        .insert_item(&mut txn, Some(&two), 0, "SECRET-BIDS")
        .unwrap();
    let deep = m
        .insert_item(&mut txn, Some(&bids), 0, "SECRET-DEEP")
        .unwrap();
    let three = m.insert_item(&mut txn, None, 2, "Staffing").unwrap();
    let four = m.insert_item(&mut txn, None, 3, "Close").unwrap();
    let cc = m.add_person(
        &mut txn,
        &Person {
            name: "Pippa Mills".into(),
            short: "CC".into(),
            ..Person::default()
        },
        &Attendance::JoinedFor(Some(bids.clone())),
    );
    m.set_exemption(
        &mut txn,
        &two,
        Some(&Exemption::Schedule12A(Paragraph::new(3).unwrap())),
    )
    .unwrap();
    m.set_public_title(&mut txn, &two, "Disposal of land; *a site*")
        .unwrap();
    m.set_exemption(
        &mut txn,
        &three,
        Some(&Exemption::confidential("staffing matter; *personal*")),
    )
    .unwrap();
    m.set_standing(&mut txn, &three, true).unwrap();
    let b = m
        .insert_block(
            &mut txn,
            &two,
            0,
            BlockKind::Statement,
            "SECRET-PRICE agreed",
        )
        .unwrap();
    m.set_speakers(&mut txn, &b, std::slice::from_ref(&cc))
        .unwrap();
    m.insert_block(&mut txn, &deep, 0, BlockKind::Decision, "SECRET-DECISION")
        .unwrap();
    m.insert_block(&mut txn, &one, 0, BlockKind::Paragraph, "Welcome all.")
        .unwrap();
    m.insert_block(&mut txn, &four, 0, BlockKind::Paragraph, "Closed.")
        .unwrap();
    for (item, block, text) in [
        (Some(two.clone()), None, "SECRET-ACTION-START"),
        (Some(two.clone()), Some(b.clone()), "SECRET-ACTION-BLOCK"),
        (Some(deep.clone()), None, "SECRET-ACTION-DEEP"),
        (Some(four.clone()), None, "Publish the minutes"),
        (None, None, "Book the room"),
    ] {
        m.add_action(
            &mut txn,
            &NewAction {
                fields: ActionFields {
                    description: text.into(),
                    ..ActionFields::default()
                },
                owners: vec![cc.clone()],
                item,
                block,
            },
        )
        .unwrap();
    }
    let view = m.view(&txn);
    drop(txn);
    (m, view)
}

#[test]
fn the_view_reads_exemptions_and_sub_items_inherit_them() {
    let (_, view) = meeting();
    let by_number = |n: &str| view.items.iter().find(|i| i.number == n).unwrap();
    let twelve_a = Some(Exemption::Schedule12A(Paragraph::new(3).unwrap()));
    let two = by_number("2");
    assert_eq!(two.exemption, twelve_a);
    assert_eq!(two.public_title, "Disposal of land; *a site*");
    assert_eq!(two.public_heading(), "Disposal of land; *a site*");
    for n in ["2", "2.1", "2.1.1"] {
        let item = by_number(n);
        assert_eq!(item.effective_exemption, twelve_a, "{n}");
        assert_eq!(item.withheld_by.as_ref(), Some(&two.id), "{n}");
    }
    assert_eq!(by_number("2.1").exemption, None);
    let three = by_number("3");
    assert_eq!(
        three.effective_exemption,
        Some(Exemption::confidential("staffing matter; *personal*"))
    );
    assert_eq!(three.public_heading(), "Staffing");
    for n in ["1", "4"] {
        let item = by_number(n);
        assert_eq!(
            (&item.effective_exemption, &item.withheld_by),
            (&None, &None)
        );
    }
}

#[test]
fn an_exempt_sub_item_of_an_exempt_item_is_withheld_with_the_outer_one() {
    let (m, _) = meeting();
    let mut txn = m.doc().transact_mut();
    let view = m.view(&txn);
    let bids = view.items.iter().find(|i| i.number == "2.1").unwrap();
    let outer = view
        .items
        .iter()
        .find(|i| i.number == "2")
        .unwrap()
        .id
        .clone();
    let own = Exemption::Schedule12A(Paragraph::new(1).unwrap());
    m.set_exemption(&mut txn, &bids.id, Some(&own)).unwrap();
    let view = m.view(&txn);
    let get = |n: &str| view.items.iter().find(|i| i.number == n).unwrap();
    // Nearest for the UI, outermost for what the public version withholds.
    assert_eq!(get("2.1.1").effective_exemption, Some(own.clone()));
    assert_eq!(get("2.1.1").withheld_by, Some(outer.clone()));
    let segs = segments(&view, DRAFT_STATUS);
    let deep = segs.iter().find(|s| s.number() == Some("2.1.1")).unwrap();
    let w = deep.withheld().unwrap();
    assert_eq!(
        (w.by.as_str(), &w.reason),
        ("2", &Exemption::Schedule12A(Paragraph::new(3).unwrap()))
    );
    assert_eq!(deep.public().text, "");
}

#[test]
fn the_full_version_writes_one_exemption_line_and_reads_it_back() {
    let (_, view) = meeting();
    let md = to_markdown_as(&view, DRAFT_STATUS);
    for expected in [
        "\n## 2 Sale of SECRET-LAND to SECRET-BUYER\n\n*Exempt — Schedule 12A paragraph 3; \
         public title: Disposal of land; \\*a site\\**\n\n- **Action**",
        "\n## 3 Staffing\n\n*Standing item*\n\n*Confidential — staffing matter\\; \
         \\*personal\\**\n",
        "| Pippa Mills |  | CC |  | joined for item 2.1 |",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    assert_eq!(md.matches("*Exempt").count(), 1, "{md}");
    assert_eq!(markdown::parse(&md).unwrap(), Minutes::from_view(&view));
}

#[test]
fn the_public_version_withholds_exempt_items_with_everything_in_them() {
    let (_, view) = meeting();
    let public = to_public_markdown_as(&view, DRAFT_STATUS);
    assert!(!public.contains("SECRET"), "{public}");
    for expected in [
        "\n## 2 Disposal of land; \\*a site\\*\n\n*Exempt item — Schedule 12A paragraph 3*\n\n## 3 ",
        // No public title: the heading keeps the item's own title.
        "\n## 3 Staffing\n\n*Confidential item — staffing matter; \\*personal\\**\n\n## 4 Close\n",
        "\n## 1 Open\n\nWelcome all.\n",
        "- **Action** (owners: CC; status: open): Publish the minutes",
        "\n## Other actions\n\n- **Action** (owners: CC; status: open): Book the room\n",
        "| Pippa Mills |  | CC |  | joined for item 2.1 |",
    ] {
        assert!(public.contains(expected), "missing {expected:?} in\n{public}");
    }
    assert_eq!(public.matches("- **Action**").count(), 2, "{public}");
    assert!(!public.contains("### 2.1"), "{public}");
    // Everything else is as in the full version.
    let full = to_markdown_as(&view, DRAFT_STATUS);
    let tail = |s: &str| s[s.find("\n## 4 ").unwrap()..].to_owned();
    assert_eq!(tail(&public), tail(&full));
}

#[test]
fn exemption_fields_are_stored_bounded_and_read_failing_closed() {
    let (m, view) = meeting();
    let one = view.items[0].id.clone();
    let mut txn = m.doc().transact_mut();
    // A note longer than the bound is cut on write…
    let long = "x".repeat(exemption::MAX_NOTE_CHARS + 50);
    m.set_exemption(&mut txn, &one, Some(&Exemption::Confidential(long)))
        .unwrap();
    let get = |m: &Meeting, txn: &yrs::TransactionMut| m.view(txn).items[0].clone();
    assert_eq!(
        get(&m, &txn).exemption.unwrap().note().len(),
        exemption::MAX_NOTE_CHARS
    );
    // …and on read (another client may write anything).
    let map = match m.items.get(&txn, one.as_str()) {
        Some(yrs::Out::YMap(map)) => map,
        _ => unreachable!(),
    };
    map.insert(&mut txn, schema::item::EXEMPT_NOTE, "y".repeat(10_000));
    assert_eq!(
        get(&m, &txn).exemption.unwrap().note().len(),
        exemption::MAX_NOTE_CHARS
    );
    // An unknown value reads as confidential: withheld rather than published.
    map.insert(&mut txn, schema::item::EXEMPT, "12A:9");
    map.insert(&mut txn, schema::item::EXEMPT_NOTE, "");
    assert_eq!(get(&m, &txn).exemption, Some(Exemption::confidential("")));
    // Clearing the mark clears the note; the public title stays but is not exported.
    m.set_exemption(&mut txn, &one, None).unwrap();
    m.set_public_title(&mut txn, &one, "Public").unwrap();
    let item = get(&m, &txn);
    assert_eq!(
        (item.exemption, item.public_title.as_str()),
        (None, "Public")
    );
    assert_eq!(
        map.get(&txn, schema::item::EXEMPT_NOTE).map(|_| ()),
        Some(())
    );
    let view = m.view(&txn);
    assert!(!to_markdown_as(&view, DRAFT_STATUS).contains("Public"));
    assert_eq!(
        Minutes::from_view(&view).items[0].public_title,
        "",
        "kept only for exempt items"
    );
    // Unknown item.
    assert!(m
        .set_exemption(&mut txn, &ItemId::from("nope"), None)
        .is_err());
}

#[test]
fn an_item_never_marked_gets_no_exemption_fields() {
    let m = Meeting::new(Doc::new());
    let mut txn = m.doc().transact_mut();
    let id = m.insert_item(&mut txn, None, 0, "Item").unwrap();
    m.set_exemption(&mut txn, &id, None).unwrap();
    let Some(yrs::Out::YMap(map)) = m.items.get(&txn, id.as_str()) else {
        unreachable!()
    };
    assert!(map.get(&txn, schema::item::EXEMPT).is_none());
    assert!(map.get(&txn, schema::item::EXEMPT_NOTE).is_none());
}

#[test]
fn misplaced_or_malformed_exemption_lines_are_refused() {
    let head = "# M\n\n## 1 Item\n\n";
    for (body, why) in [
        (
            "Text.\n\n*Exempt — Schedule 12A paragraph 3*\n",
            "right after",
        ),
        ("*Exempt — Schedule 12A paragraph 8*\n", "unknown exemption"),
        ("*Exempt — Schedule 12A paragraph 3\n", "no closing"),
        ("*Exempt — Schedule 12A paragraph 3\\*\n", "escaped"),
        (
            "*Exempt — Schedule 12A paragraph 3; title: x*\n",
            "after the reason",
        ),
        ("*Confidential*\n\n*Confidential*\n", "right after"),
        ("*Confidential*\n\n*Standing item*\n", "Standing"),
        (
            "*Exempt item — Schedule 12A paragraph 3*\n",
            "public version",
        ),
        ("*Confidential item*\n", "public version"),
    ] {
        let e = markdown::parse(&format!("{head}{body}")).unwrap_err();
        assert!(e.to_string().contains(why), "{body:?}: {e}");
    }
    let ok = markdown::parse(&format!(
        "{head}*Standing item*\n\n*Confidential — a\\; b; public title: P; Q*\n\nText.\n"
    ))
    .unwrap();
    let item = &ok.items[0];
    assert!(item.standing);
    assert_eq!(item.exemption, Some(Exemption::confidential("a; b")));
    assert_eq!(item.public_title, "P; Q");
}

#[test]
fn the_public_html_withholds_the_same() {
    let (_, view) = meeting();
    let html = html::to_public_html_as(&view, DRAFT_STATUS);
    assert!(!html.contains("SECRET"), "{html}");
    assert!(html.contains(
        "<h3><span class=\"number\">2</span> Disposal of land; *a site*</h3>\n\
         <p>Exempt item — Schedule 12A paragraph 3</p>"
    ));
    assert!(html.contains("<p>Confidential item — staffing matter; *personal*</p>"));
    assert!(html.contains("Publish the minutes") && html.contains("Book the room"));
    assert!(!html.contains("<span class=\"number\">2.1</span>"));
    let full = html::to_html_as(&view, DRAFT_STATUS);
    assert!(full.contains("SECRET-ACTION-DEEP"));
    // Nothing exempt: the public HTML is the HTML.
    let (m, _) = meeting();
    let mut txn = m.doc().transact_mut();
    for item in m.view(&txn).items {
        m.set_exemption(&mut txn, &item.id, None).unwrap();
    }
    let view = m.view(&txn);
    assert_eq!(
        html::to_public_html_as(&view, DRAFT_STATUS),
        html::to_html_as(&view, DRAFT_STATUS)
    );
}
