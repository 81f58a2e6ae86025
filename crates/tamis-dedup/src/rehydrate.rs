//! Rehydration: each document deduplication kept is written again as many times as a table of
//! weights gives for the size of the cluster it survived, so that a deduplicated corpus can be
//! upsampled without bringing its duplicates back.
//!
//! FineWeb-2 (huggingface/fineweb-2, `misc/rehydration/README.md`, and the paper's section on
//! rehydration) found that documents with a moderate number of duplicates are of higher quality
//! than unique ones or those copied thousands of times, and publishes per-language tables,
//! `misc/rehydration/weights/up_to_<NN>_reps.json` for at most 3 to 10 copies; [`Weights::fineweb2`]
//! bundles them. A table maps cluster-size limits to copy counts and is read as that README's
//! `Rehydrater` block reads it: a document of cluster size `n` gets the weight of the largest
//! limit not above `n`, 1 below the smallest limit, the largest limit's weight beyond it.
//!
//! The job reads each input once and writes each document its number of times, consecutively,
//! as the `Rehydrater` step yields it; there is no corpus-wide state, so files run in parallel
//! and the output does not depend on the thread count.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tamis_core::Document;
use tamis_io::{Compression, InputFile, Quarantined, ReadOptions, Record};

use crate::job::ProgressFn;
use crate::DedupError;

/// FineWeb-2's tables, written by `tools/gen_fineweb2_configs.py` (Apache-2.0, licence beside).
const FINEWEB2_TABLES: &[u8] = include_bytes!("../data/fineweb2/rehydration.jsonl.zst");

/// The repetition counts FineWeb-2 publishes tables for.
pub const FINEWEB2_MAX_REPS: std::ops::RangeInclusive<u32> = 3..=10;

/// The metadata key deduplication writes the cluster size to (datatrove's, and tamis's MinHash).
pub const CLUSTER_SIZE_KEY: &str = "minhash_cluster_size";

/// Why a weight table was refused.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("FineWeb-2 publishes tables for 3 to 10 repetitions, not {0}")]
    MaxReps(u32),
    #[error("weights: {0}")]
    Parse(String),
}

/// One table: copies by cluster size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upsampling {
    /// `(cluster size limit, copies)`, sorted by limit, limits from 1.
    limits: Vec<(u64, u32)>,
}

impl Upsampling {
    /// A table from `(limit, copies)` pairs in any order. Limits start at 1 (a cluster holds at
    /// least its survivor) and copies at 1 (a weight of 0 would drop documents, which is a
    /// filter's job).
    pub fn new(pairs: impl IntoIterator<Item = (u64, u32)>) -> Result<Self, WeightsError> {
        let mut limits: Vec<(u64, u32)> = pairs.into_iter().collect();
        limits.sort_unstable();
        if limits.is_empty() {
            return Err(WeightsError::Parse(
                "a table needs at least one limit".into(),
            ));
        }
        if let Some(w) = limits.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(WeightsError::Parse(format!(
                "cluster size {} is given twice",
                w[0].0
            )));
        }
        if limits[0].0 == 0 {
            return Err(WeightsError::Parse(
                "cluster sizes start at 1 (0 is not a cluster size)".into(),
            ));
        }
        if let Some((l, _)) = limits.iter().find(|(_, c)| *c == 0) {
            return Err(WeightsError::Parse(format!(
                "cluster size {l} has weight 0: rehydration repeats documents, it does not \
                 drop them (use a filter for that)"
            )));
        }
        Ok(Self { limits })
    }

    /// How many times a document of cluster size `n` is written.
    pub fn copies(&self, n: u64) -> u32 {
        match self.limits.partition_point(|(l, _)| *l <= n) {
            0 => 1,
            i => self.limits[i - 1].1,
        }
    }

    /// The `(limit, copies)` pairs, sorted by limit.
    pub fn limits(&self) -> &[(u64, u32)] {
        &self.limits
    }
}

/// The tables a job applies: one for every document, or one per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Weights {
    All(Upsampling),
    /// Keyed as GlotLID labels are written: "fra_Latn".
    PerLanguage(BTreeMap<String, Upsampling>),
}

#[derive(Deserialize)]
struct BundledRow {
    max_reps: u32,
    name: String,
    weights: Vec<(u64, u32)>,
}

