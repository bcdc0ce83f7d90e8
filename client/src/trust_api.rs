//! The trust HTTP API of `server/API.md`: the session (setup, invitations, sign
//! out), the ledger's commands (confirm, propose, accept, decline, sign off, reopen),
//! the resolution on the previous meeting's minutes, versions and their diffs, invitations, the audit log and the action log of a series.
//! Same origin, so the session
//! cookie goes along by itself. Answers are parsed into `minutebook_shared::trust` types;
//! request bodies and answer parsing are pure and unit-tested natively.

use minutebook_shared::meeting::part2::OwnStatement;
use std::fmt;

use minutebook_shared::api::{
    CorrectionDiff, PreviousMinutes, ResolveRequest, SeriesAction, VersionDiff,
};
use minutebook_shared::branding::{Branding, BrandingTexts};
use minutebook_shared::publication::Publication;
use minutebook_shared::trust::{
    Approval, AuditEntry, InviteInfo, Ledger, Role, SessionInfo, VersionInfo,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
#[cfg(test)]
use serde_json::Value;

use crate::api::{fetch, fetch_js, Failure};
use crate::route::escape;

/// A failed call: the HTTP status (0 when the server could not be reached) and what the
/// server (or the browser) said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status, 0 for a network failure.
    pub status: u16,
    /// The server's `error`, else a description.
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApiError {
    fn network(message: String) -> ApiError {
        ApiError { status: 0, message }
    }
}

/// Reads an answer: `T` on a 2xx status, else the server's `{"error"}`.
pub fn parse<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|e| ApiError {
            status,
            message: format!("unexpected answer from the server: {e}"),
        });
    }
    Err(error_of(status, body))
}

/// The error of a failed answer.
pub fn error_of(status: u16, body: &str) -> ApiError {
    let message = match serde_json::from_str::<Failure>(body) {
        Ok(f) if !f.error.trim().is_empty() => f.error,
        _ if body.trim().is_empty() || body.trim_start().starts_with('<') => {
            format!("the server answered {status}")
        }
        _ => format!("the server answered {status}: {}", body.trim()),
    };
    ApiError { status, message }
}

/// Reads an answer without a body of interest (`DELETE /api/session` → 204).
pub fn parse_empty(status: u16, body: &str) -> Result<(), ApiError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(error_of(status, body))
    }
}

/// `/api/meetings/{name}` with `name` escaped, followed by `rest`.
pub fn meeting_url(name: &str, rest: &str) -> String {
    format!("/api/meetings/{}{rest}", escape(name))
}

/// Where a signed version's rendering downloads from (`ext` = `md` or `html`).
pub fn version_export_url(meeting: &str, version: u32, ext: &str) -> String {
    meeting_url(meeting, &format!("/versions/{version}/export.{ext}"))
}

/// Where a signed version's public version (exempt items withheld, with the proof)
/// downloads.
pub fn public_version_url(meeting: &str, version: u32) -> String {
    meeting_url(meeting, &format!("/versions/{version}/public.md"))
}

/// Where a signed version's public PDF or Word document (`ext` "pdf" or "docx") downloads:
/// rendered only for a version that withholds exempt items.
pub fn public_output_url(meeting: &str, version: u32, ext: &str) -> String {
    meeting_url(meeting, &format!("/versions/{version}/public.{ext}"))
}

/// Where the approval of version `version` (a later meeting's resolution on it) downloads
/// as a signed record.
pub fn approval_url(meeting: &str, version: u32) -> String {
    meeting_url(meeting, &format!("/versions/{version}/approval.txt"))
}

/// Where the audit log downloads as CSV.
pub fn audit_csv_url(meeting: &str) -> String {
    meeting_url(meeting, "/audit?format=csv")
}

/// The body of `POST /api/meetings/{name}/invites`.
pub fn invite_body(
    name: &str,
    person: Option<&str>,
    role: Role,
    hours: Option<u32>,
    series: bool,
    restricted: Option<bool>,
) -> String {
    let mut v = json!({ "name": name, "role": role.as_str() });
    if series {
        v["series"] = json!(true);
    }
    if let Some(r) = restricted {
        v["restricted"] = json!(r);
    }
    if let Some(p) = person.filter(|p| !p.is_empty()) {
        v["person"] = json!(p);
    }
    if let Some(h) = hours {
        v["expires_in_hours"] = json!(h);
    }
    v.to_string()
}

