//! Signatures anyone can check offline, through the real server and CLI: a signed
//! version's Markdown and HTML downloads carry an Ed25519 signature by the server's key;
//! `GET /api/signing-keys` publishes public halves only, to anyone; `minutebook verify
//! --key` checks a download with no server and no store and refuses an altered file, a
//! re-hashed forgery and an unknown key; after `minutebook keys rotate`, new versions are
//! signed by the new key and old downloads still verify against the published list.

use std::path::Path;

use minutebook_shared::signoff;
use minutebook_shared::trust::{sha256_hex, Role};
use minutebook_tests::http::Client;
use minutebook_tests::TestServer;
use serde_json::{json, Value};

/// Runs `minutebook ARGS…` with no server to ask and `data_dir` as its data directory;
/// (exit code, stdout and stderr).
async fn minutebook(args: &[&str], data_dir: &Path) -> (i32, String) {
    let data_dir = data_dir.display().to_string();
    minutebook_tests::run_minutebook(
        args,
        &[
            ("MINUTEBOOK_DATA_DIR", Some(&data_dir)),
            ("MINUTEBOOK_SERVER", None),
        ],
    )
    .await
}

/// `minutebook verify --key KEYS FILE` on `text`, offline; (exit code, output).
async fn verify_offline(keys: &str, text: &str, ext: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (key_file, file) = (
        dir.path().join("keys.json"),
        dir.path().join(format!("v.{ext}")),
    );
    std::fs::write(&key_file, keys).expect("write keys");
    std::fs::write(&file, text).expect("write file");
    let empty = dir.path().join("no-store");
    minutebook(
        &[
            "verify",
            "--key",
            &key_file.display().to_string(),
            &file.display().to_string(),
        ],
        &empty,
    )
    .await
}

/// `verify --key` refuses `text` (exit 1, `DOES NOT MATCH`); its output.
async fn refused(keys: &str, text: &str, ext: &str) -> String {
    let (code, out) = verify_offline(keys, text, ext).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("DOES NOT MATCH"), "{out}");
    out
}

async fn sign_off(server: &TestServer, chair: &str, meeting: &str, path: &str, body: Value) {
    let r = Client::new(server.addr(), Some(chair.to_string()))
        .post_json(&format!("/api/meetings/{meeting}/{path}"), &body)
        .await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
}