impl Weights {
    /// FineWeb-2's per-language tables for at most `max_reps` copies (3 to 10).
    pub fn fineweb2(max_reps: u32) -> Result<Self, WeightsError> {
        if !FINEWEB2_MAX_REPS.contains(&max_reps) {
            return Err(WeightsError::MaxReps(max_reps));
        }
        let tables = fineweb2_tables()
            .iter()
            .filter(|r| r.max_reps == max_reps)
            .map(|r| {
                let t = Upsampling::new(r.weights.iter().copied())
                    .expect("bundled FineWeb-2 table is valid");
                (r.name.clone(), t)
            })
            .collect();
        Ok(Weights::PerLanguage(tables))
    }

    /// A table from JSON: `{"1": 1, "2": 3, "5": 5}` for every document, or FineWeb-2's file
    /// layout, `{"fra_Latn": {"1": 1, ...}, ...}`, one per language.
    pub fn from_json(text: &str) -> Result<Self, WeightsError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| WeightsError::Parse(e.to_string()))?;
        let Value::Object(map) = v else {
            return Err(WeightsError::Parse(
                "expected a JSON object of cluster sizes, or of languages".into(),
            ));
        };
        if map.values().all(Value::is_object) && !map.is_empty() {
            let mut tables = BTreeMap::new();
            for (lang, t) in &map {
                let table = table_from_json(t).map_err(|e| match e {
                    WeightsError::Parse(m) => WeightsError::Parse(format!("{lang}: {m}")),
                    e => e,
                })?;
                tables.insert(lang.clone(), table);
            }
            Ok(Weights::PerLanguage(tables))
        } else {
            table_from_json(&Value::Object(map)).map(Weights::All)
        }
    }

    /// The table for `doc`: the one table, or its language's (`language` when given, else
    /// `metadata.language` and `metadata.language_script`). `None` when that language has none.
    pub fn for_doc(&self, doc: &Document, language: Option<&str>) -> Option<&Upsampling> {
        match self {
            Weights::All(t) => Some(t),
            Weights::PerLanguage(tables) => match language {
                Some(l) => tables.get(l),
                None => tables.get(&doc.language_key()?),
            },
        }
    }

    /// Whether `language` has a table (always, for one table for every document).
    pub fn covers(&self, language: &str) -> bool {
        match self {
            Weights::All(_) => true,
            Weights::PerLanguage(tables) => tables.contains_key(language),
        }
    }

    /// A short description for `stats.json`.
    pub fn describe(&self) -> String {
        match self {
            Weights::All(t) => format!("one table, {} limits", t.limits.len()),
            Weights::PerLanguage(m) => format!("{} language tables", m.len()),
        }
    }
}

fn fineweb2_tables() -> &'static [BundledRow] {
    static PARSED: OnceLock<Vec<BundledRow>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut raw = String::new();
        zstd::Decoder::new(FINEWEB2_TABLES)
            .and_then(|mut d| d.read_to_string(&mut raw))
            .expect("bundled FineWeb-2 rehydration tables decompress");
        raw.lines()
            .map(|l| serde_json::from_str(l).expect("bundled rehydration table parses"))
            .collect()
    })
}

fn table_from_json(v: &Value) -> Result<Upsampling, WeightsError> {
    let Value::Object(map) = v else {
        return Err(WeightsError::Parse(format!("expected an object, got {v}")));
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (k, w) in map {
        let limit: u64 = k.trim().parse().map_err(|_| {
            WeightsError::Parse(format!("{k:?} is not a cluster size (a whole number)"))
        })?;
        let copies = w
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| {
                WeightsError::Parse(format!(
                    "the weight of cluster size {k} is {w}, not a count"
                ))
            })?;
        pairs.push((limit, copies));
    }
    Upsampling::new(pairs)
}

/// A rehydration over files: read each, write each document its number of times.
pub struct RehydrateJob {
    pub weights: Weights,
    /// Where the weights came from, for `stats.json` ("fineweb-2 up_to_05_reps", a file name).
    pub weights_name: String,
    /// Use this language's table for every document instead of each one's own.
    pub language: Option<String>,
    /// Metadata key of the cluster size ([`CLUSTER_SIZE_KEY`] by default).
    pub size_key: String,
    pub inputs: Vec<InputFile>,
    /// `kept/` and `quarantine/`, one file per input named after its index, and `stats.json`.
    pub out_dir: PathBuf,
    pub compression: Compression,
    pub read: ReadOptions,
    /// Told `("rehydrate", bytes read, total bytes)`, bytes as stored on disk.
    pub progress: Option<ProgressFn>,
}

