//! The local executor: reads inputs in a fixed order, filters batches on all threads, and
//! writes results in input order, so output bytes do not depend on the thread count.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::Value;
use tamis_core::{DocCache, Document};
use tamis_io::work::{self, Ticket};
use tamis_io::{
    parquet_name, partial_path, Compression, IoError, Location, PartWriter, Quarantined,
    ReadOptions, Record,
};

use crate::checkpoint::{
    Checkpoint, ClosedFile, Digests, InputAccount, InputLog, Manifest, RunKey, SavedRoll,
    SavedTally, CHECKPOINT, INPUT_LOG, MANIFEST,
};
use crate::merge::{Read, ShardTrace, SHARD_TRACE};
use crate::parquet_out::{convert_outputs, remove_layouts, OutputFormat};
use crate::prefetch::Prefetch;
use crate::spec::{Outcome, Pipeline, StepTally};
use crate::stats::{RunStats, StepStats};
use crate::template::{split_outputs, OutputTemplate};
use tamis_report::{DocFacts, ReportData, SampleGate, StepFlow};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<String>,
    pub out_dir: PathBuf,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    pub compression: Compression,
    /// Stop after this many quarantined records.
    pub max_errors: Option<u64>,
    /// Replace the outputs of an earlier run in `out_dir`.
    pub overwrite: bool,
    pub progress: bool,
    pub read: ReadOptions,
    /// Bytes of documents gathered before a batch is filtered in parallel, as they hold them
    /// in memory (text, id and parsed metadata: [`Document::approx_bytes`]).
    pub batch_bytes: usize,
    /// Uncompressed bytes after which an output file is closed and the next one started.
    pub max_file_bytes: u64,
    /// Records between checkpoints (one is also taken after 64 MiB of text). Each checkpoint
    /// ends a compressed part of every open output, so the value is part of what decides the
    /// output bytes and a resumed run must use the same one.
    pub checkpoint_every: u64,
    /// File format of kept and dropped outputs (quarantine files are always JSONL).
    pub format: OutputFormat,
    /// Kept outputs go under `kept/<expansion>/` by metadata (`--output-template`).
    pub output_template: Option<OutputTemplate>,
    /// Accumulate the report's data while running and write `report.json` (`--report`).
    pub report: bool,
    /// Run as one shard of a distributed run: also write the trace that
    /// [`merge_shards`](crate::merge_shards) needs to rebuild a local run's outputs. A shard
    /// run always starts afresh (it is not resumed from a checkpoint).
    pub shard_trace: bool,
}

/// Text bytes read after which a checkpoint is taken even before `checkpoint_every` records,
/// so runs over huge documents still checkpoint often.
const CHECKPOINT_TEXT_BYTES: u64 = 64 << 20;

/// Whether a checkpoint falls after a record, given the records and text bytes read since the
/// last one. Checkpoints fall at fixed record counts (not times), so an interrupted run, an
/// uninterrupted one and a merge of shards end their output parts at the same places.
pub(crate) fn checkpoint_due(records: u64, text_bytes: u64, every: u64) -> bool {
    records >= every.max(1) || text_bytes >= CHECKPOINT_TEXT_BYTES
}

impl RunOptions {
    pub fn new(inputs: Vec<String>, out_dir: PathBuf) -> Self {
        Self {
            inputs,
            out_dir,
            threads: 0,
            compression: Compression::Zstd,
            max_errors: None,
            overwrite: false,
            progress: false,
            read: ReadOptions::default(),
            batch_bytes: 8 << 20,
            max_file_bytes: 1 << 30,
            checkpoint_every: 10_000,
            format: OutputFormat::Jsonl,
            output_template: None,
            report: false,
            shard_trace: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "output directory {0} already holds a run's outputs (pass --overwrite to replace them)"
    )]
    OutputExists(PathBuf),
    #[error("cannot prepare output directory {path}: {source}")]
    OutputDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    #[error("stopped after {limit} quarantined records (--max-errors); see {dir}")]
    TooManyErrors {
        limit: u64,
        dir: PathBuf,
        stats: Box<RunStats>,
    },
    #[error("no input files matched {0:?}")]
    NoInputs(Vec<String>),
    #[error(transparent)]
    Spec(#[from] crate::spec::SpecError),
    #[error(transparent)]
    Dedup(#[from] tamis_dedup::DedupError),
    #[error(transparent)]
    Locked(#[from] crate::lock::LockError),
    #[error(
        "{0} holds kept/, dropped/ or quarantine/ folders but no sign of a tamis run \
         (stats.json, manifest.json, .checkpoint.json): --overwrite would delete them; move \
         them or choose another output directory"
    )]
    NotOurs(PathBuf),
    #[error(
        "input {input} is inside the output directory {dir}: the run would read what it writes \
         (and --overwrite would delete it); choose another output directory"
    )]
    InputInOutput { input: PathBuf, dir: PathBuf },
    #[error("cannot merge the shard in {dir}: {message}")]
    Merge { dir: PathBuf, message: String },
    #[error("cannot resume the run in {dir}: {message} (pass --overwrite to start over)")]
    Resume { dir: PathBuf, message: String },
    #[error(
        "{dir} holds an interrupted run of another pipeline (config fingerprint {found}, this \
         one is {expected}); rerun the same command to resume it, or pass --overwrite to start \
         over"
    )]
    FingerprintMismatch {
        dir: PathBuf,
        found: String,
        expected: String,
    },
    #[error(
        "{dir} holds an interrupted run whose {field} differs from this command's; rerun the \
         same command to resume it, or pass --overwrite to start over"
    )]
    OptionsMismatch { dir: PathBuf, field: &'static str },
}

