//! Sign-in rate limit: a token bucket per client address for the endpoints that turn a
//! secret into a session — administrator setup (`POST /api/setup`) and invitation
//! redemption (`POST /api/session`, and anything under it).
//!
//! Each address may make `burst` attempts at once, refilled at `per_minute`. Past that, an
//! attempt is answered `429 Too Many Requests` with `Retry-After`, before any token is
//! looked at. Refusals are audited once per minute per address (one entry with the count),
//! not once per request. The table remembers at most `max_addresses` addresses: when it is
//! full, buckets that have refilled are forgotten (they are equal to a new one), and if
//! none has, new addresses share one overflow bucket until room frees up — so many
//! addresses cannot grow the table, nor reset their own budget by crowding each other out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tokio::time::Instant;

use super::client_addr::ClientAddr;
use crate::store::Store;

/// How often refusals from one address are audited (one entry per window).
pub const AUDIT_WINDOW: Duration = Duration::from_secs(60);
/// How often a full table is swept for refilled buckets, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The limiter's settings.
#[derive(Debug, Clone, Copy)]
pub struct SignInPolicy {
    pub burst: u32,
    pub per_minute: u32,
    pub max_addresses: usize,
}

/// Whether a request is a sign-in attempt the limiter counts.
pub fn limited(method: &Method, path: &str) -> bool {
    let under = |root: &str| {
        path == root
            || path
                .strip_prefix(root)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    method == Method::POST && (under("/api/setup") || under("/api/session"))
}

/// The limiter. Cheap to clone.
#[derive(Clone)]
pub struct SignInLimiter(Arc<Mutex<Table>>);

struct Table {
    policy: SignInPolicy,
    buckets: HashMap<IpAddr, Bucket>,
    /// Shared by new addresses while the table is full.
    overflow: Bucket,
    swept: Instant,
}

struct Bucket {
    tokens: f64,
    at: Instant,
    /// Refusals not yet audited.
    refused: u64,
    audited: Option<Instant>,
}

impl Bucket {
    fn new(policy: &SignInPolicy, now: Instant) -> Self {
        Bucket {
            tokens: f64::from(policy.burst),
            at: now,
            refused: 0,
            audited: None,
        }
    }

    fn refill(&mut self, policy: &SignInPolicy, now: Instant) {
        let rate = f64::from(policy.per_minute) / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(f64::from(policy.burst));
        self.at = now;
    }

    fn full(&self, policy: &SignInPolicy) -> bool {
        self.refused == 0 && self.tokens >= f64::from(policy.burst)
    }

    fn take(&mut self, policy: &SignInPolicy, now: Instant) -> Verdict {
        self.refill(policy, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Verdict::Allowed;
        }
        let rate = f64::from(policy.per_minute) / 60.0;
        let retry_after = Duration::from_secs_f64(((1.0 - self.tokens) / rate).ceil().max(1.0));
        self.refused += 1;
        let due = self
            .audited
            .is_none_or(|at| now.saturating_duration_since(at) >= AUDIT_WINDOW);
        let audit = due.then(|| {
            self.audited = Some(now);
            std::mem::take(&mut self.refused)
        });
        Verdict::Refused { retry_after, audit }
    }
}

/// The limiter's answer to one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused; `audit` is the number of refusals to record now, if one is due.
    Refused {
        retry_after: Duration,
        audit: Option<u64>,
    },
}

impl SignInLimiter {
    pub fn new(policy: SignInPolicy) -> Self {
        let now = Instant::now();
        SignInLimiter(Arc::new(Mutex::new(Table {
            policy,
            buckets: HashMap::new(),
            overflow: Bucket::new(&policy, now),
            swept: now,
        })))
    }

    /// Counts one attempt from the address `key` at `now`.
    pub fn check(&self, key: IpAddr, now: Instant) -> Verdict {
        let Ok(mut table) = self.0.lock() else {
            return Verdict::Allowed;
        };
        let table = &mut *table;
        let policy = table.policy;
        if !table.buckets.contains_key(&key)
            && table.buckets.len() >= policy.max_addresses
            && now.saturating_duration_since(table.swept) >= SWEEP_EVERY
        {
            table.swept = now;
            table.buckets.retain(|_, b| {
                b.refill(&policy, now);
                !b.full(&policy)
            });
        }
        let room = table.buckets.len() < policy.max_addresses;
        let bucket = match table.buckets.get_mut(&key) {
            Some(bucket) => bucket,
            None if room => table
                .buckets
                .entry(key)
                .or_insert_with(|| Bucket::new(&policy, now)),
            None => &mut table.overflow,
        };
        bucket.take(&policy, now)
    }

