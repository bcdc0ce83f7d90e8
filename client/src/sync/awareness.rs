//! The provider's side of the y-protocols awareness protocol (who is here and where), as
//! plain logic over [`yrs::sync::Awareness`] with the time passed in, so it is tested
//! natively. The provider ([`super`]) does the sockets and timers around it.
//!
//! Like y-protocols: the local state is renewed every [`RENEW_MS`] so peers know this
//! client is alive; a remote state not renewed for [`OUTDATED_MS`] is dropped; when the
//! connection closes every remote state is dropped (the server sends the current ones on
//! the next join); a remote `null` for our own id is answered by re-announcing ourselves.

use std::collections::HashMap;
use std::sync::Arc;

use minutebook_shared::protocol::{Awareness, AwarenessUpdate, Message};
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::Doc;

use super::throttle::{Step, Throttle};

/// The local state is re-sent after this long without a change.
pub const RENEW_MS: u64 = 15_000;
/// A remote state not renewed for this long is considered gone.
pub const OUTDATED_MS: u64 = 30_000;
/// How often the renewal and timeout check runs.
pub const CHECK_INTERVAL_MS: u64 = 3_000;
/// At most one local state change is sent per this interval (the last one always is).
pub const THROTTLE_MS: u64 = 50;

const NULL: &str = "null";

/// Awareness states of one document: ours and the peers'.
pub struct AwarenessHub {
    awareness: Awareness,
    /// Our state as last set, `None` before the first or after leaving.
    local: Option<Arc<str>>,
    /// When our state was last sent (or set, if not sent yet).
    local_touched: u64,
    throttle: Throttle,
    now: fn() -> u64,
}

/// What the provider must do after [`AwarenessHub::check`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Our state needs renewing: send [`AwarenessHub::local_message`].
    pub renew: bool,
    /// Some peers timed out: the peer list changed.
    pub peers_changed: bool,
}

impl AwarenessHub {
    /// A hub for `doc`'s clients, reading time (in milliseconds) from `now`.
    pub fn new(doc: Doc, now: fn() -> u64) -> Self {
        AwarenessHub {
            awareness: Awareness::with_clock(doc, now),
            local: None,
            local_touched: now(),
            throttle: Throttle::new(THROTTLE_MS),
            now,
        }
    }

    /// Our awareness client id (the doc's client id).
    pub fn client_id(&self) -> u64 {
        self.awareness.client_id().get()
    }

    /// Sets our state (JSON) and tells whether to send it now or arm the throttle timer.
    pub fn set_local(&mut self, json: &str) -> Step {
        let json: Arc<str> = json.into();
        if self.local.as_ref() == Some(&json) {
            return Step::Wait;
        }
        self.local = Some(json.clone());
        self.awareness.set_local_state_raw(json);
        let now = (self.now)();
        let step = self.throttle.on_change(now);
        if step == Step::SendNow {
            self.local_touched = now;
        }
        step
    }

    /// The throttle timer fired: whether to send the latest state now.
    pub fn on_throttle_timer(&mut self) -> bool {
        let now = (self.now)();
        let send = self.throttle.on_timer(now) == Step::SendNow;
        if send {
            self.local_touched = now;
        }
        send
    }

    /// Our current state as a message (for throttled sends and queries); `None` while we
    /// have no state. Marks it as sent.
    pub fn local_message(&mut self) -> Option<Message> {
        self.local.as_ref()?;
        let now = (self.now)();
        self.throttle.sent(now);
        self.local_touched = now;
        self.message_for(self.awareness.client_id())
    }

    /// Our state with a new clock, so that peers take it as news: the renewal that keeps
    /// us from timing out at the peers.
    pub fn renew_message(&mut self) -> Option<Message> {
        self.bump(1)?;
        self.local_message()
    }

    /// Our state for a fresh connection. The server (like any yrs `Awareness`) removed
    /// our previous state by bumping its clock once, so ours must move two steps ahead
    /// to be accepted again.
    pub fn hello_message(&mut self) -> Option<Message> {
        self.bump(2)?;
        self.local_message()
    }

    /// Re-sets our state `times` times, advancing its clock as many steps.
    fn bump(&mut self, times: u32) -> Option<()> {
        let json = self.local.clone()?;
        for _ in 0..times {
            self.awareness.set_local_state_raw(json.clone());
        }
        Some(())
    }

    /// Leaves: clears our state and returns the `null` message announcing it. A later
    /// [`AwarenessHub::rejoin`] restores the state.
    pub fn leave(&mut self) -> Option<Message> {
        self.local.as_ref()?;
        self.awareness.clean_local_state();
        self.message_for(self.awareness.client_id())
    }

    /// Restores our state after [`AwarenessHub::leave`] (the page came back from the
    /// back-forward cache); returns the message to send.
    pub fn rejoin(&mut self) -> Option<Message> {
        self.hello_message()
    }

