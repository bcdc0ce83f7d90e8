//! Presence: a meeting's y-protocols awareness states, as the server keeps and relays them.
//!
//! Awareness is the only thing a client sends that the server relays without storing,
//! so it is where a member could impersonate someone or flood everyone. The rules:
//!
//! - **Ownership.** An awareness client id belongs to the session that first announced it
//!   ([`Speaker::session`]). Connections of that session may change or remove it (so a
//!   reconnecting page keeps its id while its old connection is still timing out); an
//!   entry for an id another session owns is dropped (unmodified y-websocket clients echo
//!   every state they receive, so this is not an error). When the last connection
//!   holding an id leaves, its state is removed (`null` at its current clock, as
//!   y-protocols' server does) and the id is free again.
//! - **Verified identity.** Every state the server relays is a JSON object to which it
//!   adds `"verified": {"name": …, "role": …}` — the signed-in person's name and meeting
//!   role (`administrator` for an administrator without a role) — and in which it
//!   overwrites `user.name` (when `user` is an object) with that name, so that any
//!   y-protocols client, unmodified ones included, shows the verified name.
//! - **Limits** ([`AwarenessLimits`], all settings): client ids per connection, client
//!   states per message, bytes per state, changes per second (a token bucket), and the
//!   JSON nesting depth ([`MAX_NESTING`], checked before the state is parsed). A
//!   connection over a limit is closed with a reason; nobody else is affected. Memory is
//!   bounded by connections × ids per connection × bytes per state.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use minutebook_shared::depth::{json_within_depth, MAX_NESTING};
use minutebook_shared::protocol::AwarenessUpdate;
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;

use crate::docs::outbox::ConnId;
use minutebook_shared::protocol::close::{code, CloseReason};

const NULL: &str = "null";

/// Per-connection awareness limits (settings of `minutebook serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessLimits {
    /// Awareness client ids one connection may announce (a page uses one).
    pub ids_per_connection: usize,
    /// Client states in one awareness message (a y-websocket client echoes everyone's).
    pub entries_per_message: usize,
    /// Bytes of one client's JSON state, as sent.
    pub state_bytes: usize,
    /// Awareness messages that change something, per second, sustained; a burst of four
    /// seconds' worth passes. (Messages that change nothing, such as a y-websocket
    /// client echoing the others' states, do not count.)
    pub per_second: u32,
}

impl Default for AwarenessLimits {
    fn default() -> Self {
        AwarenessLimits {
            ids_per_connection: 8,
            entries_per_message: 256,
            state_bytes: 8 * 1024,
            per_second: 50,
        }
    }
}

/// A token bucket: `per_second` tokens a second, holding at most four seconds' worth.
#[derive(Debug, Clone)]
pub struct RateLimit {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    last: Instant,
}

