//! The signed-out page (`GET /api/session` answered 401): `#signed-out` says how to get
//! in — with a personal invitation link from an administrator.

use leptos::prelude::*;

/// The page.
#[component]
pub fn SignedOut() -> impl IntoView {
    view! {
        <header class="bar"><h1>"Minutebook"</h1></header>
        <main class="list-page">
            <section class="panel" id="signed-out" aria-labelledby="signed-out-heading">
                <h2 id="signed-out-heading">"Not signed in"</h2>
                <p role="alert">
                    "You are not signed in — open your personal invitation link, or ask an "
                    "administrator for one."
                </p>
            </section>
        </main>
    }
}
