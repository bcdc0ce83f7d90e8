//! Who else is in an item or block: `span.block-presence` holding one `.peer-badge` per
//! peer focused there (the own page is not shown).

use leptos::prelude::*;
use minutebook_shared::meeting::model::{BlockId, ItemId};

use crate::presence::use_presence;

/// The badges of the peers in `item` (and `block`, when given).
#[component]
pub fn BlockPresence(item: ItemId, #[prop(optional)] block: Option<BlockId>) -> impl IntoView {
    let presence = use_presence();
    let peers = move || {
        presence
            .map(|p| p.peers_in(&item, block.as_ref()))
            .unwrap_or_default()
    };
    let label = {
        let peers = peers.clone();
        move || {
            let names: Vec<String> = peers().into_iter().map(|p| p.name).collect();
            if names.is_empty() {
                String::new()
            } else {
                format!("Also here: {}", names.join(", "))
            }
        }
    };
    view! {
        <span class="block-presence" aria-label=label>
            <For each=peers key=|p| (p.client_id, p.name.clone(), p.color.clone())
                children=|peer| view! {
                    <span class="peer-badge" data-client=peer.client_id.to_string()
                        style=format!("--peer-colour: {}; background: var(--peer-colour); \
                            color: #fff; border-radius: 0.6em; padding: 0 0.4em; \
                            font-size: 0.8em; margin-left: 0.25em", peer.color)>
                        {peer.name.clone()}
                    </span>
                } />
        </span>
    }
}
