//! The report's data, accumulated while a run goes: per document, a few numbers computed on the
//! worker threads ([`before`], [`DocFacts::after`]), then added on the writer thread in input
//! order ([`ReportData::observe`]). Everything is a sum, a bounded table or a k-smallest
//! sample, so the result does not depend on the thread count, and it is saved with each
//! checkpoint so a resumed run ends with the same data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tamis_clean::{Edit, EDITS_KEY};
use tamis_core::{Document, Metadata};

use crate::dedup::DedupSummary;
use crate::hist::Hist;
use crate::sample::{
    edit_window, head, log_fits, sample_key, stable_hash, Sample, SampleGate, Samples,
};
use crate::top::TopCounts;

/// Layout version of `report.json`.
pub const FORMAT: u32 = 1;
/// Examples kept per cleaning rule and per drop reason.
pub const SAMPLES_PER_CATEGORY: usize = 3;
/// Distinct domains counted exactly per population before the lightest are folded away.
pub const DOMAIN_CAP: usize = 4000;
/// Prefix of the example categories of cleaning rules (`edit:boilerplate_phrase`).
pub const EDIT_PREFIX: &str = "edit:";
/// Bytes of text kept per example.
const EDIT_WINDOW: usize = 2000;
const DROP_WINDOW: usize = 1200;

/// Sizes of a text: UTF-8 bytes, characters, words (runs of bytes above U+0020, i.e. split on
/// ASCII spaces and control characters, so they are counted eight bytes at a time), and
/// `metadata.token_count` when present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub bytes: u64,
    pub chars: u64,
    pub words: u64,
    pub tokens: Option<u64>,
}

impl Shape {
    pub fn of(text: &str, metadata: &Metadata) -> Self {
        let (chars, words) = count_chars_and_words(text.as_bytes());
        Self {
            bytes: text.len() as u64,
            chars,
            words,
            tokens: metadata.get("token_count").and_then(Value::as_u64),
        }
    }
}

const HIGH: u64 = 0x8080_8080_8080_8080;
const SPACE: u64 = 0x2020_2020_2020_2020;

/// High bit of each byte set when the byte is above 0x20 ("solid"): with the high bit forced
/// on, the subtraction borrows out of the high bit only for bytes (without their high bit) at
/// or below 0x20; bytes that had it on anyway are solid.
#[inline(always)]
fn solid(x: u64) -> u64 {
    (((x | HIGH) - (SPACE + 0x0101_0101_0101_0101)) | x) & HIGH
}

/// High bit set for UTF-8 continuation bytes, 0b10xxxxxx: bit 7 on and bit 6 (shifted up) off.
#[inline(always)]
fn continuation(x: u64) -> u32 {
    (x & !(x << 1) & HIGH).count_ones()
}

/// Word starts in a block whose solid mask is `s`, after a block whose mask was `prev`: solid
/// bytes whose predecessor is not.
#[inline(always)]
fn starts(s: u64, prev: u64) -> u32 {
    (s & !((s << 8) | (prev >> 56))).count_ones()
}

#[inline(always)]
fn load(c: &[u8]) -> u64 {
    u64::from_le_bytes(c[..8].try_into().expect("eight bytes"))
}

/// Characters (bytes that are not UTF-8 continuation bytes) and words (runs of bytes above
/// 0x20, so split on ASCII spaces and control characters) of valid UTF-8, in one pass, eight
/// bytes at a time in four independent lanes. UTF-8 lead and continuation bytes are solid, so
/// words never split inside a character. This runs on every document twice, so it must cost
/// far less than the steps.
fn count_chars_and_words(bytes: &[u8]) -> (u64, u64) {
    let (mut cont, mut words) = (0u64, 0u64);
    // Solid mask of the previous block; its top byte is the byte before the current block.
    let mut prev = 0u64;
    let mut quads = bytes.chunks_exact(32);
    for q in &mut quads {
        let (a, b, c, d) = (load(q), load(&q[8..]), load(&q[16..]), load(&q[24..]));
        let (sa, sb, sc, sd) = (solid(a), solid(b), solid(c), solid(d));
        words += u64::from(starts(sa, prev) + starts(sb, sa) + starts(sc, sb) + starts(sd, sc));
        cont += u64::from(continuation(a) + continuation(b) + continuation(c) + continuation(d));
        prev = sd;
    }
    let mut blocks = quads.remainder().chunks_exact(8);
    for blk in &mut blocks {
        let x = load(blk);
        let s = solid(x);
        words += u64::from(starts(s, prev));
        cont += u64::from(continuation(x));
        prev = s;
    }
    let mut last_solid = prev >> 63 == 1;
    for &b in blocks.remainder() {
        let solid = b > 0x20;
        words += u64::from(solid && !last_solid);
        cont += u64::from(b & 0xC0 == 0x80);
        last_solid = solid;
    }
    (bytes.len() as u64 - cont, words)
}

