//! The list of everyone on the document: `ul#presence > li.peer[data-client]`, the own
//! entry marked `data-self`, each under its verified name (`data-role` and the tooltip
//! give the verified role) with a swatch in the peer's colour (`--peer-colour`).

use leptos::prelude::*;

use crate::presence::{use_presence, Peer};

/// `ul#presence`, one `li.peer` per client with an awareness state.
#[component]
pub fn PresenceList() -> impl IntoView {
    let presence = use_presence();
    let peers = move || presence.map(|p| p.peers()).unwrap_or_default();
    view! {
        <ul id="presence" class="presence" aria-label="People on this page">
            <For each=peers key=|p| (p.client_id, p.name.clone(), p.color.clone(), p.is_self)
                children=|peer| view! { <PeerEntry peer=peer /> } />
        </ul>
    }
}

#[component]
fn PeerEntry(peer: Peer) -> impl IntoView {
    view! {
        <li class="peer" data-client=peer.client_id.to_string()
            data-self=peer.is_self.then_some("")
            data-role=peer.role.clone()
            style=format!("--peer-colour: {}", peer.color)
            title=match &peer.role {
                Some(role) if !role.is_empty() => format!("{} ({role})", peer.name),
                _ => peer.name.clone(),
            }>
            <span class="peer-swatch" aria-hidden="true"
                style="display:inline-block;width:0.75em;height:0.75em;border-radius:50%;\
                       margin-right:0.3em;background:var(--peer-colour)"></span>
            <span class="peer-name">{peer.name.clone()}</span>
            {peer.is_self.then_some(" (you)")}
        </li>
    }
}
