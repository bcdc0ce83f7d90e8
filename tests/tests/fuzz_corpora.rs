//! Replays every fuzz corpus file (`tests/fuzz/corpus/<target>/`) through the same checks
//! the cargo-fuzz targets run (`tests/fuzz/checks.rs`), so inputs found once — the
//! 5,000-deep update among them — stay covered by the normal test suite.
//!
//! `cargo test -p minutebook-tests --test fuzz_corpora -- --ignored write_seed_corpora`
//! (re)writes the hand-made seeds; fuzzing adds the rest (see RELIABILITY.md).

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

use minutebook_shared::meeting::{export, import, Meeting};
use minutebook_shared::protocol::{self, Message, SyncMessage};
use minutebook_shared::signoff::{self, SignOff};
use minutebook_tests::hostile::nested_any_update;
use yrs::{Doc, ReadTxn, Text, Transact};

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 7] = [
    ("sync_message", checks::sync_message),
    ("awareness", checks::awareness),
    ("import_legacy", checks::import_legacy),
    ("import_markdown", checks::import_markdown),
    ("signoff_block", checks::signoff_block),
    ("html_footer", checks::html_footer),
    ("verify_upload", checks::verify_upload),
];

fn corpus_dir(target: &str) -> PathBuf {
    minutebook_tests::workspace_root()
        .join("tests/fuzz/corpus")
        .join(target)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_passes_its_check() {
    for (target, check) in TARGETS {
        let files = files(&corpus_dir(target));
        assert!(!files.is_empty(), "the {target} corpus is empty");
        for file in files {
            let data = std::fs::read(&file).expect("readable corpus file");
            // A panic here names the file; a stack overflow would abort the test binary.
            println!("{target}: {}", file.display());
            check(&data);
        }
    }
}

#[test]
fn the_nesting_attack_is_in_the_corpus() {
    let attack = protocol::encode(&Message::Sync(SyncMessage::Update(nested_any_update(
        5_000,
    ))));
    let found = files(&corpus_dir("sync_message"))
        .iter()
        .any(|f| std::fs::read(f).ok().as_deref() == Some(&attack[..]));
    assert!(found, "the 5,000-deep update is kept as a seed");
}

/// Writes the hand-made seeds (run with `--ignored`).
#[test]
#[ignore]
fn write_seed_corpora() {
    let write = |target: &str, name: &str, data: &[u8]| {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("corpus dir");
        std::fs::write(dir.join(name), data).expect("seed written");
    };
    // Sync: the nesting attack, sync step 1, and a real edit of a meeting.
    for depth in [65, 5_000] {
        let frame = protocol::encode(&Message::Sync(SyncMessage::Update(nested_any_update(
            depth,
        ))));
        write("sync_message", &format!("nested-any-{depth}"), &frame);
    }
    write(
        "sync_message",
        "sync-step-1-empty",
        &protocol::encode(&Message::Sync(SyncMessage::SyncStep1(Default::default()))),
    );
    let fixture = include_str!("../../shared/fixtures/assurance-meeting-2022-01.txt");
    let minutes = import::parse_minutes(fixture).expect("fixture");
    let doc = Doc::with_client_id(77);
    let meeting = Meeting::new(doc.clone());
    meeting
        .import_minutes(&mut doc.transact_mut(), &minutes)
        .expect("loads");
    let sv = doc.transact().state_vector();
    {
        let text = doc.get_or_insert_text("seed");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "an edit");
        text.remove_range(&mut txn, 0, 3);
    }
    let edit = doc.transact().encode_diff_v1(&sv);
    write(
        "sync_message",
        "edit",
        &protocol::encode(&Message::Sync(SyncMessage::Update(edit))),
    );
    // Awareness payloads (without the leading message type).
    let awareness = protocol::encode(&minutebook_tests::raw::awareness(
        1,
        1,
        r##"{"user":{"name":"Ann","color":"#36c"},"cursor":null}"##,
    ));
    write("awareness", "state", &awareness[1..]);
    let deep = "[".repeat(5_000) + &"]".repeat(5_000);
    let awareness = protocol::encode(&minutebook_tests::raw::awareness(2, 1, &deep));
    write("awareness", "nested-json-5000", &awareness[1..]);
    // Importers.
    write("import_legacy", "assurance-2022-01", fixture.as_bytes());
    let view = meeting.view(&doc.transact());
    let md = export::markdown(&view);
    write("import_markdown", "assurance-2022-01.md", md.as_bytes());
    // Sign-off block and HTML footer.
    let facts = SignOff {
        meeting: "assurance-2022-01".into(),
        version: 1,
        signer: "Pippa Mills".into(),
        signed_at: 1_700_000_000_000,
        sha256: minutebook_shared::trust::sha256_hex(md.as_bytes()),
    };
    write(
        "signoff_block",
        "signed.md",
        signoff::render_markdown(&md, &facts).as_bytes(),
    );
    let html = export::html(&view);
    write(
        "html_footer",
        "signed.html",
        signoff::with_html_footer(&html, &facts).as_bytes(),
    );
    verify_upload_seeds(&write, &doc, &meeting, &facts);
}

