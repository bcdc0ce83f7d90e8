//! The house-style PDF and Word document of a signed version, through the real
//! `minutebook` binary (the only one that links the renderer): rendered after sign-off in
//! the organisation's style, downloadable by the meeting's members only, identical after
//! `kill -9` and a restart, and checked byte for byte by `minutebook verify` (with
//! `--server` and with `--data-dir`) and by anonymous `POST /api/verify`, which refuses a
//! changed file and treats a ZIP bomb as bytes to hash; each download carries the
//! server's signed claim on it, which `verify --key` checks offline.

use std::path::Path;

use minutebook_shared::trust::Role;
use minutebook_tests::http::Client;
use minutebook_tests::{member, workspace_root, ServerProcess};
use serde_json::json;

const ORGANISATION: &str = "Office of the Police and Crime Commissioner";

async fn start(dir: &Path) -> ServerProcess {
    ServerProcess::start_with(
        dir,
        &[
            "--organisation",
            ORGANISATION,
            "--footer-text",
            "Alpha House, Midshire",
        ],
    )
    .await
}

/// `minutebook verify ARGS… FILE` on `bytes`; (exit code, output).
async fn verify(args: &[&str], bytes: &[u8], name: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).expect("write the file");
    let file = file.display().to_string();
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.push(&file);
    minutebook_tests::run_minutebook(&all, &[("MINUTEBOOK_SERVER", None)]).await
}

async fn get_bytes(client: &Client, path: &str) -> (u16, Vec<u8>) {
    let r = client.get(path).await;
    (r.status, r.body.to_vec())
}

#[tokio::test]
async fn a_signed_version_is_frozen_as_pdf_and_word_that_verify_accepts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let admin_token = server.setup_admin().await;
    let admin = Client::new(server.addr, Some(admin_token.clone()));
    let fixture = std::fs::read_to_string(
        workspace_root().join("shared/fixtures/assurance-meeting-2022-01.txt"),
    )
    .expect("the fixture");
    let r = admin
        .post_text("/api/meetings/import?format=legacy", &fixture)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meeting = r.json()["name"].as_str().expect("name").to_owned();
    let chair = member(
        server.addr,
        &admin_token,
        &meeting,
        "Chair",
        None,
        Role::Chair,
    )
    .await;
    let r = Client::new(server.addr, Some(chair))
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "the attendees confirmed on paper" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sha = r.json()["sha256"].as_str().expect("sha").to_owned();

    // Rendered by the time the sign-off answered, in the house style.
    let pdf_path = format!("/api/meetings/{meeting}/versions/1/export.pdf");
    let docx_path = format!("/api/meetings/{meeting}/versions/1/export.docx");
    let (status, pdf) = get_bytes(&admin, &pdf_path).await;
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let (status, docx) = get_bytes(&admin, &docx_path).await;
    assert_eq!(status, 200);
    assert!(docx.starts_with(b"PK\x03\x04"), "a Word (ZIP) file");
    let text_dir = tempfile::tempdir().expect("temp dir");
    let pdf_file = text_dir.path().join("v1.pdf");
    std::fs::write(&pdf_file, &pdf).expect("write");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf_file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/setup.sh installs it)");
    let text = String::from_utf8_lossy(&text.stdout);
    for needle in [
        ORGANISATION,
        "Alpha House, Midshire",
        "Page 1 of",
        "Attendance",
        &sha[..16],
    ] {
        assert!(text.contains(needle), "the PDF shows {needle:?}:\n{text}");
    }
    // Members only.
    let anonymous = Client::new(server.addr, None);
    assert_eq!(get_bytes(&anonymous, &pdf_path).await.0, 401);

    // `verify` asks the server, byte for byte.
    let url = format!("http://{}", server.addr);
    for (bytes, name, label) in [(&pdf, "v1.pdf", "PDF"), (&docx, "v1.docx", "Word document")] {
        let (code, out) = verify(&["--server", &url], bytes, name).await;
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!(
                "is the {label} of version 1 of meeting `{meeting}`"
            )) && out.contains(&sha)
                && out.contains("\nApproval: none recorded"),
            "{out}"
        );
    }
    // One byte more is another file; a PDF still says what Markdown it carries.
    let mut changed = pdf.clone();
    changed.extend_from_slice(b"\n%changed\n");
    let (code, out) = verify(&["--server", &url], &changed, "changed.pdf").await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("DOES NOT MATCH")
            && out.contains("it carries the signed Markdown of version 1"),
        "{out}"
    );
    let mut changed = docx.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let (code, out) = verify(&["--server", &url], &changed, "changed.docx").await;
    assert_eq!(code, 1, "{out}");

    // Offline, with the published keys alone: each download carries the server's signed
    // claim on it; a changed file, or one stripped of its claim, is not verified.
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let keys = minutebook_tests::save_signing_keys(server.addr, keys_dir.path()).await;
    for (bytes, name, label) in [(&pdf, "v1.pdf", "PDF"), (&docx, "v1.docx", "Word document")] {
        let (code, out) = verify(&["--key", &keys], bytes, name).await;
        assert_eq!(code, 0, "{out}");
        assert!(
            out.starts_with("VERIFIED (signed by key")
                && out.contains(&format!("the {label} of version 1 of meeting `{meeting}`"))
                && out.contains(&sha),
            "{out}"
        );
    }
    let frozen = minutebook_shared::signoff::output_signature::frozen(&pdf).0;
    let (code, out) = verify(&["--key", &keys], &frozen, "bare.pdf").await;
    assert_eq!(code, 2, "no claim, nothing to check offline: {out}");
    let mut changed = pdf.clone();
    changed[pdf.len() / 2] ^= 1;
    let (code, out) = verify(&["--key", &keys], &changed, "changed.pdf").await;
    assert_eq!(code, 1, "{out}");
    let (code, out) = verify(&["--server", &url], &frozen, "bare.pdf").await;
    assert_eq!(code, 0, "the output as frozen is still the server's: {out}");

    // Anyone may ask; a ZIP bomb is only hashed.
    let r = anonymous.post_bytes("/api/verify", &pdf).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["matches"], json!(true));
    assert_eq!(r.json()["output"], json!("pdf"));
    let mut bomb = b"PK\x03\x04".to_vec();
    bomb.resize(1 << 20, 0);
    let r = anonymous.post_bytes("/api/verify", &bomb).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({ "matches": false, "stored": null, "html_sha256": null })
    );

    // Durable: the same bytes after kill -9, and `verify --data-dir` reads them.
    server.kill9().await;
    let (code, out) = verify(
        &["--data-dir", &dir.path().display().to_string()],
        &docx,
        "v1.docx",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let again = start(dir.path()).await;
    let admin = Client::new(again.addr, Some(admin_token));
    assert_eq!(get_bytes(&admin, &pdf_path).await, (200, pdf));
    again.kill9().await;
}

