"""tamis on Ray: spread a corpus over many machines with Ray's scheduler, not a new one.

Two ways in:

- :class:`MapBatches`: a callable for ``ray.data.Dataset.map_batches`` (``batch_format=
  "pyarrow"``) that filters Arrow batches in Rust, for data already in a Ray dataset.
- :func:`run` and :func:`dedup`: drivers that run ``tamis run`` and the stages of ``tamis
  dedup`` as Ray tasks over shards of the input files. Every node must see the inputs and the
  output directory at the same paths (shared storage: NFS, a FUSE-mounted bucket). A failed
  shard is retried (``max_retries``); shards write to their own directories, so a retry never
  sees another task's files.

Connect first with ``ray.init()`` (a local cluster) or ``ray.init(address="auto")`` on a node
of a running cluster; the drivers call ``ray.init()`` themselves when Ray is not initialised.
"""

import json
import os
import shutil

import ray

from . import Pipeline, _tamis
from .errors import ConfigError, OutputExistsError

__all__ = ["MapBatches", "run", "dedup"]

_VERDICT_COLUMNS = ("tamis_kept", "tamis_reason", "tamis_step")


class MapBatches:
    """Filters Arrow batches with ``pipeline``: ``ds.map_batches(MapBatches(p),
    batch_format="pyarrow")``.

    By default the batch keeps only the rows the pipeline keeps, with ``text_column`` as the
    steps left it and ``tamis_metadata`` (JSON) appended. With ``keep_dropped=True`` every row
    stays, with ``tamis_kept``, ``tamis_reason`` and ``tamis_step``.
    """

    def __init__(
        self, pipeline, text_column="text", id_column=None, metadata_column=None,
        keep_dropped=False,
    ):
        if not isinstance(pipeline, Pipeline):
            pipeline = Pipeline(pipeline)
        if pipeline.has_dedup:
            raise ConfigError("dedup needs the whole corpus: use tamis.ray.dedup, not map_batches")
        self.pipeline = pipeline
        self.text_column = text_column
        self.id_column = id_column
        self.metadata_column = metadata_column
        self.keep_dropped = keep_dropped

    def __call__(self, batch):
        out = self.pipeline.apply_arrow(
            batch, self.text_column, self.id_column, self.metadata_column
        )
        if self.keep_dropped:
            return out
        return out.filter(out.column("tamis_kept")).drop_columns(list(_VERDICT_COLUMNS))


def _ensure_ray():
    if not ray.is_initialized():
        ray.init()


def _shards(files, num_shards):
    """Contiguous runs of the sorted input files, so concatenating shard outputs in shard order
    gives the input order a local run writes in; cut so that shards hold about the same bytes
    on disk."""
    n = max(1, min(num_shards, len(files)))
    sizes = [os.path.getsize(f) if os.path.isfile(f) else 0 for f in files]
    total = sum(sizes) or 1
    out, current, seen = [], [], 0
    for i, (f, size) in enumerate(zip(files, sizes)):
        current.append(f)
        seen += size
        left_files, left_shards = len(files) - i - 1, n - len(out) - 1
        # Close the shard at its share of the bytes, or when the rest must go one per shard.
        if left_shards > 0 and (seen >= total * (len(out) + 1) / n or left_files == left_shards):
            out.append(current)
            current = []
    out.append(current)
    return [s for s in out if s]


def _default_shards():
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _check_output(output, overwrite):
    marks = ("stats.json", "manifest.json", "kept", "dropped", "quarantine", "shards")
    if any(os.path.exists(os.path.join(output, m)) for m in marks):
        if not overwrite:
            raise OutputExistsError(
                f"output directory {output} already holds a run's outputs"
                " (pass overwrite=True to replace them)"
            )
        for m in marks:
            p = os.path.join(output, m)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
    os.makedirs(output, exist_ok=True)


@ray.remote
def _run_shard(pipeline, files, out_dir, options):
    # A retried shard starts over in its own directory.
    return pipeline.run(files, out_dir, overwrite=True, **options)


def _concat(parts, dest):
    """Concatenates output files. Zstd frames and gzip members concatenate into a valid stream
    that decompresses to the concatenated records."""
    if not parts:
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "wb") as out:
        for p in parts:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)


def _files(d):
    if not os.path.isdir(d):
        return []
    return sorted(
        os.path.join(d, f) for f in os.listdir(d) if not f.startswith(".")
    )


def _merge_stats(all_stats, elapsed):
    total = {
        "read": 0, "kept": 0, "dropped": 0, "quarantined": 0, "quarantine_reasons": {},
        "input_files": 0, "input_text_bytes": 0, "steps": [], "threads": 0,
    }
    for s in all_stats:
        for k in ("read", "kept", "dropped", "quarantined", "input_files", "input_text_bytes",
                  "threads"):
            total[k] += s[k]
        for r, n in s["quarantine_reasons"].items():
            total["quarantine_reasons"][r] = total["quarantine_reasons"].get(r, 0) + n
        for i, step in enumerate(s["steps"]):
            if i == len(total["steps"]):
                total["steps"].append({"step": step["step"]})
            acc = total["steps"][i]
            for k, v in step.items():
                if k != "step":
                    acc[k] = acc.get(k, 0) + v
    total["quarantine_reasons"] = dict(sorted(total["quarantine_reasons"].items()))
    total["elapsed_s"] = elapsed
    total["shards"] = len(all_stats)
    if all_stats:
        total["tamis_config"] = all_stats[0].get("tamis_config", "")
        total["tamis_version"] = all_stats[0].get("tamis_version", "")
    return total


