//! A backtracking matcher with the semantics of Python's `re` (CPython 3.11 `_sre`) for the
//! regexes of spaCy's tokenizers and of ftfy.
//!
//! The regexes arrive already parsed: `tools/_sre_export.py` writes the tree Python's own
//! parser builds (`re._parser`), with every single-character node replaced by an explicit
//! code point set that Python's `re` itself computed. So character classes, `\w`, `\d` and
//! case-insensitive literals need no Unicode tables here, and alternation order, greedy and lazy
//! repeats, lookarounds and `$` ("end, or before a final newline") follow `_sre`'s
//! backtracking, first match wins. Only what spaCy's regexes use is supported; the generator
//! refuses anything else (back-references, nullable loop bodies, variable-width lookbehind).
//!
//! The matcher runs on `&[char]`, as Python indexes strings by code point.

use std::collections::BTreeMap;

/// A set of code points: a bitmap for ASCII and sorted disjoint ranges for the rest.
pub(crate) struct CharSet {
    ascii: u128,
    ranges: Box<[(u32, u32)]>,
}

impl CharSet {
    pub(crate) fn new(ranges: Vec<(u32, u32)>) -> Self {
        let mut ascii = 0u128;
        for &(a, b) in &ranges {
            for c in a..=b.min(127) {
                ascii |= 1 << c;
            }
        }
        CharSet {
            ascii,
            ranges: ranges.into_boxed_slice(),
        }
    }

    fn has_non_ascii(&self) -> bool {
        self.ranges.last().is_some_and(|&(_, b)| b >= 128)
    }

    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let c = c as u32;
        if c < 128 {
            return self.ascii >> c & 1 != 0;
        }
        let i = self.ranges.partition_point(|&(_, b)| b < c);
        i < self.ranges.len() && self.ranges[i].0 <= c
    }
}

/// A parsed regex node (see the token stream in the generator's docs).
#[derive(Clone, Debug)]
enum Node {
    Char(char),
    Set(u32),
    Begin,
    /// Python's `$`: at the end, or before a "\n" that ends the string.
    End,
    EndStr,
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        min: u32,
        max: Option<u32>,
        greedy: bool,
        body: Box<Node>,
    },
    Look {
        behind: bool,
        neg: bool,
        width: u32,
        body: Box<Node>,
    },
}

/// One character test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Char(char),
    Set(u32),
}

#[derive(Clone, Copy, Debug)]
enum Inst {
    Item(Item),
    Begin,
    End,
    EndStr,
    /// Try the first target, and on failure the second.
    Split(u32, u32),
    /// Alternatives: the branches of table `alts[i]` that may match here, in order.
    Alt(u32),
    Jmp(u32),
    /// A repeat of one character test (`_sre`'s REPEAT_ONE / MIN_REPEAT_ONE).
    RepeatOne {
        item: Item,
        min: u32,
        max: u32,
        greedy: bool,
    },
    /// A lookaround whose body is the sub-program starting at `start`.
    Look {
        behind: bool,
        neg: bool,
        width: u32,
        start: u32,
    },
    Match,
}

/// The characters a match can start with (a superset), and whether it may consume nothing
/// first (through an empty repeat or a zero-width assertion), so that any position may do.
#[derive(Clone, Debug, Default)]
struct First {
    ascii: u128,
    /// Tests for characters outside ASCII.
    other: Vec<Item>,
    nullable: bool,
}

impl First {
    fn add(&mut self, item: Item, sets: &[CharSet]) {
        match item {
            Item::Char(c) if (c as u32) < 128 => self.ascii |= 1 << c as u32,
            Item::Char(_) => self.other.push(item),
            Item::Set(i) => {
                let set = &sets[i as usize];
                self.ascii |= set.ascii;
                if set.has_non_ascii() {
                    self.other.push(item);
                }
            }
        }
    }

    fn union(&mut self, o: &First) {
        self.ascii |= o.ascii;
        self.other.extend_from_slice(&o.other);
        self.other.sort_unstable();
        self.other.dedup();
    }

