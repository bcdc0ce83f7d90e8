//! Very deep and very wide meetings, and large imports: every read (view, numbering,
//! Markdown and HTML export, the structure) and both importers stay linear in the
//! meeting's size, and item depth is bounded by [`MAX_ITEM_DEPTH`]. The assertions are on
//! structure and results only; `large_imports_benchmark` (ignored) prints timings for
//! BENCHMARKS.md.

use crate::meeting::{
    export, import, markdown, BlockKind, ItemId, Meeting, MeetingView, Minutes, OpError,
    MAX_ITEM_DEPTH,
};
use crate::schema::{self, common};
use yrs::{Doc, Map, MapPrelim, TextPrelim, Transact};

/// A document whose items are written as raw fields (as a hostile client could): a chain
/// of `deep` items, each the only sub-item of the one before, then `wide` top-level
/// siblings, each with one statement block.
fn raw_meeting(deep: usize, wide: usize) -> Meeting {
    let doc = Doc::with_client_id(987_654);
    let meeting = Meeting::new(doc.clone());
    let items = doc.get_or_insert_map(schema::ITEMS);
    let blocks = doc.get_or_insert_map(schema::BLOCKS);
    let people = doc.get_or_insert_map(schema::PEOPLE);
    let mut txn = doc.transact_mut();
    let p = people.insert(&mut txn, "p1", MapPrelim::default());
    p.insert(&mut txn, schema::person::NAME, "Pippa Mills");
    p.insert(&mut txn, schema::person::SHORT, "CC");
    p.insert(&mut txn, common::ORDER, "V");
    for i in 0..deep {
        let parent = if i == 0 {
            String::new()
        } else {
            format!("c{:05}", i - 1)
        };
        let m = items.insert(&mut txn, format!("c{i:05}"), MapPrelim::default());
        m.insert(&mut txn, schema::item::PARENT, parent);
        m.insert(&mut txn, common::ORDER, "V");
        m.insert(
            &mut txn,
            schema::item::TITLE,
            TextPrelim::new(format!("Level {}", i + 1)),
        );
    }
    for i in 0..wide {
        let id = format!("w{i:05}");
        let m = items.insert(&mut txn, id.clone(), MapPrelim::default());
        m.insert(&mut txn, schema::item::PARENT, "");
        m.insert(&mut txn, common::ORDER, format!("W{i:05}"));
        m.insert(
            &mut txn,
            schema::item::TITLE,
            TextPrelim::new(format!("Wide {i}")),
        );
        let b = blocks.insert(&mut txn, format!("b{i:05}"), MapPrelim::default());
        b.insert(&mut txn, schema::block::ITEM, id);
        b.insert(&mut txn, common::ORDER, "V");
        b.insert(&mut txn, schema::block::KIND, BlockKind::Statement.as_str());
        b.insert(
            &mut txn,
            schema::block::TEXT,
            TextPrelim::new("The CC said yes."),
        );
        b.insert(
            &mut txn,
            schema::block::SPEAKERS,
            yrs::Any::Array(vec![yrs::Any::String("p1".into())].into()),
        );
    }
    drop(txn);
    meeting
}

fn view(meeting: &Meeting) -> MeetingView {
    meeting.view(&meeting.doc().transact())
}

/// Item numbers in an export's headings ("## 1.1.1 Level 3" → "1.1.1").
fn heading_numbers(md: &str) -> Vec<&str> {
    md.lines()
        .filter(|l| l.starts_with("##"))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .collect()
}

#[test]
fn a_6000_item_chain_is_read_at_bounded_depth() {
    let meeting = raw_meeting(6_000, 0);
    let v = view(&meeting);
    assert_eq!(v.items.len(), 6_000);
    assert!(v.items.iter().all(|i| i.depth < MAX_ITEM_DEPTH));
    assert_eq!(v.items[MAX_ITEM_DEPTH - 1].number, "1.1.1.1.1.1.1.1");
    assert_eq!(v.items[5_999].number, "1.1.1.1.1.1.1.5993");
    assert_eq!(v.items[5_999].title, "Level 6000");

    let md = export::markdown(&v);
    let numbers = heading_numbers(&md);
    assert_eq!(numbers.len(), 6_000);
    assert!(numbers
        .iter()
        .all(|n| n.split('.').count() <= MAX_ITEM_DEPTH));
    // The export reads back as the same (clamped) structure.
    assert_eq!(markdown::parse(&md), Ok(Minutes::from_view(&v)));
    let html = export::html(&v);
    assert_eq!(html.matches("<section class=\"item depth-").count(), 6_000);
    assert!(html.contains("1.1.1.1.1.1.1.5993"));
}

