//! The soak's short version (RELIABILITY.md records the 30-minute runs of the release
//! build): the debug server binary under a steady load for 40 s. Every update reaches
//! every other client of its document and is acknowledged, no connection is lost, and
//! the server's memory levels off instead of growing with the history.

use std::time::Duration;

use minutebook_tests::soak::{self, Params};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_load_loses_nothing_and_memory_levels_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let params = Params {
        server_bin: minutebook_tests::server_binary(),
        data_dir: dir.path().join("data"),
        docs: 5,
        clients: 4,
        writers: 2,
        rate: 5.0,
        duration: Duration::from_secs(40),
        interval: Duration::from_secs(5),
    };
    let report = soak::run(&params, |s| println!("{s:?}"))
        .await
        .expect("the soak ran");
    println!("{report:?}");
    assert!(report.sent > 1000, "{report:?}");
    assert_eq!(report.disconnects, 0, "{report:?}");
    assert_eq!(report.acked, report.sent, "every update acknowledged");
    assert_eq!(report.delivered, report.expected, "every update delivered");
    // Memory: the second half of the run holds no more than the first half's peak plus
    // a margin (the history grows; the visible documents and the server's buffers do not).
    let rss: Vec<u64> = report.samples.iter().map(|s| s.rss_kib).collect();
    let half = rss.len() / 2;
    let first = rss[..half].iter().copied().max().unwrap_or(0);
    let last = rss[half..].iter().copied().max().unwrap_or(0);
    assert!(
        last <= first + first / 2 + 16 * 1024,
        "memory kept growing: {rss:?} KiB"
    );
}
