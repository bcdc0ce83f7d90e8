//! A public version's file (`…/versions/{n}/public.md`, and what the public pages serve):
//! the public text, the full version's sign-off block (with the signature of the public
//! statement), and the public commitment block (`crate::trust::commitment`). This module
//! says what a verified one proves, in words, and what its signature covers.

use super::signature::Statement;
use crate::trust::commitment::{PublicProof, MARKER};

/// Whether `file` ends in a public commitment block (a public version's file).
pub fn is_public_file(file: &str) -> bool {
    let needle = format!("\n{MARKER}\n");
    file.rfind(&needle)
        .is_some_and(|at| file[at + needle.len()..].contains("\nkind: public\n"))
}

/// The items `proof` shows withheld: "3 (Exempt item — Schedule 12A paragraph 3)", and a
/// sub-item "3.1 (with item 3)".
pub fn withheld(proof: &PublicProof) -> Vec<String> {
    proof
        .withheld()
        .filter_map(|item| {
            let w = item.withheld.as_ref()?;
            Some(match &w.with_item {
                Some(parent) => format!("{} (with item {parent})", item.number),
                None => format!("{} ({})", item.number, w.label),
            })
        })
        .collect()
}

/// What was withheld, as a clause: "nothing is withheld", or "items withheld: 3 (…), 3.1
/// (with item 3)".
pub fn summary(withheld: &[String]) -> String {
    if withheld.is_empty() {
        "nothing is withheld".to_owned()
    } else {
        format!("items withheld: {}", withheld.join(", "))
    }
}

/// The statement the server signed for the public version `proof` verified (form 2), when
/// the file carries the sign-off facts.
pub fn statement(proof: &PublicProof) -> Option<Statement> {
    Some(Statement {
        facts: proof.sign_off.clone()?,
        html_sha256: None,
        public_sha256: Some(proof.public_sha256.clone()),
        commitment_root: Some(proof.root.clone()),
    })
}
