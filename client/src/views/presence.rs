//! Presence views: who is on the document ([`PresenceList`]), who is in an item or block ([`BlockPresence`]) and the other
//! users' carets and selections over a block's textarea ([`RemoteCarets`]). All of them
//! read the page's [`crate::presence::Presence`] from context and render nothing without it.

mod block;
mod carets;
mod list;

pub use block::BlockPresence;
pub use carets::RemoteCarets;
pub use list::PresenceList;
