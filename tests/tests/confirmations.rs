//! A confirmation binds the person and the words; the record of the invitation
//! behind every decision, and §2's ledger bounds — each through a real server on
//! loopback over a real redb file:
//!
//! - a statement by several people is confirmed only when each of them confirmed it;
//! - re-attributing a confirmed statement unconfirms it, and attributing someone's
//!   statement to yourself, confirming it and restoring the speakers leaves nothing;
//! - a correction is applied only to the statement it was proposed for (409 otherwise);
//! - a correction's word diff against the statement, computed by the server, says when
//!   the statement changed since (and is for members of the meeting only);
//! - one open proposal per person per statement; a per-meeting ledger budget (413);
//! - live ledger pushes carry what changed, not the whole ledger;
//! - ledgers and signed versions stored in the old form still load and verify.

use minutebook_shared::client::SyncClient;
use minutebook_shared::meeting::{Attendance, BlockId, BlockKind, Meeting, PersonId};
use minutebook_shared::protocol::{Message, MSG_LEDGER, MSG_LEDGER_CHANGE, SUBPROTOCOL};
use minutebook_shared::trust::{
    self, CorrectionStatus, Ledger, LedgerChange, Readiness, Role, StatementStatus,
};
use minutebook_tests::http::Client;
use minutebook_tests::raw::{RawClient, Received};
use minutebook_tests::{TestServer, PATIENCE};
use redb::ReadableTable;
use serde_json::{json, Value};
use yrs::Transact;

const MEETING: &str = "board-2026-12";

/// A small meeting: Pat and Quinn share statement `joint`; `solo` is Pat's alone. The
/// chair (Cleo) speaks for a register person too. Everyone joins through an invitation.
struct World {
    server: TestServer,
    editor: SyncClient,
    pat_id: String,
    quinn_id: String,
    cleo_id: String,
    joint: String,
    solo: String,
    chair: String,
    taker: String,
    pat: String,
    quinn: String,
}

impl World {
    async fn new() -> World {
        Self::with(|_| {}).await
    }

    async fn with(tweak: impl FnOnce(&mut minutebook_server::ServerConfig)) -> World {
        let server = TestServer::start_with(tweak).await;
        let editor = server.client(MEETING);
        editor.wait_synced(PATIENCE).await.expect("synced");
        let m = Meeting::new(editor.doc().clone());
        let (pat_id, quinn_id, cleo_id, joint, solo) = {
            let mut txn = editor.doc().transact_mut();
            let person = |name: &str, short: &str| minutebook_shared::meeting::Person {
                name: name.into(),
                short: short.into(),
                ..Default::default()
            };
            let cleo = m.add_person(&mut txn, &person("Cleo Chair", "CC"), &Attendance::Present);
            let pat = m.add_person(&mut txn, &person("Pat Price", "PP"), &Attendance::Present);
            let quinn = m.add_person(&mut txn, &person("Quinn Q", "QQ"), &Attendance::Present);
            m.set_chair(&mut txn, Some(&cleo)).expect("chair");
            let item = m.insert_item(&mut txn, None, 0, "Finance").expect("item");
            let joint = m
                .insert_block(
                    &mut txn,
                    &item,
                    0,
                    BlockKind::Paragraph,
                    "PP and QQ said the budget holds.",
                )
                .expect("block");
            m.set_speakers(&mut txn, &joint, &[pat.clone(), quinn.clone()])
                .expect("speakers");
            let solo = m
                .insert_block(
                    &mut txn,
                    &item,
                    1,
                    BlockKind::Paragraph,
                    "PP said hiring is late.",
                )
                .expect("block");
            m.set_speakers(&mut txn, &solo, std::slice::from_ref(&pat))
                .expect("speakers");
            (pat.0, quinn.0, cleo.0, joint.0, solo.0)
        };
        editor.wait_saved(PATIENCE).await.expect("saved");
        let chair = server
            .member(MEETING, "Cleo", Some(&cleo_id), Role::Chair)
            .await;
        let taker = server
            .member(MEETING, "Tess", None, Role::MinuteTaker)
            .await;
        let pat = server
            .member(MEETING, "Pat", Some(&pat_id), Role::Attendee)
            .await;
        let quinn = server
            .member(MEETING, "Quinn", Some(&quinn_id), Role::Attendee)
            .await;
        World {
            server,
            editor,
            pat_id,
            quinn_id,
            cleo_id,
            joint,
            solo,
            chair,
            taker,
            pat,
            quinn,
        }
    }