#[test]
fn a_20000_item_list_is_numbered_and_exported() {
    let meeting = raw_meeting(0, 20_000);
    let v = view(&meeting);
    assert_eq!(v.items.len(), 20_000);
    assert!(v
        .items
        .iter()
        .enumerate()
        .all(|(i, it)| it.number == (i + 1).to_string()));
    assert!(v
        .items
        .iter()
        .all(|it| it.blocks.len() == 1 && it.blocks[0].speakers.len() == 1));
    let md = export::markdown(&v);
    assert_eq!(heading_numbers(&md).len(), 20_000);
    assert_eq!(md.matches("**CC:** The CC said yes.").count(), 20_000);
    assert_eq!(markdown::parse(&md), Ok(Minutes::from_view(&v)));
    let html = export::html(&v);
    assert_eq!(html.matches("class=\"statement\"").count(), 20_000);
}

#[test]
fn moves_and_indents_refuse_to_nest_deeper_than_the_limit() {
    let doc = Doc::with_client_id(1);
    let meeting = Meeting::new(doc.clone());
    let mut txn = doc.transact_mut();
    let mut parent: Option<ItemId> = None;
    let mut chain = Vec::new();
    for i in 0..MAX_ITEM_DEPTH {
        let id = meeting
            .insert_item(&mut txn, parent.as_ref(), 0, &format!("L{i}"))
            .unwrap();
        chain.push(id.clone());
        parent = Some(id);
    }
    // A sibling of the deepest item cannot be indented under it.
    let deepest_parent = &chain[MAX_ITEM_DEPTH - 2];
    let sibling = meeting
        .insert_item(&mut txn, Some(deepest_parent), usize::MAX, "sibling")
        .unwrap();
    assert_eq!(
        meeting.indent_item(&mut txn, &sibling),
        Err(OpError::TooDeep(sibling.0.clone()))
    );
    // An item with a sub-item cannot move under the second-deepest level.
    let top = meeting
        .insert_item(&mut txn, None, usize::MAX, "top")
        .unwrap();
    meeting
        .insert_item(&mut txn, Some(&top), 0, "child")
        .unwrap();
    assert_eq!(
        meeting.move_item(&mut txn, &top, Some(&chain[MAX_ITEM_DEPTH - 2]), 0),
        Err(OpError::TooDeep(top.0.clone()))
    );
    // One level higher it fits exactly.
    meeting
        .move_item(&mut txn, &top, Some(&chain[MAX_ITEM_DEPTH - 3]), 0)
        .unwrap();
    drop(txn);
    let v = view(&meeting);
    assert!(v.items.iter().all(|i| i.depth < MAX_ITEM_DEPTH));
    assert_eq!(
        v.items.iter().map(|i| i.depth).max(),
        Some(MAX_ITEM_DEPTH - 1)
    );
}

#[test]
fn importers_refuse_items_nested_deeper_than_the_limit() {
    let numbers: Vec<String> = (1..=MAX_ITEM_DEPTH + 1)
        .map(|d| vec!["1"; d].join("."))
        .collect();
    let mut md = String::from("# Deep\n");
    for n in &numbers {
        md.push_str(&format!("\n##### {n} Level\n"));
    }
    let e = markdown::parse(&md).unwrap_err();
    assert!(e.message.contains("deeper than"), "{e}");
    let demo = include_str!("../../../fixtures/assurance-meeting-2022-01.txt");
    let mut legacy: String = demo.lines().take(19).map(|l| format!("{l}\n")).collect();
    for (i, n) in numbers.iter().enumerate() {
        let n = if i == 0 { "1.".to_string() } else { n.clone() };
        legacy.push_str(&format!("{n}\tLevel {i}\n"));
    }
    let e = import::parse_minutes(&legacy).unwrap_err();
    assert!(e.message.contains("deeper than"), "{e}");
    // One level less is accepted by both.
    let md_ok: String = md
        .lines()
        .take(2 * MAX_ITEM_DEPTH + 1)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        markdown::parse(&md_ok)
            .unwrap()
            .item(&crate::meeting::ItemPath(vec![0; MAX_ITEM_DEPTH]))
            .map(|i| i.title.as_str()),
        Some("Level")
    );
}

