//! The legacy importer: text extracted from published minutes → [`Minutes`].
//!
//! The shape it reads (see `shared/fixtures/assurance-meeting-2022-01.txt`):
//!
//! 1. A **title** line. The series is the title up to its first month name ("Monthly
//!    Assurance Meeting January 2022…" → "Monthly Assurance Meeting"), else up to a dash,
//!    else the whole title.
//! 2. **Header** lines `Key: value` (the colon may be missing): `Date` (a trailing
//!    ", 2:00 pm" becomes the start time), `Time`, `Chair`, `Minutes` / `Minute-taker`
//!    (`name, role, organisation`; several separated by `;`), `Venue` / `Location`, `Series`.
//! 3. An optional tab-separated **attendance table**: a header row naming the columns
//!    (`Name:`, `Capacity:`/`Role:`, `Organisation:`), then rows whose first cell is empty or
//!    a section label (`Attendance:`, `Present:`, `Apologies:`, `Absent:`). A short form
//!    in parentheses ends the capacity or name ("Chief Constable (CC)"); a person without
//!    one gets their initials ("Jackie Irvin" → "JI") if the minutes use them as a word.
//!    "(joined for item 3)" after a name records late arrival.
//! 4. **Items**: an optional `No.<tab>Item` row, then rows `<number><tab><content>`, the
//!    number written `1.`, `2.3` or `<p>2.1</p>`. Content is either `<p>…</p>` fragments or
//!    plain text. Item numbers must follow each other (after 2: 3 or 2.1).
//!    - The first fragment is the title; a plain-text row holding title and text on one
//!      line ("Outstanding Matters / Matters arising There were none.") is split before
//!      the first capitalised sentence-opening word ("There", "The", "No", …).
//!    - A fragment wholly in `<u>…</u>` is a sub-heading; other `<u>` tags are dropped.
//!    - Lines starting with a tab (empty number cell, after a page break) and plain lines
//!      continue the current item. A fragment starting in lower case continues the previous
//!      paragraph when that one has no closing punctuation (a sentence split by a page
//!      break). Blank lines separate plain paragraphs; consecutive plain lines are joined.
//!    - `ACTION <ref>: <owners> to <what>` fragments become actions raised after the
//!      preceding block ("06/23" references are kept; owners are short forms or names
//!      joined by "and"/","; a trailing "by `<date>`" is the due date).
//!    - Paragraphs naming attendees in a speech pattern ([`super::suggest`]) become
//!      statements attributed to them.
//!    - In an item whose title mentions the next meeting, fragments give the next
//!      meeting's date, time, type and venue (by `Key:` prefix, else date-like, time-like,
//!      then type, then venue); they stay in the item as paragraphs too.
//! 5. The chair is matched to the register by name or short form, and added to it if
//!    missing. Minute-takers are kept apart from the register.
//!
//! Anything else is an [`ImportError`] naming the line and what was wrong; the importer
//! never panics on any input.

use super::model::{
    children_at, ActionFields, ActionStatus, Attendance, BlockKind, ItemPath, MinuteTaker, Minutes,
    MinutesAction, MinutesBlock, MinutesItem, MinutesPerson, NextMeeting, Person, RaisedIn,
    MAX_ITEM_DEPTH,
};
use super::reference::ActionReference;
use super::suggest::{self, Candidate};
use std::collections::{HashMap, HashSet};

/// Why a text could not be imported, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError {
        line,
        message: message.into(),
    })
}

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
];
/// Words that open the text after a title on the same line.
const SENTENCE_OPENERS: &[&str] = &[
    "There",
    "The",
    "No",
    "None",
    "Nothing",
    "It",
    "This",
    "These",
    "All",
    "Minutes",
    "N/A",
    "A",
    "An",
    "We",
    "Members",
    "Noted",
    "Agreed",
    "Approved",
    "Accepted",
    "Discussed",
];

/// Parses minutes of the legacy shape (see the module docs).
pub fn parse_minutes(input: &str) -> Result<Minutes, ImportError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    // A final newline ends the last line; it does not start another.
    let body = input.strip_suffix('\n').unwrap_or(input);
    let lines: Vec<(usize, &str)> = body
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    let mut p = Parser {
        lines: &lines,
        pos: 0,
        minutes: Minutes::default(),
        chair: None,
        rows: Vec::new(),
    };
    p.title()?;
    p.header()?;
    p.attendance()?;
    p.infer_short_forms(input);
    p.check_short_forms()?;
    p.items()?;
    p.resolve_chair();
    Ok(p.minutes)
}

struct Parser<'a> {
    lines: &'a [(usize, &'a str)],
    pos: usize,
    minutes: Minutes,
    chair: Option<(usize, String)>,
    /// Line of each attendance row.
    rows: Vec<usize>,
}

