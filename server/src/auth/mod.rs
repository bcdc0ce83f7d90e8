//! Identity and access: the server secret, one-time administrator setup links, personal
//! invitation links, sessions, and what a caller may do in a meeting.
//!
//! - The **secret** (32 random bytes) is generated on first start and kept in the store.
//! - **Setup links** (`/?setup=TOKEN`) create an administrator; one is printed at start
//!   while no administrator exists, and `minutebook admin setup-link` prints another.
//! - **Invitation links** (`/?invite=TOKEN`) are HMAC-SHA256-signed claims (invitation,
//!   meeting, generation, expiry), usable once: the first redemption binds the invitation
//!   (a re-issue makes a new link). Redeeming one always starts a **fresh session** — a
//!   new random bearer token sent back as an HttpOnly, SameSite=Strict, Secure cookie —
//!   into which the grants of the session presented with the request move; that old token
//!   is revoked (no session fixation). A chair invitation, or one that speaks for a
//!   register person, is refused in a session that holds administrator rights.
//! - **Device links** (`/?signin=TOKEN`): a signed-in person makes a short-lived,
//!   single-use link that signs another of their own devices in with the same grants.
//! - The store keeps only SHA-256 hashes of setup, invitation and session tokens.
//! - A session's grant is valid while its invitation is not revoked and has not been
//!   re-issued since; so revoking or re-issuing voids every session made from the link.
//! - Expired sessions and setup links are deleted at start and then every hour
//!   ([`Auth::sweep`]), so the store does not grow with every sign-in.
//! - [`live`]: the live sessions whose connections close when they end; [`refusals`]:
//!   repeated refused attempts counted into one audit entry per window.
//! - [`signing`]: the Ed25519 keys that sign each signed version, so that anyone can
//!   check a download offline with the published public key.

pub mod live;
pub mod records;
pub mod refusals;
pub mod series;
pub mod signed_file;
pub mod signing;
pub mod token;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use minutebook_shared::trust::{Grant, InviteInfo, Role, SessionInfo};
use serde::de::DeserializeOwned;

use crate::store::audit;
use crate::store::{Record, Store, StoreError, WriteOp};
use live::LiveSessions;
use minutebook_shared::time::now_ms;
use records::{
    kind, AdminRecord, DeviceRecord, InviteRecord, SessionGrant, SessionRecord, SetupRecord,
};

/// Name of the session cookie.
pub const COOKIE: &str = "minutebook_session";
/// How long a session lasts by default (`--session-seconds`).
pub const SESSION_MS: u64 = 30 * 24 * 3600 * 1000;
/// How long a device sign-in link lasts.
pub const DEVICE_LINK_MS: u64 = 10 * 60 * 1000;
/// How long a setup link lasts.
pub const SETUP_MS: u64 = 24 * 3600 * 1000;
/// Default lifetime of an invitation link.
pub const INVITE_HOURS: u64 = 7 * 24;

/// Why an identity operation failed; each maps to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    InvalidLink(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("no such invitation")]
    NotFound,
    /// A single-use link that was already used.
    #[error("{0}")]
    Used(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the system's random number generator failed")]
    Random,
}

/// An invitation to make ([`Auth::create_invite`]).
#[derive(Debug, Clone)]
pub struct NewInvite {
    /// Who is invited (a display name).
    pub name: String,
    /// The register person they speak for.
    pub person: Option<String>,
    pub role: Role,
    /// How long the link is valid.
    pub seconds: u64,
    /// To every meeting of this series (see [`series`]) rather than one meeting.
    pub series: Option<String>,
    /// Restricted access (exempt, Part II business); `None`: the role's default.
    pub restricted: Option<bool>,
}