const SUBDIRS: [&str; 3] = ["kept", "dropped", "quarantine"];

/// Refuses earlier outputs in `dir`, or removes them with `overwrite`; creates `dir`.
pub(crate) fn clear_out_dir(dir: &Path, overwrite: bool) -> Result<(), RunError> {
    clear_dir(dir, overwrite, true)
}

/// [`clear_out_dir`] for a merge, whose failed attempts leave unmarked outputs of their own.
pub(crate) fn clear_merge_dir(dir: &Path, overwrite: bool) -> Result<(), RunError> {
    clear_dir(dir, overwrite, false)
}

fn clear_dir(dir: &Path, overwrite: bool, only_ours: bool) -> Result<(), RunError> {
    let io = |source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    };
    let marks = ["stats.json", MANIFEST, CHECKPOINT];
    let extra = [
        INPUT_LOG,
        SHARD_TRACE,
        tamis_report::REPORT_JSON,
        tamis_report::REPORT_HTML,
    ];
    let has_outputs =
        marks.iter().any(|m| dir.join(m).exists()) || SUBDIRS.iter().any(|s| dir.join(s).exists());
    if has_outputs {
        if !overwrite {
            return Err(RunError::OutputExists(dir.to_path_buf()));
        }
        // `--overwrite` deletes what a tamis run wrote, not a folder that merely has its name.
        // (A run writes its checkpoint, or `work-phases/`, before its output folders; the lock
        // file is no sign, this run has just made it.)
        let ours = marks.iter().any(|m| dir.join(m).exists()) || dir.join("work-phases").exists();
        if only_ours && !ours {
            return Err(RunError::NotOurs(dir.to_path_buf()));
        }
        for s in SUBDIRS {
            let p = dir.join(s);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io)?;
            }
        }
        for m in marks.iter().chain(&extra) {
            let _ = std::fs::remove_file(dir.join(m));
        }
    }
    std::fs::create_dir_all(dir).map_err(io)
}

pub(crate) fn create_subdirs(dir: &Path) -> Result<(), RunError> {
    for s in SUBDIRS {
        std::fs::create_dir_all(dir.join(s)).map_err(|source| RunError::OutputDir {
            path: dir.join(s),
            source,
        })?;
    }
    Ok(())
}

/// A sequence of numbered JSONL files (`00000.jsonl.zst`, ...) that rolls to the next file
/// after `max_bytes`, opened lazily so an empty output leaves no empty file.
pub(crate) struct RollingWriter {
    dir: PathBuf,
    /// `kept`, `dropped` or `quarantine`: the manifest names files relative to the run.
    sub: &'static str,
    compression: Compression,
    max_bytes: u64,
    index: usize,
    written: u64,
    current: Option<PartWriter>,
    closed: Vec<ClosedFile>,
}

impl RollingWriter {
    pub(crate) fn new(
        out: &Path,
        sub: &'static str,
        compression: Compression,
        max_bytes: u64,
    ) -> Self {
        Self {
            dir: out.join(sub),
            sub,
            compression,
            max_bytes,
            index: 0,
            written: 0,
            current: None,
            closed: Vec::new(),
        }
    }

    fn name(&self, index: usize) -> String {
        format!("{index:05}.jsonl{}", self.compression.extension())
    }

