"""tamis on a real local Ray cluster (2 CPUs), compared with the CLI on the same inputs:
`map_batches` keeps the documents the CLI keeps, `tamis.ray.run` writes the CLI's `tamis run`
outputs and manifest byte for byte for every output option (also after a shard is retried), and
`tamis.ray.dedup` and `tamis.ray.select` write the CLI's `tamis dedup` and `tamis select` files
byte for byte."""

import json
import shutil

import pytest

ray = pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")

import tamis  # noqa: E402
import tamis.ray  # noqa: E402
from conftest import output_files, read_records, run_cli  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


STEPS = ["line_clean", "gopher_repetition", "gopher_quality", "fineweb_quality"]


def corpora(sample_dir, shared):
    out = [("sample", [sample_dir])]
    if shared is not None:
        out.append(("shared", [shared]))
    return out


@pytest.fixture(scope="module")
def shared_or_none():
    from conftest import SHARED_CORPUS

    return SHARED_CORPUS if SHARED_CORPUS.is_dir() else None


def cli_run(cli, inputs, out, compression):
    run_cli(cli, ["run", "--steps", ",".join(STEPS), *map(str, inputs), "-o", str(out),
                  "--compression", compression, "--no-progress"])


def test_map_batches_keeps_what_the_cli_keeps(tmp_path, tamis_cli, sample_dir, shared_or_none):
    for name, inputs in corpora(sample_dir, shared_or_none):
        # The JSONL inputs, read by the CLI and, as a Ray dataset of Arrow batches, by Ray.
        files = [f for i in inputs for f in sorted(i.glob("*.jsonl*"))]
        cli_out = tmp_path / f"cli-{name}"
        cli_run(tamis_cli, files, cli_out, "zstd")
        cli_kept = [r for f in output_files(cli_out, "kept") for r in read_records(f)]
        docs = [r for f in files for r in read_records(f)]
        table = pa.table({
            "id": [d["id"] for d in docs],
            "text": [d["text"] for d in docs],
            "metadata": [json.dumps(d.get("metadata", {})) for d in docs],
        })
        p = tamis.Pipeline(STEPS)
        # Rows in input order, to compare with the CLI's output in order.
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        ds = ray.data.from_arrow(table).map_batches(
            tamis.ray.MapBatches(p, id_column="id", metadata_column="metadata"),
            batch_format="pyarrow", batch_size=64,
        )
        got = list(ds.iter_rows())
        assert len(got) == len(cli_kept), name
        for row, rec in zip(got, cli_kept):
            assert row["id"] == rec["id"]
            assert row["text"] == rec["text"]
            assert json.loads(row["tamis_metadata"]) == rec["metadata"]
            assert "tamis_kept" not in row


def split_inputs(tmp_path, sample_dir):
    """The committed sample as five input files, with an unreadable line in one of them, so
    that shards have several files and a quarantine record to merge."""
    lines = (sample_dir / "pages.jsonl").read_text().splitlines()
    d = tmp_path / "in"
    d.mkdir()
    for i in range(5):
        part = lines[i * 5:(i + 1) * 5]
        if i == 2:
            part.insert(1, "{not json")
        (d / f"part-{i}.jsonl").write_text("".join(line + "\n" for line in part))
    return d


# (CLI flags, tamis.ray.run options): every output option, with small files and frequent
# checkpoints so that files roll and compressed parts end inside shards.
OUTPUT_OPTIONS = {
    "zstd": ([], {}),
    "gzip-rolled": (
        ["--compression", "gzip", "--max-file-bytes", "9000", "--checkpoint-every", "3"],
        {"compression": "gzip", "max_file_bytes": 9000, "checkpoint_every": 3},
    ),
    "none-rolled": (
        ["--compression", "none", "--max-file-bytes", "9000"],
        {"compression": "none", "max_file_bytes": 9000},
    ),
    "zstd-template-rolled": (
        ["--output-template", "${source}/", "--max-file-bytes", "9000", "--checkpoint-every", "4"],
        {"output_template": "${source}/", "max_file_bytes": 9000, "checkpoint_every": 4},
    ),
    "parquet": (["--format", "parquet"], {"format": "parquet"}),
    "parquet-template-rolled": (
        ["--format", "parquet", "--output-template", "${source}/", "--max-file-bytes", "9000"],
        {"format": "parquet", "output_template": "${source}/", "max_file_bytes": 9000},
    ),
}


