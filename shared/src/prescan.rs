//! A validating pre-scan of Yjs v1 update bytes, run before yrs decodes anything.
//!
//! yrs decodes `Any` values (and parses embedded JSON) recursively, one stack frame per
//! level, so a ~10 KB update holding an array nested 5,000 deep overflows the stack and
//! aborts the whole process; `catch_unwind` cannot contain that. This scan walks the same
//! encoding **without recursion** (an explicit stack for `Any`, a bracket counter for
//! JSON strings) and refuses:
//! - nesting deeper than [`MAX_NESTING`];
//! - content Minutebook never uses and yrs would decode into something more dangerous
//!   (sub-documents, weak links);
//! - counts larger than the bytes that could hold them, truncation and trailing bytes.
//!
//! It follows yrs 0.28's v1 decoder field by field (`Update::decode`,
//! `ItemContent::decode`, `Any::decode`, `IdSet::decode`), so that whatever it accepts is
//! parsed by yrs the same way. It also returns what a read-only role's update carries —
//! the number of structs and the delete set — so the server can decide on such an update
//! without ever handing it to yrs.

use crate::depth::{json_within_depth, MAX_NESTING};

/// Why an update was refused by the pre-scan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The bytes end in the middle of a field.
    #[error("truncated update")]
    Truncated,
    /// Values nest deeper than the limit.
    #[error("update nests values deeper than {MAX_NESTING} levels")]
    TooDeep,
    /// A field holds a value the encoding does not allow.
    #[error("malformed update: {0}")]
    Malformed(&'static str),
    /// Valid Yjs content that Minutebook does not accept.
    #[error("unsupported update content: {0}")]
    Unsupported(&'static str),
}

/// One deleted range of a delete set: `len` clocks of `client` from `clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedRange {
    pub client: u64,
    pub clock: u32,
    pub len: u32,
}

/// What an accepted update carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Structs (items, GC and skip ranges) across all clients.
    pub structs: u64,
    /// Items whose content is a shared type (a new map, array, text, …).
    pub types: u64,
    /// The clocks each client group covers: `(client, first clock, end clock)`.
    pub clocks: Vec<(u64, u32, u64)>,
    /// The delete set, range by range, as encoded.
    pub deletes: Vec<DeletedRange>,
    /// Items that set a map entry (a field, a new item, block or action) or start a
    /// sequence (the first characters of an empty text): the only edits that can change
    /// where content sits. Typing into existing text and deleting never count.
    pub placing: u64,
}

impl Scanned {
    /// Whether the delete set deletes anything (a range of non-zero length).
    pub fn deletes_anything(&self) -> bool {
        self.deletes.iter().any(|r| r.len > 0)
    }
}

// Struct and content reference numbers of the v1 encoding (yrs `block.rs`).
const GC: u8 = 0;
const SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const CONTENT_DELETED: u8 = 1;
const CONTENT_JSON: u8 = 2;
const CONTENT_BINARY: u8 = 3;
const CONTENT_STRING: u8 = 4;
const CONTENT_EMBED: u8 = 5;
const CONTENT_FORMAT: u8 = 6;
const CONTENT_TYPE: u8 = 7;
const CONTENT_ANY: u8 = 8;
const CONTENT_DOC: u8 = 9;
// Type references (yrs `types/mod.rs`).
const TYPE_XML_ELEMENT: u8 = 3;
const TYPE_WEAK: u8 = 7;
const TYPE_DOC: u8 = 9;
const TYPE_UNDEFINED: u8 = 15;

