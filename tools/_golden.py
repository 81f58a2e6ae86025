"""Helpers the golden-file generators share: the repository root and zstd-compressed JSONL.

Goldens are written with zstd level 19 in one frame, so a rerun with the same reference tool
rewrites byte-identical files and `git diff` shows only real changes.
"""
import io, json, os

import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBSET_INPUT = os.path.join(ROOT, "tests", "golden", "subset-input.jsonl.zst")


def read_jsonl_zst(path):
    """Yields the records of a .jsonl.zst file, skipping blank lines."""
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def write_lines_zst(path, lines):
    """Writes already-serialised JSONL lines (each ending in a newline) as one zstd frame."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress("".join(lines).encode("utf-8")))


def write_jsonl_zst(path, rows):
    """Writes records as JSONL (non-ASCII kept as is) in one zstd frame."""
    write_lines_zst(path, (json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
