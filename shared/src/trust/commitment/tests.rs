//! The commitment: round trips of both blocks, every tampering the public block must
//! catch, the tree shape, the bounds, and fuzzing (arbitrary input never panics).

use super::*;
use crate::meeting::markdown::{segments, to_markdown_as, DRAFT_STATUS};
use crate::meeting::tests::exempt::meeting;
use crate::meeting::tests::roundtrip::{minutes, view_of};
use crate::meeting::MeetingView;
use proptest::prelude::*;

/// Fixed salts: the server draws them with a CSPRNG; tests only need them distinct.
fn salts(n: usize) -> Vec<Salt> {
    (0..n)
        .map(|i| Sha256::digest((i as u64).to_be_bytes()).into())
        .collect()
}

fn full_file(view: &MeetingView) -> (String, Hash) {
    let segs = segments(view, DRAFT_STATUS);
    let salts = salts(segs.len());
    let block = full_block(&segs, &salts).unwrap();
    (
        format!("{}{block}", to_markdown_as(view, DRAFT_STATUS)),
        root(&segs, &salts).unwrap(),
    )
}

fn public_file(view: &MeetingView) -> (String, Hash) {
    let segs = segments(view, DRAFT_STATUS);
    let salts = salts(segs.len());
    let block = public_block(&segs, &salts).unwrap();
    (
        format!("{}{block}", public_markdown(&segs)),
        root(&segs, &salts).unwrap(),
    )
}

/// (number, withheld: (label, withheld with item))
type Summary = Vec<(String, Option<(String, Option<String>)>)>;

fn summary(proof: &PublicProof) -> Summary {
    proof
        .items
        .iter()
        .map(|i| {
            (
                i.number.clone(),
                i.withheld
                    .as_ref()
                    .map(|w| (w.label.clone(), w.with_item.clone())),
            )
        })
        .collect()
}

#[test]
fn both_versions_verify_to_the_same_root() {
    let (_, view) = meeting();
    let (full, root) = full_file(&view);
    let proof = verify_full(&full).unwrap();
    assert_eq!(proof.root, hex(&root));
    assert_eq!(
        proof.markdown_sha256,
        sha256_hex(to_markdown_as(&view, DRAFT_STATUS).as_bytes())
    );
    assert_eq!(proof.codes[2], "12A:3");
    let (public, root2) = public_file(&view);
    assert_eq!(root, root2);
    assert!(!public.contains("SECRET"), "{public}");
    let proof = verify_public(&public).unwrap();
    assert_eq!(proof.root, hex(&root));
    let markdown = &public[..public.find(&format!("\n{MARKER}\n")).unwrap()];
    assert_eq!(proof.public_sha256, sha256_hex(markdown.as_bytes()));
    let twelve_a = "Exempt item — Schedule 12A paragraph 3".to_owned();
    assert_eq!(
        summary(&proof),
        [
            ("1".into(), None),
            ("2".into(), Some((twelve_a.clone(), None))),
            ("2.1".into(), Some((twelve_a.clone(), Some("2".into())))),
            ("2.1.1".into(), Some((twelve_a, Some("2".into())))),
            (
                "3".into(),
                Some((
                    "Confidential item — staffing matter; *personal*".into(),
                    None
                ))
            ),
            ("4".into(), None),
        ]
    );
    assert_eq!(proof.withheld().count(), 4);
    // The block is readable.
    let block = &public[markdown.len()..];
    assert!(block.starts_with("\n<!-- minutebook:commitment -->\nminutebook commitment\nform: 1\nkind: public\nsegments: 8\nshown "), "{block}");
    assert!(block.contains(" 2 12A:3\nwithheld 0 "), "{block}");
    assert!(block.contains(" 3 confidential\nshown "), "{block}");
    // Each kind of file is refused by the other's check.
    assert!(matches!(
        verify_full(&public),
        Err(CommitmentError::WrongKind { .. })
    ));
    assert!(matches!(
        verify_public(&full),
        Err(CommitmentError::WrongKind { .. })
    ));
}

