//! Speaker suggestions: finding attendees named as the subject of a speech verb.
//!
//! "The DCC responded that…", "JI asked what…", "The CC and DCC responded…",
//! "Homicides can impact public confidence, the PCC asked…", "The CC is satisfied…".
//! A *subject* is a person's short form or full name (whole words, case-sensitive),
//! optionally after "the"; several subjects may be joined by "and", "&" or commas. The
//! subject group must be followed (after at most one adverb such as "also") by a speech
//! verb ("said", "asked", "responded", …) or by "is"/"was" and a stance adjective
//! ("confident", "satisfied", …). Possessives ("the CC's opinion") and objects ("provided the
//! PCC with") are not subjects.
//!
//! The legacy importer uses [`speakers`] to attribute statements; the UI uses
//! [`suggest_speakers`] to offer attributions for a block.

use super::model::{BlockKind, PersonId};
use super::view::{BlockView, MeetingView};

/// How the text may name one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Full name.
    pub name: &'a str,
    /// Short form (may be empty).
    pub short: &'a str,
}

/// One person named as a speaker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// Index into the candidates.
    pub person: usize,
    /// Byte range in the text of the whole phrase, subject group and verb
    /// ("The CC and DCC responded").
    pub phrase: std::ops::Range<usize>,
}

/// A suggested attribution for a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The person to attribute the block to.
    pub person: PersonId,
    /// The phrase that names them, e.g. "The DCC responded".
    pub phrase: String,
}

const VERBS: &[&str] = &[
    "accepted",
    "acknowledged",
    "added",
    "advised",
    "agreed",
    "announced",
    "answered",
    "apologised",
    "apologized",
    "argued",
    "asked",
    "asks",
    "assured",
    "believed",
    "briefed",
    "challenged",
    "clarified",
    "commented",
    "committed",
    "concluded",
    "confirmed",
    "described",
    "disagreed",
    "emphasised",
    "emphasized",
    "enquired",
    "explained",
    "expressed",
    "felt",
    "highlighted",
    "indicated",
    "informed",
    "inquired",
    "introduced",
    "mentioned",
    "noted",
    "observed",
    "outlined",
    "pointed",
    "presented",
    "proposed",
    "queried",
    "questioned",
    "raised",
    "reassured",
    "recognised",
    "recognized",
    "recommended",
    "reiterated",
    "remarked",
    "reminded",
    "replied",
    "reported",
    "requested",
    "responded",
    "said",
    "says",
    "sought",
    "stated",
    "stressed",
    "suggested",
    "summarised",
    "summarized",
    "thanked",
    "undertook",
    "updated",
    "urged",
    "wanted",
    "welcomed",
];

const ADVERBS: &[&str] = &[
    "also",
    "then",
    "further",
    "again",
    "additionally",
    "subsequently",
    "briefly",
    "however",
];

const STANCES: &[&str] = &[
    "assured",
    "aware",
    "clear",
    "comfortable",
    "concerned",
    "confident",
    "content",
    "keen",
    "pleased",
    "satisfied",
    "supportive",
];

