//! Times the house-style outputs of the 10× meeting (the fixture imported ten times, as
//! the benchmarks build it): renders the PDF and the Word document `N` times each and
//! prints the medians. Typst memoises layout across compilations, so the same input
//! renders faster the second time; a sign-off renders a version never rendered before, so
//! the figure that counts is *cold*: Typst's cache is emptied before every run. The first
//! render of the process (which also parses the fonts) is shown on its own.
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

    let t0 = Instant::now();
    let pdf = minutebook_render::pdf(&frozen, &house).expect("pdf");
    let first = t0.elapsed();
    let docx = minutebook_render::docx(&frozen, &house).expect("docx");
    let mut warm = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        minutebook_render::pdf(&frozen, &house).expect("pdf");
        warm.push(t0.elapsed());
    }
    let (mut pdf_t, mut docx_t, mut all_t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        comemo::evict(0);
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
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{scale}x meeting ({items} items, {entries} entries): PDF {} KiB, DOCX {} KiB\n\
         cold (Typst's cache emptied), median of {runs} runs: PDF {:.1} ms, DOCX {:.1} ms, both {:.1} ms\n\
         first render in the process (fonts parsed too): PDF {:.1} ms\n\
         warm (same input again, Typst's cache hit), median of {runs} runs: PDF {:.1} ms",
        pdf.len() / 1024,
        docx.len() / 1024,
        ms(median(pdf_t)),
        ms(median(docx_t)),
        ms(median(all_t)),
        ms(first),
        ms(median(warm)),
    );
}
