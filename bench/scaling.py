#!/usr/bin/env python3
"""tamis across cores: the main jobs, then model-based selection, with 1, 2, 4, ... threads on
one machine.

usage: bench/scaling.py [--shared ../shared] [--tamis target/release/tamis]
                        [--threads 1,2,4,8,16] [--parts cores,classify,select,train]
                        [--copies 4] [--repeat 3] [--repeat-corpus 8] [--out FILE.json]

What it runs (every part prints its table; --out also writes the numbers as JSON):

  cores     the jobs of issue 20 at each thread count, on --copies copies of the shared corpora
            as separate .jsonl.zst files (pages and articles: 2 files and 48 MB of text per
            copy): `run --steps pii` (steps that cost almost nothing: reading and writing
            alone), `run --preset clean`, `run --preset fineweb-text`, `dedup --minhash`, and
            `run --preset fineweb` on web archives (the shared extraction pages as WARC, one
            .warc.gz per copy, as bench/fineweb_warc.py builds them); and `run --steps pii` on
            all the copies' text as one file of 2 MiB zstd frames (its frames decoded by
            several jobs at once). For each: the best wall
            time of --repeat runs with its CPU seconds (user + system) and peak memory (max
            RSS), MB/s of input text, speed-up over one thread, parallel efficiency (speed-up
            / threads), and whether kept and dropped files are byte-identical to the one-thread
            run's.

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
import gzip
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

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


GNU_TIME = "/usr/bin/time"


def measured(cmd):
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB of one command. The peak
    comes from GNU time where it is installed: a child forked from this process inherits its
    memory high-water mark, so getrusage alone would report this script's size."""
    with tempfile.TemporaryDirectory() as d:
        mem = os.path.join(d, "rss")
        if os.access(GNU_TIME, os.X_OK):
            cmd = [GNU_TIME, "-f", "%M", "-o", mem, *cmd]
        with open(os.path.join(d, "err"), "w+b") as err:
            t = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t
            if status != 0:
                err.seek(0)
                sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err.read().decode()[-3000:]}")
        rss = ru.ru_maxrss / 1024
        if os.path.exists(mem):
            rss = int(open(mem).read().split()[-1]) / 1024
    return wall, ru.ru_utime + ru.ru_stime, rss


