//! The MinHash job as four on-disk stages, each runnable alone and, except clustering, shard by
//! shard on separate machines over shared storage:
//!
//! 1. `signatures` (sharded by input file): per band, sorted run files of
//!    `(band hashes, document)` records, spilled whenever the memory budget fills;
//! 2. `buckets` (sharded by band): merges a band's runs and writes the pairs of neighbours with
//!    equal hashes;
//! 3. `clusters` (one process): union-find over the pairs, band after band, then per input file
//!    the clustered documents with their survivor, cluster id and size;
//! 4. `filter` (sharded by input file): rereads each input and writes `kept/`, `dropped/` and
//!    `quarantine/` files named after the input's index, so the output is the same files with
//!    the same bytes whatever the shard or thread count. `stats` then sums the per-file counts
//!    into `stats.json`.
//!
//! Exact and line dedup run the same stages, their keys split by hash into partitions that take
//! the place of bands.
//!
//! The stage layout follows datatrove's four MinHash steps (0.10.1,
//! `src/datatrove/pipeline/dedup/minhash.py`); records and merges are tamis's own.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tamis_core::Document;
use tamis_io::ahead::ReadAhead;
use tamis_io::{Compression, InputFile, JsonlWriter, Quarantined, ReadOptions, Record};

use crate::cluster::{KeyedUnion, RootRule, Survivor};
use crate::minhash::MinHasher;
use crate::rank::{bucket, score_of_key, RankCut, RankSpec, ThresholdReport, Thresholds};
use crate::runs::{run_files, DocRef, Merge, RunWriter};
use crate::DedupError;
use tamis_text::simplify::{simplify_text, TextNorm};
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// What makes two documents duplicates.
pub enum Method {
    /// MinHash near-duplicates (Jaccard similarity of word 5-grams, estimated).
    MinHash {
        hasher: MinHasher,
        survivor: Survivor,
    },
    /// Identical keys: the text, or a metadata field such as the URL.
    Exact(ExactKey),
    /// Lines repeated across documents (CCNet-style): every line whose normalised text occurs
    /// in at least `min_docs` documents is removed from all of them and logged in the edit log.
    Lines { min_docs: u64 },
    /// Selection by rank: keep the top of the corpus by a score, or bucket it by weighted
    /// percentiles of several scores (see [`crate::rank`]). Each score field is a band.
    Rank(RankSpec),
}

/// The "bands" of exact and line dedup: their keys are split by hash into this many partitions,
/// so that the stage deciding duplicates (`buckets`) shards as MinHash's does. Equal keys land
/// in the same partition, so the outputs do not depend on the count.
const KEY_PARTITIONS: usize = 16;

/// The partition of an exact or line dedup key (the first word of its record).
fn partition(key: u64) -> usize {
    (key % KEY_PARTITIONS as u64) as usize
}

/// Why rank selection drops a document below its cut, and one with no score.
pub const RANK_BELOW: &str = "below_rank_threshold";
pub const RANK_MISSING: &str = "missing_score";

/// The rule id line dedup records in `metadata.tamis_edits`.
pub const RULE_CORPUS_REPEATED_LINE: &str = "corpus_repeated_line";

/// Hashes of a document's lines as line dedup compares them: `simplify_text` of each line
/// (CCNet normalises the same way: case, digits, punctuation, accents), `None` for lines that
/// normalise to nothing (blank or punctuation only), which are never removed.
fn line_hashes(text: &str) -> Vec<Option<u64>> {
    tamis_clean::line_ranges(text)
        .into_iter()
        .map(|r| {
            let norm = simplify_text(&text[r], &TextNorm::default());
            (!norm.is_empty()).then(|| xxh3_64(norm.as_bytes()))
        })
        .collect()
}

/// The key exact dedup compares, and which copy survives.
#[derive(Debug, Clone, Default)]
pub struct ExactKey {
    /// Metadata field to compare instead of the text (e.g. `url`). Documents without it are
    /// never duplicates.
    pub field: Option<String>,
    /// Compare keys after `simplify_text` (case, numbers, punctuation, spacing and accents
    /// folded), so trivially different copies match.
    pub normalize: bool,
    /// Numeric metadata field: the copy with the highest value survives (missing or not a
    /// number counts as lowest); ties, and the default, go to the first in input order.
    pub priority: Option<String>,
}

