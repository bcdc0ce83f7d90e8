//! How each server under test frames the y-protocols messages the load generators send
//! and read: plain (Minutebook, the bare relay, y-websocket: `[tag][sub][payload]`) or
//! Hocuspocus's (every message prefixed by the document's name as a lib0 varString, and
//! each document authenticated with a token before it syncs).

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

use super::ws::{self, Frame, Next, Ws};

/// Hocuspocus's message type for authentication (`MessageType.Auth`).
const HP_AUTH: u8 = 2;
/// Auth sub-types (`AuthMessageType` in @hocuspocus/common).
const HP_AUTH_TOKEN: u8 = 0;
const HP_AUTH_DENIED: u8 = 1;
const HP_AUTH_OK: u8 = 2;

/// A connection's framing.
#[derive(Debug, Clone)]
pub enum Framing {
    Plain,
    /// Hocuspocus: messages about `doc`, authenticated with `token`.
    Hocuspocus {
        doc: String,
        token: String,
    },
}

impl Framing {
    /// An Update message carrying `update`.
    pub fn update(&self, update: Vec<u8>) -> Bytes {
        self.wrap(&ws::update(update))
    }

    /// SyncStep1 with an empty state vector.
    pub fn sync_step1(&self) -> Bytes {
        self.wrap(&ws::sync_step1())
    }

    /// Reads a frame's tags (see [`ws::parse`]); a Hocuspocus frame about another
    /// document, and Hocuspocus's own messages (sync status, auth, sync reply), are
    /// [`Frame::Other`].
    pub fn parse<'a>(&self, frame: &'a [u8]) -> Result<Frame<'a>> {
        match self {
            Framing::Plain => ws::parse(frame),
            Framing::Hocuspocus { doc, .. } => match strip_name(frame)? {
                (name, rest) if name == doc.as_bytes() => match rest.first() {
                    Some(0) => ws::parse(rest),
                    _ => Ok(Frame::Other),
                },
                _ => Ok(Frame::Other),
            },
        }
    }

    /// Authenticates the document (Hocuspocus), sends SyncStep1 and waits (up to
    /// `timeout`) for the server's SyncStep2; returns its update.
    pub async fn handshake(&self, ws: &mut Ws, timeout: Duration) -> Result<Vec<u8>> {
        tokio::time::timeout(timeout, async {
            if let Framing::Hocuspocus { doc, token } = self {
                let mut auth = Vec::new();
                auth.write_string(doc);
                auth.write_var(HP_AUTH);
                auth.write_var(HP_AUTH_TOKEN);
                auth.write_string(token);
                ws.send(WsMessage::Binary(auth.into()))
                    .await
                    .context("sending the Auth message")?;
                self.wait_authenticated(ws).await?;
            }
            ws.send(WsMessage::Binary(self.sync_step1()))
                .await
                .context("sending SyncStep1")?;
            loop {
                match ws::next(ws).await {
                    Next::Binary(b) => {
                        if let Frame::Step2(update) = self.parse(&b)? {
                            return Ok(update.to_vec());
                        }
                    }
                    Next::Closed(code, reason) => {
                        bail!("closed during handshake: {code:?} {reason}")
                    }
                }
            }
        })
        .await
        .context("no SyncStep2 in time")?
    }

    /// Waits for Hocuspocus's Authenticated answer about this document.
    async fn wait_authenticated(&self, ws: &mut Ws) -> Result<()> {
        let Framing::Hocuspocus { doc, .. } = self else {
            return Ok(());
        };
        loop {
            let frame = match ws::next(ws).await {
                Next::Binary(b) => b,
                Next::Closed(code, reason) => {
                    bail!("closed before authentication: {code:?} {reason}")
                }
            };
            let (name, rest) = strip_name(&frame)?;
            if name != doc.as_bytes() {
                continue;
            }
            let mut cursor = Cursor::new(rest);
            let tag: u8 = cursor.read_var().map_err(|e| anyhow!("bad frame: {e}"))?;
            if tag != HP_AUTH {
                continue;
            }
            let sub: u8 = cursor
                .read_var()
                .map_err(|e| anyhow!("bad auth frame: {e}"))?;
            match sub {
                HP_AUTH_OK => return Ok(()),
                HP_AUTH_DENIED => {
                    let reason = cursor.read_string().unwrap_or("?");
                    bail!("Hocuspocus denied {doc}: {reason}")
                }
                _ => {}
            }
        }
    }

    /// Prefixes a plain message with the document name (Hocuspocus).
    fn wrap(&self, plain: &[u8]) -> Bytes {
        match self {
            Framing::Plain => Bytes::copy_from_slice(plain),
            Framing::Hocuspocus { doc, .. } => {
                let mut out = Vec::with_capacity(doc.len() + 2 + plain.len());
                out.write_string(doc);
                out.extend_from_slice(plain);
                Bytes::from(out)
            }
        }
    }
}

/// Splits a Hocuspocus frame into the document name's bytes and the rest.
fn strip_name(frame: &[u8]) -> Result<(&[u8], &[u8])> {
    let mut cursor = Cursor::new(frame);
    let len: usize = cursor
        .read_var()
        .map_err(|e| anyhow!("bad document name: {e}"))?;
    let start = cursor.next;
    let end = start.checked_add(len).context("bad document name length")?;
    let name = frame.get(start..end).context("truncated document name")?;
    let rest = frame.get(end..).context("truncated frame")?;
    Ok((name, rest))
}

/// The client id of the first (for the benchmarks' one-insert updates: the only) client
/// whose structs a v1 update carries: the writer, so an echo of one's own update can be
/// told from a delivery.
pub fn update_client(update: &[u8]) -> Option<u64> {
    let mut cursor = Cursor::new(update);
    let clients: u64 = cursor.read_var().ok()?;
    if clients == 0 {
        return None;
    }
    let _structs: u64 = cursor.read_var().ok()?;
    cursor.read_var().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, Text, Transact};

    #[test]
    fn hocuspocus_frames_carry_the_name_first() {
        let hp = Framing::Hocuspocus {
            doc: "fanout-3".into(),
            token: "t".into(),
        };
        let frame = hp.update(vec![1, 2, 3]);
        assert_eq!(&frame[..9], b"\x08fanout-3");
        assert_eq!(hp.parse(&frame).unwrap(), Frame::Update(&[1, 2, 3]));
        let other = Framing::Hocuspocus {
            doc: "fanout-4".into(),
            token: "t".into(),
        };
        assert_eq!(other.parse(&frame).unwrap(), Frame::Other);
        // A sync status (type 8) is not an update.
        assert_eq!(hp.parse(b"\x08fanout-3\x08\x01").unwrap(), Frame::Other);
        assert_eq!(
            Framing::Plain
                .parse(&Framing::Plain.update(vec![4]))
                .unwrap(),
            Frame::Update(&[4])
        );
    }

    #[test]
    fn finds_the_writer_of_an_update() {
        let doc = Doc::with_client_id(123_456);
        let text = doc.get_or_insert_text("text");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "x");
        assert_eq!(update_client(&txn.encode_update_v1()), Some(123_456));
        assert_eq!(update_client(&[0, 0]), None);
    }
}
