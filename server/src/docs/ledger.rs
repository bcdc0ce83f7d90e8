//! The rules of the ledger: what each command may do, checked against the live minutes
//! and the caller's access. The document actor runs [`decide`] and then carries out the
//! [`Decision`] (ledger write, minutes change, signed version) as one durable step.
//!
//! - A confirmation is recorded per statement **and** speaker, bound to the statement's
//!   text and its attribution as the speaker saw them; a statement counts as confirmed
//!   only when every speaker has confirmed it (`minutebook_shared::trust::readiness`).
//! - Every decision first drops confirmations that no longer count ([`Ledger::prune`]):
//!   those of people no longer among a statement's speakers.
//! - Confirming a statement again, as it already stands confirmed, changes nothing and is
//!   not written (nor audited): a confirmation is a state, not an event.
//! - One open correction proposal per person per statement: a new one withdraws the old.
//! - New proposals are refused once the meeting's ledger reaches its [`LedgerBudget`];
//!   confirmations (bounded by the minutes), decisions, sign-off and reopening are not,
//!   so a flood of proposals can never keep a meeting from being decided and signed.
//! - Every stamp records the invitation the caller acted through and who issued it.
//!
//! Every refusal says why and maps to an HTTP status; the actor audits it.

use minutebook_shared::meeting::MeetingView;
use minutebook_shared::trust::{
    self, Approval, Confirmation, Correction, CorrectionStatus, Ledger, Lifecycle, LockState,
    Readiness, Reopening, Resolution, Role, Stamp, MAX_AMENDMENTS,
};

use crate::auth::Access;

/// Longest correction text or reason accepted, in characters.
pub const MAX_TEXT: usize = 20_000;

/// How much one meeting's ledger may hold before new correction proposals are refused
/// (`--ledger-max-entries`, `--ledger-max-bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerBudget {
    /// Confirmations + corrections (any status) + versions + reopenings.
    pub max_entries: usize,
    /// The ledger's size as stored (JSON bytes).
    pub max_bytes: usize,
}

/// Default of `--ledger-max-entries`.
pub const DEFAULT_LEDGER_MAX_ENTRIES: usize = 10_000;
/// Default of `--ledger-max-bytes`.
pub const DEFAULT_LEDGER_MAX_BYTES: usize = 4 << 20;

impl Default for LedgerBudget {
    fn default() -> Self {
        LedgerBudget {
            max_entries: DEFAULT_LEDGER_MAX_ENTRIES,
            max_bytes: DEFAULT_LEDGER_MAX_BYTES,
        }
    }
}

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
    /// Record this meeting's resolution on the previous meeting's signed version (checked
    /// against that meeting's ledger by the caller, `crate::meetings::approval`). `held`:
    /// how the minutes name that meeting ("9th February 2026").
    Resolve {
        approval: Box<Approval>,
        held: String,
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
            Command::Resolve { .. } => "minutes-approved",
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
    /// The meeting's ledger budget is used up (413).
    #[error("{0}")]
    Full(String),
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
    /// Add this decision to the minutes' "Minutes of the previous meeting" item (a
    /// resolution on them).
    pub resolution_text: Option<String>,
    /// Records written in the ledger's transaction (an approval).
    pub records: Vec<Approval>,
    /// Nothing changes (a statement confirmed again as it already stands): the actor
    /// answers with the ledger and writes nothing, audit included, so repeating a
    /// confirmation cannot grow the ledger or the audit log.
    pub unchanged: bool,
}