/// What a caller may do in one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Display name.
    pub name: String,
    /// The meeting role, when invited (administrators without an invitation have none).
    pub role: Option<Role>,
    pub admin: bool,
    /// Register person the caller speaks for.
    pub person: Option<String>,
    /// The invitation the access comes from.
    pub invite: Option<u64>,
    /// Who issued that invitation (recorded with every ledger decision it makes).
    pub issued_by: Option<String>,
    /// SHA-256 of the session token it was presented with (presence binds awareness
    /// client ids to it).
    pub session: Option<String>,
    /// Sees exempt (Part II) business: the grant's flag; administrators always.
    pub restricted: bool,
}

impl Access {
    /// The server itself, acting on its own (splitting an import's exempt items off into
    /// Part II): an administrator with restricted access, named "Minutebook" in the audit.
    pub fn server() -> Access {
        Access {
            name: "Minutebook".into(),
            role: None,
            admin: true,
            person: None,
            invite: None,
            issued_by: None,
            session: None,
            restricted: true,
        }
    }

    /// Whether the caller may change the minutes while they are a draft.
    pub fn edits(&self) -> bool {
        self.admin || self.role.is_some_and(Role::edits_minutes)
    }

    /// Whether the caller may decide on corrections.
    pub fn moderates(&self) -> bool {
        self.role.is_some_and(Role::moderates)
    }

    /// Whether the caller may read the audit log.
    pub fn audits(&self) -> bool {
        self.admin || self.moderates()
    }
}

/// Who is calling, resolved from the request's credentials.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// SHA-256 of the session token, when one was presented and is valid.
    pub session: Option<String>,
    pub admin: Option<String>,
    pub grants: Vec<(Grant, InviteRecord)>,
    /// When the session expires (unix milliseconds; 0 when signed out).
    pub expires_at: u64,
}

impl Caller {
    pub fn signed_in(&self) -> bool {
        self.session.is_some()
    }

    /// A display name for the audit log.
    pub fn name(&self) -> String {
        self.admin
            .clone()
            .or_else(|| self.grants.first().map(|(g, _)| g.name.clone()))
            .unwrap_or_else(|| "anonymous".into())
    }

    /// What the caller may do in `meeting`, if anything.
    pub fn access(&self, meeting: &str) -> Option<Access> {
        let grant = self.grants.iter().find(|(g, _)| g.meeting == meeting);
        match (grant, &self.admin) {
            (Some((g, record)), admin) => Some(Access {
                name: g.name.clone(),
                role: Some(g.role),
                admin: admin.is_some(),
                person: g.person.clone(),
                invite: Some(g.invite),
                issued_by: Some(record.created_by.clone()),
                session: self.session.clone(),
                restricted: g.restricted || admin.is_some(),
            }),
            (None, Some(name)) => Some(Access {
                name: name.clone(),
                role: None,
                admin: true,
                person: None,
                invite: None,
                issued_by: None,
                session: self.session.clone(),
                restricted: true,
            }),
            (None, None) => None,
        }
    }

    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            name: self.name(),
            admin: self.admin.is_some(),
            grants: self.grants.iter().map(|(g, _)| g.clone()).collect(),
            token: None,
            meeting: None,
        }
    }
}

/// The identity service. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    store: Store,
    secret: Arc<[u8]>,
    public_url: Arc<str>,
    next_invite: Arc<AtomicU64>,
    /// Lifetime of a new session, milliseconds.
    session_ms: u64,
    /// Serialises redemptions, so a single-use link is bound exactly once.
    redeeming: Arc<tokio::sync::Mutex<()>>,
    /// Serialises changes of the series index ([`series`]).
    series_lock: Arc<tokio::sync::Mutex<()>>,
    live: LiveSessions,
}

/// A redeemed link: the new session, its token, and the token hash it replaced.
#[derive(Debug)]
pub struct Redeemed {
    pub info: SessionInfo,
    pub token: String,
    /// The invitation redeemed (`None` for a device link).
    pub invite: Option<InviteRecord>,
    /// The SHA-256 of the session token the request presented, now revoked.
    pub replaced: Option<String>,
}

