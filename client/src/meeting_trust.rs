//! The open meeting's trust state ([`Trust`], leptos context for the meeting page's
//! views): the caller's standing ([`MeetingAccess`]), the live [`Ledger`], whether the
//! minutes are editable here and why not, and the alerts for refused writes and lost
//! access.
//!
//! The ledger comes from `GET …/ledger` at load and from the WebSocket: the whole of it
//! on join (`MSG_LEDGER`), then each change (`MSG_LEDGER_CHANGE`), applied in order by
//! its revision. A ledger from elsewhere (the load, a command's HTTP answer) is taken
//! only when it is newer than the one shown; a change that does not follow the ledger
//! shown (one was missed, or an HTTP answer got ahead and then fell behind) makes the
//! page fetch the whole ledger again.
//!
//! Access is re-checked (`GET /api/session`) when a connection closes — after 1008
//! (access revoked or changed), after every third attempt that could not even open
//! (browsers hide the HTTP 401/403 of a refused upgrade), and after any other close, so
//! a changed role shows at once. No access left → the provider stops and the page says
//! so; access left → it reconnects.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minutebook_shared::meeting::BlockId;
use minutebook_shared::trust::{Ledger, LedgerChange};

use crate::access::{self, MeetingAccess};
use crate::announce;
use crate::session::Session;
use crate::store::Store;
use crate::sync::{SyncEvent, SyncProvider};
use crate::trust_api::{self, ApiError};

/// The meeting page's trust state; `Copy`.
#[derive(Clone, Copy)]
pub struct Trust {
    /// The meeting (document) name.
    pub meeting: StoredValue<String>,
    /// The session.
    pub session: Session,
    /// The caller's standing here (`None`: no access).
    pub access: Memo<Option<MeetingAccess>>,
    /// The meeting's ledger.
    pub ledger: RwSignal<Ledger>,
    /// Whether the minutes may be edited on this page now.
    pub editable: Memo<bool>,
    /// The read-only banner's text, when read-only.
    pub notice: Memo<Option<String>>,
    /// The latest refused write's reason.
    pub rejected: RwSignal<Option<String>>,
    /// Access to the meeting was revoked or has expired.
    pub revoked: RwSignal<bool>,
    provider: StoredValue<Option<SyncProvider>, LocalStorage>,
    store: Store,
}

impl Trust {
    /// The trust state of meeting `name` for `session`, feeding `store.editable`; starts
    /// fetching the ledger and listens to `store`'s provider. Provided as context.
    pub fn start(name: &str, session: Session, store: Store) -> Trust {
        let meeting = StoredValue::new(name.to_owned());
        let access = Memo::new(move |_| {
            session
                .info
                .with(|s| meeting.with_value(|m| MeetingAccess::of(s, m)))
        });
        let ledger = RwSignal::new(Ledger::default());
        let editable =
            Memo::new(move |_| access.with(|a| ledger.with(|l| access::editable(a.as_ref(), l))));
        let notice = Memo::new(move |_| {
            access.with(|a| ledger.with(|l| access::read_only_notice(a.as_ref(), l)))
        });
        let trust = Trust {
            meeting,
            session,
            access,
            ledger,
            editable,
            notice,
            rejected: RwSignal::new(None),
            revoked: RwSignal::new(false),
            provider: StoredValue::new_local(store.provider()),
            store,
        };
        store.editable.set(editable.get_untracked());
        Effect::new(move |_| store.editable.set(editable.get()));
        if let Some(provider) = store.provider() {
            provider.on_event(move |ev| trust.on_sync_event(ev));
        }
        if let Some(provider) = store.part2_provider() {
            provider.on_event(move |ev| trust.on_part2_event(ev));
        }
        provide_context(trust);
        let name = name.to_owned();
        spawn_local(async move {
            match trust_api::ledger(&name).await {
                Ok(l) => trust.take(l),
                Err(e) if matches!(e.status, 401 | 403) => trust.check_access(true),
                Err(e) => crate::warn(&format!("ledger: {e}")),
            }
        });
        trust
    }

    /// The meeting name.
    pub fn name(&self) -> String {
        self.meeting.get_value()
    }

    /// The caller's standing, untracked.
    pub fn access_untracked(&self) -> Option<MeetingAccess> {
        self.access.get_untracked()
    }

