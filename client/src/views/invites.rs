//! "People and invitations" (`section#invites-panel`), for administrators: every
//! invitation of the meeting (`table#invite-list > tbody > tr[data-invite=ID]
//! [data-status=active|revoked|expired][data-redeemed=true|false]`) with its role
//! (`select.invite-role`, changing it closes the person's connections so they come back
//! with the new role), `button.reissue` ("New link": the old link stops working) and
//! `button.revoke`; and `form#new-invite` to invite someone: `select#invite-person` (a
//! register person, which fills the name), `input#invite-name`, `select#invite-role`,
//! `input#invite-expiry` (hours), `input#invite-restricted` (restricted access: checked by
//! default for the chair and minute-takers), `input#invite-series` (to every meeting of the series,
//! shown when the meeting has one), `button#create-invite`. A series invitation's row has
//! `data-scope=series` and is listed on every meeting of the series. A new or re-issued link shows in
//! the readonly `input#invite-link` with `button#copy-invite-link`. Errors: `#invites-error`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::time::now_ms;
use minutebook_shared::trust::{InviteInfo, Role};
use wasm_bindgen::{JsCast, JsValue};

use crate::access::{absolute_link, local_time};
use crate::meeting_trust::{use_trust, Trust};
use crate::store::use_store;
use crate::trust_api;
use crate::views::header_form::person_option;

/// Default lifetime of an invitation, in hours (a week).
const DEFAULT_HOURS: u32 = 168;

/// The panel (nothing unless the user is an administrator).
#[component]
pub fn Invites() -> impl IntoView {
    let trust = use_trust();
    view! {
        <Show when=move || trust.access.with(|a| a.as_ref().is_some_and(|a| a.invites()))>
            <InvitesPanel />
        </Show>
    }
}

/// The latest link handed out, and for whom.
#[derive(Clone, Debug, PartialEq)]
struct Issued {
    link: String,
    name: String,
    role: Role,
}

fn state_of(i: &InviteInfo, now: u64) -> &'static str {
    if i.revoked_at.is_some() {
        "revoked"
    } else if i.expires_at <= now {
        "expired"
    } else {
        "active"
    }
}

