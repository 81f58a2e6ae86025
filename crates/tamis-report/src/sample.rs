//! Deterministic, bounded example sets: per category (a cleaning rule, a step's drop reason, a
//! dedup cluster), the `k` documents whose hash of id and category is smallest. The set is a
//! function of which documents fall in each category, not of the order they arrive in, so it is
//! the same for any thread count and after a resume, and merging two sets is exact.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tamis_clean::Edit;

/// FNV-1a then a SplitMix64 finaliser: stable across platforms and versions (the standard
/// library's hasher is randomly keyed), and well mixed in the low and high bits.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The sampling key of a document in a category: each category draws its own documents.
pub fn sample_key(id_hash: u64, category: &str) -> u64 {
    mix(id_hash ^ stable_hash(category.as_bytes()))
}

/// The thresholds of the example categories that start with one prefix (`edit:`), as the
/// worker threads see them, so a worker can free a text no example set will take instead of
/// handing it to the writer thread. The writer publishes them after each batch; thresholds
/// only fall, so a worker's view is at or above the truth and errs on keeping a text, and the
/// examples do not depend on timing. Categories never published take anything.
#[derive(Debug)]
pub struct SampleGate {
    prefix: &'static str,
    /// Category name without the prefix, to the category's hash and threshold.
    by_name: std::sync::RwLock<std::collections::HashMap<String, (u64, u64)>>,
}

impl SampleGate {
    pub fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            by_name: Default::default(),
        }
    }

    /// Whether any category prefix + name, for `names`, may still take the document with
    /// `id_hash`.
    pub fn may_want_any<'a>(&self, names: impl IntoIterator<Item = &'a str>, id_hash: u64) -> bool {
        let map = self
            .by_name
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        names.into_iter().any(|name| match map.get(name) {
            None => true,
            Some(&(hash, threshold)) => mix(id_hash ^ hash) <= threshold,
        })
    }

    /// Publishes the thresholds of `samples`' categories under the prefix.
    pub fn publish(&self, samples: &Samples) {
        let mut map = self
            .by_name
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for cat in samples.by_category.keys() {
            let Some(name) = cat.strip_prefix(self.prefix) else {
                continue;
            };
            let threshold = samples.threshold(cat);
            match map.get_mut(name) {
                Some(e) => e.1 = threshold,
                None => {
                    map.insert(name.to_owned(), (stable_hash(cat.as_bytes()), threshold));
                }
            }
        }
    }
}

/// A highlighted span of a sample's text (byte offsets into [`Sample::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    pub rule: String,
    /// What replaced the span; absent when it was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// One example document, cut to a window of its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub key: u64,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub text: String,
    /// Byte offset of the window in the text it was cut from.
    #[serde(default)]
    pub offset: usize,
    /// Text was cut before the window's start / after its end.
    pub clipped_start: bool,
    pub clipped_end: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
}

impl Sample {
    fn order(&self) -> (u64, &str, &str) {
        (self.key, &self.id, &self.text)
    }
}

/// Up to `k` samples per category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Samples {
    pub k: usize,
    pub by_category: BTreeMap<String, Vec<Sample>>,
}

impl Samples {
    pub fn new(k: usize) -> Self {
        Self {
            k,
            by_category: BTreeMap::new(),
        }
    }

    /// Whether a document with `key` would enter `category` (checked before building it).
    pub fn wants(&self, category: &str, key: u64) -> bool {
        match self.by_category.get(category) {
            None => self.k > 0,
            Some(v) => v.len() < self.k || v.last().is_some_and(|last| key <= last.key),
        }
    }

    /// The largest key `category` can still take: `u64::MAX` while it has fewer than `k`
    /// samples. It only falls as documents arrive.
    pub fn threshold(&self, category: &str) -> u64 {
        match self.by_category.get(category) {
            Some(v) if v.len() >= self.k => v.last().map_or(u64::MAX, |s| s.key),
            _ if self.k == 0 => 0,
            _ => u64::MAX,
        }
    }

    pub fn offer(&mut self, category: &str, s: Sample) {
        if !self.wants(category, s.key) {
            return;
        }
        let v = self.by_category.entry(category.to_owned()).or_default();
        // The same document offered twice (a duplicate id and text) counts once.
        match v.binary_search_by(|x| x.order().cmp(&s.order())) {
            Ok(_) => {}
            Err(at) => v.insert(at, s),
        }
        v.truncate(self.k);
    }

    pub fn merge(&mut self, other: &Samples) {
        for (cat, v) in &other.by_category {
            for s in v {
                self.offer(cat, s.clone());
            }
        }
    }
}

/// The largest char boundary of `s` at or below `i`.
pub fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A window of `text` that starts at most `max_bytes` before its end.
pub fn head(text: &str, max_bytes: usize) -> (String, bool) {
    let end = floor_boundary(text, max_bytes);
    (text[..end].to_owned(), end < text.len())
}

/// Whether `edits` can be the edit log of `text`: every range lies in it on character
/// boundaries, starts in the line the entry names, and the log replays. (A log written after a
/// step that replaced the whole text, such as `extract`, fails this against the text as read.)
pub fn log_fits(text: &str, edits: &[Edit]) -> bool {
    let lines = tamis_clean::line_ranges(text);
    let ranges_fit = edits.iter().all(|e| {
        e.byte_start <= e.byte_end
            && e.byte_end <= text.len()
            && text.is_char_boundary(e.byte_start)
            && text.is_char_boundary(e.byte_end)
            && lines
                .get(e.line_start)
                .is_some_and(|r| r.start <= e.byte_start && e.byte_start <= r.end)
    });
    ranges_fit
        && serde_json::to_value(edits)
            .ok()
            .is_some_and(|log| tamis_clean::apply_edits(text, &log).is_ok())
}

