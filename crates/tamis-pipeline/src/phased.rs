//! Pipelines with dedup steps. A step sees one document; dedup must see the whole corpus first.
//! So the pipeline is cut at each dedup step into phases: the steps before it run over the
//! inputs, the dedup job runs over what they kept, the next steps over what it kept, and so
//! on. Each phase writes a complete output directory under `OUT/work-phases/`; at the end the
//! last phase's kept files become `OUT/kept/`, every phase's dropped and quarantined files are
//! moved to `OUT/dropped/` and `OUT/quarantine/` prefixed with the phase (`p01-00000.jsonl.zst`),
//! and one `stats.json` lists every step in order. Each phase is deterministic, so the whole is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tamis_core::ConfigError;
use tamis_dedup::{dedup_step, DedupJob, Method, DEDUP_STEP_IDS};
use tamis_io::{expand_inputs, Compression};

use crate::checkpoint::{write_json_atomic, Manifest, RunKey, CHECKPOINT};
use crate::executor::run;
use crate::options::OutputFormat;
use crate::options::{RunError, RunOptions};
use crate::outdir::{clear_out_dir, create_subdirs, walk, write_report, write_stats};
use crate::parquet_out::{convert_dir, count_records, remove_layouts};
use crate::spec::{Pipeline, PipelineSpec, SpecError};
use crate::split::split_outputs;
use crate::stats::{RunStats, StepStats};
use tamis_report::{DedupSummary, DocFacts, ReportData, StepFlow};

enum Phase {
    Steps(Pipeline),
    Dedup { method: Method, memory_bytes: usize },
}

/// Whether `spec` holds a dedup step (and so runs in phases).
pub fn has_dedup(spec: &PipelineSpec) -> bool {
    spec.steps
        .iter()
        .any(|s| DEDUP_STEP_IDS.contains(&s.kind.as_str()))
}

/// Checks every step's parameters, dedup steps included, without reading any input: what
/// `run_spec` would refuse before starting, for callers that build a spec long before running
/// it (the Python binding checks at construction).
pub fn validate(spec: &PipelineSpec) -> Result<(), SpecError> {
    if has_dedup(spec) {
        build_phases(spec, &spec.fingerprint()).map(drop)
    } else {
        spec.build().map(drop)
    }
}

/// Validates every step, then runs the pipeline: in one pass when it has no dedup step, in
/// phases otherwise.
pub fn run_spec(spec: &PipelineSpec, opts: &RunOptions) -> Result<RunStats, RunError> {
    // One writer per output directory, for the run's whole life (see `lock`).
    refuse_inputs_in_output(opts)?;
    let _lock = crate::lock::lock_dir(&opts.out_dir)?;
    crate::lock::remove_stale_temps(&opts.out_dir);
    if !has_dedup(spec) {
        return run(&spec.build()?, opts);
    }
    let fingerprint = spec.fingerprint();
    let phases = build_phases(spec, &fingerprint)?;
    let start = Instant::now();
    let work = opts.out_dir.join("work-phases");
    let key = RunKey::new(&expand_inputs(&opts.inputs), opts);
    let saved = PhasedRun {
        fingerprint: fingerprint.clone(),
        key,
    };
    if !resume_phases(&opts.out_dir, &work, opts.overwrite, &saved)? {
        clear_out_dir(&opts.out_dir, opts.overwrite)?;
        remove_dir(&work)?;
        create_dir(&work)?;
        // Written before the output directories, as in `run`: a run killed before it leaves
        // nothing that looks like outputs.
        write_json_atomic(&work.join(PHASED), &saved, true)?;
        create_subdirs(&opts.out_dir)?;
    }
    let collecting = work.join(COLLECTING);
    let (mut stats, dirs, stopped) = match load_json::<Collecting>(&collecting)? {
        // Killed while moving the outputs into place: every phase is done.
        Some(c) => (c.stats, c.dirs, c.stopped),
        None => {
            let (stats, dirs, stopped) = run_phases(phases, &work, opts)?;
            write_json_atomic(
                &collecting,
                &Collecting {
                    stats: stats.clone(),
                    dirs: dirs.clone(),
                    stopped,
                },
                true,
            )?;
            (stats, dirs, stopped)
        }
    };
    collect_outputs(&dirs, &opts.out_dir)?;
    if opts.report {
        // Each phase wrote its own report data; the run's is their sequence.
        let mut report: Option<ReportData> = None;
        for dir in &dirs {
            let path = dir.join(tamis_report::REPORT_JSON);
            let phase: ReportData = load_json(&path)?.ok_or_else(|| RunError::Resume {
                dir: dir.clone(),
                message: format!("{} is missing", path.display()),
            })?;
            match &mut report {
                None => report = Some(phase),
                Some(r) => r.then(phase),
            }
        }
        if let Some(r) = report {
            write_report(&opts.out_dir, &r)?;
        }
    }
    if let Some(t) = &opts.output_template {
        // Files left at the top of kept/ are the ones not split yet.
        let mut kept = Vec::new();
        for f in files_in(&opts.out_dir.join("kept"))? {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.starts_with('.') {
                continue;
            }
            let n = count_records(&f, opts.compression).map_err(|source| RunError::OutputDir {
                path: f.clone(),
                source,
            })?;
            kept.push((format!("kept/{name}"), n));
        }
        split_outputs(&opts.out_dir, kept, opts.compression, t)?;
    }
    if opts.format == OutputFormat::Parquet {
        for group in ["kept", "dropped"] {
            convert_dir(&opts.out_dir, group, opts.compression)?;
        }
        remove_layouts(&opts.out_dir)?;
    }
    stats.elapsed_s = start.elapsed().as_secs_f64();
    stats.tamis_config = fingerprint.clone();
    stats.tamis_version = crate::VERSION.to_owned();
    write_manifest(&opts.out_dir, &fingerprint, opts.compression, &stats)?;
    write_stats(&opts.out_dir, &stats)?;
    remove_dir(&work)?;
    match stopped {
        Some(limit) => Err(RunError::TooManyErrors {
            limit,
            dir: opts.out_dir.join("quarantine"),
            stats: Box::new(stats),
        }),
        None => Ok(stats),
    }
}