    /// Applies a peer's update. Returns whether the peer list changed, and the message
    /// re-announcing our state if the update tried to remove it.
    pub fn apply_remote(
        &mut self,
        update: AwarenessUpdate,
    ) -> Result<(bool, Option<Message>), String> {
        let own = self.awareness.client_id();
        let removes_us = self.local.is_some()
            && self.awareness.local_state_raw().is_some()
            && update.clients.get(&own).is_some_and(|e| &*e.json == NULL);
        let summary = self
            .awareness
            .apply_update_summary(update)
            .map_err(|e| format!("bad awareness update: {e}"))?;
        let changed = summary.is_some_and(|s| {
            s.added
                .iter()
                .chain(&s.updated)
                .chain(&s.removed)
                .any(|id| *id != own)
        });
        // yrs kept our state and moved its clock one past the removal; a server that
        // removed us bumped its copy to that same clock, so go one further.
        let answer = if removes_us {
            self.renew_message()
        } else {
            None
        };
        Ok((changed, answer))
    }

    /// The connection closed: forgets every peer (the server re-sends the current states
    /// on the next join). Returns whether there were any.
    pub fn forget_peers(&mut self) -> bool {
        let peers: Vec<ClientID> = self.remote_ids(|_| true);
        self.drop_states(&peers)
    }

    /// The periodic check at [`CHECK_INTERVAL_MS`]: renewal and timeouts.
    pub fn check(&mut self) -> CheckOutcome {
        let now = (self.now)();
        let renew = self.local.is_some()
            && self.awareness.local_state_raw().is_some()
            && now.saturating_sub(self.local_touched) >= RENEW_MS;
        let stale = self.remote_ids(|last| now.saturating_sub(last) >= OUTDATED_MS);
        CheckOutcome {
            renew,
            peers_changed: self.drop_states(&stale),
        }
    }

    /// Every client with a state (ours included), as `(client id, JSON)`.
    pub fn states(&self) -> Vec<(u64, Arc<str>)> {
        self.awareness
            .iter()
            .filter_map(|(id, state)| Some((id.get(), state.data?)))
            .collect()
    }

    /// Remote clients with a state whose last update time satisfies `pick`.
    fn remote_ids(&self, pick: impl Fn(u64) -> bool) -> Vec<ClientID> {
        let own = self.awareness.client_id();
        self.awareness
            .iter()
            .filter(|(id, state)| *id != own && state.data.is_some() && pick(state.last_updated))
            .map(|(id, _)| id)
            .collect()
    }

    /// Removes remote states without bumping their clocks (as y-protocols does), so the
    /// peer's next renewal is accepted again. Returns whether any was removed.
    fn drop_states(&mut self, ids: &[ClientID]) -> bool {
        if ids.is_empty() {
            return false;
        }
        let clients: HashMap<ClientID, AwarenessUpdateEntry> = ids
            .iter()
            .filter_map(|id| {
                let (clock, _) = self.awareness.meta(*id)?;
                Some((
                    *id,
                    AwarenessUpdateEntry {
                        clock,
                        json: NULL.into(),
                    },
                ))
            })
            .collect();
        matches!(
            self.awareness
                .apply_update_summary(AwarenessUpdate { clients }),
            Ok(Some(_))
        )
    }