    fn as_(&self, token: &str) -> Client {
        Client::new(self.server.addr(), Some(token.to_string()))
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .as_(token)
            .post_json(&format!("/api/meetings/{MEETING}/{path}"), &body)
            .await;
        (
            r.status,
            serde_json::from_str(&r.text()).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> String {
        let r = self
            .as_(&self.chair)
            .get(&format!("/api/meetings/{MEETING}/{path}"))
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.text()
    }

    async fn ledger(&self) -> Ledger {
        serde_json::from_str(&self.get("ledger").await).expect("ledger JSON")
    }

    async fn readiness(&self) -> Readiness {
        serde_json::from_str(&self.get("readiness").await).expect("readiness JSON")
    }

    async fn versions(&self) -> Vec<trust::VersionInfo> {
        serde_json::from_str(&self.get("versions").await).expect("versions JSON")
    }

    fn text(&self, block: &str) -> String {
        let m = Meeting::new(self.editor.doc().clone());
        let view = m.view(&m.doc().transact());
        trust::statements(&view)
            .iter()
            .find(|(_, b)| b.id.0 == block)
            .map(|(_, b)| b.text.clone())
            .expect("statement")
    }

    /// Waits until the editor's copy of `block` reads `text` (server changes arrive live).
    async fn wait_text(&self, block: &str, text: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.text(block) != text {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the statement never read {text:?}: {:?}",
                self.text(block)
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    async fn confirm(&self, token: &str, block: &str) -> (u16, Value) {
        let sha = trust::statement_hash(&self.text(block));
        self.post(
            token,
            &format!("statements/{block}/confirm"),
            json!({ "sha256": sha }),
        )
        .await
    }

    async fn propose(&self, token: &str, block: &str, text: &str) -> (u16, Value) {
        self.post(
            token,
            &format!("statements/{block}/corrections"),
            json!({ "text": text, "note": "" }),
        )
        .await
    }

    /// The administrator's editor re-attributes `block` (stored before it returns).
    async fn attribute(&self, block: &str, people: &[&str]) {
        let m = Meeting::new(self.editor.doc().clone());
        {
            let mut txn = self.editor.doc().transact_mut();
            let ids: Vec<PersonId> = people.iter().map(|p| PersonId((*p).into())).collect();
            m.set_speakers(&mut txn, &BlockId(block.into()), &ids)
                .expect("speakers");
        }
        self.editor.wait_saved(PATIENCE).await.expect("saved");
    }

    async fn edit(&self, block: &str, text: &str) {
        let m = Meeting::new(self.editor.doc().clone());
        {
            let mut txn = self.editor.doc().transact_mut();
            m.set_block_text(&mut txn, &BlockId(block.into()), text)
                .expect("text");
        }
        self.editor.wait_saved(PATIENCE).await.expect("saved");
    }
}

fn statement<'a>(r: &'a Readiness, block: &str) -> &'a trust::StatementState {
    r.statements
        .iter()
        .find(|s| s.block == block)
        .expect("statement in readiness")
}

fn speaker(s: &trust::StatementState, person: &str) -> StatementStatus {
    s.by_speaker
        .iter()
        .find(|p| p.person == person)
        .map(|p| p.status)
        .expect("speaker in readiness")
}

#[tokio::test]
async fn a_statement_by_several_people_needs_each_of_them() {
    let w = World::new().await;
    // Before anything: every speaker of every statement is awaited (3 = 2 + 1).
    let r = w.readiness().await;
    assert_eq!((r.confirmed, r.pending, r.changed), (0, 3, 0), "{r:?}");

    for block in [&w.joint, &w.solo] {
        let (status, body) = w.confirm(&w.pat, block).await;
        assert_eq!(status, 200, "{body}");
    }
    // Pat's confirmation does not confirm Quinn's words.
    let r = w.readiness().await;
    let joint = statement(&r, &w.joint);
    assert_eq!(joint.status, StatementStatus::Pending, "{joint:?}");
    assert_eq!(speaker(joint, &w.pat_id), StatementStatus::Confirmed);
    assert_eq!(speaker(joint, &w.quinn_id), StatementStatus::Pending);
    assert_eq!(
        joint
            .missing()
            .map(|s| s.person.clone())
            .collect::<Vec<_>>(),
        vec![w.quinn_id.clone()]
    );
    assert_eq!(statement(&r, &w.solo).status, StatementStatus::Confirmed);
    assert_eq!((r.confirmed, r.pending, r.changed), (2, 1, 0), "{r:?}");
    assert!(!r.complete());

    // Sign-off without an override is refused, and says whose confirmation is missing.
    let (status, body) = w.post(&w.chair, "sign-off", json!({})).await;
    assert_eq!(status, 409, "{body}");
    let refused: Readiness = serde_json::from_value(body["readiness"].clone()).expect("readiness");
    assert_eq!(
        speaker(statement(&refused, &w.joint), &w.quinn_id),
        StatementStatus::Pending
    );
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("1 of 2 statements")),
        "{body}"
    );

