//! The organisation's branding through the real `minutebook` binary (the renderer linked,
//! which checks and sanitises logos): only administrators read or change it (`GET`/`PUT
//! /api/branding`, `PUT`/`DELETE /api/branding/logo`); texts and files are bounded; an SVG
//! logo is kept to shapes only; every change is audited; it is stored (a restart keeps
//! it); the PDF and Word documents of minutes signed afterwards carry the name and the
//! footer, and the published page names the organisation.

use anyhow::{ensure, Context};
use minutebook_tests::http::{request_as, Client, Response};
use minutebook_tests::{FixtureMeeting, ServerProcess};
use serde_json::json;

/// A logo with what sanitising must drop: a script, text, a link and an external image.
const HOSTILE_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" \
     xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 10 10\">\
     <script>alert('SCRIPT-MARKER')</script>\
     <a xlink:href=\"https://evil.example/\"><rect width=\"10\" height=\"10\" fill=\"#036\"/></a>\
     <text x=\"1\" y=\"5\">TEXT-MARKER</text>\
     <image xlink:href=\"https://evil.example/x.png\" width=\"5\" height=\"5\"/>\
     <circle cx=\"5\" cy=\"5\" r=\"3\" fill=\"#fc0\"/></svg>";

const ORGANISATION: &str = "Office of the Police and Crime Commissioner for Westshire";
const FOOTER: &str = "Westshire House, 1 High Street, Westbury WB1 1AA";

async fn put(
    addr: std::net::SocketAddr,
    token: &str,
    path: &str,
    kind: &str,
    body: &[u8],
) -> Response {
    request_as(addr, Some(token), "PUT", path, Some(kind), body).await
}

async fn put_texts(addr: std::net::SocketAddr, token: &str, texts: serde_json::Value) -> Response {
    let body = serde_json::to_vec(&texts).expect("json");
    put(addr, token, "/api/branding", "application/json", &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_brand_the_outputs_and_they_carry_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path()).await;
    let outcome = scenario(&server).await;
    server.kill9().await;
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
}