/// The body of `POST …/sign-off`: an override reason only when one is given.
pub fn sign_off_body(override_reason: &str) -> String {
    let reason = override_reason.trim();
    if reason.is_empty() {
        "{}".to_owned()
    } else {
        json!({ "override_reason": reason }).to_string()
    }
}

/// The meeting named by a `POST /api/session` answer, when the server says it.
pub fn answered_meeting(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        meeting: Option<String>,
    }
    serde_json::from_str::<Named>(body).ok()?.meeting
}

async fn call(method: &str, url: &str, body: Option<String>) -> Result<(u16, String), ApiError> {
    let body = body.map(|b| ("application/json", b));
    fetch(method, url, body).await.map_err(ApiError::network)
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    let (status, body) = call("GET", url, None).await?;
    parse(status, &body)
}

/// POSTs a JSON body (a `serde_json::Value` or a ready string).
async fn post<T: DeserializeOwned>(url: &str, body: impl fmt::Display) -> Result<T, ApiError> {
    let (status, text) = call("POST", url, Some(body.to_string())).await?;
    parse(status, &text)
}

/// `GET /api/branding`: the organisation's branding in force (administrators).
pub async fn branding() -> Result<Branding, ApiError> {
    get("/api/branding").await
}

/// `PUT /api/branding`: sets the branding's texts.
pub async fn set_branding(texts: &BrandingTexts) -> Result<Branding, ApiError> {
    let body = serde_json::to_string(texts).unwrap_or_default();
    let (status, text) = call("PUT", "/api/branding", Some(body)).await?;
    parse(status, &text)
}

/// `PUT /api/branding/logo` with the file as the body.
pub async fn set_logo(file: &web_sys::File) -> Result<Branding, ApiError> {
    let (status, text) = fetch_js("PUT", "/api/branding/logo", Some((None, file.into())))
        .await
        .map_err(ApiError::network)?;
    parse(status, &text)
}

/// `DELETE /api/branding/logo`.
pub async fn remove_logo() -> Result<Branding, ApiError> {
    let (status, text) = call("DELETE", "/api/branding/logo", None).await?;
    parse(status, &text)
}

/// `GET /api/session`: who the caller is (401 when signed out).
pub async fn session() -> Result<SessionInfo, ApiError> {
    get("/api/session").await
}

/// `POST /api/setup`: creates the first administrator.
pub async fn setup(token: &str, name: &str) -> Result<SessionInfo, ApiError> {
    post("/api/setup", json!({ "token": token, "name": name })).await
}

/// `POST /api/session`: redeems an invitation link; the session and, when the server
/// says it, the meeting the invitation is for.
pub async fn redeem(invite: &str) -> Result<(SessionInfo, Option<String>), ApiError> {
    let request = json!({ "invite": invite }).to_string();
    let (status, body) = call("POST", "/api/session", Some(request)).await?;
    let session = parse(status, &body)?;
    Ok((session, answered_meeting(&body)))
}

/// `POST /api/session` with a device link's token: signs this device in with the grants
/// of the session that made the link.
pub async fn redeem_device(token: &str) -> Result<SessionInfo, ApiError> {
    post("/api/session", json!({ "device": token })).await
}

/// A device link (`POST /api/session/device-link`): the link and its expiry (unix ms).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DeviceLink {
    pub link: String,
    pub expires_at: u64,
}

/// `POST /api/session/device-link`: a short-lived, single-use link that signs another of
/// the user's devices in with the same access.
pub async fn device_link() -> Result<DeviceLink, ApiError> {
    post("/api/session/device-link", "{}").await
}

/// `DELETE /api/session`: signs out.
pub async fn sign_out() -> Result<(), ApiError> {
    let (status, body) = call("DELETE", "/api/session", None).await?;
    parse_empty(status, &body)
}

/// `GET …/ledger`.
pub async fn ledger(meeting: &str) -> Result<Ledger, ApiError> {
    get(&meeting_url(meeting, "/ledger")).await
}