    // Quinn confirms: now the statement is confirmed, and sign-off needs no reason.
    let (status, body) = w.confirm(&w.quinn, &w.joint).await;
    assert_eq!(status, 200, "{body}");
    let ledger = w.ledger().await;
    assert_eq!(ledger.confirmations[&w.joint].len(), 2);
    assert_eq!(
        ledger.confirmations[&w.joint][&w.quinn_id].stamp.by,
        "Quinn"
    );
    assert!(w.readiness().await.complete());
    let (status, body) = w.post(&w.chair, "sign-off", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["override_reason"], "");
}

#[tokio::test]
async fn re_attributing_a_confirmed_statement_unconfirms_it() {
    let w = World::new().await;
    let (status, body) = w.confirm(&w.pat, &w.solo).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        statement(&w.readiness().await, &w.solo).status,
        StatementStatus::Confirmed
    );

    // Given to Quinn: Pat's stamp does not carry over; it awaits Quinn.
    w.attribute(&w.solo, &[&w.quinn_id]).await;
    let r = w.readiness().await;
    let solo = statement(&r, &w.solo);
    assert_eq!(solo.status, StatementStatus::Pending, "{solo:?}");
    assert_eq!(speaker(solo, &w.quinn_id), StatementStatus::Pending);
    // …and Pat's confirmation is gone from the ledger everyone reads.
    assert!(w.ledger().await.confirmation(&w.solo, &w.pat_id).is_none());

    // Shared with Quinn: Pat confirmed other words ("PP said"), so Pat is asked again.
    w.attribute(&w.solo, &[&w.pat_id]).await;
    let (status, _) = w.confirm(&w.pat, &w.solo).await;
    assert_eq!(status, 200);
    w.attribute(&w.solo, &[&w.pat_id, &w.quinn_id]).await;
    let r = w.readiness().await;
    let solo = statement(&r, &w.solo);
    assert_eq!(
        speaker(solo, &w.pat_id),
        StatementStatus::Changed,
        "{solo:?}"
    );
    assert_eq!(solo.status, StatementStatus::Changed);
    let (status, body) = w.post(&w.chair, "sign-off", json!({})).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn attributing_a_statement_to_yourself_confirming_and_restoring_leaves_nothing() {
    let w = World::new().await;
    // Everything else confirmed, so only the trick stands between the chair and sign-off.
    let (status, _) = w.confirm(&w.pat, &w.joint).await;
    assert_eq!(status, 200);
    let (status, _) = w.confirm(&w.quinn, &w.joint).await;
    assert_eq!(status, 200);

    // The trick: give Pat's statement to the chair's person, confirm it, restore Pat.
    w.attribute(&w.solo, &[&w.cleo_id]).await;
    let (status, body) = w.confirm(&w.chair, &w.solo).await;
    assert_eq!(status, 200, "{body}");
    w.attribute(&w.solo, &[&w.pat_id]).await;

    let ledger = w.ledger().await;
    assert!(
        !ledger.confirmations.contains_key(&w.solo),
        "a confirmation was left behind: {:?}",
        ledger.confirmations.get(&w.solo)
    );
    let r = w.readiness().await;
    assert_eq!(statement(&r, &w.solo).status, StatementStatus::Pending);
    let (status, body) = w.post(&w.chair, "sign-off", json!({})).await;
    assert_eq!(
        status, 409,
        "the chair signed off on a borrowed confirmation: {body}"
    );
    // The stored ledger lost it too (the refused sign-off wrote nothing, a later
    // decision drops it).
    let (status, _) = w.confirm(&w.pat, &w.joint).await;
    assert_eq!(status, 200);
    assert!(!w.ledger().await.confirmations.contains_key(&w.solo));
}