/// A document as it was read, taken before the steps run.
#[derive(Debug, Clone)]
pub struct Before {
    pub id_hash: u64,
    pub shape: Shape,
}

pub fn before(doc: &Document) -> Before {
    Before {
        id_hash: stable_hash(doc.id.as_bytes()),
        shape: Shape::of(&doc.text, &doc.metadata),
    }
}

/// What the report needs of one processed document, computed on a worker thread. What the
/// writer thread can read from the document itself (id, URL, language, the edit log, the text
/// a step dropped) is not copied here: allocations made on one thread and freed on another
/// cost more than the counting.
#[derive(Debug, Clone)]
pub struct DocFacts {
    pub id_hash: u64,
    pub before: Shape,
    pub after: Shape,
    /// The text the edit log refers to, when the document has edits, a step kept the text
    /// and an example set may still take the document (see [`DocFacts::drop_unwanted_base`]).
    pub original: Option<String>,
}

impl DocFacts {
    /// Facts of `doc` after the steps. `base` is the text its edit log refers to, when a step
    /// kept it ([`tamis_core::EditBase`]).
    pub fn after(b: Before, doc: &Document, base: Option<String>) -> Self {
        Self {
            id_hash: b.id_hash,
            before: b.shape,
            // Counted again rather than compared with a copy of the text as read: copying
            // every document cost more than this pass.
            after: Shape::of(&doc.text, &doc.metadata),
            original: base,
        }
    }

    /// Facts of a document no step has touched (as read is as written).
    pub fn unchanged(doc: &Document) -> Self {
        let b = before(doc);
        Self {
            id_hash: b.id_hash,
            before: b.shape,
            after: b.shape,
            original: None,
        }
    }

    /// Frees the text as read here, on the worker, unless one of `doc`'s rules may still draw
    /// it as an example (by `gate`, which errs on keeping).
    pub fn drop_unwanted_base(&mut self, doc: &Document, gate: &SampleGate) {
        if self.original.is_some()
            && !gate.may_want_any(log_entries(doc).map(|e| e.rule), self.id_hash)
        {
            self.original = None;
        }
    }
}

/// One entry of a document's edit log, read in place.
struct EntryRef<'a> {
    rule: &'a str,
    line_start: u64,
    lines: u64,
    bytes: u64,
}

/// The entries of `doc`'s edit log, read without building [`Edit`]s (this runs per document);
/// malformed entries are skipped.
fn log_entries(doc: &Document) -> impl Iterator<Item = EntryRef<'_>> {
    let entries = doc
        .metadata
        .get(EDITS_KEY)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    entries.iter().filter_map(|e| {
        // Walked field by field: a keyed lookup hashes the key, five times per entry.
        let (mut rule, mut n) = (None, [None; 4]);
        for (k, v) in e.as_object()? {
            match k.as_str() {
                "rule" => rule = v.as_str(),
                "line_start" => n[0] = v.as_u64(),
                "line_end" => n[1] = v.as_u64(),
                "byte_start" => n[2] = v.as_u64(),
                "byte_end" => n[3] = v.as_u64(),
                _ => {}
            }
        }
        Some(EntryRef {
            rule: rule?,
            line_start: n[0]?,
            lines: n[1]?.saturating_sub(n[0]?),
            bytes: n[3]?.saturating_sub(n[2]?),
        })
    })
}

