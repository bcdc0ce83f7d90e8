//! Audit details in words a reader knows: the server writes ids and hashes ("confirmed
//! statement 1f3a-2c as 9b1e-7 (sha256 4f…)") because they are exact; the audit panel
//! shows the item number, block position and person's name for every id the meeting
//! still knows, and shortens hashes. Pure logic, tested natively.

use minutebook_shared::meeting::{ActionId, BlockId, ItemId, PersonId};

use crate::snapshot::Snapshot;

/// `detail` with known ids replaced by what they name and hashes shortened.
pub fn humanise(detail: &str, snap: &Snapshot) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        // A token starts at a word boundary only.
        let before = &rest[..start];
        if before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '#')
        {
            let skip = start + 1;
            out.push_str(&rest[..skip]);
            rest = &rest[skip..];
            continue;
        }
        out.push_str(before);
        let token_len = rest[start..]
            .find(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .unwrap_or(rest.len() - start);
        let token = &rest[start..start + token_len];
        let after_item = out.ends_with("item ");
        let name = name_of(token, snap);
        let name = match name.strip_prefix("item ") {
            Some(number) if after_item => number.to_owned(),
            _ => name,
        };
        rest = &rest[start + token_len..];
        // "action <id> 06/22" names the action twice once the id reads "06/22".
        if name != token {
            if let Some(after) = rest.strip_prefix(&format!(" {name}")) {
                rest = after;
            }
        }
        out.push_str(&name);
    }
    out.push_str(rest);
    out
}

/// What `token` names, or the token itself.
fn name_of(token: &str, snap: &Snapshot) -> String {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return format!("{}…", &token[..8]);
    }
    // Entity ids are "<client hex>-<clock hex>".
    let is_id = token
        .split_once('-')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('-'));
    if !is_id {
        return token.to_owned();
    }
    if let Some(b) = snap.block(&BlockId::from(token)) {
        return format!("{} in item {}", b.position, b.item_number);
    }
    if let Some(i) = snap.item(&ItemId::from(token)) {
        return format!("item {}", i.number);
    }
    if let Some(p) = snap.person(&PersonId::from(token)) {
        return p.person.name.clone();
    }
    if let Some(a) = snap
        .view
        .actions
        .iter()
        .find(|a| a.id == ActionId::from(token))
    {
        if let Some(r) = &a.fields.reference {
            return r.clone();
        }
    }
    token.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minutebook_shared::meeting::{BlockKind, Meeting, Person};
    use yrs::{Doc, Transact};

    #[test]
    fn ids_become_numbers_and_names_and_hashes_shrink() {
        let m = Meeting::new(Doc::new());
        let (item, block, person) = {
            let mut txn = m.doc().transact_mut();
            let person = m.add_person(
                &mut txn,
                &Person {
                    name: "Ann Lee".into(),
                    ..Person::default()
                },
                &Default::default(),
            );
            let item = m.insert_item(&mut txn, None, 0, "Estates").unwrap();
            let block = m
                .insert_block(&mut txn, &item, 0, BlockKind::Statement, "Said.")
                .unwrap();
            (item, block, person)
        };
        let snap = Snapshot::new(m.view(&m.doc().transact()));
        let hash = "ab".repeat(32);
        let detail = format!(
            "confirmed statement {} as {}, attributed to {} (sha256 {hash}); item {}; gone 5-9",
            block.0, person.0, person.0, item.0
        );
        assert_eq!(
            humanise(&detail, &snap),
            format!(
                "confirmed statement 1 in item 1 as Ann Lee, attributed to Ann Lee (sha256 abababab…); item 1; gone 5-9"
            )
        );
        assert_eq!(
            humanise("correction #12 by Bob", &snap),
            "correction #12 by Bob"
        );
        let action = {
            let mut txn = m.doc().transact_mut();
            m.add_action(
                &mut txn,
                &minutebook_shared::meeting::NewAction {
                    fields: minutebook_shared::meeting::ActionFields {
                        reference: Some("06/22".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let snap = Snapshot::new(m.view(&m.doc().transact()));
        assert_eq!(
            humanise(&format!("action {} 06/22: open → done", action.0), &snap),
            "action 06/22: open → done"
        );
        assert_eq!(humanise("version 2 signed", &snap), "version 2 signed");
    }
}