    /// Whether a match may start at a position whose character is `c` (`None`: the end).
    #[inline]
    fn may_start(&self, sets: &[CharSet], c: Option<char>) -> bool {
        if self.nullable {
            return true;
        }
        match c {
            None => false,
            Some(c) if (c as u32) < 128 => self.ascii >> c as u32 & 1 != 0,
            Some(c) => self.other.iter().any(|&it| test(sets, it, c)),
        }
    }

    fn of(n: &Node, sets: &[CharSet]) -> First {
        let mut f = First::default();
        match n {
            Node::Char(c) => f.add(Item::Char(*c), sets),
            Node::Set(i) => f.add(Item::Set(*i), sets),
            Node::Begin | Node::End | Node::EndStr | Node::Look { .. } => f.nullable = true,
            Node::Seq(v) => {
                f.nullable = true;
                for x in v {
                    let g = First::of(x, sets);
                    f.union(&g);
                    if !g.nullable {
                        f.nullable = false;
                        break;
                    }
                }
            }
            Node::Alt(v) => {
                for x in v {
                    let g = First::of(x, sets);
                    f.union(&g);
                    f.nullable |= g.nullable;
                }
            }
            Node::Repeat { min, body, .. } => {
                f = First::of(body, sets);
                f.nullable |= *min == 0;
            }
        }
        f
    }
}

/// The branches of an alternation, with what each may start with, so that only the branches
/// that can match at a position are tried (in their order, which decides the match).
struct AltTable {
    targets: Box<[u32]>,
    firsts: Box<[First]>,
    /// For each ASCII character, the branches that may start with it.
    ascii: Box<[Box<[u16]>]>,
    /// The branches that may match at the end of the input.
    at_end: Box<[u16]>,
}

/// A compiled regex with the hints the generator computed for searching.
pub(crate) struct Regex {
    prog: Vec<Inst>,
    alts: Vec<AltTable>,
    first: First,
    /// Every match starts at position 0.
    anchored_start: bool,
    /// Every match ends at the end (or before a final "\n") and is at most this long.
    max_width_to_end: Option<usize>,
    /// For an alternation whose every branch ends at the end (spaCy's suffixes): the longest
    /// bounded branch, and what the unbounded branches start with. Further than that from the
    /// end, only the unbounded branches can match.
    end_split: Option<(usize, First)>,
}

/// A backtracking entry.
enum Frame {
    /// Resume at `pc` from `pos`.
    Alt { pc: u32, pos: usize },
    /// A greedy single-character repeat that may give back characters down to `min_pos`.
    Greedy { pc: u32, pos: usize, min_pos: usize },
    /// A lazy single-character repeat that may take more characters up to `max_pos`.
    Lazy {
        pc: u32,
        pos: usize,
        max_pos: usize,
        item: Item,
    },
}

/// Reusable backtracking state: the frames, and the memo of a top-level run.
#[derive(Default)]
pub(crate) struct Stack {
    frames: Vec<Frame>,
    memo: Memo,
    /// Lookarounds being evaluated: their runs keep no memo.
    depth: u32,
}

/// What a top-level run has explored, once it has worked long enough to need it (see
/// [`Regex::run`]): the states `(pc, pos)` it has failed from, as disjoint intervals of
/// positions per instruction so that a greedy repeat skips a visited stretch at once; and, per
/// single-character repeat, the stretches of matching characters already scanned.
#[derive(Default)]
struct Memo {
    failed: foldhash::HashMap<u32, BTreeMap<usize, usize>>,
    /// `start -> end`: every character of `start..end` matches the repeat, `end`'s does not
    /// (or it is the end of the input).
    runs: foldhash::HashMap<u32, BTreeMap<usize, usize>>,
}

impl Memo {
    fn clear(&mut self) {
        self.failed.clear();
        self.runs.clear();
    }

    /// The explored interval `(first, last)` holding `pos` for `pc`.
    fn interval(&self, pc: u32, pos: usize) -> Option<(usize, usize)> {
        let (&a, &b) = self.failed.get(&pc)?.range(..=pos).next_back()?;
        (pos <= b).then_some((a, b))
    }