impl Method {
    /// The step name in `stats.json`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::MinHash { .. } => "minhash",
            Method::Exact(_) => "exact_dedup",
            Method::Lines { .. } => "line_dedup",
            Method::Rank(_) => "rank_select",
        }
    }

    /// Why the filter stage drops a document.
    pub fn reason(&self) -> &'static str {
        match self {
            Method::MinHash { .. } => "minhash_duplicate",
            Method::Exact(_) => "exact_duplicate",
            Method::Lines { .. } => "all_lines_duplicated",
            Method::Rank(_) => RANK_BELOW,
        }
    }

    /// Metadata keys for the cluster size and id (`minhash_cluster_size` is datatrove's).
    fn metadata_keys(&self) -> (&'static str, &'static str) {
        match self {
            Method::MinHash { .. } => ("minhash_cluster_size", "minhash_cluster_id"),
            Method::Exact(_) | Method::Lines { .. } | Method::Rank(_) => {
                ("exact_cluster_size", "exact_cluster_id")
            }
        }
    }

    /// Sort keys per band (the document reference is appended after them).
    fn band_width(&self) -> usize {
        match self {
            Method::MinHash { hasher, .. } => hasher.band_width(),
            // 128-bit key, then the survivor rank.
            Method::Exact(_) => 3,
            Method::Lines { .. } => 1,
            // The score, then the weight.
            Method::Rank(_) => 2,
        }
    }

    /// The leading words of a band record that must be equal for a match.
    fn match_width(&self) -> usize {
        match self {
            Method::MinHash { .. } | Method::Lines { .. } | Method::Rank(_) => self.band_width(),
            Method::Exact(_) => 2,
        }
    }

    fn bands(&self) -> usize {
        match self {
            Method::MinHash { hasher, .. } => hasher.config().num_buckets,
            Method::Exact(_) | Method::Lines { .. } => KEY_PARTITIONS,
            Method::Rank(spec) => spec.fields.len(),
        }
    }

    /// All bands' sort keys for `doc`, or `None` when it can match nothing. For line dedup:
    /// one key per distinct line, each its own record.
    fn keys(&self, doc: &Document) -> Option<Vec<u64>> {
        match self {
            Method::Rank(spec) => spec.keys(doc),
            Method::Lines { .. } => {
                let mut h: Vec<u64> = line_hashes(&doc.text).into_iter().flatten().collect();
                h.sort_unstable();
                h.dedup();
                (!h.is_empty()).then_some(h)
            }
            Method::MinHash { hasher, .. } => hasher.band_keys(doc),
            Method::Exact(k) => {
                let raw = match &k.field {
                    None => doc.text.as_str(),
                    Some(f) => doc.metadata.get(f)?.as_str()?,
                };
                let key = if k.normalize {
                    xxh3_128(simplify_text(raw, &TextNorm::default()).as_bytes())
                } else {
                    xxh3_128(raw.as_bytes())
                };
                let rank = k.priority.as_ref().map_or(0, |f| {
                    descending_rank(doc.metadata.get(f).and_then(Value::as_f64))
                });
                Some(vec![(key >> 64) as u64, key as u64, rank])
            }
        }
    }
}

/// Sorts higher priorities first: a total order on `f64` (missing and NaN last) mapped to
/// `u64`.
fn descending_rank(p: Option<f64>) -> u64 {
    match p {
        Some(v) if !v.is_nan() => {
            let bits = v.to_bits();
            let ascending = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            !ascending
        }
        _ => u64::MAX,
    }
}

/// Which part of the input or of the bands this process handles: items whose index modulo
/// `count` is `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/n` (0-based `i < n`).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard {s:?}: expected INDEX/COUNT, e.g. 0/4"))?;
        let (index, count): (usize, usize) = (
            i.trim()
                .parse()
                .map_err(|_| format!("shard {s:?}: bad index"))?,
            n.trim()
                .parse()
                .map_err(|_| format!("shard {s:?}: bad count"))?,
        );
        if count == 0 || index >= count {
            return Err(format!("shard {s:?}: need 0 <= INDEX < COUNT"));
        }
        Ok(Shard { index, count })
    }

    fn owns(self, i: usize) -> bool {
        i % self.count == self.index
    }
}

/// Everything the stages share.
pub struct DedupJob {
    pub method: Method,
    pub inputs: Vec<InputFile>,
    /// Intermediate files (signatures, pairs, clusters, per-file counts).
    pub work_dir: PathBuf,
    /// `kept/`, `dropped/`, `quarantine/` and `stats.json`.
    pub out_dir: PathBuf,
    /// Bytes of sort buffers the signature stage may hold before spilling a run.
    pub memory_bytes: usize,
    pub compression: Compression,
    pub read: ReadOptions,
    /// Told how far the stages that read the inputs have got: `(stage, bytes read, total
    /// bytes)`, bytes as stored on disk, over the files this process handles.
    pub progress: Option<ProgressFn>,
    /// Told of every document the filter stage writes (for `tamis run --report`).
    pub observer: Option<FilterObserver>,
}

/// See [`DedupJob::observer`]: the document as written, its cluster `(size, id)` when it has
/// duplicates, and whether it was kept. Called in input order, file by file.
pub type FilterObserver = std::sync::Arc<dyn Fn(&Document, Option<(u64, u64)>, bool) + Send + Sync>;

/// See [`DedupJob::progress`].
pub type ProgressFn = std::sync::Arc<dyn Fn(&str, u64, u64) + Send + Sync>;

/// Feeds [`DedupJob::progress`] for one stage.
struct Tracker<'a> {
    f: Option<&'a ProgressFn>,
    stage: &'static str,
    /// Bytes of the files finished; shared by files read at once.
    done: AtomicU64,
    total: u64,
}

impl<'a> Tracker<'a> {
    fn new(job: &'a DedupJob, stage: &'static str, shard: Shard) -> Self {
        let total = job
            .inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| shard.owns(*i))
            .filter_map(|(_, f)| f.size)
            .sum();
        let t = Self {
            f: job.progress.as_ref(),
            stage,
            done: AtomicU64::new(0),
            total,
        };
        t.report(0);
        t
    }

    fn report(&self, in_file: u64) {
        if let Some(f) = self.f {
            f(
                self.stage,
                self.done.load(Ordering::Relaxed) + in_file,
                self.total,
            );
        }
    }

    /// `input`'s records with their index, reporting progress as they are read. The file is
    /// read ahead on the pool ([`ReadAhead`]), so decoding overlaps with the stage's work.
    fn records<'t>(&'t self, input: &InputFile, opts: &ReadOptions) -> TrackedRecords<'t, 'a> {
        TrackedRecords {
            stream: ReadAhead::start(tamis_io::read(input, opts), 0, READ_CHUNK_BYTES),
            current: Vec::new().into_iter(),
            tracker: self,
            index: 0,
            last: false,
            finished: false,
        }
    }
}