def cores(a, threads, tmp):
    """The main jobs at each thread count (see the module's doc)."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    from fineweb_warc import build_warc

    jsonl = os.path.join(tmp, "jsonl")
    warcs = os.path.join(tmp, "warc")
    os.makedirs(jsonl)
    os.makedirs(warcs)
    for c in range(a.copies):
        for name in ("pages", "articles"):
            src = os.path.join(a.shared, "data/corpus", f"{name}.jsonl.zst")
            if os.path.exists(src):
                shutil.copy(src, os.path.join(jsonl, f"{c:03d}-{name}.jsonl.zst"))
    # Text bytes as tamis counts them (the first run's stats.json).
    text_mb = None
    # The WARC of bench/fineweb_warc.py, one file per copy (each copy has its own URLs).
    every = os.path.join(tmp, "all.warc.gz")
    build_warc(a.shared, a.copies, every)
    warc_mb = 0.0
    files = [open(os.path.join(warcs, f"{c:03d}.warc.gz"), "wb") for c in range(a.copies)]
    for m in gzip_members(every):
        head = zlib.decompressobj(31).decompress(m, 4096)
        at = head.find(b"WARC-Target-URI: http://copy")
        copy = int(re.match(rb"\d+", head[at + 28:]).group()) if at >= 0 else 0
        files[copy].write(m)
    for f in files:
        f.close()
    with gzip.open(every, "rb") as f:
        while chunk := f.read(1 << 20):
            warc_mb += len(chunk) / 1e6
    os.remove(every)
    # The same text as one file of 2 MiB zstd frames (as tamis writes them): the frames of a
    # single file are decoded by several pool jobs at once.
    concat = os.path.join(tmp, "concat.jsonl.zst")
    with open(concat, "wb") as f:
        for p in sorted(glob.glob(os.path.join(jsonl, "*.jsonl.zst"))):
            with open(p, "rb") as g:
                shutil.copyfileobj(g, f)
    framed = os.path.join(tmp, "framed")
    run([a.tamis, "run", "--steps", "pii", concat, "-o", framed, "--no-progress"])
    one = os.path.join(tmp, "one.jsonl.zst")
    os.rename(os.path.join(framed, "kept", "00000.jsonl.zst"), one)
    shutil.rmtree(framed)
    os.remove(concat)
    jobs = [
        ("pii steps", ["run", "--steps", "pii"], jsonl, text_mb),
        ("pii steps, one file", ["run", "--steps", "pii"], one, text_mb),
        ("clean", ["run", "--preset", "clean"], jsonl, text_mb),
        ("fineweb-text", ["run", "--preset", "fineweb-text"], jsonl, text_mb),
        ("dedup --minhash", ["dedup", "--minhash"], jsonl, text_mb),
        ("fineweb from WARC", ["run", "--preset", "fineweb"], warcs, warc_mb),
    ]
    results = []
    for name, args, inputs, mb in jobs:
        if mb is None:
            out = os.path.join(tmp, "out")
            run([a.tamis, "run", "--steps", "pii", inputs, "-o", out, "--overwrite", "--no-progress"])
            with open(os.path.join(out, "stats.json")) as f:
                text_mb = json.load(f)["input_text_bytes"] / 1e6
            mb = text_mb
        print(f"\n{name}: {inputs} ({mb:.0f} MB {'of WARC' if inputs == warcs else 'of text'}),"
              f" best of {a.repeat}", flush=True)
        print("threads  wall s   MB/s   CPU s  peak MB  speed-up  efficiency  same bytes")
        rows, base, first = [], None, None
        for t in threads:
            out = os.path.join(tmp, "out")
            best = None
            for _ in range(a.repeat):
                r = measured([a.tamis, *args, inputs, "-o", out, "--threads", str(t),
                              "--overwrite", "--no-progress"])
                best = r if best is None or r[0] < best[0] else best
            wall, cpu, rss = best
            d = digest_dir(out)
            base = base or wall
            first = first or d
            row = {"threads": t, "wall_s": wall, "cpu_s": cpu, "peak_mb": rss, "mb_per_s": mb / wall,
                   "speedup": base / wall, "efficiency": base / wall / t, "same": d == first}
            rows.append(row)
            print(f"{t:7d}  {wall:6.2f}  {mb / wall:5.1f}  {cpu:6.2f}  {rss:7.0f}  {base / wall:8.2f}"
                  f"  {base / wall / t:10.2f}  {d == first}", flush=True)
        results.append({"job": name, "mb": mb, "rows": rows})
    return results


def gzip_members(path):
    """The gzip members of a file, as bytes (a WARC from build_warc has one per record). Fed
    to zlib 64 KiB at a time from a memoryview: slicing the rest of the file for each member
    would copy it once per member."""
    data = memoryview(open(path, "rb").read())
    out, pos = [], 0
    while pos < len(data):
        d, p = zlib.decompressobj(31), pos
        while not d.eof and p < len(data):
            d.decompress(data[p:p + 65536])
            p += 65536
        end = min(p, len(data)) - len(d.unused_data)
        out.append(bytes(data[pos:end]))
        pos = end
    return out


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
    ap.add_argument("--parts", default="cores,classify,select,train")
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
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
    parts = set(a.parts.split(","))
    if "cores" in parts:
        results["cores"] = cores(a, threads, tmp)
    if not parts & {"classify", "select", "train"}:
        if a.out:
            with open(a.out, "w") as f:
                json.dump(results, f, indent=1)
        return

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
