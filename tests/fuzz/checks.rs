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
    if applied.as_ref().is_ok_and(|a| a.changed) {
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

/// The published keys `verify_upload` checks signatures with: RFC 8032's first test key.
fn keys() -> Vec<minutebook_shared::api::PublicSigningKey> {
    const PUBLIC: [u8; 32] = [
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07,
        0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
        0x51, 0x1a,
    ];
    use base64::Engine as _;
    vec![minutebook_shared::api::PublicSigningKey {
        id: signoff::signature::key_id(&PUBLIC),
        algorithm: signoff::signature::ALGORITHM.to_owned(),
        public_key: base64::engine::general_purpose::STANDARD.encode(PUBLIC),
        created_at: 0,
        retired_at: None,
    }]
}

/// Everything `POST /api/verify` and `minutebook verify` read from a file a stranger
/// uploads (except the PDF's attached Markdown, which the render crate's own property
/// tests cover): the signed claim a PDF or Word file carries, the offline check of every
/// text form (exports, approval records, public versions), and the public and full
/// commitment blocks. Nothing may panic; what is read back round-trips.
pub fn verify_upload(data: &[u8]) {
    use minutebook_server::auth::signed_file;
    use minutebook_shared::signoff::output_signature::{self, OutputClaim};
    use minutebook_shared::signoff::public;
    use minutebook_shared::trust::{commitment, parse_approval_file};

    let keys = keys();
    let (frozen, claim) = output_signature::frozen(data);
    assert!(
        frozen.len() <= data.len() + 2,
        "the claim only ever comes off"
    );
    if let Some(Some(c)) = &claim {
        assert_eq!(OutputClaim::parse_line(&c.line()).as_ref(), Some(c));
    }
    let _ = signed_file::check_output(&keys, data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = signed_file::check(&keys, text);
    if let Ok(proof) = commitment::verify_public(text) {
        assert!(
            public::is_public_file(text),
            "a verified public file is one"
        );
        let _ = public::statement(&proof);
        let _ = public::withheld(&proof);
    }
    let _ = commitment::verify_full(text);
    let _ = parse_approval_file(text);
}
