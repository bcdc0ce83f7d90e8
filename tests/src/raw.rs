//! A bare WebSocket client that sends and receives protocol frames byte for byte, the
//! way an unmodified y-websocket client (or a hostile one) would.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use minutebook_shared::protocol::{self, AwarenessUpdate, Message};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;

/// An awareness message announcing one client's state (`"null"` removes it).
pub fn awareness(client: u64, clock: u32, json: &str) -> Message {
    let entry = AwarenessUpdateEntry {
        clock,
        json: json.into(),
    };
    let clients = HashMap::from([(ClientID::new(client), entry)]);
    Message::Awareness(AwarenessUpdate { clients })
}

/// A v1 update inserting `text` at the start of the root text "text" by `client`.
pub fn text_insert(client: u64, text: &str) -> Vec<u8> {
    use yrs::{Text, Transact};
    let doc = yrs::Doc::with_client_id(client);
    let root = doc.get_or_insert_text("text");
    let mut txn = doc.transact_mut();
    root.insert(&mut txn, 0, text);
    txn.encode_update_v1()
}

/// What the server sent next.
#[derive(Debug)]
pub enum Received {
    Message(Message),
    /// Close frame: code and reason.
    Closed(u16, String),
    /// The stream ended without a close frame.
    Ended,
}

pub struct RawClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RawClient {
    /// Connects like y-websocket (no subprotocol).
    pub async fn connect(url: &str) -> RawClient {
        Self::connect_with(url, None).await
    }

    /// Connects, optionally requesting a subprotocol (no credentials).
    pub async fn connect_with(url: &str, subprotocol: Option<&'static str>) -> RawClient {
        Self::connect_as(url, subprotocol, None).await
    }

    /// Connects with a session token (`Authorization: Bearer`), optionally requesting a
    /// subprotocol. Panics if the upgrade is refused (see [`RawClient::try_connect_as`]).
    pub async fn connect_as(
        url: &str,
        subprotocol: Option<&'static str>,
        token: Option<&str>,
    ) -> RawClient {
        Self::try_connect_as(url, subprotocol, token)
            .await
            .expect("connect")
    }

    /// Like [`RawClient::connect_as`], but returns the refusal (e.g. HTTP 401/403).
    pub async fn try_connect_as(
        url: &str,
        subprotocol: Option<&'static str>,
        token: Option<&str>,
    ) -> Result<RawClient, tokio_tungstenite::tungstenite::Error> {
        Self::try_connect_from(url, subprotocol, token, None).await
    }

    /// Like [`RawClient::try_connect_as`], sending `Origin: origin` as a browser page
    /// would.
    pub async fn try_connect_from(
        url: &str,
        subprotocol: Option<&'static str>,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<RawClient, tokio_tungstenite::tungstenite::Error> {
        let mut request = url.into_client_request()?;
        if let Some(origin) = origin {
            let value = HeaderValue::from_str(origin).expect("origin header");
            request.headers_mut().insert("Origin", value);
        }
        if let Some(token) = token {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
            request.headers_mut().insert("Authorization", value);
        }
        if let Some(p) = subprotocol {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
        }
        let config = WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
        Ok(RawClient { ws })
    }

    pub async fn send(&mut self, msg: &Message) {
        self.send_bytes(protocol::encode(msg)).await;
    }

    pub async fn send_bytes(&mut self, bytes: Vec<u8>) {
        self.ws
            .send(WsMessage::Binary(bytes.into()))
            .await
            .expect("send");
    }

    /// The next protocol message or close (pings/pongs skipped), within `timeout`.
    pub async fn recv_within(&mut self, timeout: Duration) -> Option<Received> {
        tokio::time::timeout(timeout, async {
            loop {
                return match self.ws.next().await {
                    Some(Ok(WsMessage::Binary(b))) => Received::Message(
                        protocol::decode(&b).expect("server sends well-formed frames"),
                    ),
                    Some(Ok(WsMessage::Close(Some(f)))) => {
                        Received::Closed(u16::from(f.code), f.reason.to_string())
                    }
                    Some(Ok(WsMessage::Close(None))) => Received::Closed(1005, String::new()),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => Received::Ended,
                };
            }
        })
        .await
        .ok()
    }

    /// The next message or close, waiting up to the test patience.
    pub async fn recv(&mut self) -> Received {
        self.recv_within(crate::PATIENCE)
            .await
            .expect("server answered in time")
    }

    /// Reads until a close frame arrives; returns its code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        loop {
            match self.recv().await {
                Received::Closed(code, reason) => return (code, reason),
                Received::Ended => panic!("connection ended without a close frame"),
                Received::Message(_) => continue,
            }
        }
    }
}
