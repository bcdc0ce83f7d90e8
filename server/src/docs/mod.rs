//! Document-level building blocks used by the document actor ([`crate::doc`]) and the
//! use cases beside it:
//!
//! - [`updates`]: deciding on and applying untrusted Yjs updates (pre-scan first, then
//!   yrs inside panic containment), and rebuilding a document from storage;
//! - [`cpu`]: CPU-heavy work (imports, export rendering, version diffs and hashes) off
//!   the async workers, with bounded concurrency.
//!
//! Issue M5 moves the actor and the registry here too.

pub mod cpu;
pub mod updates;