/// Per input file, summed into `stats.json`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RehydrateCounts {
    pub records: u64,
    pub docs: u64,
    pub quarantined: u64,
    pub text_bytes: u64,
    /// Documents written, copies included.
    pub written: u64,
    pub written_text_bytes: u64,
    /// Documents without a cluster size (written once).
    pub no_cluster_size: u64,
    /// Documents whose language has no table (written once).
    pub no_weights: u64,
    /// Documents by their number of copies.
    pub copies: BTreeMap<u32, u64>,
    pub quarantine_reasons: BTreeMap<String, u64>,
}

impl RehydrateCounts {
    fn add(&mut self, o: &RehydrateCounts) {
        self.records += o.records;
        self.docs += o.docs;
        self.quarantined += o.quarantined;
        self.text_bytes += o.text_bytes;
        self.written += o.written;
        self.written_text_bytes += o.written_text_bytes;
        self.no_cluster_size += o.no_cluster_size;
        self.no_weights += o.no_weights;
        for (k, v) in &o.copies {
            *self.copies.entry(*k).or_default() += v;
        }
        for (k, v) in &o.quarantine_reasons {
            *self.quarantine_reasons.entry(k.clone()).or_default() += v;
        }
    }
}

/// The quarantine reason of a cluster size that is not a whole number.
pub const INVALID_CLUSTER_SIZE: &str = "invalid_cluster_size";