#[test]
fn a_meeting_without_exempt_items_verifies_with_nothing_withheld() {
    let (m, _) = meeting();
    let mut txn = yrs::Transact::transact_mut(m.doc());
    for item in m.view(&txn).items {
        m.set_exemption(&mut txn, &item.id, None).unwrap();
    }
    let view = m.view(&txn);
    let (public, root) = public_file(&view);
    let proof = verify_public(&public).unwrap();
    assert_eq!(proof.root, hex(&root));
    assert_eq!(proof.withheld().count(), 0);
    assert_eq!(proof.items.len(), view.items.len());
    assert_eq!(
        proof.public_sha256,
        sha256_hex(to_markdown_as(&view, DRAFT_STATUS).as_bytes()),
        "the public text is the full text"
    );
    assert_eq!(verify_full(&full_file(&view).0).unwrap().root, hex(&root));
}

#[test]
fn a_sign_off_block_may_stand_between_the_text_and_the_commitment() {
    let (_, view) = meeting();
    let segs = segments(&view, DRAFT_STATUS);
    let salts = salts(segs.len());
    let md = to_markdown_as(&view, DRAFT_STATUS);
    let facts = SignOff {
        meeting: "m".into(),
        version: 1,
        signer: "Jane".into(),
        signed_at: 1_795_000_000_000,
        sha256: sha256_hex(md.as_bytes()),
    };
    let export = signoff::render_markdown(&md, &facts);
    let file = format!("{export}{}", full_block(&segs, &salts).unwrap());
    let proof = verify_full(&file).unwrap();
    assert_eq!(proof.sign_off.as_ref(), Some(&facts));
    assert_eq!(proof.markdown_sha256, facts.sha256);
    // The sign-off block still reads and checks with the commitment after it.
    assert!(signoff::check(&file, Some(&facts)).verified());
    // The importer stops at the commitment block.
    let bare = format!("{md}{}", full_block(&segs, &salts).unwrap());
    assert_eq!(
        crate::meeting::markdown::parse(&bare).unwrap(),
        crate::meeting::Minutes::from_view(&view)
    );

    let public = signoff::render_markdown(&public_markdown(&segs), &facts);
    let file = format!("{public}{}", public_block(&segs, &salts).unwrap());
    assert_eq!(verify_public(&file).unwrap().sign_off, Some(facts));
    // Anything else there is refused.
    let block = public_block(&segs, &salts).unwrap();
    for between in ["\nInjected.\n", "\n---\n\n", " "] {
        let file = format!("{}{between}{block}", public_markdown(&segs));
        assert!(verify_public(&file).is_err(), "{between:?}");
    }
}

#[test]
fn facts_appended_to_the_trailer_are_committed() {
    let (_, view) = meeting();
    let mut segs = segments(&view, DRAFT_STATUS);
    crate::meeting::segment::append_to_trailer(&mut segs, "\n## Signed off\n\n- Version: 1\n");
    let salts = salts(segs.len());
    let file = format!(
        "{}{}",
        public_markdown(&segs),
        public_block(&segs, &salts).unwrap()
    );
    assert!(file.contains("\n## Signed off\n\n- Version: 1\n\n<!-- minutebook:commitment"));
    assert_eq!(
        verify_public(&file).unwrap().root,
        hex(&root(&segs, &salts).unwrap())
    );
}

/// The public file's lines, for editing.
fn edit_block(file: &str, f: impl FnOnce(&mut Vec<String>)) -> String {
    let at = file.rfind(&format!("\n{MARKER}\n")).unwrap();
    let mut lines: Vec<String> = file[at..].lines().map(str::to_owned).collect();
    f(&mut lines);
    format!("{}{}\n", &file[..at], lines.join("\n"))
}

fn line_index(lines: &[String], prefix: &str) -> usize {
    lines.iter().position(|l| l.starts_with(prefix)).unwrap()
}

