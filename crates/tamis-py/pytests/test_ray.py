"""tamis on a real local Ray cluster (2 CPUs), compared with the CLI on the same inputs:
`map_batches` keeps the documents the CLI keeps, `tamis.ray.run` writes the CLI's kept records
in the CLI's order, and `tamis.ray.dedup` writes the CLI's `tamis dedup` files byte for byte."""

import json
import shutil

import pytest

ray = pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")

import tamis  # noqa: E402
import tamis.ray  # noqa: E402
from conftest import concat_decompressed, output_files, read_records, run_cli  # noqa: E402


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


@pytest.mark.parametrize("compression", ["none", "zstd"])
def test_ray_run_writes_the_clis_kept_records(tmp_path, tamis_cli, sample_dir, shared_or_none,
                                              compression):
    for name, inputs in corpora(sample_dir, shared_or_none):
        cli_out, ray_out = tmp_path / f"cli-{name}", tmp_path / f"ray-{name}"
        cli_run(tamis_cli, inputs, cli_out, compression)
        stats = tamis.ray.run(tamis.Pipeline(STEPS), inputs, ray_out, num_shards=2,
                              compression=compression)
        cli_stats = json.loads((cli_out / "stats.json").read_text())
        for k in ("read", "kept", "dropped", "quarantined", "input_files"):
            assert stats[k] == cli_stats[k], (name, k)
        for a, b in zip(stats["steps"], cli_stats["steps"]):
            assert {k: v for k, v in a.items() if k != "time_s"} == \
                {k: v for k, v in b.items() if k != "time_s"}
        for sub in ("kept", "dropped", "quarantine"):
            assert concat_decompressed(ray_out, sub) == concat_decompressed(cli_out, sub)
        if compression == "none":
            kept = output_files(ray_out, "kept")
            assert [p.name for p in kept] == [p.name for p in output_files(cli_out, "kept")]
            for a, b in zip(kept, output_files(cli_out, "kept")):
                assert a.read_bytes() == b.read_bytes()


def test_ray_run_refuses_existing_outputs_and_dedup_steps(tmp_path, sample_dir):
    p = tamis.Pipeline(STEPS)
    tamis.ray.run(p, [sample_dir], tmp_path / "o", num_shards=2)
    with pytest.raises(tamis.OutputExistsError):
        tamis.ray.run(p, [sample_dir], tmp_path / "o", num_shards=2)
    with pytest.raises(tamis.ConfigError, match="dedup"):
        tamis.ray.run(tamis.Pipeline(["minhash_dedup"]), [sample_dir], tmp_path / "d")


@pytest.mark.parametrize("method,flags", [
    ("minhash", []),
    ("exact", ["--exact"]),
    ("lines", ["--lines"]),
])
def test_ray_dedup_writes_the_clis_bytes(tmp_path, tamis_cli, sample_dir, shared_or_none, method,
                                         flags):
    inputs = tmp_path / "in"
    inputs.mkdir()
    # Duplicates across files: the sample twice, plus the shared corpus when present.
    shutil.copy(sample_dir / "pages.jsonl", inputs / "a.jsonl")
    shutil.copy(sample_dir / "pages.jsonl", inputs / "b.jsonl")
    if shared_or_none is not None:
        for f in sorted(shared_or_none.iterdir()):
            shutil.copy(f, inputs / f.name)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["dedup", *flags, str(inputs), "-o", str(cli_out), "--no-progress"])
    # Every stage sharded in two, as two tasks at a time.
    stats = tamis.ray.dedup([inputs], ray_out, num_shards=2, method=method)
    cli_stats = json.loads((cli_out / "stats.json").read_text())
    assert stats["dropped"] == cli_stats["dropped"] > 0
    assert stats["steps"] == cli_stats["steps"]
    for sub in ("kept", "dropped", "quarantine"):
        a, b = output_files(cli_out, sub), output_files(ray_out, sub)
        assert [p.relative_to(cli_out) for p in a] == [p.relative_to(ray_out) for p in b]
        for x, y in zip(a, b):
            assert x.read_bytes() == y.read_bytes(), x.name


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