impl Auth {
    /// Loads (or on first start creates) the server secret.
    pub async fn open(store: Store, public_url: &str) -> Result<Auth, AuthError> {
        let secret = match store.record(kind::SECRET, "hmac")? {
            Some(secret) if secret.len() == token::TOKEN_BYTES => secret,
            _ => {
                let secret = token::random_bytes()
                    .map_err(|_| AuthError::Random)?
                    .to_vec();
                store
                    .write(WriteOp::Records(vec![Record::Put {
                        kind: kind::SECRET,
                        key: "hmac".into(),
                        json: secret.clone(),
                    }]))
                    .await?;
                tracing::info!("generated the server secret");
                secret
            }
        };
        let last_invite = store
            .records(kind::INVITE)?
            .iter()
            .filter_map(|(k, _)| k.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        Ok(Auth {
            store,
            secret: secret.into(),
            public_url: public_url.trim_end_matches('/').into(),
            next_invite: Arc::new(AtomicU64::new(last_invite + 1)),
            session_ms: SESSION_MS,
            redeeming: Arc::new(tokio::sync::Mutex::new(())),
            series_lock: Arc::new(tokio::sync::Mutex::new(())),
            live: LiveSessions::default(),
        })
    }

    /// Sets the lifetime of new sessions (`--session-seconds`), at least one second.
    pub fn with_session_ms(mut self, ms: u64) -> Auth {
        self.session_ms = ms.max(1000);
        self
    }

    /// The sessions with open connections (closed on sign-out, renewal and expiry).
    pub fn live(&self) -> &LiveSessions {
        &self.live
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The address people open (`--public-url`, else the listening address).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Whether an administrator has been set up.
    pub fn has_admin(&self) -> Result<bool, AuthError> {
        Ok(!self.store.records(kind::ADMIN)?.is_empty())
    }

    /// A new one-time administrator setup link.
    pub async fn setup_link(&self) -> Result<String, AuthError> {
        let token = token::random_token().map_err(|_| AuthError::Random)?;
        let now = now_ms();
        let record = SetupRecord {
            created_at: now,
            expires_at: now + SETUP_MS,
        };
        self.put(kind::SETUP, token::hash(&token), &record).await?;
        Ok(format!("{}/?setup={token}", self.public_url))
    }

    /// Uses a setup link: creates the administrator `name` and a session for them.
    pub async fn setup(
        &self,
        setup_token: &str,
        name: &str,
    ) -> Result<(SessionInfo, String), AuthError> {
        let name = clean_name(name)?;
        let key = token::hash(setup_token);
        let record: SetupRecord = self.get(kind::SETUP, &key)?.ok_or_else(|| {
            AuthError::InvalidLink("this setup link is not valid (or was already used)".into())
        })?;
        if record.expires_at < now_ms() {
            return Err(AuthError::InvalidLink("this setup link has expired".into()));
        }
        let session = SessionRecord {
            admin: Some(name.clone()),
            grants: Vec::new(),
            created_at: now_ms(),
            expires_at: now_ms() + self.session_ms,
        };
        let bearer = token::random_token().map_err(|_| AuthError::Random)?;
        let audit = audit::entry(
            &self.store,
            "",
            &name,
            None,
            "setup",
            "administrator created",
        );
        self.store
            .write(WriteOp::Records(vec![
                Record::Delete {
                    kind: kind::SETUP,
                    key,
                },
                put(kind::SESSION, token::hash(&bearer), &session),
                put(
                    kind::ADMIN,
                    name.clone(),
                    &AdminRecord {
                        name: name.clone(),
                        created_at: now_ms(),
                    },
                ),
                Record::Audit(audit),
            ]))
            .await?;
        let caller = self.resolve(&token::hash(&bearer))?;
        Ok((caller.info(), bearer))
    }

    /// Resolves a session token (anonymous when it is unknown or expired).
    pub fn caller_for_token(&self, token: &str) -> Result<Caller, AuthError> {
        self.resolve(&token::hash(token))
    }

    fn resolve(&self, session_hash: &str) -> Result<Caller, AuthError> {
        let Some(session) = self.get::<SessionRecord>(kind::SESSION, session_hash)? else {
            return Ok(Caller::default());
        };
        if session.expires_at < now_ms() {
            return Ok(Caller::default());
        }
        let mut grants = Vec::new();
        let mut series_invites = Vec::new();
        for held in &session.grants {
            let Some(invite) = self.invite(held.invite)? else {
                continue;
            };
            if invite.revoked_at.is_some() || invite.generation != held.generation {
                continue;
            }
            // Checked again here, not only when the link was opened: the role or person
            // of an invitation an administrator's session already holds may change since.
            if session.admin.is_some() && invite.barred_from_admin_sessions() {
                continue;
            }
            if invite.series.is_some() {
                series_invites.push(invite);
                continue;
            }
            grants.push((
                Grant {
                    meeting: invite.meeting.clone(),
                    role: invite.role,
                    person: invite.person.clone(),
                    name: invite.name.clone(),
                    invite: invite.id,
                    restricted: invite.restricted_access(),
                },
                invite,
            ));
        }
        // A series grant opens each meeting of the series, unless a grant for that
        // meeting says otherwise.
        let mut granted: std::collections::HashSet<String> =
            grants.iter().map(|(g, _)| g.meeting.clone()).collect();
        for invite in series_invites {
            let series = invite.series.clone().unwrap_or_default();
            for meeting in self.series_meetings(&series)? {
                if !granted.insert(meeting.clone()) {
                    continue;
                }
                grants.push((
                    Grant {
                        meeting,
                        role: invite.role,
                        person: invite.person.clone(),
                        name: invite.name.clone(),
                        invite: invite.id,
                        restricted: invite.restricted_access(),
                    },
                    invite.clone(),
                ));
            }
        }
        Ok(Caller {
            session: Some(session_hash.to_string()),
            admin: session.admin,
            grants,
            expires_at: session.expires_at,
        })
    }

    /// The meeting an invitation link names, when its signature checks out (for auditing
    /// a refused redemption in that meeting's log).
    pub fn link_meeting(&self, link_token: &str) -> Option<String> {
        token::verify(&self.secret, link_token).ok().map(|c| c.m)
    }

    /// Redeems an invitation link (once: the first redemption binds it). Always starts a
    /// fresh session: the grants (and administrator rights) of `current`, when that is a
    /// valid session token, move to it and `current` is revoked. A chair invitation, or
    /// one bound to a register person, is refused in a session with administrator rights.
    pub async fn redeem(
        &self,
        link_token: &str,
        current: Option<String>,
    ) -> Result<Redeemed, AuthError> {
        let claims = token::verify(&self.secret, link_token)
            .map_err(|e| AuthError::InvalidLink(format!("invitation refused: {e}")))?;
        let _one_at_a_time = self.redeeming.lock().await;
        let invite = self
            .invite(claims.i)?
            .filter(|i| i.meeting == claims.m)
            .ok_or_else(|| {
                AuthError::InvalidLink("invitation refused: no such invitation".into())
            })?;
        if invite.revoked_at.is_some() {
            return Err(AuthError::InvalidLink(
                "invitation refused: it was revoked".into(),
            ));
        }
        if invite.generation != claims.g || invite.token_hash != token::hash(link_token) {
            return Err(AuthError::InvalidLink(
                "invitation refused: this link was replaced by a newer one".into(),
            ));
        }
        if claims.e < now_ms() || invite.expires_at < now_ms() {
            return Err(AuthError::InvalidLink(
                "invitation refused: the link has expired".into(),
            ));
        }
        if invite.redeemed {
            return Err(AuthError::Used(
                "invitation refused: this link was already used (each link signs in once; \
                 ask an administrator to re-issue it, or make a device link from a signed-in \
                 browser)"
                    .into(),
            ));
        }
        let now = now_ms();
        let previous = self.presented_session(current.as_deref(), now)?;
        let (replaced, mut session) = match previous {
            Some((hash, old)) => (Some(hash), old),
            None => (
                None,
                SessionRecord {
                    admin: None,
                    grants: Vec::new(),
                    created_at: now,
                    expires_at: now,
                },
            ),
        };
        if session.admin.is_some() && invite.barred_from_admin_sessions() {
            return Err(AuthError::Forbidden(
                "invitation refused: an invitation for the chair or for a person on the \
                 register cannot be opened in a session with administrator rights; open it \
                 in another browser or a private window"
                    .into(),
            ));
        }
        // One grant per meeting: a newer invitation to the same meeting replaces the old.
        let meeting_invites: Vec<u64> = session
            .grants
            .iter()
            .filter_map(|g| {
                self.invite(g.invite)
                    .ok()
                    .flatten()
                    .filter(|i| i.meeting == invite.meeting)
                    .map(|i| i.id)
            })
            .collect();
        session
            .grants
            .retain(|g| !meeting_invites.contains(&g.invite));
        session.grants.push(SessionGrant {
            invite: invite.id,
            generation: invite.generation,
        });
        session.created_at = now;
        session.expires_at = now + self.session_ms;
        let mut redeemed = invite.clone();
        redeemed.redeemed = true;
        let audit = audit::entry(
            &self.store,
            &invite.meeting,
            &invite.name,
            Some(invite.role),
            "sign-in",
            format!(
                "opened invitation #{} as {}{}",
                invite.id,
                invite.role.as_str(),
                if replaced.is_some() {
                    " (a fresh session replaced the one presented)"
                } else {
                    ""
                }
            ),
        );
        let bearer = token::random_token().map_err(|_| AuthError::Random)?;
        let mut ops = vec![
            put(kind::SESSION, token::hash(&bearer), &session),
            put(kind::INVITE, InviteRecord::key(invite.id), &redeemed),
            Record::Audit(audit),
        ];
        if let Some(old) = &replaced {
            ops.push(Record::Delete {
                kind: kind::SESSION,
                key: old.clone(),
            });
        }
        self.store.write(WriteOp::Records(ops)).await?;
        if let Some(old) = &replaced {
            self.live.end(
                old,
                minutebook_shared::protocol::close::code::SERVICE_RESTART,
                "your session was renewed; reconnecting",
            );
        }
        let caller = self.resolve(&token::hash(&bearer))?;
        Ok(Redeemed {
            info: caller.info(),
            token: bearer,
            invite: Some(redeemed),
            replaced,
        })
    }

    /// The valid session behind a presented token: its hash and record.
    fn presented_session(
        &self,
        current: Option<&str>,
        now: u64,
    ) -> Result<Option<(String, SessionRecord)>, AuthError> {
        let Some(t) = current else {
            return Ok(None);
        };
        let hash = token::hash(t);
        Ok(self
            .get::<SessionRecord>(kind::SESSION, &hash)?
            .filter(|s| s.expires_at >= now)
            .map(|s| (hash, s)))
    }

    /// A short-lived, single-use link that signs another device of the caller's in with the
    /// same grants (and administrator rights). Returns the link and its expiry.
    pub async fn device_link(&self, caller: &Caller) -> Result<(String, u64), AuthError> {
        let hash = caller.session.as_ref().ok_or(AuthError::Unauthenticated)?;
        let session = self
            .get::<SessionRecord>(kind::SESSION, hash)?
            .ok_or(AuthError::Unauthenticated)?;
        let now = now_ms();
        let record = DeviceRecord {
            name: caller.name(),
            admin: session.admin.clone(),
            grants: session.grants.clone(),
            created_at: now,
            expires_at: now + DEVICE_LINK_MS,
        };
        let link_token = token::random_token().map_err(|_| AuthError::Random)?;
        let mut ops = vec![put(kind::DEVICE, token::hash(&link_token), &record)];
        ops.extend(self.device_audit(
            caller,
            "device-link",
            "made a link to sign in on another device",
        ));
        self.store.write(WriteOp::Records(ops)).await?;
        Ok((
            format!("{}/?signin={link_token}", self.public_url),
            record.expires_at,
        ))
    }

    /// Uses a device link (once): a fresh session with the grants it carries.
    pub async fn redeem_device(&self, link_token: &str) -> Result<Redeemed, AuthError> {
        let _one_at_a_time = self.redeeming.lock().await;
        let key = token::hash(link_token);
        let record: DeviceRecord = self.get(kind::DEVICE, &key)?.ok_or_else(|| {
            AuthError::InvalidLink(
                "sign-in refused: this device link is not valid or was already used".into(),
            )
        })?;
        let now = now_ms();
        if record.expires_at < now {
            return Err(AuthError::InvalidLink(
                "sign-in refused: this device link has expired".into(),
            ));
        }
        let session = SessionRecord {
            admin: record.admin.clone(),
            grants: record.grants.clone(),
            created_at: now,
            expires_at: now + self.session_ms,
        };
        let bearer = token::random_token().map_err(|_| AuthError::Random)?;
        self.store
            .write(WriteOp::Records(vec![
                Record::Delete {
                    kind: kind::DEVICE,
                    key,
                },
                put(kind::SESSION, token::hash(&bearer), &session),
            ]))
            .await?;
        let caller = self.resolve(&token::hash(&bearer))?;
        let audit = self.device_audit(
            &caller,
            "sign-in",
            "signed in on another device with a device link",
        );
        self.store.write(WriteOp::Records(audit)).await?;
        Ok(Redeemed {
            info: caller.info(),
            token: bearer,
            invite: None,
            replaced: None,
        })
    }

    /// Audit entries for a device-link event: one per meeting the grants reach, and one in
    /// the global log.
    fn device_audit(&self, caller: &Caller, event: &str, detail: &str) -> Vec<Record> {
        let mut entries = vec![Record::Audit(audit::entry(
            &self.store,
            "",
            &caller.name(),
            None,
            event,
            detail,
        ))];
        for (g, _) in &caller.grants {
            entries.push(Record::Audit(audit::entry(
                &self.store,
                &g.meeting,
                &g.name,
                Some(g.role),
                event,
                detail,
            )));
        }
        entries
    }

    /// Ends the session behind `caller` and closes its open connections (1008).
    pub async fn sign_out(&self, caller: &Caller) -> Result<(), AuthError> {
        if let Some(hash) = &caller.session {
            self.store
                .write(WriteOp::Records(vec![Record::Delete {
                    kind: kind::SESSION,
                    key: hash.clone(),
                }]))
                .await?;
            self.live.end(
                hash,
                minutebook_shared::protocol::close::code::POLICY_VIOLATION,
                "signed out",
            );
        }
        Ok(())
    }

    /// An invitation by id.
    pub fn invite(&self, id: u64) -> Result<Option<InviteRecord>, AuthError> {
        self.get(kind::INVITE, &InviteRecord::key(id))
    }

    /// Every invitation to `meeting`, and to the series it belongs to, oldest first.
    pub fn invites(&self, meeting: &str) -> Result<Vec<InviteRecord>, AuthError> {
        let series = self.series_of(meeting)?;
        Ok(self
            .store
            .records(kind::INVITE)?
            .iter()
            .filter_map(|(_, json)| serde_json::from_slice::<InviteRecord>(json).ok())
            .filter(|i| match &i.series {
                Some(s) => series.as_ref() == Some(s),
                None => i.meeting == meeting,
            })
            .collect())
    }

    /// Invites `new.name` to `meeting` (or its whole series); answers with the link.
    pub async fn create_invite(
        &self,
        by: &str,
        meeting: &str,
        new: NewInvite,
    ) -> Result<InviteInfo, AuthError> {
        let NewInvite {
            name,
            person,
            role,
            seconds,
            series,
            restricted,
        } = new;
        let name = clean_name(&name)?;
        let seconds = seconds.clamp(1, 365 * 24 * 3600);
        let now = now_ms();
        let mut invite = InviteRecord {
            id: self.next_invite.fetch_add(1, Ordering::Relaxed),
            meeting: meeting.to_string(),
            name,
            person,
            role,
            created_at: now,
            expires_at: now + seconds * 1000,
            revoked_at: None,
            generation: 1,
            token_hash: String::new(),
            redeemed: false,
            created_by: by.to_string(),
            series,
            restricted,
        };
        let link = self.link(&mut invite)?;
        let scope = match &invite.series {
            Some(s) => format!(" to every meeting of the series {s:?}"),
            None => String::new(),
        };
        let restricted = if invite.restricted_access() {
            ", with restricted access"
        } else {
            ""
        };
        let detail = format!(
            "invited {} as {}{scope}{restricted} (invitation #{}, link valid for {} h)",
            invite.name,
            role.as_str(),
            invite.id,
            seconds.div_ceil(3600)
        );
        self.save_invite(&invite, by, None, "invite", detail)
            .await?;
        let mut info = invite.info();
        info.link = Some(link);
        Ok(info)
    }

    /// Issues a new link for an invitation; the old link and its sessions stop working.
    pub async fn reissue(&self, by: &str, meeting: &str, id: u64) -> Result<InviteInfo, AuthError> {
        let mut invite = self.meeting_invite(meeting, id)?;
        invite.generation += 1;
        invite.revoked_at = None;
        invite.redeemed = false;
        let now = now_ms();
        let lifetime = invite
            .expires_at
            .saturating_sub(invite.created_at)
            .max(3600 * 1000);
        invite.created_at = now;
        invite.expires_at = now + lifetime;
        let link = self.link(&mut invite)?;
        let detail = format!("re-issued invitation #{} for {}", invite.id, invite.name);
        self.save_invite(&invite, by, None, "reissue", detail)
            .await?;
        let mut info = invite.info();
        info.link = Some(link);
        Ok(info)
    }

    /// Revokes an invitation (and every session made from it).
    pub async fn revoke(&self, by: &str, meeting: &str, id: u64) -> Result<InviteInfo, AuthError> {
        let mut invite = self.meeting_invite(meeting, id)?;
        invite.revoked_at = Some(now_ms());
        let detail = format!("revoked invitation #{} of {}", invite.id, invite.name);
        self.save_invite(&invite, by, None, "revoke", detail)
            .await?;
        Ok(invite.info())
    }

    /// Changes an invitation's role.
    pub async fn set_role(
        &self,
        by: &str,
        meeting: &str,
        id: u64,
        role: Role,
    ) -> Result<InviteInfo, AuthError> {
        let mut invite = self.meeting_invite(meeting, id)?;
        let detail = format!(
            "changed {}'s role from {} to {}",
            invite.name,
            invite.role.as_str(),
            role.as_str()
        );
        invite.role = role;
        self.save_invite(&invite, by, None, "role-change", detail)
            .await?;
        Ok(invite.info())
    }

    /// Invitation `id`, if it is to `meeting` or to the series `meeting` belongs to.
    fn meeting_invite(&self, meeting: &str, id: u64) -> Result<InviteRecord, AuthError> {
        let invite = self.invite(id)?.ok_or(AuthError::NotFound)?;
        let here = match &invite.series {
            Some(s) => self.series_of(meeting)?.as_ref() == Some(s),
            None => invite.meeting == meeting,
        };
        if here {
            Ok(invite)
        } else {
            Err(AuthError::NotFound)
        }
    }

    fn link(&self, invite: &mut InviteRecord) -> Result<String, AuthError> {
        let claims = token::InviteClaims {
            i: invite.id,
            m: invite.meeting.clone(),
            g: invite.generation,
            e: invite.expires_at,
            n: token::random_token().map_err(|_| AuthError::Random)?,
        };
        let token = token::sign(&self.secret, &claims);
        invite.token_hash = token::hash(&token);
        Ok(format!("{}/?invite={token}", self.public_url))
    }

    async fn save_invite(
        &self,
        invite: &InviteRecord,
        by: &str,
        role: Option<Role>,
        event: &str,
        detail: String,
    ) -> Result<(), AuthError> {
        let audit = audit::entry(&self.store, &invite.meeting, by, role, event, detail);
        tracing::info!(meeting = %invite.meeting, invite = invite.id, event, "invitation changed");
        self.store
            .write(WriteOp::Records(vec![
                put(kind::INVITE, InviteRecord::key(invite.id), invite),
                Record::Audit(audit),
            ]))
            .await?;
        Ok(())
    }

    /// Deletes the sessions and setup links that expired before `now` (ms), and any such
    /// record that no longer parses. Returns how many were deleted.
    pub async fn sweep(&self, now: u64) -> Result<usize, AuthError> {
        #[derive(serde::Deserialize)]
        struct Expiring {
            expires_at: u64,
        }
        let mut gone = Vec::new();
        for kind in [kind::SESSION, kind::SETUP, kind::DEVICE] {
            for (key, json) in self.store.records(kind)? {
                let live =
                    serde_json::from_slice::<Expiring>(&json).is_ok_and(|r| r.expires_at >= now);
                if !live {
                    gone.push(Record::Delete { kind, key });
                }
            }
        }
        let count = gone.len();
        if count > 0 {
            self.store.write(WriteOp::Records(gone)).await?;
        }
        Ok(count)
    }

    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Option<T>, AuthError> {
        Ok(self
            .store
            .record(kind, key)?
            .and_then(|json| serde_json::from_slice(&json).ok()))
    }

    async fn put<T: serde::Serialize>(
        &self,
        kind: &'static str,
        key: String,
        value: &T,
    ) -> Result<(), AuthError> {
        self.store
            .write(WriteOp::Records(vec![put(kind, key, value)]))
            .await?;
        Ok(())
    }
}

pub(crate) fn put<T: serde::Serialize>(kind: &'static str, key: String, value: &T) -> Record {
    Record::Put {
        kind,
        key,
        json: serde_json::to_vec(value).unwrap_or_default(),
    }
}

fn clean_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::BadRequest(
            "give a name of 1 to 100 characters".into(),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sweep_deletes_only_expired_sessions_and_setup_links() {
        let dir = tempfile::tempdir().unwrap();
        let (store, writer) = Store::open(&dir.path().join("sweep.redb")).unwrap();
        let auth = Auth::open(store.clone(), "http://127.0.0.1:1")
            .await
            .unwrap();
        let first = auth.setup_link().await.unwrap();
        let token = first.rsplit('=').next().unwrap();
        let (_, bearer) = auth.setup(token, "Ada").await.unwrap();
        auth.setup_link().await.unwrap();
        let bearer_hash = token::hash(&bearer);

        // Nothing has expired yet: nothing goes, and the session still signs Ada in.
        assert_eq!(auth.sweep(now_ms()).await.unwrap(), 0);
        assert_eq!(
            auth.resolve(&bearer_hash).unwrap().admin.as_deref(),
            Some("Ada")
        );

        // A day on, the unused setup link has expired; the 30-day session has not.
        let day_on = now_ms() + SETUP_MS + 1;
        assert_eq!(auth.sweep(day_on).await.unwrap(), 1);
        assert!(store.records(kind::SETUP).unwrap().is_empty());
        assert_eq!(store.records(kind::SESSION).unwrap().len(), 1);

        // After the session's lifetime it is deleted too; the administrator stays.
        assert_eq!(auth.sweep(now_ms() + SESSION_MS + 1).await.unwrap(), 1);
        assert!(store.records(kind::SESSION).unwrap().is_empty());
        assert!(auth.has_admin().unwrap());
        drop((auth, store));
        writer.join();
    }
}