/// Adds `doc`'s edit log to `rules`; returns the rules it names, in first-seen order.
fn tally_rules<'a>(rules: &mut BTreeMap<String, RuleTally>, doc: &'a Document) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    // A line cut in several places (`line_clean`'s cut lines) has an entry per piece: it
    // counts as one line.
    let mut last_cut: Option<(&str, u64)> = None;
    for e in log_entries(doc) {
        let t = slot(rules, e.rule);
        t.edits += 1;
        let cut = (e.lines == 1).then_some((e.rule, e.line_start));
        if cut.is_none() || cut != last_cut {
            t.lines += e.lines;
        }
        last_cut = cut;
        t.bytes += e.bytes;
        if !seen.contains(&e.rule) {
            t.docs += 1;
            seen.push(e.rule);
        }
    }
    seen
}

/// The entry for `key`, allocating the key only when it is new (this runs once per document on
/// the writer thread).
fn slot<'a, V: Default>(map: &'a mut BTreeMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// The host of a URL, lower-cased, without `www.`.
pub fn domain(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    (!host.is_empty()).then_some(host)
}

/// Documents of one kind (read, kept or dropped): their sizes, languages and domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Population {
    pub docs: u64,
    pub bytes: u64,
    pub chars: Hist,
    pub words: Hist,
    /// Only documents with `metadata.token_count`.
    pub tokens: Hist,
    /// By `metadata.language`; `unknown` where absent.
    pub languages: BTreeMap<String, u64>,
    /// By URL host; documents without `metadata.url` are not counted.
    pub domains: TopCounts,
}

impl Default for Population {
    fn default() -> Self {
        Self {
            docs: 0,
            bytes: 0,
            chars: Hist::default(),
            words: Hist::default(),
            tokens: Hist::default(),
            languages: BTreeMap::new(),
            domains: TopCounts::new(DOMAIN_CAP),
        }
    }
}

impl Population {
    fn add(&mut self, s: &Shape, language: Option<&str>, domain: Option<&str>) {
        self.docs += 1;
        self.bytes += s.bytes;
        self.chars.add(s.chars);
        self.words.add(s.words);
        if let Some(t) = s.tokens {
            self.tokens.add(t);
        }
        *slot(&mut self.languages, language.unwrap_or("unknown")) += 1;
        if let Some(d) = domain {
            self.domains.add(d, 1);
        }
    }

    pub fn merge(&mut self, o: &Population) {
        self.docs += o.docs;
        self.bytes += o.bytes;
        self.chars.merge(&o.chars);
        self.words.merge(&o.words);
        self.tokens.merge(&o.tokens);
        for (k, v) in &o.languages {
            *self.languages.entry(k.clone()).or_default() += v;
        }
        self.domains.merge(&o.domains);
    }
}

/// What one cleaning rule did, over the documents that ended in this population.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTally {
    pub docs: u64,
    pub edits: u64,
    /// Lines the rule removed or cut (a line cut in several places counts once).
    pub lines: u64,
    pub bytes: u64,
}

/// Documents and bytes through one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepFlow {
    pub step: String,
    pub docs_in: u64,
    pub docs_dropped: u64,
    /// Text bytes of the documents entering the step, of those it dropped (as they entered),
    /// and of those it passed on (as it left them: smaller when it removed lines).
    pub bytes_in: u64,
    pub bytes_dropped: u64,
    pub bytes_out: u64,
    pub time_s: f64,
}

/// `report.json`: everything the HTML report shows besides `stats.json` and `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub format: u32,
    pub steps: Vec<StepFlow>,
    /// Documents as read, before any step.
    pub input: Population,
    /// Kept documents as written.
    pub kept: Population,
    /// Dropped documents as the dropping step saw them.
    pub dropped: Population,
    /// Dropped documents by step and language.
    pub dropped_languages: BTreeMap<String, BTreeMap<String, u64>>,
    /// Cleaning rules (`metadata.tamis_edits`) over kept and over dropped documents.
    pub rules_kept: BTreeMap<String, RuleTally>,
    pub rules_dropped: BTreeMap<String, RuleTally>,
    /// Examples by category: `edit:RULE` and `drop:STEP:REASON`.
    pub samples: Samples,
    /// Edited documents, among those drawn as examples, whose edit log has no base in this run
    /// (it came with the input, so it starts from a text this run never saw) or does not fit
    /// it; no highlighted example can be cut from them.
    pub edits_without_base: u64,
    pub dedup: Vec<DedupSummary>,
}

