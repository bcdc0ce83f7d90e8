//! How the server closes a WebSocket: the close codes it sends, what each tells a client
//! to do, and the reason that goes with them. The server, the browser client and the
//! native client read them from here.

/// The codes, by name.
pub mod code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is going away (shutdown, idle timeout).
    pub const GOING_AWAY: u16 = 1001;
    /// The peer violated the protocol (malformed frame, unknown message type).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// The peer sent a data type we do not accept (text frames).
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// The message content was invalid (an update the CRDT rejected).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Policy violation: access revoked, or too many refused writes. Do not reconnect
    /// until access is checked again.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// The message was larger than the configured limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server hit an internal error (storage failure).
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The server restarts the connection (e.g. the user's role changed): reconnect.
    pub const SERVICE_RESTART: u16 = 1012;
    /// The client could not keep up; it should reconnect (and resync) later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The minutes were rebuilt (an item moved into Part II purged its text from the
    /// main document's history): the client's copy is of the old document, which the
    /// server no longer accepts. Drop the offline copy and the undo history, then load
    /// the minutes afresh.
    pub const REBUILT: u16 = 4001;
}

/// Why a connection was closed: a WebSocket close code and a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

impl CloseReason {
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        // A close frame's reason must fit in 123 bytes.
        if reason.len() > 123 {
            let mut cut = 120;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
            reason.push('…');
        }
        CloseReason { code, reason }
    }
}