fn last_line(lines: &[(usize, &str)]) -> usize {
    lines.last().map_or(1, |l| l.0)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<(usize, &'a str)> {
        self.lines.get(self.pos).copied()
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(|(_, l)| l.trim().is_empty()) {
            self.pos += 1;
        }
    }

    fn title(&mut self) -> Result<(), ImportError> {
        self.skip_blank();
        let Some((n, line)) = self.peek() else {
            return err(
                last_line(self.lines),
                "the text is empty: expected a title line",
            );
        };
        let title = clean(line);
        if header_key(&title).is_some() || line.contains('\t') {
            return err(
                n,
                format!("expected a title line, found {:?}", short(&title)),
            );
        }
        self.minutes.header.series = series_of(&title);
        self.minutes.header.title = title;
        self.pos += 1;
        Ok(())
    }

    fn header(&mut self) -> Result<(), ImportError> {
        loop {
            self.skip_blank();
            let Some((n, line)) = self.peek() else {
                return err(last_line(self.lines), "no numbered items found");
            };
            if is_attendance_start(line) || item_start(line).is_some() || is_items_header(line) {
                return Ok(());
            }
            let text = clean(line);
            let Some((key, value)) = header_key(&text) else {
                return err(
                    n,
                    format!(
                        "unrecognised header line {:?}: expected Date:, Chair:, Minutes:, Venue: or the attendance table",
                        short(&text)
                    ),
                );
            };
            let h = &mut self.minutes.header;
            match key {
                Key::Date => {
                    let (date, time) = split_date_time(value);
                    h.date = date;
                    if !time.is_empty() {
                        h.start_time = time;
                    }
                }
                Key::Time => h.start_time = value.to_owned(),
                Key::Venue => h.venue = value.to_owned(),
                Key::Series => h.series = value.to_owned(),
                Key::Chair => self.chair = Some((n, value.to_owned())),
                Key::Minutes => {
                    for taker in value.split(';').map(str::trim).filter(|t| !t.is_empty()) {
                        let parts: Vec<&str> = taker.split(',').map(str::trim).collect();
                        self.minutes.minute_takers.push(MinuteTaker {
                            name: parts.first().copied().unwrap_or_default().to_owned(),
                            capacity: parts.get(1).copied().unwrap_or_default().to_owned(),
                            organisation: parts.get(2..).map(|p| p.join(", ")).unwrap_or_default(),
                        });
                    }
                }
            }
            self.pos += 1;
        }
    }

    fn attendance(&mut self) -> Result<(), ImportError> {
        self.skip_blank();
        let mut columns = vec![Column::Name, Column::Capacity];
        if let Some((n, line)) = self.peek() {
            let cells = cells(line);
            if cells.iter().any(|c| column_of(c) == Some(Column::Name)) && !is_label(cells[0]) {
                columns = Vec::new();
                for c in cells.iter().filter(|c| !c.is_empty()) {
                    match column_of(c) {
                        Some(col) => columns.push(col),
                        None => return err(n, format!("unknown attendance column {:?}", short(c))),
                    }
                }
                self.pos += 1;
            }
        }
        let mut status = Attendance::Present;
        while let Some((n, line)) = self.peek() {
            if line.trim().is_empty() || item_start(line).is_some() || is_items_header(line) {
                break;
            }
            let mut cells = cells(line);
            if let Some(label) = cells.first().and_then(|c| label_status(c)) {
                status = label;
                cells.remove(0);
            } else if cells.first().is_some_and(|c| c.is_empty()) {
                cells.remove(0);
            } else if !line.contains('\t') {
                return err(
                    n,
                    format!(
                        "expected an attendance row (tab-separated cells), found {:?}",
                        short(line)
                    ),
                );
            }
            while cells.last().is_some_and(|c| c.is_empty()) {
                cells.pop();
            }
            if cells.is_empty() {
                self.pos += 1;
                continue;
            }
            let mut person = Person::default();
            let mut attendance = status.clone();
            for (i, col) in columns.iter().enumerate() {
                let cell = clean(cells.get(i).copied().unwrap_or_default());
                match col {
                    Column::Name => {
                        let (name, note) = split_paren(&cell);
                        person.name = name;
                        if let Some(note) = note {
                            if let Some(a) = attendance_note(&note) {
                                attendance = a;
                            } else if is_short_form(&note) {
                                person.short = note;
                            } else {
                                return err(n, format!("unrecognised note {note:?} after a name"));
                            }
                        }
                    }
                    Column::Capacity => {
                        let (capacity, note) = split_paren(&cell);
                        match note {
                            Some(s) if is_short_form(&s) => {
                                person.capacity = capacity;
                                person.short = s;
                            }
                            _ => person.capacity = cell,
                        }
                    }
                    Column::Organisation => person.organisation = cell,
                    Column::Attendance => {
                        if !cell.is_empty() {
                            attendance = attendance_note(&cell)
                                .or_else(|| label_status(&cell))
                                .ok_or_else(|| ImportError {
                                    line: n,
                                    message: format!("unrecognised attendance {cell:?}"),
                                })?;
                        }
                    }
                }
            }
            if cells.len() > columns.len() {
                return err(
                    n,
                    format!(
                        "attendance row has {} cells, the table has {} columns",
                        cells.len(),
                        columns.len()
                    ),
                );
            }
            if person.name.is_empty() {
                return err(n, "attendance row without a name");
            }
            if columns.contains(&Column::Capacity) && cells.len() < 2 {
                return err(
                    n,
                    format!("attendance row for {} has no capacity", person.name),
                );
            }
            self.minutes
                .people
                .push(MinutesPerson { person, attendance });
            self.rows.push(n);
            self.pos += 1;
        }
        Ok(())
    }

    /// People without a short form get their initials if the text uses them as a word.
    fn infer_short_forms(&mut self, input: &str) {
        // Every whole word of the text, collected once (not one scan of the text per
        // person).
        let words: HashSet<&str> = input
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for p in &mut self.minutes.people {
            if !p.person.short.is_empty() {
                continue;
            }
            let initials: String = p
                .person
                .name
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect();
            if initials.chars().count() >= 2
                && initials.chars().all(|c| c.is_uppercase())
                && if initials.chars().all(char::is_alphanumeric) {
                    words.contains(initials.as_str())
                } else {
                    contains_word(input, &initials)
                }
            {
                p.person.short = initials;
            }
        }
    }

    fn check_short_forms(&self) -> Result<(), ImportError> {
        let people = &self.minutes.people;
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (j, b) in people.iter().enumerate() {
            if b.person.short.is_empty() {
                continue;
            }
            if let Some(a) = first
                .get(b.person.short.as_str())
                .and_then(|&i| people.get(i))
            {
                return err(
                    self.rows.get(j).copied().unwrap_or(1),
                    format!(
                        "short form {} is used for both {} and {}",
                        a.person.short, a.person.name, b.person.name
                    ),
                );
            }
            first.insert(b.person.short.as_str(), j);
        }
        Ok(())
    }

    fn items(&mut self) -> Result<(), ImportError> {
        self.skip_blank();
        if self.peek().is_some_and(|(_, l)| is_items_header(l)) {
            self.pos += 1;
        }
        let people = self.minutes.people.clone();
        let mut b = Builder {
            people: people
                .iter()
                .map(|p| Candidate {
                    name: &p.person.name,
                    short: &p.person.short,
                })
                .collect(),
            owners: Owners::new(&people),
            unattributed: None,
            items: Vec::new(),
            actions: Vec::new(),
            current: None,
            open_plain: false,
            next: NextMeeting::default(),
        };
        while let Some((n, line)) = self.peek() {
            self.pos += 1;
            if line.trim().is_empty() {
                b.open_plain = false;
                continue;
            }
            if let Some((number, content)) = item_start(line) {
                let path = ItemPath::parse_number(&number).ok_or_else(|| ImportError {
                    line: n,
                    message: format!("bad item number {number:?}"),
                })?;
                b.start_item(n, path, content)?;
            } else if let Some(content) = line.strip_prefix('\t') {
                b.require_item(n)?;
                b.open_plain = false;
                let frags = fragments(n, content)?;
                b.body(n, frags, true)?;
            } else {
                b.require_item(n)?;
                b.plain_line(n, &clean(line))?;
            }
        }
        b.attribute();
        if b.items.is_empty() {
            return err(last_line(self.lines), "no numbered items found");
        }
        let Builder {
            items,
            actions,
            next,
            ..
        } = b;
        let mut minutes_items: Vec<MinutesItem> = Vec::new();
        for (path, item) in items {
            let Some((_, parents)) = path.0.split_last() else {
                continue;
            };
            if let Some(list) = children_at(&mut minutes_items, parents) {
                list.push(item);
            }
        }
        self.minutes.items = minutes_items;
        self.minutes.actions = actions;
        let header_next = &mut self.minutes.header.next;
        if header_next == &NextMeeting::default() {
            *header_next = next;
        }
        for (i, p) in self.minutes.people.iter().enumerate() {
            if let Attendance::JoinedFor(Some(path)) = &p.attendance {
                if self.minutes.item(path).is_none() {
                    return err(
                        self.rows.get(i).copied().unwrap_or(1),
                        format!(
                            "{} joined for item {}, which does not exist",
                            p.person.name,
                            path.number()
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn resolve_chair(&mut self) {
        let Some((_, chair)) = self.chair.take() else {
            return;
        };
        if chair.is_empty() {
            return;
        }
        let people = &self.minutes.people;
        let found = people
            .iter()
            .position(|p| p.person.name.eq_ignore_ascii_case(&chair))
            .or_else(|| {
                people
                    .iter()
                    .position(|p| !p.person.short.is_empty() && p.person.short == chair)
            })
            .or_else(|| {
                people
                    .iter()
                    .position(|p| !p.person.name.is_empty() && chair.contains(&p.person.name))
            });
        self.minutes.chair = Some(found.unwrap_or_else(|| {
            self.minutes.people.push(MinutesPerson {
                person: Person {
                    name: chair,
                    ..Person::default()
                },
                attendance: Attendance::Present,
            });
            self.minutes.people.len() - 1
        }));
    }
}

/// Items under construction.
struct Builder<'a> {
    people: Vec<Candidate<'a>>,
    owners: Owners,
    /// The item whose last block's speakers are still to be computed from its text
    /// (computed once, when the block is complete, not after every line added to it).
    unattributed: Option<usize>,
    items: Vec<(ItemPath, MinutesItem)>,
    actions: Vec<MinutesAction>,
    /// Index into `items` of the item being filled.
    current: Option<usize>,
    /// A plain-text paragraph is open (consecutive plain lines join it).
    open_plain: bool,
    next: NextMeeting,
}

impl Builder<'_> {
    fn require_item(&self, n: usize) -> Result<(), ImportError> {
        if self.current.is_none() {
            return err(n, "text before the first numbered item");
        }
        Ok(())
    }

    fn start_item(&mut self, n: usize, path: ItemPath, content: &str) -> Result<(), ImportError> {
        if path.0.len() > MAX_ITEM_DEPTH {
            return err(
                n,
                format!(
                    "item {} nests deeper than {MAX_ITEM_DEPTH} levels",
                    path.number()
                ),
            );
        }
        let prev = self.items.last().map(|(p, _)| p);
        if !follows(prev, &path) {
            let expected = match prev {
                None => "1".to_owned(),
                Some(p) => expected_after(p).join(", "),
            };
            return err(
                n,
                format!(
                    "item {} is out of sequence: expected {}",
                    path.number(),
                    expected
                ),
            );
        }
        let mut frags = fragments(n, content)?;
        if frags.is_empty() {
            return err(n, format!("item {} has no title", path.number()));
        }
        let first = frags.remove(0);
        let (title, rest) = match first {
            Frag::SubHeading(t) => (t, None),
            Frag::Text { text, plain: false } => (text, None),
            Frag::Text { text, plain: true } => split_title(&text),
        };
        if title.is_empty() {
            return err(n, format!("item {} has no title", path.number()));
        }
        self.attribute();
        self.items.push((
            path,
            MinutesItem {
                title,
                ..MinutesItem::default()
            },
        ));
        self.current = Some(self.items.len() - 1);
        self.open_plain = false;
        if let Some(rest) = rest {
            frags.insert(
                0,
                Frag::Text {
                    text: rest,
                    plain: true,
                },
            );
        }
        self.body(n, frags, false)
    }

    fn plain_line(&mut self, n: usize, text: &str) -> Result<(), ImportError> {
        if self.open_plain {
            if let Some(block) = self.current_item().and_then(|i| i.blocks.last_mut()) {
                block.text.push(' ');
                block.text.push_str(text);
                return self.reattribute();
            }
        }
        let frags = fragments(n, text)?;
        self.body(n, frags, true)?;
        self.open_plain = true;
        Ok(())
    }

    fn current_item(&mut self) -> Option<&mut MinutesItem> {
        let i = self.current?;
        self.items.get_mut(i).map(|(_, it)| it)
    }

    fn body(&mut self, n: usize, frags: Vec<Frag>, continuation: bool) -> Result<(), ImportError> {
        let next_meeting = self
            .current
            .and_then(|i| self.items.get(i))
            .is_some_and(|(_, it)| it.title.to_lowercase().contains("next meeting"));
        for (k, frag) in frags.into_iter().enumerate() {
            match frag {
                Frag::SubHeading(t) => self.push_block(MinutesBlock {
                    kind: BlockKind::SubHeading,
                    text: t,
                    speakers: Vec::new(),
                }),
                Frag::Text { text, .. } => {
                    if text.is_empty() {
                        continue;
                    }
                    if let Some(action) = parse_action(n, &text, &self.owners)? {
                        self.push_action(action);
                        continue;
                    }
                    if continuation && k == 0 && self.join_previous(&text) {
                        continue;
                    }
                    if next_meeting {
                        self.next_meeting_fragment(&text);
                    }
                    self.push_block(MinutesBlock {
                        kind: BlockKind::Paragraph,
                        text,
                        speakers: Vec::new(),
                    });
                    self.reattribute()?;
                }
            }
        }
        Ok(())
    }

    /// Appends `text` to the previous paragraph if it continues a split sentence.
    fn join_previous(&mut self, text: &str) -> bool {
        let starts_lower = text.chars().next().is_some_and(char::is_lowercase);
        let Some(item) = self.current_item() else {
            return false;
        };
        let Some(last) = item.blocks.last_mut() else {
            return false;
        };
        let open = matches!(last.kind, BlockKind::Paragraph | BlockKind::Statement)
            && !last.text.trim_end().ends_with(['.', '!', '?', ':', ';']);
        if starts_lower && open {
            last.text.push(' ');
            last.text.push_str(text);
            let _ = self.reattribute();
            return true;
        }
        false
    }

    fn push_block(&mut self, block: MinutesBlock) {
        self.attribute();
        self.open_plain = false;
        if let Some(item) = self.current_item() {
            item.blocks.push(block);
        }
    }

    /// Marks the last block's speakers for re-computing from its text (done by
    /// [`Builder::attribute`] once the block is complete).
    fn reattribute(&mut self) -> Result<(), ImportError> {
        self.unattributed = self.current;
        Ok(())
    }

    /// Computes the speakers of the block marked by [`Builder::reattribute`].
    fn attribute(&mut self) {
        let Some(i) = self.unattributed.take() else {
            return;
        };
        let Some((_, item)) = self.items.get_mut(i) else {
            return;
        };
        if let Some(block) = item.blocks.last_mut() {
            if matches!(block.kind, BlockKind::Paragraph | BlockKind::Statement) {
                block.speakers = suggest::speakers(&block.text, &self.people);
                block.kind = if block.speakers.is_empty() {
                    BlockKind::Paragraph
                } else {
                    BlockKind::Statement
                };
            }
        }
    }

    fn push_action(&mut self, mut action: MinutesAction) {
        if let Some(i) = self.current {
            if let Some((path, item)) = self.items.get(i) {
                action.raised_in = Some(RaisedIn {
                    item: path.clone(),
                    block: item.blocks.len().checked_sub(1),
                });
            }
        }
        self.actions.push(action);
    }

    fn next_meeting_fragment(&mut self, text: &str) {
        let next = &mut self.next;
        if let Some((key, value)) = text.split_once(':') {
            let value = value.trim().to_owned();
            match key.trim().to_lowercase().as_str() {
                "date" => return next.date = value,
                "time" => return next.time = value,
                "type" | "meeting type" => return next.kind = value,
                "venue" | "location" => return next.venue = value,
                _ => {}
            }
        }
        if is_date_like(text) && next.date.is_empty() {
            let (date, time) = split_date_time(text);
            next.date = date;
            if !time.is_empty() && next.time.is_empty() {
                next.time = time;
            }
        } else if is_time_like(text) && next.time.is_empty() {
            next.time = text.to_owned();
        } else if next.kind.is_empty() {
            next.kind = text.to_owned();
        } else if next.venue.is_empty() {
            next.venue = text.to_owned();
        }
    }
}

/// Whether `path` may follow `prev` (the next sibling at any level, or a first sub-item).
pub(crate) fn follows(prev: Option<&ItemPath>, path: &ItemPath) -> bool {
    match prev {
        None => path.0 == [0],
        Some(prev) => {
            let p = &path.0;
            let q = &prev.0;
            let Some((&last, head)) = p.split_last() else {
                return false;
            };
            if p.len() == q.len() + 1 {
                return head == q.as_slice() && last == 0;
            }
            p.len() <= q.len()
                && head == &q[..p.len() - 1]
                && q.get(p.len() - 1).is_some_and(|&x| x + 1 == last)
        }
    }
}

fn expected_after(prev: &ItemPath) -> Vec<String> {
    let mut out = Vec::new();
    let mut child = prev.0.clone();
    child.push(0);
    for k in (1..=prev.0.len()).rev() {
        let mut p = prev.0[..k].to_vec();
        if let Some(l) = p.last_mut() {
            *l += 1;
        }
        out.push(ItemPath(p).number());
    }
    out.insert(1.min(out.len()), ItemPath(child).number());
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Date,
    Time,
    Chair,
    Minutes,
    Venue,
    Series,
}

fn header_key(line: &str) -> Option<(Key, &str)> {
    const KEYS: &[(&str, Key)] = &[
        ("minutes taken by", Key::Minutes),
        ("minute-taker", Key::Minutes),
        ("minute taker", Key::Minutes),
        ("minutes", Key::Minutes),
        ("start time", Key::Time),
        ("chaired by", Key::Chair),
        ("chair", Key::Chair),
        ("date", Key::Date),
        ("time", Key::Time),
        ("venue", Key::Venue),
        ("location", Key::Venue),
        ("series", Key::Series),
    ];
    for (name, key) in KEYS {
        if line
            .get(..name.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(name))
        {
            let rest = &line[name.len()..];
            if let Some(v) = rest.strip_prefix(':') {
                return Some((*key, v.trim()));
            }
            if rest.starts_with([' ', '\t']) {
                return Some((*key, rest.trim()));
            }
        }
    }
    None
}

/// "Monday 31st January, 2:00 pm" → ("Monday 31st January", "2:00 pm").
fn split_date_time(value: &str) -> (String, String) {
    let value = value.trim();
    for sep in [", ", " at ", " - ", " – "] {
        if let Some((d, t)) = value.rsplit_once(sep) {
            if is_time_like(t) {
                return (d.trim().to_owned(), t.trim().to_owned());
            }
        }
    }
    (value.to_owned(), String::new())
}

fn words_lower(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_date_like(s: &str) -> bool {
    let words = words_lower(s);
    let named = words
        .iter()
        .any(|w| crate::time::month_number(w).is_some() || WEEKDAYS.contains(&w.as_str()));
    let numeric = s.split_whitespace().any(|w| {
        let parts: Vec<&str> = w.split(['/', '-', '.']).collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
    });
    named || numeric
}

fn is_time_like(s: &str) -> bool {
    let t = s.trim().to_lowercase();
    if t.len() > 25 || !t.bytes().any(|b| b.is_ascii_digit()) {
        return t == "noon" || t == "midday";
    }
    let ampm = t.ends_with("am") || t.ends_with("pm") || t.ends_with("a.m.") || t.ends_with("p.m.");
    let clock = t
        .as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && (w[1] == b':' || w[1] == b'.') && w[2].is_ascii_digit());
    (ampm || clock) && !is_date_like(&t)
}

fn series_of(title: &str) -> String {
    let mut cut = None;
    for (i, _) in title.char_indices() {
        let at_word = i == 0
            || title[..i]
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_alphanumeric());
        if !at_word {
            continue;
        }
        let word: String = title[i..]
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        let lw = word.to_lowercase();
        if lw.len() >= 3 && crate::time::month_number(&lw).is_some() && i > 0 {
            cut = Some(i);
            break;
        }
    }
    let cut = cut.or_else(|| title.find(" – ").or_else(|| title.find(" - ")));
    let series = match cut {
        Some(i) => &title[..i],
        None => title,
    };
    // Drop what belongs to the date before the month: "Board – Monday 3rd May" → "Board".
    let mut series = series.trim();
    loop {
        let trimmed = series.trim_end_matches(['-', '–', '—', ',', ':', ' ']);
        let (head, last) = trimmed.rsplit_once(' ').unwrap_or(("", trimmed));
        let l = last.to_lowercase();
        let day = l.trim_end_matches(|c: char| c.is_alphabetic());
        let dateish = WEEKDAYS.contains(&l.as_str())
            || (!day.is_empty()
                && day.bytes().all(|b| b.is_ascii_digit())
                && matches!(&l[day.len()..], "" | "st" | "nd" | "rd" | "th"));
        if dateish && !head.is_empty() {
            series = head;
        } else {
            return trimmed.to_owned();
        }
    }
}

fn is_attendance_start(line: &str) -> bool {
    let cells = cells(line);
    let first = cells.first().copied().unwrap_or_default();
    label_status(first).is_some()
        || (cells.iter().any(|c| column_of(c) == Some(Column::Name)) && line.contains('\t'))
}

fn is_items_header(line: &str) -> bool {
    let cells: Vec<String> = cells(line)
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(|c| c.to_lowercase())
        .collect();
    cells.len() >= 2
        && matches!(
            cells[0].as_str(),
            "no." | "no" | "#" | "item no." | "number"
        )
        && cells[1].trim_end_matches(':').starts_with("item")
}

/// A line starting an item: `(number, content)`.
fn item_start(line: &str) -> Option<(String, &str)> {
    let (first, rest) = line.split_once('\t')?;
    let mut n = first.trim();
    if let Some(inner) = n.strip_prefix("<p>").and_then(|x| x.strip_suffix("</p>")) {
        n = inner.trim();
    }
    let ok = !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && n.as_bytes()[0].is_ascii_digit();
    ok.then(|| (n.to_owned(), rest))
}

fn cells(line: &str) -> Vec<&str> {
    line.split('\t').map(str::trim).collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Name,
    Capacity,
    Organisation,
    Attendance,
}

fn column_of(cell: &str) -> Option<Column> {
    match cell.trim().trim_end_matches(':').to_lowercase().as_str() {
        "name" => Some(Column::Name),
        "capacity" | "role" | "position" | "title" => Some(Column::Capacity),
        "organisation" | "organization" => Some(Column::Organisation),
        "attendance" => Some(Column::Attendance),
        _ => None,
    }
}

fn is_label(cell: &str) -> bool {
    label_status(cell).is_some()
}

fn label_status(cell: &str) -> Option<Attendance<ItemPath>> {
    let c = cell.trim().trim_end_matches(':').to_lowercase();
    match c.as_str() {
        "attendance" | "present" | "in attendance" | "also present" | "attendees" => {
            Some(Attendance::Present)
        }
        "apologies" | "apologies received" => Some(Attendance::Apologies),
        "absent" => Some(Attendance::Absent),
        _ => None,
    }
}

/// "(joined for item 3)", "joined for item 3", "apologies", "absent", "present".
fn attendance_note(note: &str) -> Option<Attendance<ItemPath>> {
    let l = note.trim().to_lowercase();
    for prefix in ["joined for item", "joined at item", "from item", "for item"] {
        if let Some(n) = l.strip_prefix(prefix) {
            return ItemPath::parse_number(n).map(|p| Attendance::JoinedFor(Some(p)));
        }
    }
    if l == "joined late" {
        return Some(Attendance::JoinedFor(None));
    }
    label_status(&l)
}

fn is_short_form(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 12
        && s.chars().any(|c| c.is_uppercase())
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '&' | '-'))
}

/// "Chief Constable (CC)" → ("Chief Constable", Some("CC")).
fn split_paren(cell: &str) -> (String, Option<String>) {
    let t = cell.trim();
    if let Some(body) = t.strip_suffix(')') {
        if let Some(open) = body.rfind('(') {
            return (
                body[..open].trim().to_owned(),
                Some(body[open + 1..].trim().to_owned()),
            );
        }
    }
    (t.to_owned(), None)
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let end = at + word.len();
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
            && text[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// A piece of item content.
#[derive(Debug, PartialEq, Eq)]
enum Frag {
    /// A `<u>`-only fragment.
    SubHeading(String),
    /// Text; `plain` when it was not inside `<p>` tags.
    Text { text: String, plain: bool },
}

/// Splits item content into fragments: `<p>…</p>` pieces, or the whole text.
fn fragments(n: usize, content: &str) -> Result<Vec<Frag>, ImportError> {
    let content = content.trim_matches(|c: char| c.is_whitespace());
    if !content.contains("<p>") && !content.contains("</p>") {
        let mut out = Vec::new();
        for cell in content.split('\t').map(str::trim).filter(|c| !c.is_empty()) {
            out.push(inline(n, cell, true)?);
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    let mut rest = content;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some(after_open) = rest.strip_prefix("<p>") else {
            let stray: String = rest.chars().take(30).collect();
            return err(n, format!("text outside <p>…</p>: {stray:?}"));
        };
        let Some(close) = after_open.find("</p>") else {
            return err(n, "<p> without a closing </p>");
        };
        let inner = &after_open[..close];
        if inner.contains("<p>") {
            return err(n, "<p> inside another <p>");
        }
        out.push(inline(n, inner, false)?);
        rest = &after_open[close + "</p>".len()..];
    }
    Ok(out)
}

/// One fragment's text: a sub-heading if wholly underlined; other `<u>` tags dropped.
fn inline(n: usize, inner: &str, plain: bool) -> Result<Frag, ImportError> {
    let opens = inner.matches("<u>").count();
    let closes = inner.matches("</u>").count();
    if opens != closes {
        return err(n, "unbalanced <u> tags");
    }
    if inner.contains("</p>") {
        return err(n, "</p> without an opening <p>");
    }
    let t = inner.trim();
    if let Some(u) = t.strip_prefix("<u>").and_then(|x| x.strip_suffix("</u>")) {
        if !u.contains("<u>") && !u.contains("</u>") {
            return Ok(Frag::SubHeading(clean(&decode_entities(u))));
        }
    }
    let text = t.replace("<u>", "").replace("</u>", "");
    Ok(Frag::Text {
        text: clean(&decode_entities(&text)),
        plain,
    })
}

/// Splits "Outstanding Matters / Matters arising There were none." before the text.
fn split_title(text: &str) -> (String, Option<String>) {
    let mut prev_lower = false;
    for (i, _) in text.match_indices(' ') {
        let before = &text[..i];
        prev_lower = before.chars().next_back().is_some_and(|c| c.is_lowercase());
        let after = &text[i + 1..];
        let word: String = after.chars().take_while(|c| !c.is_whitespace()).collect();
        if prev_lower && SENTENCE_OPENERS.contains(&word.as_str()) {
            return (before.trim().to_owned(), Some(after.trim().to_owned()));
        }
    }
    let _ = prev_lower;
    (text.trim().to_owned(), None)
}

/// `ACTION 06/23: JI to circulate the report by 1 March.`
/// How action owners are looked up: by short form (exact), else by name (ASCII case
/// ignored); the first person in the register wins. Built once per import.
struct Owners {
    short: HashMap<String, usize>,
    name: HashMap<String, usize>,
}

impl Owners {
    fn new(people: &[MinutesPerson]) -> Self {
        let mut short = HashMap::new();
        let mut name = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            if !p.person.short.is_empty() {
                short.entry(p.person.short.clone()).or_insert(i);
            }
            name.entry(p.person.name.to_ascii_lowercase()).or_insert(i);
        }
        Owners { short, name }
    }

    fn find(&self, token: &str) -> Option<usize> {
        self.short
            .get(token)
            .or_else(|| self.name.get(&token.to_ascii_lowercase()))
            .copied()
    }
}

fn parse_action(
    n: usize,
    text: &str,
    people: &Owners,
) -> Result<Option<MinutesAction>, ImportError> {
    let rest = if let Some(r) = text.strip_prefix("ACTION") {
        r
    } else if let Some(r) = text.strip_prefix("Action") {
        r
    } else {
        return Ok(None);
    };
    if rest.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return Ok(None); // "Actions were…", "Actioned…"
    }
    let Some((reference, body)) = rest.split_once(':') else {
        if text.starts_with("ACTION") {
            return err(
                n,
                "ACTION without a colon: expected \"ACTION <ref>: <owner> to <what>\"",
            );
        }
        return Ok(None);
    };
    let reference = reference.trim().trim_matches(['(', ')', '[', ']']).trim();
    if reference.chars().count() > 12 {
        if text.starts_with("ACTION") {
            return err(n, format!("ACTION reference {reference:?} is too long"));
        }
        return Ok(None);
    }
    let reference = if reference.is_empty() {
        None
    } else {
        ActionReference::parse(reference).map(|r| r.to_string())
    };
    let body = body.trim();
    let mut owners = Vec::new();
    let mut description = body.to_owned();
    if let Some((subject, what)) = body.split_once(" to ") {
        let tokens: Vec<&str> = subject
            .split([',', '&', '/'])
            .flat_map(|t| t.split(" and "))
            .map(|t| t.trim())
            .map(|t| {
                t.strip_prefix("The ")
                    .or_else(|| t.strip_prefix("the "))
                    .unwrap_or(t)
            })
            .filter(|t| !t.is_empty())
            .collect();
        let found: Vec<Option<usize>> = tokens.iter().map(|t| people.find(t)).collect();
        if !found.is_empty() && found.iter().all(Option::is_some) {
            owners = found.into_iter().flatten().collect();
            owners.dedup();
            description = what.trim().to_owned();
        }
    }
    let mut due = String::new();
    let stripped = description.trim_end_matches('.');
    if let Some(at) = stripped.rfind(" by ") {
        let candidate = stripped[at + 4..].trim();
        if is_date_like(candidate) {
            due = candidate.to_owned();
        }
    }
    Ok(Some(MinutesAction {
        fields: ActionFields {
            description,
            due,
            status: ActionStatus::Open,
            reference,
        },
        owners,
        raised_in: None,
    }))
}

/// Collapses runs of whitespace and trims.
fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        // An entity is short: look no further (a text of many `&` stays linear).
        let semi = tail.bytes().take(11).position(|b| b == b';');
        let decoded = semi.and_then(|i| {
            let name = &tail[1..i];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix('#')
                    .and_then(|d| d.parse::<u32>().ok())
                    .and_then(char::from_u32),
            }?;
            Some((c, i + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_split() {
        assert_eq!(
            split_title("Outstanding Matters / Matters arising There were none."),
            (
                "Outstanding Matters / Matters arising".into(),
                Some("There were none.".into())
            )
        );
        assert_eq!(split_title("AOB"), ("AOB".into(), None));
        assert_eq!(
            split_title("Update from the Chief Constable Nothing to report."),
            (
                "Update from the Chief Constable".into(),
                Some("Nothing to report.".into())
            )
        );
    }

    #[test]
    fn numbering_sequence() {
        let p = |s: &str| ItemPath::parse_number(s).unwrap();
        assert!(follows(None, &p("1")));
        assert!(!follows(None, &p("2")));
        assert!(follows(Some(&p("2")), &p("3")));
        assert!(follows(Some(&p("2")), &p("2.1")));
        assert!(follows(Some(&p("2.6")), &p("3")));
        assert!(follows(Some(&p("2.1.1")), &p("2.2")));
        assert!(!follows(Some(&p("2.1")), &p("2.3")));
        assert!(!follows(Some(&p("2")), &p("2.2")));
        assert_eq!(expected_after(&p("2.1")), ["2.2", "2.1.1", "3"]);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            split_date_time("Monday 31st January, 2:00 pm"),
            ("Monday 31st January".into(), "2:00 pm".into())
        );
        assert_eq!(
            split_date_time("Friday 11th March"),
            ("Friday 11th March".into(), String::new())
        );
        assert!(is_date_like("Friday 11th March"));
        assert!(!is_date_like("Performance"));
        assert!(is_time_like("10.30am"));
        assert_eq!(
            series_of("Monthly Assurance Meeting January 2022– Meeting Notes"),
            "Monthly Assurance Meeting"
        );
        assert_eq!(series_of("Board – 3 May"), "Board");
        assert_eq!(series_of("Board – Monday 3rd May 2021"), "Board");
        assert_eq!(series_of("Performance Meeting"), "Performance Meeting");
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;c&gt; &#8211; &bogus; &"),
            "a & b <c> – &bogus; &"
        );
    }
}