impl Default for ReportData {
    fn default() -> Self {
        Self {
            format: FORMAT,
            steps: Vec::new(),
            input: Population::default(),
            kept: Population::default(),
            dropped: Population::default(),
            dropped_languages: BTreeMap::new(),
            rules_kept: BTreeMap::new(),
            rules_dropped: BTreeMap::new(),
            samples: Samples::new(SAMPLES_PER_CATEGORY),
            edits_without_base: 0,
            dedup: Vec::new(),
        }
    }
}

impl ReportData {
    /// A gate for [`DocFacts::drop_unwanted_base`], fed by [`ReportData::publish`].
    pub fn edit_gate() -> SampleGate {
        SampleGate::new(EDIT_PREFIX)
    }

    /// Tells the workers, through `gate`, which cleaning-rule examples may still be taken.
    pub fn publish(&self, gate: &SampleGate) {
        gate.publish(&self.samples);
    }

    /// Adds one document: its facts and the document as the steps left it; `dropped` is
    /// `(step, reason)` when a step dropped it (then `doc.text` is the text that step saw).
    pub fn observe(&mut self, f: DocFacts, doc: &Document, dropped: Option<(&str, &str)>) {
        let meta = |k: &str| doc.metadata.get(k).and_then(Value::as_str);
        let url = meta("url");
        let dom = url.and_then(domain);
        self.input.add(&f.before, None, dom.as_deref());
        let lang = meta("language");
        match dropped {
            None => self.kept.add(&f.after, lang, dom.as_deref()),
            Some((step, _)) => {
                self.dropped.add(&f.after, lang, dom.as_deref());
                let by_lang = slot(&mut self.dropped_languages, step);
                *slot(by_lang, lang.unwrap_or("unknown")) += 1;
            }
        }
        let rules = if dropped.is_some() {
            &mut self.rules_dropped
        } else {
            &mut self.rules_kept
        };
        let seen = tally_rules(rules, doc);
        // Built only for a document about to be sampled, which are few.
        let mut edits: Option<Option<Vec<Edit>>> = None;
        for rule in seen {
            let cat = format!("{EDIT_PREFIX}{rule}");
            let key = sample_key(f.id_hash, &cat);
            if !self.samples.wants(&cat, key) {
                continue;
            }
            // The log must parse and fit its base.
            let fitting = edits.get_or_insert_with(|| {
                let orig = f.original.as_deref()?;
                let log = doc.metadata.get(EDITS_KEY)?;
                let log = Vec::<Edit>::deserialize(log).ok()?;
                log_fits(orig, &log).then_some(log)
            });
            let Some(log) = fitting.as_deref() else {
                self.edits_without_base += 1;
                break;
            };
            let orig = f.original.as_deref().expect("a fitting log has a base");
            if let Some((text, offset, marks, clipped_start, clipped_end)) =
                edit_window(orig, log, rule, EDIT_WINDOW)
            {
                self.samples.offer(
                    &cat,
                    Sample {
                        key,
                        id: doc.id.clone(),
                        url: url.map(str::to_owned),
                        text,
                        offset,
                        clipped_start,
                        clipped_end,
                        marks,
                    },
                );
            }
        }
        if let Some((step, reason)) = dropped {
            let cat = format!("drop:{step}:{reason}");
            let key = sample_key(f.id_hash, &cat);
            if self.samples.wants(&cat, key) {
                let (text, clipped_end) = head(&doc.text, DROP_WINDOW);
                self.samples.offer(
                    &cat,
                    Sample {
                        key,
                        id: doc.id.clone(),
                        url: url.map(str::to_owned),
                        clipped_end,
                        text,
                        offset: 0,
                        clipped_start: false,
                        marks: Vec::new(),
                    },
                );
            }
        }
    }

