//! Whose Yjs client ids are whose, in a loaded document: the first member to add content
//! under a client id owns it, and an update that adds content under a client id another
//! member owns is refused before it is applied.
//!
//! Yjs clients pick a random client id per document copy and number their changes under
//! it; nothing in the protocol stops one client writing under another's. A member who
//! did (the ids are public: awareness and state vectors carry them) could take the clock
//! values the owner is about to use, and the owner's next edit would then be acknowledged
//! yet never stored — the server already "has" those clocks — leaving the two copies
//! different for good. Owners are invitations (a person's devices and reconnections share
//! one), or the administrator's account for an administrator without one (so that their
//! unsaved edits still save from a new session after the old one expired).
//!
//! Ownership is stored: a new owner is written in the same transaction as the update that
//! made it ([`ClientIds::take_new`], `Meta::ClientOwners`), and read back when the
//! document loads, so unloading the document (or restarting the server) does not hand an
//! id to whoever writes under it first afterwards. The table is bounded ([`MAX_OWNED`]);
//! past it, new ids are not recorded (and so not protected), old ones still are.

use std::collections::HashMap;
use std::sync::Arc;

use minutebook_shared::prescan;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::auth::Access;

/// Most client ids recorded per loaded document (each stands for one copy of the
/// document that wrote: a browser tab, a device, a reconnection after a reload).
pub(super) const MAX_OWNED: usize = 65_536;

#[derive(Default)]
pub(super) struct ClientIds {
    owners: HashMap<u64, Arc<str>>,
    /// Owners recorded since the last [`ClientIds::take_new`], not yet submitted.
    new: Vec<(u64, Arc<str>)>,
}

/// Who writes: the invitation, else the administrator, else the session, else the name.
/// The browser keys the unsaved copy it keeps the same way (`client/src/session.rs`), so
/// that one person's copy is never sent under another's sign-in.
pub(super) fn owner(access: &Access) -> Arc<str> {
    match (&access.invite, &access.session) {
        (Some(invite), _) => format!("invite {invite}").into(),
        (None, _) if access.admin => format!("admin {}", access.name).into(),
        (None, Some(session)) => format!("session {session}").into(),
        (None, None) => format!("name {}", access.name).into(),
    }
}

/// The client ids under which `raw` adds content `doc` does not hold yet (an update may
/// also repeat content the document has, under anyone's id: a client answering sync
/// step 1 while an edit was relayed to it). Empty when the update does not scan: the
/// update path refuses it with its own reason.
pub(super) fn writers(doc: &Doc, raw: &[u8]) -> Vec<u64> {
    writers_past(&doc.transact().state_vector(), raw)
}

/// [`writers`] against state vector `sv` (one for a whole run of updates).
pub(super) fn writers_past(sv: &StateVector, raw: &[u8]) -> Vec<u64> {
    let Ok(scanned) = prescan::scan_update_v1(raw) else {
        return Vec::new();
    };
    scanned
        .clocks
        .iter()
        .filter(|&&(client, _, end)| end > u64::from(sv.get(&yrs::block::ClientID::new(client))))
        .map(|&(client, _, _)| client)
        .collect()
}

impl ClientIds {
    /// The owners a document was stored with (at most [`MAX_OWNED`] of them).
    pub(super) fn stored(owners: &[(u64, String)]) -> Self {
        let mut names: HashMap<&str, Arc<str>> = HashMap::new();
        let owners = owners
            .iter()
            .take(MAX_OWNED)
            .map(|(client, owner)| {
                let name = names
                    .entry(owner.as_str())
                    .or_insert_with(|| owner.as_str().into());
                (*client, name.clone())
            })
            .collect();
        ClientIds {
            owners,
            new: Vec::new(),
        }
    }

    /// The first of `writers` that someone other than `owner` owns.
    pub(super) fn foreign(&self, writers: &[u64], owner: &str) -> Option<u64> {
        writers
            .iter()
            .copied()
            .find(|c| self.owners.get(c).is_some_and(|o| &**o != owner))
    }

    /// Records `owner` as the owner of those of `writers` nobody owns yet.
    pub(super) fn claim(&mut self, writers: &[u64], owner: &Arc<str>) {
        for &client in writers {
            if self.owners.contains_key(&client) {
                continue;
            }
            if self.owners.len() >= MAX_OWNED {
                return;
            }
            self.owners.insert(client, owner.clone());
            self.new.push((client, owner.clone()));
        }
    }

    /// The owners recorded since the last call, to store with the update that made them
    /// (the caller appends it right after claiming).
    pub(super) fn take_new(&mut self) -> Vec<(u64, Arc<str>)> {
        std::mem::take(&mut self.new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Text, Transact};

    fn typed(doc: &Doc, text: &str) -> Vec<u8> {
        let t = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        let len = t.len(&txn);
        t.insert(&mut txn, len, text);
        txn.encode_update_v1()
    }

    #[test]
    fn only_new_content_names_its_writers() {
        let server = Doc::new();
        let alice = Doc::with_client_id(7);
        let edit = typed(&alice, "hello");
        assert_eq!(writers(&server, &edit), vec![7]);
        server
            .transact_mut()
            .apply_update(yrs::Update::decode_v1(&edit).expect("decodes"))
            .expect("applies");
        // The same content again (a sync step 2 repeating it) writes nothing new.
        assert!(writers(&server, &edit).is_empty());
        assert!(writers(&server, b"garbage").is_empty());
    }

    #[test]
    fn the_first_writer_owns_an_id_and_others_are_foreign() {
        let mut ids = ClientIds::default();
        let (alice, mallory): (Arc<str>, Arc<str>) = ("invite 1".into(), "invite 2".into());
        assert_eq!(ids.foreign(&[7], &mallory), None, "nobody owns 7 yet");
        ids.claim(&[7], &alice);
        ids.claim(&[7], &mallory);
        assert_eq!(ids.foreign(&[7], &alice), None);
        assert_eq!(ids.foreign(&[8, 7], &mallory), Some(7));
        // What to store: Alice's claim, once.
        assert_eq!(ids.take_new(), vec![(7, alice.clone())]);
        assert!(ids.take_new().is_empty());
    }

    #[test]
    fn an_administrator_owns_their_ids_from_any_session_and_an_invitation_from_any_device() {
        let admin = |session: &str| Access {
            name: "Clerk".into(),
            role: None,
            admin: true,
            person: None,
            invite: None,
            issued_by: None,
            session: Some(session.into()),
            restricted: true,
        };
        assert_eq!(owner(&admin("s1")), owner(&admin("s2")));
        let invited = |session: &str| Access {
            invite: Some(7),
            role: Some(minutebook_shared::trust::Role::Chair),
            admin: false,
            ..admin(session)
        };
        assert_eq!(owner(&invited("s1")), owner(&invited("s2")));
        assert_ne!(owner(&invited("s1")), owner(&admin("s1")));
    }

    #[test]
    fn stored_owners_are_owners_after_a_reload() {
        let ids = ClientIds::stored(&[(7, "invite 1".into()), (9, "invite 1".into())]);
        assert_eq!(ids.foreign(&[9], "invite 2"), Some(9));
        assert_eq!(ids.foreign(&[7, 9], "invite 1"), None);
    }
}
