#!/usr/bin/env python3
"""Side-by-side benchmark of single datatrove blocks and their tamis steps, one core each, on
the shared corpora (pages and articles).

usage: bench/datatrove_blocks.py [--shared ../shared] [--cpu 0] [--repeat 5]

Blocks: `C4ParagraphFilter()` against `c4_paragraph`, and `RegexFilter(r"(?i)\\bcookies?\\b")`
against `regex_filter` with the same pattern. datatrove calls `filter()` on every document in
this process (no reading or writing; documents built beforehand); tamis runs `tamis run --steps
... --threads 1` over the corpora written `--repeat` times into one zstd JSONL file (reading,
parsing and writing included, start-up once), pinned to one CPU with taskset. Prints documents
per second for each, the ratio, and whether both kept the same documents.

Needs: a release build (cargo build --release -p tamis-cli), pip install 'datatrove==0.10.1'
zstandard
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from _golden import read_jsonl_zst  # noqa: E402

PATTERN = r"(?i)\bcookies?\b"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--cpu", default="0")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import zstandard
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4ParagraphFilter, RegexFilter

    tamis = os.path.join(ROOT, "target", "release", "tamis")
    if not os.path.exists(tamis):
        sys.exit("build first: cargo build --release -p tamis-cli")
    rows = []
    for name in ("pages", "articles"):
        rows += list(read_jsonl_zst(os.path.join(args.shared, "data", "corpus", f"{name}.jsonl.zst")))
    rows = [{"id": f"{i}", "text": r["text"]} for i, r in enumerate(rows)]
    mb = sum(len(r["text"].encode()) for r in rows) / 1e6
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs; {len(rows)} documents, {mb:.1f} MB of text")

    work = tempfile.mkdtemp(prefix="tamis-blocks-")
    src = os.path.join(work, "in.jsonl.zst")
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) * args.repeat
    with open(src, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=3).compress(body.encode()))
    pin = ["taskset", "-c", args.cpu] if shutil.which("taskset") else []

    blocks = [
        ("C4ParagraphFilter / c4_paragraph", C4ParagraphFilter(), ["--steps", "c4_paragraph"]),
        (f"RegexFilter / regex_filter {PATTERN}", RegexFilter(PATTERN),
         ["--pipeline", None]),
    ]
    for label, block, tamis_args in blocks:
        docs = [Document(text=r["text"], id=r["id"]) for r in rows]
        os.sched_setaffinity(0, {int(args.cpu)})
        t0 = time.perf_counter()
        want = {d.id for d in docs if block.filter(d) is True}
        dt = time.perf_counter() - t0
        os.sched_setaffinity(0, set(range(os.cpu_count())))
        if tamis_args[-1] is None:
            toml = os.path.join(work, "regex.toml")
            with open(toml, "w") as f:
                f.write(f"[[step]]\ntype = \"regex_filter\"\nregex_exp = {json.dumps(PATTERN)}\n")
            tamis_args = ["--pipeline", toml]
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([*pin, tamis, "run", *tamis_args, "--threads", "1", "--no-progress", src, "-o", out],
                       check=True, capture_output=True)
        tt = time.perf_counter() - t0
        got = set()
        for fname in sorted(os.listdir(os.path.join(out, "kept"))):
            got |= {d["id"] for d in read_jsonl_zst(os.path.join(out, "kept", fname))}
        n_dt, n_t = len(rows), len(rows) * args.repeat
        print(f"{label}: datatrove {n_dt / dt:,.0f} docs/s ({mb / dt:.1f} MB/s), "
              f"tamis {n_t / tt:,.0f} docs/s ({mb * args.repeat / tt:.1f} MB/s), "
              f"ratio {(n_t / tt) / (n_dt / dt):.1f}x; same kept set: {got == want} ({len(want)} kept)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
