//! Code shared by the Minutebook server, the browser client and the tests.
//!
//! - [`depth`]: nesting limits checked before any recursive decoder runs.
//! - [`prescan`]: a non-recursive validating scan of Yjs updates, run before yrs decodes.
//! - [`protocol`]: the wire protocol — standard y-protocols messages (through
//!   `yrs::sync`) plus Minutebook's one extension, the durable "saved" acknowledgement.
//! - [`schema`]: the names of the shared document's root types, in one place.
//! - [`trust`]: roles, sessions and the server-written ledger (confirmations,
//!   corrections, sign-off, versions); [`trust::commitment`], the per-item commitment that
//!   lets a public version (exempt items withheld) be checked against the signed one.
//! - [`meeting`]: the meeting document model (typed API over yrs, views, import, export).
//! - [`signoff`]: the sign-off block of a signed version's export, and checking a file.
//! - [`publication`]: published minutes — their public pages, index and Atom feed.
//! - [`branding`]: the organisation's name, logo and footer text on its outputs.
//! - [`diff`]: line-by-line differences (a signed version → the current draft).
//! - [`client`] (feature `native-client`): a tokio sync client used by tests,
//!   the benchmark and command-line tools.
//!
//! Everything except `client` compiles for both native targets and wasm32.

pub mod api;
pub mod branding;
pub mod depth;
pub mod diff;
pub mod meeting;
pub mod prescan;
pub mod protocol;
pub mod publication;
pub mod schema;
pub mod signoff;
pub mod time;
pub mod trust;

#[cfg(all(feature = "native-client", not(target_arch = "wasm32")))]
pub mod client;