/// Who acts, now, and through which invitation (issued by whom).
pub fn stamp(access: &Access, now: u64) -> Stamp {
    Stamp {
        by: access.name.clone(),
        person: access.person.clone(),
        at: now,
        invite: access.invite,
        issued_by: access.issued_by.clone(),
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

/// A statement as the command sees it.
struct Statement {
    text: String,
    speakers: Vec<String>,
}

/// Decides a command. `now` is unix milliseconds.
pub fn decide(
    ledger: &Ledger,
    view: &MeetingView,
    access: &Access,
    cmd: &Command,
    now: u64,
    budget: &LedgerBudget,
) -> Result<Decision, Refusal> {
    let mut next = ledger.clone();
    let pruned = next.prune(view);
    next.revision = ledger.revision + 1;
    let via = match stamp(access, now).provenance() {
        p if p.is_empty() => String::new(),
        p => format!(" ({p})"),
    };
    let decision = |ledger, detail: String| Decision {
        ledger,
        detail: format!("{detail}{via}"),
        set_text: None,
        sign: None,
        resolution_text: None,
        records: Vec::new(),
        unchanged: false,
    };
    match cmd {
        Command::Confirm { block, sha256 } => {
            let (person, statement) = own_statement(view, access, block, ledger)?;
            let current = trust::statement_hash(&statement.text);
            if *sha256 != current {
                return Err(Refusal::Conflict(
                    "the statement changed since you read it; read it again before confirming"
                        .into(),
                ));
            }
            let already = ledger
                .confirmations
                .get(block)
                .and_then(|by| by.get(&person))
                .is_some_and(|c| {
                    c.sha256 == current && c.speakers.as_ref() == Some(&statement.speakers)
                });
            if already && !pruned {
                return Ok(Decision {
                    unchanged: true,
                    ..decision(ledger.clone(), String::new())
                });
            }
            next.confirm(
                block,
                &person,
                Confirmation {
                    stamp: stamp(access, now),
                    sha256: current.clone(),
                    speakers: Some(statement.speakers.clone()),
                },
            );
            Ok(decision(
                next,
                format!(
                    "confirmed statement {block} as {person}, attributed to {} (sha256 {current})",
                    statement.speakers.join(", ")
                ),
            ))
        }
        Command::Propose { block, text, note } => {
            let (person, statement) = own_statement(view, access, block, ledger)?;
            limit(text, "the correction")?;
            limit(note, "the note")?;
            if text.trim().is_empty() {
                return Err(Refusal::BadRequest("the correction is empty".into()));
            }
            let id = next.next_correction_id();
            // One open proposal per person per statement: the new one replaces the old.
            let mut withdrawn = Vec::new();
            for c in next.corrections.iter_mut().filter(|c| {
                c.block == *block
                    && c.status == CorrectionStatus::Open
                    && c.proposed.person.as_deref() == Some(person.as_str())
            }) {
                c.status = CorrectionStatus::Withdrawn;
                c.decided = Some(stamp(access, now));
                c.reason = format!("replaced by correction #{id}");
                withdrawn.push(format!("#{}", c.id));
            }
            next.corrections.push(Correction {
                id,
                block: block.clone(),
                proposed: stamp(access, now),
                text: text.clone(),
                note: note.clone(),
                status: CorrectionStatus::Open,
                decided: None,
                reason: String::new(),
                base_sha256: Some(trust::statement_hash(&statement.text)),
                base_speakers: Some(statement.speakers),
            });
            within_share(&next, &person, budget)?;
            within_budget(ledger, &next, budget)?;
            let mut detail = format!("proposed correction #{id} to statement {block}");
            if !withdrawn.is_empty() {
                detail.push_str(&format!(", withdrawing {}", withdrawn.join(", ")));
            }
            Ok(decision(next, detail))
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
            let Some(statement) = find_statement(view, &block) else {
                return Err(Refusal::Conflict(
                    "the statement was deleted; decline the correction instead".into(),
                ));
            };
            still_applies(correction, &statement)?;
            correction.status = CorrectionStatus::Accepted;
            let text = correction.text.clone();
            let proposer = correction.proposed.clone();
            let person = proposer.person.clone().unwrap_or_default();
            // The proposer wrote this text, so it stands confirmed by them (and only by
            // them: every other speaker's confirmation no longer holds for the new text).
            next.confirm(
                &block,
                &person,
                Confirmation {
                    stamp: Stamp {
                        at: now,
                        ..proposer.clone()
                    },
                    sha256: trust::statement_hash(&text),
                    speakers: Some(statement.speakers),
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
            let readiness = trust::readiness(view, &next);
            if !readiness.complete() && override_reason.trim().is_empty() {
                return Err(Refusal::NotReady(
                    format!(
                        "{} of {} statements are not confirmed by every speaker ({} \
                         confirmations pending, {} changed since confirmed), {} corrections \
                         open: give a reason to sign off anyway",
                        readiness.unconfirmed_statements(),
                        readiness.statements.len(),
                        readiness.pending,
                        readiness.changed,
                        readiness.corrections_open
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
            if let Lifecycle::Approved { approval, .. } = Lifecycle::of(ledger) {
                return Err(Refusal::Conflict(format!(
                    "{approval} as the correct record: approved minutes are not reopened \
                     (a later meeting may record corrections to them)"
                )));
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
        Command::Resolve { approval, held } => {
            chair_only(access, "record the resolution on the previous minutes")?;
            if ledger.signed() {
                return Err(Refusal::Locked);
            }
            if approval.amendments.chars().count() > MAX_AMENDMENTS {
                return Err(Refusal::BadRequest(format!(
                    "the amendments are longer than {MAX_AMENDMENTS} characters"
                )));
            }
            if approval.resolution == Resolution::SubjectToAmendments
                && approval.amendments.trim().is_empty()
            {
                return Err(Refusal::BadRequest(
                    "say which amendments were agreed".into(),
                ));
            }
            if let Some(done) = ledger
                .resolutions
                .iter()
                .find(|r| r.meeting == approval.meeting && r.version == approval.version)
            {
                return Err(Refusal::Conflict(format!(
                    "version {} of those minutes was already {} here",
                    done.version,
                    done.resolution.words()
                )));
            }
            let mut approval = (**approval).clone();
            approval.at.title = view.header.fields.title.trim().to_owned();
            approval.at.date = view.header.fields.date.trim().to_owned();
            approval.stamp = stamp(access, now);
            approval.amended = None;
            let text = minutebook_shared::meeting::series::resolution_text(
                held,
                approval.resolution.words(),
                &approval.amendments,
                approval.version,
                &approval.sha256,
            );
            Ledger::note_approval(&mut next.resolutions, approval.clone());
            let mut d = decision(
                next,
                format!(
                    "recorded that version {} of {} (sha256 {}) was {}",
                    approval.version,
                    approval.meeting,
                    approval.sha256,
                    approval.resolution.words()
                ),
            );
            d.resolution_text = Some(text);
            d.records = vec![approval];
            Ok(d)
        }
    }
}

/// One person's correction proposals, of any status (withdrawn and declined ones stay in
/// the record), may hold at most this fraction of the meeting's ledger budget: so one
/// attendee filing and replacing proposals in a loop cannot use up everyone's room.
pub const PERSON_SHARE: usize = 8;

/// 413 when `person`'s proposals in `next` hold more than their share of the budget
/// ([`PERSON_SHARE`]).
fn within_share(next: &Ledger, person: &str, budget: &LedgerBudget) -> Result<(), Refusal> {
    let theirs = next
        .corrections
        .iter()
        .filter(|c| c.proposed.person.as_deref() == Some(person));
    let (mut entries, mut bytes) = (0usize, 0usize);
    for c in theirs {
        entries += 1;
        bytes += serde_json::to_vec(c).map_or(usize::MAX / 2, |v| v.len());
    }
    let (max_entries, max_bytes) = (
        (budget.max_entries / PERSON_SHARE).max(1),
        (budget.max_bytes / PERSON_SHARE).max(1),
    );
    if entries > max_entries || bytes > max_bytes {
        return Err(Refusal::Full(format!(
            "your correction proposals in this meeting have reached your share of its \
             ledger ({max_entries} proposals or {max_bytes} bytes, withdrawn and declined \
             ones included): no more can be filed"
        )));
    }
    Ok(())
}

/// 413 when `next` holds more than the budget allows and more than `before` did.
fn within_budget(before: &Ledger, next: &Ledger, budget: &LedgerBudget) -> Result<(), Refusal> {
    let full = |what: String| {
        Err(Refusal::Full(format!(
            "this meeting's ledger is full ({what}): no more correction proposals can be \
             filed; raise further corrections at the meeting, or ask an administrator to \
             raise the ledger limits (--ledger-max-entries, --ledger-max-bytes)"
        )))
    };
    let entries = next.entries();
    if entries > budget.max_entries && entries > before.entries() {
        return full(format!("{} entries at most", budget.max_entries));
    }
    let size = |l: &Ledger| serde_json::to_vec(l).map_or(usize::MAX, |v| v.len());
    let bytes = size(next);
    if bytes > budget.max_bytes && bytes > size(before) {
        return full(format!("{} bytes at most", budget.max_bytes));
    }
    Ok(())
}

/// 409 unless `correction` still applies to `statement` as it is now: attributed to the
/// proposer, and unchanged (text and attribution) since it was proposed.
fn still_applies(correction: &Correction, statement: &Statement) -> Result<(), Refusal> {
    let id = correction.id;
    let by = &correction.proposed.by;
    let attributed = correction
        .proposed
        .person
        .as_ref()
        .is_some_and(|p| statement.speakers.contains(p));
    if !attributed {
        return Err(Refusal::Conflict(format!(
            "correction #{id} cannot be applied: the statement is no longer attributed to \
             {by}; decline it instead"
        )));
    }
    let Some(base) = &correction.base_sha256 else {
        return Err(Refusal::Conflict(format!(
            "correction #{id} cannot be applied: it was filed before the server recorded \
             the text it corrects; decline it and ask {by} to propose it again"
        )));
    };
    if *base != trust::statement_hash(&statement.text) {
        return Err(Refusal::Conflict(format!(
            "correction #{id} cannot be applied: the statement changed since {by} proposed \
             it; decline it, or ask {by} to propose it again"
        )));
    }
    if let Some(speakers) = &correction.base_speakers {
        if !trust::same_speakers(speakers, &statement.speakers) {
            return Err(Refusal::Conflict(format!(
                "correction #{id} cannot be applied: the statement's attribution changed \
                 since {by} proposed it; decline it, or ask {by} to propose it again"
            )));
        }
    }
    Ok(())
}

fn chair_only(access: &Access, what: &str) -> Result<(), Refusal> {
    if access.role == Some(Role::Chair) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!("only the chair may {what}")))
    }
}

fn find_statement(view: &MeetingView, block: &str) -> Option<Statement> {
    trust::statements(view)
        .into_iter()
        .find(|(_, b)| b.id.0 == block)
        .map(|(_, b)| Statement {
            text: b.text.clone(),
            speakers: trust::speaker_ids(b),
        })
}

/// The caller's register person and statement `block`, if it is attributed to them.
fn own_statement(
    view: &MeetingView,
    access: &Access,
    block: &str,
    ledger: &Ledger,
) -> Result<(String, Statement), Refusal> {
    if ledger.signed() {
        return Err(Refusal::Locked);
    }
    if access.role == Some(Role::Observer) || access.role.is_none() {
        return Err(Refusal::Forbidden(
            "only the person a statement is attributed to may confirm or correct it".into(),
        ));
    }
    let Some(statement) = find_statement(view, block) else {
        return Err(Refusal::NotFound(format!("no statement {block}")));
    };
    match &access.person {
        Some(p) if statement.speakers.contains(p) => Ok((p.clone(), statement)),
        _ => Err(Refusal::Forbidden(
            "this statement is not attributed to you; only its speaker may confirm or correct it"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests;
