//! A real full disk: the server runs on a small tmpfs (mounted in its own user and mount
//! namespace with `unshare`, so nothing is left mounted) that a filler file takes to the
//! brim. A writer's changes are then neither acknowledged nor relayed, it is told the
//! server cannot write and stays connected; once the filler is deleted, its changes are
//! saved, relayed and read back by a fresh connection.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use minutebook_shared::schema;
use minutebook_tests::{server_binary, web_dir, ServerProcess, PATIENCE};
use yrs::{GetString, Text, Transact};

/// `minutebook serve` on a `size`-byte tmpfs mounted over `mount_point` (its data dir is
/// `mount_point/data`), in its own namespaces.
async fn on_tmpfs(mount_point: &Path, size: u64) -> ServerProcess {
    let script = r#"mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@""#;
    let mut command = tokio::process::Command::new("unshare");
    command
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(size.to_string())
        .arg(mount_point)
        .arg(server_binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(mount_point.join("data"))
        .arg("--web-dir")
        .arg(web_dir());
    ServerProcess::start_command(command).await
}

/// Fills the file system holding `path` until it refuses more.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("create the filler");
    let chunk = vec![0xa5u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) => {
                assert_eq!(
                    e.raw_os_error(),
                    Some(28),
                    "the filler stops at ENOSPC, not {e}"
                );
                break;
            }
        }
    }
    let _ = file.sync_all();
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tmpfs_filled_to_the_brim_holds_changes_until_it_has_room() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = on_tmpfs(dir.path(), 16 << 20).await;
    let admin = server.setup_admin().await;
    // The tmpfs as the server sees it.
    let inside = Path::new("/proc")
        .join(server.child.id().expect("pid").to_string())
        .join("root")
        .join(dir.path().strip_prefix("/").expect("absolute"));
    assert!(inside.join("data").is_dir(), "the data dir is on the tmpfs");

    let options =
        |url: String| minutebook_shared::client::ClientOptions::new(url).with_bearer(admin.clone());
    let writer = minutebook_shared::client::SyncClient::connect(options(server.ws_url("full")));
    let watcher = minutebook_shared::client::SyncClient::connect(options(server.ws_url("full")));
    writer.wait_synced(PATIENCE).await.expect("synced");
    watcher.wait_synced(PATIENCE).await.expect("synced");
    let text = writer.doc().get_or_insert_text(schema::TEXT);
    let write = |s: &str| {
        let mut txn = writer.doc().transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
    };
    write("before ");
    writer.wait_saved(PATIENCE).await.expect("saved");

    let filler = inside.join("filler");
    let filled = fill(&filler);
    assert!(filled > 0, "the filler took the free space");
    // Write until the disk refuses (redb may have room left inside its file).
    let big = "x".repeat(32 * 1024);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut written = 0;
    while !writer.status().cannot_write {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the full disk never refused a write: {:?}",
            writer.status()
        );
        write(&format!("[{written}{big}]"));
        written += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    write("during ");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = writer.status();
    assert!(status.saved < status.local, "{status:?}");
    assert_eq!(status.connections, 1, "still connected: {status:?}");
    let seen = watcher.doc().get_or_insert_text(schema::TEXT);
    assert!(
        !seen
            .get_string(&watcher.doc().transact())
            .contains("during"),
        "an unsaved change was relayed"
    );

    std::fs::remove_file(&filler).expect("delete the filler");
    writer
        .wait_saved(PATIENCE)
        .await
        .expect("saved once there is room");
    assert_eq!(writer.status().connections, 1);
    let expected = text.get_string(&writer.doc().transact());
    assert!(expected.ends_with("during "), "{expected:?}");
    watcher
        .wait_doc("the pending changes relayed", PATIENCE, |doc| {
            let t = doc.get_or_insert_text(schema::TEXT);
            t.get_string(&doc.transact()) == expected
        })
        .await
        .expect("relayed");
    writer.close().await;
    watcher.close().await;

    // The tmpfs lives as long as the server's namespace, so what it stored is read back
    // through a fresh connection (restarts after a disk failure: `disk_faults.rs`).
    let reader = minutebook_shared::client::SyncClient::connect(options(server.ws_url("full")));
    reader.wait_synced(PATIENCE).await.expect("synced");
    let t = reader.doc().get_or_insert_text(schema::TEXT);
    assert_eq!(t.get_string(&reader.doc().transact()), expected);
    reader.close().await;
    server.kill9().await;
}