def run_outputs(out_dir):
    """Every output file and the manifest, by path, with their bytes."""
    files = [p for sub in ("kept", "dropped", "quarantine") for p in output_files(out_dir, sub)]
    files.append(out_dir / "manifest.json")
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in files}


def assert_same_run(ray_out, cli_out, stats, tamis_cli):
    want, got = run_outputs(cli_out), run_outputs(ray_out)
    assert sorted(got) == sorted(want)
    for k in want:
        assert got[k] == want[k], k
    cli_stats = json.loads((cli_out / "stats.json").read_text())
    on_disk = json.loads((ray_out / "stats.json").read_text())
    # Equal but for the timings and the thread count.
    timing = ("elapsed_s", "threads")
    for s in (stats, on_disk, cli_stats):
        for k in timing:
            s.pop(k)
        for step in s["steps"]:
            step.pop("time_s")
    assert stats == on_disk == cli_stats
    assert not (ray_out / "shards").exists()
    run_cli(tamis_cli, ["verify", str(ray_out)])


@pytest.mark.parametrize("name", sorted(OUTPUT_OPTIONS))
def test_ray_run_writes_the_clis_bytes(tmp_path, tamis_cli, sample_dir, name):
    flags, options = OUTPUT_OPTIONS[name]
    inputs = split_inputs(tmp_path, sample_dir)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["run", "--steps", ",".join(STEPS), str(inputs), "-o", str(cli_out),
                        "--no-progress", *flags])
    stats = tamis.ray.run(tamis.Pipeline(STEPS), [inputs], ray_out, num_shards=3, **options)
    assert stats["kept"] > 0 and stats["dropped"] > 0 and stats["quarantined"] == 1
    assert_same_run(ray_out, cli_out, stats, tamis_cli)


def test_ray_run_writes_the_clis_bytes_on_the_shared_corpus(tmp_path, tamis_cli, shared_corpus):
    flags = ["--output-template", "${source}/", "--max-file-bytes", "2M",
             "--checkpoint-every", "1000"]
    options = {"output_template": "${source}/", "max_file_bytes": 2 << 20,
               "checkpoint_every": 1000}
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["run", "--steps", ",".join(STEPS), str(shared_corpus), "-o",
                        str(cli_out), "--no-progress", *flags])
    stats = tamis.ray.run(tamis.Pipeline(STEPS), [shared_corpus], ray_out, num_shards=2,
                          **options)
    assert_same_run(ray_out, cli_out, stats, tamis_cli)


def failing(tmp_path, *, shard, attempts, mode):
    """A folder counting attempts, and a runtime_env whose tasks fail the first `attempts`
    attempts of `shard` by `mode` ("raise" or "exit"), through tamis.ray's test hook."""
    marks = tmp_path / "attempts"
    marks.mkdir()
    return marks, {"env_vars": {"TAMIS_TEST_RAY_FAIL": f"{shard}:{attempts}:{mode}:{marks}"}}


def test_a_shard_whose_worker_dies_is_retried_to_the_same_bytes(tmp_path, tamis_cli,
                                                                 sample_dir):
    inputs = split_inputs(tmp_path, sample_dir)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["run", "--steps", ",".join(STEPS), str(inputs), "-o", str(cli_out),
                        "--no-progress", "--checkpoint-every", "3"])
    # The first attempt of shard 1 kills its worker process, as a lost node would.
    marks, env = failing(tmp_path, shard=1, attempts=1, mode="exit")
    stats = tamis.ray.run(tamis.Pipeline(STEPS), [inputs], ray_out, num_shards=3,
                          checkpoint_every=3, max_retries=2, runtime_env=env)
    assert sorted(p.name for p in marks.iterdir()) == ["attempt-1-0", "attempt-1-1"]
    assert_same_run(ray_out, cli_out, stats, tamis_cli)


