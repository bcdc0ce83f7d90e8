//! What each fuzz target does with its input, shared by the cargo-fuzz targets and the
//! corpus replay in the normal test suite (`tests/tests/fuzz_corpora.rs`).
//!
//! Each check feeds untrusted bytes through the same code the server runs on them and
//! asserts the invariants that must hold whatever the bytes are: no panic escapes the
//! containment, no stack overflow (which would abort the fuzzer), and whatever is
//! accepted round-trips.

#![allow(dead_code)]

use std::sync::OnceLock;

use minutebook_server::docs::updates;
use minutebook_shared::depth::{json_within_depth, MAX_NESTING};
use minutebook_shared::meeting::{import, markdown, Meeting, Minutes};
use minutebook_shared::protocol::{self, Awareness, Message, SyncMessage};
use minutebook_shared::{prescan, signoff};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact};

const FIXTURE: &str = include_str!("../../shared/fixtures/assurance-meeting-2022-01.txt");

/// The demo meeting's state, imported once: updates are applied to a copy of it.
fn meeting_state() -> &'static [u8] {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(|| {
        let minutes = import::parse_minutes(FIXTURE).expect("the fixture imports");
        let doc = Doc::new();
        let meeting = Meeting::new(doc.clone());
        meeting
            .import_minutes(&mut doc.transact_mut(), &minutes)
            .expect("the fixture loads");
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        state
    })
}

fn meeting_doc() -> Doc {
    let doc = Doc::new();
    let update = yrs::Update::decode_v1(meeting_state()).expect("own state decodes");
    doc.transact_mut()
        .apply_update(update)
        .expect("own state applies");
    doc
}

/// A y-protocols frame, as the server's connection reads it: decode, then for updates
/// the read-only judgement and the pre-scan + apply on a meeting document.
pub fn sync_message(data: &[u8]) {
    let Ok(Ok(msg)) = std::panic::catch_unwind(|| protocol::decode(data)) else {
        return;
    };
    let raw = match msg {
        Message::Sync(SyncMessage::SyncStep2(raw)) | Message::Sync(SyncMessage::Update(raw)) => raw,
        Message::Sync(SyncMessage::SyncStep1(sv)) => {
            let _ = meeting_doc().transact().encode_diff_v1(&sv);
            return;
        }
        Message::Awareness(update) => return awareness_update(update),
        _ => return,
    };
    update_bytes(&raw);
}

/// The update path on its own (also fed by `sync_message`).
pub fn update_bytes(raw: &[u8]) {
    let doc = meeting_doc();
    let scanned = prescan::scan_update_v1(raw);
    let judged = updates::would_change(&doc, raw);
    assert_eq!(
        scanned.is_ok(),
        judged.is_ok(),
        "the judgement is the scan's"
    );
    let applied = updates::apply(&doc, raw);
    if scanned.is_err() {
        assert!(
            applied.is_err(),
            "whatever the scan refuses is never applied"
        );
    }
    if let Ok(true) = applied {
        // The document still encodes and re-decodes (what the server stores and relays).
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        prescan::scan_update_v1(&state).expect("stored state passes the scan");
    }
}

/// An awareness message's payload.
pub fn awareness(data: &[u8]) {
    let mut frame = vec![1u8];
    frame.extend_from_slice(data);
    if let Ok(Ok(Message::Awareness(update))) =
        std::panic::catch_unwind(|| protocol::decode(&frame))
    {
        awareness_update(update);
    }
}

fn awareness_update(update: protocol::AwarenessUpdate) {
    // The server refuses states nested deeper than the limit before parsing any.
    if update
        .clients
        .values()
        .any(|e| !json_within_depth(&e.json, MAX_NESTING))
    {
        return;
    }
    for entry in update.clients.values() {
        let _ = serde_json::from_str::<serde_json::Value>(&entry.json);
    }
    let mut awareness = Awareness::new(Doc::new());
    let _ = awareness.apply_update(update);
    let _ = awareness.update();
}

pub fn import_legacy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(minutes) = import::parse_minutes(text) {
            load_and_export(&minutes);
        }
    }
}

pub fn import_markdown(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(minutes) = markdown::parse(text) {
            load_and_export(&minutes);
        }
    }
}

/// Loads imported minutes into a document and renders them back to Markdown.
fn load_and_export(minutes: &Minutes) {
    let doc = Doc::new();
    let meeting = Meeting::new(doc.clone());
    if meeting
        .import_minutes(&mut doc.transact_mut(), minutes)
        .is_err()
    {
        return;
    }
    let view = meeting.view(&doc.transact());
    let md = markdown::to_markdown(&view);
    // Our own export imports again.
    markdown::parse(&md).expect("an export re-imports");
}

pub fn signoff_block(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((body, block)) = signoff::parse(text) {
            let rendered = signoff::render_markdown(&body, &block);
            let (body2, block2) = signoff::parse(&rendered).expect("a rendered block parses");
            assert_eq!(body2, body);
            assert_eq!(block2, block);
        }
        let _ = signoff::check(text, None);
    }
}

pub fn html_footer(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = signoff::is_html_export(text);
        let _ = signoff::parse_html(text);
    }
}
