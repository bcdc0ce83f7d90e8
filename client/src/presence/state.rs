//! The awareness state as JSON (the format is fixed by `client/DOM.md`):
//!
//! ```json
//! {"user": {"name": "Alice", "color": "#d81b60"},
//!  "focus": {"item": "ID", "block": "ID" | null, "anchor": STICKY | null, "head": STICKY | null}}
//! ```
//!
//! The server adds `"verified": {"name": …, "role": …}` — the signed-in person it
//! relays the state for — to every state it relays ([`Verified`]); that, not the
//! announced `user.name`, is the name shown.
//!
//! `STICKY` is a yrs [`StickyIndex`] serialised with serde. `focus` is `null` when the user
//! is in no item. Decoding is lenient: other clients (an unmodified y-websocket page, an
//! older Minutebook) may send anything, so every field that is missing or has the wrong
//! shape just becomes `None` instead of failing the whole state.

use serde::Serialize;
use serde_json::Value;
use yrs::StickyIndex;

/// Who a client is, as announced in its awareness state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    /// CSS colour, e.g. `#d81b60`.
    pub color: String,
}

/// Where a client is working: an item, optionally a block in it, and optionally a caret
/// or selection in that block's text (`anchor` is where the selection started, `head`
/// where the caret is; equal for a plain caret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Focus {
    pub item: String,
    pub block: Option<String>,
    pub anchor: Option<StickyIndex>,
    pub head: Option<StickyIndex>,
}

/// Who the server says a client is (its `verified` field; never sent by a client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub name: String,
    /// Meeting role (`chair`, `minute-taker`, `attendee`, `observer`, `administrator`).
    pub role: String,
}

/// One client's whole awareness state.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct AwarenessState {
    pub user: Option<User>,
    pub focus: Option<Focus>,
    /// Stamped by the server on relayed states; not part of what this page announces.
    #[serde(skip)]
    pub verified: Option<Verified>,
}

impl AwarenessState {
    /// The JSON string put into the awareness protocol.
    pub fn to_json(&self) -> String {
        // Serialising plain strings and sticky indices cannot fail; fall back to an empty
        // object rather than panicking all the same.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads a state from any JSON a peer sent; `None` only for the `null` state (gone)
    /// or text that is not JSON at all. Unknown or malformed fields are ignored.
    pub fn from_json(json: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(json).ok()?;
        if value.is_null() {
            return None;
        }
        Some(AwarenessState {
            user: value.get("user").and_then(user_from),
            focus: value.get("focus").and_then(focus_from),
            verified: value.get("verified").and_then(verified_from),
        })
    }
}

fn verified_from(value: &Value) -> Option<Verified> {
    let name = value.get("name")?.as_str()?.trim();
    let role = value
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default();
    (!name.is_empty()).then(|| Verified {
        name: name.to_owned(),
        role: role.to_owned(),
    })
}

fn user_from(value: &Value) -> Option<User> {
    let name = value.get("name")?.as_str()?.trim();
    let color = value
        .get("color")
        .and_then(Value::as_str)
        .filter(|c| is_css_colour(c))
        .unwrap_or_default();
    Some(User {
        name: name.to_owned(),
        color: color.to_owned(),
    })
}

fn focus_from(value: &Value) -> Option<Focus> {
    let item = value.get("item")?.as_str()?.to_owned();
    let block = value
        .get("block")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let sticky = |key: &str| -> Option<StickyIndex> {
        let v = value.get(key)?;
        if v.is_null() {
            return None;
        }
        serde_json::from_value(v.clone()).ok()
    };
    Some(Focus {
        item,
        block,
        anchor: sticky("anchor"),
        head: sticky("head"),
    })
}

/// Whether `colour` is a `#rgb` / `#rrggbb` hex colour: the only form accepted from peers,
/// since it ends up in a `style` attribute.
pub fn is_css_colour(colour: &str) -> bool {
    let Some(hex) = colour.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Assoc, Doc, IndexedSequence, Text, Transact};

