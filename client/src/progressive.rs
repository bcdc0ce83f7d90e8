//! Progressive mounting of long lists: a limit that starts small and grows by a step per
//! browser task until it covers the whole list, so a big meeting's first screen is
//! editable at once and the page never freezes while the rest is built.

use std::time::Duration;

use leptos::prelude::*;

/// How many entries of a list of `total()` entries to mount now: `first`, then `step`
/// more per task (a zero-delay timeout) until all are mounted; it keeps up when the list
/// grows later.
pub fn progressive_limit(
    total: impl Fn() -> usize + Send + Sync + 'static,
    first: usize,
    step: usize,
) -> ReadSignal<usize> {
    let limit = RwSignal::new(first);
    Effect::new(move |_| {
        if limit.get() < total() {
            set_timeout(
                move || {
                    limit.try_update(|l| *l += step);
                },
                Duration::ZERO,
            );
        }
    });
    limit.read_only()
}