    /// Records `(pc, pos)`; `false` if it was already there.
    fn insert(&mut self, pc: u32, pos: usize) -> bool {
        let m = self.failed.entry(pc).or_default();
        let left = m.range(..=pos).next_back().map(|(&a, &b)| (a, b));
        if left.is_some_and(|(_, b)| pos <= b) {
            return false;
        }
        let start = match left {
            Some((a, b)) if b + 1 == pos => a,
            _ => pos,
        };
        let end = m.remove(&(pos + 1)).unwrap_or(pos);
        m.insert(start, end);
        true
    }

    /// Where the stretch of characters matching repeat `pc` from `pos` ends, if scanned.
    fn run_end(&self, pc: u32, pos: usize) -> Option<usize> {
        let (_, &end) = self.runs.get(&pc)?.range(..=pos).next_back()?;
        (pos <= end).then_some(end)
    }
}

impl Regex {
    /// Parses the generator's token stream (`hints` is its second field), whose `sN` refer to
    /// `sets`.
    pub(crate) fn parse(hints: &str, tokens: &str, sets: &[CharSet]) -> Regex {
        let toks: Vec<&str> = tokens.split(' ').filter(|t| !t.is_empty()).collect();
        let mut i = 0;
        let mut nodes = Vec::new();
        while i < toks.len() {
            nodes.push(parse_node(&toks, &mut i));
        }
        let root = Node::Seq(nodes);
        let first = First::of(&root, sets);
        let mut c = Compiler {
            prog: Vec::new(),
            looks: Vec::new(),
            alts: Vec::new(),
            sets,
        };
        c.compile(&root);
        c.prog.push(Inst::Match);
        // Lookaround bodies are separate programs after the main one (bodies inside bodies are
        // queued as they are compiled).
        while let Some((at, body)) = c.looks.pop() {
            let start = c.prog.len() as u32;
            c.compile(&body);
            c.prog.push(Inst::Match);
            if let Inst::Look { start: s, .. } = &mut c.prog[at] {
                *s = start;
            }
        }
        let Compiler { prog, alts, .. } = c;
        let end_split = end_split(&root, sets);
        let mut anchored_start = false;
        let mut max_width_to_end = None;
        for h in hints.split(',') {
            if h == "start" {
                anchored_start = true;
            } else if let Some(w) = h.strip_prefix("maxw=") {
                max_width_to_end = Some(w.parse().expect("bad maxw hint"));
            }
        }
        Regex {
            prog,
            alts,
            first,
            end_split,
            anchored_start,
            max_width_to_end,
        }
    }

    /// Whether `re.match` finds a match at the start of `s` (possibly an empty one).
    pub(crate) fn is_match_at_start(&self, sets: &[CharSet], s: &[char], st: &mut Stack) -> bool {
        self.run(sets, s, 0, 0, false, st).is_some()
    }

    /// `re.match(s, pos)`: the end of the match starting at `pos`, if any.
    pub(crate) fn match_at(
        &self,
        sets: &[CharSet],
        s: &[char],
        pos: usize,
        st: &mut Stack,
    ) -> Option<usize> {
        self.run(sets, s, 0, pos, false, st)
    }

    /// `re.search(s)`: the first position with a match, and that match's end.
    pub(crate) fn search(
        &self,
        sets: &[CharSet],
        s: &[char],
        st: &mut Stack,
    ) -> Option<(usize, usize)> {
        self.search_from(sets, s, 0, false, st)
    }

    /// One step of `re.finditer`: search from `from`; with `must_advance`, a match at `from`
    /// itself must not be empty (`_sre`'s `must_advance` after an empty match).
    pub(crate) fn search_from(
        &self,
        sets: &[CharSet],
        s: &[char],
        from: usize,
        must_advance: bool,
        st: &mut Stack,
    ) -> Option<(usize, usize)> {
        if from > s.len() {
            return None;
        }
        if self.anchored_start {
            if from > 0 {
                return None;
            }
            return self.run(sets, s, 0, 0, must_advance, st).map(|e| (0, e));
        }
        let mut first = from;
        if let Some(w) = self.max_width_to_end {
            first = first.max(s.len().saturating_sub(w + 1));
        }
        (first..=s.len()).find_map(|p| {
            let may = match &self.end_split {
                Some((w, tail)) if p + w + 1 < s.len() => tail.may_start(sets, s.get(p).copied()),
                _ => self.first.may_start(sets, s.get(p).copied()),
            };
            if !may {
                return None;
            }
            self.run(sets, s, 0, p, must_advance && p == from, st)
                .map(|e| (p, e))
        })
    }

