"""Parity with the CLI: `Pipeline.run` goes through the code of `tamis run`, so every output
file is byte-identical; the batch API keeps the same documents with the same text and metadata.
On the committed sample, and on the shared corpus where it is present."""

import json

import pytest

import tamis
from conftest import output_files, read_records, run_cli

TIMING = {"elapsed_s", "time_s", "threads"}


def strip_timing(v):
    if isinstance(v, dict):
        return {k: strip_timing(x) for k, x in v.items() if k not in TIMING}
    if isinstance(v, list):
        return [strip_timing(x) for x in v]
    return v


def assert_same_outputs(a, b):
    for sub in ("kept", "dropped", "quarantine"):
        fa = [p.relative_to(a) for p in output_files(a, sub)]
        fb = [p.relative_to(b) for p in output_files(b, sub)]
        assert fa == fb, sub
        for rel in fa:
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    sa = json.loads((a / "stats.json").read_text())
    sb = json.loads((b / "stats.json").read_text())
    assert strip_timing(sa) == strip_timing(sb)


PIPELINE = (
    '[[step]]\ntype = "line_clean"\n[[step]]\ntype = "gopher_repetition"\n'
    '[[step]]\ntype = "gopher_quality"\n[[step]]\ntype = "c4_quality"\n'
    "filter_no_terminal_punct = false\n[[step]]\ntype = \"fineweb_quality\"\n"
)


def check_run_parity(tmp_path, tamis_cli, inputs, compression):
    spec = tmp_path / "p.toml"
    spec.write_text(PIPELINE)
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    run_cli(tamis_cli, ["run", "--pipeline", str(spec), *map(str, inputs), "-o", str(cli_out),
                        "--compression", compression, "--no-progress"])
    p = tamis.Pipeline.from_file(spec)
    stats = p.run(inputs, py_out, compression=compression)
    assert stats["kept"] > 0 and stats["dropped"] > 0
    assert_same_outputs(cli_out, py_out)
    return cli_out, p


@pytest.mark.parametrize("compression", ["zstd", "none"])
def test_python_run_writes_the_clis_bytes_on_the_sample(tmp_path, tamis_cli, sample_dir,
                                                        compression):
    check_run_parity(tmp_path, tamis_cli, [sample_dir], compression)


def test_python_run_writes_the_clis_bytes_on_the_shared_corpus(tmp_path, tamis_cli,
                                                               shared_corpus):
    check_run_parity(tmp_path, tamis_cli, [shared_corpus], "zstd")


def test_batch_api_keeps_what_the_cli_keeps(tmp_path, tamis_cli, sample_dir):
    cli_out, p = check_run_parity(tmp_path, tamis_cli, [sample_dir / "pages.jsonl"], "zstd")
    docs = read_records(sample_dir / "pages.jsonl")
    r = p.apply([d["text"] for d in docs], ids=[d["id"] for d in docs],
                metadata=[d.get("metadata", {}) for d in docs])
    kept = [
        {"id": d["id"], "text": t, "metadata": m}
        for d, t, m, k in zip(docs, r["text"], r["metadata"], r["kept"]) if k
    ]
    cli_kept = [rec for f in output_files(cli_out, "kept") for rec in read_records(f)]
    assert kept == cli_kept
    dropped = [(d["id"], reason) for d, reason, k in zip(docs, r["reason"], r["kept"]) if not k]
    cli_dropped = [
        (rec["id"], rec["metadata"]["filter_reason"])
        for f in output_files(cli_out, "dropped") for rec in read_records(f)
    ]
    assert dropped == cli_dropped
