//! The side column as tabs, so each panel gets the column's whole height: Agenda (the
//! outline), People (register and invitations), Actions (this meeting's and the series'),
//! Versions (sign-off and signed versions) and Activity (the audit log, for those who may
//! read it). `div.side-tabs[role=tablist]` holds `button#tab-NAME[role=tab]
//! [aria-selected][aria-controls=panel-NAME]`; each `div#panel-NAME[role=tabpanel]` stays
//! mounted (what is typed in it survives a switch) and is `hidden` while another is shown.
//! Keyboard, as the ARIA tabs pattern has it: the selected tab is the one Tab stop;
//! ArrowLeft / ArrowRight (wrapping), Home and End select another and focus it.

use leptos::prelude::*;
use web_sys::KeyboardEvent;

use crate::focus::focus_later;
use crate::meeting_trust::use_trust;

/// One tab of the side column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideTab {
    Agenda,
    People,
    Actions,
    Versions,
    Activity,
}

impl SideTab {
    /// In order.
    pub const ALL: [SideTab; 5] = [
        SideTab::Agenda,
        SideTab::People,
        SideTab::Actions,
        SideTab::Versions,
        SideTab::Activity,
    ];

    /// The name in element ids (`tab-agenda`, `panel-agenda`).
    pub fn key(self) -> &'static str {
        match self {
            SideTab::Agenda => "agenda",
            SideTab::People => "people",
            SideTab::Actions => "actions",
            SideTab::Versions => "versions",
            SideTab::Activity => "activity",
        }
    }

    /// What the tab says.
    pub fn label(self) -> &'static str {
        match self {
            SideTab::Agenda => "Agenda",
            SideTab::People => "People",
            SideTab::Actions => "Actions",
            SideTab::Versions => "Versions",
            SideTab::Activity => "Activity",
        }
    }
}

/// The tab `key` moves to from `at` among `shown` (`None` for other keys).
pub fn next_tab(shown: &[SideTab], at: SideTab, key: &str) -> Option<SideTab> {
    let i = shown.iter().position(|t| *t == at)?;
    let n = shown.len();
    let j = match key {
        "ArrowRight" => (i + 1) % n,
        "ArrowLeft" => (i + n - 1) % n,
        "Home" => 0,
        "End" => n - 1,
        _ => return None,
    };
    shown.get(j).copied()
}

/// The selected tab, shared by the tab list and the panels.
#[derive(Clone, Copy)]
pub struct SideTabs {
    pub selected: RwSignal<SideTab>,
}

impl SideTabs {
    /// Starts with the agenda.
    pub fn new() -> SideTabs {
        SideTabs {
            selected: RwSignal::new(SideTab::Agenda),
        }
    }
}

impl Default for SideTabs {
    fn default() -> Self {
        SideTabs::new()
    }
}

/// The tab list.
#[component]
pub fn SideTabList(tabs: SideTabs) -> impl IntoView {
    let trust = use_trust();
    let shown = Memo::new(move |_| {
        let audits = trust
            .access
            .with(|a| a.as_ref().is_some_and(|a| a.audits()));
        SideTab::ALL
            .into_iter()
            .filter(|t| *t != SideTab::Activity || audits)
            .collect::<Vec<_>>()
    });
    let on_key = move |ev: KeyboardEvent| {
        let at = tabs.selected.get_untracked();
        if let Some(to) = shown.with_untracked(|s| next_tab(s, at, &ev.key())) {
            ev.prevent_default();
            tabs.selected.set(to);
            focus_later(format!("#tab-{}", to.key()));
        }
    };
    view! {
        <div class="side-tabs" role="tablist" aria-label="Side panels" on:keydown=on_key>
            {move || shown.get().into_iter().map(|t| {
                let selected = move || tabs.selected.get() == t;
                view! {
                    <button type="button" role="tab" id=format!("tab-{}", t.key())
                        aria-controls=format!("panel-{}", t.key())
                        aria-selected=move || selected().to_string()
                        tabindex=move || if selected() { "0" } else { "-1" }
                        on:click=move |_| tabs.selected.set(t)>
                        {t.label()}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// The panel of tab `tab`.
#[component]
pub fn SidePanel(tabs: SideTabs, tab: SideTab, children: Children) -> impl IntoView {
    view! {
        <div role="tabpanel" class="side-panel" id=format!("panel-{}", tab.key())
            aria-labelledby=format!("tab-{}", tab.key())
            hidden=move || tabs.selected.get() != tab>
            {children()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_wrap_and_home_end_jump() {
        let all = SideTab::ALL;
        assert_eq!(
            next_tab(&all, SideTab::Agenda, "ArrowLeft"),
            Some(SideTab::Activity)
        );
        assert_eq!(
            next_tab(&all, SideTab::Activity, "ArrowRight"),
            Some(SideTab::Agenda)
        );
        assert_eq!(
            next_tab(&all, SideTab::People, "End"),
            Some(SideTab::Activity)
        );
        assert_eq!(
            next_tab(&all, SideTab::People, "Home"),
            Some(SideTab::Agenda)
        );
        assert_eq!(next_tab(&all, SideTab::People, "a"), None);
        let without_activity = &all[..4];
        assert_eq!(
            next_tab(without_activity, SideTab::Versions, "ArrowRight"),
            Some(SideTab::Agenda)
        );
    }
}
