//! The wire protocol spoken on `/ws/{doc}`.
//!
//! Every WebSocket binary frame carries exactly one y-protocols message, encoded with
//! lib0 v1 by [`yrs::sync::Message`] — the same bytes an unmodified `y-websocket` client
//! sends and expects: sync step 1 / step 2 / update, awareness and query-awareness.
//!
//! Minutebook adds one message, [`MSG_SAVED`], which the server sends **only** to
//! connections that negotiated the [`SUBPROTOCOL`] WebSocket subprotocol. It carries a
//! count `n`: the first `n` update-carrying messages (see [`carries_update`]) that this
//! connection sent are settled: each is durable on the server's disk, except those the
//! server refused with [`MSG_REJECTED`] (sent before the count that covers them), which
//! were never applied. Clients count their own sent update-carrying messages per
//! connection and compare; a client that was refused anything is not fully saved.
//!
//! Such connections also receive the meeting's ledger: the whole [`MSG_LEDGER`] once on
//! join, then one [`MSG_LEDGER_CHANGE`] per change, and refusals ([`MSG_REJECTED`]).

pub mod close;
pub mod session;

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
pub use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;

/// WebSocket subprotocol that opts a connection in to [`MSG_SAVED`] acknowledgements.
pub const SUBPROTOCOL: &str = "minutebook.v1";

/// The last path segment of a meeting's Part II WebSocket, `/ws/{meeting}/restricted`
/// (its exempt items' restricted document, [`crate::meeting::part2`]): the same protocol
/// as `/ws/{meeting}`, upgraded only for a grant with restricted access.
pub const PART2_SEGMENT: &str = "restricted";

/// Message tag of the durable acknowledgement (outside the y-protocols range 0–3).
pub const MSG_SAVED: u8 = 100;

/// Message tag of the meeting's whole ledger ([`crate::trust::Ledger`] as JSON), which
/// the server sends to `SUBPROTOCOL` connections when they join.
pub const MSG_LEDGER: u8 = 101;

/// Message tag of one change to the ledger ([`crate::trust::LedgerChange`] as JSON),
/// sent to `SUBPROTOCOL` connections after every change, in order: what changed, never
/// the whole ledger again. Its `revision` is one more than the ledger it applies to
/// ([`crate::trust::Ledger::apply`]); a client that finds a gap (it took a newer ledger
/// from elsewhere, or missed one) fetches the whole ledger again (HTTP, or reconnect).
pub const MSG_LEDGER_CHANGE: u8 = 103;

/// Message tag of a refused write: JSON [`Rejected`]. The update was not applied and
/// will never be acknowledged.
pub const MSG_REJECTED: u8 = 102;

/// Message tag of the server's storage state: payload one byte, 1 when the server cannot
/// write to its disk (changes sent meanwhile are neither applied nor acknowledged: the
/// client keeps them), 0 when it can again. After 0 the server sends its sync step 1, and
/// the client's sync step 2 carries everything not yet saved.
pub const MSG_STORAGE: u8 = 104;

/// Why the server refused an update-carrying message (payload of [`MSG_REJECTED`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejected {
    /// The connection's update-carrying message count that was refused.
    pub count: u64,
    /// What the user is told ("the minutes are signed off and read-only").
    pub reason: String,
}

/// Default largest accepted WebSocket message, in bytes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 << 20;

/// Whether `name` is a valid document name: 1–128 characters from `[A-Za-z0-9._-]`.
/// The server refuses others before the WebSocket upgrade (HTTP 400).
pub fn valid_doc_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why a frame could not be read as a protocol message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    /// The bytes are not a well-formed y-protocols message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The frame held more bytes after its one message.
    #[error("malformed message: {0} trailing bytes after the message")]
    Trailing(usize),
    /// A saved acknowledgement whose payload is not a count.
    #[error("malformed saved acknowledgement")]
    BadSaved,
    /// A ledger or refusal message whose JSON could not be read.
    #[error("unreadable {what}: {why}")]
    BadJson { what: &'static str, why: String },
}

/// Encodes one message as the payload of one binary frame.
pub fn encode(msg: &Message) -> Vec<u8> {
    msg.encode_v1()
}

/// Decodes the payload of one binary frame, which must hold exactly one message.
///
/// This runs on untrusted bytes; callers that must survive a decoder panic wrap it in
/// `std::panic::catch_unwind`.
pub fn decode(frame: &[u8]) -> Result<Message, ProtocolError> {
    // Counts beyond the frame's size would make yrs reserve memory for them first.
    crate::prescan::check_message(frame).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    let mut decoder = DecoderV1::new(Cursor::new(frame));
    let msg = Message::decode(&mut decoder).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    // Re-encoding tells how many bytes the message used; y-protocols encodings are canonical.
    let used = encode(&msg).len();
    if used < frame.len() {
        return Err(ProtocolError::Trailing(frame.len() - used));
    }
    Ok(msg)
}

/// The acknowledgement "your first `count` update-carrying messages are durable".
pub fn saved(count: u64) -> Message {
    let mut payload = Vec::with_capacity(10);
    payload.write_var(count);
    Message::Custom(MSG_SAVED, payload)
}