/// Seeds of `verify_upload`: a public and a full version with an exempt item and their
/// commitment blocks, a PDF and a Word file carrying a claim, an approval record.
fn verify_upload_seeds(
    write: &dyn Fn(&str, &str, &[u8]),
    doc: &Doc,
    meeting: &Meeting,
    facts: &SignOff,
) {
    use minutebook_shared::meeting::{markdown, segment, Exemption, Paragraph};
    use minutebook_shared::signoff::output_signature::{attach, OutputClaim, OutputKind, Scope};
    use minutebook_shared::signoff::signature::Carried;
    use minutebook_shared::trust::commitment;
    {
        let view = meeting.view(&doc.transact());
        let item = view.items[1].id.clone();
        let mut txn = doc.transact_mut();
        let reason = Exemption::Schedule12A(Paragraph::new(3).expect("paragraph 3"));
        meeting
            .set_exemption(&mut txn, &item, Some(&reason))
            .expect("exempt");
        meeting
            .set_public_title(&mut txn, &item, "Contract award")
            .expect("public title");
    }
    let view = meeting.view(&doc.transact());
    let segments = markdown::segments(&view, "DRAFT — not signed off");
    let salts: Vec<commitment::Salt> = (0..segments.len()).map(|i| [i as u8; 32]).collect();
    let public = commitment::public_markdown(&segments);
    let mut file = signoff::render_markdown(&public, facts);
    file.push_str(&commitment::public_block(&segments, &salts).expect("block"));
    write("verify_upload", "public.md", file.as_bytes());
    let mut full = signoff::render_markdown(&segment::concat(&segments), facts);
    full.push_str(&commitment::full_block(&segments, &salts).expect("block"));
    write("verify_upload", "full.md", full.as_bytes());
    let carried = Carried {
        key_id: "0123456789abcdef".into(),
        html_sha256: None,
        signature: "c2lnbmF0dXJl".into(),
    };
    let claim = |kind| OutputClaim {
        meeting: "assurance-2022-01".into(),
        version: 1,
        kind,
        scope: Scope::Full,
        markdown_sha256: facts.sha256.clone(),
        carried: carried.clone(),
    };
    let pdf = attach(
        b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n",
        &claim(OutputKind::Pdf),
    )
    .expect("attached");
    write("verify_upload", "claimed.pdf", &pdf);
    let mut zip = b"PK\x03\x04 archive".to_vec();
    zip.extend_from_slice(b"PK\x05\x06");
    zip.extend_from_slice(&[0; 18]);
    let docx = attach(&zip, &claim(OutputKind::Docx)).expect("attached");
    write("verify_upload", "claimed.docx", &docx);
    write(
        "verify_upload",
        "approval.txt",
        b"<!-- minutebook:approval -->\nminutebook approval\nform: 1\nmeeting: a\n",
    );
}