impl RateLimit {
    /// A full bucket.
    pub fn new(per_second: u32, now: Instant) -> Self {
        let per_second = f64::from(per_second.max(1));
        RateLimit {
            tokens: per_second * 4.0,
            capacity: per_second * 4.0,
            per_second,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Who a connection is, as the server verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    /// The session the connection was opened with (any stable key of it).
    pub session: Arc<str>,
    /// The signed-in person's name.
    pub name: String,
    /// Their meeting role (`chair`, …, or `administrator`).
    pub role: String,
}

struct State {
    clock: u32,
    json: Option<Arc<str>>,
    session: Arc<str>,
    /// Connections that announced this id (usually one; two while a page reconnects).
    holders: HashSet<ConnId>,
}

/// What an accepted awareness message did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The states that changed, as everyone must see them (sender included).
    pub relay: Option<AwarenessUpdate>,
    /// Entries dropped because another session owns their client id.
    pub foreign: usize,
}

/// The awareness states of one meeting.
#[derive(Default)]
pub struct Presence {
    states: HashMap<ClientID, State>,
    /// The client ids each connection holds.
    held: HashMap<ConnId, HashSet<ClientID>>,
}

impl Presence {
    /// Applies an awareness message from connection `conn` of `who`. `Err` is the reason
    /// to close that connection (what it announced before stays until it leaves).
    pub fn apply(
        &mut self,
        conn: ConnId,
        who: &Speaker,
        update: AwarenessUpdate,
        limits: &AwarenessLimits,
    ) -> Result<Applied, CloseReason> {
        if update.clients.len() > limits.entries_per_message {
            return Err(CloseReason::new(
                code::POLICY_VIOLATION,
                format!(
                    "awareness message with {} client states (limit {})",
                    update.clients.len(),
                    limits.entries_per_message
                ),
            ));
        }
        let mut changed = Vec::new();
        let mut foreign = 0;
        for (id, entry) in update.clients {
            let removes = &*entry.json == NULL;
            let held = self.held.entry(conn).or_default();
            let holds = held.contains(&id);
            match self.states.get_mut(&id) {
                Some(state) if state.session != who.session => foreign += 1,
                Some(state) => {
                    // As y-protocols: a newer clock, or a removal at the current clock.
                    let news = state.clock < entry.clock
                        || (removes && state.clock == entry.clock && state.json.is_some());
                    // No news (e.g. a y-websocket client echoing the state of another
                    // connection of its own session) changes nothing and holds nothing.
                    if !news {
                        continue;
                    }
                    if !holds {
                        claim(held, id, limits)?;
                        state.holders.insert(conn);
                    }
                    state.json = if removes {
                        None
                    } else {
                        Some(stamp(&entry.json, who, limits)?)
                    };
                    state.clock = entry.clock;
                    changed.push(id);
                }
                // Removing a state nobody has is no news, and binds nothing.
                None if removes => {}
                None => {
                    let json = stamp(&entry.json, who, limits)?;
                    claim(held, id, limits)?;
                    self.states.insert(
                        id,
                        State {
                            clock: entry.clock,
                            json: Some(json),
                            session: who.session.clone(),
                            holders: HashSet::from([conn]),
                        },
                    );
                    changed.push(id);
                }
            }
        }
        Ok(Applied {
            relay: self.update_for(changed),
            foreign,
        })
    }

    /// Connection `conn` left: releases its ids. Returns the removals (`null` at the
    /// current clock) of the states no other connection holds, for everyone else.
    pub fn leave(&mut self, conn: ConnId) -> Option<AwarenessUpdate> {
        let ids = self.held.remove(&conn)?;
        let mut clients = HashMap::new();
        for id in ids {
            let Some(state) = self.states.get_mut(&id) else {
                continue;
            };
            state.holders.remove(&conn);
            if !state.holders.is_empty() {
                continue;
            }
            if let Some(state) = self.states.remove(&id) {
                if state.json.is_some() {
                    clients.insert(
                        id,
                        AwarenessUpdateEntry {
                            clock: state.clock,
                            json: NULL.into(),
                        },
                    );
                }
            }
        }
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }

    /// Every current state (for a connection that joins or asks).
    pub fn current(&self) -> Option<AwarenessUpdate> {
        let ids = self
            .states
            .iter()
            .filter(|(_, s)| s.json.is_some())
            .map(|(id, _)| *id)
            .collect();
        self.update_for(ids)
    }