def test_a_shard_that_always_fails_is_named_with_its_files(tmp_path, sample_dir):
    inputs = split_inputs(tmp_path, sample_dir)
    marks, env = failing(tmp_path, shard=2, attempts=100, mode="raise")
    with pytest.raises(tamis.ShardFailedError) as e:
        tamis.ray.run(tamis.Pipeline(STEPS), [inputs], tmp_path / "ray", num_shards=3,
                      max_retries=2, runtime_env=env)
    msg = str(e.value)
    # One attempt and two retries, the last one's error, and the shard's files (only its).
    assert "shard 2 of 3 failed after 2 retries" in msg, msg
    assert "attempt 2 of shard 2 fails" in msg, msg
    files = sorted(str(p) for p in inputs.iterdir())
    mine = tamis.ray._shards(files, 3)[2]
    assert mine and all(f in msg for f in mine), msg
    assert not any(f in msg for f in files if f not in mine), msg
    assert len(list(marks.iterdir())) == 3


def test_ray_run_refuses_existing_outputs_and_dedup_steps(tmp_path, sample_dir):
    p = tamis.Pipeline(STEPS)
    tamis.ray.run(p, [sample_dir], tmp_path / "o", num_shards=2)
    with pytest.raises(tamis.OutputExistsError):
        tamis.ray.run(p, [sample_dir], tmp_path / "o", num_shards=2)
    with pytest.raises(tamis.ConfigError, match="dedup"):
        tamis.ray.run(tamis.Pipeline(["minhash_dedup"]), [sample_dir], tmp_path / "d")


