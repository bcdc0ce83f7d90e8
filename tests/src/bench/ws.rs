//! Raw protocol connections for the load generators: connecting (optionally with the
//! `minutebook.v1` subprotocol), building frames, and parsing received frames cheaply
//! (tags and slices only — no re-encoding, no copies of update payloads).

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use minutebook_shared::protocol::{self, Message, SyncMessage, MSG_SAVED, SUBPROTOCOL};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::encoding::read::{Cursor, Read};
use yrs::StateVector;

/// A client WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects to `url` with `TCP_NODELAY`, requesting the acknowledgement subprotocol when
/// `acks` is set (and checking the server granted it), with session `token` as
/// `Authorization: Bearer` when given.
pub async fn connect(url: &str, acks: bool, token: Option<&str>) -> Result<Ws> {
    let mut request = url.into_client_request().context("bad WebSocket URL")?;
    if let Some(token) = token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the session token is not a valid header value")?;
        request.headers_mut().insert("Authorization", value);
    }
    if acks {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (ws, response) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    if acks
        && response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .is_none_or(|p| p.as_bytes() != SUBPROTOCOL.as_bytes())
    {
        bail!("{url} did not grant the {SUBPROTOCOL} subprotocol");
    }
    Ok(ws)
}

/// SyncStep1 with an empty state vector ("send me everything").
pub fn sync_step1() -> Bytes {
    Bytes::from(protocol::encode(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    ))))
}

/// SyncStep2 carrying `update`.
pub fn sync_step2(update: Vec<u8>) -> Bytes {
    Bytes::from(protocol::encode(&Message::Sync(SyncMessage::SyncStep2(
        update,
    ))))
}

/// An Update message carrying `update`.
pub fn update(update: Vec<u8>) -> Bytes {
    Bytes::from(protocol::encode(&Message::Sync(SyncMessage::Update(
        update,
    ))))
}

/// The "saved" acknowledgement for `count` messages.
pub fn saved(count: u64) -> Bytes {
    Bytes::from(protocol::encode(&protocol::saved(count)))
}

/// A received frame, as far as the benchmarks care.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Step1,
    Step2(&'a [u8]),
    Update(&'a [u8]),
    Saved(u64),
    /// Awareness or anything else the benchmarks ignore.
    Other,
}

/// Reads a frame's tags and, for updates, the slice holding the v1 update.
pub fn parse(frame: &[u8]) -> Result<Frame<'_>> {
    let mut cursor = Cursor::new(frame);
    let tag: u8 = cursor.read_var().map_err(|e| anyhow!("bad frame: {e}"))?;
    match tag {
        0 => {
            let sub: u8 = cursor
                .read_var()
                .map_err(|e| anyhow!("bad sync frame: {e}"))?;
            let len: usize = cursor
                .read_var()
                .map_err(|e| anyhow!("bad sync frame: {e}"))?;
            let start = cursor.next;
            let payload = frame
                .get(start..start + len)
                .context("truncated sync frame")?;
            match sub {
                0 => Ok(Frame::Step1),
                1 => Ok(Frame::Step2(payload)),
                2 => Ok(Frame::Update(payload)),
                other => bail!("unknown sync message {other}"),
            }
        }
        MSG_SAVED => {
            let len: usize = cursor
                .read_var()
                .map_err(|e| anyhow!("bad saved frame: {e}"))?;
            let start = cursor.next;
            let payload = frame
                .get(start..start + len)
                .context("truncated saved frame")?;
            Ok(Frame::Saved(protocol::parse_saved(payload)?))
        }
        _ => Ok(Frame::Other),
    }
}

/// What came off a socket: a binary frame, or the end of the connection.
pub enum Next {
    Binary(Bytes),
    /// Close frame (code, reason) or a transport error / end of stream (`None` code).
    Closed(Option<u16>, String),
}

/// The next binary frame or the connection's end; control frames are skipped
/// (tungstenite answers pings itself).
pub async fn next(
    stream: &mut (impl StreamExt<Item = tokio_tungstenite::tungstenite::Result<WsMessage>> + Unpin),
) -> Next {
    loop {
        return match stream.next().await {
            Some(Ok(WsMessage::Binary(b))) => Next::Binary(b),
            Some(Ok(WsMessage::Close(Some(f)))) => {
                Next::Closed(Some(u16::from(f.code)), f.reason.to_string())
            }
            Some(Ok(WsMessage::Close(None))) => Next::Closed(Some(1005), String::new()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => Next::Closed(None, e.to_string()),
            None => Next::Closed(None, "stream ended".into()),
        };
    }
}

/// Sends SyncStep1 and waits (up to `timeout`) for the server's SyncStep2; returns its update.
pub async fn handshake(ws: &mut Ws, timeout: Duration) -> Result<Vec<u8>> {
    ws.send(WsMessage::Binary(sync_step1()))
        .await
        .context("sending SyncStep1")?;
    tokio::time::timeout(timeout, async {
        loop {
            match next(ws).await {
                Next::Binary(b) => {
                    if let Frame::Step2(update) = parse(&b)? {
                        return Ok(update.to_vec());
                    }
                }
                Next::Closed(code, reason) => bail!("closed during handshake: {code:?} {reason}"),
            }
        }
    })
    .await
    .context("no SyncStep2 in time")?
}

/// Sends a normal close frame and waits briefly for the server's answer.
pub async fn close(ws: &mut Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_protocol_encodes() {
        assert_eq!(parse(&sync_step1()).unwrap(), Frame::Step1);
        assert_eq!(
            parse(&sync_step2(vec![0, 0])).unwrap(),
            Frame::Step2(&[0, 0])
        );
        assert_eq!(
            parse(&update(vec![1, 2, 3])).unwrap(),
            Frame::Update(&[1, 2, 3])
        );
        assert_eq!(parse(&saved(300)).unwrap(), Frame::Saved(300));
        assert!(parse(&[0, 2, 9, 1]).is_err());
    }
}
