//! Document-level building blocks used by the document actor ([`crate::doc`]) and the
//! use cases beside it:
//!
//! - [`updates`]: deciding on and applying untrusted Yjs updates (pre-scan first, then
//!   yrs inside panic containment), and rebuilding a document from storage;
//! - [`presence`]: the meeting's awareness states (each client id bound to its session,
//!   the verified name stamped on every relayed state, per-connection limits);
//! - [`cpu`]: CPU-heavy work (imports, export rendering, version diffs and hashes) off
//!   the async workers, with bounded concurrency.
//!
//! Issue M5 moves the actor and the registry here too.

pub mod cpu;
pub mod presence;
pub mod updates;
