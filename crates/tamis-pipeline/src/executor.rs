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
use tamis_io::{Compression, IoError, JsonlWriter, Location, Quarantined, ReadOptions, Record};

use crate::spec::{Outcome, Pipeline, StepTally};
use crate::stats::{RunStats, StepStats};

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
    /// Text bytes gathered before a batch is filtered in parallel.
    pub batch_bytes: usize,
    /// Uncompressed bytes after which an output file is closed and the next one started.
    pub max_file_bytes: u64,
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
}

const SUBDIRS: [&str; 3] = ["kept", "dropped", "quarantine"];

pub(crate) fn prepare_out_dir(dir: &Path, overwrite: bool) -> Result<(), RunError> {
    let io = |source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    };
    let has_outputs =
        dir.join("stats.json").exists() || SUBDIRS.iter().any(|s| dir.join(s).exists());
    if has_outputs {
        if !overwrite {
            return Err(RunError::OutputExists(dir.to_path_buf()));
        }
        for s in SUBDIRS {
            let p = dir.join(s);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(io)?;
            }
        }
        let _ = std::fs::remove_file(dir.join("stats.json"));
    }
    for s in SUBDIRS {
        std::fs::create_dir_all(dir.join(s)).map_err(io)?;
    }
    Ok(())
}

/// A sequence of numbered JSONL files (`00000.jsonl.zst`, ...) that rolls to the next file
/// after `max_bytes`, opened lazily so an empty output leaves no empty file.
struct RollingWriter {
    dir: PathBuf,
    compression: Compression,
    max_bytes: u64,
    index: usize,
    written: u64,
    current: Option<JsonlWriter>,
}

impl RollingWriter {
    fn new(dir: PathBuf, compression: Compression, max_bytes: u64) -> Self {
        Self {
            dir,
            compression,
            max_bytes,
            index: 0,
            written: 0,
            current: None,
        }
    }

    fn writer(&mut self, next_len: u64) -> Result<&mut JsonlWriter, IoError> {
        if self.current.is_some() && self.written + next_len > self.max_bytes && self.written > 0 {
            if let Some(w) = self.current.take() {
                w.finish()?;
            }
            self.index += 1;
            self.written = 0;
        }
        if self.current.is_none() {
            let name = format!("{:05}.jsonl{}", self.index, self.compression.extension());
            self.current = Some(JsonlWriter::create(&self.dir.join(name), self.compression)?);
        }
        self.written += next_len;
        Ok(self.current.as_mut().expect("opened above"))
    }

    fn write_doc(&mut self, doc: &Document) -> Result<(), IoError> {
        self.writer(doc.text.len() as u64)?.write(doc)
    }

    fn write_value(&mut self, v: &Value) -> Result<(), IoError> {
        self.writer(256)?.write_value(v)
    }

    fn finish(self) -> Result<(), IoError> {
        self.current.map_or(Ok(()), JsonlWriter::finish)
    }
}

struct Item {
    doc: Document,
    loc: Location,
}

/// What became of one document in a batch: a pipeline outcome, or a panic inside a step
/// (quarantined with the panic message).
enum DocResult {
    Done(Outcome),
    Panicked(String),
}

struct Run<'a> {
    opts: &'a RunOptions,
    kept: RollingWriter,
    dropped: RollingWriter,
    quarantine: RollingWriter,
    stats: RunStats,
    tally: Vec<StepTally>,
    step_ids: Vec<&'static str>,
}

impl Run<'_> {
    fn quarantine(&mut self, q: &Quarantined) -> Result<(), RunError> {
        self.quarantine.write_value(&q.to_json())?;
        self.stats.quarantined += 1;
        *self
            .stats
            .quarantine_reasons
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
        for (outs, tally) in chunks {
            outcomes.extend(outs);
            for (acc, t) in self.tally.iter_mut().zip(&tally) {
                acc.counters.merge(&t.counters);
                acc.nanos += t.nanos;
            }
        }
        for (item, outcome) in items.into_iter().zip(outcomes) {
            let Item { mut doc, loc } = item;
            match outcome {
                DocResult::Done(Outcome::Kept) => {
                    self.kept.write_doc(&doc)?;
                    self.stats.kept += 1;
                }
                DocResult::Done(Outcome::Dropped { step, reason }) => {
                    doc.metadata
                        .insert("filter_reason".into(), Value::from(reason));
                    doc.metadata
                        .insert("filter_step".into(), Value::from(self.step_ids[step]));
                    self.dropped.write_doc(&doc)?;
                    self.stats.dropped += 1;
                }
                DocResult::Panicked(message) => {
                    let q = Quarantined {
                        loc,
                        reason: "step_panic",
                        message: format!("document {:?}: a step panicked: {message}", doc.id),
                        raw: None,
                    };
                    self.quarantine(&q)?;
                }
            }
        }
        Ok(())
    }
}

/// A filtered batch: the documents (edited by the steps) and, per chunk, outcomes and tallies.
struct Processed {
    items: Vec<Item>,
    chunks: Vec<(Vec<DocResult>, Vec<StepTally>)>,
}

