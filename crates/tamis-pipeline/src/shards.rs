//! A run spread over independent processes: `tamis run --shard I/N` runs one contiguous share of
//! the input files into `OUT/shards/NNNNN/`, and `tamis run --merge-shards N` then writes the
//! outputs of one local run from the finished shards, byte for byte (through
//! [`merge_shards`](crate::merge_shards)). This is what `tamis.ray.run` does with Ray tasks,
//! for schedulers that start processes (a Slurm job array) over shared storage.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::merge::merge_shards;
use crate::options::{RunError, RunOptions};
use crate::phased::{has_dedup, run_spec};
use crate::spec::PipelineSpec;
use crate::stats::RunStats;
use tamis_io::{Compression, InputFile};

/// The folder under a run's output directory that holds its shards.
pub const SHARDS_DIR: &str = "shards";

/// Shard `index`'s folder under the run's output directory `out`.
pub fn shard_dir(out: &Path, index: usize) -> PathBuf {
    out.join(SHARDS_DIR).join(format!("{index:05}"))
}

/// Splits files (their sizes in input order) into at most `count` contiguous, non-empty runs of
/// about equal bytes: contiguous so that the shards in order read what a local run reads, in
/// its order, which the merge needs. A shard closes once the bytes so far reach its share of
/// the total, or when the files left must go one per shard; so there are exactly
/// `min(count, files)` shards.
pub fn shard_ranges(sizes: &[u64], count: usize) -> Vec<Range<usize>> {
    let n = count.min(sizes.len()).max(1);
    let total = sizes.iter().sum::<u64>().max(1) as f64;
    let mut out = Vec::with_capacity(n);
    let (mut start, mut seen) = (0, 0u64);
    for (i, size) in sizes.iter().enumerate() {
        seen += size;
        let left_files = sizes.len() - i - 1;
        let left_shards = n - out.len() - 1;
        if left_shards > 0
            && (seen as f64 >= total * (out.len() + 1) as f64 / n as f64
                || left_files == left_shards)
        {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

fn sharding_error(opts: &RunOptions, message: impl Into<String>) -> RunError {
    RunError::Merge {
        dir: opts.out_dir.clone(),
        message: message.into(),
    }
}

/// The input files of the run `opts` describes and its shards of `count`.
fn plan(opts: &RunOptions, count: usize) -> Result<(Vec<InputFile>, Vec<Range<usize>>), RunError> {
    let files = tamis_io::expand_inputs(&opts.inputs);
    if files.is_empty() {
        return Err(RunError::NoInputs(opts.inputs.clone()));
    }
    let sizes: Vec<u64> = files.iter().map(|f| f.size.unwrap_or(0)).collect();
    let ranges = shard_ranges(&sizes, count);
    Ok((files, ranges))
}

/// Runs shard `index` of `count` of the run `spec` and `opts` describe into
/// [`shard_dir`]`(opts.out_dir, index)`, replacing what an earlier attempt left there; returns
/// `None`, writing nothing, when there are fewer input files than shards and this one has
/// none. The shard writes uncompressed single files and the trace the merge replays; the
/// output options (compression, format, template, file size, checkpoints) are the merge's.
pub fn run_shard(
    spec: &PipelineSpec,
    opts: &RunOptions,
    index: usize,
    count: usize,
) -> Result<Option<RunStats>, RunError> {
    if has_dedup(spec) {
        return Err(sharding_error(
            opts,
            "a dedup step needs the whole corpus: run the steps before it in shards, then \
             `tamis dedup` (its stages shard with --stage and --shard)",
        ));
    }
    if opts.report || opts.max_errors.is_some() {
        return Err(sharding_error(
            opts,
            "--report and --max-errors need the whole run in one process",
        ));
    }
    let (files, ranges) = plan(opts, count)?;
    let Some(range) = ranges.get(index) else {
        return Ok(None);
    };
    let shard = RunOptions {
        inputs: files[range.clone()]
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
        out_dir: shard_dir(&opts.out_dir, index),
        overwrite: true,
        shard_trace: true,
        compression: Compression::None,
        format: crate::OutputFormat::Jsonl,
        output_template: None,
        max_file_bytes: 1 << 62,
        ..opts.clone()
    };
    run_spec(spec, &shard).map(Some)
}

/// Merges the finished shards of `count` in `opts.out_dir`'s [`SHARDS_DIR`] into the outputs
/// a local run with `opts` writes; removes the shards afterwards unless `keep`. Refuses, naming
/// it, a shard that has not finished. `elapsed_s` counts the longest shard's time (the job
/// array's, when the shards ran at once) and the merge's.
pub fn merge_run_shards(opts: &RunOptions, count: usize, keep: bool) -> Result<RunStats, RunError> {
    let (_, ranges) = plan(opts, count)?;
    let dirs: Vec<PathBuf> = (0..ranges.len())
        .map(|i| shard_dir(&opts.out_dir, i))
        .collect();
    let mut longest = 0f64;
    for (i, dir) in dirs.iter().enumerate() {
        let stats = std::fs::read(dir.join("stats.json")).map_err(|_| {
            sharding_error(
                opts,
                format!(
                    "shard {i}/{count} in {} has not finished (no stats.json): run it with \
                     --shard {i}/{count} first",
                    dir.display()
                ),
            )
        })?;
        let stats: RunStats = serde_json::from_slice(&stats)
            .map_err(|e| sharding_error(opts, format!("{}/stats.json: {e}", dir.display())))?;
        longest = longest.max(stats.elapsed_s);
    }
    let _lock = crate::lock::lock_dir(&opts.out_dir)?;
    let stats = merge_shards(&dirs, opts, longest)?;
    if !keep {
        let shards = opts.out_dir.join(SHARDS_DIR);
        std::fs::remove_dir_all(&shards).map_err(|source| RunError::OutputDir {
            path: shards,
            source,
        })?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_contiguous_cover_every_file_and_balance_bytes() {
        for (sizes, count) in [
            (vec![10, 10, 10, 10], 2),
            (vec![100, 1, 1], 3),
            (vec![1, 1, 1, 100], 2),
            (vec![0, 0, 0], 2),
            (vec![5], 4),
            (vec![3, 9, 1, 4, 4, 8, 2], 3),
        ] {
            let r = shard_ranges(&sizes, count);
            assert_eq!(r.len(), count.min(sizes.len()), "{sizes:?}");
            assert_eq!(r.first().unwrap().start, 0);
            assert_eq!(r.last().unwrap().end, sizes.len());
            assert!(r
                .windows(2)
                .all(|w| w[0].end == w[1].start && w[0].start < w[0].end));
        }
        assert_eq!(shard_ranges(&[10, 10, 10, 10], 2), vec![0..2, 2..4]);
        // The big file closes its shard; the rest still get one each.
        assert_eq!(shard_ranges(&[100, 1, 1], 3), vec![0..1, 1..2, 2..3]);
        assert_eq!(shard_ranges(&[1, 1, 1, 100], 2), vec![0..3, 3..4]);
    }
}