/// A version that withholds an exempt item also gets a public PDF and Word document
/// (exempt items replaced by their placeholders), which every member may download, which
/// `verify` names as the public version's, and which the published page serves; the full
/// ones stay with restricted access.
#[tokio::test]
async fn a_version_with_an_exempt_item_gets_a_public_pdf_and_word_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path()).await;
    let admin_token = server.setup_admin().await;
    let admin = Client::new(server.addr, Some(admin_token.clone()));
    let r = admin
        .post_text(
            "/api/meetings/import?format=markdown",
            minutebook_tests::EXEMPT_MINUTES,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meeting = r.json()["name"].as_str().expect("name").to_owned();
    let chair = member(
        server.addr,
        &admin_token,
        &meeting,
        "Chair",
        None,
        Role::Chair,
    )
    .await;
    let chair = Client::new(server.addr, Some(chair));
    let r = chair
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "agreed" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let observer = member(
        server.addr,
        &admin_token,
        &meeting,
        "Olly",
        None,
        Role::Observer,
    )
    .await;
    let observer = Client::new(server.addr, Some(observer));
    let base = format!("/api/meetings/{meeting}/versions/1");
    assert_eq!(
        get_bytes(&observer, &format!("{base}/export.pdf")).await.0,
        403
    );
    let (status, full_pdf) = get_bytes(&chair, &format!("{base}/export.pdf")).await;
    assert_eq!(status, 200);
    let (status, pdf) = get_bytes(&observer, &format!("{base}/public.pdf")).await;
    assert_eq!(status, 200);
    let (status, docx) = get_bytes(&observer, &format!("{base}/public.docx")).await;
    assert_eq!(status, 200);
    assert!(docx.starts_with(b"PK\x03\x04"));
    let text = |bytes: &[u8]| {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("f.pdf");
        std::fs::write(&file, bytes).expect("write");
        let out = std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let public_text = text(&pdf);
    assert!(!public_text.contains("SECRET"), "{public_text}");
    assert!(public_text.contains("Contract award") && public_text.contains("Exempt item"));
    assert!(text(&full_pdf).contains("SECRET-PRICE"));

    // Verified, offline and by the server, as the public version's.
    let url = format!("http://{}", server.addr);
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let keys = minutebook_tests::save_signing_keys(server.addr, keys_dir.path()).await;
    for (bytes, name, label) in [
        (&pdf, "p.pdf", "public PDF"),
        (&docx, "p.docx", "public Word document"),
    ] {
        let (code, out) = verify(&["--key", &keys], bytes, name).await;
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(&format!("the {label} of version 1")), "{out}");
        let (code, out) = verify(&["--server", &url], bytes, name).await;
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("is the {label} of version 1")),
            "{out}"
        );
    }

    // Published: the page links the public PDF and Word document, which are these files.
    let r = chair
        .post_json(
            &format!("/api/meetings/{meeting}/publication"),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.json()["series"]
        .as_str()
        .map(|s| format!("/public/{s}/{meeting}"))
        .expect("series");
    let anonymous = Client::new(server.addr, None);
    assert_eq!(
        get_bytes(&anonymous, &format!("{page}/minutes.pdf")).await,
        (200, pdf)
    );
    assert_eq!(
        get_bytes(&anonymous, &format!("{page}/minutes.docx")).await,
        (200, docx)
    );
    assert_eq!(
        get_bytes(&anonymous, &format!("{page}/minutes.html"))
            .await
            .0,
        404
    );
    server.kill9().await;
}