    /// All `re.finditer(s)` matches as `(start, end)`, appended to `out`.
    pub(crate) fn find_iter(
        &self,
        sets: &[CharSet],
        s: &[char],
        out: &mut Vec<(usize, usize)>,
        st: &mut Stack,
    ) {
        let mut pos = 0;
        let mut must_advance = false;
        while let Some((a, b)) = self.search_from(sets, s, pos, must_advance, st) {
            out.push((a, b));
            must_advance = a == b;
            pos = b;
        }
    }

    /// Runs the program from `pc` at `pos`; the end of the first match in priority order.
    fn run(
        &self,
        sets: &[CharSet],
        s: &[char],
        pc: u32,
        pos: usize,
        must_advance: bool,
        st: &mut Stack,
    ) -> Option<usize> {
        let start = pos;
        let base = st.frames.len();
        let (mut pc, mut pos) = (pc, pos);
        // Backtracking can take quadratic time (spaCy's URL pattern on a long token holding
        // many ':', as in Python) or worse. Past a budget of work linear in the input, the
        // states `(pc, pos)` explored are remembered and not explored again: from a state the
        // outcome is always the same (no back-references; lookarounds are evaluated apart; no
        // loop body matches nothing), so the first match is unchanged and the work is bounded
        // by the number of states.
        let top = st.depth == 0;
        if top {
            st.memo.clear();
        }
        // Work left before the memo starts (only top-level runs keep one).
        let mut fuel = if top { 32 * (s.len() + 8) } else { usize::MAX };
        let mut memo = false;
        let result = 'outer: loop {
            // Run forward until a failure.
            let failed = loop {
                if fuel > 0 {
                    fuel -= 1;
                } else {
                    memo = true;
                    if !st.memo.insert(pc, pos) {
                        break true;
                    }
                }
                match self.prog[pc as usize] {
                    Inst::Item(item) => {
                        if pos < s.len() && test(sets, item, s[pos]) {
                            pos += 1;
                            pc += 1;
                        } else {
                            break true;
                        }
                    }
                    Inst::Begin => {
                        if pos == 0 {
                            pc += 1;
                        } else {
                            break true;
                        }
                    }
                    Inst::End => {
                        if pos == s.len() || (pos + 1 == s.len() && s[pos] == '\n') {
                            pc += 1;
                        } else {
                            break true;
                        }
                    }
                    Inst::EndStr => {
                        if pos == s.len() {
                            pc += 1;
                        } else {
                            break true;
                        }
                    }
                    Inst::Split(a, b) => {
                        st.frames.push(Frame::Alt { pc: b, pos });
                        pc = a;
                    }
                    Inst::Alt(t) => {
                        let table = &self.alts[t as usize];
                        // Queue the viable branches after the first, last first, so the next
                        // one in order is tried next.
                        let mut pending = None;
                        let mut queue = |k: u16, st: &mut Stack| {
                            if let Some(p) = pending.replace(k) {
                                st.frames.push(Frame::Alt {
                                    pc: table.targets[usize::from(p)],
                                    pos,
                                });
                            }
                        };
                        match s.get(pos) {
                            Some(&c) if (c as u32) < 128 => {
                                for &k in table.ascii[c as usize].iter().rev() {
                                    queue(k, st);
                                }
                            }
                            None => {
                                for &k in table.at_end.iter().rev() {
                                    queue(k, st);
                                }
                            }
                            Some(&c) => {
                                for k in (0..table.firsts.len()).rev() {
                                    if table.firsts[k].may_start(sets, Some(c)) {
                                        queue(k as u16, st);
                                    }
                                }
                            }
                        }
                        match pending {
                            Some(k) => pc = table.targets[usize::from(k)],
                            None => break true,
                        }
                    }
                    Inst::Jmp(a) => pc = a,
                    Inst::RepeatOne {
                        item,
                        min,
                        max,
                        greedy,
                    } => {
                        let (min, max) = (min as usize, max as usize);
                        if greedy {
                            let limit = s.len().min(pos.saturating_add(max));
                            let known = if memo { st.memo.run_end(pc, pos) } else { None };
                            let mut end = known.unwrap_or(pos);
                            if known.is_none() {
                                // With the memo on, scan to the stretch's end, joining a
                                // stretch scanned before, and keep it.
                                let (stop, next) = if memo {
                                    let next =
                                        st.memo.runs.get(&pc).and_then(|m| {
                                            m.range(pos..).next().map(|(&a, &b)| (a, b))
                                        });
                                    (next.map_or(s.len(), |(a, _)| a), next)
                                } else {
                                    (limit, None)
                                };
                                while end < stop && test(sets, item, s[end]) {
                                    end += 1;
                                }
                                fuel = fuel.saturating_sub(end - pos);
                                if memo {
                                    let runs = st.memo.runs.entry(pc).or_default();
                                    if let Some((a, b)) = next.filter(|&(a, _)| a == end) {
                                        runs.remove(&a);
                                        end = b;
                                    }
                                    runs.insert(pos, end);
                                }
                            }
                            let end = end.min(limit);
                            if end - pos < min {
                                break true;
                            }
                            if end - pos > min {
                                st.frames.push(Frame::Greedy {
                                    pc: pc + 1,
                                    pos: end - 1,
                                    min_pos: pos + min,
                                });
                            }
                            pos = end;
                        } else {
                            let mut end = pos;
                            while end - pos < min {
                                if end < s.len() && test(sets, item, s[end]) {
                                    end += 1;
                                } else {
                                    break;
                                }
                            }
                            if end - pos < min {
                                break true;
                            }
                            let max_pos = s.len().min(pos.saturating_add(max));
                            if end < max_pos {
                                st.frames.push(Frame::Lazy {
                                    pc: pc + 1,
                                    pos: end,
                                    max_pos,
                                    item,
                                });
                            }
                            pos = end;
                        }
                        pc += 1;
                    }
                    Inst::Look {
                        behind,
                        neg,
                        width,
                        start: body,
                    } => {
                        let at = if behind {
                            pos.checked_sub(width as usize)
                        } else {
                            Some(pos)
                        };
                        let found = at.is_some_and(|at| {
                            st.depth += 1;
                            let found = self.run(sets, s, body, at, false, st).is_some();
                            st.depth -= 1;
                            found
                        });
                        if found != neg {
                            pc += 1;
                        } else {
                            break true;
                        }
                    }
                    Inst::Match => {
                        if must_advance && pos == start {
                            break true;
                        }
                        break false;
                    }
                }
            };
            if !failed {
                break Some(pos);
            }
            // Backtrack.
            loop {
                if st.frames.len() == base {
                    break 'outer None;
                }
                match st.frames.pop().expect("checked above") {
                    Frame::Alt { pc: p, pos: q } => {
                        (pc, pos) = (p, q);
                        break;
                    }
                    Frame::Greedy {
                        pc: p,
                        pos: mut q,
                        min_pos,
                    } => {
                        // Positions already explored from `p` fail: skip them at once.
                        if memo {
                            if let Some((first, _)) = st.memo.interval(p, q) {
                                match first.checked_sub(1) {
                                    Some(before) if before >= min_pos => q = before,
                                    _ => continue,
                                }
                            }
                        }
                        if q > min_pos {
                            st.frames.push(Frame::Greedy {
                                pc: p,
                                pos: q - 1,
                                min_pos,
                            });
                        }
                        (pc, pos) = (p, q);
                        break;
                    }
                    Frame::Lazy {
                        pc: p,
                        pos: q,
                        max_pos,
                        item,
                    } => {
                        if q < s.len() && test(sets, item, s[q]) {
                            if q + 1 < max_pos {
                                st.frames.push(Frame::Lazy {
                                    pc: p,
                                    pos: q + 1,
                                    max_pos,
                                    item,
                                });
                            }
                            (pc, pos) = (p, q + 1);
                            break;
                        }
                    }
                }
            }
        };
        st.frames.truncate(base);
        result
    }
}

