//! The local executor. A document's path through a run, in [`run`]:
//!
//! 1. **read**: input files decoded and parsed ahead on the pool, in input order
//!    (`prefetch.rs`);
//! 2. **batch**: documents gathered into batches of `batch_bytes` ([`Batches`]);
//! 3. **steps**: each batch filtered on the pool while the next is gathered (`batch.rs`);
//! 4. **write**: batches written strictly in input order ([`Run::write`], `outputs.rs`), so
//!    the output bytes do not depend on the thread count;
//! 5. **checkpoint**: at fixed record counts, every output's part ended and the run's state
//!    saved ([`Run::checkpoint`], `checkpoint.rs`), so a killed run resumes to the same bytes.
//!
//! Each stage is a module that depends only on the ones below it (see the crate's docs).

use std::path::Path;
use std::time::Instant;

use tamis_io::work::{self, Ticket};
use tamis_io::{InputFile, Quarantined, Record};
use tamis_report::{ReportData, SampleGate, StepFlow};

use crate::batch::{mark_dropped, process_batch, stamp, DocResult, Item, Processed, WorkerChunk};
use crate::checkpoint::{
    Checkpoint, InputAccount, InputLog, Manifest, RunKey, SavedTally, INPUT_LOG,
};
use crate::options::{checkpoint_due, RunError, RunOptions};
use crate::outdir::{clear_out_dir, create_subdirs, remove_checkpoint, write_report, write_stats};
use crate::outputs::{finish_outputs, RollingWriter};
use crate::prefetch::Prefetch;
use crate::progress::Progress;
use crate::spec::{Outcome, Pipeline, StepTally};
use crate::stats::{RunStats, StepStats};
use crate::trace::{Read, ShardTrace};

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
    let files = tamis_io::expand_inputs(&opts.inputs);
    if files.is_empty() {
        return Err(RunError::NoInputs(opts.inputs.clone()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let (mut run, from) = Run::open(pipeline, opts, &files, pool.current_num_threads())?;
    // The driver (reading in order, writing in order) runs on one of the pool's threads and
    // helps with the pool's jobs while it waits, so the run keeps `threads` cores busy.
    // After a failure the partial outputs and the last checkpoint stay, so fixing the cause
    // (e.g. freeing disk space) and rerunning resumes.
    pool.install(|| run.drive(pipeline, &files, from))?;
    run.finish(files.len())
}

/// Where reading starts: the input file and the records of it already done.
type Position = (usize, u64);

/// One run's state: its outputs, counts and tallies, and what a checkpoint records.
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
        for WorkerChunk {
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

impl<'a> Run<'a> {
    /// A run of `pipeline` over `files`, resumed from its checkpoint when `opts.out_dir` holds
    /// one this command may continue, else started afresh; and where its reading starts.
    fn open(
        pipeline: &Pipeline,
        opts: &'a RunOptions,
        files: &[InputFile],
        threads: usize,
    ) -> Result<(Self, Position), RunError> {
        let key = RunKey::new(files, opts);
        let fingerprint = pipeline.fingerprint().to_owned();
        // The trace is not checkpointed: a shard starts over (its driver retries it whole).
        let saved = if opts.shard_trace {
            None
        } else {
            resumable(&opts.out_dir, opts.overwrite, &fingerprint, &key)?
        };
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
            stats: RunStats::start(files.len(), Vec::new(), threads, pipeline.fingerprint()),
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
            start: Instant::now(),
            report: opts.report.then(ReportData::default),
            trace: None,
        };
        let from = match &saved {
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
        Ok((run, from))
    }

    /// Reads `files` from `from` on, in order, through the steps into the outputs, with a
    /// checkpoint at fixed record counts. Runs on a pool thread.
    fn drive(
        &mut self,
        pipeline: &Pipeline,
        files: &[InputFile],
        from: Position,
    ) -> Result<(), RunError> {
        let opts = self.opts;
        let mut progress = Progress::new(opts.progress, files, from.0, self.start);
        let gate = ReportData::edit_gate();
        let step_ids = pipeline.step_ids();
        let result = rayon::scope_fifo(|scope| -> Result<(), RunError> {
            let mut batches = Batches {
                scope,
                pipeline,
                step_ids: &step_ids,
                gate: &gate,
                report: opts.report,
                limit: opts.batch_bytes,
                gathering: Vec::new(),
                bytes: 0,
                inflight: None,
            };
            // Files are decoded and parsed ahead on the pool, up to one per thread at a time.
            // Records before a checkpoint are skipped there: reading them again is cheaper
            // than seeking into a compressed stream.
            let threads = rayon::current_num_threads();
            let mut reader = Prefetch::new(files, &opts.read, from, threads, opts.batch_bytes / 2);
            let ((mut file, mut in_file), mut since) = (from, (0u64, 0u64));
            'files: while let Some((f, chunk)) = reader.next_chunk()? {
                if f != file {
                    (file, in_file) = (f, 0);
                }
                for record in chunk.records {
                    if self.stats.stopped.is_some() {
                        break 'files;
                    }
                    in_file += 1;
                    since.0 += 1;
                    since.1 += self.take(record, file, &mut batches)?;
                    if checkpoint_due(since.0, since.1, opts.checkpoint_every) {
                        batches.flush(self)?;
                        self.checkpoint(file, in_file, false)?;
                        since = (0, 0);
                    }
                }
                progress.advance(&files[file], chunk.on_disk, chunk.last, &self.stats);
            }
            batches.flush(self)?;
            progress.show(&self.stats);
            Ok(())
        });
        progress.finish();
        result
    }

    /// Counts one record read from input `file` and sends it on: a document into the batch
    /// being gathered, an unreadable record to quarantine. Returns its text bytes.
    fn take(
        &mut self,
        record: Record,
        file: usize,
        batches: &mut Batches<'_, '_>,
    ) -> Result<u64, RunError> {
        self.stats.read += 1;
        self.inputs[file].read += 1;
        match record {
            Record::Doc { doc, loc } => {
                // Batches are cut by what documents hold in memory, metadata included;
                // checkpoints still count text.
                let read = Read {
                    text: doc.text.len() as u64,
                    weight: doc.approx_bytes() as u64,
                };
                self.stats.input_text_bytes += read.text;
                if let Some(t) = &mut self.trace {
                    t.doc_read();
                }
                batches.push(
                    Item {
                        doc,
                        read,
                        loc,
                        file,
                    },
                    self,
                )?;
                Ok(read.text)
            }
            Record::Bad(q) => {
                if let Some(t) = &mut self.trace {
                    t.bad()?;
                }
                self.quarantine(&q, file)?;
                Ok(0)
            }
        }
    }

    /// Ends the run: the outputs closed and put in place, a last checkpoint that lists them,
    /// then the manifest, the report and `stats.json` (the mark of a finished run).
    fn finish(mut self, files: usize) -> Result<RunStats, RunError> {
        // The last checkpoint lists every file as finished: splitting and converting then move
        // or remove them, and a run killed there resumes from it without an open file to find.
        for w in [&mut self.kept, &mut self.dropped, &mut self.quarantine] {
            w.close_current()?;
        }
        self.checkpoint(files, 0, true)?;
        let opts = self.opts;
        if let Some(t) = self.trace.take() {
            t.finish()?;
        }
        let (records, digests) = finish_outputs(opts, [self.kept, self.dropped, self.quarantine])?;
        let mut stats = self.stats;
        stats.steps = self
            .step_ids
            .iter()
            .zip(&self.tally)
            .map(|(id, t)| StepStats::from_tally(id, t))
            .collect();
        stats.elapsed_s = self.elapsed_before + self.start.elapsed().as_secs_f64();
        Manifest::build(
            &opts.out_dir,
            &self.fingerprint,
            opts.compression.name(),
            &stats,
            self.inputs,
            &records,
            &digests,
        )?
        .save(&opts.out_dir)?;
        if let Some(mut report) = self.report {
            report.steps = step_flows(&self.step_ids, &self.tally);
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
}

/// The report's view of each step's tally.
fn step_flows(step_ids: &[&'static str], tally: &[StepTally]) -> Vec<StepFlow> {
    step_ids
        .iter()
        .zip(tally)
        .map(|(id, t)| StepFlow {
            step: (*id).to_owned(),
            docs_in: t.counters.get("total"),
            docs_dropped: t.counters.get("dropped"),
            bytes_in: t.bytes_in,
            bytes_dropped: t.bytes_dropped,
            bytes_out: t.bytes_out,
            time_s: t.nanos as f64 / 1e9,
        })
        .collect()
}

/// Batches on their way through the steps: the one being gathered and the one being filtered
/// on the pool. A batch is handed to the pool before the driver waits for the one before it,
/// so the pool always has one to work on; batches are still written strictly in input order.
struct Batches<'s, 'p> {
    scope: &'s rayon::ScopeFifo<'p>,
    pipeline: &'p Pipeline,
    step_ids: &'p [&'static str],
    /// The report's sampling gate: each batch sees it as published after the batch before
    /// the previous one, whatever the timing.
    gate: &'p SampleGate,
    report: bool,
    /// Bytes of documents (in memory) that make a batch.
    limit: usize,
    gathering: Vec<Item>,
    bytes: usize,
    inflight: Option<Ticket<Processed>>,
}

impl Batches<'_, '_> {
    fn push(&mut self, item: Item, run: &mut Run<'_>) -> Result<(), RunError> {
        self.bytes += item.read.weight as usize;
        self.gathering.push(item);
        if self.bytes >= self.limit {
            self.hand_off(run)?;
        }
        Ok(())
    }

    /// Starts filtering the gathered batch, then writes the one before it.
    fn hand_off(&mut self, run: &mut Run<'_>) -> Result<(), RunError> {
        let previous = self.inflight.take();
        let batch = std::mem::take(&mut self.gathering);
        self.bytes = 0;
        if !batch.is_empty() {
            let (pipeline, step_ids) = (self.pipeline, self.step_ids);
            let gate = self.report.then_some(self.gate);
            self.inflight = Some(work::spawn_scoped(self.scope, move || {
                process_batch(pipeline, step_ids, batch, gate)
            }));
        }
        if let Some(done) = previous.map(join_batch).transpose()? {
            run.write(done)?;
            if let Some(report) = &run.report {
                report.publish(self.gate);
            }
        }
        Ok(())
    }

    /// Writes every document taken so far (before a checkpoint, and at the end).
    fn flush(&mut self, run: &mut Run<'_>) -> Result<(), RunError> {
        self.hand_off(run)?;
        self.hand_off(run)
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
