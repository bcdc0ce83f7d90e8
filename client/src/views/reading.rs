//! The reading view (`article#reading.minutes`): the live minutes as a formatted document
//! — title and facts, the attendance table, numbered headings, attributed statements,
//! decisions, actions in place, the next meeting and the action log — rendered from the
//! same [`Reading`] as the HTML export, so the words are the export's words.
//!
//! It adds only live annotations, each marked `.live-note`: a statement's confirmation
//! chip ([`StatementStatusChip`]) and "overdue" on an open action past its due day. It is
//! the page for attendees and observers and, once the minutes are signed off, for
//! everyone; minute-takers switch to it from the editor ([`ModeSwitch`]).
//!
//! The reading is recomputed when the meeting's structure, attributions or fields change
//! (and when an action changes), and then only items whose words changed are rendered
//! again (items are keyed by a hash of their content). Typed texts — block texts and item
//! titles — are shown through their own watchers, so a keystroke arriving from someone
//! else updates one text and costs the same in a meeting of any size.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use leptos::prelude::*;
use minutebook_shared::meeting::reading::{
    status_class, ActionLine, Entry, Fact, Reading, ReadingItem, ACTION_COLUMNS,
    ATTENDANCE_COLUMNS, DECISION_LABEL, NO_ACTIONS,
};
use minutebook_shared::meeting::BlockId;
use minutebook_shared::signoff;

use crate::meeting_trust::Trust;
use crate::store::use_store;
use crate::views::statement_status::StatementStatusChip;

/// The whole minutes, read-only.
#[component]
pub fn ReadingView() -> impl IntoView {
    let store = use_store();
    let trust = use_context::<Trust>();
    let reading = Memo::new(move |_| {
        store.structure.track();
        store.actions.track();
        let status = trust
            .map(|t| t.ledger.with(signoff::status_line))
            .unwrap_or_default();
        store.with_untracked(|s| Reading::new(&s.view, &status))
    });
    let part = move |f: fn(&Reading) -> Vec<Fact>| Memo::new(move |_| reading.with(f));
    let facts = part(|r| r.facts.clone());
    let next = part(|r| r.next_meeting.clone());
    let keyed = Memo::new(move |_| {
        reading.with(|r| {
            r.items
                .iter()
                .map(|i| (key(i), i.clone()))
                .collect::<Vec<_>>()
        })
    });
    // Where the signed minutes stand (Signed (unapproved), Approved at …): beside the
    // minutes, not in them — an approval never changes the signed text.
    let lifecycle = move || {
        trust.and_then(|t| {
            t.ledger.with(|l| {
                l.signed()
                    .then(|| minutebook_shared::trust::Lifecycle::of(l).label())
            })
        })
    };
    view! {
        {move || lifecycle().map(|label| view! {
            <p id="reading-lifecycle" class="hint lifecycle" role="note">{label}</p>
        })}
        <article id="reading" class="minutes reading" aria-label="The minutes">
            <header>
                <h1 class="r-title">{move || reading.with(|r| r.title.clone())}</h1>
                {move || reading.with(|r| {
                    (!r.series.is_empty()).then(|| view! { <p class="series">{r.series.clone()}</p> })
                })}
                <Facts facts=facts />
            </header>
            <section class="attendance">
                <h2>"Attendance"</h2>
                <div class="table-wrap">
                    <table>
                        <Head columns=&ATTENDANCE_COLUMNS />
                        <tbody>
                            {move || reading.with(|r| {
                                r.attendance.iter().map(|row| view! {
                                    <tr data-person=row.person.0.clone()>
                                        {row.cells.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}
                                    </tr>
                                }).collect_view()
                            })}
                        </tbody>
                    </table>
                </div>
            </section>
            <section class="items">
                <h2>"Minutes"</h2>
                <For each=move || keyed.get() key=|(k, _)| *k let:entry>
                    <Item item=entry.1 />
                </For>
            </section>
            {move || (!next.with(Vec::is_empty)).then(|| view! {
                <section class="next-meeting">
                    <h2>"Next meeting"</h2>
                    <Facts facts=next />
                </section>
            })}
            <section class="action-log">
                <h2>"Action log"</h2>
                <div class="table-wrap">
                    <table>
                        <Head columns=&ACTION_COLUMNS />
                        <tbody>
                            {move || reading.with(|r| {
                                if r.actions.is_empty() {
                                    return view! { <tr><td colspan="6">{NO_ACTIONS}</td></tr> }.into_any();
                                }
                                r.actions.iter().map(|row| {
                                    let a = &row.line;
                                    view! {
                                        <tr class=status_class(a.status)>
                                            <td>{row.reference.clone()}</td>
                                            <td class="text">{a.description.clone()}</td>
                                            <td>{a.owners.clone()}</td>
                                            <td>{a.due_date.clone()}</td>
                                            <td>{a.status.as_str()}</td>
                                            <td>{row.item.clone()}</td>
                                        </tr>
                                    }
                                }).collect_view().into_any()
                            })}
                        </tbody>
                    </table>
                </div>
            </section>
        </article>
    }
}