/// Scans a v1 update (the payload of sync step 2 or an update message).
pub fn scan_update_v1(bytes: &[u8]) -> Result<Scanned, ScanError> {
    let mut r = Reader { bytes, pos: 0 };
    let mut scanned = Scanned::default();
    let mut items = Items::default();
    let groups = r.var_u32()?;
    r.fits(groups)?;
    // Yjs lists each client once; yrs would build overlapping blocks from two groups of
    // one client (found by fuzzing: a division by zero inside yrs).
    let mut listed = std::collections::HashSet::new();
    for _ in 0..groups {
        let structs = r.var_u32()?;
        r.fits(structs)?;
        let client = r.client()?;
        if !listed.insert(client) {
            return Err(ScanError::Malformed("client listed twice"));
        }
        let first = r.var_u32()?;
        let mut end = u64::from(first);
        for _ in 0..structs {
            let clock = u32::try_from(end).map_err(|_| ScanError::Malformed("clock overflow"))?;
            let scanned_struct = scan_struct(&mut r)?;
            end += scanned_struct.len;
            scanned.structs += 1;
            if let Some((parent, is_type)) = scanned_struct.item {
                scanned.types += u64::from(is_type);
                scanned.placing += u64::from(scanned_struct.placing);
                items.push(client, clock, scanned_struct.len, parent, is_type);
            }
        }
        if structs > 0 {
            scanned.clocks.push((client, first, end));
        }
    }
    let clients = r.var_u32()?;
    r.fits(clients)?;
    for _ in 0..clients {
        let client = r.client()?;
        let ranges = r.var_u32()?;
        r.fits(ranges)?;
        for _ in 0..ranges {
            let clock = r.var_u32()?;
            let len = r.var_u32()?;
            scanned.deletes.push(DeletedRange { client, clock, len });
        }
    }
    if r.pos != bytes.len() {
        return Err(ScanError::Malformed("trailing bytes after the delete set"));
    }
    if scanned.types > 0 && items.deepest_type() > MAX_NESTING {
        return Err(ScanError::TooDeep);
    }
    Ok(scanned)
}

/// Checks the counts a y-protocols frame declares against the bytes it has, before yrs
/// decodes it. yrs reserves memory for the count it reads before reading the entries: a
/// 7-byte awareness message declaring 62 million states made it reserve 4.4 GB and
/// initialise 62 MB of it (found by fuzzing). A state vector entry takes at least 2
/// bytes and an awareness entry at least 3, so larger counts cannot be honest. Client
/// ids beyond 53 bits are refused here too.
/// (Updates carried by sync step 2 and update messages are checked by
/// [`scan_update_v1`].)
pub fn check_message(frame: &[u8]) -> Result<(), ScanError> {
    const SYNC: u32 = 0;
    const SYNC_STEP_1: u32 = 0;
    const AWARENESS: u32 = 1;
    let mut r = Reader {
        bytes: frame,
        pos: 0,
    };
    // Tags are read as yrs reads them only when they fit in 32 bits: yrs wraps a longer
    // varint, so `80 80 80 80 60` is tag 0 to it (found by fuzzing: such a frame slipped
    // past this check as an "unknown" type, and yrs then decoded it as a sync step 1).
    let (payload, min_entry) = match r.var_u32()? {
        SYNC if r.var_u32()? == SYNC_STEP_1 => (r.buf()?, 2),
        AWARENESS => (r.buf()?, 3),
        _ => return Ok(()),
    };
    let mut p = Reader {
        bytes: payload,
        pos: 0,
    };
    let count = p.var_u64()?;
    p.fits_u64(count.saturating_mul(min_entry))?;
    // Every entry starts with a client id; a state vector entry then has a clock, an
    // awareness entry a clock and its state.
    for _ in 0..count {
        p.client()?;
        p.var_u64()?;
        if min_entry == 3 {
            p.buf()?;
        }
    }
    Ok(())
}

/// Where an item's parent is, as encoded.
#[derive(Debug, Clone, Copy)]
enum Parent {
    /// A root type, by name.
    Root,
    /// The type created by the item with this id.
    Type(u64, u32),
    /// The parent of the item with this id (the item's left or right origin).
    SameAs(u64, u32),
}

/// One item of a struct: its length and, for items (not GC or skip ranges), where its
/// parent is and whether it creates a shared type.
struct Struct {
    len: u64,
    item: Option<(Parent, bool)>,
    /// Sets a map entry or has no neighbours ([`Scanned::placing`]).
    placing: bool,
}