/// Refuses an input inside the output directory (or the directory itself): the run would
/// read its own outputs, and `--overwrite` would delete the input before reading it.
fn refuse_inputs_in_output(opts: &RunOptions) -> Result<(), RunError> {
    let Ok(out) = std::fs::canonicalize(&opts.out_dir) else {
        return Ok(()); // not there yet: nothing can be inside it
    };
    for f in expand_inputs(&opts.inputs) {
        if let Ok(p) = std::fs::canonicalize(&f.path) {
            if p.starts_with(&out) {
                return Err(RunError::InputInOutput {
                    input: f.path,
                    dir: opts.out_dir.clone(),
                });
            }
        }
    }
    Ok(())
}

/// `work-phases/phased.json`: which pipeline and options the phases belong to.
#[derive(Serialize, Deserialize)]
struct PhasedRun {
    fingerprint: String,
    key: RunKey,
}

/// `work-phases/collecting.json`: every phase is done; the outputs are being moved into place.
#[derive(Serialize, Deserialize)]
struct Collecting {
    stats: RunStats,
    dirs: Vec<PathBuf>,
    /// `--max-errors`' limit when a phase was stopped by it (the later phases did not run).
    #[serde(default)]
    stopped: Option<u64>,
}

const PHASED: &str = "phased.json";
const COLLECTING: &str = "collecting.json";
/// In a phase's directory: the phase is complete, with these stats.
const PHASE_DONE: &str = ".phase-done.json";

/// Whether `out` holds an interrupted phased run that this one continues; refuses one of
/// another pipeline or other options.
fn resume_phases(
    out: &Path,
    work: &Path,
    overwrite: bool,
    this: &PhasedRun,
) -> Result<bool, RunError> {
    if overwrite || out.join("stats.json").exists() {
        return Ok(false);
    }
    let Some(saved) = load_json::<PhasedRun>(&work.join(PHASED))? else {
        return Ok(false);
    };
    if saved.fingerprint != this.fingerprint {
        return Err(RunError::FingerprintMismatch {
            dir: out.to_path_buf(),
            found: saved.fingerprint,
            expected: this.fingerprint.clone(),
        });
    }
    if let Some(field) = saved.key.first_difference(&this.key) {
        return Err(RunError::OptionsMismatch {
            dir: out.to_path_buf(),
            field,
        });
    }
    Ok(true)
}