/// Documents' memory per chunk read ahead.
const READ_CHUNK_BYTES: usize = 4 << 20;

struct TrackedRecords<'t, 'a> {
    stream: ReadAhead,
    current: std::vec::IntoIter<Record>,
    tracker: &'t Tracker<'a>,
    index: usize,
    /// The chunk in `current` is the file's last.
    last: bool,
    finished: bool,
}

impl Iterator for TrackedRecords<'_, '_> {
    type Item = (usize, Record);

    fn next(&mut self) -> Option<(usize, Record)> {
        loop {
            if let Some(r) = self.current.next() {
                self.index += 1;
                return Some((self.index - 1, r));
            }
            if self.last {
                break;
            }
            // A reading job's panic is raised here, as a serial reader's would have been.
            let chunk = self.stream.next_chunk().unwrap_or_else(|e| panic!("{e}"));
            self.last = chunk.last;
            self.current = chunk.records.into_iter();
            if self.last {
                if !std::mem::replace(&mut self.finished, true) {
                    self.tracker
                        .done
                        .fetch_add(chunk.on_disk, Ordering::Relaxed);
                    self.tracker.report(0);
                }
            } else {
                self.tracker.report(chunk.on_disk);
            }
        }
        None
    }
}

/// Per input file, written by `signatures` and `filter`, summed by `stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileCounts {
    pub records: u64,
    pub docs: u64,
    pub quarantined: u64,
    pub text_bytes: u64,
    /// Documents that can match nothing: fewer words than a shingle (MinHash), no key field
    /// (exact).
    pub no_signature: u64,
    pub kept: u64,
    pub dropped: u64,
    /// Line dedup: lines and bytes removed from kept documents.
    #[serde(default)]
    pub removed_lines: u64,
    #[serde(default)]
    pub removed_bytes: u64,
    /// Rank selection: the weight of the documents with scores (signatures), and the
    /// documents dropped for want of a score or weight (filter).
    #[serde(default)]
    pub weight: u64,
    #[serde(default)]
    pub missing_score: u64,
    pub quarantine_reasons: std::collections::BTreeMap<String, u64>,
}

/// Documents per parallel batch in the signature stage ...
const BATCH_DOCS: usize = 2048;
/// ... or fewer, once they hold this many bytes ([`Document::approx_bytes`]): short texts can
/// carry large metadata.
const BATCH_BYTES: usize = 64 << 20;

impl DedupJob {
    fn width(&self) -> usize {
        self.method.band_width() + 1
    }

    fn bands(&self) -> usize {
        self.method.bands()
    }

    fn sig_dir(&self, band: usize) -> PathBuf {
        self.work_dir.join("signatures").join(format!("b{band:03}"))
    }

    fn done_path(&self, stage: &str, file: usize) -> PathBuf {
        self.work_dir.join(stage).join(format!("f{file:06}.json"))
    }

    fn pairs_path(&self, band: usize) -> PathBuf {
        self.work_dir
            .join("pairs")
            .join(format!("b{band:03}.pairs"))
    }

    fn cluster_path(&self, file: usize) -> PathBuf {
        self.work_dir
            .join("clusters")
            .join(format!("f{file:06}.clusters"))
    }

    /// Stage 1 for the files this shard owns.
    pub fn signatures(&self, shard: Shard) -> Result<(), DedupError> {
        let bands = self.bands();
        let per_band = self.method.band_width();
        let lines = matches!(self.method, Method::Lines { .. });
        let exact = matches!(self.method, Method::Exact(_));
        let rank = matches!(self.method, Method::Rank(_));
        let max_records = (self.memory_bytes / (bands * self.width() * 8 * 2)).max(16);
        for b in 0..bands {
            mkdir(&self.sig_dir(b))?;
        }
        let tracker = Tracker::new(self, "signatures", shard);
        for (fi, input) in self.inputs.iter().enumerate() {
            if !shard.owns(fi) {
                continue;
            }
            let prefix = format!("f{fi:06}");
            for b in 0..bands {
                remove_matching(&self.sig_dir(b), &prefix)?;
            }
            let mut writers: Vec<RunWriter> = (0..bands)
                .map(|b| RunWriter::new(&self.sig_dir(b), &prefix, self.width(), max_records))
                .collect();
            let mut counts = FileCounts::default();
            let mut batch: Vec<(u32, Document)> = Vec::with_capacity(BATCH_DOCS);
            let mut batch_bytes = 0usize;
            let mut flush = |batch: &mut Vec<(u32, Document)>,
                             counts: &mut FileCounts|
             -> Result<(), DedupError> {
                let sigs: Vec<Option<Vec<u64>>> = batch
                    .par_iter()
                    .map(|(_, doc)| self.method.keys(doc))
                    .collect();
                let mut rec = vec![0u64; self.width()];
                for ((record, _), sig) in batch.iter().zip(sigs) {
                    let Some(sig) = sig else {
                        counts.no_signature += 1;
                        continue;
                    };
                    rec[per_band] = DocRef {
                        file: fi as u32,
                        record: *record,
                    }
                    .key();
                    if lines {
                        for &h in &sig {
                            rec[0] = h;
                            writers[partition(h)].push(&rec)?;
                        }
                        continue;
                    }
                    if rank {
                        counts.weight += sig[1];
                    }
                    if exact {
                        rec[..per_band].copy_from_slice(&sig);
                        writers[partition(sig[0])].push(&rec)?;
                        continue;
                    }
                    for (b, w) in writers.iter_mut().enumerate() {
                        rec[..per_band].copy_from_slice(&sig[b * per_band..(b + 1) * per_band]);
                        w.push(&rec)?;
                    }
                }
                batch.clear();
                Ok(())
            };
            for (ri, record) in tracker.records(input, &self.read) {
                counts.records += 1;
                match record {
                    Record::Doc { doc, .. } => {
                        counts.docs += 1;
                        counts.text_bytes += doc.text.len() as u64;
                        batch_bytes += doc.approx_bytes();
                        batch.push((record_index(ri, input)?, doc));
                        if batch.len() == BATCH_DOCS || batch_bytes >= BATCH_BYTES {
                            flush(&mut batch, &mut counts)?;
                            batch_bytes = 0;
                        }
                    }
                    Record::Bad(q) => {
                        counts.quarantined += 1;
                        *counts
                            .quarantine_reasons
                            .entry(q.reason.into())
                            .or_default() += 1;
                    }
                }
            }
            flush(&mut batch, &mut counts)?;
            for w in writers {
                w.finish()?;
            }
            write_json(&self.done_path("signatures", fi), &counts)?;
        }
        Ok(())
    }

