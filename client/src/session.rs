//! The signed-in session (`GET /api/session`), provided to every page as leptos context
//! ([`use_session`]): who the user is, whether they are an administrator, and their
//! grants (meeting, role, register person).

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::trust::SessionInfo;

use crate::trust_api::{self, ApiError};

/// Handle on the session; `Copy`.
#[derive(Clone, Copy)]
pub struct Session {
    /// The latest `SessionInfo` the server gave.
    pub info: RwSignal<SessionInfo>,
}

impl Session {
    /// Provides `info` as the page's session.
    pub fn provide(info: SessionInfo) -> Session {
        let session = Session {
            info: RwSignal::new(info),
        };
        provide_context(session);
        session
    }

    /// Asks the server again (a role may have changed, an invitation been revoked);
    /// keeps the answer when there is one.
    pub async fn refresh(self) -> Result<SessionInfo, ApiError> {
        let info = trust_api::session().await?;
        self.info.try_set(info.clone());
        Ok(info)
    }
}

/// The page's session, once signed in.
pub fn use_session() -> Option<Session> {
    use_context::<Session>()
}

/// Who writes in `meeting` from this page, as the server counts it: the invitation
/// that grants it, else the administrator (the server's owner of a Yjs client id,
/// `server/src/docs/actor/client_ids.rs`). The page's unsaved copy is kept under it.
pub fn writer(meeting: &str) -> String {
    let Some(session) = use_session() else {
        return String::new();
    };
    session
        .info
        .with_untracked(|info| match info.grant(meeting) {
            Some(grant) => format!("invite {}", grant.invite),
            None if info.admin => format!("admin {}", info.name),
            None => String::new(),
        })
}

/// Signs out (`DELETE /api/session`) and goes to `/`, which then shows the signed-out
/// page; `error` hears why it failed.
pub fn sign_out(error: impl Fn(String) + 'static) {
    spawn_local(async move {
        match trust_api::sign_out().await {
            Ok(()) | Err(trust_api::ApiError { status: 401, .. }) => {
                // Nothing of the minutes stays in this browser after signing out.
                crate::sync::local_copy::clear_all();
                crate::route::go("/");
            }
            Err(e) => error(format!("Cannot sign out: {e}")),
        }
    });
}
