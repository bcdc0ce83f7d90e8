//! A correction against the statement's current text, word by word, as the server computes
//! it (`GET …/corrections/{id}/diff`): `div.correction-diff` with the unchanged words in
//! `span.same`, the removed ones in `del` and the added ones in `ins`, and `p.stale` when
//! the statement changed since the proposal was made. Fetched again when the statement's
//! text changes here (the latest answer wins).

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::api::CorrectionDiff;
use minutebook_shared::diff::DiffOp;
use minutebook_shared::meeting::BlockId;

use crate::meeting_trust::use_trust;
use crate::store::use_store;
use crate::trust_api;

/// Correction `id` of statement `block`.
#[component]
pub fn CorrectionDiffView(id: u64, block: BlockId) -> impl IntoView {
    let trust = use_trust();
    let store = use_store();
    let info = store.watch_block(&block);
    let text = Memo::new(move |_| info.with(|i| i.block.text.clone()));
    let shown = RwSignal::new(None::<CorrectionDiff>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        text.track();
        let serial = asked.get_value() + 1;
        asked.set_value(serial);
        let name = trust.name();
        spawn_local(async move {
            match trust_api::correction_diff(&name, id).await {
                Ok(d) if asked.try_get_value() == Some(serial) => {
                    shown.try_set(Some(d));
                }
                Ok(_) => {}
                Err(e) => crate::warn(&format!("correction {id}: {e}")),
            }
        });
    });
    move || {
        shown.get().map(|d| {
            let runs = d
                .runs
                .into_iter()
                .map(|r| match r.op {
                    DiffOp::Equal => view! { <span class="same">{r.text}</span> }.into_any(),
                    DiffOp::Delete => view! { <del>{r.text}</del> }.into_any(),
                    DiffOp::Insert => view! { <ins>{r.text}</ins> }.into_any(),
                })
                .collect_view();
            view! {
                <div class="correction-diff" role="group"
                    aria-label="Proposed changes: removed words struck through, added words underlined">
                    {runs}
                </div>
                {d.stale.then(|| view! {
                    <p class="stale hint">"The statement changed since this was proposed."</p>
                })}
            }
        })
    }
}