#[inline]
fn test(sets: &[CharSet], item: Item, c: char) -> bool {
    match item {
        Item::Char(x) => x == c,
        Item::Set(i) => sets[i as usize].contains(c),
    }
}

fn parse_node(toks: &[&str], i: &mut usize) -> Node {
    let t = toks[*i];
    *i += 1;
    let body = |i: &mut usize| Box::new(parse_node(toks, i));
    match t {
        "(" => {
            let mut seq = Vec::new();
            while toks[*i] != ")" {
                seq.push(parse_node(toks, i));
            }
            *i += 1;
            Node::Seq(seq)
        }
        "^" => Node::Begin,
        "$" => Node::End,
        "Z" => Node::EndStr,
        "=" | "!" => Node::Look {
            behind: false,
            neg: t == "!",
            width: 0,
            body: body(i),
        },
        _ => {
            let (head, rest) = t.split_at(1);
            match head {
                "c" => Node::Char(
                    char::from_u32(u32::from_str_radix(rest, 16).expect("bad char"))
                        .expect("bad code point"),
                ),
                "s" => Node::Set(rest.parse().expect("bad set id")),
                "|" => {
                    let n: usize = rest.parse().expect("bad branch count");
                    Node::Alt((0..n).map(|_| parse_node(toks, i)).collect())
                }
                "*" => {
                    let f: Vec<&str> = rest.split(',').collect();
                    let max: i64 = f[1].parse().expect("bad repeat max");
                    Node::Repeat {
                        min: f[0].parse().expect("bad repeat min"),
                        max: u32::try_from(max).ok(),
                        greedy: f[2] == "g",
                        body: body(i),
                    }
                }
                "<" | "~" => Node::Look {
                    behind: true,
                    neg: head == "~",
                    width: rest.parse().expect("bad lookbehind width"),
                    body: body(i),
                },
                _ => panic!("bad regex token {t:?}"),
            }
        }
    }
}

