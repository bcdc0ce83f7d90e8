//! Differences between two texts: line by line (a signed version's Markdown → the current
//! draft, `GET /api/meetings/{name}/versions/{n}/diff`) and word by word (a statement →
//! a correction proposed to it, `GET /api/meetings/{name}/corrections/{id}/diff`). The
//! server computes them; the web client only shows them.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, TextDiff};
use std::time::Duration;

/// How long a word diff may search for the smallest difference before it settles for a
/// larger one (a hostile pair of long texts costs at most this much CPU).
pub const WORD_DIFF_DEADLINE: Duration = Duration::from_millis(100);

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

/// `old` → `new` word by word: runs of words (with the spaces after them) that are equal,
/// inserted or deleted, adjacent runs of one kind merged; deletions come before the
/// insertions that replace them. Joining the equal and deleted runs gives `old`, the
/// equal and inserted runs `new`.
pub fn words(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(WORD_DIFF_DEADLINE)
        .diff_words(old, new);
    let mut runs: Vec<DiffLine> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => DiffOp::Equal,
            ChangeTag::Insert => DiffOp::Insert,
            ChangeTag::Delete => DiffOp::Delete,
        };
        match runs.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => runs.push(DiffLine {
                op,
                text: change.value().to_owned(),
            }),
        }
    }
    runs
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

    #[test]
    fn a_word_diff_marks_the_changed_words_and_rebuilds_both_texts() {
        let old = "The DCC said that spending is on budget.";
        let new = "The DCC said that spending is behind budget, by 2%.";
        let runs = words(old, new);
        let side = |keep: DiffOp| {
            runs.iter()
                .filter(|r| r.op == DiffOp::Equal || r.op == keep)
                .map(|r| r.text.as_str())
                .collect::<String>()
        };
        assert_eq!(side(DiffOp::Delete), old);
        assert_eq!(side(DiffOp::Insert), new);
        assert_eq!(runs[0].op, DiffOp::Equal);
        assert!(runs[0].text.starts_with("The DCC said that spending is"));
        let deleted: String = runs
            .iter()
            .filter(|r| r.op == DiffOp::Delete)
            .map(|r| r.text.as_str())
            .collect();
        assert!(
            deleted.contains("on") && !deleted.contains("DCC"),
            "{runs:?}"
        );
    }

    #[test]
    fn a_long_hostile_word_diff_ends_in_time() {
        let old: String = (0..20_000).map(|i| format!("a{} ", i % 7)).collect();
        let new: String = (0..20_000).map(|i| format!("a{} ", i % 11)).collect();
        let runs = words(&old, &new);
        let rebuilt: String = runs
            .iter()
            .filter(|r| r.op != DiffOp::Insert)
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(rebuilt, old);
    }
}
