"""tamis on Ray: spread a corpus over many machines with Ray's scheduler, not a new one.

Two ways in:

- :class:`MapBatches`: a callable for ``ray.data.Dataset.map_batches`` (``batch_format=
  "pyarrow"``) that filters Arrow batches in Rust, for data already in a Ray dataset.
- :func:`run` and :func:`dedup`: drivers that run ``tamis run`` and the stages of ``tamis
  dedup`` as Ray tasks over shards of the input files, with the output files of a local run,
  byte for byte. Every node must see the inputs and the output directory at the same paths
  (shared storage: NFS, a FUSE-mounted bucket). A failed shard is retried (``max_retries``);
  shards write to their own directories, so a retry never sees another task's files.

Connect first with ``ray.init()`` (a local cluster) or ``ray.init(address="auto")`` on a node
of a running cluster; the drivers call ``ray.init()`` themselves when Ray is not initialised.
"""

import json
import os
import shutil

import ray

from . import Pipeline, _tamis
from .errors import ConfigError, OutputExistsError, ShardFailedError

__all__ = ["MapBatches", "run", "dedup", "select", "ShardFailedError"]

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
    """Contiguous runs of the sorted input files, so that the shards in order read what a
    local run reads, in its order (which the merge needs), of about the same bytes on disk:
    the split of ``tamis run --shard I/N``."""
    sizes = [os.path.getsize(f) if os.path.isfile(f) else 0 for f in files]
    return [files[a:b] for a, b in _tamis.shard_ranges(sizes, max(1, num_shards))]


