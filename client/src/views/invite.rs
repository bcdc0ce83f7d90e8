//! Redeeming a personal invitation link (`/?invite=TOKEN`): `POST /api/session`, then the
//! address becomes `/?meeting=NAME` (keeping any `&name=`, without the token) and the
//! meeting opens. An expired, revoked, already used or forged link shows `#invite-error`
//! (role=alert). A device link (`/?signin=TOKEN`) signs in the same way and opens the
//! meeting list. The session is the HttpOnly cookie the answer sets; the page never sees
//! a token.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::trust::SessionInfo;

use crate::access::new_grant;
use crate::route::{self, Route};
use crate::trust_api;
use crate::views::signed_in::SignedIn;

/// Where the redemption stands.
#[derive(Clone, Debug, PartialEq)]
enum Redeem {
    Working,
    Done(String, SessionInfo),
    Failed(String),
}

/// The invitation page for `token` (`device`: a device link).
#[component]
pub fn InvitePage(token: String, #[prop(optional)] device: bool) -> impl IntoView {
    let state = RwSignal::new(Redeem::Working);
    spawn_local(async move {
        if device {
            let outcome = match trust_api::redeem_device(&token).await {
                Ok(_) => {
                    route::go("/");
                    Redeem::Working
                }
                Err(e) => {
                    route::replace_url("/");
                    Redeem::Failed(e.message)
                }
            };
            state.try_set(outcome);
            return;
        }
        // The server names the invitation's meeting in its answer; without it, the grant
        // it added last is the new one.
        let outcome = match trust_api::redeem(&token).await {
            Ok((session, meeting)) => {
                let meeting =
                    meeting.or_else(|| new_grant(None, &session).map(|g| g.meeting.clone()));
                match meeting {
                    Some(m) => {
                        route::replace_url(&route::meeting_href(
                            &m,
                            route::param("name").as_deref(),
                        ));
                        Redeem::Done(m, session)
                    }
                    None => {
                        route::replace_url("/");
                        Redeem::Failed("the invitation did not name a meeting".to_owned())
                    }
                }
            }
            Err(e) => {
                // Drop the token from the address: it is of no further use.
                route::replace_url("/");
                Redeem::Failed(e.message)
            }
        };
        state.try_set(outcome);
    });
    move || match state.get() {
        Redeem::Working => view! {
            <header class="bar"><h1>"Minutebook"</h1></header>
            <main><p class="hint" role="status">"Opening your invitation…"</p></main>
        }
        .into_any(),
        Redeem::Done(meeting, session) => {
            view! { <SignedIn route=Route::Meeting(meeting) known=Some(session) /> }.into_any()
        }
        Redeem::Failed(why) => view! {
            <header class="bar"><h1>"Minutebook"</h1></header>
            <main class="list-page">
                <section class="panel">
                    <h2>"This invitation link cannot be used"</h2>
                    <p role="alert" id="invite-error">
                        "This link cannot be used: " {why} ". "
                        "Each link signs in once; it may have been used already, have expired or "
                        "been revoked (a re-issued invitation has a new link), or it was copied "
                        "incompletely. Ask an administrator for a new one, or make a device link "
                        "from a browser where you are signed in."
                    </p>
                    <p><a href="/">"Go to your meetings"</a></p>
                </section>
            </main>
        }
        .into_any(),
    }
}
