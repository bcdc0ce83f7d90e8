//! Document-level building blocks used by the document actor ([`crate::doc`]).
//!
//! - [`presence`]: the meeting's awareness states (each client id bound to its session,
//!   the verified name stamped on every relayed state, per-connection limits).
//!
//! Issue M5 moves the actor and the registry here too.

pub mod presence;
