#!/usr/bin/env python3
"""Supervised training speed and accuracy: tamis-lid's trainer vs fastText's own (Python
package fasttext-numpy2-wheel 0.9.2), same data, same arguments, at 1 thread and at N threads.

usage: bench/train.py [--shared ../shared] [--threads 2] [--repeat 3] [--train-per-lang 800]
                      [--heldout-per-lang 200] [-- fastText options, default:
                       -dim 32 -epoch 5 -lr 0.5 -wordNgrams 2 -bucket 1000000]

Data: lingua's test sentences of all 75 languages (../shared/data/lid/lingua-testdata, 1,000 per
language): the first --train-per-lang of each language for training (shuffled with
random.Random(0); about a million tokens with the defaults), the next --heldout-per-lang for
held-out evaluation, one "__label__<lang> sentence" per line.

fastText runs `fasttext.train_supervised(input=..., thread=T, verbose=2, ...)` in a fresh Python
process per run (fastText's input matrix is not zeroed, see tools/gen_train_golden.py, so
reusing a process changes its results); tamis runs the example binary
`crates/tamis-lid/examples/train.rs` (built here with `cargo build --release -p tamis-lid
--example train`, CARGO_TARGET_DIR honoured). For each side and thread count, best of --repeat:

  wall      seconds of the whole training call (reading the data, building the dictionary,
            initialising, training), as a user waits for it
  train     seconds of the training threads alone (fastText: tokens / its own final
            words/sec/thread / threads; tamis: TrainStats::train_seconds)
  w/s/t     words (tokens) per second per thread in the training phase, fastText's own measure
  P@1       precision at one on the held-out lines, mean over the runs, both models evaluated
            by fastText's model.test on the saved .bin (tamis writes fastText's format)

and whether the thread-1 .bin files are byte-identical. Hogwild runs (threads > 1) differ from
run to run on both sides.

Needs: pip install fasttext-numpy2-wheel; cargo.
"""
import argparse
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OPTS = ["-dim", "32", "-epoch", "5", "-lr", "0.5", "-wordNgrams", "2", "-bucket", "1000000"]

FT_RUN = r"""
import json, re, sys, time, io, os
import fasttext
inp, heldout, out, thread, opts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
# fastText prints progress on stderr (fd 2, from C++): capture it in a file
log = out + ".log"
fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
saved = os.dup(2); os.dup2(fd, 2)
t = time.perf_counter()
m = fasttext.train_supervised(input=inp, thread=thread, verbose=2, **opts)
wall = time.perf_counter() - t
os.dup2(saved, 2)
m.save_model(out)
text = open(log, errors="replace").read().replace("\r", "\n")
wst = [float(x) for x in re.findall(r"words/sec/thread:\s*([0-9.]+)", text)]
print(json.dumps({"wall": wall, "wst": wst[-1] if wst else None, "p1": m.test(heldout)[1]}))
"""

FT_TEST = r"""
import json, sys, fasttext
print(json.dumps(fasttext.load_model(sys.argv[1]).test(sys.argv[2])[1]))
"""

NAMES = {"-lr": ("lr", float), "-dim": ("dim", int), "-ws": ("ws", int), "-epoch": ("epoch", int),
         "-minCount": ("minCount", int), "-minCountLabel": ("minCountLabel", int),
         "-neg": ("neg", int), "-wordNgrams": ("wordNgrams", int), "-loss": ("loss", str),
         "-bucket": ("bucket", int), "-minn": ("minn", int), "-maxn": ("maxn", int),
         "-lrUpdateRate": ("lrUpdateRate", int), "-t": ("t", float), "-seed": ("seed", int)}


def make_data(shared, tmp, ntrain, nheld):
    root = os.path.join(shared, "data/lid/lingua-testdata")
    train, held = [], []
    for lang in sorted(os.listdir(root)):
        path = os.path.join(root, lang, "testdata/sentences.txt")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", newline="") as f:
            s = [l for l in f.read().split("\n") if l.strip()]
        train += [f"__label__{lang} {t}" for t in s[:ntrain]]
        held += [f"__label__{lang} {t}" for t in s[ntrain:ntrain + nheld]]
    random.Random(0).shuffle(train)
    paths = os.path.join(tmp, "train.txt"), os.path.join(tmp, "heldout.txt")
    for p, lines in zip(paths, (train, held)):
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(lines) + "\n")
    return paths, len(train), len(held)