/// The single character test a node amounts to, if it is one.
fn as_item(n: &Node) -> Option<Item> {
    match n {
        Node::Char(c) => Some(Item::Char(*c)),
        Node::Set(s) => Some(Item::Set(*s)),
        Node::Seq(v) if v.len() == 1 => as_item(&v[0]),
        _ => None,
    }
}

/// `(min, max)` characters a node matches (`None`: unbounded).
fn width(n: &Node) -> (u64, Option<u64>) {
    match n {
        Node::Char(_) | Node::Set(_) => (1, Some(1)),
        Node::Begin | Node::End | Node::EndStr | Node::Look { .. } => (0, Some(0)),
        Node::Seq(v) => v.iter().map(width).fold((0, Some(0)), |(a, b), (c, d)| {
            (a + c, b.zip(d).map(|(b, d)| b + d))
        }),
        Node::Alt(v) => v
            .iter()
            .map(width)
            .fold((u64::MAX, Some(0)), |(a, b), (c, d)| {
                (a.min(c), b.zip(d).map(|(b, d)| b.max(d)))
            }),
        Node::Repeat { min, max, body, .. } => {
            let (a, b) = width(body);
            (
                a * u64::from(*min),
                b.zip(*max).map(|(b, m)| b * u64::from(m)),
            )
        }
    }
}

/// Whether every match of `n` ends with `$`.
fn ends_at_end(n: &Node) -> bool {
    match n {
        Node::End => true,
        Node::Seq(v) => v.last().is_some_and(ends_at_end),
        Node::Alt(v) => v.iter().all(ends_at_end),
        _ => false,
    }
}

/// See [`Regex::end_split`].
fn end_split(root: &Node, sets: &[CharSet]) -> Option<(usize, First)> {
    let mut n = root;
    while let Node::Seq(v) = n {
        if v.len() != 1 {
            return None;
        }
        n = &v[0];
    }
    let Node::Alt(branches) = n else {
        return None;
    };
    if !branches.iter().all(ends_at_end) {
        return None;
    }
    let mut bounded = 0;
    let mut tail = First::default();
    for b in branches {
        match width(b).1 {
            Some(w) => bounded = bounded.max(w as usize),
            None => {
                let f = First::of(b, sets);
                tail.union(&f);
                tail.nullable |= f.nullable;
            }
        }
    }
    Some((bounded, tail))
}