/// The items of one update, to bound how deep the shared types it creates nest within
/// it: yrs deletes (and garbage-collects) a type's children recursively, so a chain of
/// nested maps in one update, deleted in that same update, would overflow the stack.
/// Chains that reach into types the document already holds are bounded by the server
/// after applying (each accepted update keeps the document within the limit).
#[derive(Default)]
struct Items {
    /// (client, first clock, length, parent, creates a type)
    list: Vec<(u64, u32, u64, Parent, bool)>,
}

impl Items {
    fn push(&mut self, client: u64, clock: u32, len: u64, parent: Parent, is_type: bool) {
        self.list.push((client, clock, len, parent, is_type));
    }

    /// The deepest nesting of the types created here, counting a type whose parent is
    /// outside this update as depth 1. Iterative, with cycles (possible in hostile
    /// input) cut.
    fn deepest_type(&mut self) -> usize {
        self.list
            .sort_by_key(|&(client, clock, ..)| (client, clock));
        let n = self.list.len();
        // The nesting depth of each item's parent, once known; `ON_STACK` while resolving.
        const ON_STACK: usize = usize::MAX;
        let mut parent_depth: Vec<Option<usize>> = vec![None; n];
        let mut deepest = 0;
        for start in 0..n {
            let mut stack = vec![start];
            while let Some(&top) = stack.last() {
                if matches!(parent_depth[top], Some(d) if d != ON_STACK) {
                    stack.pop();
                    continue;
                }
                let (dependency, plus) = match self.list[top].3 {
                    Parent::Root => (None, 0),
                    Parent::Type(c, k) => (self.find(c, k).filter(|&j| self.list[j].4), 1),
                    Parent::SameAs(c, k) => (self.find(c, k), 0),
                };
                let resolved = match dependency {
                    None => Ok(plus),
                    Some(j) => match parent_depth[j] {
                        // A cycle: the encoding cannot place these items anywhere.
                        Some(ON_STACK) => Ok(plus),
                        Some(d) => Ok(d + plus),
                        None => Err(j),
                    },
                };
                match resolved {
                    Ok(d) => {
                        parent_depth[top] = Some(d);
                        stack.pop();
                    }
                    Err(j) => {
                        parent_depth[top] = Some(ON_STACK);
                        stack.push(j);
                    }
                }
            }
        }
        for (i, item) in self.list.iter().enumerate() {
            if item.4 {
                deepest = deepest.max(parent_depth[i].unwrap_or(0) + 1);
            }
        }
        deepest
    }

    /// The item covering clock `clock` of `client`.
    fn find(&self, client: u64, clock: u32) -> Option<usize> {
        let at = self
            .list
            .partition_point(|&(c, k, ..)| (c, k) <= (client, clock));
        let i = at.checked_sub(1)?;
        let (c, k, len, ..) = self.list[i];
        (c == client && u64::from(clock) < u64::from(k) + len).then_some(i)
    }
}