    /// Stage 2 for the bands this shard owns. Needs every input's signatures.
    pub fn buckets(&self, shard: Shard) -> Result<(), DedupError> {
        self.require_all("signatures")?;
        let (per_band, matched) = (self.method.band_width(), self.method.match_width());
        // MinHash pairs each record with its predecessor (datatrove's chain); exact dedup
        // pairs every copy with the group's first record, the survivor.
        let star = matches!(self.method, Method::Exact(_));
        mkdir(&self.work_dir.join("pairs"))?;
        for b in (0..self.bands()).filter(|&b| shard.owns(b)) {
            let runs = run_files(&self.sig_dir(b))?;
            let mut merge = Merge::open(&runs, self.width())?;
            let path = self.pairs_path(b);
            let tmp = path.with_extension("tmp");
            let io = |e| DedupError::io(&tmp, e);
            let mut out = BufWriter::new(File::create(&tmp).map_err(io)?);
            if let Method::Rank(spec) = &self.method {
                // Every field's records hold the same documents, so the total weight is the
                // signature stage's sum.
                let mut t = Thresholds::new(spec, self.scored_weight()?);
                while let Some(rec) = merge.next_record()? {
                    t.push(rec[0], rec[1]);
                }
                for th in t.finish() {
                    for v in [u64::from(th.is_some()), th.unwrap_or_default()] {
                        out.write_all(&v.to_le_bytes()).map_err(io)?;
                    }
                }
                finish_file(out, &tmp, &path)?;
                continue;
            }
            if let Method::Lines { min_docs } = self.method {
                // Each document holds a line once, so the records per hash are its documents.
                let (mut current, mut docs) = (None, 0u64);
                while let Some(rec) = merge.next_record()? {
                    if current != Some(rec[0]) {
                        if docs >= min_docs {
                            out.write_all(&current.unwrap_or_default().to_le_bytes())
                                .map_err(io)?;
                        }
                        (current, docs) = (Some(rec[0]), 0);
                    }
                    docs += 1;
                }
                if current.is_some() && docs >= min_docs {
                    out.write_all(&current.unwrap_or_default().to_le_bytes())
                        .map_err(io)?;
                }
                finish_file(out, &tmp, &path)?;
                continue;
            }
            let mut prev: Option<Vec<u64>> = None;
            while let Some(rec) = merge.next_record()? {
                let same = prev
                    .as_ref()
                    .is_some_and(|p| p[..matched] == rec[..matched]);
                if same {
                    let p = prev.as_ref().expect("checked");
                    out.write_all(&p[per_band].to_le_bytes()).map_err(io)?;
                    out.write_all(&rec[per_band].to_le_bytes()).map_err(io)?;
                }
                if !(star && same) {
                    let p = prev.get_or_insert_with(Vec::new);
                    p.clear();
                    p.extend_from_slice(rec);
                }
            }
            finish_file(out, &tmp, &path)?;
        }
        Ok(())
    }