#[component]
fn InvitesPanel() -> impl IntoView {
    let trust = use_trust();
    let store = use_store();
    let list = RwSignal::new(None::<Vec<InviteInfo>>);
    let error = RwSignal::new(None::<String>);
    let issued = RwSignal::new(None::<Issued>);
    let copied = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let reload = move || {
        let name = trust.name();
        spawn_local(async move {
            match trust_api::invites(&name).await {
                Ok(l) => {
                    list.try_set(Some(l));
                }
                Err(e) => {
                    error.try_set(Some(trust.explain("Cannot list the invitations", &e)));
                }
            }
        });
    };
    reload();
    // After a command: show the link it answered with, refresh the list.
    let done = move |outcome: Result<InviteInfo, trust_api::ApiError>, what: &'static str| {
        busy.try_set(false);
        match outcome {
            Ok(i) => {
                if let Some(link) = i.link.clone() {
                    let origin = web_sys::window()
                        .and_then(|w| w.location().origin().ok())
                        .unwrap_or_default();
                    issued.try_set(Some(Issued {
                        link: absolute_link(&link, &origin),
                        name: i.name.clone(),
                        role: i.role,
                    }));
                    copied.try_set(None);
                    crate::focus::focus_later("#invite-link".to_owned());
                }
                error.try_set(None);
                reload();
            }
            Err(e) => {
                error.try_set(Some(trust.explain(what, &e)));
            }
        }
    };

    // The new-invitation form.
    let person = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Attendee);
    let hours = RwSignal::new(DEFAULT_HOURS.to_string());
    let whole_series = RwSignal::new(false);
    // `None`: the role's default (the chair and minute-takers have restricted access).
    let restricted = RwSignal::new(None::<bool>);
    let series_name = Memo::new(move |_| store.header.with(|h| h.fields.series.trim().to_owned()));
    let on_person = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        let full = store.people.with_untracked(|people| {
            people
                .iter()
                .find(|p| p.id.0 == id)
                .map(|p| p.person.name.trim().to_owned())
        });
        if let Some(n) = full.filter(|n| !n.is_empty()) {
            name.set(n);
        }
        person.set(id);
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let who = name.get_untracked().trim().to_owned();
        if who.is_empty() {
            error.set(Some("Give the invited person's name.".to_owned()));
            return;
        }
        let h = hours
            .get_untracked()
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|h| *h > 0);
        if h.is_none() && !hours.get_untracked().trim().is_empty() {
            error.set(Some("The expiry is a whole number of hours.".to_owned()));
            return;
        }
        let p = person.get_untracked();
        let r = role.get_untracked();
        let series = whole_series.get_untracked();
        let part_two = restricted.get_untracked();
        let meeting = trust.name();
        busy.set(true);
        spawn_local(async move {
            let outcome =
                trust_api::create_invite(&meeting, &who, Some(p.as_str()), r, h, series, part_two)
                    .await;
            if outcome.is_ok() {
                name.try_set(String::new());
                person.try_set(String::new());
            }
            done(outcome, "Not invited");
        });
    };
    let copy = move |_| {
        let Some(link) = issued.with_untracked(|i| i.as_ref().map(|i| i.link.clone())) else {
            return;
        };
        spawn_local(async move {
            let ok = copy_text(&link).await;
            copied.try_set(Some(if ok {
                "Copied.".to_owned()
            } else {
                // Selected instead: the user copies it with the keyboard.
                select_link();
                "Press Ctrl+C (⌘C) to copy the selected link.".to_owned()
            }));
        });
    };

    view! {
        <section id="invites-panel" class="panel trust-panel" aria-labelledby="invites-heading">
            <h2 id="invites-heading">"People and invitations"</h2>
            <div class="table-wrap">
                <table id="invite-list">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Link"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || list.get().unwrap_or_default()
                            key=|i| (i.id, i.role, i.revoked_at, i.expires_at, i.redeemed, i.name.clone())
                            children=move |i| view! { <InviteRow invite=i trust=trust busy=busy done=done /> } />
                    </tbody>
                </table>
            </div>
            <Show when=move || list.with(|l| l.as_ref().is_some_and(Vec::is_empty))>
                <p class="hint">"Nobody is invited to this meeting yet."</p>
            </Show>
            <form id="new-invite" class="stack" on:submit=create aria-labelledby="new-invite-heading">
                <h3 id="new-invite-heading">"Invite someone"</h3>
                <label for="invite-person">"Person in the register"</label>
                <select id="invite-person" on:change=on_person prop:value=move || person.get()>
                    <option value="">"(not in the register)"</option>
                    <For each=move || store.people.get() key=|p| (p.id.clone(), p.person.clone())
                        children=|p| view! { <option value=p.id.0.clone()>{person_option(&p.person)}</option> } />
                </select>
                <label for="invite-name">"Name"</label>
                <input id="invite-name" type="text" autocomplete="off" required
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="invite-role">"Role"</label>
                <select id="invite-role"
                    on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }>
                    {Role::ALL.iter().map(|r| view! {
                        <option value=r.as_str() selected=*r == Role::Attendee>{r.label()}</option>
                    }).collect_view()}
                </select>
                <label for="invite-expiry">"Link expires after (hours)"</label>
                <input id="invite-expiry" type="number" min="1" step="1"
                    prop:value=move || hours.get()
                    on:input=move |ev| hours.set(event_target_value(&ev)) />
                <label class="check">
                    <input id="invite-restricted" type="checkbox"
                        prop:checked=move || restricted.get().unwrap_or_else(|| role.get().restricted_by_default())
                        on:change=move |ev| restricted.set(Some(event_target_checked(&ev))) />
                    " Restricted access: sees exempt (Part II) business"
                </label>
                <Show when=move || !series_name.with(String::is_empty)>
                    <label class="check">
                        <input id="invite-series" type="checkbox"
                            prop:checked=move || whole_series.get()
                            on:change=move |ev| whole_series.set(event_target_checked(&ev)) />
                        {move || format!("To every meeting of the series “{}”, later ones too", series_name.get())}
                    </label>
                </Show>
                <button type="submit" id="create-invite" class="primary" disabled=move || busy.get()>
                    "Create invitation"
                </button>
            </form>
            <Show when=move || issued.with(Option::is_some)>
                <div id="invite-result" class="stack">
                    <label for="invite-link">
                        {move || issued.with(|i| i.as_ref().map(|i| format!(
                            "Invitation link for {} ({}) — send it to them only",
                            i.name, i.role.label())).unwrap_or_default())}
                    </label>
                    <input id="invite-link" type="text" readonly
                        prop:value=move || issued.with(|i| i.as_ref().map(|i| i.link.clone()).unwrap_or_default())
                        on:focus=|_| select_link() />
                    <button type="button" id="copy-invite-link" on:click=copy>"Copy"</button>
                    <p id="copy-status" class="hint" role="status">{move || copied.get().unwrap_or_default()}</p>
                </div>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p id="invites-error" class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </section>
    }
}

