//! The rules of the ledger: what each command may do, checked against the live minutes
//! and the caller's access. The document actor runs [`decide`] and then carries out the
//! [`Decision`] (ledger write, minutes change, signed version) as one durable step.
//!
//! Every refusal says why and maps to an HTTP status; the actor audits it.

use minutebook_shared::meeting::MeetingView;
use minutebook_shared::trust::{
    self, Confirmation, Correction, CorrectionStatus, Ledger, LockState, Readiness, Reopening,
    Role, Stamp,
};

use crate::auth::Access;

/// Longest correction text or reason accepted, in characters.
pub const MAX_TEXT: usize = 20_000;

/// A request to change the ledger.
#[derive(Debug, Clone)]
pub enum Command {
    /// Confirm a statement whose text hashes to `sha256` (what the user saw).
    Confirm {
        block: String,
        sha256: String,
    },
    Propose {
        block: String,
        text: String,
        note: String,
    },
    Accept {
        id: u64,
    },
    Decline {
        id: u64,
        reason: String,
    },
    SignOff {
        override_reason: String,
    },
    Reopen {
        reason: String,
    },
}

impl Command {
    /// The audit event name.
    pub fn event(&self) -> &'static str {
        match self {
            Command::Confirm { .. } => "confirm",
            Command::Propose { .. } => "correction-proposed",
            Command::Accept { .. } => "correction-accepted",
            Command::Decline { .. } => "correction-declined",
            Command::SignOff { .. } => "sign-off",
            Command::Reopen { .. } => "reopen",
        }
    }
}

/// Why a command was refused (each maps to an HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Not ready to sign off (the readiness is attached).
    #[error("{0}")]
    NotReady(String, Box<Readiness>),
    #[error("the minutes are signed off and read-only")]
    Locked,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
}

/// What the actor must do for an accepted command.
#[derive(Debug, Clone)]
pub struct Decision {
    pub ledger: Ledger,
    pub detail: String,
    /// Replace this block's text in the minutes (an accepted correction).
    pub set_text: Option<(String, String)>,
    /// Freeze a signed version with this number.
    pub sign: Option<u32>,
}

fn stamp(access: &Access, now: u64) -> Stamp {
    Stamp {
        by: access.name.clone(),
        person: access.person.clone(),
        at: now,
    }
}