    /// Back to the state of a checkpoint: finished files stay, the open one is cut back to
    /// its checkpointed length, and anything written after the checkpoint is removed.
    fn resume(
        out: &Path,
        sub: &'static str,
        compression: Compression,
        max_bytes: u64,
        saved: &SavedRoll,
    ) -> Result<Self, RunError> {
        let mut w = Self::new(out, sub, compression, max_bytes);
        w.index = saved.index;
        w.written = saved.written;
        w.closed = saved.closed.clone();
        // A closed file may already have become parquet (a kill while converting).
        let mut keep: Vec<PathBuf> = w
            .closed
            .iter()
            .flat_map(|c| [w.dir.join(&c.name), w.dir.join(parquet_name(&c.name))])
            .collect();
        if let Some(at) = saved.current {
            let path = w.dir.join(w.name(w.index));
            w.current = Some(PartWriter::resume(&path, compression, at)?);
            keep.push(partial_path(&path));
        }
        let io = |path: &Path, source| RunError::OutputDir {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(&w.dir).map_err(|e| io(&w.dir, e))?;
        for e in std::fs::read_dir(&w.dir).map_err(|e| io(&w.dir, e))? {
            let p = e.map_err(|e| io(&w.dir, e))?.path();
            // Directories hold the parts of an interrupted split by template; it is redone.
            if !keep.contains(&p) && !p.is_dir() {
                std::fs::remove_file(&p).map_err(|e| io(&p, e))?;
            }
        }
        Ok(w)
    }

    fn writer(&mut self, next_len: u64) -> Result<&mut PartWriter, IoError> {
        if self.current.is_some() && self.written + next_len > self.max_bytes && self.written > 0 {
            self.close_current()?;
            self.index += 1;
            self.written = 0;
        }
        if self.current.is_none() {
            let path = self.dir.join(self.name(self.index));
            self.current = Some(PartWriter::create(&path, self.compression)?);
        }
        self.written += next_len;
        Ok(self.current.as_mut().expect("opened above"))
    }

    fn close_current(&mut self) -> Result<(), IoError> {
        if let Some(w) = self.current.take() {
            let (at, sha256) = w.finish_hashed()?;
            self.closed.push(ClosedFile {
                name: self.name(self.index),
                records: at.records,
                digest: Some((at.len, sha256)),
            });
        }
        Ok(())
    }

    fn write_doc(&mut self, doc: &Document) -> Result<(), IoError> {
        self.writer(doc.text.len() as u64)?.write(doc)
    }

    fn write_value(&mut self, v: &Value) -> Result<(), IoError> {
        self.writer(QUARANTINE_LEN)?.write_value(v)
    }

    /// Writes a line encoded by another run's writer, counting `len` towards the file size
    /// as the original write counted it (the text length of a document, [`QUARANTINE_LEN`]
    /// for a quarantine record).
    pub(crate) fn write_line(&mut self, line: &[u8], len: u64) -> Result<(), IoError> {
        self.writer(len)?.write_line(line)
    }

    /// Ends the open file's current part and makes it durable.
    pub(crate) fn checkpoint(&mut self) -> Result<SavedRoll, IoError> {
        let current = self
            .current
            .as_mut()
            .map(PartWriter::checkpoint)
            .transpose()?;
        Ok(SavedRoll {
            index: self.index,
            written: self.written,
            current,
            closed: self.closed.clone(),
        })
    }

    /// Renames the open file into place; returns every file with its record count and, when
    /// hashed while written, its size and SHA-256, named by its path relative to the run's
    /// directory.
    pub(crate) fn finish(mut self) -> Result<Vec<ClosedFile>, IoError> {
        self.close_current()?;
        let sub = self.sub;
        Ok(self
            .closed
            .into_iter()
            .map(|c| ClosedFile {
                name: format!("{sub}/{}", c.name),
                ..c
            })
            .collect())
    }
}

/// What a quarantine record counts towards its file's size (`max_file_bytes`): records are
/// rolled by document text bytes, and a quarantine record has none.
pub(crate) const QUARANTINE_LEN: u64 = 256;

struct Item {
    doc: Document,
    /// The document as read, before the steps edited it (for the shard trace).
    read: Read,
    loc: Location,
    /// Index of the input file, for the manifest's per-file accounting.
    file: usize,
}

/// What became of one document in a batch: a pipeline outcome, or a panic inside a step
/// (quarantined with the panic message).
enum DocResult {
    Done(Outcome),
    Panicked(String),
}

struct Run<'a> {
    opts: &'a RunOptions,
    fingerprint: String,
    key: RunKey,
    kept: RollingWriter,
    dropped: RollingWriter,
    quarantine: RollingWriter,
    stats: RunStats,
    tally: Vec<StepTally>,
    step_ids: Vec<&'static str>,
    inputs: Vec<InputAccount>,
    /// Accounts of finished input files, for checkpoints.
    log: Option<InputLog>,
    /// Elapsed time of earlier, interrupted sessions of this run.
    elapsed_before: f64,
    start: Instant,
    /// The report's data (`--report`), fed in input order.
    report: Option<ReportData>,
    /// The shard trace (`shard_trace`).
    trace: Option<ShardTrace>,
}

