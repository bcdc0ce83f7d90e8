//! The `minutebook import` / `export` commands, run as the real binary on a real redb
//! store, alone and next to a running server (which holds the database lock).

use std::path::Path;
use std::process::Output;

use minutebook_shared::meeting::markdown;
use minutebook_tests::http;
use minutebook_tests::{server_binary, ServerProcess};

const FIXTURE: &str = "shared/fixtures/assurance-meeting-2022-01.txt";

async fn run(args: &[&str], data_dir: &Path) -> Output {
    tokio::process::Command::new(server_binary())
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("MINUTEBOOK_LOG", "warn")
        .current_dir(minutebook_tests::workspace_root())
        .output()
        .await
        .expect("run minutebook")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn help_lists_the_subcommands_and_their_flags() {
    let out = tokio::process::Command::new(server_binary())
        .arg("--help")
        .output()
        .await
        .unwrap();
    let text = stdout(&out);
    for word in ["serve", "import", "export"] {
        assert!(text.contains(word), "{text}");
    }
    let out = tokio::process::Command::new(server_binary())
        .args(["import", "--help"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    for word in ["--data-dir", "--format", "--name", "MINUTEBOOK_DATA_DIR"] {
        assert!(text.contains(word), "{text}");
    }
    let out = tokio::process::Command::new(server_binary())
        .args(["export", "--help"])
        .output()
        .await
        .unwrap();
    let text = stdout(&out);
    for word in ["--output", "--format", "html"] {
        assert!(text.contains(word), "{text}");
    }
    let out = tokio::process::Command::new(server_binary())
        .args(["serve", "--help"])
        .output()
        .await
        .unwrap();
    assert!(stdout(&out).contains("MINUTEBOOK_DEMO"));
}

#[tokio::test]
async fn import_then_serve_then_export() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["import", "--name", "jan", FIXTURE], dir.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "jan");

    // A name derived from the title when none is given; a taken name is refused.
    let out = run(&["import", "--format", "legacy", FIXTURE], dir.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let derived = stdout(&out).trim().to_string();
    assert!(
        derived.starts_with("monthly-assurance-meeting-january-2022-"),
        "{derived}"
    );
    let out = run(&["import", "--name", "jan", FIXTURE], dir.path()).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    // Malformed input: a clear error with the line, nothing created.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "Title\nWhatever this is\n").unwrap();
    let out = run(&["import", bad.to_str().unwrap()], dir.path()).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 2:"), "{}", stderr(&out));

    // The server sees what the CLI imported (the store has no administrator yet: one is
    // set up through the link the server prints).
    let server = ServerProcess::start(dir.path()).await;
    let admin = http::Client::new(server.addr, Some(server.setup_admin().await));
    let r = admin.get("/api/meetings").await;
    assert_eq!(r.status, 200);
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"jan".to_string()));
    let served = admin.get("/api/meetings/jan/export.md").await.text();

    // While the server runs, the CLI refuses clearly (and does not panic).
    let out = run(&["export", "jan"], dir.path()).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("in use by a running server") && err.contains("HTTP API"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let out = run(&["import", FIXTURE], dir.path()).await;
    assert!(stderr(&out).contains("in use by a running server"));
    server.kill9().await;

    // Stopped: export to stdout and to a file.
    let out = run(&["export", "jan"], dir.path()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let md = stdout(&out);
    assert_eq!(md, served);
    let minutes = markdown::parse(&md).unwrap();
    assert_eq!(minutes.people.len(), 7);
    let html_path = dir.path().join("jan.html");
    let out = run(
        &[
            "export",
            "--format",
            "html",
            "--output",
            html_path.to_str().unwrap(),
            "jan",
        ],
        dir.path(),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<html") && html.contains("Charity Pearce"));

    let out = run(&["export", "nobody"], dir.path()).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no meeting named"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn export_without_a_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["export", "jan"], dir.path()).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no database"), "{}", stderr(&out));
}
