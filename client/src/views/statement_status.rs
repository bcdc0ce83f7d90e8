//! A statement's confirmation status chip, shown to everyone on each statement block:
//! `span.statement-status[data-status=confirmed|pending|changed]` ("Confirmed",
//! "Awaiting confirmation", "Changed since confirmed"), computed from the ledger and the
//! text as it is now (`minutebook_shared::trust::statement_status`).

use leptos::prelude::*;
use minutebook_shared::meeting::{BlockId, BlockKind};
use minutebook_shared::trust::statement_status;

use crate::access::{status_attr, status_label};
use crate::meeting_trust::Trust;
use crate::snapshot::BlockInfo;

/// The chip of block `id` (nothing unless it is a statement with a speaker).
#[component]
pub fn StatementStatusChip(id: BlockId, info: ReadSignal<BlockInfo>) -> impl IntoView {
    let trust = use_context::<Trust>();
    let status = Memo::new(move |_| {
        let trust = trust?;
        info.with(|i| {
            let statement = i.block.kind == BlockKind::Statement && !i.block.speakers.is_empty();
            statement.then(|| {
                trust
                    .ledger
                    .with(|l| statement_status(l, id.as_str(), &i.block.text))
            })
        })
    });
    move || {
        status.get().map(|s| {
            let confirmed_by = trust
                .and_then(|t| {
                    t.ledger.with(|l| {
                        info.with_untracked(|i| {
                            l.confirmations.get(i.block.id.as_str()).map(|c| {
                                format!(
                                    "Confirmed by {} on {}",
                                    c.stamp.by,
                                    crate::access::local_time(c.stamp.at)
                                )
                            })
                        })
                    })
                })
                .unwrap_or_default();
            view! {
                <span class="statement-status" data-status=status_attr(s) title=confirmed_by>
                    {status_label(s)}
                </span>
            }
        })
    }
}