impl Run<'_> {
    fn quarantine(&mut self, q: &Quarantined, file: usize) -> Result<(), RunError> {
        self.quarantine.write_value(&q.to_json())?;
        self.stats.quarantined += 1;
        *self
            .stats
            .quarantine_reasons
            .entry(q.reason.to_string())
            .or_default() += 1;
        let acc = &mut self.inputs[file];
        acc.quarantined += 1;
        *acc.quarantine_reasons
            .entry(q.reason.to_string())
            .or_default() += 1;
        // Stopping is a flag, not an error: documents already read still get filtered and
        // written, so the counts balance even when the run ends early.
        if self
            .opts
            .max_errors
            .is_some_and(|limit| self.stats.quarantined >= limit)
        {
            self.stats.stopped = Some("max_errors".into());
        }
        Ok(())
    }

    /// Writes a processed batch in input order and adds its tallies.
    fn write(&mut self, done: Processed) -> Result<(), RunError> {
        let Processed { items, chunks } = done;
        let mut outcomes = Vec::with_capacity(items.len());
        let mut lines = Vec::with_capacity(items.len());
        let mut facts = Vec::with_capacity(items.len());
        for Chunk {
            outs,
            lines: l,
            tally,
            facts: f,
        } in chunks
        {
            outcomes.extend(outs);
            lines.extend(l);
            facts.extend(f);
            for (acc, t) in self.tally.iter_mut().zip(&tally) {
                acc.counters.merge(&t.counters);
                acc.nanos += t.nanos;
                acc.bytes_in += t.bytes_in;
                acc.bytes_dropped += t.bytes_dropped;
                acc.bytes_out += t.bytes_out;
            }
        }
        let mut facts = facts.into_iter();
        for ((item, outcome), line) in items.into_iter().zip(outcomes).zip(lines) {
            let Item {
                mut doc,
                read,
                loc,
                file,
            } = item;
            if let (Some(report), Some(Some(f))) = (&mut self.report, facts.next()) {
                let dropped = match &outcome {
                    DocResult::Done(Outcome::Dropped { step, reason }) => {
                        Some((self.step_ids[*step], reason.as_str()))
                    }
                    _ => None,
                };
                report.observe(f, &doc, dropped);
            }
            match outcome {
                DocResult::Done(Outcome::Kept) => {
                    match line {
                        Some(l) => self.kept.write_line(&l, doc.text.len() as u64)?,
                        None => {
                            stamp(&mut doc, &self.fingerprint);
                            self.kept.write_doc(&doc)?;
                        }
                    }
                    if let Some(t) = &mut self.trace {
                        t.kept(read, doc.text.len() as u64)?;
                    }
                    self.stats.kept += 1;
                    self.inputs[file].kept += 1;
                }
                DocResult::Done(Outcome::Dropped { step, reason }) => {
                    let acc = &mut self.inputs[file];
                    acc.dropped += 1;
                    *acc.dropped_by
                        .entry(self.step_ids[step].to_owned())
                        .or_default()
                        .entry(reason.clone())
                        .or_default() += 1;
                    match line {
                        Some(l) => self.dropped.write_line(&l, doc.text.len() as u64)?,
                        None => {
                            mark_dropped(&mut doc, self.step_ids[step], &reason);
                            stamp(&mut doc, &self.fingerprint);
                            self.dropped.write_doc(&doc)?;
                        }
                    }
                    if let Some(t) = &mut self.trace {
                        t.dropped(read, doc.text.len() as u64)?;
                    }
                    self.stats.dropped += 1;
                }
                DocResult::Panicked(message) => {
                    let q = Quarantined {
                        loc,
                        reason: "step_panic",
                        message: format!("document {:?}: a step panicked: {message}", doc.id),
                        raw: None,
                    };
                    if let Some(t) = &mut self.trace {
                        t.panicked(read)?;
                    }
                    self.quarantine(&q, file)?;
                }
            }
        }
        Ok(())
    }

    /// Ends a part of every output, makes it durable, then records the state in the
    /// checkpoint file: on resume, everything the checkpoint mentions is on disk.
    fn checkpoint(&mut self, file: usize, record: u64, done: bool) -> Result<(), RunError> {
        let outputs = vec![
            self.kept.checkpoint()?,
            self.dropped.checkpoint()?,
            self.quarantine.checkpoint()?,
        ];
        let log = self.log.as_mut().ok_or_else(|| RunError::Resume {
            dir: self.opts.out_dir.clone(),
            message: "no input log".into(),
        })?;
        let (inputs_logged, inputs_log_len) = log.sync(&self.inputs, file)?;
        let mut stats = self.stats.clone();
        stats.elapsed_s = self.elapsed_before + self.start.elapsed().as_secs_f64();
        Checkpoint {
            format: Checkpoint::new_format(),
            fingerprint: self.fingerprint.clone(),
            key: self.key.clone(),
            file,
            record,
            done,
            stats,
            steps: self
                .tally
                .iter()
                .map(|t| SavedTally {
                    counters: t.counters.iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    nanos: t.nanos,
                    bytes: [t.bytes_in, t.bytes_dropped, t.bytes_out],
                })
                .collect(),
            inputs_logged,
            inputs_log_len,
            current_input: self.inputs.get(file).cloned(),
            outputs,
            report: self.report.clone().map(Box::new),
        }
        .save(&self.opts.out_dir)
    }
}