    fn message_for(&self, id: ClientID) -> Option<Message> {
        self.awareness
            .update_with_clients([id])
            .ok()
            .map(Message::Awareness)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    // One fake clock per test thread would need thread-locals; tests use disjoint ranges
    // of real time instead: each test advances a shared clock only forwards.
    static NOW: AtomicU64 = AtomicU64::new(1_000_000);
    fn now() -> u64 {
        NOW.load(Ordering::SeqCst)
    }

    fn hub(id: u64) -> AwarenessHub {
        AwarenessHub::new(Doc::with_client_id(id), now)
    }

    fn update_of(msg: Option<Message>) -> AwarenessUpdate {
        match msg {
            Some(Message::Awareness(u)) => u,
            other => panic!("expected awareness, got {other:?}"),
        }
    }

    fn names(hub: &AwarenessHub) -> Vec<(u64, String)> {
        let mut v: Vec<(u64, String)> = hub
            .states()
            .into_iter()
            .map(|(id, j)| (id, j.to_string()))
            .collect();
        v.sort();
        v
    }

    /// The whole life of two clients through one fake relay, in one test so that the
    /// shared clock only moves forwards.
    #[test]
    fn two_clients_meet_renew_time_out_and_leave() {
        let mut a = hub(1);
        let mut b = hub(2);
        assert_eq!(a.client_id(), 1);
        assert_eq!(a.local_message(), None, "no state yet, nothing to send");

        assert_eq!(a.set_local(r#"{"n":"A"}"#), Step::SendNow);
        assert_eq!(a.set_local(r#"{"n":"A"}"#), Step::Wait, "unchanged state");
        let ua = update_of(a.local_message());
        let (changed, answer) = b.apply_remote(ua.clone()).unwrap();
        assert!(changed);
        assert_eq!(answer, None);
        // The echo of our own state is not a peer change.
        assert_eq!(a.apply_remote(ua.clone()).unwrap(), (false, None));
        b.set_local(r#"{"n":"B"}"#);
        a.apply_remote(update_of(b.local_message())).unwrap();
        assert_eq!(
            names(&a),
            vec![(1, r#"{"n":"A"}"#.into()), (2, r#"{"n":"B"}"#.into())]
        );

        // Quick changes: the second waits for the timer, which sends the third.
        NOW.fetch_add(1_000, Ordering::SeqCst);
        assert_eq!(a.set_local(r#"{"n":"A1"}"#), Step::SendNow);
        assert!(matches!(a.set_local(r#"{"n":"A2"}"#), Step::ArmTimer(_)));
        assert_eq!(a.set_local(r#"{"n":"A3"}"#), Step::Wait);
        NOW.fetch_add(THROTTLE_MS, Ordering::SeqCst);
        assert!(a.on_throttle_timer());
        b.apply_remote(update_of(a.local_message())).unwrap();
        assert!(names(&b).contains(&(1, r#"{"n":"A3"}"#.into())));

        // After RENEW_MS of silence a renews; b hears it, so b keeps a.
        assert_eq!(a.check(), CheckOutcome::default());
        NOW.fetch_add(RENEW_MS, Ordering::SeqCst);
        assert!(a.check().renew);
        b.apply_remote(update_of(a.renew_message())).unwrap();
        assert!(!a.check().renew, "just renewed");
        // b never renewed: after OUTDATED_MS a drops it, and b stays in b's own list.
        NOW.fetch_add(OUTDATED_MS - RENEW_MS, Ordering::SeqCst);
        let out = a.check();
        assert!(out.peers_changed);
        assert_eq!(names(&a), vec![(1, r#"{"n":"A3"}"#.into())]);
        assert!(b.check().renew);
        assert!(!b.check().peers_changed, "a renewed within the timeout");
        // Re-sending the same clock is no news; b's renewal (the next clock) brings it back.
        let (changed, _) = a.apply_remote(update_of(b.local_message())).unwrap();
        assert!(!changed);
        let (changed, _) = a.apply_remote(update_of(b.renew_message())).unwrap();
        assert!(changed);
        assert_eq!(names(&a).len(), 2);

        // Someone nulls a's state at its current clock: a keeps it and re-announces.
        let mut kill = ua.clone();
        let clock = a.awareness.meta(ClientID::new(1)).unwrap().0;
        kill.clients.insert(
            ClientID::new(1),
            AwarenessUpdateEntry {
                clock,
                json: NULL.into(),
            },
        );
        let (_, answer) = a.apply_remote(kill).unwrap();
        let answer = update_of(answer);
        assert!(answer.clients[&ClientID::new(1)].clock > clock);
        assert_eq!(&*answer.clients[&ClientID::new(1)].json, r#"{"n":"A3"}"#);

        // Disconnect: a forgets b; leaving sends null; rejoining restores the state.
        assert!(a.forget_peers());
        assert!(!a.forget_peers());
        assert_eq!(names(&a).len(), 1);
        let bye = update_of(a.leave());
        assert_eq!(&*bye.clients[&ClientID::new(1)].json, NULL);
        let (changed, _) = b.apply_remote(bye).unwrap();
        assert!(changed);
        assert_eq!(names(&b), vec![(2, r#"{"n":"B"}"#.into())]);
        assert!(!a.check().renew, "no renewal after leaving");
        let back = update_of(a.rejoin());
        b.apply_remote(back).unwrap();
        assert_eq!(names(&b).len(), 2);
    }

    #[test]
    fn a_yrs_server_that_removed_us_accepts_our_return() {
        let me = ClientID::new(21);
        let mut a = hub(21);
        let mut server = Awareness::with_clock(Doc::with_client_id(99), now);
        let present = |server: &Awareness| server.state::<serde_json::Value>(me).is_some();
        a.set_local(r#"{"n":"A"}"#);
        server.apply_update(update_of(a.hello_message())).unwrap();
        assert!(present(&server));
        // The connection closes: the server removes us the yrs way (clock + 1) ...
        server.remove_state(me);
        assert!(!present(&server));
        // ... and the hello on the next connection is accepted.
        server.apply_update(update_of(a.hello_message())).unwrap();
        assert!(present(&server));
        // The old connection is found dead only now: the removal reaches us too, we
        // answer, and the server takes the answer.
        server.remove_state(me);
        let removal = server.update_with_clients([me]).unwrap();
        let (_, answer) = a.apply_remote(removal).unwrap();
        server.apply_update(update_of(answer)).unwrap();
        assert!(present(&server));
    }

    #[test]
    fn garbage_json_from_peers_is_kept_raw() {
        let mut a = hub(10);
        let mut u = AwarenessUpdate {
            clients: HashMap::new(),
        };
        u.clients.insert(
            ClientID::new(11),
            AwarenessUpdateEntry {
                clock: 1,
                json: "{not json".into(),
            },
        );
        assert!(a.apply_remote(u).unwrap().0);
        assert_eq!(names(&a), vec![(11, "{not json".into())]);
    }
}
