"""Helpers the golden-file generators share: the repository root and zstd-compressed JSONL.

Goldens are written with zstd level 19 in one frame, so a rerun with the same reference tool
rewrites byte-identical files and `git diff` shows only real changes.
"""
import io, json, os, sys

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


def train_supervised_seeded(train, first_seed, name, **opts):
    """`fasttext.train_supervised(input=train, seed=..., **opts)` with the first of 20 seeds
    from `first_seed` that trains: fastText sometimes stops with "Encountered NaN", and another
    seed gets past it. Returns the model and its seed; exits naming `name` if none trains."""
    import fasttext

    for seed in range(first_seed, first_seed + 20):
        try:
            return fasttext.train_supervised(input=train, seed=seed, **opts), seed
        except RuntimeError as e:
            print(f"  {name} seed {seed}: {e}")
    sys.exit(f"could not train {name}")


def corpus_docs(shared):
    """The texts golden generators check: every page of ../shared's two corpora (by id; left out
    with a note when absent), then the committed subset (by index), as ({"source", "id" |
    "index"}, text) pairs."""
    docs = []
    for corpus in ("pages", "articles"):
        path = os.path.join(shared, "data", "corpus", f"{corpus}.jsonl.zst")
        if os.path.exists(path):
            docs += [({"source": corpus, "id": r["id"]}, r["text"]) for r in read_jsonl_zst(path)]
        else:
            print(f"note: {path} absent, corpus pages not included")
    subset = list(read_jsonl_zst(SUBSET_INPUT))
    return docs + [({"source": "subset", "index": i}, r["text"]) for i, r in enumerate(subset)]