async fn scenario(server: &ServerProcess) -> anyhow::Result<()> {
    let FixtureMeeting {
        admin,
        meeting,
        chair,
    } = server.fixture_with_chair("Chloe Chair").await;
    let addr = server.addr;
    let admin_api = Client::new(addr, Some(admin.clone()));

    // Before anyone sets it: the flags' (none here).
    let b = admin_api.get("/api/branding").await;
    ensure!(b.status == 200, "{}", b.text());
    ensure!(
        b.json() == json!({"organisation": "", "footer": "", "logo_alt": "", "source": "flags"}),
        "{}",
        b.text()
    );

    // Administrators only.
    let chair_api = Client::new(addr, Some(chair.clone()));
    ensure!(chair_api.get("/api/branding").await.status == 403);
    let texts = json!({"organisation": ORGANISATION, "footer": FOOTER, "logo_alt": ""});
    ensure!(put_texts(addr, &chair, texts.clone()).await.status == 403);
    ensure!(
        put(
            addr,
            &chair,
            "/api/branding/logo",
            "image/svg+xml",
            HOSTILE_SVG.as_bytes()
        )
        .await
        .status
            == 403
    );
    ensure!(Client::new(addr, None).get("/api/branding").await.status == 401);

    // Bounded texts.
    for bad in [
        json!({"organisation": "x".repeat(201), "footer": "", "logo_alt": ""}),
        json!({"organisation": "", "footer": "y".repeat(501), "logo_alt": ""}),
        json!({"organisation": "", "footer": "", "logo_alt": "z".repeat(301)}),
        json!({"organisation": "A\u{7}B", "footer": "", "logo_alt": ""}),
        json!({"organisation": 5}),
    ] {
        let r = put_texts(addr, &admin, bad.clone()).await;
        ensure!(r.status == 400, "{bad}: {} {}", r.status, r.text());
    }
    // A logo needs its alt text first.
    let r = put(
        addr,
        &admin,
        "/api/branding/logo",
        "image/svg+xml",
        HOSTILE_SVG.as_bytes(),
    )
    .await;
    ensure!(
        r.status == 400 && r.text().contains("alt text"),
        "{}",
        r.text()
    );

    let r = put_texts(
        addr,
        &admin,
        json!({"organisation": format!("  {ORGANISATION} "), "footer": FOOTER, "logo_alt": "The office's crest"}),
    )
    .await;
    ensure!(r.status == 200, "{}", r.text());
    ensure!(
        r.json()["organisation"] == json!(ORGANISATION) && r.json()["source"] == json!("settings"),
        "trimmed and in force: {}",
        r.text()
    );

    // Files: bounded, checked, an SVG kept to shapes.
    let big = vec![b' '; 512 * 1024 + 1];
    let r = put(addr, &admin, "/api/branding/logo", "image/svg+xml", &big).await;
    ensure!(r.status == 413, "too large: {} {}", r.status, r.text());
    for (kind, bad) in [
        ("image/png", b"\x89PNG\r\n\x1a\nnot really".to_vec()),
        ("text/plain", b"hello".to_vec()),
        ("application/octet-stream", vec![0xff, 0xfe, 0x00]),
    ] {
        let r = put(addr, &admin, "/api/branding/logo", kind, &bad).await;
        ensure!(r.status == 422, "{kind}: {} {}", r.status, r.text());
    }
    let r = put(
        addr,
        &admin,
        "/api/branding/logo",
        "image/svg+xml",
        HOSTILE_SVG.as_bytes(),
    )
    .await;
    ensure!(r.status == 200, "{}", r.text());
    let logo = &r.json()["logo"];
    ensure!(logo["kind"] == json!("svg"), "{}", r.text());
    let kept = logo["bytes"].as_u64().context("its size")?;
    ensure!(
        (kept as usize) < HOSTILE_SVG.len(),
        "sanitised: {kept} of {} bytes kept",
        HOSTILE_SVG.len()
    );
    // Removing the logo's alt text while the logo stays is refused.
    let r = put_texts(
        addr,
        &admin,
        json!({"organisation": ORGANISATION, "footer": FOOTER, "logo_alt": ""}),
    )
    .await;
    ensure!(r.status == 400, "{}", r.text());

    // Audited, without the file.
    let audit = admin_api.get("/api/audit").await.text();
    ensure!(
        audit.matches("branding-changed").count() >= 2 && audit.contains("logo set: an SVG"),
        "{audit}"
    );
    ensure!(!audit.contains("SCRIPT-MARKER"), "{audit}");

    // Signed afterwards: the PDF and the Word document carry the name and the footer.
    let r = chair_api
        .post_json(
            &format!("/api/meetings/{meeting}/sign-off"),
            &json!({ "override_reason": "confirmed on paper" }),
        )
        .await;
    ensure!(r.status == 200, "sign-off: {}", r.text());
    let pdf = chair_api
        .get(&format!("/api/meetings/{meeting}/versions/1/export.pdf"))
        .await;
    ensure!(pdf.status == 200, "the PDF: {}", pdf.status);
    let work = tempfile::tempdir()?;
    let file = work.path().join("minutes.pdf");
    std::fs::write(&file, &pdf.body[..])?;
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .context("pdftotext")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        text.contains(ORGANISATION),
        "the PDF names the organisation:\n{text}"
    );
    ensure!(text.contains(FOOTER), "the PDF's footer:\n{text}");
    ensure!(!text.contains("TEXT-MARKER") && !text.contains("SCRIPT-MARKER"));
    let docx = chair_api
        .get(&format!("/api/meetings/{meeting}/versions/1/export.docx"))
        .await;
    ensure!(docx.status == 200, "the Word document: {}", docx.status);
    let docx_file = work.path().join("minutes.docx");
    std::fs::write(&docx_file, &docx.body[..])?;
    let out = std::process::Command::new("unzip")
        .arg("-p")
        .arg(&docx_file)
        .output()
        .context("unzip")?;
    let xml = String::from_utf8_lossy(&out.stdout);
    ensure!(
        xml.contains(ORGANISATION) && xml.contains("Westshire House"),
        "the Word document carries them"
    );

    // Published, the page names the organisation.
    let r = chair_api
        .post_json(
            &format!("/api/meetings/{meeting}/publication"),
            &json!({ "version": 1 }),
        )
        .await;
    ensure!(r.status == 200, "publish: {}", r.text());
    let path = format!(
        "/public/{}/{meeting}",
        r.json()["series"].as_str().context("series")?
    );
    let page = Client::new(addr, None).get(&path).await.text();
    ensure!(
        page.contains(ORGANISATION),
        "the public page names the organisation"
    );

    // The logo removed; the texts stay.
    let r = admin_api.delete("/api/branding/logo").await;
    ensure!(
        r.status == 200 && r.json()["logo"].is_null(),
        "{}",
        r.text()
    );
    ensure!(r.json()["organisation"] == json!(ORGANISATION));
    Ok(())
}

/// A restart keeps the branding: it is in the store, not in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_branding_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path()).await;
    let admin = server.setup_admin().await;
    let r = put_texts(
        server.addr,
        &admin,
        json!({"organisation": ORGANISATION, "footer": FOOTER, "logo_alt": "Crest"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = put(
        server.addr,
        &admin,
        "/api/branding/logo",
        "image/svg+xml",
        HOSTILE_SVG.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    server.kill9().await;
    let server = ServerProcess::start(dir.path()).await;
    let b = Client::new(server.addr, Some(admin))
        .get("/api/branding")
        .await;
    server.kill9().await;
    assert_eq!(b.status, 200, "{}", b.text());
    let b = b.json();
    assert_eq!(b["organisation"], json!(ORGANISATION));
    assert_eq!(b["footer"], json!(FOOTER));
    assert_eq!(b["logo"]["kind"], json!("svg"));
    assert_eq!(b["source"], json!("settings"));
}
