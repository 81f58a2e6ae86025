"""Shared fixtures: the repo's committed sample, the shared corpus (skipped where absent, as in a
fresh clone), and the `tamis` CLI binary the parity tests compare against."""

import io
import json
import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SAMPLE = REPO / "sample"
SHARED_CORPUS = REPO.parent / "shared" / "data" / "corpus"


def cli_binary():
    """The CLI to compare with: $TAMIS_CLI, else a built target/{release,debug}/tamis."""
    env = os.environ.get("TAMIS_CLI")
    if env:
        return env
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("release", "debug"):
        p = target / profile / "tamis"
        if p.exists():
            return str(p)
    return shutil.which("tamis")


@pytest.fixture(scope="session")
def tamis_cli():
    path = cli_binary()
    if path is None:
        pytest.skip("no tamis binary: build it (cargo build -p tamis-cli) or set TAMIS_CLI")
    return path


@pytest.fixture(scope="session")
def shared_corpus():
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} is absent (a fresh clone has no ../shared)")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def sample_dir():
    assert SAMPLE.is_dir(), SAMPLE
    return SAMPLE


def run_cli(cli, args):
    r = subprocess.run([cli, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def read_records(path):
    """The JSON records of an output file (.jsonl, .jsonl.zst, .jsonl.gz)."""
    raw = pathlib.Path(path).read_bytes()
    if str(path).endswith(".zst"):
        raw = decompress_zstd(raw)
    elif str(path).endswith(".gz"):
        import gzip

        raw = gzip.decompress(raw)
    return [json.loads(line) for line in raw.decode().splitlines() if line]


def decompress_zstd(raw):
    try:
        import zstandard
    except ImportError:
        zstandard = None
    if zstandard is not None:
        # Every frame: tamis writes one zstd frame per checkpointed part.
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
        return reader.read()
    r = subprocess.run(["zstd", "-dc"], input=raw, capture_output=True, check=True)
    return r.stdout


def output_files(out_dir, sub):
    d = pathlib.Path(out_dir) / sub
    return sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))
