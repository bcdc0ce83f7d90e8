//! Times the house-style outputs of the 10× meeting (the fixture imported ten times, as
//! the benchmarks build it): renders the PDF and the Word document `N` times each (after
//! one warm-up of each) and prints the medians.
//!
//! ```sh
//! cargo run --release -p minutebook-render --example render_time -- 11
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(11)
        .max(1);
    let scale = 10;
    let sample = common::sample(scale);
    let frozen = common::frozen(&sample);
    let house = common::house();
    let items = sample.reading.items.len();
    let entries: usize = sample.reading.items.iter().map(|i| i.entries.len()).sum();

    let pdf = minutebook_render::pdf(&frozen, &house).expect("pdf");
    let docx = minutebook_render::docx(&frozen, &house).expect("docx");
    let (mut pdf_t, mut docx_t, mut all_t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t0 = Instant::now();
        let p = minutebook_render::pdf(&frozen, &house).expect("pdf");
        let t1 = Instant::now();
        let d = minutebook_render::docx(&frozen, &house).expect("docx");
        let t2 = Instant::now();
        assert_eq!((p.len(), d.len()), (pdf.len(), docx.len()));
        pdf_t.push(t1 - t0);
        docx_t.push(t2 - t1);
        all_t.push(t2 - t0);
    }
    println!(
        "{scale}x meeting ({items} items, {entries} entries): PDF {} KiB, DOCX {} KiB; \
         median of {runs} runs: PDF {:.1} ms, DOCX {:.1} ms, both {:.1} ms",
        pdf.len() / 1024,
        docx.len() / 1024,
        median(pdf_t).as_secs_f64() * 1000.0,
        median(docx_t).as_secs_f64() * 1000.0,
        median(all_t).as_secs_f64() * 1000.0,
    );
}