/// `GET …/restricted/mine`: the caller's own statements in Part II (for a page without
/// restricted access, whose minutes hold only placeholders there).
pub async fn part2_mine(meeting: &str) -> Result<Vec<OwnStatement>, ApiError> {
    get(&meeting_url(meeting, "/restricted/mine")).await
}

/// `GET …/corrections/{id}/diff`: the correction against the statement's current text.
pub async fn correction_diff(meeting: &str, id: u64) -> Result<CorrectionDiff, ApiError> {
    get(&meeting_url(meeting, &format!("/corrections/{id}/diff"))).await
}

/// `POST …/statements/{block}/confirm` with the hash of the text the user saw.
pub async fn confirm(meeting: &str, block: &str, sha256: &str) -> Result<Ledger, ApiError> {
    let url = meeting_url(meeting, &format!("/statements/{}/confirm", escape(block)));
    post(&url, json!({ "sha256": sha256 })).await
}

/// `POST …/statements/{block}/corrections`.
pub async fn propose(
    meeting: &str,
    block: &str,
    text: &str,
    note: &str,
) -> Result<Ledger, ApiError> {
    let url = meeting_url(
        meeting,
        &format!("/statements/{}/corrections", escape(block)),
    );
    post(&url, json!({ "text": text, "note": note })).await
}

/// `POST …/corrections/{id}/accept`.
pub async fn accept(meeting: &str, id: u64) -> Result<Ledger, ApiError> {
    post(
        &meeting_url(meeting, &format!("/corrections/{id}/accept")),
        json!({}),
    )
    .await
}

/// `POST …/corrections/{id}/decline`.
pub async fn decline(meeting: &str, id: u64, reason: &str) -> Result<Ledger, ApiError> {
    let url = meeting_url(meeting, &format!("/corrections/{id}/decline"));
    post(&url, json!({ "reason": reason })).await
}

/// `POST …/sign-off`.
pub async fn sign_off(meeting: &str, override_reason: &str) -> Result<VersionInfo, ApiError> {
    post(
        &meeting_url(meeting, "/sign-off"),
        sign_off_body(override_reason),
    )
    .await
}

/// `POST …/reopen`.
pub async fn reopen(meeting: &str, reason: &str) -> Result<Ledger, ApiError> {
    post(
        &meeting_url(meeting, "/reopen"),
        json!({ "reason": reason }),
    )
    .await
}

/// `GET …/previous-minutes`: the minutes this meeting agrees (`None` for a first
/// meeting).
pub async fn previous_minutes(meeting: &str) -> Result<Option<PreviousMinutes>, ApiError> {
    match get(&meeting_url(meeting, "/previous-minutes")).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST …/previous-minutes`: the chair records the resolution on them.
pub async fn resolve(meeting: &str, req: &ResolveRequest) -> Result<Approval, ApiError> {
    post(
        &meeting_url(meeting, "/previous-minutes"),
        serde_json::to_value(req).unwrap_or_default(),
    )
    .await
}

/// `GET …/publication`: the published version (`None` when nothing is published).
pub async fn publication(meeting: &str) -> Result<Option<Publication>, ApiError> {
    match get(&meeting_url(meeting, "/publication")).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST …/publication`: publishes signed version `version`.
pub async fn publish(meeting: &str, version: u32) -> Result<Publication, ApiError> {
    post(
        &meeting_url(meeting, "/publication"),
        json!({ "version": version }),
    )
    .await
}

/// `DELETE …/publication`: withdraws the published version.
pub async fn unpublish(meeting: &str) -> Result<Publication, ApiError> {
    let (status, body) = call("DELETE", &meeting_url(meeting, "/publication"), None).await?;
    parse(status, &body)
}

/// What moved into Part II (`POST …/items/{id}/exempt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct MovedCounts {
    /// Items (the exempt one and its sub-items).
    pub items: usize,
    /// Blocks.
    pub blocks: usize,
    /// Actions.
    pub actions: usize,
}

/// Where an item's exemption is set (POST) and taken back (DELETE).
pub fn exempt_url(meeting: &str, item: &str) -> String {
    meeting_url(meeting, &format!("/items/{}/exempt", escape(item)))
}

