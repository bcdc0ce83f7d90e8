//! Line-by-line differences between two texts (a signed version's Markdown → the current
//! draft), for `GET /api/meetings/{name}/versions/{n}/diff` and the client's view of it.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, TextDiff};

/// What happened to one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffOp {
    /// In both texts.
    Equal,
    /// Only in the new text.
    Insert,
    /// Only in the old text.
    Delete,
}

impl DiffOp {
    /// The name it has on the wire (`equal`, `insert`, `delete`).
    pub fn as_str(self) -> &'static str {
        match self {
            DiffOp::Equal => "equal",
            DiffOp::Insert => "insert",
            DiffOp::Delete => "delete",
        }
    }
}

/// One line of a diff: its text without the line break.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub op: DiffOp,
    #[serde(default)]
    pub text: String,
}

/// Every line of `old` and `new` in order, each marked equal, inserted or deleted
/// (patience diff; deletions come before the insertions that replace them).
pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(old, new);
    diff.iter_all_changes()
        .map(|change| {
            let op = match change.tag() {
                ChangeTag::Equal => DiffOp::Equal,
                ChangeTag::Insert => DiffOp::Insert,
                ChangeTag::Delete => DiffOp::Delete,
            };
            let text = change.value();
            let text = text.strip_suffix('\n').unwrap_or(text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            DiffLine {
                op,
                text: text.to_string(),
            }
        })
        .collect()
}

/// Whether the two texts differ at all (a diff of only [`DiffOp::Equal`] lines).
pub fn unchanged(diff: &[DiffLine]) -> bool {
    diff.iter().all(|l| l.op == DiffOp::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(diff: &[DiffLine]) -> Vec<(DiffOp, &str)> {
        diff.iter().map(|l| (l.op, l.text.as_str())).collect()
    }

    #[test]
    fn equal_texts() {
        let text = "# Minutes\n\n1. Welcome\n";
        let diff = lines(text, text);
        assert!(unchanged(&diff));
        assert_eq!(diff.len(), 3);
        assert_eq!(diff[0].text, "# Minutes");
        assert!(lines("", "").is_empty());
    }

    #[test]
    fn changed_inserted_and_deleted_lines() {
        let old = "# Minutes\nAlpha\nBeta\nGamma\n";
        let new = "# Minutes\nAlpha\nBeta revised\nGamma\nDelta\n";
        assert_eq!(
            ops(&lines(old, new)),
            vec![
                (DiffOp::Equal, "# Minutes"),
                (DiffOp::Equal, "Alpha"),
                (DiffOp::Delete, "Beta"),
                (DiffOp::Insert, "Beta revised"),
                (DiffOp::Equal, "Gamma"),
                (DiffOp::Insert, "Delta"),
            ]
        );
        assert_eq!(
            ops(&lines("a\nb\n", "b\n")),
            vec![(DiffOp::Delete, "a"), (DiffOp::Equal, "b")]
        );
        assert_eq!(ops(&lines("", "x")), vec![(DiffOp::Insert, "x")]);
    }

    #[test]
    fn wire_form() {
        let json = serde_json::to_string(&lines("a\n", "b\n")).expect("serializes");
        assert_eq!(
            json,
            r#"[{"op":"delete","text":"a"},{"op":"insert","text":"b"}]"#
        );
        let back: Vec<DiffLine> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, lines("a\n", "b\n"));
    }
}