/// Scans one struct.
fn scan_struct(r: &mut Reader) -> Result<Struct, ScanError> {
    let info = r.u8()?;
    if let SKIP | GC = info {
        let len = r.var_u32()?;
        if len == 0 {
            return Err(ScanError::Malformed("empty struct"));
        }
        return Ok(Struct {
            len: u64::from(len),
            item: None,
            placing: false,
        });
    }
    let mut parent = Parent::Root;
    if info & HAS_ORIGIN != 0 {
        let (c, k) = r.id()?;
        parent = Parent::SameAs(c, k);
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        let (c, k) = r.id()?;
        if info & HAS_ORIGIN == 0 {
            parent = Parent::SameAs(c, k);
        }
    }
    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        if r.var_u32()? == 1 {
            r.string()?;
        } else {
            let (c, k) = r.id()?;
            parent = Parent::Type(c, k);
        }
        if info & HAS_PARENT_SUB != 0 {
            r.string()?;
        }
    }
    let is_type = info & 0b1111 == CONTENT_TYPE;
    let len = match info & 0b1111 {
        CONTENT_DELETED => u64::from(r.var_u32()?),
        CONTENT_JSON => {
            // yrs reads `len + 1` strings here (and fails on a negative `len as i32`).
            let len = r.var_u32()?;
            if len > i32::MAX as u32 {
                return Err(ScanError::Malformed("JSON content length"));
            }
            r.fits(len)?;
            for _ in 0..=len {
                r.json()?;
            }
            u64::from(len) + 1
        }
        CONTENT_BINARY => {
            r.buf()?;
            1
        }
        // Strings count UTF-16 code units, as in Yjs.
        CONTENT_STRING => r.string()?.encode_utf16().count() as u64,
        CONTENT_EMBED => {
            r.json()?;
            1
        }
        CONTENT_FORMAT => {
            r.string()?;
            r.json()?;
            1
        }
        CONTENT_TYPE => {
            match r.u8()? {
                TYPE_XML_ELEMENT => {
                    r.string()?;
                }
                TYPE_WEAK => return Err(ScanError::Unsupported("weak links")),
                TYPE_DOC => return Err(ScanError::Unsupported("sub-documents")),
                0..=6 | TYPE_UNDEFINED => {}
                _ => return Err(ScanError::Malformed("unknown type reference")),
            }
            1
        }
        CONTENT_ANY => {
            let len = r.var_u32()?;
            r.fits(len)?;
            for _ in 0..len {
                skip_any(r)?;
            }
            u64::from(len)
        }
        CONTENT_DOC => return Err(ScanError::Unsupported("sub-documents")),
        _ => return Err(ScanError::Malformed("unknown content reference")),
    };
    // Yjs never writes an empty item (an empty string, no values, a deleted run of 0),
    // and yrs's block lookups assume none.
    if len == 0 {
        return Err(ScanError::Malformed("empty struct"));
    }
    Ok(Struct {
        len,
        item: Some((parent, is_type)),
        placing: info & HAS_PARENT_SUB != 0 || info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0,
    })
}

/// Skips one lib0 `Any` value, nesting at most [`MAX_NESTING`] arrays and maps deep.
fn skip_any(r: &mut Reader) -> Result<(), ScanError> {
    // Open arrays and maps: (values still to read, whether each value has a key).
    let mut open: Vec<(u64, bool)> = Vec::new();
    let mut started = false;
    loop {
        match open.last_mut() {
            None if started => return Ok(()),
            None => started = true,
            Some((0, _)) => {
                open.pop();
                continue;
            }
            Some((left, keyed)) => {
                *left -= 1;
                if *keyed {
                    r.string()?;
                }
            }
        }
        match r.u8()? {
            127 | 126 | 121 | 120 => {}
            125 => r.var_int()?,
            124 => {
                r.skip(4)?;
            }
            123 | 122 => {
                r.skip(8)?;
            }
            119 => {
                r.string()?;
            }
            116 => {
                r.buf()?;
            }
            tag @ (117 | 118) => {
                let len = r.var_u64()?;
                r.fits_u64(len)?;
                if open.len() >= MAX_NESTING {
                    return Err(ScanError::TooDeep);
                }
                open.push((len, tag == 118));
            }
            _ => return Err(ScanError::Malformed("unknown value tag")),
        }
    }
}

