//! Document-level building blocks used by the document actor ([`crate::doc`]).
//!
//! - [`updates`]: deciding on and applying untrusted Yjs updates (pre-scan first, then
//!   yrs inside panic containment), and rebuilding a document from storage.
//!
//! Issue M5 moves the actor and the registry here too.

pub mod updates;
