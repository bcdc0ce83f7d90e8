//! The list of everyone on the document: `ul#presence > li.peer[data-client]`, the own
//! entry marked `data-self`, each under its verified name (`data-role` and the tooltip
//! give the verified role), shown as their initials (`.peer-initials`) in a circle of the
//! peer's colour (`--peer-colour`) so that five people fit the bar; the full name is in
//! `.peer-name` (for screen readers) and the tooltip.

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
            <span class="peer-initials" aria-hidden="true">{initials(&peer.name)}</span>
            <span class="peer-name sr-only">{peer.name.clone()}</span>
            {peer.is_self.then(|| view! { <span class="sr-only">" (you)"</span> })}
        </li>
    }
}

/// Up to two initials: "Alice Smith" → "AS", "alice" → "A", "" → "?".
pub fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let mut out: String = words
        .next()
        .and_then(|w| w.chars().next())
        .into_iter()
        .chain(words.last().and_then(|w| w.chars().next()))
        .flat_map(char::to_uppercase)
        .collect();
    if out.is_empty() {
        out.push('?');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_first_and_last_word() {
        assert_eq!(initials("Alice Smith"), "AS");
        assert_eq!(initials("Ann Mary Lee"), "AL");
        assert_eq!(initials("émile"), "É");
        assert_eq!(initials("  "), "?");
    }
}