/// Compilation state: the program, the lookaround bodies still to compile (with the index of
/// their instruction) and the alternation tables.
struct Compiler<'s> {
    prog: Vec<Inst>,
    looks: Vec<(usize, Node)>,
    alts: Vec<AltTable>,
    sets: &'s [CharSet],
}

impl Compiler<'_> {
    fn compile(&mut self, n: &Node) {
        match n {
            Node::Char(c) => self.prog.push(Inst::Item(Item::Char(*c))),
            Node::Set(s) => self.prog.push(Inst::Item(Item::Set(*s))),
            Node::Begin => self.prog.push(Inst::Begin),
            Node::End => self.prog.push(Inst::End),
            Node::EndStr => self.prog.push(Inst::EndStr),
            Node::Seq(v) => v.iter().for_each(|x| self.compile(x)),
            Node::Alt(v) => {
                let firsts: Vec<First> = v.iter().map(|x| First::of(x, self.sets)).collect();
                let ascii = (0..128u32)
                    .map(|c| {
                        let c = char::from_u32(c).expect("ASCII");
                        (0..v.len() as u16)
                            .filter(|&k| firsts[usize::from(k)].may_start(self.sets, Some(c)))
                            .collect()
                    })
                    .collect();
                let at_end = (0..v.len() as u16)
                    .filter(|&k| firsts[usize::from(k)].nullable)
                    .collect();
                let t = self.alts.len();
                self.alts.push(AltTable {
                    targets: Box::new([]),
                    firsts: firsts.into_boxed_slice(),
                    ascii,
                    at_end,
                });
                self.prog.push(Inst::Alt(t as u32));
                let mut targets = Vec::new();
                let mut jumps = Vec::new();
                for alt in v {
                    targets.push(self.prog.len() as u32);
                    self.compile(alt);
                    jumps.push(self.prog.len());
                    self.prog.push(Inst::Jmp(0));
                }
                let end = self.prog.len() as u32;
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
                self.alts[t].targets = targets.into_boxed_slice();
            }
            Node::Repeat {
                min,
                max,
                greedy,
                body,
            } => {
                if let Some(item) = as_item(body) {
                    self.prog.push(Inst::RepeatOne {
                        item,
                        min: *min,
                        max: max.unwrap_or(u32::MAX),
                        greedy: *greedy,
                    });
                    return;
                }
                for _ in 0..*min {
                    self.compile(body);
                }
                match max {
                    Some(max) => {
                        // Nested optional copies: once one is skipped, so are the rest.
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.prog.len());
                            self.prog.push(Inst::Split(0, 0));
                            self.compile(body);
                        }
                        let end = self.prog.len() as u32;
                        for s in splits {
                            let next = s as u32 + 1;
                            self.prog[s] = if *greedy {
                                Inst::Split(next, end)
                            } else {
                                Inst::Split(end, next)
                            };
                        }
                    }
                    None => {
                        let top = self.prog.len();
                        self.prog.push(Inst::Split(0, 0));
                        self.compile(body);
                        self.prog.push(Inst::Jmp(top as u32));
                        let end = self.prog.len() as u32;
                        let next = top as u32 + 1;
                        self.prog[top] = if *greedy {
                            Inst::Split(next, end)
                        } else {
                            Inst::Split(end, next)
                        };
                    }
                }
            }
            Node::Look {
                behind,
                neg,
                width,
                body,
            } => {
                self.looks.push((self.prog.len(), (**body).clone()));
                self.prog.push(Inst::Look {
                    behind: *behind,
                    neg: *neg,
                    width: *width,
                    start: 0,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> Vec<CharSet> {
        // 0: digits, 1: ASCII letters, 2: printable ASCII
        vec![
            CharSet::new(vec![(0x30, 0x39)]),
            CharSet::new(vec![(0x41, 0x5a), (0x61, 0x7a)]),
            CharSet::new(vec![(0x21, 0x7e)]),
        ]
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn alternation_takes_the_first_branch_that_matches() {
        // ^(?:a|ab)
        let r = Regex::parse("start", "^ |2 ( c61 ) ( c61 c62 )", &sets());
        let mut st = Stack::default();
        assert_eq!(r.search(&sets(), &chars("abc"), &mut st), Some((0, 1)));
        // (?:ab|a)$ searched: leftmost start wins
        let r = Regex::parse("-", "|2 ( c61 c62 ) ( c61 ) $", &sets());
        assert_eq!(r.search(&sets(), &chars("xaab"), &mut st), Some((2, 4)));
        assert_eq!(r.search(&sets(), &chars("xa\n"), &mut st), Some((1, 2)));
    }

    #[test]
    fn repeats_backtrack_greedy_and_lazy() {
        // \d+5 on "12345" needs the greedy repeat to give back one digit.
        let r = Regex::parse("-", "*1,-1,g ( s0 ) c35", &sets());
        let mut st = Stack::default();
        assert_eq!(r.search(&sets(), &chars("a12345"), &mut st), Some((1, 6)));
        // \d+?3
        let r = Regex::parse("-", "*1,-1,l ( s0 ) c33", &sets());
        assert_eq!(r.search(&sets(), &chars("12333"), &mut st), Some((0, 3)));
        // (?:ab){1,2}b on "ababb": two copies then b
        let r = Regex::parse("-", "*1,2,g ( c61 c62 ) c62", &sets());
        assert_eq!(r.search(&sets(), &chars("ababb"), &mut st), Some((0, 5)));
        // and on "abab": two copies leave no b, one copy then needs b at 2 ('a'): no; from 2: "ab" then no b
        assert_eq!(r.search(&sets(), &chars("abab"), &mut st), None);
    }

    #[test]
    fn lookarounds_see_outside_the_match() {
        // (?<=[0-9])\.(?=[A-Za-z])
        let r = Regex::parse("-", "<1 ( s0 ) c2e = ( s1 )", &sets());
        let mut st = Stack::default();
        let mut out = Vec::new();
        r.find_iter(&sets(), &chars(".1.a.b2.c"), &mut out, &mut st);
        assert_eq!(out, vec![(2, 3), (7, 8)]);
        // (?<![0-9])a
        let r = Regex::parse("-", "~1 ( s0 ) c61", &sets());
        assert_eq!(r.search(&sets(), &chars("1aa"), &mut st), Some((2, 3)));
        assert_eq!(r.search(&sets(), &chars("a"), &mut st), Some((0, 1)));
    }

    #[test]
    fn exponential_and_quadratic_backtracking_stay_linear_with_the_same_result() {
        let mut st = Stack::default();
        // (?:a|aa)*b: 2^n paths without the memo.
        let r = Regex::parse("-", "*0,-1,g ( |2 ( c61 ) ( c61 c61 ) ) c62", &sets());
        let a = "a".repeat(200);
        assert_eq!(r.search(&sets(), &chars(&a), &mut st), None);
        let ab = format!("{a}b");
        assert_eq!(r.search(&sets(), &chars(&ab), &mut st), Some((0, 201)));
        // ^\S+(?::\S*)?@ (spaCy's URL user part; set 2 stands for \S): n^2 work without
        // the memo.
        let r = Regex::parse(
            "start",
            "^ *1,-1,g ( s2 ) *0,1,g ( c3a *0,-1,g ( s2 ) ) c40",
            &sets(),
        );
        let long = "a:b".repeat(100_000);
        assert!(!r.is_match_at_start(&sets(), &chars(&long), &mut st));
        let at = format!("{long}@");
        assert!(r.is_match_at_start(&sets(), &chars(&at), &mut st));
    }

    #[test]
    fn empty_matches_advance_like_finditer() {
        // (?=a): empty matches before each 'a'; a|(?=b)
        let r = Regex::parse("-", "= ( c61 )", &sets());
        let mut st = Stack::default();
        let mut out = Vec::new();
        r.find_iter(&sets(), &chars("aab"), &mut out, &mut st);
        assert_eq!(out, vec![(0, 0), (1, 1)]);
        // x*: Python gives (0,1),(1,1)? No: "x" -> [(0,1),(1,1)]
        let r = Regex::parse("-", "*0,-1,g ( c78 )", &sets());
        out.clear();
        r.find_iter(&sets(), &chars("xy"), &mut out, &mut st);
        assert_eq!(out, vec![(0, 1), (1, 1), (2, 2)]);
    }
}
