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
use crate::sample::{edit_window, head, log_fits, sample_key, stable_hash, Sample, Samples};
use crate::top::TopCounts;

/// Layout version of `report.json`.
pub const FORMAT: u32 = 1;
/// Examples kept per cleaning rule and per drop reason.
pub const SAMPLES_PER_CATEGORY: usize = 3;
/// Distinct domains counted exactly per population before the lightest are folded away.
pub const DOMAIN_CAP: usize = 4000;
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
        Self {
            bytes: text.len() as u64,
            chars: text.chars().count() as u64,
            words: count_words(text.as_bytes()),
            tokens: metadata.get("token_count").and_then(Value::as_u64),
        }
    }
}

/// Runs of bytes above 0x20. Eight bytes at a time: a byte is "solid" when it is above 0x20
/// (UTF-8 lead and continuation bytes are, so words never split inside a character), and a
/// word starts at a solid byte whose predecessor is not. This runs on every document twice, so
/// it must cost far less than the steps.
fn count_words(bytes: &[u8]) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const SPACE: u64 = 0x2020_2020_2020_2020;
    // High bit of each byte set when the byte is above 0x20: with the high bit forced on, the
    // subtraction of 0x20 + 1 never borrows across bytes, and leaves it on only for bytes
    // (without their high bit) above 0x20; bytes that had it on anyway are solid.
    let solid = |x: u64| (((x | HIGH) - (SPACE + 0x0101_0101_0101_0101)) | x) & HIGH;
    let mut words = 0u64;
    // High bit of the top byte: whether the previous byte was solid.
    let mut prev = 0u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let s = solid(x);
        let before = (s << 8) | (prev >> 56);
        words += u64::from((s & !before).count_ones());
        prev = s;
    }
    let mut last_solid = prev >> 63 == 1;
    for &b in chunks.remainder() {
        let solid = b > 0x20;
        words += u64::from(solid && !last_solid);
        last_solid = solid;
    }
    words
}

/// A document as it was read, taken before the steps run.
#[derive(Debug, Clone)]
pub struct Before {
    pub id_hash: u64,
    pub shape: Shape,
    /// The text as read: the base of the edit log when no step replaced the text first.
    pub text: String,
}

pub fn before(doc: &Document) -> Before {
    Before {
        id_hash: stable_hash(doc.id.as_bytes()),
        shape: Shape::of(&doc.text, &doc.metadata),
        text: doc.text.clone(),
    }
}

/// What the report needs of one processed document.
#[derive(Debug, Clone)]
pub struct DocFacts {
    pub id: String,
    pub id_hash: u64,
    pub before: Shape,
    pub after: Shape,
    pub language: Option<String>,
    pub url: Option<String>,
    pub edits: Vec<Edit>,
    /// The text as read, kept only when the document has edits (for highlighted examples).
    pub original: Option<String>,
    /// The head of the text the dropping step saw (dropped documents only).
    pub dropped_text: Option<String>,
}

impl DocFacts {
    /// Facts of `doc` after the steps; `dropped` says whether a step dropped it.
    pub fn after(b: Before, doc: &Document, dropped: bool) -> Self {
        let edits: Vec<Edit> = doc
            .metadata
            .get(EDITS_KEY)
            .and_then(|v| Vec::<Edit>::deserialize(v).ok())
            .unwrap_or_default();
        let same = edits.is_empty() && b.text == doc.text;
        let after = if same {
            Shape {
                tokens: doc.metadata.get("token_count").and_then(Value::as_u64),
                ..b.shape
            }
        } else {
            Shape::of(&doc.text, &doc.metadata)
        };
        Self {
            id: doc.id.clone(),
            id_hash: b.id_hash,
            before: b.shape,
            after,
            language: doc
                .metadata
                .get("language")
                .and_then(Value::as_str)
                .map(str::to_owned),
            url: doc
                .metadata
                .get("url")
                .and_then(Value::as_str)
                .map(str::to_owned),
            original: (!edits.is_empty()).then_some(b.text),
            edits,
            dropped_text: dropped.then(|| head(&doc.text, DROP_WINDOW).0),
        }
    }
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
    /// Edited documents whose edit log does not start from the text as read (a step before
    /// the cleaner replaced the text, e.g. `extract`), so no highlighted example can be cut.
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
    /// Adds one document; `dropped` is `(step, reason)` when a step dropped it.
    pub fn observe(&mut self, f: DocFacts, dropped: Option<(&str, &str)>) {
        let dom = f.url.as_deref().and_then(domain);
        self.input.add(&f.before, None, dom.as_deref());
        let lang = f.language.as_deref();
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
        let mut seen: Vec<&str> = Vec::new();
        for e in &f.edits {
            let t = slot(rules, &e.rule);
            t.edits += 1;
            t.lines += e.line_end.saturating_sub(e.line_start) as u64;
            t.bytes += e.byte_end.saturating_sub(e.byte_start) as u64;
            if !seen.contains(&e.rule.as_str()) {
                t.docs += 1;
                seen.push(&e.rule);
            }
        }
        let mut base_checked: Option<bool> = None;
        for rule in seen {
            let cat = format!("edit:{rule}");
            let key = sample_key(f.id_hash, &cat);
            if !self.samples.wants(&cat, key) {
                continue;
            }
            let Some(orig) = &f.original else { continue };
            // The log must start from the text as read; checked only for documents about to be
            // sampled, which are few.
            let ok = *base_checked.get_or_insert_with(|| log_fits(orig, &f.edits));
            if !ok {
                self.edits_without_base += 1;
                break;
            }
            if let Some((text, offset, marks, clipped_start, clipped_end)) =
                edit_window(orig, &f.edits, rule, EDIT_WINDOW)
            {
                self.samples.offer(
                    &cat,
                    Sample {
                        key,
                        id: f.id.clone(),
                        url: f.url.clone(),
                        text,
                        offset,
                        clipped_start,
                        clipped_end,
                        marks,
                    },
                );
            }
        }
        if let (Some((step, reason)), Some(text)) = (dropped, &f.dropped_text) {
            let cat = format!("drop:{step}:{reason}");
            let key = sample_key(f.id_hash, &cat);
            if self.samples.wants(&cat, key) {
                self.samples.offer(
                    &cat,
                    Sample {
                        key,
                        id: f.id.clone(),
                        url: f.url.clone(),
                        clipped_end: (text.len() as u64) < f.after.bytes,
                        text: text.clone(),
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
    fn words_eight_at_a_time_equal_the_plain_count() {
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
        ];
        for t in texts {
            let plain = t
                .as_bytes()
                .split(|&b| b <= 0x20)
                .filter(|w| !w.is_empty())
                .count() as u64;
            assert_eq!(count_words(t.as_bytes()), plain, "{t:?}");
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