/// Filters a batch on the pool. Small chunks balance uneven document costs; per-chunk tallies
/// are summed afterwards, and sums do not depend on how the work was split.
fn process_batch(pipeline: &Pipeline, pool: &rayon::ThreadPool, mut items: Vec<Item>) -> Processed {
    let chunks = pool.install(|| {
        items
            .par_chunks_mut(8)
            .map(|chunk| {
                let mut tally = pipeline.new_tally();
                let mut cache = DocCache::default();
                let outs = chunk
                    .iter_mut()
                    .map(|item| {
                        catch_unwind(AssertUnwindSafe(|| {
                            pipeline.process(&mut item.doc, &mut tally, &mut cache)
                        }))
                        .map_or_else(|p| DocResult::Panicked(panic_message(&p)), DocResult::Done)
                    })
                    .collect();
                (outs, tally)
            })
            .collect()
    });
    Processed { items, chunks }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `pipeline` over the inputs and writes `kept/`, `dropped/`, `quarantine/` and
/// `stats.json` under `opts.out_dir`. Per-record faults are quarantined and the run goes on;
/// only output I/O errors and `max_errors` stop it.
pub fn run(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunStats, RunError> {
    let start = Instant::now();
    let files = tamis_io::expand_inputs(&opts.inputs);
    if files.is_empty() {
        return Err(RunError::NoInputs(opts.inputs.clone()));
    }
    prepare_out_dir(&opts.out_dir, opts.overwrite)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let out =
        |s: &str| RollingWriter::new(opts.out_dir.join(s), opts.compression, opts.max_file_bytes);
    let mut run = Run {
        opts,
        kept: out("kept"),
        dropped: out("dropped"),
        quarantine: out("quarantine"),
        stats: RunStats {
            read: 0,
            kept: 0,
            dropped: 0,
            quarantined: 0,
            quarantine_reasons: BTreeMap::new(),
            input_files: files.len() as u64,
            input_text_bytes: 0,
            steps: Vec::new(),
            threads: pool.current_num_threads(),
            elapsed_s: 0.0,
            stopped: None,
        },
        tally: pipeline.new_tally(),
        step_ids: pipeline.step_ids(),
    };
    let bar = progress_bar(opts.progress, files.iter().filter_map(|f| f.size).sum());
    // Reading the next batch and writing the previous one overlap with filtering the current
    // one; batches are still written strictly in input order.
    let result = std::thread::scope(|scope| -> Result<(), RunError> {
        let pool = &pool;
        let mut inflight: Option<std::thread::ScopedJoinHandle<'_, Processed>> = None;
        let mut hand_off = |run: &mut Run<'_>, batch: Vec<Item>| -> Result<(), RunError> {
            let previous = inflight.take().map(join_batch).transpose()?;
            if !batch.is_empty() {
                inflight = Some(scope.spawn(move || process_batch(pipeline, pool, batch)));
            }
            if let Some(done) = previous {
                run.write(done)?;
            }
            Ok(())
        };
        let mut batch: Vec<Item> = Vec::new();
        let mut batch_bytes = 0usize;
        let mut done_bytes = 0u64;
        'files: for file in &files {
            let mut reader = tamis_io::read(file, &opts.read);
            while let Some(record) = reader.next() {
                if run.stats.stopped.is_some() {
                    break 'files;
                }
                run.stats.read += 1;
                match record {
                    Record::Doc { doc, loc } => {
                        batch_bytes += doc.text.len();
                        run.stats.input_text_bytes += doc.text.len() as u64;
                        batch.push(Item { doc, loc });
                        if batch_bytes >= opts.batch_bytes {
                            hand_off(&mut run, std::mem::take(&mut batch))?;
                            batch_bytes = 0;
                            let on_disk =
                                reader.stats().compressed_bytes.min(file.size.unwrap_or(0));
                            bar.set_position(done_bytes + on_disk);
                            update_bar(&bar, &run.stats, start);
                        }
                    }
                    Record::Bad(q) => run.quarantine(&q)?,
                }
            }
            done_bytes += file.size.unwrap_or(0);
            bar.set_position(done_bytes);
        }
        hand_off(&mut run, batch)?;
        hand_off(&mut run, Vec::new())?;
        update_bar(&bar, &run.stats, start);
        Ok(())
    });
    bar.finish_and_clear();
    let Run {
        kept,
        dropped,
        quarantine,
        mut stats,
        tally,
        step_ids,
        ..
    } = run;
    // Finish all three even after a failure (each removes its temp file on error), but report
    // the first error of the run itself: after a failed write, finishing that writer only
    // says "writer already failed", which would hide the cause (e.g. a full disk).
    let finished = kept.finish().and(dropped.finish()).and(quarantine.finish());
    result?;
    finished?;
    stats.steps = step_ids
        .iter()
        .zip(&tally)
        .map(|(id, t)| StepStats::from_tally(id, t))
        .collect();
    stats.elapsed_s = start.elapsed().as_secs_f64();
    write_stats(&opts.out_dir, &stats)?;
    match (stats.stopped.is_some(), opts.max_errors) {
        (true, Some(limit)) => Err(RunError::TooManyErrors {
            limit,
            dir: opts.out_dir.join("quarantine"),
            stats: Box::new(stats),
        }),
        _ => Ok(stats),
    }
}

fn join_batch(handle: std::thread::ScopedJoinHandle<'_, Processed>) -> Result<Processed, RunError> {
    // Per-document panics are caught inside; reaching here means the executor itself failed.
    handle
        .join()
        .map_err(|p| RunError::Threads(format!("batch worker failed: {}", panic_message(&p))))
}

pub(crate) fn write_stats(dir: &Path, stats: &RunStats) -> Result<(), RunError> {
    let path = dir.join("stats.json");
    let mut text = serde_json::to_string_pretty(stats).unwrap_or_default();
    text.push('\n');
    // Through a hidden temp file and a rename: a full disk must not leave a truncated
    // stats.json, which other tools take as the mark of a finished run.
    let tmp = dir.join(format!(".stats.json.tmp-{}", std::process::id()));
    let res = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path));
    res.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        RunError::OutputDir { path, source }
    })
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