/// Every speaker mention in `text`, in order.
pub fn speech_mentions(text: &str, people: &[Candidate<'_>]) -> Vec<Mention> {
    let matches = label_matches(text, people);
    let mut out = Vec::new();
    let mut i = 0;
    while i < matches.len() {
        let mut group = vec![i];
        let mut end = matches[i].1;
        // Extend the group with "and X", ", X", "& X", ", and the X", …
        while let Some(next_start) = connector_end(text, end) {
            // Matches are sorted by start: look no further than `next_start`.
            match matches[group[group.len() - 1] + 1..]
                .iter()
                .take_while(|m| m.0 <= next_start)
                .position(|m| m.0 == next_start)
            {
                Some(off) => {
                    let j = group[group.len() - 1] + 1 + off;
                    group.push(j);
                    end = matches[j].1;
                }
                None => break,
            }
        }
        let start = matches[i].0;
        let phrase_start = the_before(text, start).unwrap_or(start);
        if let Some(verb_end) = speech_after(text, end) {
            for &g in &group {
                out.push(Mention {
                    person: matches[g].2,
                    phrase: phrase_start..verb_end,
                });
            }
        }
        i = group[group.len() - 1] + 1;
    }
    out
}

/// The distinct people named as speakers in `text`, in order of first mention.
pub fn speakers(text: &str, people: &[Candidate<'_>]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for m in speech_mentions(text, people) {
        if seen.insert(m.person) {
            out.push(m.person);
        }
    }
    out
}

/// Attendees the block's text names as speakers and that it is not yet attributed to.
/// Sub-headings and decisions get no suggestions.
pub fn suggest_speakers(view: &MeetingView, block: &BlockView) -> Vec<Suggestion> {
    if matches!(block.kind, BlockKind::SubHeading | BlockKind::Decision) {
        return Vec::new();
    }
    let candidates: Vec<Candidate<'_>> = view
        .people
        .iter()
        .map(|p| Candidate {
            name: &p.person.name,
            short: &p.person.short,
        })
        .collect();
    let mut out: Vec<Suggestion> = Vec::new();
    for m in speech_mentions(&block.text, &candidates) {
        let Some(person) = view.people.get(m.person) else {
            continue;
        };
        if block.speakers.contains(&person.id) || out.iter().any(|s| s.person == person.id) {
            continue;
        }
        out.push(Suggestion {
            person: person.id.clone(),
            phrase: block.text.get(m.phrase).unwrap_or_default().to_owned(),
        });
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Labels longer than this (in bytes) are not looked for: no short form or name is that
/// long, and the bound keeps matching linear in the text whatever the register holds.
pub const MAX_LABEL_BYTES: usize = 200;

/// The labels (short forms and names, trimmed) as a character trie: node 0 is the root,
/// and a node where a label ends holds the smallest person index with that label.
struct LabelTrie {
    edges: std::collections::HashMap<(usize, char), usize>,
    person: Vec<Option<usize>>,
}

impl LabelTrie {
    fn new(people: &[Candidate<'_>]) -> Self {
        let mut trie = LabelTrie {
            edges: std::collections::HashMap::new(),
            person: vec![None],
        };
        for (p, c) in people.iter().enumerate() {
            for label in [c.short.trim(), c.name.trim()] {
                if label.is_empty() || label.len() > MAX_LABEL_BYTES {
                    continue;
                }
                let mut node = 0;
                for ch in label.chars() {
                    let next = trie.person.len();
                    node = *trie.edges.entry((node, ch)).or_insert(next);
                    if node == next {
                        trie.person.push(None);
                    }
                }
                let slot = &mut trie.person[node];
                *slot = Some(slot.map_or(p, |q| q.min(p)));
            }
        }
        trie
    }
}

/// Whole-word occurrences of the labels as `(start, end, person)`, sorted, without
/// overlaps: at each start the longest label (then the smallest person) wins, and a match
/// starting inside an earlier one is dropped.
///
/// Linear in the text: a match may start only where the previous character is not a word
/// character, and from there the walk down the label trie is at most
/// [`MAX_LABEL_BYTES`] long.
fn label_matches(text: &str, people: &[Candidate<'_>]) -> Vec<(usize, usize, usize)> {
    if people.is_empty() {
        return Vec::new();
    }
    let trie = LabelTrie::new(people);
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    let mut prev: Option<char> = None;
    for (at, first) in text.char_indices() {
        let boundary = prev.is_none_or(|ch| !is_word_char(ch));
        prev = Some(first);
        if !boundary || out.last().is_some_and(|last| at < last.1) {
            continue;
        }
        // The longest label starting here that ends at a word boundary.
        let mut best: Option<(usize, usize)> = None;
        let mut node = 0;
        let mut chars = text[at..].char_indices().peekable();
        while let Some((off, ch)) = chars.next() {
            let Some(&next) = trie.edges.get(&(node, ch)) else {
                break;
            };
            node = next;
            if let Some(p) = trie.person[node] {
                let after_ok = chars.peek().is_none_or(|&(_, c)| !is_word_char(c));
                if after_ok {
                    best = Some((at + off + ch.len_utf8(), p));
                }
            }
        }
        if let Some((end, p)) = best {
            out.push((at, end, p));
        }
    }
    out
}

/// After a subject ending at `end`: where the next subject would start if a connector
/// ("and", "&", ",", ", and", optionally followed by "the") follows.
fn connector_end(text: &str, end: usize) -> Option<usize> {
    let rest = &text[end..];
    let trimmed = rest.trim_start_matches(' ');
    let after = if let Some(r) = trimmed.strip_prefix(',') {
        let r = r.trim_start_matches(' ');
        r.strip_prefix("and ").unwrap_or(r)
    } else if let Some(r) = trimmed.strip_prefix("and ") {
        r
    } else {
        trimmed.strip_prefix("& ")?
    };
    let after = after.trim_start_matches(' ');
    let after = after
        .strip_prefix("the ")
        .or_else(|| after.strip_prefix("The "))
        .unwrap_or(after)
        .trim_start_matches(' ');
    Some(text.len() - after.len())
}

/// Start of a "the " / "The " right before `start`.
fn the_before(text: &str, start: usize) -> Option<usize> {
    let before = &text[..start];
    let b = before.strip_suffix(' ')?;
    let b = b.strip_suffix("the").or_else(|| b.strip_suffix("The"))?;
    let ok = b.chars().next_back().is_none_or(|c| !is_word_char(c));
    ok.then_some(b.len())
}

/// If a speech verb (or "is/was <stance>") follows the subject group ending at `end`, the
/// end of that verb phrase.
fn speech_after(text: &str, end: usize) -> Option<usize> {
    let mut pos = end;
    let mut word = next_word(text, pos)?;
    if ADVERBS.contains(&word.1) {
        pos = word.0;
        word = next_word(text, pos)?;
    }
    if VERBS.contains(&word.1) {
        return Some(word.0);
    }
    if matches!(word.1, "is" | "was" | "remains" | "remained") {
        let mut adj = next_word(text, word.0)?;
        if adj.1 == "not" {
            adj = next_word(text, adj.0)?;
        }
        if STANCES.contains(&adj.1) {
            return Some(adj.0);
        }
    }
    None
}

/// The word after `pos` if only spaces separate them: `(end, word)`.
fn next_word(text: &str, pos: usize) -> Option<(usize, &str)> {
    let rest = &text[pos..];
    let trimmed = rest.trim_start_matches(' ');
    if trimmed.len() == rest.len() {
        return None; // a subject must be followed by a space, not "'s" or punctuation
    }
    let start = text.len() - trimmed.len();
    let len = trimmed
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(trimmed.len(), |(i, _)| i);
    (len > 0).then(|| (start + len, &text[start..start + len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEOPLE: &[Candidate<'static>] = &[
        Candidate {
            name: "John Campion",
            short: "PCC",
        },
        Candidate {
            name: "Tracey Onslow",
            short: "DPCC",
        },
        Candidate {
            name: "Jackie Irvin",
            short: "JI",
        },
        Candidate {
            name: "Pippa Mills",
            short: "CC",
        },
        Candidate {
            name: "Julian Moss",
            short: "DCC",
        },
        Candidate {
            name: "Damian Barrett",
            short: "DB",
        },
    ];

    fn who(text: &str) -> Vec<&'static str> {
        speakers(text, PEOPLE)
            .into_iter()
            .map(|i| PEOPLE[i].short)
            .collect()
    }

    #[test]
    fn speech_patterns() {
        assert_eq!(who("The DCC responded that the number is small."), ["DCC"]);
        assert_eq!(who("JI asked what further data is provided."), ["JI"]);
        assert_eq!(
            who("The CC and DCC responded that national framework."),
            ["CC", "DCC"]
        );
        assert_eq!(
            who("Homicides can impact confidence, the PCC asked whether."),
            ["PCC"]
        );
        assert_eq!(who("The CC is satisfied it can be achieved."), ["CC"]);
        assert_eq!(who("DB also added that Telford is unique."), ["DB"]);
        assert_eq!(
            who("Julian Moss said so. The PCC, DPCC and JI agreed."),
            ["DCC", "PCC", "DPCC", "JI"]
        );
        assert_eq!(
            who("The PCC said that. DB said that. The PCC asked."),
            ["PCC", "DB"]
        );
    }

    #[test]
    fn non_speech_mentions_are_ignored() {
        assert!(who("The CC provided the PCC with a briefing document.").is_empty());
        assert!(who("asked for the CC's opinion of performance").is_empty());
        assert!(who("how the PCC and CC engage council leaders").is_empty());
        assert!(who("The DCCX said and xCC said").is_empty());
        assert!(who("").is_empty());
    }

    #[test]
    fn phrase_covers_subjects_and_verb() {
        let text = "Then the CC and DCC responded.";
        let m = speech_mentions(text, PEOPLE);
        assert_eq!(m.len(), 2);
        assert_eq!(&text[m[0].phrase.clone()], "the CC and DCC responded");
    }
}
