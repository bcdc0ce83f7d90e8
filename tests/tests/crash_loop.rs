//! The crash loop's short version (RELIABILITY.md records the long runs of the release
//! build): the debug server binary is killed with `kill -9` at random moments under
//! writes, relays, compactions and ledger commands; after every restart nothing
//! acknowledged, relayed or answered is missing.

use minutebook_tests::crash_loop::{self, Params};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_promised_is_lost_across_kill_9_cycles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    println!("crash loop seed {seed}");
    let params = Params {
        server_bin: minutebook_tests::server_binary(),
        data_dir: dir.path().join("data"),
        cycles: 6,
        writers: 3,
        compact_after: 20,
        kill_after_ms: (100, 900),
        seed,
    };
    let report = crash_loop::run(&params, |line| println!("{line}"))
        .await
        .expect("the crash loop ran");
    println!("{report:?}");
    assert_eq!(report.cycles, 6);
    assert!(
        report.acked_checked > 100,
        "the loop checked a meaningful number of acknowledged writes: {report:?}"
    );
    assert!(
        report.ledger_answered > 0,
        "ledger commands were answered: {report:?}"
    );
    assert_eq!(report.lost, 0, "lost: {:?}", report.losses);
}