def sample_twice(tmp_path, sample_dir):
    """A folder with the sample pages in two files: every page has a duplicate."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(sample_dir / "pages.jsonl", inputs / "a.jsonl")
    shutil.copy(sample_dir / "pages.jsonl", inputs / "b.jsonl")
    return inputs


def assert_same_dedup(ray_out, cli_out, stats):
    """`tamis.ray.dedup` wrote what `tamis dedup` wrote, byte for byte, with its counts."""
    cli_stats = json.loads((cli_out / "stats.json").read_text())
    assert stats["dropped"] == cli_stats["dropped"] > 0
    assert stats["steps"] == cli_stats["steps"]
    for sub in ("kept", "dropped", "quarantine"):
        a, b = output_files(cli_out, sub), output_files(ray_out, sub)
        assert [p.relative_to(cli_out) for p in a] == [p.relative_to(ray_out) for p in b]
        for x, y in zip(a, b):
            assert x.read_bytes() == y.read_bytes(), x.name


@pytest.mark.parametrize("method,flags", [
    ("minhash", []),
    ("exact", ["--exact"]),
    ("lines", ["--lines"]),
])
def test_ray_dedup_writes_the_clis_bytes(tmp_path, tamis_cli, sample_dir, shared_or_none, method,
                                         flags):
    # Duplicates across files: the sample twice, plus the shared corpus when present.
    inputs = sample_twice(tmp_path, sample_dir)
    if shared_or_none is not None:
        for f in sorted(shared_or_none.iterdir()):
            shutil.copy(f, inputs / f.name)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["dedup", *flags, str(inputs), "-o", str(cli_out), "--no-progress"])
    # Every stage sharded in two, as two tasks at a time.
    stats = tamis.ray.dedup([inputs], ray_out, num_shards=2, method=method)
    assert_same_dedup(ray_out, cli_out, stats)


@pytest.mark.parametrize("method,flags", [("minhash", []), ("lines", ["--lines"])])
def test_a_dedup_task_whose_worker_dies_is_retried_to_the_same_bytes(tmp_path, tamis_cli,
                                                                     sample_dir, method, flags):
    inputs = sample_twice(tmp_path, sample_dir)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["dedup", *flags, str(inputs), "-o", str(cli_out), "--no-progress"])
    # The first attempt of shard 1 of the first stage kills its worker mid-run; the retry
    # starts that task over, over whatever the dead attempt left.
    marks, env = failing(tmp_path, shard=1, attempts=1, mode="exit")
    stats = tamis.ray.dedup([inputs], ray_out, num_shards=2, method=method, max_retries=2,
                            runtime_env=env)
    # Killed, then retried: the first stage's shard 1 ran twice.
    assert {"attempt-1-0", "attempt-1-1"} <= {p.name for p in marks.iterdir()}
    assert_same_dedup(ray_out, cli_out, stats)


def test_ray_select_writes_the_clis_bytes(tmp_path, tamis_cli):
    """The rank selection as Ray tasks: the scoring pass sharded by file, the thresholds by
    score field, the decisions by file; the CLI's files and thresholds, byte for byte."""
    from conftest import REPO

    model = REPO / "crates/tamis-filters/tests/golden/classifier/quality-bigram.bin"
    pipeline = tmp_path / "score.toml"
    pipeline.write_text(
        f'[[step]]\ntype = "fasttext_classifier"\nmodel = "{model}"\ninput = "dclm"\n'
        'key = "q_{label}"\n\n[[step]]\ntype = "token_count"\n')
    scored = tmp_path / "scored"
    run_cli(tamis_cli, ["run", "--pipeline", str(pipeline),
                        str(REPO / "tests/golden/subset-input.jsonl.zst"), str(REPO / "sample"),
                        "-o", str(scored), "--no-progress"])
    inputs = scored / "kept"
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["select", "--field", "q_hq", "--field", "q_cc", "--buckets", "4",
                        "--min-bucket", "3", "--weight-field", "token_count", str(inputs),
                        "-o", str(cli_out), "--no-progress"])
    stats = tamis.ray.select([inputs], ray_out, num_shards=2, fields=["q_hq", "q_cc"],
                             buckets=4, min_bucket=3, weight_field="token_count")
    assert set(stats["steps"][0]["thresholds"]) == {"q_hq", "q_cc"}
    assert_same_dedup(ray_out, cli_out, stats)
    # The local binding's `select` gives the same counts.
    local = tamis.select([inputs], tmp_path / "local", fields=["q_hq", "q_cc"], buckets=4,
                         min_bucket=3, weight_field="token_count")
    assert local["steps"] == stats["steps"]


def test_a_dedup_task_that_always_fails_is_named_with_its_stage(tmp_path, sample_dir):
    inputs = sample_twice(tmp_path, sample_dir)
    marks, env = failing(tmp_path, shard=1, attempts=100, mode="raise")
    with pytest.raises(tamis.ShardFailedError) as e:
        tamis.ray.dedup([inputs], tmp_path / "ray", num_shards=2, max_retries=1,
                        runtime_env=env)
    msg = str(e.value)
    assert "dedup stage signatures, shard 1 of 2 failed after 1 retries" in msg, msg
    assert "attempt 1 of shard 1 fails" in msg, msg
    assert len(list(marks.iterdir())) == 2


def test_shards_are_contiguous_and_balanced_by_size(tmp_path):
    files = []
    for i, size in enumerate([10, 10, 10, 10, 100, 1, 1, 1]):
        f = tmp_path / f"{i}.jsonl"
        f.write_text("x" * size)
        files.append(str(f))
    for n in (1, 2, 3, 8, 20):
        shards = tamis.ray._shards(files, n)
        assert sum(shards, []) == files and all(shards)
        assert len(shards) == min(n, len(files))
    # The 100-byte file ends the first of two shards: 140 of 143 bytes, not 4 files of 8.
    assert [len(s) for s in tamis.ray._shards(files, 2)] == [5, 3]
