#!/usr/bin/env python3
"""Model-based selection across cores: classification, training and rank selection with 1, 2,
4, ... threads, tamis beside fastText's Python binding, on one machine.

usage: bench/scaling.py [--shared ../shared] [--tamis target/release/tamis]
                        [--threads 1,2,4,8,16] [--repeat-corpus 8] [--out FILE.json]

What it runs (every step prints its table; --out also writes the numbers as JSON):

  classify  `tamis run` with one `fasttext_classifier` step (input "dclm") over the shared
            corpora (pages and articles, 4,254 documents) repeated --repeat-corpus times, at each
            thread count: wall seconds, documents/s, speed-up over one thread, and whether the
            kept files are byte-identical to the one-thread run. The model is trained first by
            `tamis train-classifier` (DCLM's labels: trafilatura's articles `hq` against the
            pages' lines of under 8 words grouped by page `cc`; word bigrams, dim 64).
  train     supervised training on lingua's test sentences (75 languages, 800 per language for
            training, the next 200 held out), softmax with word bigrams (dim 32, 5 epochs,
            bucket 1M), at each thread count: `tamis train-classifier` and, when the `fasttext`
            package imports, `fasttext.train_supervised` in a fresh process; wall seconds and
            held-out precision at one (both models scored by tamis-lid, which is fastText's
            inference bit for bit; the thread-1 models must be byte-identical).
  select    `tamis select --top 0.1` over the scored documents at each thread count: wall
            seconds and whether the outputs are byte-identical.

Timings are wall clock of whole commands, one run each: on a busy machine, rerun. The script
only reads --shared and writes under a temporary directory.

Needs: a release build of tamis; optionally pip install fasttext-numpy2-wheel zstandard.
"""
import argparse
import glob
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_jsonl_zst(path):
    """The records of a .jsonl.zst file, through zstandard or else pyarrow."""
    try:
        import zstandard

        with open(path, "rb") as f:
            raw = zstandard.ZstdDecompressor().stream_reader(f).read()
    except ImportError:
        import pyarrow

        with pyarrow.CompressedInputStream(pyarrow.OSFile(path), "zstd") as f:
            raw = f.read()
    return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]


def run(cmd, **kw):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    secs = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    return secs, p


def digest_dir(d):
    h = hashlib.sha256()
    for p in sorted(glob.glob(os.path.join(d, "kept", "*")) + glob.glob(os.path.join(d, "dropped", "*"))):
        h.update(os.path.basename(p).encode())
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def lingua(shared, train_per, held_per):
    train, held = [], []
    for path in sorted(glob.glob(os.path.join(shared, "data/lid/lingua-testdata/*/testdata/sentences.txt"))):
        lang = path.split(os.sep)[-3]
        with open(path, encoding="utf-8") as f:
            lines = [" ".join(line.split()) for line in f.read().split("\n") if line.strip()]
        train += [f"__label__{lang} {s}" for s in lines[:train_per]]
        held += [(lang, s) for s in lines[train_per:train_per + held_per]]
    random.Random(0).shuffle(train)
    return train, held


def fasttext_train(train_file, out, threads, args):
    code = (
        "import fasttext, sys, json; a = json.loads(sys.argv[3]);"
        "m = fasttext.train_supervised(input=sys.argv[1], thread=int(sys.argv[2]), verbose=0, **a);"
        "m.save_model(sys.argv[4])"
    )
    secs, _ = run([sys.executable, "-c", code, train_file, str(threads), json.dumps(args), out])
    return secs


