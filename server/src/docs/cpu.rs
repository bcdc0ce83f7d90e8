//! CPU-heavy work off the async workers: importing, rendering exports, diffing and
//! hashing versions run on tokio's blocking threads, at most [`configure`]d many at once.
//!
//! The async workers serve every connection; a 1 MB import parsed on one of them would
//! stall `/healthz` and every WebSocket scheduled there. [`run`] moves the work to a
//! blocking thread and holds a permit of a small semaphore while it runs, so a flood of
//! imports or exports queues for a permit (awaiting, costing nothing) instead of filling
//! the blocking pool that storage reads also use. A panic in the work is contained
//! ([`crate::docs::guard`]) and reported as an error of that request only.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// The shared limit (one per process: every server in it shares the CPUs).
static LIMIT: OnceLock<Arc<Semaphore>> = OnceLock::new();

/// Why CPU work did not complete.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    /// The work panicked (on bad input); nothing else was affected.
    #[error("the work failed: {0}")]
    Panicked(String),
    /// The blocking task was cancelled (the runtime is shutting down).
    #[error("the work was cancelled")]
    Cancelled,
}

/// The default number of concurrent CPU tasks: the number of CPUs.
pub fn default_tasks() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Sets how many CPU tasks may run at once (at least 1). The first call wins; without
/// one, [`default_tasks`] applies.
pub fn configure(max_tasks: usize) {
    let _ = LIMIT.set(Arc::new(Semaphore::new(max_tasks.max(1))));
}

fn limit() -> Arc<Semaphore> {
    LIMIT
        .get_or_init(|| Arc::new(Semaphore::new(default_tasks())))
        .clone()
}

/// Runs `work` on a blocking thread once a permit is free; its result, or why there is
/// none.
pub async fn run<T, F>(work: F) -> Result<T, CpuError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let permit = limit()
        .acquire_owned()
        .await
        .map_err(|_| CpuError::Cancelled)?;
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        crate::docs::guard::contain(work)
    })
    .await;
    match joined {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panicked)) => Err(CpuError::Panicked(panicked.0)),
        Err(_) => Err(CpuError::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_and_contains_panics() {
        assert_eq!(run(|| 6 * 7).await.unwrap(), 42);
        let err = run(|| -> u8 { panic!("bad input") }).await.unwrap_err();
        assert!(matches!(err, CpuError::Panicked(m) if m.contains("bad input")));
    }
}