    /// What the Part II connection reports: refusals and lost access, as for the main
    /// one (it carries no ledger).
    fn on_part2_event(&self, ev: SyncEvent) {
        match ev {
            SyncEvent::Rejected(r) => {
                self.rejected
                    .try_set(Some(format!("Part II: {}", r.reason)));
            }
            SyncEvent::Closed {
                code,
                reason,
                opened: true,
                ..
            } if code == crate::sync::CLOSE_REFUSED => self.store.refused(true, &reason),
            SyncEvent::Closed {
                halted: true, code, ..
            } if code != crate::sync::CLOSE_REBUILT => self.check_access(true),
            _ => {}
        }
    }

    fn on_sync_event(&self, ev: SyncEvent) {
        if let SyncEvent::Closed {
            code,
            reason,
            opened,
            ..
        } = &ev
        {
            if *code == crate::sync::CLOSE_REBUILT {
                // The main document was rebuilt (an item moved into Part II): this copy
                // is dead; load the minutes afresh.
                self.store.rebuilt();
                return;
            }
            if *code == crate::sync::CLOSE_REFUSED && *opened {
                // The copy holds content the server refuses: reconnecting would only
                // send it again.
                self.store.refused(false, reason);
                return;
            }
        }
        match ev {
            // The whole ledger as the server has it now: what the changes that follow
            // apply to.
            SyncEvent::Ledger(l) => {
                self.ledger.try_set(l);
            }
            SyncEvent::LedgerChange(change) => self.apply(&change),
            SyncEvent::Rejected(r) => {
                self.rejected.try_set(Some(r.reason));
            }
            SyncEvent::Closed {
                opened,
                failures,
                halted,
                ..
            } => {
                if halted {
                    self.check_access(true);
                } else if opened || (failures > 0 && failures % 3 == 0) {
                    self.check_access(false);
                }
            }
        }
    }

    /// Asks the server who we are now. No access → stop and say so; access → reconnect
    /// if stopped. `strict`: the server said access was revoked, so a failed check counts
    /// as revoked too.
    pub fn check_access(&self, strict: bool) {
        let trust = *self;
        spawn_local(async move {
            let outcome = trust.session.refresh().await;
            let gone = match &outcome {
                Ok(info) => trust
                    .meeting
                    .try_with_value(|m| MeetingAccess::of(info, m).is_none())
                    .unwrap_or(false),
                Err(e) if e.status == 401 => true,
                Err(_) => strict,
            };
            let provider = trust.provider.try_get_value().flatten();
            if gone {
                trust.revoked.try_set(true);
                if let Some(p) = provider {
                    p.halt();
                }
                if let Some(p) = trust.store.part2_provider() {
                    p.halt();
                }
            } else if let Some(p) = provider {
                if p.halted() {
                    p.resume();
                }
            }
        });
    }

    /// Takes a ledger fetched or answered over HTTP, unless the one shown is newer.
    fn take(&self, l: Ledger) {
        self.ledger.try_update(|shown| {
            if l.revision >= shown.revision {
                *shown = l;
            }
        });
    }

    /// Applies a live change; fetches the whole ledger when it does not follow.
    fn apply(&self, change: &LedgerChange) {
        let gap = self
            .ledger
            .try_update(|l| l.apply(change).is_err())
            .unwrap_or(false);
        if gap {
            self.refetch();
            return;
        }
        let me = self.access_untracked().map(|a| a.name).unwrap_or_default();
        let store = self.store;
        let news = store.with_untracked(|s| {
            announce::ledger_news(change, &me, |block| {
                s.block(&BlockId(block.to_owned())).map_or_else(
                    || "a statement".to_owned(),
                    |b| format!("statement {} of item {}", b.position, b.item_number),
                )
            })
        });
        if let Some(news) = news {
            store.announce(news);
        }
    }

    fn refetch(&self) {
        let trust = *self;
        spawn_local(async move {
            match trust_api::ledger(&trust.name()).await {
                Ok(l) => trust.take(l),
                Err(e) => crate::warn(&format!("ledger: {e}")),
            }
        });
    }

    /// Takes what a command answered: a ledger (or, with `None`, a fresh fetch), unless
    /// the live changes already brought the ledger further.
    pub fn after_command(&self, answer: Option<Ledger>) {
        match answer {
            Some(l) => self.take(l),
            None => self.refetch(),
        }
    }

    /// What a failed command tells the user; also re-checks access on 401/403.
    pub fn explain(&self, what: &str, e: &ApiError) -> String {
        if matches!(e.status, 401 | 403) {
            self.check_access(false);
        }
        format!("{what}: {}", e.message)
    }
}

/// The meeting page's trust state.
pub fn use_trust() -> Trust {
    expect_context::<Trust>()
}