#[test]
fn tampering_fails() {
    let (_, view) = meeting();
    let (public, _) = public_file(&view);
    let segs = segments(&view, DRAFT_STATUS);
    let s = salts(segs.len());
    let root_mismatch =
        |f: &str| matches!(verify_public(f), Err(CommitmentError::RootMismatch { .. }));

    // A changed byte in a published segment.
    assert!(root_mismatch(&public.replacen(
        "Welcome all.",
        "Welcome ALL.",
        1
    )));
    // A changed withheld hash.
    let withheld = hex(&content_hash(&s[2], &segs[2].text));
    assert!(public.contains(&withheld));
    let other = hex(&content_hash(&s[2], "something else"));
    assert!(root_mismatch(&public.replacen(&withheld, &other, 1)));
    // A changed reason: refused by the placeholder…
    let e = verify_public(&public.replacen(" 2 12A:3\n", " 2 12A:4\n", 1)).unwrap_err();
    assert!(e.to_string().contains("placeholder says"), "{e}");
    // …and by the root when the placeholder is changed with it.
    let both = public
        .replacen(" 2 12A:3\n", " 2 12A:4\n", 1)
        .replacen(" 2.1 12A:3\n", " 2.1 12A:4\n", 1)
        .replacen(" 2.1.1 12A:3\n", " 2.1.1 12A:4\n", 1)
        .replacen("paragraph 3*", "paragraph 4*", 1);
    assert!(root_mismatch(&both), "{:?}", verify_public(&both));
    // A sub-item claiming another reason than its item.
    let e = verify_public(&public.replacen(" 2.1 12A:3\n", " 2.1 12A:4\n", 1)).unwrap_err();
    assert!(e.to_string().contains("belongs to"), "{e}");
    // A changed length.
    let first = public_block(&segs, &s).unwrap();
    let n0 = segs[0].text.len();
    let shorter = edit_block(&public, |l| {
        let i = line_index(l, "shown ");
        l[i] = l[i].replacen(&format!("shown {n0} "), &format!("shown {} ", n0 - 1), 1);
    });
    assert!(verify_public(&shorter).is_err());
    assert!(first.contains(&format!("shown {n0} ")));
    // Reordered segments (two published item segments swapped, with their texts).
    let swapped = edit_block(&public, |l| l.swap(7, 12));
    assert!(verify_public(&swapped).is_err());
    // A removed or added segment.
    let removed = edit_block(&public, |l| {
        l.remove(11);
        l[5] = "segments: 7".into();
    });
    assert!(verify_public(&removed).is_err());
    let added = edit_block(&public, |l| {
        l.insert(11, format!("shown 0 {}", hex(&[7; 32])));
        l[5] = "segments: 9".into();
    });
    assert!(verify_public(&added).is_err());
    let count_only = edit_block(&public, |l| l[5] = "segments: 9".into());
    assert!(verify_public(&count_only).is_err());
    // Line endings converted.
    assert!(verify_public(&public.replace('\n', "\r\n")).is_err());
    // Text after the root.
    assert!(verify_public(&format!("{public}more\n")).is_err());
}