    /// Stage 3: one process over all pairs (memory grows with the number of documents that
    /// have a near-duplicate, not with the corpus).
    pub fn clusters(&self) -> Result<(), DedupError> {
        for b in 0..self.bands() {
            if !self.pairs_path(b).exists() {
                return Err(DedupError::StageIncomplete {
                    stage: "buckets",
                    missing: self.pairs_path(b),
                });
            }
        }
        if let Method::Rank(spec) = &self.method {
            // Selection has no clusters: the buckets stage found the thresholds; record them
            // for people (and `stats`) to read.
            let report = ThresholdReport {
                fields: spec.fields.clone(),
                thresholds: self
                    .rank_thresholds()?
                    .iter()
                    .map(|f| f.iter().map(|t| t.map(score_of_key)).collect())
                    .collect(),
                total_weight: self.scored_weight()?,
            };
            return write_json(&self.work_dir.join("clusters").join("done.json"), &report);
        }
        if matches!(self.method, Method::Lines { .. }) {
            // Line dedup has no clusters: the buckets stage already chose the lines.
            let n = self.frequent_lines()?.len();
            return write_json(
                &self.work_dir.join("clusters").join("done.json"),
                &json!({"repeated_lines": n}),
            );
        }
        let mut uf = KeyedUnion::default();
        for b in 0..self.bands() {
            let path = self.pairs_path(b);
            let mut r = BufReader::new(File::open(&path).map_err(|e| DedupError::io(&path, e))?);
            let mut buf = [0u8; 16];
            loop {
                match r.read_exact(&mut buf) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(e) => return Err(DedupError::io(&path, e)),
                }
                let a = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
                let b = u64::from_le_bytes(buf[8..].try_into().expect("8 bytes"));
                uf.union(a, b, self.root_rule());
            }
        }
        // Cluster ids number roots in the order of their first member, as datatrove's
        // `save_cluster_id` does.
        let mut keys: Vec<u64> = uf.index.keys().copied().collect();
        keys.sort_unstable();
        let mut cluster_id: HashMap<u64, u64> = HashMap::new();
        let dir = self.work_dir.join("clusters");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| DedupError::io(&dir, e))?;
        }
        mkdir(&dir)?;
        let mut current: Option<(u32, BufWriter<File>, PathBuf)> = None;
        for key in keys {
            let root = uf.root_key(key);
            let next_id = cluster_id.len() as u64;
            let id = *cluster_id.entry(root).or_insert(next_id);
            let size = uf.size_of(key);
            let d = DocRef::from_key(key);
            if current.as_ref().map(|c| c.0) != Some(d.file) {
                if let Some((f, w, tmp)) = current.take() {
                    finish_file(w, &tmp, &self.cluster_path(f as usize))?;
                }
                let tmp = self.cluster_path(d.file as usize).with_extension("tmp");
                let w = BufWriter::new(File::create(&tmp).map_err(|e| DedupError::io(&tmp, e))?);
                current = Some((d.file, w, tmp));
            }
            let (_, w, tmp) = current.as_mut().expect("opened above");
            for v in [u64::from(d.record), size, id, root] {
                w.write_all(&v.to_le_bytes())
                    .map_err(|e| DedupError::io(tmp, e))?;
            }
        }
        if let Some((f, w, tmp)) = current.take() {
            finish_file(w, &tmp, &self.cluster_path(f as usize))?;
        }
        write_json(
            &self.work_dir.join("clusters").join("done.json"),
            &json!({"clustered": uf.index.len(), "clusters": cluster_id.len()}),
        )
    }

    /// Stage 4 for the files this shard owns.
    pub fn filter(&self, shard: Shard) -> Result<(), DedupError> {
        let done = self.work_dir.join("clusters").join("done.json");
        if !done.exists() {
            return Err(DedupError::StageIncomplete {
                stage: "clusters",
                missing: done,
            });
        }
        for sub in ["kept", "dropped", "quarantine"] {
            mkdir(&self.out_dir.join(sub))?;
        }
        let tracker = Tracker::new(self, "filter", shard);
        let frequent = match self.method {
            Method::Lines { .. } => Some(self.frequent_lines()?),
            _ => None,
        };
        let rank = match &self.method {
            Method::Rank(spec) => Some((spec, self.rank_thresholds()?)),
            _ => None,
        };
        let owned: Vec<usize> = (0..self.inputs.len()).filter(|&i| shard.owns(i)).collect();
        let one = |fi: usize| self.filter_file(fi, &tracker, frequent.as_deref(), rank.as_ref());
        // Files are independent (each has its own outputs and counts), so they are filtered
        // at once, each read ahead on the pool. An observer (the report) must see documents
        // in input order: then one file at a time.
        if self.observer.is_some() {
            owned.into_iter().try_for_each(one)
        } else {
            owned.into_par_iter().try_for_each(one)
        }
    }

    /// The filter stage on input `fi`: its kept, dropped and quarantine files and its counts.
    fn filter_file(
        &self,
        fi: usize,
        tracker: &Tracker<'_>,
        frequent: Option<&[u64]>,
        rank: Option<&(&RankSpec, Vec<Vec<Option<u64>>>)>,
    ) -> Result<(), DedupError> {
        let input = &self.inputs[fi];
        let (size_key, id_key) = self.method.metadata_keys();
        let reason = self.method.reason();
        let clustered = self.read_clusters(fi)?;
        let mut next = clustered.iter().peekable();
        let name = |sub: &str, c: Compression| {
            self.out_dir
                .join(sub)
                .join(format!("{fi:05}.jsonl{}", c.extension()))
        };
        let mut kept = LazyWriter::new(name("kept", self.compression), self.compression);
        let mut dropped = LazyWriter::new(name("dropped", self.compression), self.compression);
        let mut quarantine =
            LazyWriter::new(name("quarantine", Compression::None), Compression::None);
        let mut counts = FileCounts::default();
        for (index, record) in tracker.records(input, &self.read) {
            counts.records += 1;
            let ri = record_index(index, input)?;
            let info = match next.peek() {
                Some(c) if c.record == ri => next.next(),
                _ => None,
            };
            match record {
                Record::Doc { mut doc, .. } if rank.is_some() => {
                    counts.docs += 1;
                    counts.text_bytes += doc.text.len() as u64;
                    let (spec, thresholds) = rank.as_ref().expect("checked");
                    let Some(keys) = spec.keys(&doc) else {
                        doc.metadata
                            .insert("filter_reason".into(), Value::from(RANK_MISSING));
                        counts.missing_score += 1;
                        counts.dropped += 1;
                        dropped.write(&doc)?;
                        self.observe(&doc, None, false);
                        continue;
                    };
                    // Nemotron-CC: a document's bucket is the best of its fields' buckets.
                    let best = thresholds
                        .iter()
                        .enumerate()
                        .map(|(f, t)| bucket(keys[2 * f], t))
                        .max()
                        .unwrap_or_default();
                    if matches!(spec.cut, RankCut::Buckets { .. }) {
                        doc.metadata.insert(spec.key.clone(), Value::from(best));
                    }
                    if best >= spec.min_kept() {
                        counts.kept += 1;
                        kept.write(&doc)?;
                        self.observe(&doc, None, true);
                    } else {
                        doc.metadata
                            .insert("filter_reason".into(), Value::from(RANK_BELOW));
                        counts.dropped += 1;
                        dropped.write(&doc)?;
                        self.observe(&doc, None, false);
                    }
                }
                Record::Doc { mut doc, loc } if frequent.is_some() => {
                    counts.docs += 1;
                    counts.text_bytes += doc.text.len() as u64;
                    let freq = frequent.unwrap_or_default();
                    match remove_repeated_lines(&doc, freq) {
                        Ok(None) => {
                            counts.kept += 1;
                            kept.write(&doc)?;
                            self.observe(&doc, None, true);
                        }
                        Ok(Some((edited, _))) if tamis_text::py::strip(&edited.text).is_empty() => {
                            // Nothing left: drop the document as it was read.
                            doc.metadata
                                .insert("filter_reason".into(), Value::from(reason));
                            counts.dropped += 1;
                            dropped.write(&doc)?;
                            self.observe(&doc, None, false);
                        }
                        Ok(Some((edited, lines))) => {
                            counts.removed_lines += lines as u64;
                            counts.removed_bytes += (doc.text.len() - edited.text.len()) as u64;
                            counts.kept += 1;
                            kept.write(&edited)?;
                            self.observe(&edited, None, true);
                        }
                        Err(e) => {
                            let q = Quarantined::new(loc, "invalid_edit_log", e.to_string());
                            counts.quarantined += 1;
                            *counts
                                .quarantine_reasons
                                .entry(q.reason.into())
                                .or_default() += 1;
                            quarantine.write_value(&q.to_json())?;
                        }
                    }
                }
                Record::Doc { mut doc, .. } => {
                    counts.docs += 1;
                    counts.text_bytes += doc.text.len() as u64;
                    let me = DocRef {
                        file: fi as u32,
                        record: ri,
                    }
                    .key();
                    let size = info.map_or(1, |c| c.size);
                    doc.metadata.insert(size_key.into(), Value::from(size));
                    let cluster = info.map(|c| (c.size, c.id));
                    match info {
                        Some(c) if c.root != me => {
                            doc.metadata.insert(id_key.into(), Value::from(c.id));
                            doc.metadata
                                .insert("filter_reason".into(), Value::from(reason));
                            counts.dropped += 1;
                            dropped.write(&doc)?;
                            self.observe(&doc, cluster, false);
                        }
                        Some(c) => {
                            doc.metadata.insert(id_key.into(), Value::from(c.id));
                            self.survivor_metadata(&mut doc, c.size);
                            counts.kept += 1;
                            kept.write(&doc)?;
                            self.observe(&doc, cluster, true);
                        }
                        None => {
                            if matches!(self.method, Method::MinHash { .. }) {
                                // datatrove's MinhashDedupFilter: -1 when in no cluster.
                                doc.metadata.insert(id_key.into(), Value::from(-1));
                            }
                            self.survivor_metadata(&mut doc, 1);
                            counts.kept += 1;
                            kept.write(&doc)?;
                            self.observe(&doc, None, true);
                        }
                    }
                }
                Record::Bad(q) => {
                    counts.quarantined += 1;
                    *counts
                        .quarantine_reasons
                        .entry(q.reason.into())
                        .or_default() += 1;
                    quarantine.write_value(&q.to_json())?;
                }
            }
        }
        kept.finish()?;
        dropped.finish()?;
        quarantine.finish()?;
        write_json(&self.done_path("filter", fi), &counts)?;
        tamis_io::stop_point("dedup_filtered");
        Ok(())
    }

    /// Sums every input's filter counts into `stats.json` and returns them.
    /// `stage_s` holds each stage's wall time when all ran in this process.
    pub fn stats(
        &self,
        elapsed_s: f64,
        threads: usize,
        stage_s: &[(&str, f64)],
    ) -> Result<Value, DedupError> {
        let stats = self.sum_stats(elapsed_s, threads, stage_s)?;
        self.write_stats(&stats)?;
        Ok(stats)
    }

    /// Writes `stats.json`: the mark of a finished job.
    pub fn write_stats(&self, stats: &Value) -> Result<(), DedupError> {
        write_json(&self.out_dir.join("stats.json"), stats)
    }

    /// [`Self::stats`] without writing them.
    fn sum_stats(
        &self,
        elapsed_s: f64,
        threads: usize,
        stage_s: &[(&str, f64)],
    ) -> Result<Value, DedupError> {
        self.require_all("filter")?;
        let mut total = FileCounts::default();
        let mut no_sig = 0;
        for fi in 0..self.inputs.len() {
            let c: FileCounts = read_json(&self.done_path("filter", fi))?;
            let s: FileCounts = read_json(&self.done_path("signatures", fi))?;
            no_sig += s.no_signature;
            total.records += c.records;
            total.docs += c.docs;
            total.kept += c.kept;
            total.dropped += c.dropped;
            total.quarantined += c.quarantined;
            total.text_bytes += c.text_bytes;
            total.removed_lines += c.removed_lines;
            total.removed_bytes += c.removed_bytes;
            total.missing_score += c.missing_score;
            for (k, v) in c.quarantine_reasons {
                *total.quarantine_reasons.entry(k).or_default() += v;
            }
        }
        let stats = json!({
            "read": total.records,
            "kept": total.kept,
            "dropped": total.dropped,
            "quarantined": total.quarantined,
            "quarantine_reasons": total.quarantine_reasons,
            "input_files": self.inputs.len(),
            "input_text_bytes": total.text_bytes,
            "steps": [{
                "step": self.method.name(),
                "total": total.docs,
                "forwarded": total.kept,
                "dropped": total.dropped,
                format!("dropped_{}", self.method.reason()): total.dropped,
                "no_signature": no_sig,
            }],
            "threads": threads,
            "elapsed_s": elapsed_s,
        });
        let mut stats = stats;
        if let Method::Lines { min_docs } = self.method {
            let step = &mut stats["steps"][0];
            step["min_docs"] = json!(min_docs);
            step[format!("removed_lines_{RULE_CORPUS_REPEATED_LINE}")] = json!(total.removed_lines);
            step[format!("removed_bytes_{RULE_CORPUS_REPEATED_LINE}")] = json!(total.removed_bytes);
        }
        if let Method::Rank(_) = &self.method {
            let report: ThresholdReport =
                read_json(&self.work_dir.join("clusters").join("done.json"))?;
            let step = &mut stats["steps"][0];
            let below = total.dropped - total.missing_score;
            step[format!("dropped_{RANK_BELOW}")] = json!(below);
            step[format!("dropped_{RANK_MISSING}")] = json!(total.missing_score);
            step["total_weight"] = json!(report.total_weight);
            step["thresholds"] = report
                .fields
                .iter()
                .zip(&report.thresholds)
                .map(|(f, t)| (f.clone(), json!(t)))
                .collect();
        }
        if !stage_s.is_empty() {
            stats["stage_time_s"] = stage_s
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect();
        }
        Ok(stats)
    }

    /// Exact dedup: datatrove's `duplicate_count` (copies removed) on every kept document
    /// (`ExactDedupFilter`, `src/datatrove/pipeline/dedup/exact_dedup.py`).
    fn survivor_metadata(&self, doc: &mut Document, cluster_size: u64) {
        if matches!(self.method, Method::Exact(_)) {
            doc.metadata
                .insert("duplicate_count".into(), Value::from(cluster_size - 1));
        }
    }

    fn observe(&self, doc: &Document, cluster: Option<(u64, u64)>, kept: bool) {
        if let Some(f) = &self.observer {
            f(doc, cluster, kept);
        }
    }

    /// All four stages and the stats, on this machine.
    pub fn run_all(&self, threads: usize) -> Result<Value, DedupError> {
        let stats = self.run_stages(threads)?;
        self.write_stats(&stats)?;
        Ok(stats)
    }

    /// [`Self::run_all`] without writing `stats.json`, for a caller that has more to do (such
    /// as removing the work directory) before the job counts as finished.
    pub fn run_stages(&self, threads: usize) -> Result<Value, DedupError> {
        let start = Instant::now();
        let mut times = Vec::new();
        let mut timed = |name, f: &dyn Fn() -> Result<(), DedupError>| {
            let t = Instant::now();
            f()?;
            times.push((name, t.elapsed().as_secs_f64()));
            Ok::<(), DedupError>(())
        };
        timed("signatures", &|| self.signatures(Shard::ALL))?;
        timed("buckets", &|| self.buckets(Shard::ALL))?;
        timed("clusters", &|| self.clusters())?;
        timed("filter", &|| self.filter(Shard::ALL))?;
        self.sum_stats(start.elapsed().as_secs_f64(), threads, &times)
    }

    fn root_rule(&self) -> RootRule {
        match self.method {
            Method::MinHash {
                survivor: Survivor::First,
                ..
            } => RootRule::Earliest,
            Method::MinHash {
                survivor: Survivor::Datatrove,
                ..
            } => RootRule::BySize,
            Method::Exact(_) | Method::Lines { .. } | Method::Rank(_) => RootRule::PairFirst,
        }
    }

    fn require_all(&self, stage: &'static str) -> Result<(), DedupError> {
        for fi in 0..self.inputs.len() {
            let p = self.done_path(stage, fi);
            if !p.exists() {
                return Err(DedupError::StageIncomplete { stage, missing: p });
            }
        }
        Ok(())
    }

    /// Rank selection: the total weight of the scored documents, from the signature stage.
    fn scored_weight(&self) -> Result<u64, DedupError> {
        self.require_all("signatures")?;
        let mut w = 0u64;
        for fi in 0..self.inputs.len() {
            let c: FileCounts = read_json(&self.done_path("signatures", fi))?;
            w = w.saturating_add(c.weight);
        }
        Ok(w)
    }

    /// Rank selection: every field's thresholds, from the buckets stage.
    fn rank_thresholds(&self) -> Result<Vec<Vec<Option<u64>>>, DedupError> {
        (0..self.bands())
            .map(|b| {
                let path = self.pairs_path(b);
                let words = read_u64s(&path)?;
                if words.len() % 2 != 0 {
                    return Err(DedupError::Corrupt {
                        path,
                        detail: "odd number of words in a threshold file".into(),
                    });
                }
                Ok(words
                    .chunks_exact(2)
                    .map(|p| (p[0] == 1).then_some(p[1]))
                    .collect())
            })
            .collect()
    }

    /// Line dedup: the hashes of the lines to remove, sorted, from every partition.
    fn frequent_lines(&self) -> Result<Vec<u64>, DedupError> {
        let mut all = Vec::new();
        for b in 0..self.bands() {
            all.extend(read_u64s(&self.pairs_path(b))?);
        }
        all.sort_unstable();
        Ok(all)
    }

    fn read_clusters(&self, fi: usize) -> Result<Vec<ClusterInfo>, DedupError> {
        let path = self.cluster_path(fi);
        if !path.exists() {
            return Ok(Vec::new());
        }
        let bytes = std::fs::read(&path).map_err(|e| DedupError::io(&path, e))?;
        if bytes.len() % 32 != 0 {
            return Err(DedupError::Corrupt {
                path,
                detail: format!("{} bytes is not a whole number of records", bytes.len()),
            });
        }
        Ok(bytes
            .chunks_exact(32)
            .map(|c| {
                let v = |i: usize| u64::from_le_bytes(c[i * 8..i * 8 + 8].try_into().expect("8"));
                ClusterInfo {
                    record: v(0) as u32,
                    size: v(1),
                    id: v(2),
                    root: v(3),
                }
            })
            .collect())
    }
}