    fn sticky_pair() -> (Doc, StickyIndex, StickyIndex) {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "hello world");
        let a = text.sticky_index(&txn, 2, Assoc::After).unwrap();
        let h = text.sticky_index(&txn, 7, Assoc::Before).unwrap();
        drop(txn);
        (doc, a, h)
    }

    #[test]
    fn full_state_round_trips() {
        let (doc, anchor, head) = sticky_pair();
        let state = AwarenessState {
            user: Some(User {
                name: "Alice".into(),
                color: "#d81b60".into(),
            }),
            focus: Some(Focus {
                item: "i1".into(),
                block: Some("b1".into()),
                anchor: Some(anchor),
                head: Some(head),
            }),
            verified: None,
        };
        let json = state.to_json();
        let back = AwarenessState::from_json(&json).unwrap();
        assert_eq!(back, state);
        let focus = back.focus.unwrap();
        let txn = doc.transact();
        assert_eq!(focus.anchor.unwrap().get_offset(&txn).unwrap().index, 2);
        assert_eq!(focus.head.unwrap().get_offset(&txn).unwrap().index, 7);
    }

    #[test]
    fn wire_shape_matches_the_contract() {
        let state = AwarenessState {
            user: Some(User {
                name: "Bob".into(),
                color: "#123456".into(),
            }),
            focus: Some(Focus {
                item: "i".into(),
                block: None,
                anchor: None,
                head: None,
            }),
            verified: Some(Verified {
                name: "never sent".into(),
                role: "chair".into(),
            }),
        };
        let v: Value = serde_json::from_str(&state.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"user": {"name": "Bob", "color": "#123456"},
                "focus": {"item": "i", "block": null, "anchor": null, "head": null}})
        );
        let idle = AwarenessState {
            user: state.user.clone(),
            focus: None,
            verified: None,
        };
        let v: Value = serde_json::from_str(&idle.to_json()).unwrap();
        assert_eq!(v["focus"], Value::Null);
    }

    #[test]
    fn foreign_states_decode_leniently() {
        assert_eq!(AwarenessState::from_json("null"), None);
        assert_eq!(AwarenessState::from_json("not json"), None);
        assert_eq!(
            AwarenessState::from_json("{}"),
            Some(AwarenessState::default())
        );
        // A y-websocket demo page's state, with a colour we refuse to put in a style.
        let s = AwarenessState::from_json(
            r#"{"user":{"name":" Ann ","color":"red;background:url(x)"},"cursor":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(
            s.user.unwrap(),
            User {
                name: "Ann".into(),
                color: String::new()
            }
        );
        assert_eq!(s.focus, None);
        // Wrong types and broken sticky indices are dropped field by field.
        let s = AwarenessState::from_json(
            r#"{"user":{"name":5},"focus":{"item":"i","block":7,"anchor":{"bogus":1},"head":null}}"#,
        )
        .unwrap();
        assert_eq!(s.user, None);
        assert_eq!(
            s.focus,
            Some(Focus {
                item: "i".into(),
                block: None,
                anchor: None,
                head: None
            })
        );
        assert_eq!(
            AwarenessState::from_json(r#"[1,2]"#),
            Some(AwarenessState::default())
        );
        // The server's stamp is read; a blank one is none.
        let s = AwarenessState::from_json(
            r#"{"user":{"name":"Administrator (Chair)"},"verified":{"name":"Eve","role":"observer"}}"#,
        )
        .unwrap();
        assert_eq!(
            s.verified,
            Some(Verified {
                name: "Eve".into(),
                role: "observer".into()
            })
        );
        let s = AwarenessState::from_json(r#"{"verified":{"name":" "}}"#).unwrap();
        assert_eq!(s.verified, None);
    }

    #[test]
    fn only_hex_colours_are_accepted() {
        assert!(is_css_colour("#abc"));
        assert!(is_css_colour("#A0B1C2"));
        assert!(!is_css_colour("abc"));
        assert!(!is_css_colour("#abcd"));
        assert!(!is_css_colour("#ggg"));
        assert!(!is_css_colour("#fff;x:y"));
    }
}
