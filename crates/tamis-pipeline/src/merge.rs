//! Merging the shards of a distributed run (`tamis.ray.run`) into the outputs one local run
//! writes, byte for byte.
//!
//! A local run's output bytes depend on more than its records and their order: compressed
//! files end a part (a zstd frame, a gzip member) at every checkpoint, checkpoints fall after
//! fixed numbers of records *read* across the whole run, files roll after `max_file_bytes` of
//! text, and the quarantine record of a document whose step panicked lands where its batch is
//! written. A shard sees only its part of the input, so its files cannot simply be
//! concatenated. Instead each shard runs with [`RunOptions::shard_trace`]: it writes
//! uncompressed JSONL, one file per output, and a trace with one line per record. The merge
//! replays the whole run's reading order from the traces, copying the shards' encoded lines
//! (never decoding documents) into the local executor's writers at the same checkpoints and
//! batch boundaries; the template split, the parquet conversion, the manifest and
//! `stats.json` then run as at the end of a local run.
//!
//! The trace's format is in `trace.rs`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tamis_io::Compression;

use crate::checkpoint::{InputAccount, Manifest, MANIFEST};
use crate::options::{checkpoint_due, output_io, RunError, RunOptions};
use crate::outdir::{clear_merge_dir, create_subdirs, write_stats};
use crate::outputs::{finish_outputs, RollingWriter, QUARANTINE_LEN};
use crate::spec::StepTally;
use crate::stats::{RunStats, StepStats};
use crate::trace::{Read, TraceReader, Traced};

/// The lines of one uncompressed output file of a shard; an output the shard never opened
/// reads as empty.
struct Lines {
    path: PathBuf,
    dir: PathBuf,
    reader: Option<BufReader<File>>,
}

impl Lines {
    fn open(dir: &Path, rel: Option<&str>) -> Result<Self, RunError> {
        let path = rel.map(|r| dir.join(r)).unwrap_or_default();
        let reader = match rel {
            Some(_) => Some(BufReader::with_capacity(
                1 << 20,
                File::open(&path).map_err(output_io(&path))?,
            )),
            None => None,
        };
        Ok(Self {
            path,
            dir: dir.to_path_buf(),
            reader,
        })
    }

    /// The next line, newline included; `None` at the end.
    fn next(&mut self) -> Result<Option<Vec<u8>>, RunError> {
        let Some(r) = &mut self.reader else {
            return Ok(None);
        };
        let mut line = Vec::new();
        r.read_until(b'\n', &mut line)
            .map_err(output_io(&self.path))?;
        Ok((!line.is_empty()).then_some(line))
    }

    /// The next line, which the trace says is there.
    fn expect(&mut self) -> Result<Vec<u8>, RunError> {
        match self.next()? {
            Some(line) if line.ends_with(b"\n") => Ok(line),
            _ => Err(RunError::merge(
                &self.dir,
                format!("{} has fewer records than its trace", self.path.display()),
            )),
        }
    }
}

/// A document in reading order, with the encoded line it was written as.
enum DocEvent {
    Kept { read: Read, out: u64, line: Vec<u8> },
    Dropped { read: Read, out: u64, line: Vec<u8> },
    Panicked { read: Read, line: Vec<u8> },
}

impl DocEvent {
    fn read(&self) -> Read {
        match self {
            DocEvent::Kept { read, .. }
            | DocEvent::Dropped { read, .. }
            | DocEvent::Panicked { read, .. } => *read,
        }
    }
}

/// A shard's documents in reading order (its `b` lines skipped, with their records).
struct Docs {
    trace: TraceReader,
    kept: Lines,
    dropped: Lines,
    quarantine: Lines,
}