#[test]
fn a_withheld_item_cannot_pass_as_published_nor_the_reverse() {
    let (_, view) = meeting();
    let segs = segments(&view, DRAFT_STATUS);
    let s = salts(segs.len());
    let block = public_block(&segs, &s).unwrap();
    let lines: Vec<&str> = block.lines().collect();
    let root_line = lines[lines.len() - 1];
    let rebuild = |texts: Vec<String>, entries: Vec<String>| {
        format!(
            "{}\n{MARKER}\n{TITLE}\n{FORM}\nkind: public\nsegments: {}\n{}\n{root_line}\n",
            texts.concat(),
            entries.len(),
            entries.join("\n")
        )
    };
    let public_texts: Vec<String> = segs.iter().map(|s| s.public().text).collect();
    let entries: Vec<String> = lines[6..lines.len() - 1]
        .iter()
        .map(|l| (*l).to_owned())
        .collect();
    assert!(verify_public(&rebuild(public_texts.clone(), entries.clone())).is_ok());

    // Item 2 published with its true text and salt (and its sub-items): the leaf says
    // "withheld for 12A:3", so the root differs.
    let mut texts = public_texts.clone();
    let mut e = entries.clone();
    for i in 2..=4 {
        texts[i] = segs[i].text.clone();
        e[i] = format!("shown {} {}", segs[i].text.len(), hex(&s[i]));
    }
    let f = rebuild(texts, e);
    assert!(
        matches!(verify_public(&f), Err(CommitmentError::RootMismatch { .. })),
        "{:?}",
        verify_public(&f)
    );

    // Item 1 (published) claimed as withheld with its true content hash.
    let mut texts = public_texts.clone();
    let mut e = entries.clone();
    let reason = Exemption::Schedule12A(crate::meeting::Paragraph::new(1).unwrap());
    texts[1] = crate::meeting::markdown::placeholder("1", 0, "Open", &reason);
    e[1] = format!(
        "withheld {} {} 1 12A:1",
        texts[1].len(),
        hex(&content_hash(&s[1], &segs[1].text))
    );
    let f = rebuild(texts, e);
    assert!(
        matches!(verify_public(&f), Err(CommitmentError::RootMismatch { .. })),
        "{:?}",
        verify_public(&f)
    );

    // A withheld sub-item shown with an empty text under a published item.
    let mut e = entries.clone();
    e[6] = format!("withheld 0 {} 4.1 confidential", hex(&[1; 32]));
    let mut texts = public_texts.clone();
    texts[6] = String::new();
    let err = verify_public(&rebuild(texts, e)).unwrap_err();
    assert!(matches!(err, CommitmentError::Segment { .. }), "{err}");

    // A published sub-item of a withheld item.
    let mut e = entries.clone();
    let mut texts = public_texts.clone();
    texts[3] = segs[3].text.clone();
    e[3] = format!("shown {} {}", segs[3].text.len(), hex(&s[3]));
    let err = verify_public(&rebuild(texts, e)).unwrap_err();
    assert!(err.to_string().contains("is withheld"), "{err}");

    // The preamble cannot be withheld.
    let mut e = entries;
    e[0] = format!("withheld {} {} 1 12A:1", segs[0].text.len(), hex(&[1; 32]));
    let err = verify_public(&rebuild(public_texts, e)).unwrap_err();
    assert!(err.to_string().contains("only items"), "{err}");
}

#[test]
fn the_tree_is_rfc_6962_shaped() {
    let l: Vec<Hash> = (0u8..5).map(|i| [i; 32]).collect();
    assert_eq!(merkle_root(&[]), None);
    assert_eq!(merkle_root(&l[..1]), Some(l[0]));
    assert_eq!(merkle_root(&l[..2]), Some(node_hash(&l[0], &l[1])));
    assert_eq!(
        merkle_root(&l[..3]),
        Some(node_hash(&node_hash(&l[0], &l[1]), &l[2]))
    );
    let four = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3]));
    assert_eq!(merkle_root(&l[..4]), Some(four));
    assert_eq!(merkle_root(&l), Some(node_hash(&four, &l[4])));
    // Domain separation: a leaf's content, a leaf and a node never hash alike.
    assert_ne!(content_hash(&[0; 32], ""), leaf_hash("-", &[0; 32]));
    assert_eq!(parse_hash(&hex(&[0xab; 32])), Some([0xab; 32]));
    assert_eq!(parse_hash(&"AB".repeat(32)), None);
}

