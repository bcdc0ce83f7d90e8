//! Tests of the meeting model that span modules: every schema operation, concurrent
//! structural edits, the fixture import, Markdown round trips and malformed input.

mod concurrency;
pub(crate) mod exempt;
pub(crate) mod fixture;
mod heavy;
mod malformed;
mod ops;
pub(crate) mod roundtrip;

use crate::meeting::Meeting;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, Transact, Update};

/// Sends everything `from` has that `to` lacks.
pub(crate) fn send(from: &Meeting, to: &Meeting) {
    let sv = to.doc().transact().state_vector();
    let update = from.doc().transact().encode_state_as_update_v1(&sv);
    let update = Update::decode_v1(&update).expect("yrs decodes its own update");
    to.doc()
        .transact_mut()
        .apply_update(update)
        .expect("yrs applies its own update");
}

/// Brings two replicas to the same state.
pub(crate) fn sync(a: &Meeting, b: &Meeting) {
    send(a, b);
    send(b, a);
}