impl Docs {
    fn next(&mut self) -> Result<Option<DocEvent>, RunError> {
        loop {
            let Some(t) = self.trace.next()? else {
                return Ok(None);
            };
            return Ok(Some(match t {
                Traced::Kept { read, out } => DocEvent::Kept {
                    read,
                    out,
                    line: self.kept.expect()?,
                },
                Traced::Dropped { read, out } => DocEvent::Dropped {
                    read,
                    out,
                    line: self.dropped.expect()?,
                },
                Traced::Panicked { read } => DocEvent::Panicked {
                    read,
                    line: self.quarantine.expect()?,
                },
                Traced::Bad { .. } => {
                    self.quarantine.expect()?;
                    continue;
                }
            }));
        }
    }

    /// Every output was consumed: the trace and the files agree.
    fn check_end(&mut self, dir: &Path) -> Result<(), RunError> {
        for l in [&mut self.kept, &mut self.dropped, &mut self.quarantine] {
            if l.next()?.is_some() {
                return Err(RunError::merge(
                    dir,
                    format!("{} has more records than its trace", l.path.display()),
                ));
            }
        }
        Ok(())
    }
}

/// A shard's unreadable records, each with the number of documents read before it.
struct Bads {
    trace: TraceReader,
    quarantine: Lines,
    peeked: Option<(u64, Vec<u8>)>,
}

impl Bads {
    /// How many documents were read before the next unreadable record.
    fn peek(&mut self) -> Result<Option<u64>, RunError> {
        while self.peeked.is_none() {
            match self.trace.next()? {
                None => return Ok(None),
                Some(Traced::Bad { after }) => {
                    self.peeked = Some((after, self.quarantine.expect()?));
                }
                Some(Traced::Panicked { .. }) => {
                    self.quarantine.expect()?;
                }
                Some(_) => {}
            }
        }
        Ok(self.peeked.as_ref().map(|(after, _)| *after))
    }

    fn take(&mut self) -> Option<Vec<u8>> {
        self.peeked.take().map(|(_, line)| line)
    }
}

/// A finished shard's `stats.json` and `manifest.json`.
struct ShardMeta {
    dir: PathBuf,
    stats: RunStats,
    manifest: Manifest,
}

fn load<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<T, RunError> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        RunError::merge(
            dir,
            format!(
                "cannot read {} ({e}); did the shard finish?",
                path.display()
            ),
        )
    })?;
    serde_json::from_str(&text)
        .map_err(|e| RunError::merge(dir, format!("{} is unreadable ({e})", path.display())))
}

impl ShardMeta {
    fn load(dir: &Path) -> Result<Self, RunError> {
        let meta = Self {
            dir: dir.to_path_buf(),
            stats: load(dir, "stats.json")?,
            manifest: load(dir, MANIFEST)?,
        };
        if meta.manifest.compression != Compression::None.name() {
            return Err(RunError::merge(
                dir,
                "the shard's outputs are compressed; shards write uncompressed JSONL",
            ));
        }
        if meta.stats.stopped.is_some() {
            return Err(RunError::merge(dir, "the shard stopped early (max_errors)"));
        }
        Ok(meta)
    }

    /// The shard's one file under `sub/`, if it wrote any.
    fn output(&self, sub: &str) -> Result<Option<&str>, RunError> {
        let files: Vec<&str> = self
            .manifest
            .outputs
            .iter()
            .map(|o| o.path.as_str())
            .filter(|p| p.strip_prefix(sub).is_some_and(|r| r.starts_with('/')))
            .collect();
        match files[..] {
            [] => Ok(None),
            [one] if one.ends_with(".jsonl") => Ok(Some(one)),
            _ => Err(RunError::merge(
                &self.dir,
                format!("the shard's {sub}/ must be one JSONL file, not {files:?}"),
            )),
        }
    }

    fn docs(&self) -> Result<Docs, RunError> {
        Ok(Docs {
            trace: TraceReader::open(&self.dir)?,
            kept: Lines::open(&self.dir, self.output("kept")?)?,
            dropped: Lines::open(&self.dir, self.output("dropped")?)?,
            quarantine: Lines::open(&self.dir, self.output("quarantine")?)?,
        })
    }