/// The body of `POST …/items/{id}/exempt`.
pub fn exempt_body(exemption: &str, note: &str, public_title: &str) -> serde_json::Value {
    json!({ "exemption": exemption, "note": note, "public_title": public_title })
}

/// `POST …/items/{id}/exempt`: marks the item exempt and moves its content into Part II
/// (the server rebuilds the main document without it).
pub async fn make_exempt(
    meeting: &str,
    item: &str,
    exemption: &str,
    note: &str,
    public_title: &str,
) -> Result<MovedCounts, ApiError> {
    post(
        &exempt_url(meeting, item),
        exempt_body(exemption, note, public_title),
    )
    .await
}

/// `DELETE …/items/{id}/exempt`: moves the item back into Part I.
pub async fn make_public(meeting: &str, item: &str) -> Result<(), ApiError> {
    let (status, body) = call("DELETE", &exempt_url(meeting, item), None).await?;
    parse_empty(status, &body)
}

/// `GET …/versions/{n}/diff`.
pub async fn diff(meeting: &str, version: u32) -> Result<VersionDiff, ApiError> {
    get(&meeting_url(meeting, &format!("/versions/{version}/diff"))).await
}

/// `GET …/invites`.
pub async fn invites(meeting: &str) -> Result<Vec<InviteInfo>, ApiError> {
    get(&meeting_url(meeting, "/invites")).await
}

/// `POST …/invites` (with `series`: to every meeting of the meeting's series): the new invitation, with its link.
pub async fn create_invite(
    meeting: &str,
    name: &str,
    person: Option<&str>,
    role: Role,
    hours: Option<u32>,
    series: bool,
    restricted: Option<bool>,
) -> Result<InviteInfo, ApiError> {
    let body = invite_body(name, person, role, hours, series, restricted);
    post(&meeting_url(meeting, "/invites"), body).await
}

/// `POST …/invites/{id}/reissue`: a new link (the old one stops working).
pub async fn reissue(meeting: &str, id: u64) -> Result<InviteInfo, ApiError> {
    post(
        &meeting_url(meeting, &format!("/invites/{id}/reissue")),
        json!({}),
    )
    .await
}

/// `POST …/invites/{id}/revoke`.
pub async fn revoke(meeting: &str, id: u64) -> Result<InviteInfo, ApiError> {
    post(
        &meeting_url(meeting, &format!("/invites/{id}/revoke")),
        json!({}),
    )
    .await
}

/// `POST …/invites/{id}/role`.
pub async fn set_role(meeting: &str, id: u64, role: Role) -> Result<InviteInfo, ApiError> {
    let url = meeting_url(meeting, &format!("/invites/{id}/role"));
    post(&url, json!({ "role": role.as_str() })).await
}

/// `GET …/audit?limit=`: the newest `count` entries (oldest first), and whether older
/// ones exist (asks for one more than it returns; `count` below the server's most, 5,000).
pub async fn audit(meeting: &str, count: usize) -> Result<(Vec<AuditEntry>, bool), ApiError> {
    let url = meeting_url(meeting, &format!("/audit?limit={}", count + 1));
    let mut entries: Vec<AuditEntry> = get(&url).await?;
    let more = entries.len() > count;
    if more {
        entries.drain(..entries.len() - count);
    }
    Ok((entries, more))
}

