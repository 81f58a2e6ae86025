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

use serde_json::Value;
use tamis_core::ConfigError;
use tamis_dedup::{dedup_step, DedupJob, Method, DEDUP_STEP_IDS};
use tamis_io::{count_lines, expand_inputs, Compression};

use crate::checkpoint::Manifest;
use crate::executor::{prepare_out_dir, run, write_stats, RunError, RunOptions};
use crate::spec::{Pipeline, PipelineSpec, SpecError};
use crate::stats::{RunStats, StepStats};

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

/// Validates every step, then runs the pipeline: in one pass when it has no dedup step, in
/// phases otherwise.
pub fn run_spec(spec: &PipelineSpec, opts: &RunOptions) -> Result<RunStats, RunError> {
    if !has_dedup(spec) {
        return run(&spec.build()?, opts);
    }
    let fingerprint = spec.fingerprint();
    let phases = build_phases(spec, &fingerprint)?;
    let start = Instant::now();
    prepare_out_dir(&opts.out_dir, opts.overwrite)?;
    let work = opts.out_dir.join("work-phases");
    remove_dir(&work)?;
    let mut inputs = opts.inputs.clone();
    let mut total: Option<RunStats> = None;
    let mut dirs = Vec::new();
    for (i, phase) in phases.into_iter().enumerate() {
        let dir = work.join(format!("p{i:02}"));
        if i > 0 && !has_files(&PathBuf::from(&inputs[0])) {
            // Nothing survived the previous phase; the later steps see no document.
            break;
        }
        let phase_stats = match phase {
            Phase::Steps(pipeline) => {
                let o = RunOptions {
                    inputs: inputs.clone(),
                    out_dir: dir.clone(),
                    overwrite: true,
                    ..opts.clone()
                };
                run(&pipeline, &o)?
            }
            Phase::Dedup {
                method,
                memory_bytes,
            } => run_dedup(method, memory_bytes, &inputs, &dir, opts)?,
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
                t
            }
        });
        inputs = vec![dir.join("kept").display().to_string()];
        dirs.push(dir);
    }
    let mut stats = total.ok_or(SpecError::Empty)?;
    collect_outputs(&dirs, &opts.out_dir)?;
    remove_dir(&work)?;
    stats.elapsed_s = start.elapsed().as_secs_f64();
    stats.tamis_config = fingerprint.clone();
    stats.tamis_version = crate::VERSION.to_owned();
    write_manifest(&opts.out_dir, &fingerprint, opts.compression, &stats)?;
    write_stats(&opts.out_dir, &stats)?;
    Ok(stats)
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
    let job = DedupJob {
        method,
        inputs: files,
        work_dir: dir.join("work"),
        out_dir: dir.to_path_buf(),
        memory_bytes,
        compression: opts.compression,
        read: opts.read.clone(),
        progress: crate::dedup::progress_bar(opts.progress),
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
        for f in files_in(&out.join(sub))? {
            let n = count_lines(&f, compression).map_err(|source| RunError::OutputDir {
                path: f.clone(),
                source,
            })?;
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            records.insert(format!("{sub}/{name}"), n);
        }
    }
    Manifest::build(
        out,
        fingerprint,
        compression.name(),
        stats,
        Vec::new(),
        &records,
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
