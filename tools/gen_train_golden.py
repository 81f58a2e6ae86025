#!/usr/bin/env python3
"""Generate the training data and goldens for tamis-lid's trainer (crates/tamis-lid/tests/train.rs)
with the reference: fastText's own trainer through its Python package (pip package
fasttext-numpy2-wheel 0.9.2, import name `fasttext`, built from fastText's main branch with GCC 10).

usage: tools/gen_train_golden.py [--data] [--shared ../shared] [--out crates/tamis-lid/tests/golden]

With --data, first (re)writes the training set from lingua's test sentences
(../shared/data/lid/lingua-testdata/<lang>/testdata/sentences.txt, Apache-2.0), in fastText's
format "__label__<lang> sentence", one per line:

  train-lingua.txt.zst     for each of LANGS, TRAIN_PER_LANG sentences (the first ones of the
                           file); Romance-language lines also carry a second label,
                           __label__romance, so multi-label examples are exercised; lines
                           shuffled with random.Random(0)
  heldout-lingua.txt.zst   the next HELDOUT_PER_LANG sentences of each language, labelled
                           likewise (model.test counts a prediction right if it is any of the
                           line's labels)

Then, from those committed files, for each configuration of CONFIGS trains with
fasttext.train_supervised(input=..., thread=1, verbose=0, **args), saves the model with
model.save_model() and records in train-golden.json:

  {"name", "args", "sha256", "size", "heldout_p1", "predictions": [{"line", "labels", "probs"}]}

  sha256/size   of the .bin fastText wrote: the Rust trainer must write the same bytes
  heldout_p1    precision at one on the held-out lines (model.test)
  predictions   model.predict(line, k=2) for the first 20 held-out lines; probabilities are the
                shortest decimal that reads back as the f32 (numpy's str of a float32)

Each model is trained in a fresh Python process, twice, and the two files must agree. This is
not caution but a fastText quirk: since its "Predict 1.9-4.2x faster" change, DenseMatrix
allocates with posix_memalign (src/aligned.h) and does not zero, and DenseMatrix::uniform with
thread=1 fills only the first tenth of the input matrix. The other rows start as whatever the
allocator returns: zero pages from a fresh mmap in a new process (what tamis reproduces), but
the leftovers of an earlier model when several are trained in one process, which changes the
file and can even make training diverge ("Encountered NaN").

Finally "multithread": fastText's held-out precision at one for MT_CONFIG with thread=2, over
three seeds (Hogwild results vary from run to run), for the floor the multi-threaded test
asserts.

Needs: pip install fasttext-numpy2-wheel zstandard numpy
"""
import argparse
import hashlib
import subprocess
import json
import os
import random
import sys
import tempfile

import numpy as np
import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LANGS = ["de", "en", "fr", "es", "it", "pt", "nl", "sv", "pl", "ru", "el", "tr"]
ROMANCE = {"fr", "es", "it", "pt"}
TRAIN_PER_LANG = 200
HELDOUT_PER_LANG = 40
N_PREDICTIONS = 20

# Small dims, small buckets, every loss, word n-grams and subwords, minCount > 1: each path of
# the trainer at least once, fast enough for a debug-profile test.
CONFIGS = [
    ("softmax-d16", dict(dim=16, epoch=10, lr=0.5, loss="softmax")),
    ("softmax-ngrams2-mincount2", dict(dim=12, epoch=10, lr=0.5, loss="softmax", wordNgrams=2,
                                       bucket=20000, minCount=2, seed=3)),
    ("hs-subwords", dict(dim=10, epoch=10, lr=0.5, loss="hs", minn=2, maxn=4, bucket=30000)),
    ("ns-ngrams2", dict(dim=16, epoch=10, lr=0.3, loss="ns", neg=3, wordNgrams=2, bucket=10000,
                        seed=7, lrUpdateRate=50)),
    ("ova-subwords-ngrams2", dict(dim=16, epoch=8, lr=0.5, loss="ova", minn=3, maxn=5,
                                  wordNgrams=2, bucket=50000)),
    ("softmax-subwords-d32", dict(dim=32, epoch=5, lr=0.8, loss="softmax", minn=3, maxn=3,
                                  bucket=15000, minCountLabel=2, seed=-5)),
]
MT_CONFIG = dict(dim=16, epoch=10, lr=0.5, loss="softmax", wordNgrams=2, bucket=20000)
MT_SEEDS = [0, 1, 2]


