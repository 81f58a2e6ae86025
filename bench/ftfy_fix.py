#!/usr/bin/env python3
"""Side-by-side benchmark: tamis's `ftfy` step vs datatrove 0.10.1's `FTFYFormatter` (ftfy 6.3.1),
one core each, on the shared corpus pages.

usage: bench/ftfy_fix.py [--shared ../shared] [--cpu 0]

datatrove formats every page in this process (no reading or writing); tamis runs
`tamis run --steps ftfy --threads 1`, reading and writing zstd JSONL, pinned to one CPU. Prints
MB/s of text, the ratio, and whether both produce the same texts.

Needs: a release build (cargo build --release -p tamis-cli), pip install 'datatrove==0.10.1'
'ftfy==6.3.1' zstandard
"""
import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--cpu", default="0")
    args = ap.parse_args()
    import zstandard
    from datatrove.pipeline.formatters import FTFYFormatter

    tamis = os.path.join(ROOT, "target", "release", "tamis")
    if not os.path.exists(tamis):
        sys.exit("build first: cargo build --release -p tamis-cli")
    src = os.path.join(args.shared, "data", "corpus", "pages.jsonl.zst")
    with open(src, "rb") as f:
        docs = [json.loads(l) for l in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
                if l.strip()]
    mb = sum(len(d["text"].encode()) for d in docs) / 1e6
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs; {len(docs)} pages, {mb:.1f} MB")

    os.sched_setaffinity(0, {int(args.cpu)})
    fmt = FTFYFormatter()
    fmt.format("warm up")
    t0 = time.perf_counter()
    want = {d["id"]: fmt.format(d["text"]) for d in docs}
    dt = time.perf_counter() - t0
    os.sched_setaffinity(0, set(range(os.cpu_count())))

    work = tempfile.mkdtemp(prefix="tamis-ftfy-")
    out = os.path.join(work, "out")
    pin = ["taskset", "-c", args.cpu] if shutil.which("taskset") else []
    t0 = time.perf_counter()
    subprocess.run([*pin, tamis, "run", "--steps", "ftfy", "--threads", "1", "--no-progress", src, "-o", out],
                   check=True, capture_output=True)
    tt = time.perf_counter() - t0
    got = {}
    for fn in sorted(os.listdir(os.path.join(out, "kept"))):
        with open(os.path.join(out, "kept", fn), "rb") as f:
            for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
                d = json.loads(line)
                got[d["id"]] = d["text"]
    same = sum(got.get(k) == v for k, v in want.items())
    changed = sum(d["text"] != want[d["id"]] for d in docs)
    print(f"datatrove FTFYFormatter: {mb / dt:.2f} MB/s; tamis ftfy: {mb / tt:.1f} MB/s; {dt / tt:.0f}x; "
          f"{changed} pages changed; same text on {same} of {len(want)} ids")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