#[test]
fn bounds_and_salts_are_checked() {
    let (_, view) = meeting();
    let segs = segments(&view, DRAFT_STATUS);
    assert_eq!(
        full_block(&segs, &salts(2)),
        Err(CommitmentError::SaltCount {
            segments: 8,
            salts: 2
        })
    );
    let big = "a".repeat(MAX_FILE_BYTES + 1);
    assert_eq!(verify_public(&big), Err(CommitmentError::TooLarge));
    assert_eq!(verify_public("# M\n"), Err(CommitmentError::NoBlock));
    let head = format!("\n{MARKER}\n{TITLE}\n{FORM}\nkind: public\n");
    for (block, why) in [
        (
            format!("{head}segments: {}\n", MAX_SEGMENTS + 1),
            "segments: N",
        ),
        (format!("{head}segments: 1\n"), "segments: N"),
        (format!("{head}segments: 02\n"), "segments: N"),
        (
            format!("{head}segments: 2\nshown 0 {}\n", "a".repeat(300)),
            "too long",
        ),
        (
            format!("{head}segments: 2\nshown 0 {}\n", "A".repeat(64)),
            "bad salt",
        ),
        (
            format!("{head}segments: 2\nshown 01 {}\n", "a".repeat(64)),
            "bad length",
        ),
        (
            format!("{head}segments: 2\nwithheld 0 {} 1 12A:9\n", "a".repeat(64)),
            "segment line",
        ),
        (
            format!(
                "{head}segments: 2\nshown 0 {0}\nshown 0 {0}\n",
                "a".repeat(64)
            ),
            "root",
        ),
        (format!("{head}segments: 2"), "line break"),
        (format!("\n{MARKER}\n{TITLE}\nform: 2\n"), "unknown form"),
    ] {
        let e = verify_public(&block).unwrap_err();
        assert!(e.to_string().contains(why), "{block:?}: {e}");
    }
    // Lengths past the end of the text, or inside a character.
    let salt = "a".repeat(64);
    let root = "b".repeat(64);
    let past = format!("x{head}segments: 2\nshown 1 {salt}\nshown 1 {salt}\nroot: {root}\n");
    assert!(matches!(
        verify_public(&past),
        Err(CommitmentError::Lengths(_))
    ));
    let inside = format!("é{head}segments: 2\nshown 1 {salt}\nshown 1 {salt}\nroot: {root}\n");
    assert!(matches!(
        verify_public(&inside),
        Err(CommitmentError::Segment { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    /// Generated meetings (with exemptions): both files verify to the root, and the proof
    /// names exactly the items the view withholds.
    #[test]
    fn generated_meetings_verify(generated in minutes()) {
        let view = view_of(&generated);
        let (full, root) = full_file(&view);
        prop_assert_eq!(verify_full(&full).map(|p| p.root), Ok(hex(&root)));
        let (public, _) = public_file(&view);
        let proof = verify_public(&public).map_err(|e| TestCaseError::fail(format!("{e}\n{public}")))?;
        prop_assert_eq!(&proof.root, &hex(&root));
        let expected: Vec<(String, bool)> = view
            .items
            .iter()
            .map(|i| (i.number.clone(), i.withheld_by.is_some()))
            .collect();
        let got: Vec<(String, bool)> = proof
            .items
            .iter()
            .map(|i| (i.number.clone(), i.withheld.is_some()))
            .collect();
        prop_assert_eq!(got, expected);
    }

    /// Arbitrary input never panics.
    #[test]
    fn arbitrary_input_never_panics(s in ".{0,400}") {
        let _ = verify_public(&s);
        let _ = verify_full(&s);
        let with_block = format!("{s}\n{MARKER}\n{TITLE}\n{FORM}\nkind: public\n{s}\n");
        let _ = verify_public(&with_block);
    }

    /// Mangled real files never panic, and only verify when the block still says the same.
    #[test]
    fn mangled_files_never_panic(
        at in any::<prop::sample::Index>(),
        len in 0usize..8,
        junk in prop::sample::select(vec!["", "0", "1", " ", "\n", "é", "a", "withheld", "shown 0 ", "12A:3", "*"]),
        full in any::<bool>(),
    ) {
        let (_, view) = meeting();
        let (file, _) = if full { full_file(&view) } else { public_file(&view) };
        let mut cut = at.index(file.len());
        while !file.is_char_boundary(cut) { cut -= 1; }
        let mut end = (cut + len).min(file.len());
        while !file.is_char_boundary(end) { end -= 1; }
        let mangled = format!("{}{junk}{}", &file[..cut], &file[end..]);
        let result = if full { verify_full(&mangled).map(|p| p.root) } else { verify_public(&mangled).map(|p| p.root) };
        if mangled != file {
            // A change may only still verify where the root does not reach (a
            // placeholder's public title, which the signed public SHA-256 binds instead):
            // then to the same root.
            if let Ok(root) = result {
                let original = if full { verify_full(&file).map(|p| p.root) } else { verify_public(&file).map(|p| p.root) };
                prop_assert_eq!(Ok(root), original);
            }
        }
    }
}