impl RehydrateJob {
    /// Rehydrates every input on the current rayon pool and writes `stats.json` last;
    /// returns its content.
    pub fn run(&self, threads: usize) -> Result<Value, DedupError> {
        let start = std::time::Instant::now();
        for sub in ["kept", "quarantine"] {
            let d = self.out_dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| DedupError::io(&d, e))?;
        }
        let total: u64 = self.inputs.iter().filter_map(|f| f.size).sum();
        let done = AtomicU64::new(0);
        if let Some(p) = &self.progress {
            p("rehydrate", 0, total);
        }
        let per_file = self
            .inputs
            .par_iter()
            .enumerate()
            .map(|(fi, input)| self.file(fi, input, &done, total))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sum = RehydrateCounts::default();
        for c in &per_file {
            sum.add(c);
        }
        let stats = json!({
            "read": sum.records,
            "kept": sum.docs,
            "dropped": 0,
            "quarantined": sum.quarantined,
            "quarantine_reasons": sum.quarantine_reasons,
            "written": sum.written,
            "input_files": self.inputs.len(),
            "input_text_bytes": sum.text_bytes,
            "output_text_bytes": sum.written_text_bytes,
            "steps": [{
                "step": "rehydrate",
                "total": sum.docs,
                "forwarded": sum.docs,
                "dropped": 0,
                "weights": format!("{} ({})", self.weights_name, self.weights.describe()),
                "language": self.language,
                "size_key": self.size_key,
                "no_cluster_size": sum.no_cluster_size,
                "no_weights": sum.no_weights,
                "copies": sum.copies.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            }],
            "threads": threads,
            "elapsed_s": start.elapsed().as_secs_f64(),
        });
        crate::job::write_json(&self.out_dir.join("stats.json"), &stats)?;
        Ok(stats)
    }

    fn file(
        &self,
        fi: usize,
        input: &InputFile,
        done: &AtomicU64,
        total: u64,
    ) -> Result<RehydrateCounts, DedupError> {
        let name = |sub: &str, c: Compression| {
            self.out_dir
                .join(sub)
                .join(format!("{fi:05}.jsonl{}", c.extension()))
        };
        let mut kept =
            crate::job::LazyWriter::new(name("kept", self.compression), self.compression);
        let mut quarantine =
            crate::job::LazyWriter::new(name("quarantine", Compression::None), Compression::None);
        let mut c = RehydrateCounts::default();
        let mut reader = tamis_io::read(input, &self.read);
        let mut reported = 0u64;
        // Files run in parallel: each adds what it read since its last report to the total.
        let mut report = |reader: &tamis_io::Reader| {
            if let Some(p) = &self.progress {
                let now = reader.stats().compressed_bytes;
                let delta = now.saturating_sub(reported);
                reported = now;
                p(
                    "rehydrate",
                    done.fetch_add(delta, Ordering::Relaxed) + delta,
                    total,
                );
            }
        };
        while let Some(record) = reader.next() {
            c.records += 1;
            if c.records % 1024 == 0 {
                report(&reader);
            }
            let (doc, loc) = match record {
                Record::Doc { doc, loc } => (doc, loc),
                Record::Bad(q) => {
                    c.quarantined += 1;
                    *c.quarantine_reasons.entry(q.reason.into()).or_default() += 1;
                    quarantine.write_value(&q.to_json())?;
                    continue;
                }
            };
            let size = match doc.metadata.get(&self.size_key) {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(n) => Some(n),
                    None => {
                        let q = Quarantined::new(
                            loc,
                            INVALID_CLUSTER_SIZE,
                            format!(
                                "metadata.{} is {v}, not a whole number of documents",
                                self.size_key
                            ),
                        );
                        c.quarantined += 1;
                        *c.quarantine_reasons.entry(q.reason.into()).or_default() += 1;
                        quarantine.write_value(&q.to_json())?;
                        continue;
                    }
                },
            };
            c.docs += 1;
            c.text_bytes += doc.text.len() as u64;
            let copies = match (size, self.weights.for_doc(&doc, self.language.as_deref())) {
                (None, _) => {
                    c.no_cluster_size += 1;
                    1
                }
                (Some(_), None) => {
                    c.no_weights += 1;
                    1
                }
                (Some(n), Some(t)) => t.copies(n),
            };
            *c.copies.entry(copies).or_default() += 1;
            for _ in 0..copies {
                kept.write(&doc)?;
            }
            c.written += u64::from(copies);
            c.written_text_bytes += u64::from(copies) * doc.text.len() as u64;
        }
        report(&reader);
        kept.finish()?;
        quarantine.finish()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(u64, u32)]) -> Upsampling {
        Upsampling::new(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn copies_follow_the_largest_limit_not_above_the_size() {
        // FineWeb-2's README example: 4 -> 3, 5..99 -> 5, 100..999 -> 8, 1000 and more -> 1.
        let t = table(&[(1, 1), (2, 2), (3, 3), (5, 5), (100, 8), (1000, 1)]);
        let got: Vec<u32> = [1, 2, 3, 4, 5, 99, 100, 999, 1000, 5000]
            .iter()
            .map(|&n| t.copies(n))
            .collect();
        assert_eq!(got, [1, 2, 3, 3, 5, 5, 8, 8, 1, 1]);
        // Below the smallest limit: 1, as the README's expanded table starts.
        assert_eq!(table(&[(3, 4)]).copies(2), 1);
        assert_eq!(table(&[(3, 4)]).copies(0), 1);
    }

    #[test]
    fn bad_tables_are_refused_with_the_reason() {
        let err = |t: &str| Weights::from_json(t).unwrap_err().to_string();
        assert!(err(r#"{"0": 1}"#).contains("start at 1"));
        assert!(err(r#"{"1": 0}"#).contains("weight 0"));
        assert!(err(r#"{"x": 1}"#).contains("not a cluster size"));
        assert!(err(r#"{"1": 1.5}"#).contains("not a count"));
        assert!(err(r#"{"fra_Latn": {"1": -1}}"#).starts_with("weights: fra_Latn:"));
        assert!(err("[1]").contains("JSON object"));
        assert!(err("{}").contains("at least one"));
    }

    #[test]
    fn fineweb2_tables_load_for_every_repetition_count() {
        for r in FINEWEB2_MAX_REPS {
            let Weights::PerLanguage(m) = Weights::fineweb2(r).unwrap() else {
                panic!("per language")
            };
            assert_eq!(m.len(), 1856, "max_reps {r}");
            let max = m.values().flat_map(|t| t.limits()).map(|l| l.1).max();
            assert_eq!(
                max,
                Some(r),
                "the largest weight is the maximum repetition count"
            );
        }
        // misc/rehydration/README.md's ita_Latn example, up to 10 repetitions.
        let w = Weights::fineweb2(10).unwrap();
        let mut doc = Document::new("a", "b");
        doc.metadata.insert("language".into(), "ita".into());
        doc.metadata.insert("language_script".into(), "Latn".into());
        let t = w.for_doc(&doc, None).expect("ita_Latn has a table");
        let got: Vec<u32> = [1, 2, 16, 17, 25, 26, 145, 10_000]
            .iter()
            .map(|&n| t.copies(n))
            .collect();
        assert_eq!(got, [1, 3, 9, 10, 10, 9, 1, 1]);
        assert!(Weights::fineweb2(11).is_err());
    }
}