/// Runs the phases not yet done (a step phase resumes from its own checkpoint, a dedup phase
/// starts over) and adds up their stats; returns the stats and the phase directories.
fn run_phases(
    phases: Vec<Phase>,
    work: &Path,
    opts: &RunOptions,
) -> Result<(RunStats, Vec<PathBuf>, Option<u64>), RunError> {
    let mut inputs = opts.inputs.clone();
    let mut total: Option<RunStats> = None;
    let mut dirs = Vec::new();
    let mut stopped = None;
    for (i, phase) in phases.into_iter().enumerate() {
        let dir = work.join(format!("p{i:02}"));
        if i > 0 && !has_files(&PathBuf::from(&inputs[0])) {
            // Nothing survived the previous phase; the later steps see no document.
            break;
        }
        let done = dir.join(PHASE_DONE);
        let phase_stats = match load_json::<RunStats>(&done)? {
            Some(s) => s,
            None => {
                let s = match phase {
                    Phase::Steps(pipeline) => {
                        let o = RunOptions {
                            inputs: inputs.clone(),
                            out_dir: dir.clone(),
                            // Resume the phase from its checkpoint if it has one.
                            overwrite: !dir.join(CHECKPOINT).exists(),
                            // Phases hand JSONL to each other; parquet comes at the end.
                            format: OutputFormat::Jsonl,
                            output_template: None,
                            ..opts.clone()
                        };
                        match run(&pipeline, &o) {
                            // Stopped by --max-errors: its outputs and stats are written; the
                            // run ends here, with what the phases so far did.
                            Err(RunError::TooManyErrors { limit, stats, .. }) => {
                                stopped = Some(limit);
                                *stats
                            }
                            other => other?,
                        }
                    }
                    Phase::Dedup {
                        method,
                        memory_bytes,
                    } => {
                        remove_dir(&dir)?;
                        run_dedup(method, memory_bytes, &inputs, &dir, opts)?
                    }
                };
                if stopped.is_none() {
                    write_json_atomic(&done, &s, true)?;
                }
                s
            }
        };
        total = Some(match total {
            None => phase_stats,
            Some(mut t) => {
                // Later phases read what earlier ones kept: the run's reads are the first
                // phase's; drops and quarantines add up.
                t.kept = phase_stats.kept;
                t.dropped += phase_stats.dropped;
                t.quarantined += phase_stats.quarantined;
                for (k, v) in phase_stats.quarantine_reasons {
                    *t.quarantine_reasons.entry(k).or_default() += v;
                }
                t.steps.extend(phase_stats.steps);
                t.stopped = phase_stats.stopped;
                t
            }
        });
        inputs = vec![dir.join("kept").display().to_string()];
        dirs.push(dir);
        if stopped.is_some() {
            break;
        }
    }
    Ok((total.ok_or(SpecError::Empty)?, dirs, stopped))
}

fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, RunError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RunError::OutputDir {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| RunError::Resume {
            dir: path.parent().unwrap_or(path).to_path_buf(),
            message: format!("{} is unreadable ({e})", path.display()),
        })
}

