#!/usr/bin/env python3
"""Language identification speed: tamis-lid vs fastText's Python binding, same model
(models/lid.176.ftz), same inputs, one core each.

usage: bench/lid.py [--shared ../shared] [--cpu 1] [--docs 2000] [--repeat 3]

Inputs:
  lines  every line of ../shared/data/lid/lingua-testdata/*/testdata/sentences.txt (74,141
         sentences, 75 languages), predicted with k=3 like `model.predict(line, k=3)`
  docs   the first --docs documents of ../shared/data/corpus/pages.jsonl.zst, predicted the way
         datatrove 0.10.1's LanguageFilter does: text.replace("\\n", " "), k=-1, then the best
         label (tamis: Model::predict_document)

fastText runs in this process (pinned with os.sched_setaffinity to --cpu): for lines, both the
per-line call `model.predict(line, k=3)` and the batched call `model.predict(list_of_lines, k=3)`
(the binding's fastest path) are timed; for docs, datatrove's own sequence of calls. tamis runs
`cargo run --release -p tamis-lid --example lid_bench` under `taskset -c --cpu`. Each side times
only its prediction loop (inputs already in memory), best of --repeat runs. Rates and ratios use
the loop's thread CPU time (Python's time.thread_time, /proc/thread-self/schedstat in the Rust
binary): on a shared machine wall time also counts the time other processes held the core,
which made wall-clock ratios swing by 2x between runs; wall seconds are printed alongside.
MB/s counts UTF-8 bytes of the input texts.

Needs: pip install fasttext-numpy2-wheel zstandard
"""
import argparse
import glob
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lingua_lines(shared):
    lines = []
    for path in sorted(glob.glob(os.path.join(shared, "data/lid/lingua-testdata/*/testdata/sentences.txt"))):
        with open(path, "rb") as f:
            part = f.read().decode("utf-8").split("\n")
        if part and part[-1] == "":
            part.pop()
        lines += part
    return lines


def corpus_docs(shared, n):
    docs = []
    with open(os.path.join(shared, "data/corpus/pages.jsonl.zst"), "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        for line in reader:
            docs.append(json.loads(line)["text"])
            if len(docs) == n:
                break
    return docs


def best_of(repeat, fn):
    """(CPU seconds, wall seconds) of the fastest of `repeat` runs."""
    best = None
    for _ in range(repeat):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        run = (time.thread_time() - c0, time.perf_counter() - t0)
        best = run if best is None else min(best, run)
    return best


def datatrove_predict(model, text):
    """FastTextLID.predict of datatrove 0.10.1 (src/datatrove/utils/lid.py), languages=None."""
    langs, scores = model.predict(text.replace("\n", " "), k=-1)
    lang_pairs = {lang.split("__")[2]: score.item() for lang, score in zip(langs, scores)}
    return max(lang_pairs.items(), key=lambda x: x[1])


def tamis(mode, path, cpu, repeat):
    best = None
    for _ in range(repeat):
        cmd = ["taskset", "-c", cpu, "cargo", "run", "-q", "--release", "--locked", "-p", "tamis-lid",
               "--example", "lid_bench", "--", mode, path]
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
        summary = json.loads(p.stderr.strip().splitlines()[-1])
        run = (summary["cpu_seconds"] or summary["seconds"], summary["seconds"])
        best = run if best is None else min(best, run)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--cpu", default="1")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.sched_setaffinity(0, {int(args.cpu)})
    import fasttext

    model = fasttext.load_model(os.path.join(ROOT, "models/lid.176.ftz"))
    lines = lingua_lines(args.shared)
    docs = corpus_docs(args.shared, args.docs)
    subprocess.run(["cargo", "build", "-q", "--release", "--locked", "-p", "tamis-lid", "--example", "lid_bench"],
                   cwd=ROOT, check=True)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        lines_path = os.path.join(tmp, "lines.txt")
        with open(lines_path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        docs_path = os.path.join(tmp, "docs.jsonl")
        with open(docs_path, "w", encoding="utf-8") as f:
            f.write("".join(json.dumps({"text": t}) + "\n" for t in docs))

        n_bytes = sum(len(t.encode("utf-8")) for t in lines)
        ft_each = best_of(args.repeat, lambda: [model.predict(t, k=3) for t in lines])
        ft_batch = best_of(args.repeat, lambda: model.predict(lines, k=3))
        ours = tamis("lines", lines_path, args.cpu, args.repeat)
        rows.append(("lines", len(lines), n_bytes, "fastText predict(line, k=3)", ft_each))
        rows.append(("lines", len(lines), n_bytes, "fastText predict(lines, k=3), batched", ft_batch))
        rows.append(("lines", len(lines), n_bytes, "tamis predict_with(k=3)", ours))

        d_bytes = sum(len(t.encode("utf-8")) for t in docs)
        ft_docs = best_of(args.repeat, lambda: [datatrove_predict(model, t) for t in docs])
        ours_docs = tamis("docs", docs_path, args.cpu, args.repeat)
        rows.append(("docs", len(docs), d_bytes, "fastText as datatrove calls it (k=-1)", ft_docs))
        rows.append(("docs", len(docs), d_bytes, "tamis predict_document_with", ours_docs))

    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, pinned to CPU {args.cpu}")
    print("| input | items | MB | run | CPU s | wall s | items/s | MB/s |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for inp, n, b, run, (cpu, wall) in rows:
        print(f"| {inp} | {n:,} | {b / 1e6:.1f} | {run} | {cpu:.3f} | {wall:.3f} | {n / cpu:,.0f} | {b / 1e6 / cpu:.2f} |")
    print(f"lines: tamis / fastText = {ft_each[0] / ours[0]:.1f}x per-line calls, {ft_batch[0] / ours[0]:.1f}x batched")
    print(f"docs:  tamis / fastText (datatrove's calls) = {ft_docs[0] / ours_docs[0]:.1f}x")


if __name__ == "__main__":
    main()