#[tokio::test]
async fn a_correction_is_shown_word_by_word_against_the_statement() {
    let w = World::new().await;
    let (status, body) = w
        .propose(&w.pat, &w.solo, "PP said hiring is two months late.")
        .await;
    assert_eq!(status, 201, "{body}");
    let id = w.ledger().await.corrections[0].id;
    let diff = |token: String| {
        let client = w.as_(&token);
        async move {
            client
                .get(&format!("/api/meetings/{MEETING}/corrections/{id}/diff"))
                .await
        }
    };
    let r = diff(w.taker.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let d: minutebook_shared::api::CorrectionDiff = serde_json::from_str(&r.text()).unwrap();
    let part = |op: &str| -> String {
        d.runs
            .iter()
            .filter(|r| r.op.as_str() == op)
            .map(|r| r.text.as_str())
            .collect()
    };
    assert_eq!(part("insert").trim(), "two months");
    assert!(part("delete").is_empty(), "{:?}", d.runs);
    assert!(!d.stale);
    // The proposer may read it too; someone without access to the meeting may not.
    assert_eq!(diff(w.pat.clone()).await.status, 200);
    let outsider = w
        .server
        .anonymous()
        .get(&format!("/api/meetings/{MEETING}/corrections/{id}/diff"))
        .await;
    assert!(matches!(outsider.status, 401 | 403), "{}", outsider.status);
    let missing = w
        .as_(&w.taker)
        .get(&format!("/api/meetings/{MEETING}/corrections/999/diff"))
        .await;
    assert_eq!(missing.status, 404);
    // Once the statement changes, the diff is against the new text, and says so.
    w.edit(&w.solo, "PP said hiring is somewhat late.").await;
    let d: minutebook_shared::api::CorrectionDiff =
        serde_json::from_str(&diff(w.taker.clone()).await.text()).unwrap();
    assert!(d.stale);
    assert!(d
        .runs
        .iter()
        .any(|r| r.op.as_str() == "delete" && r.text.contains("somewhat")));
}

#[tokio::test]
async fn a_correction_applies_only_to_the_statement_it_was_proposed_for() {
    let w = World::new().await;
    // Re-attributed since the proposal: 409, nothing applied.
    let (status, body) = w
        .propose(&w.pat, &w.solo, "PP said hiring is two months late.")
        .await;
    assert_eq!(status, 201, "{body}");
    let id = w.ledger().await.corrections[0].id;
    w.attribute(&w.solo, &[&w.quinn_id]).await;
    let (status, body) = w
        .post(&w.taker, &format!("corrections/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("no longer attributed to Pat")),
        "{body}"
    );
    assert_eq!(w.text(&w.solo), "PP said hiring is late.");

    // Changed since the proposal (even when given back to the proposer): 409.
    w.attribute(&w.solo, &[&w.pat_id]).await;
    w.edit(&w.solo, "PP said hiring is somewhat late.").await;
    let (status, body) = w
        .post(&w.taker, &format!("corrections/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("changed since")),
        "{body}"
    );
    assert_eq!(w.text(&w.solo), "PP said hiring is somewhat late.");
    assert_eq!(
        w.ledger().await.corrections[0].status,
        CorrectionStatus::Open
    );

    // A fresh proposal against the text as it is: accepted, applied, confirmed by Pat,
    // and recorded with the invitations of the proposer and of the minute-taker.
    let (status, _) = w
        .propose(&w.pat, &w.solo, "PP said hiring is a month late.")
        .await;
    assert_eq!(status, 201);
    let ledger = w.ledger().await;
    let fresh = ledger
        .corrections
        .iter()
        .find(|c| c.status == CorrectionStatus::Open)
        .expect("open proposal");
    let (status, body) = w
        .post(
            &w.taker,
            &format!("corrections/{}/accept", fresh.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    w.wait_text(&w.solo, "PP said hiring is a month late.")
        .await;
    let ledger = w.ledger().await;
    let accepted = ledger
        .corrections
        .iter()
        .find(|c| c.id == fresh.id)
        .expect("accepted");
    let decided = accepted.decided.as_ref().expect("decided");
    assert_eq!(decided.by, "Tess");
    assert!(decided.invite.is_some());
    assert_eq!(decided.issued_by.as_deref(), Some("Test Administrator"));
    assert_eq!(
        statement(&w.readiness().await, &w.solo).status,
        StatementStatus::Confirmed
    );
}

#[tokio::test]
async fn every_decision_records_the_invitation_and_its_issuer() {
    let w = World::new().await;
    for (token, block) in [(&w.pat, &w.joint), (&w.quinn, &w.joint), (&w.pat, &w.solo)] {
        let (status, body) = w.confirm(token, block).await;
        assert_eq!(status, 200, "{body}");
    }
    let ledger = w.ledger().await;
    let c = &ledger.confirmations[&w.joint][&w.pat_id];
    let pat_invite = c
        .stamp
        .invite
        .expect("the confirmation names its invitation");
    assert_eq!(c.stamp.issued_by.as_deref(), Some("Test Administrator"));
    assert_eq!(
        c.speakers.as_deref(),
        Some(&[w.pat_id.clone(), w.quinn_id.clone()][..])
    );
    let quinn_invite = ledger.confirmations[&w.joint][&w.quinn_id]
        .stamp
        .invite
        .expect("invite");
    assert_ne!(pat_invite, quinn_invite);

    let (status, body) = w.post(&w.chair, "sign-off", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let versions = w.versions().await;
    let signed = &versions[0].signed;
    assert_eq!(signed.by, "Cleo");
    assert!(signed.invite.is_some() && signed.invite != Some(pat_invite));
    assert_eq!(signed.issued_by.as_deref(), Some("Test Administrator"));
    let audit: Vec<trust::AuditEntry> =
        serde_json::from_str(&w.get("audit").await).expect("audit JSON");
    for event in ["confirm", "sign-off"] {
        assert!(
            audit.iter().any(|e| e.event == event
                && e.detail.contains("via invitation #")
                && e.detail.contains("issued by Test Administrator")),
            "no {event} with its invitation in {audit:#?}"
        );
    }
}

#[tokio::test]
async fn a_new_proposal_withdraws_the_previous_one() {
    let w = World::new().await;
    let (status, _) = w.propose(&w.pat, &w.solo, "First try.").await;
    assert_eq!(status, 201);
    let (status, _) = w.propose(&w.quinn, &w.joint, "Quinn's version.").await;
    assert_eq!(status, 201);
    let (status, _) = w.propose(&w.pat, &w.solo, "Second try.").await;
    assert_eq!(status, 201);
    let ledger = w.ledger().await;
    let pats: Vec<_> = ledger
        .corrections
        .iter()
        .filter(|c| c.block == w.solo)
        .collect();
    assert_eq!(pats.len(), 2);
    assert_eq!(pats[0].status, CorrectionStatus::Withdrawn);
    assert!(
        pats[0].reason.contains(&format!("#{}", pats[1].id)),
        "{:?}",
        pats[0]
    );
    assert_eq!(pats[1].status, CorrectionStatus::Open);
    assert_eq!(pats[1].text, "Second try.");
    // Another person's proposal (and another statement's) stays open.
    assert_eq!(ledger.open_corrections(&w.joint).count(), 1);
    assert_eq!(w.readiness().await.corrections_open, 2);
    // A withdrawn proposal cannot be accepted.
    let (status, _) = w
        .post(
            &w.taker,
            &format!("corrections/{}/accept", pats[0].id),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn the_ledger_budget_refuses_proposals_but_never_the_meetings_business() {
    let w = World::with(|c| {
        c.ledger_max_entries = 16;
        c.ledger_max_bytes = 64 << 10;
    })
    .await;
    // Entries: each proposal is one (the withdrawn ones stay on record), and one person's
    // proposals may hold an eighth of the budget: two of sixteen.
    for n in 0..2 {
        let (status, body) = w.propose(&w.pat, &w.solo, &format!("Try {n}.")).await;
        assert_eq!(status, 201, "{n}: {body}");
    }
    let (status, body) = w.propose(&w.pat, &w.solo, "Once more.").await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("your share")),
        "{body}"
    );
    // Pat's proposals did not use up anyone else's room.
    let (status, body) = w.propose(&w.quinn, &w.joint, "One more.").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(w.ledger().await.corrections.len(), 3);
    // Confirmations, decisions and sign-off still go through.
    let (status, body) = w.confirm(&w.quinn, &w.joint).await;
    assert_eq!(status, 200, "{body}");
    let id = w
        .ledger()
        .await
        .open_corrections(&w.solo)
        .next()
        .expect("open")
        .id;
    let (status, body) = w
        .post(
            &w.taker,
            &format!("corrections/{id}/decline"),
            json!({ "reason": "no" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w
        .post(
            &w.chair,
            "sign-off",
            json!({ "override_reason": "flooded" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Bytes: a share of 64 KiB (of 512) holds three 20,000-character proposals, not four;
    // the next person still files theirs.
    let w = World::with(|c| c.ledger_max_bytes = 512 << 10).await;
    let big = "x".repeat(19_990);
    let mut refused = None;
    for n in 0..6 {
        let (status, body) = w.propose(&w.pat, &w.solo, &format!("{n}{big}")).await;
        if status != 201 {
            refused = Some((n, status, body));
            break;
        }
    }
    let (n, status, body) = refused.expect("the byte share refused a proposal");
    assert_eq!((n, status), (3, 413), "{body}");
    let (status, body) = w.propose(&w.quinn, &w.joint, &format!("q{big}")).await;
    assert_eq!(status, 201, "{body}");
    assert!(serde_json::to_vec(&w.ledger().await).expect("json").len() <= 512 << 10);
}

/// Reads ledger messages from `watcher` until its ledger reaches `revision`; returns
/// the bytes of ledger messages read and the ledger rebuilt from them.
async fn watch(watcher: &mut RawClient, ledger: &mut Option<Ledger>, revision: u64) -> usize {
    let mut bytes = 0;
    while ledger.as_ref().is_none_or(|l| l.revision < revision) {
        match watcher.recv().await {
            Received::Message(Message::Custom(MSG_LEDGER, payload)) => {
                bytes += payload.len();
                *ledger = Some(serde_json::from_slice(&payload).expect("ledger"));
            }
            Received::Message(Message::Custom(MSG_LEDGER_CHANGE, payload)) => {
                bytes += payload.len();
                let change: LedgerChange = serde_json::from_slice(&payload).expect("change");
                let l = ledger.as_mut().expect("the whole ledger comes first");
                assert_eq!(l.apply(&change), Ok(true), "changes come in order");
            }
            Received::Message(_) => {}
            other => panic!("watcher lost: {other:?}"),
        }
    }
    bytes
}

#[tokio::test]
async fn a_watcher_receives_what_changed_not_the_whole_ledger() {
    // Room for one person's 60 large proposals (their share is an eighth of the budget).
    let w = World::with(|c| c.ledger_max_bytes = 16 << 20).await;
    let observer = w
        .server
        .member(MEETING, "Olive", None, Role::Observer)
        .await;
    let mut watcher = RawClient::connect_as(
        &w.server.ws_url(MEETING),
        Some(SUBPROTOCOL),
        Some(&observer),
    )
    .await;
    let mut ledger = None;
    watch(&mut watcher, &mut ledger, 0).await;

    // 60 proposals of 20,000 characters: each replaces the previous one.
    let big = "y".repeat(19_990);
    for n in 0..60 {
        let block = if n % 2 == 0 { &w.solo } else { &w.joint };
        let (status, body) = w.propose(&w.pat, block, &format!("{n} {big}")).await;
        assert_eq!(status, 201, "{n}: {body}");
    }
    let stored = w.ledger().await;
    assert!(stored.revision >= 60);
    let bytes = watch(&mut watcher, &mut ledger, stored.revision).await;
    // The whole ledger each time would be about 60 × 30 × 20 KB = 36 MB; the changes are
    // the proposals themselves and a few hundred bytes each.
    assert!(
        bytes < 60 * (20_000 + 2_000),
        "{bytes} bytes of ledger messages for 60 proposals"
    );
    // What the watcher rebuilt is the ledger the server has.
    assert_eq!(ledger.as_ref(), Some(&stored));
    let open = stored
        .corrections
        .iter()
        .filter(|c| c.status == CorrectionStatus::Open)
        .count();
    assert_eq!(open, 2, "one open proposal per statement");

    // The native client rebuilds it the same way.
    let native = w.server.client_as(MEETING, &observer);
    native.wait_synced(PATIENCE).await.expect("synced");
    let (status, _) = w.confirm(&w.quinn, &w.joint).await;
    assert_eq!(status, 200);
    let expected = w.ledger().await;
    let status = native
        .wait_for("the confirmation", PATIENCE, |s| {
            s.ledger
                .as_ref()
                .is_some_and(|l| l.revision == expected.revision)
        })
        .await
        .expect("the native client follows");
    assert_eq!(status.ledger.as_ref(), Some(&expected));
    native.close().await;
}

#[tokio::test]
async fn ledgers_and_versions_stored_in_the_old_form_load_and_verify() {
    let mut w = World::new().await;
    let (status, _) = w.confirm(&w.pat, &w.solo).await;
    assert_eq!(status, 200);
    let (status, _) = w.confirm(&w.quinn, &w.joint).await;
    assert_eq!(status, 200);
    let (status, body) = w
        .post(
            &w.chair,
            "sign-off",
            json!({ "override_reason": "Pat was away" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let version: trust::VersionInfo = serde_json::from_value(body).expect("version");
    let solo_text = w.text(&w.solo);
    let joint_text = w.text(&w.joint);
    let ledger = w.ledger().await;
    w.server.stop().await;

    // Rewrite both records as the previous release stored them: one confirmation per
    // statement, stamps without invitations, no revision, readiness per statement.
    let stamp = |by: &str, person: Option<&str>, at: u64| {
        let mut s = json!({ "by": by, "at": at });
        if let Some(p) = person {
            s["person"] = json!(p);
        }
        s
    };
    let old_confirmation = |c: &trust::Confirmation| {
        json!({
            "stamp": stamp(&c.stamp.by, c.stamp.person.as_deref(), c.stamp.at),
            "sha256": c.sha256,
        })
    };
    let old_ledger = json!({
        "state": "signed",
        "confirmations": {
            w.solo.clone(): old_confirmation(&ledger.confirmations[&w.solo][&w.pat_id]),
            w.joint.clone(): old_confirmation(&ledger.confirmations[&w.joint][&w.quinn_id]),
        },
        "corrections": [],
        "versions": [{
            "version": 1,
            "signed": stamp("Cleo", Some(&w.cleo_id), version.signed.at),
            "sha256": version.sha256,
            "override_reason": "Pat was away",
            "readiness": {
                "confirmed": 2, "pending": 0, "changed": 0, "corrections_open": 0,
                "statements": [
                    { "block": w.joint, "item": "1", "speakers": [w.pat_id, w.quinn_id], "status": "confirmed" },
                    { "block": w.solo, "item": "1", "speakers": [w.pat_id], "status": "confirmed" },
                ],
            },
        }],
        "reopenings": [],
    });
    let db_path = w.server.config.data_dir.join("minutebook.redb");
    {
        let db = redb::Database::open(&db_path).expect("opens the store");
        let ledgers: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("ledgers");
        let versions: redb::TableDefinition<(&str, u32), &[u8]> =
            redb::TableDefinition::new("versions");
        let txn = db.begin_write().expect("write");
        {
            let mut table = txn.open_table(ledgers).expect("ledgers");
            let bytes = serde_json::to_vec(&old_ledger).expect("json");
            table.insert(MEETING, bytes.as_slice()).expect("insert");
            let mut table = txn.open_table(versions).expect("versions");
            let stored: Value = serde_json::from_slice(
                table
                    .get((MEETING, 1))
                    .expect("get")
                    .expect("version 1")
                    .value(),
            )
            .expect("version JSON");
            let mut old = stored.clone();
            old["info"] = old_ledger["versions"][0].clone();
            let bytes = serde_json::to_vec(&old).expect("json");
            table
                .insert((MEETING, 1), bytes.as_slice())
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    w.server.restart().await;

    // The old ledger loads, migrated to per-speaker confirmations.
    let ledger = w.ledger().await;
    assert!(ledger.signed());
    assert_eq!(ledger.confirmations[&w.solo][&w.pat_id].stamp.by, "Pat");
    assert_eq!(
        ledger.confirmations[&w.joint][&w.quinn_id].stamp.by,
        "Quinn"
    );
    let r = w.readiness().await;
    assert_eq!(statement(&r, &w.solo).status, StatementStatus::Confirmed);
    // The joint statement was confirmed by Quinn only: per speaker, Pat is still awaited.
    let joint = statement(&r, &w.joint);
    assert_eq!(speaker(joint, &w.quinn_id), StatementStatus::Confirmed);
    assert_eq!(speaker(joint, &w.pat_id), StatementStatus::Pending);
    assert_eq!(
        trust::statement_hash(&solo_text),
        ledger.confirmations[&w.solo][&w.pat_id].sha256
    );
    let versions = w.versions().await;
    assert!(versions[0].readiness.statements[0].by_speaker.is_empty());

    // The signed version of the old form still exports and verifies.
    let export = w
        .as_(&w.pat)
        .get(&format!("/api/meetings/{MEETING}/versions/1/export.md"))
        .await;
    assert_eq!(export.status, 200, "{}", export.text());
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("v1.md");
    std::fs::write(&file, export.text()).expect("write");
    let out = tokio::process::Command::new(minutebook_tests::server_binary())
        .arg("verify")
        .arg(&file)
        .arg("--server")
        .arg(w.server.http_url())
        .output()
        .await
        .expect("runs verify");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("VERIFIED"), "{text}");

    // Reopened, the migrated ledger takes new per-speaker confirmations.
    let (status, body) = w
        .post(&w.chair, "reopen", json!({ "reason": "Pat is back" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w
        .post(
            &w.pat,
            &format!("statements/{}/confirm", w.joint),
            json!({ "sha256": trust::statement_hash(&joint_text) }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(w.readiness().await.complete());
}