/// `doc` without its lines whose hash is in `frequent` (sorted), logged in the edit log, and
/// how many lines went; `None` when no line is repeated.
fn remove_repeated_lines(
    doc: &Document,
    frequent: &[u64],
) -> Result<Option<(Document, usize)>, tamis_clean::EditError> {
    let remove: Vec<(usize, &str)> = line_hashes(&doc.text)
        .into_iter()
        .enumerate()
        .filter(|(_, h)| h.is_some_and(|h| frequent.binary_search(&h).is_ok()))
        .map(|(i, _)| (i, RULE_CORPUS_REPEATED_LINE))
        .collect();
    if remove.is_empty() {
        return Ok(None);
    }
    let mut edited = doc.clone();
    tamis_clean::remove_lines(&mut edited, &remove)?;
    Ok(Some((edited, remove.len())))
}

fn read_u64s(path: &Path) -> Result<Vec<u64>, DedupError> {
    let bytes = std::fs::read(path).map_err(|e| DedupError::io(path, e))?;
    if bytes.len() % 8 != 0 {
        return Err(DedupError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("{} bytes is not a whole number of hashes", bytes.len()),
        });
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

struct ClusterInfo {
    record: u32,
    size: u64,
    id: u64,
    root: u64,
}

/// A JSONL writer that creates its file on the first record, so empty outputs leave no file.
pub(crate) struct LazyWriter {
    path: PathBuf,
    compression: Compression,
    w: Option<JsonlWriter>,
}

impl LazyWriter {
    pub(crate) fn new(path: PathBuf, compression: Compression) -> Self {
        // A rerun replaces the previous output of this file.
        let _ = std::fs::remove_file(&path);
        Self {
            path,
            compression,
            w: None,
        }
    }

    fn get(&mut self) -> Result<&mut JsonlWriter, DedupError> {
        if self.w.is_none() {
            self.w = Some(JsonlWriter::create(&self.path, self.compression)?);
        }
        Ok(self.w.as_mut().expect("created above"))
    }

    pub(crate) fn write(&mut self, doc: &Document) -> Result<(), DedupError> {
        Ok(self.get()?.write(doc)?)
    }

    pub(crate) fn write_value(&mut self, v: &Value) -> Result<(), DedupError> {
        Ok(self.get()?.write_value(v)?)
    }

    pub(crate) fn finish(self) -> Result<(), DedupError> {
        if let Some(w) = self.w {
            w.finish()?;
        }
        Ok(())
    }
}

fn record_index(i: usize, input: &InputFile) -> Result<u32, DedupError> {
    u32::try_from(i).map_err(|_| DedupError::TooManyRecords(input.path.clone()))
}

fn mkdir(p: &Path) -> Result<(), DedupError> {
    std::fs::create_dir_all(p).map_err(|e| DedupError::io(p, e))
}

/// Removes `dir/{prefix}-*.run`: a rerun of a file replaces its runs.
fn remove_matching(dir: &Path, prefix: &str) -> Result<(), DedupError> {
    for p in run_files(dir)? {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with(&format!("{prefix}-"))) {
            std::fs::remove_file(&p).map_err(|e| DedupError::io(&p, e))?;
        }
    }
    Ok(())
}

/// Flushes, syncs and renames `tmp` to `path`, so a crash never leaves a half file under the
/// final name.
fn finish_file(w: BufWriter<File>, tmp: &Path, path: &Path) -> Result<(), DedupError> {
    let f = w
        .into_inner()
        .map_err(|e| DedupError::io(tmp, e.into_error()))?;
    f.sync_data().map_err(|e| DedupError::io(tmp, e))?;
    std::fs::rename(tmp, path).map_err(|e| DedupError::io(path, e))
}

pub(crate) fn write_json(path: &Path, v: &impl Serialize) -> Result<(), DedupError> {
    if let Some(dir) = path.parent() {
        mkdir(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::new(File::create(&tmp).map_err(|e| DedupError::io(&tmp, e))?);
    serde_json::to_writer_pretty(&mut w, v).map_err(|e| DedupError::io(&tmp, e.into()))?;
    w.write_all(b"\n").map_err(|e| DedupError::io(&tmp, e))?;
    finish_file(w, &tmp, path)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, DedupError> {
    let bytes = std::fs::read(path).map_err(|e| DedupError::io(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| DedupError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}