def _default_shards(threads):
    """As many shards as the cluster's CPUs can run at once."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)


def _task_options(max_retries, runtime_env, threads):
    """Each task asks Ray for the CPUs its threads keep busy (tamis's ``threads`` means that
    many cores' worth of work), so Ray never packs more work on a node than it has cores; and
    tasks are spread over the nodes (as Ray Data spreads its read tasks), so that shards of
    about equal bytes share the nodes' disks and network rather than queue on the driver's."""
    if not isinstance(threads, int) or threads < 1:
        raise ConfigError(
            f"threads must be a whole number of at least 1 on Ray (got {threads!r}): each task"
            " asks Ray for that many CPUs"
        )
    options = {
        "max_retries": max_retries, "retry_exceptions": True, "num_cpus": threads,
        "scheduling_strategy": "SPREAD",
    }
    if runtime_env is not None:
        options["runtime_env"] = runtime_env
    return options


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


# Test hooks, like the CLI's TAMIS_TEST_STOP. With TAMIS_TEST_RAY_FAIL=SHARD:N:MODE:DIR in a
# worker's environment (a task's runtime_env), the first N attempts of shard SHARD (of `run`,
# or of any stage of `dedup`) fail, by raising (MODE "raise") or by killing the worker process
# (MODE "exit"); attempts are counted with files in DIR, which every attempt sees wherever it
# runs. With TAMIS_TEST_RAY_NODES=DIR, every task leaves an empty file named by its task, shard
# and the Ray node it ran on in DIR, then waits (up to a minute) until every shard of its task
# has started: the shards are held running together, so a test on a cluster with one CPU per
# node sees them on different nodes. Unset, they cost a lookup each.
_FAIL_ENV = "TAMIS_TEST_RAY_FAIL"
_NODES_ENV = "TAMIS_TEST_RAY_NODES"


def _test_hooks(index, task, shards):
    nodes = os.environ.get(_NODES_ENV)
    if nodes:
        import time

        node = ray.get_runtime_context().get_node_id()
        open(os.path.join(nodes, f"{task}-{index}-{node}"), "w").close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len([f for f in os.listdir(nodes) if f.startswith(f"{task}-")]) >= shards:
                break
            time.sleep(0.05)
    spec = os.environ.get(_FAIL_ENV)
    if not spec:
        return
    shard, n, mode, marks = spec.split(":", 3)
    if int(shard) != index:
        return
    attempt = len([f for f in os.listdir(marks) if f.startswith(f"attempt-{index}-")])
    open(os.path.join(marks, f"attempt-{index}-{attempt}"), "w").close()
    if attempt < int(n):
        if mode == "exit":
            os._exit(1)
        raise RuntimeError(f"{_FAIL_ENV}: attempt {attempt} of shard {index} fails")


@ray.remote
def _run_shard(index, count, pipeline, files, out_dir, options):
    _test_hooks(index, "run", count)
    # A retried shard starts over in its own directory. Uncompressed single files and a trace:
    # what the merge needs to rebuild the local run's bytes (see tamis_pipeline::merge_shards).
    return pipeline.run(
        files, out_dir, overwrite=True, shard_trace=True, compression="none", format="jsonl",
        max_file_bytes=1 << 62, **options,
    )


@ray.remote
def _merge(dirs, inputs, output, options):
    return json.loads(_tamis.merge_shards(dirs, inputs, output, **options))


def _gather(refs, max_retries, name, detail=lambda i: ""):
    """The results of `refs`, in order; on the first task that fails for good, cancels the
    rest and raises :class:`ShardFailedError` with ``name(i)`` and ``detail(i)``."""
    results = [None] * len(refs)
    pending = {ref: i for i, ref in enumerate(refs)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            i = pending.pop(ref)
            try:
                results[i] = ray.get(ref)
            except ray.exceptions.RayError as e:
                for other in pending:
                    ray.cancel(other, force=True)
                cause = getattr(e, "cause", None) or e
                raise ShardFailedError(
                    f"{name(i)} failed after {max_retries} retries"
                    f" ({type(cause).__name__}: {cause}){detail(i)}"
                ) from e
    return results


def run(pipeline, inputs, output, *, num_shards=None, max_retries=3, overwrite=False,
        threads=1, compression="zstd", format="jsonl", output_template=None,
        checkpoint_every=10_000, max_file_bytes=1 << 30, max_record_bytes=256 << 20,
        max_decompressed_bytes=None, keep_shards=False, runtime_env=None):
    """``tamis run`` as Ray tasks, with the output of a local run byte for byte.

    The sorted input files are split into ``num_shards`` contiguous shards (default: the
    cluster's CPUs divided by ``threads``) of about equal bytes. Each shard is one task of
    ``threads`` worker threads, which asks Ray for ``threads`` CPUs, that runs the pipeline into ``OUTPUT/shards/NNNNN/``, writing uncompressed JSONL and a
    trace of every record read; a failed task (an exception, or its worker process dying) is
    rerun from scratch up to ``max_retries`` times. Then one more task merges the shards: it
    replays the whole run's reading order from the traces and copies the shards' records into
    the local executor's writers, so that compressed parts end at the same checkpoints and
    files roll at the same sizes, then splits by ``output_template`` and converts to Parquet
    as a local run does. ``kept/``, ``dropped/``, ``quarantine/`` and ``manifest.json`` are
    byte-identical to those of ``tamis run`` (or :meth:`Pipeline.run`) with the same options,
    and ``tamis verify OUTPUT`` checks them. ``stats.json`` equals the local run's too, but
    for its timings (``elapsed_s``: the whole Ray run's wall time; each step's ``time_s``:
    summed over shards) and ``threads`` (summed over shards). The shards' directory is
    removed after the merge unless ``keep_shards``.

    Output options are those of :meth:`Pipeline.run`: ``compression``, ``format``,
    ``output_template``, ``checkpoint_every``, ``max_file_bytes``, ``max_record_bytes``,
    ``max_decompressed_bytes``. ``max_errors`` and reports need the whole run in one process
    and are not offered. ``runtime_env`` is passed to every task (e.g. environment
    variables). Every node must see the inputs and ``output`` at the same paths. Raises
    :class:`ShardFailedError`, naming the shard and its files, when a shard fails for good.
    Returns the stats.

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
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [os.fspath(i) for i in inputs]
    files = [os.fspath(p) for p in _tamis.expand_inputs(inputs)]
    output = os.fspath(output)
    if not files:
        raise ConfigError(f"no input files matched {inputs!r}")
    output_options = {
        "compression": compression, "format": format, "output_template": output_template,
        "checkpoint_every": checkpoint_every, "max_file_bytes": max_file_bytes,
    }
    # The merge's checks, before any task starts.
    _tamis.check_output_options(**output_options)
    _task_options(max_retries, runtime_env, threads)
    _ensure_ray()
    start = time.monotonic()
    _check_output(output, overwrite)
    shards = _shards(files, num_shards or _default_shards(threads))
    dirs = [os.path.join(output, "shards", f"{i:05}") for i in range(len(shards))]
    shard_options = {
        "threads": threads, "max_record_bytes": max_record_bytes,
        "max_decompressed_bytes": max_decompressed_bytes,
    }
    task = _run_shard.options(**_task_options(max_retries, runtime_env, threads))
    refs = [
        task.remote(i, len(shards), pipeline, part, d, shard_options)
        for i, (part, d) in enumerate(zip(shards, dirs))
    ]
    _gather(
        refs, max_retries, lambda i: f"shard {i} of {len(refs)}",
        lambda i: f"; its input files: {', '.join(shards[i])}; its output: {dirs[i]}",
    )
    merge_options = {
        **output_options, "overwrite": True, "elapsed_s": time.monotonic() - start,
    }
    # The merge copies and compresses on one thread.
    merge = _merge.options(**_task_options(max_retries, runtime_env, 1)).remote(
        dirs, inputs, output, merge_options)
    stats = ray.get(merge)
    if not keep_shards:
        shutil.rmtree(os.path.join(output, "shards"))
    return stats


@ray.remote
def _dedup_stage(inputs, output, options):
    # Imported here: this module's own `dedup` shadows the package's.
    from . import dedup as local_dedup

    index, count = options.get("shard", (0, 1))
    _test_hooks(index, options.get("stage", "dedup"), count)
    return local_dedup(inputs, output, **options)


def dedup(inputs, output, *, num_shards=None, max_retries=3, work_dir=None, overwrite=False,
          threads=1, runtime_env=None, **options):
    """``tamis dedup`` as Ray tasks, stage by stage: ``signatures`` and ``filter`` sharded by
    input file, ``buckets`` by band, then ``clusters`` and ``stats`` once; each stage starts
    when every shard of the one before has finished, failed tasks are retried, and the
    intermediates live in ``work_dir`` (default ``OUTPUT/work``, on shared storage). The
    outputs are those of ``tamis dedup`` on one machine, byte for byte (each stage's shards
    write their own files). The same for ``method="exact"`` and ``method="lines"``, whose
    ``buckets`` stage is sharded by hash partition of the keys. ``runtime_env`` is passed to
    every task. Raises :class:`ShardFailedError`, naming the stage and shard, when a task
    fails for good. Each task runs ``threads`` worker threads and asks Ray for as many CPUs;
    the default ``num_shards`` is the cluster's CPUs divided by ``threads``.
    Returns the stats dict."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [os.fspath(i) for i in inputs]
    output = os.fspath(output)
    work_dir = os.fspath(work_dir) if work_dir is not None else os.path.join(output, "work")
    task = _dedup_stage.options(**_task_options(max_retries, runtime_env, threads))
    _ensure_ray()
    n = num_shards or _default_shards(threads)
    _check_output(output, overwrite)
    if os.path.isdir(work_dir):
        shutil.rmtree(work_dir)
    base = {"work_dir": work_dir, "threads": threads, **options}
    for stage, shards in (("signatures", n), ("buckets", n), ("clusters", 1), ("filter", n)):
        refs = [
            task.remote(inputs, output, {**base, "stage": stage, "shard": (i, shards)})
            for i in range(shards)
        ]
        _gather(refs, max_retries, lambda i: f"dedup stage {stage}, shard {i} of {shards}")
    stats = _gather([task.remote(inputs, output, {**base, "stage": "stats"})], max_retries,
                    lambda i: "dedup stage stats")[0]
    if not options.get("keep_work") and os.path.isdir(work_dir):
        shutil.rmtree(work_dir)
    return stats


def select(inputs, output, **options):
    """``tamis select`` as Ray tasks: :func:`dedup` with ``method="rank"``, so the scoring pass
    is sharded by input file, the thresholds by score field, and the decisions by input file;
    the kept set and the output bytes are those of one machine's run. Options as
    :func:`tamis.select`, plus ``num_shards``, ``max_retries``, ``work_dir``, ``overwrite`` and
    ``runtime_env``."""
    return dedup(inputs, output, method="rank", **options)