/// `GET …/series-actions`: the action log of the meeting's series.
pub async fn series_actions(meeting: &str) -> Result<Vec<SeriesAction>, ApiError> {
    get(&meeting_url(meeting, "/series-actions")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_answers_and_errors() {
        let s: SessionInfo = parse(200, r#"{"name":"Ann","admin":false,"grants":[]}"#).unwrap();
        assert_eq!(s.name, "Ann");
        let e = parse::<SessionInfo>(401, r#"{"error":"not signed in"}"#).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (401, "not signed in"));
        let e = parse::<Ledger>(409, r#"{"error":"changed","readiness":{}}"#).unwrap_err();
        assert_eq!(e.message, "changed");
        assert_eq!(
            parse::<Ledger>(502, "").unwrap_err().message,
            "the server answered 502"
        );
        assert_eq!(
            parse::<Ledger>(500, "<html>oops</html>")
                .unwrap_err()
                .message,
            "the server answered 500"
        );
        assert!(parse::<Ledger>(200, "{").is_err());
        assert_eq!(parse_empty(204, ""), Ok(()));
        assert_eq!(parse_empty(401, "").unwrap_err().status, 401);
    }

    #[test]
    fn urls_are_escaped() {
        assert_eq!(meeting_url("m-1", "/ledger"), "/api/meetings/m-1/ledger");
        assert_eq!(meeting_url("a b", ""), "/api/meetings/a%20b");
        assert_eq!(
            version_export_url("m", 2, "html"),
            "/api/meetings/m/versions/2/export.html"
        );
        assert_eq!(audit_csv_url("m"), "/api/meetings/m/audit?format=csv");
    }

    #[test]
    fn bodies() {
        let v: Value = serde_json::from_str(&invite_body(
            "Ann",
            Some("p1"),
            Role::MinuteTaker,
            Some(24),
            false,
            None,
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({"name":"Ann","person":"p1","role":"minute-taker","expires_in_hours":24})
        );
        let v: Value = serde_json::from_str(&invite_body(
            "Bo",
            Some(""),
            Role::Observer,
            None,
            false,
            None,
        ))
        .unwrap();
        assert_eq!(v, json!({"name":"Bo","role":"observer"}));
        let v: Value = serde_json::from_str(&invite_body(
            "Di",
            None,
            Role::Observer,
            None,
            false,
            Some(true),
        ))
        .unwrap();
        assert_eq!(v, json!({"name":"Di","role":"observer","restricted":true}));
        let v: Value = exempt_body("confidential", "Legal advice", "Contract matter");
        assert_eq!(
            v,
            json!({"exemption":"confidential","note":"Legal advice","public_title":"Contract matter"})
        );
        assert_eq!(
            exempt_url("m 1", "a/b"),
            "/api/meetings/m%201/items/a%2Fb/exempt"
        );
        let v: Value =
            serde_json::from_str(&invite_body("Cy", None, Role::Attendee, None, true, None))
                .unwrap();
        assert_eq!(v, json!({"name":"Cy","role":"attendee","series":true}));
        assert_eq!(sign_off_body("  "), "{}");
        let v: Value = serde_json::from_str(&sign_off_body(" late ")).unwrap();
        assert_eq!(v, json!({"override_reason":"late"}));
        assert_eq!(
            answered_meeting(r#"{"meeting":"m1","name":"x"}"#).as_deref(),
            Some("m1")
        );
        assert_eq!(answered_meeting(r#"{"name":"x"}"#), None);
    }

    #[test]
    fn diffs_parse() {
        let d: VersionDiff = parse(
            200,
            r#"{"version":2,"lines":[{"op":"equal","text":"a"},{"op":"insert","text":"b"},{"op":"delete"}]}"#,
        )
        .unwrap();
        assert_eq!(d.version, 2);
        assert_eq!(d.lines[2].op, minutebook_shared::diff::DiffOp::Delete);
        assert_eq!(d.lines[2].text, "");
    }

    #[test]
    fn series_actions_parse() {
        let log: Vec<SeriesAction> = parse(
            200,
            r#"[{"meeting":"m2","meetings":["m1","m2"],"meeting_title":"Board 2","meeting_date":"2 May 2024",
                "action":"a1","reference":"01/24","description":"Write it","owners":["Ann Lee"],"due":"June",
                "status":"done","changed":{"by":"Bo","at":1714650000000}},
               {"meeting":"m1","meetings":["m1"],"meeting_title":"Board 1","meeting_date":"","action":"a2",
                "reference":null,"description":"","owners":[],"due":"","status":"open","changed":null}]"#,
        )
        .unwrap();
        assert_eq!(log[0].meetings, ["m1", "m2"]);
        assert_eq!(log[0].changed.as_ref().map(|c| c.by.as_str()), Some("Bo"));
        assert_eq!(log[1].reference, None);
        assert_eq!(log[1].changed, None);
    }
}