/// Marks an output document with the config that decided it.
fn stamp(doc: &mut Document, fingerprint: &str) {
    doc.metadata
        .insert("tamis_config".into(), Value::from(fingerprint));
}

/// Says in a dropped document's metadata which step dropped it and why.
fn mark_dropped(doc: &mut Document, step: &str, reason: &str) {
    doc.metadata
        .insert("filter_reason".into(), Value::from(reason));
    doc.metadata.insert("filter_step".into(), Value::from(step));
}

/// Documents with up to this much text are encoded into their output line by the workers;
/// larger ones by the writer, in pieces, so a huge document is not held twice in memory.
const ENCODE_ON_WORKERS: usize = 128 << 10;

/// A filtered batch: the documents (edited by the steps) and, per chunk, outcomes, tallies and
/// (with `--report`) the report's facts about each document, `None` for one that panicked.
struct Processed {
    items: Vec<Item>,
    chunks: Vec<Chunk>,
}

/// One worker chunk of a batch: outcomes, the steps' tallies, the report's facts.
struct Chunk {
    outs: Vec<DocResult>,
    /// Each kept or dropped document's output line, stamped, when the workers encoded it.
    lines: Vec<Option<Vec<u8>>>,
    tally: Vec<StepTally>,
    facts: Vec<Option<DocFacts>>,
}