/// One invitation's row.
#[component]
fn InviteRow(
    invite: InviteInfo,
    trust: Trust,
    busy: RwSignal<bool>,
    done: impl Fn(Result<InviteInfo, trust_api::ApiError>, &'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = invite.id;
    let state = state_of(&invite, now_ms());
    let revoked = state == "revoked";
    let who = invite.name.clone();
    let when = match state {
        "revoked" => format!(
            "Revoked {}",
            local_time(invite.revoked_at.unwrap_or_default())
        ),
        "expired" => format!("Expired {}", local_time(invite.expires_at)),
        _ => format!(
            "{} · expires {}",
            if invite.redeemed {
                "Used"
            } else {
                "Not used yet"
            },
            local_time(invite.expires_at)
        ),
    };
    let on_role = move |ev: leptos::ev::Event| {
        let Some(r) = Role::parse(&event_target_value(&ev)) else {
            return;
        };
        let meeting = trust.name();
        busy.set(true);
        spawn_local(async move {
            done(
                trust_api::set_role(&meeting, id, r).await,
                "Role not changed",
            )
        });
    };
    let reissue = move |_| {
        let meeting = trust.name();
        busy.set(true);
        spawn_local(async move { done(trust_api::reissue(&meeting, id).await, "No new link") });
    };
    let revoke = {
        let who = who.clone();
        move |_| {
            if !crate::confirm(&format!("Revoke {who}'s invitation? Their link stops working and they are disconnected at once.")) {
                return;
            }
            let meeting = trust.name();
            busy.set(true);
            spawn_local(async move { done(trust_api::revoke(&meeting, id).await, "Not revoked") });
        }
    };
    let role = invite.role;
    view! {
        <tr data-invite=id.to_string() data-status=state data-redeemed=invite.redeemed.to_string()
            data-scope=if invite.series.is_some() { "series" } else { "meeting" }>
            <td class="i-name">{who.clone()}
                {invite.series.clone().map(|s| view! {
                    <span class="i-scope" title=format!("Opens every meeting of the series “{s}”")>
                        " · whole series"
                    </span>
                })}
                {invite.restricted.then(|| view! { <span class="i-restricted">" · restricted access"</span> })}
            </td>
            <td>
                <select class="invite-role" on:change=on_role disabled=revoked
                    aria-label=format!("Role of {who}")>
                    {Role::ALL.iter().map(|r| view! {
                        <option value=r.as_str() selected=*r == role>{r.label()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td class="i-state">{when}</td>
            <td class="i-buttons">
                <button type="button" class="reissue" disabled=move || busy.get()
                    on:click=reissue aria-label=format!("New link for {who}")>"New link"</button>
                <Show when=move || !revoked>
                    <button type="button" class="revoke" disabled=move || busy.get()
                        on:click=revoke.clone()
                        aria-label=format!("Revoke the invitation of {}", invite.name)>"Revoke"</button>
                </Show>
            </td>
        </tr>
    }
}

/// Copies `text` with the asynchronous clipboard API; false where it is unavailable or
/// refused.
async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard"))
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null());
    let Some(clipboard) = clipboard else {
        return false;
    };
    let write = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(write) = write else {
        return false;
    };
    let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text)) else {
        return false;
    };
    let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// Selects the whole link in `#invite-link`.
fn select_link() {
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("invite-link"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok());
    if let Some(input) = input {
        input.select();
    }
}
