//! Documents: one actor task per loaded meeting, and the rules it applies.
//!
//! - [`registry`] finds or starts a document's actor and removes it once finished;
//! - [`messages`]: what an actor is told and answers (its whole interface);
//! - [`actor`] orders one meeting's messages: applies updates, keeps presence and the
//!   ledger; [`replica`]: each Yjs document it owns (the minutes, Part II) and when its log
//!   is compacted; [`gate`] holds every outgoing frame until the write covering it is
//!   durable;
//! - [`updates`] and [`guard`]: deciding on and applying untrusted Yjs updates (pre-scan
//!   first, then yrs inside panic containment), and rebuilding a document from storage;
//! - [`presence`]: awareness states (each client id bound to its session, the verified
//!   name stamped on every relayed state, per-connection limits);
//! - [`ledger`]: confirmations, corrections, sign-off decisions;
//!   [`version_export`]: a signed version's canonical Markdown and frozen HTML;
//!   [`outputs`]: its PDF and Word document, rendered by the binary's [`outputs::Render`];
//! - [`part2`]: where a meeting's Part II document is stored, and the client ids a
//!   rebuild of its minutes retired;
//! - [`side_records`]: the catalog entry and action references an actor keeps;
//! - [`outbox`]: a connection's bounded outbound queue;
//! - [`cpu`]: CPU-heavy work (imports, exports, diffs, signing) off the async workers.

pub mod actor;
pub mod cpu;
pub mod gate;
pub mod guard;
pub mod ledger;
pub mod messages;
pub mod outbox;
pub mod outputs;
pub mod part2;
pub mod presence;
pub mod registry;
pub mod replica;
pub mod runs;
pub mod side_records;
pub mod updates;
pub mod version_export;
