//! The root view: picks the page from the URL (`client/DOM.md`, "Routes").
//!
//! A setup link (`?setup=TOKEN`) shows the setup page and an invitation link
//! (`?invite=TOKEN`) is redeemed first; every other page is signed in first
//! ([`crate::views::signed_in`]).

use leptos::prelude::*;

use crate::route::{self, Route};
use crate::views::invite::InvitePage;
use crate::views::setup::SetupPage;
use crate::views::signed_in::SignedIn;

/// The page the URL names.
#[component]
pub fn App() -> impl IntoView {
    match route::current() {
        Route::Setup(token) => view! { <SetupPage token=token /> }.into_any(),
        Route::Invite(token) => view! { <InvitePage token=token /> }.into_any(),
        Route::DeviceSignIn(token) => view! { <InvitePage token=token device=true /> }.into_any(),
        other => view! { <SignedIn route=other known=None /> }.into_any(),
    }
}