def read_zst_text(path):
    with open(path, "rb") as f:
        return zstandard.ZstdDecompressor().stream_reader(f).read().decode("utf-8")


def write_zst_text(path, text):
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(text.encode("utf-8")))


def sentences(shared, lang):
    path = os.path.join(shared, "data/lid/lingua-testdata", lang, "testdata/sentences.txt")
    with open(path, encoding="utf-8", newline="") as f:
        lines = [l.strip() for l in f.read().split("\n")]
    # fastText reads whitespace-separated tokens; a lone U+0085 and friends stay inside words
    return [" ".join(l.split(" ")) for l in lines if l.strip()]


def make_data(shared, out):
    train, heldout = [], []
    for lang in LANGS:
        s = sentences(shared, lang)
        assert len(s) >= TRAIN_PER_LANG + HELDOUT_PER_LANG, lang
        labels = f"__label__{lang}" + (" __label__romance" if lang in ROMANCE else "")
        train += [f"{labels} {t}" for t in s[:TRAIN_PER_LANG]]
        heldout += [f"{labels} {t}" for t in s[TRAIN_PER_LANG:TRAIN_PER_LANG + HELDOUT_PER_LANG]]
    random.Random(0).shuffle(train)
    random.Random(1).shuffle(heldout)
    write_zst_text(os.path.join(out, "train-lingua.txt.zst"), "\n".join(train) + "\n")
    write_zst_text(os.path.join(out, "heldout-lingua.txt.zst"), "\n".join(heldout) + "\n")


def f32str(p):
    return str(np.float32(p))


def train_one(name, train_path, heldout_path, tmp):
    """Trains configuration `name` in this process; returns its golden record."""
    import fasttext

    args = dict(CONFIGS)[name]
    model = fasttext.train_supervised(input=train_path, thread=1, verbose=0, **args)
    bin_path = os.path.join(tmp, name + ".bin")
    model.save_model(bin_path)
    data = open(bin_path, "rb").read()
    _, p1, _ = model.test(heldout_path)
    with open(heldout_path, encoding="utf-8", newline="") as f:
        heldout_lines = f.read().split("\n")[:N_PREDICTIONS]
    preds = []
    for i, line in enumerate(heldout_lines):
        labels, probs = model.predict(line, k=2)
        preds.append({"line": i, "labels": list(labels), "probs": [f32str(p) for p in probs]})
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "heldout_p1": p1,
            "predictions": preds}


def train_in_fresh_process(name, train_path, heldout_path, tmp):
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--one", name, train_path, heldout_path, tmp],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        print(json.dumps(train_one(*sys.argv[2:])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", action="store_true", help="rewrite the training data from --shared")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates/tamis-lid/tests/golden"))
    a = ap.parse_args()
    import fasttext

    if a.data:
        make_data(a.shared, a.out)
    tmp = tempfile.mkdtemp()
    train_path = os.path.join(tmp, "train.txt")
    heldout_path = os.path.join(tmp, "heldout.txt")
    with open(train_path, "w", encoding="utf-8", newline="") as f:
        f.write(read_zst_text(os.path.join(a.out, "train-lingua.txt.zst")))
    heldout_text = read_zst_text(os.path.join(a.out, "heldout-lingua.txt.zst"))
    with open(heldout_path, "w", encoding="utf-8", newline="") as f:
        f.write(heldout_text)

    golden = {"fasttext": "fasttext-numpy2-wheel 0.9.2", "configs": [], "multithread": {}}
    for name, args in CONFIGS:
        runs = [train_in_fresh_process(name, train_path, heldout_path, tmp) for _ in range(2)]
        assert runs[0] == runs[1], f"{name}: two fresh runs disagree"
        rec = runs[0]
        golden["configs"].append({"name": name, "args": args, **rec})
        print(f"{name}: {rec['size']} bytes, P@1 {rec['heldout_p1']:.4f}", file=sys.stderr)
    p1s = []
    for seed in MT_SEEDS:
        model = fasttext.train_supervised(input=train_path, thread=2, verbose=0, seed=seed, **MT_CONFIG)
        p1s.append(model.test(heldout_path)[1])
    golden["multithread"] = {"args": MT_CONFIG, "thread": 2, "seeds": MT_SEEDS, "heldout_p1": p1s}
    print(f"multithread P@1 {p1s}", file=sys.stderr)
    with open(os.path.join(a.out, "train-golden.json"), "w") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
