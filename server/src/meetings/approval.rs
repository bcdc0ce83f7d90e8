//! The next meeting agrees the previous meeting's minutes: which meeting is "previous"
//! ([`previous_of`]), where its minutes stand ([`previous_minutes`]), and the chair's
//! resolution on them ([`resolve`]) — "agreed as a correct record", or "subject to
//! amendments", which the previous meeting's chair completes by reopening, applying them
//! and signing a new version ([`after_sign_off`]).
//!
//! A resolution spans two meetings' ledgers. It is one atomic decision: the approving
//! meeting's actor writes its ledger and the approval record in one transaction (the
//! approved meeting's ledger reads that record, `Store::ledger`), and the registry's
//! approvals lock keeps the previous meeting from being reopened or signed between the
//! check of its latest version and that write. The approval is then signed with the
//! server's key, like a version.

use minutebook_shared::api::{PreviousMinutes, ResolveRequest, SignedSummary};
use minutebook_shared::trust::{Approval, ApprovingMeeting, Lifecycle, Resolution, Stamp};

use super::{read_store, MeetingError};
use crate::auth::records::kind;
use crate::auth::series::SeriesRecord;
use crate::auth::signing::Signer;
use crate::auth::Access;
use crate::docs::ledger::{Command, Refusal};
use crate::docs::messages::CommandOk;
use crate::docs::registry::Registry;
use crate::store::{Record, WriteOp};

/// Records that meeting `next` was started from `prev` (its previous meeting).
pub async fn link(registry: &Registry, next: &str, prev: &str) -> Result<(), MeetingError> {
    registry
        .store()
        .write(WriteOp::Records(vec![Record::Put {
            kind: kind::PREVIOUS_MEETING,
            key: next.to_owned(),
            json: serde_json::to_vec(prev).unwrap_or_default(),
        }]))
        .await?;
    Ok(())
}

/// The meeting whose minutes `name` agrees: the one it was started from, else the meeting
/// catalogued just before it in its series. `None` for a first meeting.
///
/// The series is the server's index ([`crate::auth::series`]: fixed when a meeting is
/// created or imported), never the editable header: otherwise the chair of any meeting
/// could retitle its series and agree — and so lock — the minutes of a meeting they have
/// no part in.
pub async fn previous_of(registry: &Registry, name: &str) -> Result<Option<String>, MeetingError> {
    let name = name.to_owned();
    read_store(registry, move |store| {
        let linked = store
            .record(kind::PREVIOUS_MEETING, &name)?
            .and_then(|json| serde_json::from_slice::<String>(&json).ok());
        let meetings = store.meetings()?;
        if let Some(prev) = linked.filter(|p| *p != name && meetings.iter().any(|(n, _)| n == p)) {
            return Ok(Some(prev));
        }
        let Some(series) = store
            .record(kind::MEETING_SERIES, &name)?
            .and_then(|json| serde_json::from_slice::<String>(&json).ok())
        else {
            return Ok(None);
        };
        let members = store
            .record(kind::SERIES, &series)?
            .and_then(|json| serde_json::from_slice::<SeriesRecord>(&json).ok())
            .unwrap_or_default()
            .meetings;
        let Some((_, own)) = meetings.iter().find(|(n, _)| *n == name) else {
            return Ok(None);
        };
        Ok(meetings
            .iter()
            .filter(|(n, e)| {
                members.contains(n) && (e.created, n.as_str()) < (own.created, name.as_str())
            })
            .max_by_key(|(n, e)| (e.created, n.clone()))
            .map(|(n, _)| n.clone()))
    })
    .await
}

/// The minutes meeting `name` agrees, and where they stand; `None` for a first meeting.
pub async fn previous_minutes(
    registry: &Registry,
    name: &str,
) -> Result<Option<PreviousMinutes>, MeetingError> {
    let Some(prev) = previous_of(registry, name).await? else {
        return Ok(None);
    };
    read_store(registry, move |store| {
        let ledger = store.ledger(&prev)?;
        let entry = store
            .meetings()?
            .into_iter()
            .find(|(n, _)| *n == prev)
            .map(|(_, e)| e)
            .unwrap_or_default();
        let lifecycle = Lifecycle::of(&ledger);
        Ok(Some(PreviousMinutes {
            title: entry.title,
            date: entry.date,
            status: lifecycle.short(),
            lifecycle: lifecycle.label(),
            open: lifecycle.open_for_resolution(),
            latest: ledger
                .signed()
                .then(|| ledger.versions.last())
                .flatten()
                .map(|v| SignedSummary {
                    version: v.version,
                    sha256: v.sha256.clone(),
                    signed_by: v.signed.by.clone(),
                    signed_at: v.signed.at,
                }),
            approvals: ledger.approvals,
            meeting: prev,
        }))
    })
    .await
}