/// A cursor over lib0 v1 primitives.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Refuses a count of items that cannot fit in the remaining bytes (each takes at
    /// least one), before anything loops over or allocates for it.
    fn fits(&self, count: u32) -> Result<(), ScanError> {
        self.fits_u64(u64::from(count))
    }

    fn fits_u64(&self, count: u64) -> Result<(), ScanError> {
        if count > self.left() as u64 {
            return Err(ScanError::Truncated);
        }
        Ok(())
    }

    fn u8(&mut self) -> Result<u8, ScanError> {
        let b = *self.bytes.get(self.pos).ok_or(ScanError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn skip(&mut self, n: usize) -> Result<&'a [u8], ScanError> {
        if n > self.left() {
            return Err(ScanError::Truncated);
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn var_u64(&mut self) -> Result<u64, ScanError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ScanError::Malformed("variable-length integer too long"))
    }

    /// A client id: Yjs's are at most 53 bits (JavaScript's safe integers). yrs keeps
    /// only the low 53 bits of a larger one, so it would alias another client (and a
    /// debug build asserts); such ids are refused.
    fn client(&mut self) -> Result<u64, ScanError> {
        let id = self.var_u64()?;
        if id >> 53 == 0 {
            Ok(id)
        } else {
            Err(ScanError::Malformed("client id out of range"))
        }
    }

    fn var_u32(&mut self) -> Result<u32, ScanError> {
        u32::try_from(self.var_u64()?).map_err(|_| ScanError::Malformed("integer out of range"))
    }

    /// A signed lib0 varint (its length rule is the unsigned one's).
    fn var_int(&mut self) -> Result<(), ScanError> {
        self.var_u64().map(|_| ())
    }

    fn id(&mut self) -> Result<(u64, u32), ScanError> {
        Ok((self.client()?, self.var_u32()?))
    }

    fn buf(&mut self) -> Result<&'a [u8], ScanError> {
        let len = self.var_u32()?;
        self.skip(len as usize)
    }

    fn string(&mut self) -> Result<&'a str, ScanError> {
        std::str::from_utf8(self.buf()?).map_err(|_| ScanError::Malformed("invalid UTF-8"))
    }

    /// A string that yrs parses as JSON: its nesting is checked here.
    fn json(&mut self) -> Result<(), ScanError> {
        if json_within_depth(self.string()?, MAX_NESTING) {
            Ok(())
        } else {
            Err(ScanError::TooDeep)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::types::ToJson;
    use yrs::updates::decoder::Decode;
    use yrs::updates::encoder::Encode;
    use yrs::{Any, Array, Doc, GetString, Map, ReadTxn, Text, Transact, Update};

    /// A real update with text, maps, arrays, `Any` values, formatting and deletions.
    fn rich_update() -> Vec<u8> {
        let doc = Doc::with_client_id(7);
        let text = doc.get_or_insert_text("t");
        let map = doc.get_or_insert_map("m");
        let array = doc.get_or_insert_array("a");
        {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, "hello world");
            text.remove_range(&mut txn, 0, 6);
            let attrs = yrs::types::Attrs::from([("bold".into(), Any::Bool(true))]);
            text.format(&mut txn, 0, 3, attrs);
            map.insert(&mut txn, "n", 1.5);
            map.insert(&mut txn, "s", "x");
            map.insert(&mut txn, "nested", yrs::MapPrelim::default());
            array.insert(
                &mut txn,
                0,
                Any::from(vec![
                    Any::from(1),
                    Any::from(vec![Any::Null, Any::from("y")]),
                ]),
            );
            array.insert(&mut txn, 1, vec![1u8, 2, 3]);
        }
        let update = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        update
    }

    /// An update whose single item is an `Any` array nested `depth` deep, under a new
    /// root type: the shape of the reported stack overflow.
    fn nested_any(depth: usize) -> Vec<u8> {
        let mut out = vec![1, 1]; // one client group with one struct
        push_var(&mut out, 987_654); // client
        out.push(0); // clock
        out.push(CONTENT_ANY); // info: no origins, so parent info follows
        out.push(1); // parent is a root type, by name
        push_var(&mut out, 4);
        out.extend_from_slice(b"evil");
        out.push(1); // one value
        for _ in 0..depth {
            out.extend_from_slice(&[117, 1]); // array of one
        }
        out.push(126); // null
        out.extend_from_slice(&[0]); // empty delete set
        out
    }

    fn push_var(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    #[test]
    fn real_updates_pass_and_are_counted() {
        let update = rich_update();
        let scanned = scan_update_v1(&update).unwrap();
        assert!(scanned.structs >= 5, "{scanned:?}");
        assert!(scanned.deletes_anything());
        // The clocks it covers are the document's state vector, as yrs computes it.
        let sv = Update::decode_v1(&update).unwrap().state_vector();
        for (client, _, end) in &scanned.clocks {
            assert_eq!(u64::from(sv.get(&yrs::block::ClientID::new(*client))), *end);
        }
        // And yrs agrees it is a valid update.
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        assert_eq!(
            doc.get_or_insert_text("t").get_string(&doc.transact()),
            "world"
        );
        let _ = doc.get_or_insert_map("m").to_json(&doc.transact());
    }

    #[test]
    fn the_empty_update_passes() {
        let empty = Update::new().encode_v1();
        assert_eq!(scan_update_v1(&empty).unwrap(), Scanned::default());
    }

    #[test]
    fn deep_any_nesting_is_refused_before_yrs_sees_it() {
        // At the limit it is accepted, and yrs decodes it (so the scan follows yrs).
        let ok = nested_any(MAX_NESTING);
        scan_update_v1(&ok).unwrap();
        Update::decode_v1(&ok).unwrap();
        assert_eq!(
            scan_update_v1(&nested_any(MAX_NESTING + 1)),
            Err(ScanError::TooDeep)
        );
        assert_eq!(scan_update_v1(&nested_any(5_000)), Err(ScanError::TooDeep));
        assert_eq!(
            scan_update_v1(&nested_any(1_000_000)),
            Err(ScanError::TooDeep)
        );
    }

    #[test]
    fn deep_json_in_embeds_and_formats_is_refused() {
        let deep = "[".repeat(MAX_NESTING + 1) + &"]".repeat(MAX_NESTING + 1);
        let mut out = vec![1, 1, 1, 0, CONTENT_EMBED, 1, 1, b't'];
        push_var(&mut out, deep.len() as u64);
        out.extend_from_slice(deep.as_bytes());
        out.push(0);
        assert_eq!(scan_update_v1(&out), Err(ScanError::TooDeep));
    }

    #[test]
    fn truncations_trailing_bytes_and_huge_counts_are_refused() {
        let update = rich_update();
        for cut in 0..update.len() {
            assert!(
                scan_update_v1(&update[..cut]).is_err(),
                "prefix of {cut} bytes"
            );
        }
        let mut trailing = update.clone();
        trailing.push(0);
        assert!(scan_update_v1(&trailing).is_err());
        // "4 billion client groups" in five bytes.
        assert_eq!(
            scan_update_v1(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(ScanError::Truncated)
        );
    }

    /// An update creating a chain of `n` nested maps under root `r` and, with `delete`,
    /// deleting the whole chain in the same update.
    fn nested_maps(n: usize, delete: bool) -> Vec<u8> {
        use yrs::{MapPrelim, MapRef};
        let doc = Doc::with_client_id(5);
        let root = doc.get_or_insert_map("r");
        {
            let mut txn = doc.transact_mut();
            let mut cur: MapRef = root.insert(&mut txn, "k", MapPrelim::default());
            for i in 1..n {
                // A sibling and alternating keys, so that origins are exercised too.
                cur.insert(&mut txn, "s", "x");
                let key = if i % 2 == 0 { "k" } else { "j" };
                cur = cur.insert(&mut txn, key, MapPrelim::default());
            }
        }
        let chain = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        if !delete {
            return chain;
        }
        let sv = doc.transact().state_vector();
        root.remove(&mut doc.transact_mut(), "k");
        let deletion = doc.transact().encode_diff_v1(&sv);
        yrs::merge_updates_v1([chain, deletion]).unwrap()
    }

    #[test]
    fn types_nested_deeper_than_the_limit_in_one_update_are_refused() {
        let ok = scan_update_v1(&nested_maps(MAX_NESTING, false)).unwrap();
        assert_eq!(ok.types, MAX_NESTING as u64);
        assert_eq!(
            scan_update_v1(&nested_maps(MAX_NESTING + 1, false)),
            Err(ScanError::TooDeep)
        );
        // The shape that overflows yrs's recursive delete (at about 20,000 levels with a
        // 2 MiB stack; building a deeper one here would overflow this test's own stack).
        assert_eq!(
            scan_update_v1(&nested_maps(2_000, true)),
            Err(ScanError::TooDeep)
        );
    }

    #[test]
    fn a_type_chain_through_origins_is_followed() {
        // Items with an origin carry no parent: it is their origin's. Make every map in
        // the chain the second child of its parent, so its parent is known only through
        // its left origin (the sibling inserted before it).
        use yrs::{ArrayPrelim, ArrayRef};
        let doc = Doc::with_client_id(6);
        let root = doc.get_or_insert_array("a");
        {
            let mut txn = doc.transact_mut();
            let mut cur: ArrayRef = root.insert(&mut txn, 0, ArrayPrelim::default());
            for _ in 0..MAX_NESTING {
                cur.insert(&mut txn, 0, "first");
                cur = cur.insert(&mut txn, 1, ArrayPrelim::default());
            }
        }
        let update = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        assert_eq!(scan_update_v1(&update), Err(ScanError::TooDeep));
    }

    #[test]
    fn messages_declaring_more_entries_than_they_hold_are_refused() {
        use crate::protocol::{encode, Message, SyncMessage};
        // The fuzzer's finding: an awareness message of 7 bytes declaring ~62 million states.
        let awareness_bomb = [1, 4, 0xff, 0xff, 0xff, 0x1d, 9];
        assert_eq!(check_message(&awareness_bomb), Err(ScanError::Truncated));
        // A state vector declaring more clients than it has bytes for.
        let sv_bomb = [0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(check_message(&sv_bomb), Err(ScanError::Truncated));
        // Found by fuzzing: a message type written as a varint longer than 32 bits, which
        // yrs wraps to 0 (sync), then a state vector declaring billions of clients.
        let overlong = [
            128, 128, 128, 128, 96, 0, 18, 128, 255, 255, 255, 255, 255, 255, 255, 23, 128, 128,
            128, 128, 128, 128, 0, 1, 255, 159,
        ];
        assert!(check_message(&overlong).is_err());
        // Found by fuzzing: client 1 listed in two struct groups with overlapping clocks;
        // yrs built an overlapping block list and divided by zero looking a deletion up.
        let twice = [
            2, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 28, 2, 1, 4, 255, 255, 0, 1, 0, 1, 0, 4, 2, 0, 77,
            0,
        ];
        assert_eq!(
            scan_update_v1(&twice).map(|_| ()),
            Err(ScanError::Malformed("client listed twice"))
        );
        // An empty item (a deleted run of length 0 under root "t"): Yjs never writes one.
        let empty = [1, 1, 1, 0, 1, 1, 1, b't', 0, 0];
        assert_eq!(
            scan_update_v1(&empty).map(|_| ()),
            Err(ScanError::Malformed("empty struct"))
        );
        // Honest messages pass.
        let doc = Doc::with_client_id(3);
        doc.get_or_insert_text("t")
            .insert(&mut doc.transact_mut(), 0, "x");
        let step1 = encode(&Message::Sync(SyncMessage::SyncStep1(
            doc.transact().state_vector(),
        )));
        check_message(&step1).unwrap();
        let mut awareness = crate::protocol::Awareness::new(doc);
        awareness.set_local_state_raw(r#"{"user":{"name":"A"}}"#);
        let update = awareness.update().unwrap();
        check_message(&encode(&Message::Awareness(update))).unwrap();
        check_message(&encode(&Message::Sync(SyncMessage::Update(rich_update())))).unwrap();
    }

    /// Found by fuzzing (`sync_message`): a client id above 53 bits, which yrs keeps only
    /// the low 53 bits of (aliasing another client; a debug build asserts).
    #[test]
    fn client_ids_beyond_53_bits_are_refused() {
        let big = [
            1, 2, 0xc9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa6, 0x0, 0x46, 0x2, 0x1, 0x0,
            0x1, 0x0, 0x6, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x1, 0x0,
        ];
        assert_eq!(
            scan_update_v1(&big).map(|_| ()),
            Err(ScanError::Malformed("client id out of range"))
        );
        let mut v = Vec::new();
        let mut id: u64 = 1 << 53;
        while id >= 0x80 {
            v.push((id as u8) | 0x80);
            id >>= 7;
        }
        v.push(id as u8);
        // In a delete set, a state vector and an awareness state.
        let mut deletes = vec![0, 1];
        deletes.extend(&v);
        deletes.extend([1, 0, 1]);
        assert!(scan_update_v1(&deletes).is_err());
        let mut sv = vec![1];
        sv.extend(&v);
        sv.push(0);
        let mut step1 = vec![0, 0, sv.len() as u8];
        step1.extend(&sv);
        assert!(check_message(&step1).is_err());
        let mut states = vec![1];
        states.extend(&v);
        states.extend([1, 2, b'{', b'}']);
        let mut awareness = vec![1, states.len() as u8];
        awareness.extend(&states);
        assert!(check_message(&awareness).is_err());
        // The largest allowed id passes.
        let doc = Doc::with_client_id((1 << 53) - 1);
        doc.get_or_insert_text("t")
            .insert(&mut doc.transact_mut(), 0, "x");
        let update = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        scan_update_v1(&update).unwrap();
    }

    #[test]
    fn sub_documents_are_unsupported() {
        let doc = Doc::with_client_id(3);
        let map = doc.get_or_insert_map("m");
        map.insert(&mut doc.transact_mut(), "sub", Doc::new());
        let update = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        assert!(matches!(
            scan_update_v1(&update),
            Err(ScanError::Unsupported(_))
        ));
    }

    #[test]
    fn a_delete_only_update_reports_its_ranges() {
        let doc = Doc::with_client_id(9);
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "abcdef");
        let sv = doc.transact().state_vector();
        text.remove_range(&mut doc.transact_mut(), 1, 3);
        let update = doc.transact().encode_diff_v1(&sv);
        let scanned = scan_update_v1(&update).unwrap();
        assert_eq!(scanned.structs, 0);
        assert_eq!(
            scanned.deletes,
            vec![DeletedRange {
                client: 9,
                clock: 1,
                len: 3
            }]
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap sweep; the fuzz target goes much further.
        let update = rich_update();
        for i in 0..update.len() {
            for b in [0u8, 1, 0x7f, 0x80, 0xff, 117, 118] {
                let mut m = update.clone();
                m[i] = b;
                let _ = scan_update_v1(&m);
            }
        }
    }

    #[test]
    fn typing_and_deleting_place_nothing_but_fields_and_first_characters_do() {
        let doc = Doc::with_client_id(9);
        let map = doc.get_or_insert_map("m");
        let text = doc.get_or_insert_text("t");
        // What one transaction's update places.
        let placing = |f: &dyn Fn(&mut yrs::TransactionMut)| {
            let update = {
                let mut txn = doc.transact_mut();
                f(&mut txn);
                txn.encode_update_v1()
            };
            scan_update_v1(&update).expect("scans").placing
        };
        assert!(
            placing(&|txn| text.insert(txn, 0, "a")) > 0,
            "first characters"
        );
        assert_eq!(placing(&|txn| text.insert(txn, 1, "bc")), 0, "typing");
        assert_eq!(
            placing(&|txn| text.insert(txn, 0, "z")),
            0,
            "typing at the start"
        );
        assert_eq!(placing(&|txn| text.remove_range(txn, 0, 2)), 0, "deleting");
        let field = placing(&|txn| {
            map.insert(txn, "parent", "x");
        });
        assert!(field > 0, "a field");
    }
}