/// "Read" and "Edit": shown only to those who may edit; `prefer_reading` is their choice.
#[component]
pub fn ModeSwitch(prefer_reading: RwSignal<bool>) -> impl IntoView {
    let store = use_store();
    move || {
        store.editable.get().then(|| {
            let pressed = move |reading: bool| (prefer_reading.get() == reading).to_string();
            view! {
                <div class="mode-switch" role="group" aria-label="View">
                    <button type="button" id="mode-read" aria-pressed=move || pressed(true)
                        on:click=move |_| prefer_reading.set(true)>"Read"</button>
                    <button type="button" id="mode-edit" aria-pressed=move || pressed(false)
                        on:click=move |_| prefer_reading.set(false)>"Edit"</button>
                </div>
            }
        })
    }
}

/// A key that changes whenever the item's words or place change.
fn key(item: &ReadingItem) -> u64 {
    let mut h = DefaultHasher::new();
    item.hash(&mut h);
    h.finish()
}

/// A `dl` of labelled values.
#[component]
fn Facts(facts: Memo<Vec<Fact>>) -> impl IntoView {
    view! {
        <dl class="meta">
            {move || facts.with(|fs| fs.iter().map(|f| view! {
                <dt>{f.label}</dt><dd>{f.value.clone()}</dd>
            }).collect_view())}
        </dl>
    }
}

/// A table's heading row.
#[component]
fn Head(columns: &'static [&'static str]) -> impl IntoView {
    view! {
        <thead><tr>{columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr></thead>
    }
}

/// One item: its numbered heading and what was minuted under it.
#[component]
fn Item(item: ReadingItem) -> impl IntoView {
    let store = use_store();
    let level = item.heading_level();
    let head = store.watch_item_head(&item.id);
    // An exempt item on a page without restricted access: its placeholder only (the
    // page holds none of its content anyway).
    let placeholder = !store.has_part2() && head.with_untracked(|h| h.effective.is_some());
    let title = move || {
        head.with(|h| match (placeholder, h.inherited) {
            (false, _) => h.title.clone(),
            (true, false) => h.public_title.clone(),
            (true, true) => String::new(),
        })
    };
    let label = move || {
        head.with(|h| match (&h.effective, h.inherited) {
            (Some(_), true) => "Part of an exempt item".to_owned(),
            (Some(e), false) => e.label(),
            (None, _) => String::new(),
        })
    };
    let heading = view! { <span class="number">{item.number.clone()}</span>" "{title}};
    let heading = match level {
        3 => view! { <h3>{heading}</h3> }.into_any(),
        4 => view! { <h4>{heading}</h4> }.into_any(),
        5 => view! { <h5>{heading}</h5> }.into_any(),
        _ => view! { <h6>{heading}</h6> }.into_any(),
    };
    let sub_level = (level + 1).min(6);
    view! {
        <section class=format!("item depth-{}", item.depth.min(4)) data-item=item.id.0.clone()>
            {heading}
            {if placeholder {
                view! { <p class="exempt-placeholder"><em>{label}</em></p> }.into_any()
            } else {
                item.entries.into_iter().map(|e| entry(e, sub_level)).collect_view().into_any()
            }}
        </section>
    }
}

/// One line under an item; its text follows the block's own watcher.
fn entry(e: Entry, sub_level: usize) -> AnyView {
    let live = |block: &BlockId| {
        let info = use_store().watch_block(block);
        (info, move || info.with(|i| i.block.text.clone()))
    };
    match e {
        Entry::Paragraph { block, .. } => {
            let (_, text) = live(&block);
            view! { <p class="text" data-block=block.0>{text}</p> }.into_any()
        }
        Entry::SubHeading { block, .. } => {
            let (_, text) = live(&block);
            let id = block.0;
            match sub_level {
                4 => view! { <h4 class="sub-heading text" data-block=id>{text}</h4> }.into_any(),
                5 => view! { <h5 class="sub-heading text" data-block=id>{text}</h5> }.into_any(),
                _ => view! { <h6 class="sub-heading text" data-block=id>{text}</h6> }.into_any(),
            }
        }
        Entry::Statement {
            block, attribution, ..
        } => {
            let (info, text) = live(&block);
            let id = block.0.clone();
            view! {
                <p class="statement text" data-block=id>
                    <span class="speakers">{attribution}</span>" "{text}
                    <span class="live-note">" "<StatementStatusChip id=block info=info /></span>
                </p>
            }
            .into_any()
        }
        Entry::Decision { block, .. } => {
            let (_, text) = live(&block);
            view! {
                <p class="decision text" data-block=block.0>
                    <strong>{DECISION_LABEL}</strong>" "{text}
                </p>
            }
            .into_any()
        }
        Entry::Action(a) => action(a),
    }
}

/// An action where it was flagged.
fn action(a: ActionLine) -> AnyView {
    let overdue = a.overdue(minutebook_shared::time::now_ms());
    view! {
        <p class=format!("action text {}", status_class(a.status)) data-action=a.id.0.clone()
            data-overdue=overdue.then_some("")>
            <strong>{a.label.clone()}</strong>" "{a.description.clone()}{a.tail()}
            {overdue.then(|| view! { <span class="live-note overdue">" (overdue)"</span> })}
        </p>
    }
    .into_any()
}