def precision(tamis, model, held, tmp):
    # Scored by `tamis lid --model`, which is fastText's prediction bit for bit.
    path = os.path.join(tmp, "held.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(s for _, s in held) + "\n")
    _, p = run([tamis, "lid", "--model", model, path])
    got = [line.split("\t")[0] for line in p.stdout.splitlines()]
    return sum(1 for (lang, _), g in zip(held, got) if g in (lang, f"__label__{lang}")) / len(held)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--tamis", default=os.path.join(ROOT, "target", "release", "tamis"))
    ap.add_argument("--threads", default="1,2,4,8,16")
    ap.add_argument("--repeat-corpus", type=int, default=8)
    ap.add_argument("--out")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    try:
        import fasttext  # noqa: F401

        have_ft = True
    except ImportError:
        have_ft = False
    results = {"cpus": os.cpu_count(), "fasttext": have_ft}
    tmp = tempfile.mkdtemp(prefix="tamis-scaling-")
    print(f"cpus {os.cpu_count()}, fastText binding: {have_ft}, work dir {tmp}", flush=True)

    # Data: the corpus repeated, and DCLM-style training sets.
    articles = read_jsonl_zst(os.path.join(a.shared, "data/corpus/articles.jsonl.zst"))
    pages_path = os.path.join(a.shared, "data/corpus/pages.jsonl.zst")
    # A copy of ../shared may hold the articles alone (to travel light): their short lines then
    # stand in for the pages' boilerplate.
    pages = read_jsonl_zst(pages_path) if os.path.exists(pages_path) else []
    if not pages:
        print("pages.jsonl.zst absent: the corpus is the articles alone", flush=True)
    corpus = os.path.join(tmp, "corpus.jsonl")
    with open(corpus, "w", encoding="utf-8") as f:
        for r in range(a.repeat_corpus):
            for d in pages + articles:
                f.write(json.dumps({"id": f"{r}/{d['id']}", "text": d["text"]}) + "\n")
    mb = os.path.getsize(corpus) / 1e6
    n_docs = a.repeat_corpus * (len(pages) + len(articles))
    pos, neg = os.path.join(tmp, "hq.jsonl"), os.path.join(tmp, "cc.jsonl")
    with open(pos, "w", encoding="utf-8") as f:
        for d in articles:
            f.write(json.dumps({"text": d["text"]}) + "\n")
    with open(neg, "w", encoding="utf-8") as f:
        for d in pages or articles:
            short = [line for line in d["text"].split("\n") if 0 < len(line.split()) < 8]
            if short:
                f.write(json.dumps({"text": "\n".join(short)}) + "\n")
    model = os.path.join(tmp, "quality.bin")
    run([a.tamis, "train-classifier", "--positives", pos, "--negatives", neg, "-o", model,
         "--word-ngrams", "2", "--dim", "64", "--epoch", "5", "--bucket", "1000000"])

    # 1. Classification.
    pipeline = os.path.join(tmp, "classify.toml")
    with open(pipeline, "w") as f:
        f.write(f'[[step]]\ntype = "fasttext_classifier"\nmodel = "{model}"\ninput = "dclm"\n'
                'labels = ["hq"]\nkey = "dclm_score"\n')
    print(f"\nclassify: {n_docs} documents, {mb:.0f} MB", flush=True)
    print("threads  wall s   docs/s   speed-up  same bytes")
    rows, base, base_digest = [], None, None
    for t in threads:
        out = os.path.join(tmp, f"classified-{t}")
        secs, _ = run([a.tamis, "run", "--pipeline", pipeline, corpus, "-o", out, "--threads", str(t),
                       "--overwrite", "--no-progress"])
        d = digest_dir(out)
        base = base or secs
        base_digest = base_digest or d
        rows.append({"threads": t, "wall_s": secs, "docs_per_s": n_docs / secs, "same": d == base_digest})
        print(f"{t:7d}  {secs:6.2f}  {n_docs / secs:8.0f}  {base / secs:8.2f}  {d == base_digest}", flush=True)
    results["classify"] = {"docs": n_docs, "mb": mb, "rows": rows}

    # 2. Rank selection over the scored documents.
    print("\nselect --top 0.1 over the scored documents")
    print("threads  wall s   same bytes")
    rows, first = [], None
    scored = os.path.join(tmp, f"classified-{threads[0]}", "kept")
    for t in threads:
        out = os.path.join(tmp, f"selected-{t}")
        secs, _ = run([a.tamis, "select", "--field", "dclm_score", "--top", "0.1", scored, "-o", out,
                       "--threads", str(t), "--overwrite", "--no-progress"])
        d = digest_dir(out)
        first = first or d
        rows.append({"threads": t, "wall_s": secs, "same": d == first})
        print(f"{t:7d}  {secs:6.2f}  {d == first}", flush=True)
    results["select"] = rows

    # 3. Training.
    train, held = lingua(a.shared, 800, 200)
    train_file = os.path.join(tmp, "lingua-train.txt")
    with open(train_file, "w", encoding="utf-8") as f:
        f.write("\n".join(train) + "\n")
    train_jsonl = os.path.join(tmp, "lingua-train.jsonl")
    with open(train_jsonl, "w", encoding="utf-8") as f:
        for line in train:
            label, text = line.split(" ", 1)
            f.write(json.dumps({"text": text, "label": label[len("__label__"):]}) + "\n")
    ft_args = {"dim": 32, "epoch": 5, "lr": 0.5, "wordNgrams": 2, "bucket": 1000000}
    print(f"\ntrain: {len(train)} lines, {len(held)} held out, {ft_args}")
    print("threads  tamis s  fastText s  tamis/fastText  P@1 tamis  P@1 fastText  same bytes")
    rows = []
    for t in threads:
        mt = os.path.join(tmp, f"tamis-{t}.bin")
        secs, _ = run([a.tamis, "train-classifier", train_jsonl, "-o", mt, "--input", "datatrove",
                       "--thread", str(t), "--dim", "32", "--epoch", "5", "--lr", "0.5",
                       "--word-ngrams", "2", "--bucket", "1000000"])
        row = {"threads": t, "tamis_s": secs, "tamis_p1": precision(a.tamis, mt, held, tmp)}
        if have_ft:
            mf = os.path.join(tmp, f"fasttext-{t}.bin")
            row["fasttext_s"] = fasttext_train(train_file, mf, t, ft_args)
            row["fasttext_p1"] = precision(a.tamis, mf, held, tmp)
            if t == 1:
                with open(mt, "rb") as x, open(mf, "rb") as y:
                    row["same_bytes"] = x.read() == y.read()
        rows.append(row)
        ft = row.get("fasttext_s")
        print(f"{t:7d}  {secs:7.2f}  {ft if ft is None else round(ft, 2)!s:>10}  "
              f"{'' if ft is None else round(ft / secs, 2)!s:>14}  {row['tamis_p1']:9.4f}  "
              f"{row.get('fasttext_p1', float('nan')):12.4f}  {row.get('same_bytes', '')}", flush=True)
    results["train"] = rows
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