    /// Addresses remembered (for tests).
    pub fn remembered(&self) -> usize {
        self.0.lock().map_or(0, |t| t.buckets.len())
    }
}

/// What the middleware needs: the limiter, and the store its refusals are audited in.
#[derive(Clone)]
pub struct SignInGuard {
    pub limiter: SignInLimiter,
    pub store: Store,
}

/// Middleware: answers `429` to a sign-in attempt over its address's budget.
pub async fn limit(State(guard): State<SignInGuard>, request: Request, next: Next) -> Response {
    if !limited(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .copied()
        .unwrap_or(ClientAddr(IpAddr::from([0, 0, 0, 0])));
    let (retry_after, audit) = match guard.limiter.check(client.key(), Instant::now()) {
        Verdict::Allowed => return next.run(request).await,
        Verdict::Refused { retry_after, audit } => (retry_after, audit),
    };
    if let Some(refused) = audit {
        tracing::warn!(%client, refused, "sign-in attempts refused by the rate limit");
        let entry = crate::store::audit::entry(
            &guard.store,
            "",
            "anonymous",
            None,
            "rejected",
            format!(
                "sign-in refused: too many attempts from {client} ({refused} refused since the last such entry)"
            ),
        );
        crate::store::audit::record(&guard.store, vec![entry]).await;
    }
    let seconds = retry_after.as_secs();
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(serde_json::json!({
            "error": format!("too many sign-in attempts from your address; try again in {seconds} s"),
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_addresses: usize) -> SignInPolicy {
        SignInPolicy {
            burst: 3,
            per_minute: 6,
            max_addresses,
        }
    }

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(n.to_be_bytes())
    }

    #[test]
    fn a_burst_then_refusals_audited_once_per_window() {
        let limiter = SignInLimiter::new(policy(10));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip(1), t0), Verdict::Allowed);
        }
        // The first refusal is audited; the next ones in the window are only counted.
        assert_eq!(
            limiter.check(ip(1), t0),
            Verdict::Refused {
                retry_after: Duration::from_secs(10),
                audit: Some(1)
            }
        );
        for _ in 0..5 {
            assert!(matches!(
                limiter.check(ip(1), t0),
                Verdict::Refused { audit: None, .. }
            ));
        }
        // Another address is not affected.
        assert_eq!(limiter.check(ip(2), t0), Verdict::Allowed);
        // Ten seconds refill one attempt.
        assert_eq!(
            limiter.check(ip(1), t0 + Duration::from_secs(10)),
            Verdict::Allowed
        );
        // After the window, the next refusal is audited with the count since the last.
        assert_eq!(
            limiter.check(ip(1), t0 + Duration::from_secs(61)),
            Verdict::Allowed
        );
        let later = t0 + Duration::from_secs(61);
        assert!(matches!(limiter.check(ip(1), later), Verdict::Allowed));
        assert!(matches!(limiter.check(ip(1), later), Verdict::Allowed));
        assert_eq!(
            limiter.check(ip(1), later),
            Verdict::Refused {
                retry_after: Duration::from_secs(10),
                audit: Some(6)
            }
        );
    }

    #[test]
    fn the_table_stays_bounded_and_a_full_table_shares_one_budget() {
        let limiter = SignInLimiter::new(policy(100));
        let t0 = Instant::now();
        for n in 0..100_000 {
            limiter.check(ip(n), t0);
            limiter.check(ip(n), t0);
            limiter.check(ip(n), t0);
        }
        assert!(limiter.remembered() <= 100);
        // Newcomers share the overflow bucket, long exhausted by the flood.
        assert!(matches!(
            limiter.check(ip(500_000), t0),
            Verdict::Refused { .. }
        ));
        // Once the remembered buckets have refilled, they are forgotten and room frees up.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(limiter.check(ip(600_000), later), Verdict::Allowed);
        assert!(limiter.remembered() <= 100);
    }

    #[test]
    fn only_sign_in_endpoints_are_limited() {
        assert!(limited(&Method::POST, "/api/setup"));
        assert!(limited(&Method::POST, "/api/session"));
        assert!(limited(&Method::POST, "/api/session/device"));
        assert!(!limited(&Method::GET, "/api/session"));
        assert!(!limited(&Method::DELETE, "/api/session"));
        assert!(!limited(&Method::POST, "/api/sessions"));
        assert!(!limited(&Method::POST, "/api/meetings"));
    }
}