def run(pipeline, inputs, output, *, num_shards=None, max_retries=3, overwrite=False,
        threads=1, **options):
    """``tamis run`` as Ray tasks: the sorted input files are split into ``num_shards``
    contiguous shards (default: the cluster's CPUs), each run by one task (``threads`` worker
    threads each) into ``OUTPUT/shards/NNNNN/``, retried up to ``max_retries`` times; then
    ``kept/``, ``dropped/`` and ``quarantine/`` are merged in shard order into one file each,
    whose records are those of a local run, in the same order (with ``compression="none"``
    the files are byte-identical; compressed, they decompress to identical bytes), and
    ``stats.json`` sums the shards'. Returns the merged stats.

    Pipelines with a dedup step need the whole corpus: run the steps before it here, then
    :func:`dedup`.
    """
    import time

    if not isinstance(pipeline, Pipeline):
        pipeline = Pipeline(pipeline)
    if pipeline.has_dedup:
        raise ConfigError(
            "tamis.ray.run shards a pipeline by input file; a dedup step needs the whole"
            " corpus: run the steps before it with tamis.ray.run, then tamis.ray.dedup"
        )
    if options.get("output_template"):
        raise ConfigError("tamis.ray.run does not split kept outputs by template yet")
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    files = [os.fspath(p) for p in _tamis.expand_inputs([os.fspath(i) for i in inputs])]
    output = os.fspath(output)
    if not files:
        raise ConfigError(f"no input files matched {inputs!r}")
    _ensure_ray()
    start = time.monotonic()
    _check_output(output, overwrite)
    shards = _shards(files, num_shards or _default_shards())
    dirs = [os.path.join(output, "shards", f"{i:05}") for i in range(len(shards))]
    task = _run_shard.options(max_retries=max_retries, retry_exceptions=True)
    refs = [
        task.remote(pipeline, part, d, {"threads": threads, **options})
        for part, d in zip(shards, dirs)
    ]
    all_stats = ray.get(refs)
    ext = {"zstd": ".zst", "gzip": ".gz", "none": ""}[options.get("compression", "zstd")]
    fmt = options.get("format", "jsonl")
    for sub in ("kept", "dropped", "quarantine"):
        suffix = ".jsonl" + ext if sub == "quarantine" or fmt == "jsonl" else ".parquet"
        parts = [p for d in dirs for p in _files(os.path.join(d, sub))]
        if fmt == "parquet" and sub != "quarantine":
            # Parquet files do not concatenate: keep each shard's parts, renumbered in order.
            os.makedirs(os.path.join(output, sub), exist_ok=True)
            for i, p in enumerate(parts):
                shutil.copyfile(p, os.path.join(output, sub, f"{i:05}{suffix}"))
            continue
        os.makedirs(os.path.join(output, sub), exist_ok=True)
        _concat(parts, os.path.join(output, sub, "00000" + suffix))
    stats = _merge_stats(all_stats, time.monotonic() - start)
    with open(os.path.join(output, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    return stats


@ray.remote
def _dedup_stage(inputs, output, options):
    return _tamis_dedup(inputs, output, options)


def _tamis_dedup(inputs, output, options):
    from . import dedup as local_dedup

    return local_dedup(inputs, output, **options)


def dedup(inputs, output, *, num_shards=None, max_retries=3, work_dir=None, overwrite=False,
          **options):
    """``tamis dedup`` as Ray tasks, stage by stage: ``signatures`` and ``filter`` sharded by
    input file, ``buckets`` by band, then ``clusters`` and ``stats`` once; each stage starts
    when every shard of the one before has finished, failed tasks are retried, and the
    intermediates live in ``work_dir`` (default ``OUTPUT/work``, on shared storage). The
    outputs are those of ``tamis dedup`` on one machine, byte for byte (each stage's shards
    write their own files). The same for ``method="exact"`` and ``method="lines"``, whose
    ``buckets`` stage is sharded by hash partition of the keys. Returns the stats dict."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [os.fspath(i) for i in inputs]
    output = os.fspath(output)
    work_dir = os.fspath(work_dir) if work_dir is not None else os.path.join(output, "work")
    _ensure_ray()
    n = num_shards or _default_shards()
    task = _dedup_stage.options(max_retries=max_retries, retry_exceptions=True)
    _check_output(output, overwrite)
    if os.path.isdir(work_dir):
        shutil.rmtree(work_dir)
    base = {"work_dir": work_dir, **options}
    for stage, shards in (("signatures", n), ("buckets", n), ("clusters", 1), ("filter", n)):
        refs = [
            task.remote(inputs, output, {**base, "stage": stage, "shard": (i, shards)})
            for i in range(shards)
        ]
        ray.get(refs)
    stats = ray.get(task.remote(inputs, output, {**base, "stage": "stats"}))
    if not options.get("keep_work") and os.path.isdir(work_dir):
        shutil.rmtree(work_dir)
    return stats