    fn bads(&self) -> Result<Bads, RunError> {
        Ok(Bads {
            trace: TraceReader::open(&self.dir)?,
            quarantine: Lines::open(&self.dir, self.output("quarantine")?)?,
            peeked: None,
        })
    }
}

/// The local executor's reading loop and writer, driven by traced records instead of inputs.
/// Each step here mirrors one in `executor::run`: records counted as read, documents gathered
/// into batches of `batch_bytes`, a batch written when the next one is handed off (so an
/// unreadable record's quarantine line lands before the documents of the batch still in
/// flight), and every output's part ended at each checkpoint.
struct Replay<'a> {
    opts: &'a RunOptions,
    kept: RollingWriter,
    dropped: RollingWriter,
    quarantine: RollingWriter,
    batch: Vec<DocEvent>,
    batch_bytes: u64,
    inflight: Option<Vec<DocEvent>>,
    since_records: u64,
    since_bytes: u64,
    stats: RunStats,
}

impl Replay<'_> {
    fn read_doc(&mut self, ev: DocEvent) -> Result<(), RunError> {
        self.stats.read += 1;
        self.since_records += 1;
        let Read { text, weight } = ev.read();
        self.batch_bytes += weight;
        self.since_bytes += text;
        self.stats.input_text_bytes += text;
        self.batch.push(ev);
        if self.batch_bytes >= self.opts.batch_bytes as u64 {
            let batch = std::mem::take(&mut self.batch);
            self.hand_off(batch)?;
            self.batch_bytes = 0;
        }
        self.after_record()
    }

    fn read_bad(&mut self, line: &[u8], dir: &Path) -> Result<(), RunError> {
        self.stats.read += 1;
        self.since_records += 1;
        let reason = serde_json::from_slice::<Value>(line)
            .ok()
            .and_then(|v| v.get("reason")?.as_str().map(str::to_owned))
            .ok_or_else(|| RunError::merge(dir, "a quarantine record has no reason"))?;
        self.quarantined(line, reason)?;
        self.after_record()
    }

    fn after_record(&mut self) -> Result<(), RunError> {
        if checkpoint_due(
            self.since_records,
            self.since_bytes,
            self.opts.checkpoint_every,
        ) {
            self.flush()?;
            for w in [&mut self.kept, &mut self.dropped, &mut self.quarantine] {
                w.checkpoint()?;
            }
            (self.since_records, self.since_bytes) = (0, 0);
        }
        Ok(())
    }

    /// Writes every document read so far, as the executor does before a checkpoint and at
    /// the end.
    fn flush(&mut self) -> Result<(), RunError> {
        let batch = std::mem::take(&mut self.batch);
        self.hand_off(batch)?;
        self.hand_off(Vec::new())?;
        self.batch_bytes = 0;
        Ok(())
    }

    /// `batch` starts filtering and the batch before it is written.
    fn hand_off(&mut self, batch: Vec<DocEvent>) -> Result<(), RunError> {
        let previous = self.inflight.take();
        if !batch.is_empty() {
            self.inflight = Some(batch);
        }
        for ev in previous.into_iter().flatten() {
            match ev {
                DocEvent::Kept { out, line, .. } => {
                    self.kept.write_line(&line, out)?;
                    self.stats.kept += 1;
                }
                DocEvent::Dropped { out, line, .. } => {
                    self.dropped.write_line(&line, out)?;
                    self.stats.dropped += 1;
                }
                DocEvent::Panicked { line, .. } => {
                    self.quarantined(&line, "step_panic".into())?;
                }
            }
        }
        Ok(())
    }

    fn quarantined(&mut self, line: &[u8], reason: String) -> Result<(), RunError> {
        self.quarantine.write_line(line, QUARANTINE_LEN)?;
        self.stats.quarantined += 1;
        *self.stats.quarantine_reasons.entry(reason).or_default() += 1;
        Ok(())
    }

    /// Replays one shard's records in its reading order.
    fn shard(&mut self, meta: &ShardMeta) -> Result<(), RunError> {
        let mut docs = meta.docs()?;
        let mut bads = meta.bads()?;
        let mut docs_read = 0u64;
        loop {
            while bads.peek()? == Some(docs_read) {
                let line = bads.take().unwrap_or_default();
                self.read_bad(&line, &meta.dir)?;
            }
            let Some(ev) = docs.next()? else { break };
            self.read_doc(ev)?;
            docs_read += 1;
        }
        docs.check_end(&meta.dir)?;
        match bads.peek()? {
            Some(after) => Err(RunError::merge(
                &meta.dir,
                format!(
                    "the trace puts an unreadable record after document {after} of {docs_read}"
                ),
            )),
            None => Ok(()),
        }
    }
}

