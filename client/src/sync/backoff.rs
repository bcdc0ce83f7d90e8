//! Reconnect delays: exponential backoff with jitter.

/// First reconnect delay; it doubles per failed attempt up to [`BACKOFF_MAX_MS`].
const BACKOFF_BASE_MS: u32 = 250;
const BACKOFF_MAX_MS: u32 = 5_000;

/// Delay before reconnect attempt number `attempt` (0-based): 250 ms doubling up to
/// 5 s, scaled by a jitter factor in `[0.5, 1]` drawn from `random` in `[0, 1)`.
pub fn backoff_delay_ms(attempt: u32, random: f64) -> u32 {
    let base = BACKOFF_BASE_MS
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_MAX_MS);
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let factor = 0.5 + 0.5 * random;
    (f64::from(base) * factor) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_five_seconds_with_jitter() {
        let full: Vec<u32> = (0..8).map(|a| backoff_delay_ms(a, 1.0)).collect();
        assert_eq!(full, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(backoff_delay_ms(0, 0.0), 125);
        assert_eq!(backoff_delay_ms(u32::MAX, 0.0), 2500);
        assert_eq!(backoff_delay_ms(3, f64::NAN), 2000);
    }
}