def run_fasttext(train, heldout, out, thread, opts):
    kw = {NAMES[k][0]: NAMES[k][1](v) for k, v in zip(opts[::2], opts[1::2])}
    r = subprocess.run([sys.executable, "-c", FT_RUN, train, heldout, out, str(thread), json.dumps(kw)],
                       check=True, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_tamis(binary, train, heldout, out, thread, opts):
    r = subprocess.run([binary, "supervised", "-input", train, "-output", out[:-4], "-thread", str(thread)] + opts,
                       check=True, capture_output=True, text=True)
    m = re.search(r"tokens ([0-9]+) time ([0-9.]+)s prepare ([0-9.]+)s train ([0-9.]+)s "
                  r"words/sec/thread ([0-9.]+)", r.stdout)
    p1 = json.loads(subprocess.run([sys.executable, "-c", FT_TEST, out, heldout], check=True,
                                   capture_output=True, text=True).stdout.strip().splitlines()[-1])
    return {"ntokens": int(m[1]), "wall": float(m[2]), "train": float(m[4]), "wst": float(m[5]), "p1": p1}


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--train-per-lang", type=int, default=800)
    ap.add_argument("--heldout-per-lang", type=int, default=200)
    ap.add_argument("opts", nargs="*", help="fastText options (after --)")
    a = ap.parse_args()
    opts = a.opts or DEFAULT_OPTS

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tamis-lid", "--example", "train"],
                   cwd=ROOT, check=True)
    binary = os.path.join(target, "release", "examples", "train")

    tmp = tempfile.mkdtemp()
    (train, heldout), ntrain, nheld = make_data(a.shared, tmp, a.train_per_lang, a.heldout_per_lang)
    print(f"data: {ntrain} training lines, {nheld} held-out lines; options: {' '.join(opts)}")
    print(f"machine: {os.cpu_count()} CPUs\n")

    results = {}
    for thread in sorted({1, a.threads}):
        for side in ("fasttext", "tamis"):
            runs = []
            for i in range(a.repeat):
                out = os.path.join(tmp, f"{side}-t{thread}-{i}.bin")
                if side == "fasttext":
                    r = run_fasttext(train, heldout, out, thread, opts)
                else:
                    r = run_tamis(binary, train, heldout, out, thread, opts)
                r["sha"] = sha(out)
                runs.append(r)
            results[(side, thread)] = runs

    # fastText's training seconds from its own rate (same dictionary, so the same
    # epoch * ntokens tokens as tamis reports).
    epoch = int(dict(zip(opts[::2], opts[1::2])).get("-epoch", 5))
    tokens = epoch * results[("tamis", 1)][0]["ntokens"]
    print(f"{'':10} {'threads':>7} {'wall s':>8} {'train s':>8} {'w/s/t':>11} {'P@1':>7}")
    rows = {}
    for (side, thread), runs in results.items():
        wall = min(r["wall"] for r in runs)
        wst = max(r["wst"] for r in runs)
        p1 = statistics.mean(r["p1"] for r in runs)
        if side == "tamis":
            train_s = min(r["train"] for r in runs)
        else:
            train_s = tokens / wst / thread
        rows[(side, thread)] = (wall, wst, p1)
        print(f"{side:10} {thread:7} {wall:8.2f} {train_s:8.2f} {wst:11.0f} {p1:7.4f}")
    print()
    for thread in sorted({1, a.threads}):
        fw, fs, fp = rows[("fasttext", thread)]
        tw, ts, tp = rows[("tamis", thread)]
        print(f"threads {thread}: tamis/fastText wall {fw / tw:.2f}x faster, "
              f"w/s/t {ts / fs:.2f}x, P@1 {100 * (tp - fp):+.2f} points")
    same = {r["sha"] for r in results[("fasttext", 1)]} == {r["sha"] for r in results[("tamis", 1)]}
    print(f"\nthread 1 .bin byte-identical: {same}")


if __name__ == "__main__":
    main()