/// The storage state message ([`MSG_STORAGE`]).
pub fn storage(failing: bool) -> Message {
    Message::Custom(MSG_STORAGE, vec![u8::from(failing)])
}

/// The ledger message.
pub fn ledger(ledger: &crate::trust::Ledger) -> Message {
    Message::Custom(MSG_LEDGER, serde_json::to_vec(ledger).unwrap_or_default())
}

/// The ledger change message.
pub fn ledger_change(change: &crate::trust::LedgerChange) -> Message {
    Message::Custom(
        MSG_LEDGER_CHANGE,
        serde_json::to_vec(change).unwrap_or_default(),
    )
}

/// The refusal message.
pub fn rejected(rejected: &Rejected) -> Message {
    Message::Custom(
        MSG_REJECTED,
        serde_json::to_vec(rejected).unwrap_or_default(),
    )
}

/// Reads a JSON payload (`from_str`, as every HTTP answer is read: one deserializer per
/// type in the web client's bundle).
fn parse_json<T: serde::de::DeserializeOwned>(
    payload: &[u8],
    what: &'static str,
) -> Result<T, ProtocolError> {
    std::str::from_utf8(payload)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(s).map_err(|e| e.to_string()))
        .map_err(|why| ProtocolError::BadJson { what, why })
}

/// Reads a [`ledger`] message payload.
pub fn parse_ledger(payload: &[u8]) -> Result<crate::trust::Ledger, ProtocolError> {
    parse_json(payload, "ledger")
}

/// Reads a [`ledger_change`] message payload.
pub fn parse_ledger_change(payload: &[u8]) -> Result<crate::trust::LedgerChange, ProtocolError> {
    parse_json(payload, "ledger change")
}

/// Reads a [`rejected`] message payload.
pub fn parse_rejected(payload: &[u8]) -> Result<Rejected, ProtocolError> {
    parse_json(payload, "refusal")
}

/// Reads the count out of a [`saved`] message payload.
pub fn parse_saved(payload: &[u8]) -> Result<u64, ProtocolError> {
    let mut cursor = Cursor::new(payload);
    let count: u64 = cursor.read_var().map_err(|_| ProtocolError::BadSaved)?;
    if cursor.has_content() {
        return Err(ProtocolError::BadSaved);
    }
    Ok(count)
}

/// Whether a message carries document content (and so is counted for acknowledgements).
pub fn carries_update(msg: &Message) -> bool {
    matches!(
        msg,
        Message::Sync(SyncMessage::SyncStep2(_)) | Message::Sync(SyncMessage::Update(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::StateVector;

    fn payload(msg: Message) -> Vec<u8> {
        match msg {
            Message::Custom(_, payload) => payload,
            other => panic!("not a custom message: {other:?}"),
        }
    }

    #[test]
    fn ledger_and_refusal_messages_parse_back() {
        let ledger = crate::trust::Ledger::default();
        assert_eq!(parse_ledger(&payload(super::ledger(&ledger))), Ok(ledger));
        let change = crate::trust::LedgerChange {
            revision: 3,
            ..Default::default()
        };
        assert_eq!(
            parse_ledger_change(&payload(ledger_change(&change))),
            Ok(change)
        );
        let refusal = Rejected {
            count: 2,
            reason: "read-only".into(),
        };
        assert_eq!(parse_rejected(&payload(rejected(&refusal))), Ok(refusal));
        assert!(matches!(
            parse_rejected(b"{\"count\":"),
            Err(ProtocolError::BadJson {
                what: "refusal",
                ..
            })
        ));
        assert!(parse_ledger(&[0xff]).is_err());
    }

    #[test]
    fn saved_round_trips() {
        for n in [0u64, 1, 127, 128, 1 << 40] {
            let bytes = encode(&saved(n));
            match decode(&bytes).unwrap() {
                Message::Custom(MSG_SAVED, payload) => {
                    assert_eq!(parse_saved(&payload).unwrap(), n)
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn sync_step1_matches_y_protocols_bytes() {
        // y-protocols: [messageSync=0, messageYjsSyncStep1=0, varUint8Array(sv)]; empty sv = [0].
        let bytes = encode(&Message::Sync(SyncMessage::SyncStep1(
            StateVector::default(),
        )));
        assert_eq!(bytes, vec![0, 0, 1, 0]);
    }

    #[test]
    fn doc_names() {
        assert!(valid_doc_name("welcome"));
        assert!(valid_doc_name("2022-01.assurance_meeting"));
        assert!(!valid_doc_name(""));
        assert!(!valid_doc_name("../etc"));
        assert!(!valid_doc_name("a b"));
        assert!(!valid_doc_name(&"a".repeat(129)));
    }

    #[test]
    fn garbage_and_trailing_bytes_are_errors() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0, 7]).is_err());
        assert_eq!(decode(&[0, 0, 1, 0, 9]), Err(ProtocolError::Trailing(1)));
        assert!(parse_saved(&[0x80]).is_err());
    }
}