/// Sums the shards' step counters (and times) in the form a local run reports them.
fn sum_steps(shards: &[ShardMeta]) -> Result<Vec<StepStats>, RunError> {
    let mut ids: Vec<String> = Vec::new();
    let mut tally: Vec<StepTally> = Vec::new();
    for s in shards {
        let these: Vec<String> = s.stats.steps.iter().map(|st| st.step.clone()).collect();
        if tally.is_empty() {
            ids = these;
            tally = vec![StepTally::default(); ids.len()];
        } else if these != ids {
            return Err(RunError::merge(
                &s.dir,
                format!("the shard ran steps {these:?}, the first shard {ids:?}"),
            ));
        }
        for (t, st) in tally.iter_mut().zip(&s.stats.steps) {
            for (k, v) in &st.counters {
                t.counters.add(k, v.as_u64().unwrap_or(0));
            }
            t.nanos += (st.time_s * 1e9).round() as u128;
        }
    }
    Ok(ids
        .iter()
        .zip(&tally)
        .map(|(id, t)| StepStats::from_tally(id, t))
        .collect())
}

/// Merges the finished shards of one run, given in input order, into `opts.out_dir`: the
/// `kept/`, `dropped/` and `quarantine/` files and `manifest.json` a local run with `opts`
/// over all of the shards' inputs writes, byte for byte, and its `stats.json` (whose
/// timings are the shards' summed, and `threads` the shards' total). Returns the stats.
///
/// Each shard must be a finished run with [`RunOptions::shard_trace`] over a contiguous run of
/// the files `opts.inputs` expands to, together covering them all in order; `opts` gives the
/// output options (compression, format, template, `max_file_bytes`, `checkpoint_every`,
/// `batch_bytes`) and `elapsed_before` the time already spent, counted in `elapsed_s`. A
/// report (`opts.report`) and `max_errors` need the whole run in one place and are refused.
pub fn merge_shards(
    shards: &[PathBuf],
    opts: &RunOptions,
    elapsed_before: f64,
) -> Result<RunStats, RunError> {
    let start = Instant::now();
    let out = &opts.out_dir;
    if opts.report || opts.max_errors.is_some() {
        return Err(RunError::merge(
            out,
            "a report and max_errors need the whole run in one process; run it locally",
        ));
    }
    let metas = shards
        .iter()
        .map(|d| ShardMeta::load(d))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = metas.first() else {
        return Err(RunError::merge(out, "no shards to merge"));
    };
    let fingerprint = first.stats.tamis_config.clone();
    if let Some(m) = metas.iter().find(|m| m.stats.tamis_config != fingerprint) {
        return Err(RunError::merge(
            &m.dir,
            format!(
                "the shard ran pipeline {}, the first shard {fingerprint}",
                m.stats.tamis_config
            ),
        ));
    }
    let inputs: Vec<InputAccount> = metas
        .iter()
        .flat_map(|m| m.manifest.inputs.iter().cloned())
        .collect();
    let expected: Vec<String> = tamis_io::expand_inputs(&opts.inputs)
        .iter()
        .map(|f| f.display_path())
        .collect();
    let got: Vec<&str> = inputs.iter().map(|a| a.path.as_str()).collect();
    if got != expected {
        return Err(RunError::merge(
            out,
            format!(
                "the shards read {} files, not the run's {} in order (shards must be \
                 contiguous runs of the sorted input files, given in order)",
                got.len(),
                expected.len()
            ),
        ));
    }
    clear_merge_dir(out, opts.overwrite)?;
    create_subdirs(out)?;
    let writer =
        |sub: &'static str| RollingWriter::new(out, sub, opts.compression, opts.max_file_bytes);
    let mut replay = Replay {
        opts,
        kept: writer("kept"),
        dropped: writer("dropped"),
        quarantine: writer("quarantine"),
        batch: Vec::new(),
        batch_bytes: 0,
        inflight: None,
        since_records: 0,
        since_bytes: 0,
        stats: RunStats::start(
            expected.len(),
            sum_steps(&metas)?,
            metas.iter().map(|m| m.stats.threads).sum(),
            &fingerprint,
        ),
    };
    for m in &metas {
        replay.shard(m)?;
    }
    replay.flush()?;
    let Replay {
        kept,
        dropped,
        quarantine,
        mut stats,
        ..
    } = replay;
    // The shards' own counts must add up to what the replay wrote.
    let sum = |f: fn(&RunStats) -> u64| metas.iter().map(|m| f(&m.stats)).sum::<u64>();
    let counts = [
        ("read", stats.read, sum(|s| s.read)),
        ("kept", stats.kept, sum(|s| s.kept)),
        ("dropped", stats.dropped, sum(|s| s.dropped)),
        ("quarantined", stats.quarantined, sum(|s| s.quarantined)),
    ];
    if let Some((name, got, want)) = counts.iter().find(|(_, a, b)| a != b) {
        return Err(RunError::merge(
            out,
            format!("the traces give {got} records {name}, the shards' stats {want}"),
        ));
    }
    let (records, digests) = finish_outputs(opts, [kept, dropped, quarantine])?;
    stats.elapsed_s = elapsed_before + start.elapsed().as_secs_f64();
    Manifest::build(
        out,
        &fingerprint,
        opts.compression.name(),
        &stats,
        inputs,
        &records,
        &digests,
    )?
    .save(out)?;
    write_stats(out, &stats)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::SHARD_TRACE;
    use crate::{run, OutputFormat, OutputTemplate, Pipeline, PipelineSpec};
    use serde_json::json;
    use std::collections::BTreeMap;
    use tamis_core::{Ctx, Document, Step, Verdict};

    /// Panics on documents that ask for it, so that `step_panic` quarantine records are
    /// merged too.
    struct PanicOnDemand;

    impl Step for PanicOnDemand {
        fn id(&self) -> &'static str {
            "panic_on_demand"
        }
        fn process(&self, doc: &mut Document, _: &mut Ctx<'_>) -> Verdict {
            assert!(!doc.text.starts_with("PANIC"), "asked to panic");
            Verdict::Keep
        }
    }

    fn pipeline() -> Pipeline {
        let spec = PipelineSpec::from_step_ids(&[
            "line_clean",
            "gopher_repetition",
            "gopher_quality",
            "fineweb_quality",
        ])
        .unwrap();
        let mut p = spec.build().unwrap();
        // First, so that every document asking for it panics, whatever the filters think.
        p.insert_step(0, Box::new(PanicOnDemand));
        p
    }

    /// Seven input files made from the committed sample: documents labelled with a language
    /// (for templates), unreadable lines at the start, middle and end of files, documents
    /// whose step panics, one document over the writers' large-document size, and an empty
    /// file.
    fn inputs(dir: &Path) -> Vec<String> {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample/pages.jsonl");
        let docs: Vec<Value> = std::fs::read_to_string(sample)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut files = Vec::new();
        for f in 0..7 {
            let mut lines = Vec::new();
            if f == 2 {
                lines.push("{not json".to_owned());
            }
            if f != 5 {
                for (i, d) in docs.iter().enumerate().skip(f % 3) {
                    let mut d = d.clone();
                    d["id"] = json!(format!("f{f}-{i}"));
                    d["metadata"]["language"] = json!(["en", "fr", "de"][(i + f) % 3]);
                    if (i + f) % 11 == 0 {
                        d["text"] = json!(format!("PANIC {}", d["text"].as_str().unwrap()));
                    }
                    if f == 3 && i == 4 {
                        // Over 1 MiB: the local writer hands it to the compressor in pieces,
                        // the merge in one line.
                        let t = d["text"].as_str().unwrap();
                        d["text"] = json!(t.repeat((3 << 19) / t.len() + 1));
                    }
                    lines.push(d.to_string());
                    if (i * 7 + f) % 10 == 3 {
                        lines.push(format!("{{\"id\": \"broken-{f}-{i}\", \"text\": 5}}"));
                    }
                }
            }
            if f == 4 {
                lines.push("[1, 2".to_owned());
            }
            let path = dir.join(format!("in-{f}.jsonl"));
            let mut text = lines.join("\n");
            text.push('\n');
            std::fs::write(&path, text).unwrap();
            files.push(path.display().to_string());
        }
        files
    }

    fn options(inputs: &[String], out: &Path) -> RunOptions {
        let mut o = RunOptions::new(inputs.to_vec(), out.to_path_buf());
        o.threads = 2;
        // Small enough that checkpoints, batches and file rolls all fall inside shards.
        o.checkpoint_every = 7;
        o.batch_bytes = 9_000;
        o.max_file_bytes = 40_000;
        o
    }

    /// Every file of a run's directory (stats.json aside, which holds timings), by path.
    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().display().to_string();
                    if rel != "stats.json" {
                        out.insert(rel, std::fs::read(&p).unwrap());
                    }
                }
            }
        }
        out
    }

    /// Runs `shards` (counts of files) with traces, merges them, and compares with a local run.
    fn merged_equals_local(tweak: impl Fn(&mut RunOptions), shards: &[usize]) {
        let tmp = tempfile::tempdir().unwrap();
        let inputs = inputs(tmp.path());
        let p = pipeline();
        let mut local = options(&inputs, &tmp.path().join("local"));
        tweak(&mut local);
        let want = run(&p, &local).unwrap();
        let mut dirs = Vec::new();
        let mut at = 0;
        for (i, n) in shards.iter().enumerate() {
            let dir = tmp.path().join(format!("shard-{i}"));
            let mut o = options(&inputs[at..at + n], &dir);
            o.compression = Compression::None;
            o.max_file_bytes = u64::MAX;
            o.shard_trace = true;
            run(&p, &o).unwrap();
            assert!(dir.join(SHARD_TRACE).exists());
            dirs.push(dir);
            at += n;
        }
        assert_eq!(at, inputs.len());
        let mut merged = local.clone();
        merged.out_dir = tmp.path().join("merged");
        let got = merge_shards(&dirs, &merged, 0.0).unwrap();
        let (a, b) = (files(&local.out_dir), files(&merged.out_dir));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (k, v) in &a {
            assert!(v == &b[k], "{k} differs");
        }
        // Every kind of record and boundary was exercised.
        let q = |r: &str| want.quarantine_reasons.get(r).copied().unwrap_or(0);
        assert!(q("step_panic") > 0 && q("invalid_json") + q("invalid_record") > 0);
        assert!(want.kept > 0 && want.dropped > 0);
        assert!(a.keys().filter(|k| k.starts_with("kept/")).count() > 1);
        // stats.json: equal but for timings and threads.
        let strip = |s: &RunStats| {
            let mut v = serde_json::to_value(s).unwrap();
            for k in ["elapsed_s", "threads"] {
                v.as_object_mut().unwrap().remove(k);
            }
            for st in v["steps"].as_array_mut().unwrap() {
                st.as_object_mut().unwrap().remove("time_s");
            }
            v
        };
        assert_eq!(strip(&got), strip(&want));
        let on_disk: RunStats =
            serde_json::from_slice(&std::fs::read(merged.out_dir.join("stats.json")).unwrap())
                .unwrap();
        assert_eq!(strip(&on_disk), strip(&want));
        crate::verify(&merged.out_dir).unwrap();
    }

    #[test]
    fn merged_zstd_outputs_are_the_local_runs_bytes() {
        merged_equals_local(|_| {}, &[2, 1, 3, 1]);
        merged_equals_local(|_| {}, &[7]);
        // Without checkpoints in the way, a batch in flight meets unreadable records read
        // after it, whose quarantine records go before the batch's panics.
        merged_equals_local(|o| o.checkpoint_every = 1000, &[3, 4]);
    }

    #[test]
    fn merged_gzip_and_plain_outputs_are_the_local_runs_bytes() {
        merged_equals_local(|o| o.compression = Compression::Gzip, &[3, 4]);
        merged_equals_local(
            |o| o.compression = Compression::None,
            &[1, 1, 1, 1, 1, 1, 1],
        );
    }

    #[test]
    fn merged_parquet_and_template_outputs_are_the_local_runs_bytes() {
        merged_equals_local(|o| o.format = OutputFormat::Parquet, &[4, 3]);
        let template = |o: &mut RunOptions| {
            o.output_template = Some(OutputTemplate::parse("${language}").unwrap());
        };
        merged_equals_local(template, &[2, 5]);
        merged_equals_local(
            |o| {
                template(o);
                o.format = OutputFormat::Parquet;
                o.compression = Compression::Gzip;
            },
            &[5, 2],
        );
    }

    #[test]
    fn shards_out_of_order_or_untraced_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let inputs = inputs(tmp.path());
        let p = pipeline();
        let shard = |name: &str, files: &[String], trace: bool| {
            let dir = tmp.path().join(name);
            let mut o = options(files, &dir);
            o.compression = Compression::None;
            o.max_file_bytes = u64::MAX;
            o.shard_trace = trace;
            run(&p, &o).unwrap();
            dir
        };
        let a = shard("a", &inputs[..3], true);
        let b = shard("b", &inputs[3..], true);
        let mut opts = options(&inputs, &tmp.path().join("out"));
        // Each failed attempt may leave outputs behind.
        opts.overwrite = true;
        let err = merge_shards(&[b.clone(), a.clone()], &opts, 0.0).unwrap_err();
        assert!(err.to_string().contains("contiguous runs"), "{err}");
        let untraced = shard("c", &inputs[3..], false);
        let err = merge_shards(&[a.clone(), untraced], &opts, 0.0).unwrap_err();
        assert!(err.to_string().contains("shard_trace"), "{err}");
        let mut compressed = options(&inputs[3..], &tmp.path().join("d"));
        compressed.shard_trace = true;
        run(&p, &compressed).unwrap();
        let err = merge_shards(&[a.clone(), compressed.out_dir], &opts, 0.0).unwrap_err();
        assert!(err.to_string().contains("uncompressed"), "{err}");
        // A shard whose trace lost a line no longer matches its files.
        let trace = b.join(SHARD_TRACE);
        let text = std::fs::read_to_string(&trace).unwrap();
        let cut = text
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        std::fs::write(&trace, cut).unwrap();
        let err = merge_shards(&[a, b], &opts, 0.0).unwrap_err();
        assert!(err.to_string().contains("than its trace"), "{err}");
    }
}
