//! The audit log as CSV (the `?format=csv` downloads of a meeting's and the whole
//! audit log), with cells a spreadsheet would run as a formula neutralised.

use minutebook_shared::trust::{AuditEntry, Role};

/// The entries as CSV (RFC 4180 quoting). A cell a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`,
/// as OWASP recommends against CSV injection.
pub fn csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("seq,time_ms,actor,role,meeting,event,detail\r\n");
    for e in entries {
        let role = e.role.map_or("", Role::as_str);
        let fields = [
            e.seq.to_string(),
            e.at.to_string(),
            e.actor.clone(),
            role.to_string(),
            e.meeting.clone(),
            e.event.clone(),
            e.detail.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| quote(&neutralise(f))).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `field` with a leading `'` when a spreadsheet would take it for a formula.
fn neutralise(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(actor: &str, meeting: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: 2,
            actor: actor.into(),
            role: None,
            meeting: meeting.into(),
            event: "rejected".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn formulas_are_neutralised_and_quoting_kept() {
        let out = csv(&[
            e("=HYPERLINK(\"x\")", "m", "+1"),
            e("-2", "@SUM(A1)", "\tx"),
            e("Ann, Lee", "m", "fine"),
        ]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[1], "1,2,\"'=HYPERLINK(\"\"x\"\")\",,m,rejected,'+1");
        assert_eq!(lines[2], "1,2,'-2,,'@SUM(A1),rejected,'\tx");
        assert_eq!(lines[3], "1,2,\"Ann, Lee\",,m,rejected,fine");
        assert_eq!(
            quote(&neutralise("\rcmd")),
            "\"'\rcmd\"",
            "a carriage return is neutralised and quoted"
        );
    }
}