    /// This run followed by `later`, a run over what this one kept (a pipeline's next phase):
    /// the input stays this one's, kept documents become `later`'s, drops add up.
    pub fn then(&mut self, later: ReportData) {
        self.steps.extend(later.steps);
        self.kept = later.kept;
        self.rules_kept = later.rules_kept;
        self.dropped.merge(&later.dropped);
        for (step, langs) in later.dropped_languages {
            let e = self.dropped_languages.entry(step).or_default();
            for (l, n) in langs {
                *e.entry(l).or_default() += n;
            }
        }
        for (rule, t) in later.rules_dropped {
            let e = self.rules_dropped.entry(rule).or_default();
            e.docs += t.docs;
            e.edits += t.edits;
            e.lines += t.lines;
            e.bytes += t.bytes;
        }
        self.samples.merge(&later.samples);
        // Not `later.edits_without_base`: a later phase reads this one's output, whose edit
        // logs start from this phase's input, so it can never cut examples and says nothing.
        self.dedup.extend(later.dedup);
    }

    /// Zeroes the timings, for comparing the data of two runs.
    pub fn without_timings(mut self) -> Self {
        for s in &mut self.steps {
            s.time_s = 0.0;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_cut_in_two_places_counts_once() {
        // `line_clean` on a menu row, then a row gluing a menu cell, the article's first
        // paragraph and a sidebar cell: one line removed, one cut in two places.
        let text = "Home      News\nNews      The storm brought down trees across the county on Sunday night, the council said.      Archive\n";
        let (cleaned, edits) = tamis_clean::clean(text, &Default::default());
        let mut doc = Document::new("t", cleaned);
        doc.metadata
            .insert(EDITS_KEY.into(), serde_json::to_value(&edits).unwrap());
        let mut rules = BTreeMap::new();
        assert_eq!(tally_rules(&mut rules, &doc), ["layout_columns"]);
        let t = &rules["layout_columns"];
        assert_eq!((t.docs, t.edits, t.lines), (1, 3, 2));
    }

    #[test]
    fn counts_eight_at_a_time_equal_the_plain_counts() {
        let texts = [
            "",
            "a",
            " ",
            "one two  three\tfour\nfive",
            "  leading and trailing  ",
            "exactly8 bytes12 x",
            "héllo wörld — ünïcode\u{3000}wide",
            "a b c d e f g h i j k l m n o p",
            "\n\n\nabcdefghijklmnopqrstuvwxyz\n\n",
            "日本語のテキストと English と 한국어 mixed 🎉🎉 emoji𝄞",
            "ß€😀 at byte boundaries: ÿÿÿÿÿÿÿÿÿ",
        ];
        for t in texts {
            let plain = t
                .as_bytes()
                .split(|&b| b <= 0x20)
                .filter(|w| !w.is_empty())
                .count() as u64;
            let chars = t.chars().count() as u64;
            assert_eq!(count_chars_and_words(t.as_bytes()), (chars, plain), "{t:?}");
        }
        // Every length across the 32- and 8-byte blocks, words and characters straddling them.
        let long = "Ünïcode wörds  and\tspaces — 日本語 x y\n\nzz 🎉 end ".repeat(6);
        for (end, _) in long.char_indices() {
            let t = &long[..end];
            let plain = t
                .split(|c: char| c <= ' ')
                .filter(|w| !w.is_empty())
                .count() as u64;
            let chars = t.chars().count() as u64;
            assert_eq!(count_chars_and_words(t.as_bytes()), (chars, plain), "{t:?}");
        }
    }

    #[test]
    fn shape_counts_chars_and_words() {
        let s = Shape::of("  héllo wörld\n\tx ", &Metadata::new());
        assert_eq!(s.bytes, 19);
        assert_eq!(s.chars, 17);
        assert_eq!(s.words, 3);
        assert_eq!(s.tokens, None);
    }

    #[test]
    fn domains_are_hosts() {
        assert_eq!(
            domain("https://www.Example.com:8080/a?b").as_deref(),
            Some("example.com")
        );
        assert_eq!(domain("http://user@x.org#f").as_deref(), Some("x.org"));
        assert_eq!(domain("").as_deref(), None);
    }
}
