//! Hostile inputs, shared by the tests and the `bench attack` run: the payloads that once
//! crashed, flooded or stalled the server, each refused or bounded now (RELIABILITY.md
//! lists the limit that stops each one).

use std::net::SocketAddr;

use minutebook_shared::protocol::{AwarenessUpdate, Message};
use minutebook_shared::schema::{self, common};
use tokio::net::{TcpSocket, TcpStream};
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::{Doc, Map, MapPrelim, ReadTxn, TextPrelim, Transact};

/// A Yjs v1 update of one item (client 987654, under a new root type `evil`) whose
/// content is an `Any` array nested `depth` deep: about 2 bytes per level. yrs decodes it
/// recursively, so a few thousand levels overflow a thread's stack.
pub fn nested_any_update(depth: usize) -> Vec<u8> {
    let mut out = vec![1, 1]; // one client group holding one struct
    let mut client = 987_654u64;
    while client >= 0x80 {
        out.push((client as u8) | 0x80);
        client >>= 7;
    }
    out.push(client as u8);
    out.extend_from_slice(&[0, 8, 1, 4]); // clock 0; `Any` content, parent by name (4 bytes)
    out.extend_from_slice(b"evil");
    out.push(1); // one value
    for _ in 0..depth {
        out.extend_from_slice(&[117, 1]); // an array of one
    }
    out.extend_from_slice(&[126, 0]); // null; an empty delete set
    out
}

/// One update that creates `levels` nested maps and deletes them: yrs deletes (and
/// garbage-collects) nested types recursively, which overflowed the stack at this depth.
pub fn nested_maps_created_and_deleted(levels: usize) -> Vec<u8> {
    use yrs::{Map, MapPrelim, MapRef};
    let doc = yrs::Doc::with_client_id(31_337);
    let root = doc.get_or_insert_map("evil-maps");
    {
        let mut txn = doc.transact_mut();
        let mut cur: MapRef = root.insert(&mut txn, "k", MapPrelim::default());
        for _ in 1..levels {
            cur = cur.insert(&mut txn, "k", MapPrelim::default());
        }
    }
    let chain = doc
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    let len = doc
        .transact()
        .state_vector()
        .get(&yrs::block::ClientID::new(31_337));
    // A delete-only update for every clock of the chain, written by hand (deleting it
    // here would overflow this test's own stack).
    let mut deletion = vec![0, 1];
    for mut v in [31_337u64, 1, 0, u64::from(len)] {
        while v >= 0x80 {
            deletion.push((v as u8) | 0x80);
            v >>= 7;
        }
        deletion.push(v as u8);
    }
    yrs::merge_updates_v1([chain, deletion]).expect("merges")
}

/// One update that writes items as raw fields, as any client could: a chain of `deep`
/// items (each the only sub-item of the one before) or `wide` top-level siblings.
pub fn items_update(client: u64, deep: usize, wide: usize) -> Vec<u8> {
    let doc = Doc::with_client_id(client);
    let items = doc.get_or_insert_map(schema::ITEMS);
    let mut txn = doc.transact_mut();
    for i in 0..deep {
        let parent = if i == 0 {
            String::new()
        } else {
            format!("chain-{:05}", i - 1)
        };
        let m = items.insert(&mut txn, format!("chain-{i:05}"), MapPrelim::default());
        m.insert(&mut txn, schema::item::PARENT, parent);
        m.insert(&mut txn, common::ORDER, "V");
        m.insert(
            &mut txn,
            schema::item::TITLE,
            TextPrelim::new(format!("Level {}", i + 1)),
        );
    }
    for i in 0..wide {
        let m = items.insert(&mut txn, format!("wide-{i:05}"), MapPrelim::default());
        m.insert(&mut txn, schema::item::PARENT, "");
        m.insert(&mut txn, common::ORDER, format!("W{i:05}"));
        m.insert(
            &mut txn,
            schema::item::TITLE,
            TextPrelim::new(format!("Wide {i}")),
        );
    }
    txn.encode_update_v1()
}

/// Legacy minutes of about `bytes` bytes shaped like the published ones (the demo's
/// header and register, numbered items, long plain-text paragraphs, actions).
pub fn large_legacy(bytes: usize) -> String {
    let demo = minutebook_server::demo::DEMO_MINUTES;
    let mut out: String = demo.lines().take(19).map(|l| format!("{l}\n")).collect();
    let mut k = 0;
    while out.len() < bytes {
        k += 1;
        out.push_str(&format!(
            "{k}.\t<p>Holding to account – topic {k}</p> <p><u>Data and trends</u></p> \
             <p>The PCC asked whether the force understand the drivers. The DCC responded \
             that the numbers are small.</p>\t\n\n"
        ));
        for line in 0..40 {
            out.push_str(&format!(
                "the PCC asked about point {line} and the DCC said that the force are working with partners on it\n"
            ));
        }
        out.push_str("\nACTION: JI to circulate the report by 1 March.\n\n");
    }
    out
}

/// One awareness message announcing every client id in `ids` (an empty state each).
pub fn awareness_ids(ids: std::ops::Range<u64>) -> Message {
    let clients = ids
        .map(|id| {
            (
                ClientID::new(id),
                AwarenessUpdateEntry {
                    clock: 1,
                    json: "{}".into(),
                },
            )
        })
        .collect();
    Message::Awareness(AwarenessUpdate { clients })
}

/// A TCP connection to `server` from the loopback address `from` (127.0.0.0/8 all
/// reach the machine, so each is a different client address).
pub async fn connect_from(server: SocketAddr, from: [u8; 4]) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(server).await
}
