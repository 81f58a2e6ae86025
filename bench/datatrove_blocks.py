#!/usr/bin/env python3
"""Side-by-side benchmark of single datatrove blocks and their tamis steps, one core each, on
the shared corpora (pages and articles).

usage: bench/datatrove_blocks.py [--shared ../shared] [--cpu 0] [--repeat 5]

Blocks: `C4ParagraphFilter()` against `c4_paragraph`, `RegexFilter(r"(?i)\\bcookies?\\b")`
against `regex_filter` with the same pattern, and `UnigramLogProbFilter()` against
`unigram_logprob` with the word list of tamis's golden
(crates/tamis-filters/tests/golden/unigram/unigram_freq.csv.zst; datatrove's download is out of
reach, so its filter is pointed at that list).

Input: the corpora in one zstd JSONL file, once for datatrove and `--repeat` times for tamis (so
both run for seconds). Three rates, each pinned to one CPU: datatrove's pipeline (`JsonlReader`
-> block -> `JsonlWriter`, one task, as a user runs it), tamis's `tamis run ... --threads 1` (the
same reading, parsing and writing), and, for scale, datatrove's `filter()` alone on documents
built beforehand (no I/O). Prints documents per second, the pipeline ratio, and whether both
tools kept the same documents.

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

    # The word list tamis's golden uses, where datatrove's filter looks for its download.
    import datatrove.pipeline.filters.unigram_log_probs as unigram

    words = os.path.join(work, "unigram_freq.csv")
    with open(os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "unigram", "unigram_freq.csv.zst"),
              "rb") as f, open(words, "wb") as out:
        out.write(zstandard.ZstdDecompressor().decompress(f.read()))
    unigram.cached_assets_path = lambda **_: work

    # (label, datatrove block, the tamis step as a pipeline file's table)
    blocks = [
        ("C4ParagraphFilter / c4_paragraph", C4ParagraphFilter(), 'type = "c4_paragraph"'),
        (f"RegexFilter / regex_filter {PATTERN}", RegexFilter(PATTERN),
         f'type = "regex_filter"\nregex_exp = {json.dumps(PATTERN)}'),
        ("UnigramLogProbFilter / unigram_logprob", unigram.UnigramLogProbFilter(),
         f'type = "unigram_logprob"\nfrequencies = {json.dumps(words)}'),
    ]
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    # datatrove reads one copy (its slowest block runs at tens of documents a second).
    src_dir = os.path.join(work, "src")
    os.makedirs(src_dir)
    with open(os.path.join(src_dir, "in.jsonl.zst"), "wb") as f:
        one = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        f.write(zstandard.ZstdCompressor(level=3).compress(one.encode()))
    n = len(rows) * args.repeat
    for i, (label, block, step) in enumerate(blocks):
        docs = [Document(text=r["text"], id=r["id"]) for r in rows]
        os.sched_setaffinity(0, {int(args.cpu)})
        t0 = time.perf_counter()
        # Kept: True (or numpy's True); dropped: False or (False, reason).
        want = {d.id for d in docs if not isinstance(r := block.filter(d), tuple) and bool(r)}
        alone = time.perf_counter() - t0
        dt_out = os.path.join(work, "dt-out")
        shutil.rmtree(dt_out, ignore_errors=True)
        t0 = time.perf_counter()
        LocalPipelineExecutor(
            [JsonlReader(src_dir), block, JsonlWriter(dt_out)], tasks=1, workers=1,
            # A logging folder per block: datatrove skips the tasks a folder marks as done.
            logging_dir=os.path.join(work, f"dt-logs-{i}"),
        ).run()
        dt = time.perf_counter() - t0
        os.sched_setaffinity(0, set(range(os.cpu_count())))
        toml = os.path.join(work, f"step-{i}.toml")
        with open(toml, "w") as f:
            f.write(f"[[step]]\n{step}\n")
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([*pin, tamis, "run", "--pipeline", toml, "--threads", "1", "--no-progress", src, "-o", out],
                       check=True, capture_output=True)
        tt = time.perf_counter() - t0
        got = set()
        for fname in sorted(os.listdir(os.path.join(out, "kept"))):
            got |= {d["id"] for d in read_jsonl_zst(os.path.join(out, "kept", fname))}
        print(f"{label}: datatrove pipeline {len(rows) / dt:,.0f} docs/s ({mb / dt:.1f} MB/s), "
              f"tamis {n / tt:,.0f} docs/s ({mb * args.repeat / tt:.1f} MB/s), "
              f"ratio {(n / tt) / (len(rows) / dt):.1f}x; "
              f"datatrove filter() alone {len(rows) / alone:,.0f} docs/s; "
              f"same kept set: {got == want} ({len(want)} of {len(rows)} kept)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