async fn download(server: &TestServer, meeting: &str, n: u32, ext: &str) -> String {
    let r = server
        .http()
        .get(&format!(
            "/api/meetings/{meeting}/versions/{n}/export.{ext}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

/// The published key list, checked to hold public halves only.
async fn published_keys(server: &TestServer) -> Value {
    let r = server.anonymous().get("/api/signing-keys").await;
    assert_eq!(r.status, 200, "anyone may read the keys: {}", r.text());
    let keys = r.json();
    for key in keys["keys"].as_array().expect("keys") {
        let mut fields: Vec<&str> = key
            .as_object()
            .expect("a key is an object")
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            ["algorithm", "created_at", "id", "public_key", "retired_at"],
            "{key}"
        );
        assert_eq!(key["algorithm"], json!("ed25519"));
        assert_eq!(key["public_key"].as_str().map(str::len), Some(44), "{key}");
    }
    keys
}

#[tokio::test]
async fn signed_versions_verify_offline_and_after_a_key_rotation() {
    let mut server = TestServer::start().await;
    let meeting = "signed-meeting".to_string();
    let view = minutebook_tests::seed_fixture(&server, &meeting).await;
    let chair_person = view.header.chair.as_ref().map(|p| p.0.clone());
    let chair = server
        .member(&meeting, "Chair", chair_person.as_deref(), Role::Chair)
        .await;
    sign_off(
        &server,
        &chair,
        &meeting,
        "sign-off",
        json!({ "override_reason": "v1" }),
    )
    .await;
    let v1_md = download(&server, &meeting, 1, "md").await;
    let v1_html = download(&server, &meeting, 1, "html").await;
    let keys = published_keys(&server).await;
    let first_key = keys["keys"][0]["id"].as_str().expect("id").to_string();
    assert!(
        v1_md.contains(&format!("Signature: `ed25519:{first_key}:")),
        "the Markdown carries the signature: {}",
        &v1_md[v1_md.len().saturating_sub(600)..]
    );
    // The server's own check accepts the signed HTML download, and says whose signature
    // it carries; an altered file's signature does not verify.
    let r = server.anonymous().post_text("/api/verify", &v1_html).await;
    assert_eq!(r.json()["matches"], json!(true), "{}", r.text());
    assert_eq!(
        r.json()["signature"]["verified"],
        json!(true),
        "{}",
        r.text()
    );
    assert_eq!(
        r.json()["signature"]["key"],
        json!(first_key),
        "{}",
        r.text()
    );
    let altered = v1_md.replacen("Assurance", "Asurance", 1);
    let r = server.anonymous().post_text("/api/verify", &altered).await;
    assert_eq!(r.json()["matches"], json!(false), "{}", r.text());
    assert_eq!(
        r.json()["signature"]["verified"],
        json!(false),
        "{}",
        r.text()
    );
    let keys_text = keys.to_string();

    // Offline: no server, no store.
    server.stop().await;
    for (text, ext) in [(&v1_md, "md"), (&v1_html, "html")] {
        let (code, out) = verify_offline(&keys_text, text, ext).await;
        assert_eq!(code, 0, "{ext}: {out}");
        assert!(out.starts_with("VERIFIED"), "{out}");
        assert!(out.contains(&first_key), "names the key: {out}");
    }
    // An altered file.
    refused(&keys_text, &altered, "md").await;
    let altered = v1_html.replacen("Assurance", "Asurance", 1);
    refused(&keys_text, &altered, "html").await;
    // A forgery that fixes up the hash it carries: only the signature can catch it.
    let (canonical, facts) = signoff::parse(&v1_md).expect("parses");
    let forged_body = canonical.replacen("Assurance", "Asurance", 1);
    let forged = v1_md
        .replacen(&canonical, &forged_body, 1)
        .replace(&facts.sha256, &sha256_hex(forged_body.as_bytes()));
    assert!(matches!(
        signoff::check(&forged, None),
        signoff::Verdict::SelfConsistent(_)
    ));
    let out = refused(&keys_text, &forged, "md").await;
    assert!(out.contains("signature"), "{out}");
    // A key that did not sign it.
    let stranger = json!({ "keys": [{
        "id": "0000000000000000", "algorithm": "ed25519",
        "public_key": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=",
        "created_at": 0, "retired_at": null }] });
    refused(&stranger.to_string(), &v1_md, "md").await;

    // Rotation, with the server stopped.
    let data_dir = server.data_dir().to_path_buf();
    let (code, out) = minutebook(&["keys", "rotate"], &data_dir).await;
    assert_eq!(code, 0, "{out}");
    server.restart().await;
    sign_off(
        &server,
        &chair,
        &meeting,
        "reopen",
        json!({ "reason": "a typo" }),
    )
    .await;
    sign_off(
        &server,
        &chair,
        &meeting,
        "sign-off",
        json!({ "override_reason": "v2" }),
    )
    .await;
    let keys = published_keys(&server).await;
    let list = keys["keys"].as_array().expect("keys");
    assert_eq!(list.len(), 2, "{keys}");
    let current = list[0]["id"].as_str().expect("id").to_string();
    assert_ne!(current, first_key);
    assert!(list[0]["retired_at"].is_null(), "{keys}");
    assert_eq!(list[1]["id"], json!(first_key));
    assert!(list[1]["retired_at"].is_u64(), "{keys}");
    assert!(out.contains(&current), "rotate prints the new key: {out}");
    let v2_md = download(&server, &meeting, 2, "md").await;
    assert!(
        v2_md.contains(&format!("Signature: `ed25519:{current}:")),
        "version 2 is signed by the new key"
    );
    let (code, out) = verify_offline(&keys.to_string(), &v2_md, "md").await;
    assert_eq!(code, 0, "{out}");
    // The old version still verifies against the published list…
    let (code, out) = verify_offline(&keys.to_string(), &v1_md, "md").await;
    assert_eq!(code, 0, "{out}");
    // … and not against the new key alone.
    let only_new = json!({ "keys": [list[0].clone()] });
    let out = refused(&only_new.to_string(), &v1_md, "md").await;
    assert!(out.contains(&first_key), "names the missing key: {out}");
}