fn create_dir(dir: &Path) -> Result<(), RunError> {
    std::fs::create_dir_all(dir).map_err(|source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// The phases of `spec`; step phases carry the whole pipeline's `fingerprint`.
fn build_phases(spec: &PipelineSpec, fingerprint: &str) -> Result<Vec<Phase>, SpecError> {
    let build = |p: PipelineSpec| -> Result<Pipeline, SpecError> {
        let mut built = p.build()?;
        built.set_fingerprint(fingerprint.to_owned());
        Ok(built)
    };
    let mut phases = Vec::new();
    let mut pending = PipelineSpec { steps: Vec::new() };
    for s in &spec.steps {
        if DEDUP_STEP_IDS.contains(&s.kind.as_str()) {
            if !pending.steps.is_empty() {
                phases.push(Phase::Steps(build(std::mem::take(&mut pending))?));
            }
            let (method, memory_bytes) = dedup_step(&s.kind, &Value::Object(s.params.clone()))
                .map_err(|m| ConfigError::new(s.kind.clone(), m))?;
            phases.push(Phase::Dedup {
                method,
                memory_bytes,
            });
        } else {
            pending.steps.push(s.clone());
        }
    }
    if !pending.steps.is_empty() {
        phases.push(Phase::Steps(build(pending)?));
    }
    Ok(phases)
}

fn run_dedup(
    method: Method,
    memory_bytes: usize,
    inputs: &[String],
    dir: &Path,
    opts: &RunOptions,
) -> Result<RunStats, RunError> {
    let files = expand_inputs(inputs);
    let n_files = files.len() as u64;
    let step = method.name();
    let reason = method.reason();
    // With --report, every document the filter stage writes is added to the phase's report,
    // in input order (the stage reads its inputs one after another).
    let report = opts.report.then(|| {
        let data = ReportData {
            dedup: vec![DedupSummary::new(step)],
            steps: vec![StepFlow {
                step: step.to_owned(),
                ..StepFlow::default()
            }],
            ..ReportData::default()
        };
        std::sync::Arc::new(std::sync::Mutex::new(data))
    });
    let observer = report.clone().map(|r| {
        let f: tamis_dedup::FilterObserver = std::sync::Arc::new(
            move |doc: &tamis_core::Document, cluster: Option<(u64, u64)>, kept: bool| {
                let mut r = r.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let facts = DocFacts::unchanged(doc);
                if let Some(d) = r.dedup.first_mut() {
                    let url = doc.metadata.get("url").and_then(serde_json::Value::as_str);
                    d.observe(&doc.id, facts.id_hash, url, &doc.text, cluster, kept);
                }
                if let Some(s) = r.steps.first_mut() {
                    let len = doc.text.len() as u64;
                    s.docs_in += 1;
                    s.bytes_in += len;
                    if kept {
                        s.bytes_out += len;
                    } else {
                        s.docs_dropped += 1;
                        s.bytes_dropped += len;
                    }
                }
                r.observe(facts, doc, (!kept).then_some((step, reason)));
            },
        );
        f
    });
    let job = DedupJob {
        method,
        inputs: files,
        work_dir: dir.join("work"),
        out_dir: dir.to_path_buf(),
        memory_bytes,
        compression: opts.compression,
        read: opts.read.clone(),
        progress: crate::dedup::progress_bar(opts.progress),
        observer,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let threads = pool.current_num_threads();
    let v = pool.install(|| job.run_all(threads))?;
    remove_dir(&dir.join("work"))?;
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let step = &v["steps"][0];
    let mut counters = step.as_object().cloned().unwrap_or_default();
    counters.remove("step");
    let time_s = v["elapsed_s"].as_f64().unwrap_or(0.0);
    if let Some(r) = report {
        let mut data = r
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(s) = data.steps.first_mut() {
            s.time_s = time_s;
        }
        write_report(dir, &data)?;
    }
    Ok(RunStats {
        read: n("read"),
        kept: n("kept"),
        dropped: n("dropped"),
        quarantined: n("quarantined"),
        quarantine_reasons: serde_json::from_value(v["quarantine_reasons"].clone())
            .unwrap_or_default(),
        input_files: n_files,
        input_text_bytes: n("input_text_bytes"),
        steps: vec![StepStats {
            step: step["step"].as_str().unwrap_or("dedup").to_owned(),
            counters,
            time_s,
        }],
        threads,
        elapsed_s: time_s,
        stopped: None,
        tamis_config: String::new(),
        tamis_version: crate::VERSION.to_owned(),
    })
}

/// Moves the phases' outputs into `out`: the last phase's kept files, every phase's dropped and
/// quarantined files under a `pNN-` prefix.
fn collect_outputs(dirs: &[PathBuf], out: &Path) -> Result<(), RunError> {
    for (i, dir) in dirs.iter().enumerate() {
        for sub in ["dropped", "quarantine"] {
            for f in files_in(&dir.join(sub))? {
                let name = f.file_name().unwrap_or_default().to_string_lossy();
                rename(&f, &out.join(sub).join(format!("p{i:02}-{name}")))?;
            }
        }
    }
    if let Some(last) = dirs.last() {
        for f in files_in(&last.join("kept"))? {
            rename(
                &f,
                &out.join("kept").join(f.file_name().unwrap_or_default()),
            )?;
        }
    }
    Ok(())
}

/// The manifest of a phased run: totals and every output file, counted by reading it back
/// (later phases cannot say which input a document came from, so no per-input accounting).
fn write_manifest(
    out: &Path,
    fingerprint: &str,
    compression: Compression,
    stats: &RunStats,
) -> Result<(), RunError> {
    let mut records = BTreeMap::new();
    for sub in ["kept", "dropped", "quarantine"] {
        for f in walk(&out.join(sub))? {
            let n = count_records(&f, compression).map_err(|source| RunError::OutputDir {
                path: f.clone(),
                source,
            })?;
            let rel = f
                .strip_prefix(out)
                .unwrap_or(&f)
                .to_string_lossy()
                .into_owned();
            records.insert(rel, n);
        }
    }
    Manifest::build(
        out,
        fingerprint,
        compression.name(),
        stats,
        Vec::new(),
        &records,
        &Default::default(),
    )?
    .save(out)
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let io = |source| RunError::OutputDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        let p = e.map_err(io)?.path();
        if p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

fn has_files(dir: &Path) -> bool {
    files_in(dir).is_ok_and(|f| !f.is_empty())
}

fn rename(from: &Path, to: &Path) -> Result<(), RunError> {
    std::fs::rename(from, to).map_err(|source| RunError::OutputDir {
        path: to.to_path_buf(),
        source,
    })
}

fn remove_dir(dir: &Path) -> Result<(), RunError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| RunError::OutputDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}