/// Records the resolution of meeting `name` (its chair, `access`) on the previous
/// meeting's latest signed version, which `req` names by number and hash. The approval,
/// once durable.
pub async fn resolve(
    registry: &Registry,
    signer: &Signer,
    access: &Access,
    name: &str,
    req: ResolveRequest,
) -> Result<Approval, Refusal> {
    let store_failed = |e: MeetingError| Refusal::Unavailable(e.to_string());
    let guard = registry.approvals_lock().await;
    let Some(prev) = previous_minutes(registry, name)
        .await
        .map_err(store_failed)?
    else {
        return Err(Refusal::NotFound(
            "this meeting follows no earlier meeting of its series".into(),
        ));
    };
    // The previous meeting's live ledger (its actor may hold changes being written).
    let (ledger, _) = registry
        .ledger(&prev.meeting)
        .await
        .ok_or_else(|| Refusal::Unavailable("the previous meeting is busy; try again".into()))?;
    let Some(latest) = ledger.signed().then(|| ledger.versions.last()).flatten() else {
        return Err(Refusal::Conflict(format!(
            "the minutes of {:?} are not signed off: they can be agreed once its chair has \
             signed them",
            prev.title
        )));
    };
    if req.version != latest.version || !req.sha256.eq_ignore_ascii_case(&latest.sha256) {
        return Err(Refusal::Conflict(format!(
            "version {} ({}) is not the latest signed version of those minutes: version {} \
             (SHA-256 {}) is",
            req.version, req.sha256, latest.version, latest.sha256
        )));
    }
    match Lifecycle::of(&ledger) {
        Lifecycle::Approved { approval, .. } => {
            return Err(Refusal::Conflict(format!(
                "those minutes are already approved: {approval}"
            )))
        }
        Lifecycle::Signed {
            amendments: Some(a),
            ..
        } => {
            return Err(Refusal::Conflict(format!(
                "{a}: the chair of that meeting applies them and signs the amended version"
            )))
        }
        _ => {}
    }
    let held = [prev.date.trim(), prev.title.trim(), prev.meeting.as_str()]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned();
    let approval = Approval {
        meeting: prev.meeting.clone(),
        version: latest.version,
        sha256: latest.sha256.to_ascii_lowercase(),
        resolution: req.resolution,
        amendments: match req.resolution {
            Resolution::CorrectRecord => String::new(),
            Resolution::SubjectToAmendments => req.amendments,
        },
        at: ApprovingMeeting {
            meeting: name.to_owned(),
            ..ApprovingMeeting::default()
        },
        stamp: Stamp::default(),
        amended: None,
    };
    let cmd = Command::Resolve {
        approval: Box::new(approval),
        held,
    };
    let CommandOk::Ledger(ledger) = registry.command(name, access, cmd).await? else {
        return Err(Refusal::Unavailable("unexpected answer".into()));
    };
    let Some(recorded) = ledger
        .resolutions
        .into_iter()
        .find(|a| a.meeting == prev.meeting && a.version == latest.version)
    else {
        return Err(Refusal::Unavailable(
            "the resolution was not recorded".into(),
        ));
    };
    registry.refresh_approvals(&prev.meeting).await;
    drop(guard);
    sign(signer, &recorded).await;
    Ok(recorded)
}

/// After meeting `name` signed a version: an approval that version completed (agreed
/// subject to amendments at a later meeting) is shown to that meeting and signed again.
pub async fn after_sign_off(registry: &Registry, signer: &Signer, name: &str) {
    let owned = name.to_owned();
    let ledger = match read_store(registry, move |store| store.ledger(&owned)).await {
        Ok(ledger) => ledger,
        Err(e) => {
            tracing::error!(meeting = %name, error = %e, "could not read the approvals");
            return;
        }
    };
    let Some(latest) = ledger.versions.last() else {
        return;
    };
    for a in ledger.approvals.iter().filter(|a| {
        a.amended
            .as_ref()
            .is_some_and(|v| v.version == latest.version)
    }) {
        registry.refresh_approvals(&a.at.meeting).await;
        sign(signer, a).await;
    }
}

/// Signs `approval` (logged on failure: the approval stands, unsigned, until it is
/// signed at the next start).
async fn sign(signer: &Signer, approval: &Approval) {
    if let Err(e) = signer.sign_approval(approval).await {
        tracing::error!(meeting = %approval.meeting, version = approval.version, error = %e, "could not sign the approval");
    }
}

/// The approval of version `version` of `meeting` as a file anyone can check offline
/// (with its signature when it has one); `None` when no later meeting resolved on it.
pub async fn file(
    registry: &Registry,
    signer: &Signer,
    meeting: &str,
    version: u32,
) -> Result<Option<String>, MeetingError> {
    let key = minutebook_shared::trust::approval_key(meeting, version);
    let found = read_store(registry, move |store| store.record(kind::APPROVAL, &key)).await?;
    let Some(approval) = found.and_then(|json| serde_json::from_slice::<Approval>(&json).ok())
    else {
        return Ok(None);
    };
    let token = signer.approval_signature(&approval)?.map(|c| c.token());
    Ok(Some(approval.file(token.as_deref())))
}

/// Signs every approval that has no signature of what it says now (run at start).
pub async fn sign_missing(registry: &Registry, signer: &Signer) -> Result<usize, MeetingError> {
    let all = read_store(registry, |store| store.approvals()).await?;
    let mut signed = 0;
    for a in all {
        if signer.approval_signature(&a)?.is_none() {
            signer.sign_approval(&a).await?;
            signed += 1;
        }
    }
    Ok(signed)
}
