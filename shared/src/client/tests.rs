//! The native client against a peer that controls the timing: a WebSocket on 127.0.0.1:0
//! that answers as the server does but stops reading at the moment that matters.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, StateVector, Text, Transact, Update};

use super::{ClientOptions, SyncClient};
use crate::protocol::{self, Message, SyncMessage};

/// A change made while the client's sync step 2 is being sent is not in it: it must
/// still reach the server on that connection (it used to be counted as covered by the
/// sync step 2 and never sent).
#[tokio::test]
// tungstenite's handshake callback returns its (large) error response type.
#[allow(clippy::result_large_err)]
async fn a_change_made_while_sync_step_2_is_sent_is_not_lost() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!("ws://{}/ws/race", listener.local_addr().expect("addr"));
    // A document large enough that sending it blocks while the peer does not read.
    let doc = Doc::with_client_id(11);
    let text = doc.get_or_insert_text("text");
    text.insert(&mut doc.transact_mut(), 0, &"m".repeat(12 << 20));
    let client = SyncClient::with_doc(ClientOptions::new(url), doc.clone());

    let (stream, _) = listener.accept().await.expect("accepts");
    // Granting the subprotocol, as the server does.
    let grant = |_: &Request, mut response: Response| {
        response.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(crate::protocol::SUBPROTOCOL),
        );
        Ok(response)
    };
    let mut ws = tokio_tungstenite::accept_hdr_async(stream, grant)
        .await
        .expect("upgrades");
    // The client's sync step 1, then ours: the client now sends its 12 MB sync step 2.
    let first = ws.next().await.expect("a message").expect("readable");
    assert!(matches!(
        protocol::decode(&first.into_data()),
        Ok(Message::Sync(SyncMessage::SyncStep1(_)))
    ));
    let step1 = protocol::encode(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )));
    ws.send(WsMessage::Binary(step1.into()))
        .await
        .expect("sends");
    // While its send is blocked (nobody reads), a change is made.
    tokio::time::sleep(Duration::from_millis(300)).await;
    text.insert(&mut doc.transact_mut(), 0, "X");

    // Now read everything the client sends on this connection.
    let received = Doc::new();
    let got = received.get_or_insert_text("text");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !got.get_string(&received.transact()).starts_with('X') {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the change arrives on this connection")
            .expect("open")
            .expect("readable");
        if let Ok(Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u))) =
            protocol::decode(&frame.into_data())
        {
            received
                .transact_mut()
                .apply_update(Update::decode_v1(&u).expect("v1"))
                .expect("applies");
        }
    }
    client.close().await;
}
