//! A statement's confirmation status chip, shown to everyone on each statement block:
//! `span.statement-status[data-status=confirmed|pending|changed][data-missing]`
//! ("Confirmed", "Awaiting confirmation", "Changed since confirmed"), computed from the
//! ledger, the text and the speakers as they are now
//! (`minutebook_shared::trust::speaker_states`). A statement is confirmed only when each
//! of its speakers has confirmed it; `data-missing` lists the register ids of the
//! speakers whose confirmation is missing (space-separated), and for a statement by
//! several people the chip says whose ("Awaiting confirmation — waiting for BB"). Its
//! title says who confirmed what, when.

use leptos::prelude::*;
use minutebook_shared::meeting::{BlockId, BlockKind, PersonView};
use minutebook_shared::trust::{self, SpeakerState, StatementStatus};

use crate::access::{status_attr, status_label};
use crate::meeting_trust::Trust;
use crate::snapshot::BlockInfo;
use crate::store::Store;

/// How the minutes refer to register person `id` (short form, else name, else the id).
pub fn speaker_label(people: &[PersonView], id: &str) -> String {
    people
        .iter()
        .find(|p| p.id.0 == id)
        .map_or_else(|| id.to_owned(), |p| p.person.label().to_owned())
}

/// "BB" / "AA and BB" / "AA, BB and CC".
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The register ids of `states` whose confirmation is missing.
pub fn missing(states: &[SpeakerState]) -> Vec<String> {
    states
        .iter()
        .filter(|s| s.status != StatementStatus::Confirmed)
        .map(|s| s.person.clone())
        .collect()
}

/// The chip of block `id` (nothing unless it is a statement with a speaker).
#[component]
pub fn StatementStatusChip(id: BlockId, info: ReadSignal<BlockInfo>) -> impl IntoView {
    let trust = use_context::<Trust>();
    let store = use_context::<Store>();
    let states = Memo::new(move |_| {
        let trust = trust?;
        info.with(|i| {
            let statement = i.block.kind == BlockKind::Statement && !i.block.speakers.is_empty();
            statement.then(|| {
                let speakers = trust::speaker_ids(&i.block);
                trust
                    .ledger
                    .with(|l| trust::speaker_states(l, id.as_str(), &i.block.text, &speakers))
            })
        })
    });
    let label = move |id: &str| {
        store
            .map(|s| s.people.with(|p| speaker_label(p, id)))
            .unwrap_or_else(|| id.to_owned())
    };
    move || {
        states.get().map(|states| {
            let status = trust::overall_status(&states);
            let missing = missing(&states);
            let waiting = (states.len() > 1 && !missing.is_empty()).then(|| {
                let names: Vec<String> = missing.iter().map(|m| label(m)).collect();
                format!(" — waiting for {}", join_names(&names))
            });
            let title = trust
                .map(|t| {
                    t.ledger.with(|l| {
                        info.with_untracked(|i| {
                            states
                                .iter()
                                .map(|s| {
                                    let who = label(&s.person);
                                    match (s.status, l.confirmation(i.block.id.as_str(), &s.person))
                                    {
                                        (StatementStatus::Pending, _) | (_, None) => {
                                            format!("{who}: awaiting confirmation")
                                        }
                                        (st, Some(c)) => format!(
                                            "{who}: {} by {} on {}",
                                            if st == StatementStatus::Confirmed {
                                                "confirmed"
                                            } else {
                                                "changed since confirmed"
                                            },
                                            c.stamp.by,
                                            crate::access::local_time(c.stamp.at)
                                        ),
                                    }
                                })
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    })
                })
                .unwrap_or_default();
            view! {
                <span class="statement-status" data-status=status_attr(status)
                    data-missing=missing.join(" ") title=title>
                    {status_label(status)}{waiting}
                </span>
            }
        })
    }
}