/// A window of the original `text` around the first edit of `rule`: a few lines before it,
/// then up to `max_bytes`, with every edit that falls in the window as a mark.
pub fn edit_window(
    text: &str,
    edits: &[Edit],
    rule: &str,
    max_bytes: usize,
) -> Option<(String, usize, Vec<Mark>, bool, bool)> {
    let first = edits.iter().find(|e| e.rule == rule)?;
    if first.byte_end > text.len() || first.byte_start > first.byte_end {
        return None;
    }
    const BEFORE: usize = 300;
    let mut start = floor_boundary(text, first.byte_start.saturating_sub(BEFORE));
    if start > 0 {
        // Begin at a line start when one is near, so the context reads naturally.
        if let Some(nl) = text[start..first.byte_start].find('\n') {
            start += nl + 1;
        }
    }
    let end = floor_boundary(text, start.saturating_add(max_bytes));
    let marks = edits
        .iter()
        .filter(|e| e.byte_start < end && e.byte_end > start && e.byte_end <= text.len())
        .map(|e| Mark {
            start: floor_boundary(text, e.byte_start.max(start)) - start,
            end: floor_boundary(text, e.byte_end.min(end)) - start,
            rule: e.rule.clone(),
            replacement: e.replacement.clone(),
        })
        .collect();
    let window = text[start..end].to_owned();
    Some((window, start, marks, start > 0, end < text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(key: u64, id: &str) -> Sample {
        Sample {
            key,
            id: id.into(),
            url: None,
            text: String::new(),
            offset: 0,
            clipped_start: false,
            clipped_end: false,
            marks: Vec::new(),
        }
    }

    #[test]
    fn the_gate_lets_through_every_document_a_category_would_take() {
        let gate = SampleGate::new("edit:");
        let mut samples = Samples::new(3);
        // Nothing published: every document may be wanted.
        assert!(gate.may_want_any(["boilerplate_phrase"], 42));
        let ids: Vec<u64> = (0..400u64).map(|i| stable_hash(&i.to_le_bytes())).collect();
        let mut stale = 0;
        for (n, &id) in ids.iter().enumerate() {
            let key = sample_key(id, "edit:boilerplate_phrase");
            let wanted = samples.wants("edit:boilerplate_phrase", key);
            // The gate's view is one document behind (as a worker's is a batch behind), and
            // must never refuse what the set would take.
            assert!(
                !wanted || gate.may_want_any(["boilerplate_phrase"], id),
                "document {n}"
            );
            if !wanted && gate.may_want_any(["boilerplate_phrase"], id) {
                stale += 1;
            }
            samples.offer("edit:boilerplate_phrase", sample(key, &format!("d{n}")));
            samples.offer("drop:x:y", sample(key, &format!("d{n}")));
            gate.publish(&samples);
        }
        // Once the set is full it refuses almost everything; the gate follows.
        let refused = ids
            .iter()
            .filter(|&&id| !gate.may_want_any(["boilerplate_phrase"], id))
            .count();
        assert!(refused > 390, "{refused}");
        assert!(stale < 20, "{stale}");
        // Other prefixes and unseen rules are not gated.
        assert!(gate.may_want_any(["x:y"], ids[0]) && gate.may_want_any(["link_spam"], ids[0]));
    }

    #[test]
    fn keeps_the_k_smallest_whatever_the_order() {
        let keys = [50u64, 3, 99, 7, 3, 12, 1];
        let mut a = Samples::new(3);
        for (i, k) in keys.iter().enumerate() {
            a.offer("c", sample(*k, &format!("d{i}")));
        }
        let mut b = Samples::new(3);
        for (i, k) in keys.iter().enumerate().rev() {
            b.offer("c", sample(*k, &format!("d{i}")));
        }
        assert_eq!(a, b);
        let got: Vec<u64> = a.by_category["c"].iter().map(|s| s.key).collect();
        assert_eq!(got, vec![1, 3, 3]);
        // Split in two and merged: the same set.
        let (mut x, mut y) = (Samples::new(3), Samples::new(3));
        for (i, k) in keys.iter().enumerate() {
            let s = sample(*k, &format!("d{i}"));
            if i % 2 == 0 {
                x.offer("c", s)
            } else {
                y.offer("c", s)
            }
        }
        x.merge(&y);
        assert_eq!(x, a);
    }

    #[test]
    fn window_marks_the_rule_in_context() {
        let text = "keep one\nSHARE ON FACEBOOK\nkeep two\n";
        let edits = vec![Edit {
            rule: "social".into(),
            line_start: 1,
            line_end: 2,
            byte_start: 9,
            byte_end: 27,
            replacement: None,
            score: None,
        }];
        let (w, _, marks, cs, ce) = edit_window(text, &edits, "social", 1000).unwrap();
        assert_eq!(w, text);
        assert!(!cs && !ce);
        assert_eq!(&w[marks[0].start..marks[0].end], "SHARE ON FACEBOOK\n");
        assert!(edit_window(text, &edits, "other", 1000).is_none());
        assert_eq!(stable_hash(b"abc"), stable_hash(b"abc"));
        assert_ne!(sample_key(1, "a"), sample_key(1, "b"));
    }
}
