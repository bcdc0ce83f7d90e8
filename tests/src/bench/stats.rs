//! Latency samples and the summary statistics the reports quote (nearest-rank
//! percentiles, medians over repeated runs).

use std::fmt;
use std::time::Duration;

/// Latency samples in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<u32>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.push_us(d.as_micros().min(u128::from(u32::MAX)) as u64);
    }

    pub fn push_us(&mut self, us: u64) {
        self.0.push(us.min(u64::from(u32::MAX)) as u32);
    }

    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Share of samples in each of the buckets <1, 1–2, 2–5, 5–10, 10–20, 20–40, 40–80,
    /// ≥80 ms, as one line.
    pub fn histogram(&self) -> String {
        const EDGES_MS: [u32; 7] = [1, 2, 5, 10, 20, 40, 80];
        let mut counts = [0usize; 8];
        for &us in &self.0 {
            let i = EDGES_MS.iter().position(|&e| us < e * 1000).unwrap_or(7);
            counts[i] += 1;
        }
        let n = self.0.len().max(1) as f64;
        let labels = [
            "<1", "1-2", "2-5", "5-10", "10-20", "20-40", "40-80", ">=80",
        ];
        labels
            .iter()
            .zip(counts)
            .map(|(l, c)| format!("{l}: {:.2}%", c as f64 * 100.0 / n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Sorts the samples and summarises them (`None` when there are none).
    pub fn summary(mut self) -> Option<Summary> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let at = |p: f64| {
            // Nearest rank: the smallest sample with at least p of the samples at or below it.
            let rank = ((p * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len());
            ms(self.0[rank - 1])
        };
        Some(Summary {
            count: self.0.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: ms(self.0[self.0.len() - 1]),
            mean: self.0.iter().map(|&v| f64::from(v)).sum::<f64>() / self.0.len() as f64 / 1000.0,
        })
    }
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

/// Percentiles of one set of samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {})",
            self.p50, self.p99, self.max, self.count
        )
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN if empty.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Smallest and largest of `values` (NaNs ignored), for "median (range)" reporting.
pub fn range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|x| !x.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut s = Samples::default();
        for us in 1..=100u64 {
            s.push_us(us * 1000);
        }
        let sum = s.summary().unwrap();
        assert_eq!(
            (sum.p50, sum.p99, sum.max, sum.count),
            (50.0, 99.0, 100.0, 100)
        );
    }

    #[test]
    fn medians() {
        assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median([]).is_nan());
        assert_eq!(range([2.0, 5.0, 1.0]), (1.0, 5.0));
    }
}