fn limit(text: &str, what: &str) -> Result<(), Refusal> {
    if text.chars().count() > MAX_TEXT {
        return Err(Refusal::BadRequest(format!(
            "{what} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(())
}

/// Decides a command. `now` is unix milliseconds.
pub fn decide(
    ledger: &Ledger,
    view: &MeetingView,
    access: &Access,
    cmd: &Command,
    now: u64,
) -> Result<Decision, Refusal> {
    let mut next = ledger.clone();
    let decision = |ledger, detail: String| Decision {
        ledger,
        detail,
        set_text: None,
        sign: None,
    };
    match cmd {
        Command::Confirm { block, sha256 } => {
            let text = own_statement(view, access, block, ledger)?;
            let current = trust::statement_hash(&text);
            if *sha256 != current {
                return Err(Refusal::Conflict(
                    "the statement changed since you read it; read it again before confirming"
                        .into(),
                ));
            }
            next.confirmations.insert(
                block.clone(),
                Confirmation {
                    stamp: stamp(access, now),
                    sha256: current.clone(),
                },
            );
            Ok(decision(
                next,
                format!("confirmed statement {block} (sha256 {current})"),
            ))
        }
        Command::Propose { block, text, note } => {
            own_statement(view, access, block, ledger)?;
            limit(text, "the correction")?;
            limit(note, "the note")?;
            if text.trim().is_empty() {
                return Err(Refusal::BadRequest("the correction is empty".into()));
            }
            let id = next.next_correction_id();
            next.corrections.push(Correction {
                id,
                block: block.clone(),
                proposed: stamp(access, now),
                text: text.clone(),
                note: note.clone(),
                status: CorrectionStatus::Open,
                decided: None,
                reason: String::new(),
            });
            Ok(decision(
                next,
                format!("proposed correction #{id} to statement {block}"),
            ))
        }
        Command::Accept { id } | Command::Decline { id, .. } => {
            if !access.moderates() {
                return Err(Refusal::Forbidden(
                    "only the chair and minute-takers decide on corrections".into(),
                ));
            }
            if ledger.signed() {
                return Err(Refusal::Locked);
            }
            let Some(correction) = next.corrections.iter_mut().find(|c| c.id == *id) else {
                return Err(Refusal::NotFound(format!("no correction #{id}")));
            };
            if correction.status != CorrectionStatus::Open {
                return Err(Refusal::Conflict(format!(
                    "correction #{id} was already decided"
                )));
            }
            correction.decided = Some(stamp(access, now));
            let block = correction.block.clone();
            if let Command::Decline { reason, .. } = cmd {
                limit(reason, "the reason")?;
                if reason.trim().is_empty() {
                    return Err(Refusal::BadRequest("give a reason for declining".into()));
                }
                correction.status = CorrectionStatus::Declined;
                correction.reason = reason.clone();
                return Ok(decision(
                    next,
                    format!("declined correction #{id}: {reason}"),
                ));
            }
            if !statement_exists(view, &block) {
                return Err(Refusal::Conflict(
                    "the statement was deleted; decline the correction instead".into(),
                ));
            }
            correction.status = CorrectionStatus::Accepted;
            let text = correction.text.clone();
            let proposer = correction.proposed.clone();
            // The proposer wrote this text, so it stands confirmed by them.
            next.confirmations.insert(
                block.clone(),
                Confirmation {
                    stamp: Stamp {
                        at: now,
                        ..proposer.clone()
                    },
                    sha256: trust::statement_hash(&text),
                },
            );
            let mut d = decision(
                next,
                format!(
                    "accepted correction #{id} by {} to statement {block}",
                    proposer.by
                ),
            );
            d.set_text = Some((block, text));
            Ok(d)
        }
        Command::SignOff { override_reason } => {
            chair_only(access, "sign off")?;
            if ledger.signed() {
                return Err(Refusal::Conflict(
                    "the minutes are already signed off".into(),
                ));
            }
            limit(override_reason, "the reason")?;
            let readiness = trust::readiness(view, ledger);
            if !readiness.complete() && override_reason.trim().is_empty() {
                return Err(Refusal::NotReady(
                    format!(
                        "{} statements pending, {} changed since confirmed, {} corrections open: \
                         give a reason to sign off anyway",
                        readiness.pending, readiness.changed, readiness.corrections_open
                    ),
                    Box::new(readiness),
                ));
            }
            let version = next.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
            next.state = LockState::Signed;
            let detail = if override_reason.trim().is_empty() {
                format!("signed off version {version}")
            } else {
                format!("signed off version {version} with override: {override_reason}")
            };
            let mut d = decision(next, detail);
            d.sign = Some(version);
            Ok(d)
        }
        Command::Reopen { reason } => {
            chair_only(access, "reopen the minutes")?;
            if !ledger.signed() {
                return Err(Refusal::Conflict("the minutes are not signed off".into()));
            }
            limit(reason, "the reason")?;
            if reason.trim().is_empty() {
                return Err(Refusal::BadRequest("give a reason for reopening".into()));
            }
            let version = ledger.versions.last().map_or(0, |v| v.version);
            next.state = LockState::Draft;
            next.reopenings.push(Reopening {
                version,
                stamp: stamp(access, now),
                reason: reason.clone(),
            });
            Ok(decision(
                next,
                format!("reopened version {version}: {reason}"),
            ))
        }
    }
}

fn chair_only(access: &Access, what: &str) -> Result<(), Refusal> {
    if access.role == Some(Role::Chair) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!("only the chair may {what}")))
    }
}

fn statement_exists(view: &MeetingView, block: &str) -> bool {
    trust::statements(view).iter().any(|(_, b)| b.id.0 == block)
}

/// The text of `block` if it is a statement attributed to the caller.
fn own_statement(
    view: &MeetingView,
    access: &Access,
    block: &str,
    ledger: &Ledger,
) -> Result<String, Refusal> {
    if ledger.signed() {
        return Err(Refusal::Locked);
    }
    if access.role == Some(Role::Observer) || access.role.is_none() {
        return Err(Refusal::Forbidden(
            "only the person a statement is attributed to may confirm or correct it".into(),
        ));
    }
    let statements = trust::statements(view);
    let Some((_, found)) = statements.iter().find(|(_, b)| b.id.0 == block) else {
        return Err(Refusal::NotFound(format!("no statement {block}")));
    };
    let theirs = access
        .person
        .as_ref()
        .is_some_and(|p| found.speakers.iter().any(|s| &s.0 == p));
    if !theirs {
        return Err(Refusal::Forbidden(
            "this statement is not attributed to you; only its speaker may confirm or correct it"
                .into(),
        ));
    }
    Ok(found.text.clone())
}