/// Legacy minutes of about `bytes` bytes shaped like the published ones: the demo's header
/// and register, then numbered items with sub-items, `<p>` paragraphs, plain-text
/// paragraphs of many lines, statements and actions.
pub(crate) fn large_legacy(bytes: usize) -> String {
    let demo = include_str!("../../../fixtures/assurance-meeting-2022-01.txt");
    let head: Vec<&str> = demo.lines().take(19).collect();
    let mut out = head.join("\n");
    out.push('\n');
    let mut k = 0;
    while out.len() < bytes {
        k += 1;
        out.push_str(&format!(
            "{k}.\t<p>Holding to account – topic {k}</p> <p><u>Data and trends</u></p> \
             <p>The CC provided the PCC with a briefing document prior to the meeting.</p> \
             <p>The PCC asked whether the force understand the drivers. The DCC responded \
             that the numbers are small.</p>\t\n\n"
        ));
        // A long plain paragraph: one sentence per line, continuing the paragraph.
        for line in 0..40 {
            out.push_str(&format!(
                "the PCC asked about point {line} and the DCC said that the force are working with partners on it\n"
            ));
        }
        out.push_str("\nACTION: JI to circulate the report by 1 March.\n\n");
        out.push_str(&format!(
            "{k}.1\t<p><u>Governance</u></p> <p>DB said that other forces have similar issues.</p>\t\n\n"
        ));
    }
    out
}

/// Markdown of about `bytes` bytes: the export of a large legacy import.
fn large_markdown(bytes: usize) -> String {
    let minutes = import::parse_minutes(&large_legacy(bytes)).expect("imports");
    let doc = Doc::with_client_id(2);
    let meeting = Meeting::new(doc.clone());
    meeting
        .import_minutes(&mut doc.transact_mut(), &minutes)
        .expect("writes");
    export::markdown(&view(&meeting))
}

#[test]
fn a_large_legacy_file_imports_with_every_item_and_paragraph() {
    let text = large_legacy(200_000);
    let minutes = import::parse_minutes(&text).expect("imports");
    let top = minutes.items.len();
    assert!(top > 20, "{top} items");
    assert!(minutes.items.iter().all(|i| i.children.len() == 1));
    // Each item's long plain paragraph is one block, attributed once complete.
    let first = &minutes.items[0];
    let long = first
        .blocks
        .iter()
        .find(|b| b.text.contains("point 39"))
        .expect("the long paragraph");
    assert!(long.text.contains("point 0 "));
    assert_eq!(long.kind, BlockKind::Statement);
    assert_eq!(minutes.actions.len(), top);
    // Written into a document and exported, it reads back the same.
    let doc = Doc::with_client_id(3);
    let meeting = Meeting::new(doc.clone());
    meeting
        .import_minutes(&mut doc.transact_mut(), &minutes)
        .expect("writes");
    let v = view(&meeting);
    assert_eq!(v.items.len(), 2 * top);
    assert_eq!(v.actions.len(), top);
    let md = export::markdown(&v);
    assert_eq!(markdown::parse(&md), Ok(Minutes::from_view(&v)));
}

#[test]
fn a_large_markdown_file_imports() {
    let md = large_markdown(200_000);
    let minutes = markdown::parse(&md).expect("parses");
    assert!(minutes.items.len() > 20);
}

/// Timings for BENCHMARKS.md (release build):
/// `cargo test --release -p minutebook-shared --lib large_imports_benchmark -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: prints timings"]
fn large_imports_benchmark() {
    use std::time::Instant;
    let legacy = large_legacy(1 << 20);
    let t = Instant::now();
    let minutes = import::parse_minutes(&legacy).expect("imports");
    let parse = t.elapsed();
    let doc = Doc::with_client_id(4);
    let meeting = Meeting::new(doc.clone());
    let t = Instant::now();
    meeting
        .import_minutes(&mut doc.transact_mut(), &minutes)
        .expect("writes");
    let write = t.elapsed();
    let t = Instant::now();
    let md = export::markdown(&view(&meeting));
    let export_md = t.elapsed();
    let t = Instant::now();
    markdown::parse(&md).expect("parses");
    let parse_md = t.elapsed();
    println!(
        "legacy {} bytes ({} items): parse {parse:?}, write into a document {write:?}; \
         Markdown export {} bytes {export_md:?}, Markdown parse {parse_md:?}",
        legacy.len(),
        minutes.items.len(),
        md.len()
    );
    for (deep, wide) in [(3_000, 0), (6_000, 0), (0, 10_000), (0, 20_000)] {
        let meeting = raw_meeting(deep, wide);
        let t = Instant::now();
        let v = view(&meeting);
        let md = export::markdown(&v);
        let html = export::html(&v);
        println!(
            "chain {deep} / siblings {wide}: view + Markdown + HTML export {:?} ({} + {} bytes)",
            t.elapsed(),
            md.len(),
            html.len()
        );
    }
    // Peak resident memory of the whole run (Linux).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!("peak memory: {}", line.trim_start_matches("VmHWM:").trim());
        }
    }
}