/// Filters a batch on the pool. Small chunks balance uneven document costs; per-chunk tallies
/// are summed afterwards, and sums do not depend on how the work was split.
fn process_batch(
    pipeline: &Pipeline,
    step_ids: &[&'static str],
    mut items: Vec<Item>,
    report: Option<&SampleGate>,
) -> Processed {
    let chunks = items
        .par_chunks_mut(8)
        .map(|chunk| {
            let mut tally = pipeline.new_tally();
            let mut cache = DocCache::default();
            let mut facts = Vec::new();
            let outs: Vec<DocResult> = chunk
                .iter_mut()
                .map(|item| {
                    // The report measures the document as read, here on the workers, and
                    // asks the step that starts the edit log to keep the text it replaces.
                    let before = report.map(|gate| {
                        item.doc.edit_base = tamis_core::EditBase::Wanted;
                        (tamis_report::before(&item.doc), gate)
                    });
                    let res = catch_unwind(AssertUnwindSafe(|| {
                        pipeline.process(&mut item.doc, &mut tally, &mut cache)
                    }))
                    .map_or_else(
                        |p| DocResult::Panicked(work::panic_message(p.as_ref())),
                        DocResult::Done,
                    );
                    if let Some((b, gate)) = before {
                        let base = item.doc.edit_base.take();
                        facts.push(match &res {
                            DocResult::Done(_) => {
                                let mut f = DocFacts::after(b, &item.doc, base);
                                f.drop_unwanted_base(&item.doc, gate);
                                Some(f)
                            }
                            DocResult::Panicked(_) => None,
                        });
                    }
                    res
                })
                .collect();
            let lines = chunk
                .iter_mut()
                .zip(&outs)
                .map(|(item, res)| encode(&mut item.doc, res, pipeline.fingerprint(), step_ids))
                .collect();
            Chunk {
                outs,
                lines,
                tally,
                facts,
            }
        })
        .collect();
    Processed { items, chunks }
}

/// The output line of a kept or dropped document, marked as the writer would mark it; `None`
/// leaves the document to the writer (a large one, a panicked one, or an encoding error, which
/// the writer then reports with the output's path).
fn encode(
    doc: &mut Document,
    res: &DocResult,
    fingerprint: &str,
    step_ids: &[&'static str],
) -> Option<Vec<u8>> {
    let DocResult::Done(outcome) = res else {
        return None;
    };
    if doc.text.len() > ENCODE_ON_WORKERS {
        return None;
    }
    if let Outcome::Dropped { step, reason } = outcome {
        mark_dropped(doc, step_ids[*step], reason);
    }
    stamp(doc, fingerprint);
    let mut line = Vec::with_capacity(doc.approx_bytes() + 64);
    tamis_io::encode_line(doc, &mut line).ok()?;
    Some(line)
}

/// Runs `pipeline` over the inputs and writes `kept/`, `dropped/`, `quarantine/`,
/// `manifest.json` and `stats.json` under `opts.out_dir`. Per-record faults are quarantined
/// and the run goes on; only output I/O errors and `max_errors` stop it.
///
/// Every `checkpoint_every` records the outputs are made durable and `.checkpoint.json`
/// records where the run stands. When `out_dir` holds such a checkpoint (a run that was killed
/// or failed) and no `stats.json`, the run resumes from it, provided the pipeline's
/// fingerprint and the options are the same; its outputs are then byte for byte those of an
/// uninterrupted run.
pub fn run(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunStats, RunError> {
    let start = Instant::now();
    let files = tamis_io::expand_inputs(&opts.inputs);
    if files.is_empty() {
        return Err(RunError::NoInputs(opts.inputs.clone()));
    }
    let key = RunKey::new(&files, opts);
    let fingerprint = pipeline.fingerprint().to_owned();
    // The trace is not checkpointed: a shard starts over (its driver retries it whole).
    let saved = if opts.shard_trace {
        None
    } else {
        resumable(&opts.out_dir, opts.overwrite, &fingerprint, &key)?
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let out = |s: &'static str| {
        RollingWriter::new(&opts.out_dir, s, opts.compression, opts.max_file_bytes)
    };
    let mut run = Run {
        opts,
        fingerprint,
        key,
        kept: out("kept"),
        dropped: out("dropped"),
        quarantine: out("quarantine"),
        stats: RunStats::start(
            files.len(),
            Vec::new(),
            pool.current_num_threads(),
            pipeline.fingerprint(),
        ),
        tally: pipeline.new_tally(),
        step_ids: pipeline.step_ids(),
        inputs: files
            .iter()
            .map(|f| InputAccount {
                path: f.display_path(),
                size: f.size,
                ..InputAccount::default()
            })
            .collect(),
        log: None,
        elapsed_before: 0.0,
        start,
        report: opts.report.then(ReportData::default),
        trace: None,
    };
    let (first_file, skip) = match &saved {
        Some(c) => {
            restore(&mut run, c)?;
            (c.file, c.record)
        }
        None => {
            clear_out_dir(&opts.out_dir, opts.overwrite)?;
            run.log = Some(InputLog::create(&opts.out_dir)?);
            if opts.shard_trace {
                run.trace = Some(ShardTrace::create(&opts.out_dir)?);
            }
            // The checkpoint comes before the output directories: a run killed before it
            // leaves nothing that looks like outputs, so the rerun simply starts afresh.
            run.checkpoint(0, 0, false)?;
            create_subdirs(&opts.out_dir)?;
            (0, 0)
        }
    };
    let every = opts.checkpoint_every.max(1);
    let bar = progress_bar(opts.progress, files.iter().filter_map(|f| f.size).sum());
    // Reading the next batch and writing the previous one overlap with filtering the current
    // one; batches are still written strictly in input order. The driver (reading, writing)
    // runs on one of the pool's threads and helps with the pool's jobs while it waits, so the
    // run keeps `threads` cores busy, not one more.
    let gate = &ReportData::edit_gate();
    let step_ids = &pipeline.step_ids();
    let result = pool.install(|| {
        rayon::scope_fifo(|scope| -> Result<(), RunError> {
            let mut inflight: Option<Ticket<Processed>> = None;
            let mut hand_off = |run: &mut Run<'_>, batch: Vec<Item>| -> Result<(), RunError> {
                // The next batch starts before the driver waits for this one, so the pool
                // always has a batch to work on. It sees the report's gate as published after
                // the batch before this one, whatever the timing.
                let previous = inflight.take();
                if !batch.is_empty() {
                    let gate = opts.report.then_some(gate);
                    inflight = Some(work::spawn_scoped(scope, move || {
                        process_batch(pipeline, step_ids, batch, gate)
                    }));
                }
                if let Some(done) = previous.map(join_batch).transpose()? {
                    run.write(done)?;
                    if let Some(report) = &run.report {
                        report.publish(gate);
                    }
                }
                Ok(())
            };
            let mut batch: Vec<Item> = Vec::new();
            let mut batch_bytes = 0usize;
            let (mut since_records, mut since_bytes) = (0u64, 0u64);
            let mut done_bytes: u64 = files[..first_file.min(files.len())]
                .iter()
                .filter_map(|f| f.size)
                .sum();
            // Files are decoded and parsed ahead on the pool, up to one per thread at a time.
            // Records before a checkpoint are skipped there: reading them again is cheaper than
            // seeking into a compressed stream.
            let mut prefetch = Prefetch::new(
                &files,
                &opts.read,
                (first_file, skip),
                pool.current_num_threads(),
                opts.batch_bytes / 2,
            );
            let (mut fi, mut in_file) = (first_file, skip);
            'files: while let Some((file, chunk)) = prefetch.next_chunk()? {
                if file != fi {
                    (fi, in_file) = (file, 0);
                }
                for record in chunk.records {
                    if run.stats.stopped.is_some() {
                        break 'files;
                    }
                    run.stats.read += 1;
                    run.inputs[fi].read += 1;
                    in_file += 1;
                    since_records += 1;
                    match record {
                        Record::Doc { doc, loc } => {
                            // Batches are cut by what documents hold in memory, metadata
                            // included; checkpoints still count text.
                            let read = Read {
                                text: doc.text.len() as u64,
                                weight: doc.approx_bytes() as u64,
                            };
                            batch_bytes += read.weight as usize;
                            since_bytes += read.text;
                            run.stats.input_text_bytes += read.text;
                            if let Some(t) = &mut run.trace {
                                t.doc_read();
                            }
                            batch.push(Item {
                                doc,
                                read,
                                loc,
                                file: fi,
                            });
                            if batch_bytes >= opts.batch_bytes {
                                hand_off(&mut run, std::mem::take(&mut batch))?;
                                batch_bytes = 0;
                            }
                        }
                        Record::Bad(q) => {
                            if let Some(t) = &mut run.trace {
                                t.bad()?;
                            }
                            run.quarantine(&q, fi)?
                        }
                    }
                    if checkpoint_due(since_records, since_bytes, every) {
                        hand_off(&mut run, std::mem::take(&mut batch))?;
                        hand_off(&mut run, Vec::new())?;
                        batch_bytes = 0;
                        run.checkpoint(fi, in_file, false)?;
                        (since_records, since_bytes) = (0, 0);
                    }
                }
                let size = files[fi].size.unwrap_or(0);
                if chunk.last {
                    done_bytes += size;
                    bar.set_position(done_bytes);
                } else {
                    bar.set_position(done_bytes + chunk.on_disk.min(size));
                }
                update_bar(&bar, &run.stats, start);
            }
            hand_off(&mut run, batch)?;
            hand_off(&mut run, Vec::new())?;
            update_bar(&bar, &run.stats, start);
            Ok(())
        })
    });
    bar.finish_and_clear();
    // After a failure the partial outputs and the last checkpoint stay, so fixing the cause
    // (e.g. freeing disk space) and rerunning resumes.
    result?;
    // The last checkpoint lists every file as finished: splitting and converting then move
    // or remove them, and a run killed there resumes from it without an open file to find.
    for w in [&mut run.kept, &mut run.dropped, &mut run.quarantine] {
        w.close_current()?;
    }
    run.checkpoint(files.len(), 0, true)?;
    let Run {
        kept,
        dropped,
        quarantine,
        mut stats,
        tally,
        step_ids,
        inputs,
        fingerprint,
        elapsed_before,
        report,
        trace,
        ..
    } = run;
    if let Some(t) = trace {
        t.finish()?;
    }
    let (records, digests) = finish_outputs(opts, [kept, dropped, quarantine])?;
    stats.steps = step_ids
        .iter()
        .zip(&tally)
        .map(|(id, t)| StepStats::from_tally(id, t))
        .collect();
    stats.elapsed_s = elapsed_before + start.elapsed().as_secs_f64();
    let manifest = Manifest::build(
        &opts.out_dir,
        &fingerprint,
        opts.compression.name(),
        &stats,
        inputs,
        &records,
        &digests,
    )?;
    manifest.save(&opts.out_dir)?;
    if let Some(mut report) = report {
        report.steps = step_ids
            .iter()
            .zip(&tally)
            .map(|(id, t)| StepFlow {
                step: (*id).to_owned(),
                docs_in: t.counters.get("total"),
                docs_dropped: t.counters.get("dropped"),
                bytes_in: t.bytes_in,
                bytes_dropped: t.bytes_dropped,
                bytes_out: t.bytes_out,
                time_s: t.nanos as f64 / 1e9,
            })
            .collect();
        write_report(&opts.out_dir, &report)?;
    }
    write_stats(&opts.out_dir, &stats)?;
    remove_checkpoint(&opts.out_dir)?;
    let _ = std::fs::remove_file(opts.out_dir.join(INPUT_LOG));
    match (stats.stopped.is_some(), opts.max_errors) {
        (true, Some(limit)) => Err(RunError::TooManyErrors {
            limit,
            dir: opts.out_dir.join("quarantine"),
            stats: Box::new(stats),
        }),
        _ => Ok(stats),
    }
}

/// Renames the outputs into place, then splits the kept ones by template and converts kept
/// and dropped ones to parquet as `opts` says; returns every output file with its record
/// count, by path relative to the run's directory.
pub(crate) fn finish_outputs(
    opts: &RunOptions,
    writers: [RollingWriter; 3],
) -> Result<(BTreeMap<String, u64>, Digests), RunError> {
    let mut records = BTreeMap::new();
    let mut digests = Digests::new();
    for w in writers {
        for c in w.finish()? {
            if let Some(d) = c.digest {
                digests.insert(c.name.clone(), d);
            }
            records.insert(c.name, c.records);
        }
    }
    if opts.output_template.is_some() || opts.format != OutputFormat::Jsonl {
        // Files are split or converted: their digests are of files that no longer exist.
        digests.clear();
    }
    if let Some(t) = &opts.output_template {
        let files = records.into_iter().collect();
        records = split_outputs(&opts.out_dir, files, opts.compression, t)?
            .into_iter()
            .collect();
    }
    if opts.format == OutputFormat::Parquet {
        let files = records.into_iter().collect();
        records = convert_outputs(&opts.out_dir, files, opts.compression)?
            .into_iter()
            .collect();
        remove_layouts(&opts.out_dir)?;
    }
    Ok((records, digests))
}

/// The checkpoint to resume from, if `dir` holds an unfinished run this command may continue.
fn resumable(
    dir: &Path,
    overwrite: bool,
    fingerprint: &str,
    key: &RunKey,
) -> Result<Option<Checkpoint>, RunError> {
    if overwrite || dir.join("stats.json").exists() {
        return Ok(None);
    }
    let Some(c) = Checkpoint::load(dir)? else {
        return Ok(None);
    };
    if c.fingerprint != fingerprint {
        return Err(RunError::FingerprintMismatch {
            dir: dir.to_path_buf(),
            found: c.fingerprint,
            expected: fingerprint.to_owned(),
        });
    }
    if let Some(field) = c.key.first_difference(key) {
        return Err(RunError::OptionsMismatch {
            dir: dir.to_path_buf(),
            field,
        });
    }
    Ok(Some(c))
}

/// Puts `run` back in the state of checkpoint `c`: counters, tallies and outputs.
fn restore(run: &mut Run<'_>, c: &Checkpoint) -> Result<(), RunError> {
    let opts = run.opts;
    let subs = ["kept", "dropped", "quarantine"];
    let mut writers = Vec::new();
    for (sub, saved) in subs.into_iter().zip(&c.outputs) {
        writers.push(RollingWriter::resume(
            &opts.out_dir,
            sub,
            opts.compression,
            opts.max_file_bytes,
            saved,
        )?);
    }
    let mut writers = writers.into_iter();
    let (Some(k), Some(d), Some(q)) = (writers.next(), writers.next(), writers.next()) else {
        return Err(RunError::Resume {
            dir: opts.out_dir.clone(),
            message: "the checkpoint does not list the three outputs".into(),
        });
    };
    (run.kept, run.dropped, run.quarantine) = (k, d, q);
    let threads = run.stats.threads;
    let input_files = run.stats.input_files;
    run.stats = c.stats.clone();
    (run.stats.threads, run.stats.input_files) = (threads, input_files);
    run.elapsed_before = c.stats.elapsed_s;
    for (t, saved) in run.tally.iter_mut().zip(&c.steps) {
        for (k, v) in &saved.counters {
            t.counters.add(k, *v);
        }
        t.nanos = saved.nanos;
        [t.bytes_in, t.bytes_dropped, t.bytes_out] = saved.bytes;
    }
    if opts.report {
        run.report = Some(c.report.as_deref().cloned().unwrap_or_default());
    }
    let (log, accounts) = InputLog::resume(&opts.out_dir, c.inputs_log_len, c.inputs_logged)?;
    run.log = Some(log);
    for (i, a) in accounts.into_iter().enumerate() {
        if let Some(slot) = run.inputs.get_mut(i) {
            *slot = a;
        }
    }
    if let (Some(a), Some(slot)) = (&c.current_input, run.inputs.get_mut(c.file)) {
        *slot = a.clone();
    }
    Ok(())
}

fn remove_checkpoint(dir: &Path) -> Result<(), RunError> {
    let path = dir.join(CHECKPOINT);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(RunError::OutputDir { path, source: e })
        }
        _ => Ok(()),
    }
}