    /// Client ids with a state or a binding (for tests and logs).
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no client id is known.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    fn update_for(&self, ids: Vec<ClientID>) -> Option<AwarenessUpdate> {
        let clients: HashMap<ClientID, AwarenessUpdateEntry> = ids
            .into_iter()
            .filter_map(|id| {
                let s = self.states.get(&id)?;
                Some((
                    id,
                    AwarenessUpdateEntry {
                        clock: s.clock,
                        json: s.json.clone().unwrap_or_else(|| NULL.into()),
                    },
                ))
            })
            .collect();
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }
}

/// Adds `id` to a connection's ids, within the limit.
fn claim(
    held: &mut HashSet<ClientID>,
    id: ClientID,
    limits: &AwarenessLimits,
) -> Result<(), CloseReason> {
    if held.len() >= limits.ids_per_connection {
        return Err(CloseReason::new(
            code::POLICY_VIOLATION,
            format!(
                "more than {} awareness client ids from one connection",
                limits.ids_per_connection
            ),
        ));
    }
    held.insert(id);
    Ok(())
}

/// Checks a state (size, nesting, a JSON object) and stamps the verified identity on it.
pub fn stamp(json: &str, who: &Speaker, limits: &AwarenessLimits) -> Result<Arc<str>, CloseReason> {
    if json.len() > limits.state_bytes {
        return Err(CloseReason::new(
            code::MESSAGE_TOO_BIG,
            format!(
                "awareness state of {} bytes (limit {})",
                json.len(),
                limits.state_bytes
            ),
        ));
    }
    if !json_within_depth(json, MAX_NESTING) {
        return Err(CloseReason::new(
            code::INVALID_PAYLOAD,
            format!("awareness state nested deeper than {MAX_NESTING} levels"),
        ));
    }
    let mut value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        CloseReason::new(
            code::INVALID_PAYLOAD,
            format!("awareness state is not JSON: {e}"),
        )
    })?;
    let Some(object) = value.as_object_mut() else {
        return Err(CloseReason::new(
            code::INVALID_PAYLOAD,
            "an awareness state must be a JSON object or null",
        ));
    };
    if let Some(user) = object
        .get_mut("user")
        .and_then(serde_json::Value::as_object_mut)
    {
        user.insert("name".into(), who.name.clone().into());
    }
    object.insert(
        "verified".into(),
        serde_json::json!({ "name": who.name, "role": who.role }),
    );
    Ok(value.to_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn who(session: &str, name: &str) -> Speaker {
        Speaker {
            session: session.into(),
            name: name.into(),
            role: "attendee".into(),
        }
    }

    fn update(entries: &[(u64, u32, &str)]) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: entries
                .iter()
                .map(|(id, clock, json)| {
                    (
                        ClientID::new(*id),
                        AwarenessUpdateEntry {
                            clock: *clock,
                            json: (*json).into(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn json_of(u: &AwarenessUpdate, id: u64) -> serde_json::Value {
        serde_json::from_str(&u.clients[&ClientID::new(id)].json).unwrap()
    }

    #[test]
    fn states_carry_the_verified_name_not_the_chosen_one() {
        let mut p = Presence::default();
        let limits = AwarenessLimits::default();
        let ann = who("s-ann", "Ann Lee");
        let state = r##"{"user":{"name":"Administrator (Chair)","color":"#123456"},"verified":{"name":"x"}}"##;
        let out = p.apply(1, &ann, update(&[(7, 1, state)]), &limits).unwrap();
        let v = json_of(&out.relay.unwrap(), 7);
        assert_eq!(v["user"]["name"], "Ann Lee");
        assert_eq!(v["user"]["color"], "#123456");
        assert_eq!(
            v["verified"],
            serde_json::json!({"name": "Ann Lee", "role": "attendee"})
        );
        let v = json_of(&p.current().unwrap(), 7);
        assert_eq!(v["verified"]["name"], "Ann Lee");
    }

    #[test]
    fn another_sessions_id_cannot_be_changed_or_removed() {
        let mut p = Presence::default();
        let limits = AwarenessLimits::default();
        let (ann, eve) = (who("s-ann", "Ann"), who("s-eve", "Eve"));
        p.apply(1, &ann, update(&[(7, 1, "{}")]), &limits).unwrap();
        let out = p
            .apply(2, &eve, update(&[(7, 9, "null"), (8, 1, "{}")]), &limits)
            .unwrap();
        assert_eq!(out.foreign, 1);
        let relay = out.relay.unwrap();
        assert_eq!(relay.clients.len(), 1, "only Eve's own id changed");
        let out = p.apply(2, &eve, update(&[(7, 10, "{}")]), &limits).unwrap();
        assert_eq!((out.foreign, out.relay.is_none()), (1, true));
        assert_eq!(json_of(&p.current().unwrap(), 7)["verified"]["name"], "Ann");
        // Eve leaving does not touch Ann's state.
        let gone = p.leave(2).unwrap();
        assert_eq!(gone.clients.len(), 1);
        assert!(gone.clients.contains_key(&ClientID::new(8)));
        assert!(p.current().unwrap().clients.contains_key(&ClientID::new(7)));
    }

    #[test]
    fn a_reconnecting_session_keeps_its_id_until_its_last_connection_leaves() {
        let mut p = Presence::default();
        let limits = AwarenessLimits::default();
        let ann = who("s-ann", "Ann");
        p.apply(1, &ann, update(&[(7, 3, "{}")]), &limits).unwrap();
        // An echo of the same clock by another connection of the session is no news and
        // holds nothing (y-websocket clients echo every state they receive).
        let out = p.apply(2, &ann, update(&[(7, 3, "{}")]), &limits).unwrap();
        assert!(out.relay.is_none());
        assert_eq!(p.held.get(&2).map(HashSet::len), Some(0));
        // The reconnected page announces itself anew: now connection 2 holds the id too.
        let out = p.apply(2, &ann, update(&[(7, 4, "{}")]), &limits).unwrap();
        assert!(out.relay.is_some());
        assert!(p.leave(1).is_none(), "connection 2 still holds the id");
        assert!(p.current().is_some());
        let gone = p.leave(2).unwrap();
        assert_eq!(&*gone.clients[&ClientID::new(7)].json, "null");
        assert_eq!(gone.clients[&ClientID::new(7)].clock, 4);
        assert!(p.is_empty(), "the id is free again");
        // Now anyone may take it.
        let eve = who("s-eve", "Eve");
        assert!(p
            .apply(3, &eve, update(&[(7, 1, "{}")]), &limits)
            .unwrap()
            .relay
            .is_some());
    }

    #[test]
    fn the_owner_removes_its_state_with_null() {
        let mut p = Presence::default();
        let limits = AwarenessLimits::default();
        let ann = who("s-ann", "Ann");
        p.apply(1, &ann, update(&[(7, 3, "{}")]), &limits).unwrap();
        let out = p
            .apply(1, &ann, update(&[(7, 4, "null")]), &limits)
            .unwrap();
        assert_eq!(&*out.relay.unwrap().clients[&ClientID::new(7)].json, "null");
        assert!(p.current().is_none());
        assert!(p.leave(1).is_none(), "already removed");
    }

    #[test]
    fn limits_close_only_with_a_reason() {
        let mut p = Presence::default();
        let limits = AwarenessLimits {
            ids_per_connection: 2,
            entries_per_message: 4,
            state_bytes: 64,
            per_second: 1,
        };
        let ann = who("s-ann", "Ann");
        let five: Vec<(u64, u32, &str)> = (0..5).map(|i| (i, 1, "{}")).collect();
        let e = p.apply(1, &ann, update(&five), &limits).unwrap_err();
        assert_eq!(e.code, code::POLICY_VIOLATION);
        let e = p
            .apply(
                1,
                &ann,
                update(&[(1, 1, "{}"), (2, 1, "{}"), (3, 1, "{}")]),
                &limits,
            )
            .unwrap_err();
        assert!(e.reason.contains("client ids"), "{}", e.reason);
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(100));
        let e = p
            .apply(2, &ann, update(&[(9, 1, &big)]), &limits)
            .unwrap_err();
        assert_eq!(e.code, code::MESSAGE_TOO_BIG);
        let deep = "[".repeat(100) + &"]".repeat(100);
        let e = stamp(&deep, &ann, &AwarenessLimits::default()).unwrap_err();
        assert_eq!(e.code, code::INVALID_PAYLOAD);
        assert!(e.reason.contains("nested"), "{}", e.reason);
        for bad in ["{not json", "[1]", "\"x\""] {
            let e = stamp(bad, &ann, &limits).unwrap_err();
            assert_eq!(e.code, code::INVALID_PAYLOAD, "{bad}");
        }
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(10, t0);
        assert_eq!((0..100).filter(|_| r.allow(t0)).count(), 40);
        assert!(!r.allow(t0));
        assert!(r.allow(t0 + Duration::from_millis(150)));
        assert!(!r.allow(t0 + Duration::from_millis(150)));
    }
}