fn join_batch(ticket: Ticket<Processed>) -> Result<Processed, RunError> {
    // Per-document panics are caught inside; reaching here means the executor itself failed.
    ticket.wait().map_err(|p| {
        RunError::Threads(format!(
            "batch worker failed: {}",
            work::panic_message(p.as_ref())
        ))
    })
}

/// `report.json`, written before `stats.json` (the mark of a finished run).
pub(crate) fn write_report(dir: &Path, report: &ReportData) -> Result<(), RunError> {
    crate::checkpoint::write_json_atomic(&dir.join(tamis_report::REPORT_JSON), report, false)
}

pub(crate) fn write_stats(dir: &Path, stats: &RunStats) -> Result<(), RunError> {
    // Through a hidden temp file and a rename: a full disk must not leave a truncated
    // stats.json, which other tools take as the mark of a finished run.
    crate::checkpoint::write_json_atomic(&dir.join("stats.json"), stats, false)
}

/// A bar over the input's bytes on disk (compressed files advance as they are consumed), so a
/// single huge file still shows progress and an ETA.
fn progress_bar(enabled: bool, total_bytes: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} eta {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn update_bar(bar: &ProgressBar, s: &RunStats, start: Instant) {
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    bar.set_message(format!(
        "{} docs  {:.0} docs/s  {:.1} MB/s  kept {}  dropped {}  quarantined {}",
        s.read,
        s.read as f64 / secs,
        s.input_text_bytes as f64 / 1e6 / secs,
        s.kept,
        s.dropped,
        s.quarantined
    ));
}
