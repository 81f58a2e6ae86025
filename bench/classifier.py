#!/usr/bin/env python3
"""Model-based classification speed: tamis's `fasttext_classifier` step vs fastText's Python
binding and datatrove 0.10.1's FastTextClassifierFilter, same model, same documents, one core
each (and tamis on all cores).

usage: bench/classifier.py [--shared ../shared] [--cpu 1] [--repeat 5] [--ref-repeat 3]
                           [--pipeline-repeat 1] [--runs 2] [--model PATH]
                           [--tamis target/release/tamis] [--skip-datatrove] [--skip-pipeline]

Input: the documents of ../shared/data/corpus/pages.jsonl.zst then articles.jsonl.zst (4,254
documents, 47.1 MB of UTF-8 text), written N times (ids `r<copy>/<corpus>/<id>`, the same
texts) into one JSONL file in a temporary directory: N = --repeat for tamis (so that each tamis
run lasts several seconds), --ref-repeat for fastText's loop and datatrove's classifier run,
--pipeline-repeat for datatrove's full pipeline (its four filters take ~160 s per copy). Rates
are per document, so the sizes differ only to keep every timed run long enough.

Model: a DCLM-shaped quality classifier trained here once with fastText's own trainer
(`fasttext.train_supervised`, thread=1, fixed seed) and cached in the temporary directory
(`$TMPDIR/tamis-bench-classifier/`), or `--model PATH`. Shape: DCLM's
baselines/train_fasttext_classifier.py defaults (lr 0.1, dim 100, ws 5, epoch 5, minCount 1)
with `--wordNgrams 2` as DCLM's README trains its bigram classifier, and fastText's defaults
for the rest (softmax loss, bucket 2,000,000, no subwords): a dense ~0.8 GB model whose bigram
lookups hit a 2M x 100 matrix, as those of DCLM's larger model do. Training data: the labels
`__label__hq` (every article of data/corpus/articles.jsonl.zst) and `__label__cc` (boilerplate
lines of data/labelled/pages.jsonl.zst, in groups of 40), built by
tools/gen_classifier_golden.py's `training_sets` / `write_training_file` (imported).

Measured, pinned to one CPU (`taskset -c --cpu`, every thread of the process on it):
  a  fastText binding in-process: per document
     `model.predict(" ".join(text.strip().splitlines()), k=-1)` (DCLM's input), the loop alone,
     texts in memory (one copy in memory, looped --ref-repeat times)
  a' the same plus lid.176.ftz first, as datatrove's LanguageFilter calls it
     (`predict(text.replace("\\n", " "), k=-1)`), to set against (d)
  b  datatrove 0.10.1: JsonlReader -> FastTextClassifierFilter(keep_labels=("hq", 0.0),
     newline_replacement=" ") -> JsonlWriter(zstd), one task, LocalPipelineExecutor; its model
     download helper is patched to return the local path (as tools/gen_classifier_golden.py)
  c  `tamis run --pipeline P INPUT -o OUT --threads 1 --overwrite --compression zstd`,
     P = one `fasttext_classifier` step (input "dclm")
  d  tamis `language` (label_only) then the classifier: docs/s per core against NeMo Curator's
     nightly requirement (~500 documents/s per CPU for fastText LID + quality classifier)
  e  FineWeb's four text filters then the classifier: tamis vs datatrove (GopherRepetition,
     GopherQuality, C4Quality(filter_no_terminal_punct=False), FineWebQuality, then
     FastTextClassifierFilter; every filter writes its dropped documents, as tamis does)
  f  (c) with `--threads 0` (all cores, not pinned)
Each run is repeated --runs times and the fastest (by CPU time) kept. CPU time is the child's
user+system time (os.wait4, every thread), or the loop's thread CPU time (time.thread_time) for
(a); rates use CPU time, since on a shared machine wall time also counts waiting for the core
(for (f), wall time). Peak RSS is the process's maxrss (for (a): the model plus the texts).
The script checks that tamis's `__label__hq` score equals the binding's probability (as f32)
on every document of the first copy, and aborts if one differs.

Needs: a release build (cargo build --release --locked -p tamis-cli), and
pip install fasttext-numpy2-wheel==0.9.2 'datatrove==0.10.1' 'spacy==3.8.18' orjson fasteners regex
zstandard numpy
"""
import argparse
import glob
import hashlib
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

SEED = 20261204
# DCLM baselines/train_fasttext_classifier.py defaults, --wordNgrams 2 (its README), the rest
# fastText's supervised defaults, spelled out.
TRAIN_OPTS = dict(loss="softmax", lr=0.1, dim=100, ws=5, epoch=5, minCount=1, wordNgrams=2,
                  bucket=2_000_000, minn=0, maxn=0)
NEMO_DOCS_PER_CPU = 500


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def dclm(text):
    return " ".join(text.strip().splitlines())


# ------------------------------------------------------------------ inner modes (subprocesses)

def inner_train(train, path):
    from _golden import train_supervised_seeded

    model, seed = train_supervised_seeded(train, SEED, "the classifier", thread=1, verbose=0,
                                          **TRAIN_OPTS)
    model.save_model(path)
    print(f"  trained: seed {seed}, {len(model.words):,} words, labels {list(model.labels)}, "
          f"{os.path.getsize(path) / 1e6:.0f} MB")


def inner_fasttext(model_path, x1_path, repeat, with_lid, out):
    """fastText's binding, in this process: the timed loop, then the check's scores."""
    import fasttext

    with open(x1_path, encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    texts = [r["text"] for r in recs]
    model = fasttext.load_model(model_path)
    lid = fasttext.load_model(os.path.join(ROOT, "models/lid.176.ftz")) if with_lid else None
    c0, t0 = time.thread_time(), time.perf_counter()
    if lid is None:
        for _ in range(repeat):
            for t in texts:
                model.predict(dclm(t), k=-1)
    else:
        for _ in range(repeat):
            for t in texts:
                lid.predict(t.replace("\n", " "), k=-1)
                model.predict(dclm(t), k=-1)
    cpu, wall = time.thread_time() - c0, time.perf_counter() - t0
    scores = {}
    if lid is None:
        for r in recs:
            labels, probs = model.predict(dclm(r["text"]), k=-1)
            scores[r["id"]] = dict(zip(labels, (float(p) for p in probs)))
    with open(out, "w") as f:
        json.dump({"cpu": cpu, "wall": wall, "scores": scores}, f)


def inner_datatrove(kind, model_path, inp, out):
    import datatrove.pipeline.filters.fasttext_filter as ft_filter
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    # Offline: the one function that would copy/download the model returns the local path.
    ft_filter.cached_asset_path_or_download = lambda *a, **kw: model_path

    def writer(sub):
        return JsonlWriter(f"{out}/{sub}", compression="zstd", output_filename="${rank}.jsonl.zst")

    steps = [JsonlReader(inp, glob_pattern="*.jsonl")]
    if kind == "full":
        from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                                GopherQualityFilter, GopherRepetitionFilter)
        steps += [
            GopherRepetitionFilter(exclusion_writer=writer("dropped/gopher_repetition")),
            GopherQualityFilter(exclusion_writer=writer("dropped/gopher_quality")),
            C4QualityFilter(filter_no_terminal_punct=False, exclusion_writer=writer("dropped/c4_quality")),
            FineWebQualityFilter(exclusion_writer=writer("dropped/fineweb_quality")),
        ]
    # keep_labels is required: without keep or remove labels datatrove 0.10.1 raises TypeError
    # (see tools/gen_classifier_golden.py); hq >= 0.0 keeps every document it can score.
    steps += [
        ft_filter.FastTextClassifierFilter(model_url=model_path, keep_labels=("hq", 0.0),
                                           newline_replacement=" ",
                                           exclusion_writer=writer("dropped/classifier")),
        writer("kept"),
    ]
    LocalPipelineExecutor(pipeline=steps, tasks=1, workers=1, logging_dir=f"{out}/logs").run()


# ----------------------------------------------------------------------------------- harness

def measure(cmd, cpu=None):
    """Runs cmd (pinned to `cpu` when given): (CPU s, wall s, peak RSS MB) from os.wait4."""
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            log.seek(0)
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{log.read().decode()[-4000:]}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024


def best(runs, fn, by_wall=False):
    results = [fn() for _ in range(runs)]
    return min(results, key=lambda r: (r[1] if by_wall else r[0]))


def build_inputs(shared, work, copies_wanted):
    """x<N>/docs.jsonl with N copies of the corpus, for each N; (docs, text bytes) of one copy.
    Ids are `r<copy>/<corpus>/<id>`: an article and the page it comes from share an id."""
    import zstandard

    recs = []
    for corpus in ("pages", "articles"):
        with open(os.path.join(shared, "data", "corpus", f"{corpus}.jsonl.zst"), "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f).read().decode("utf-8")
        recs += [dict(json.loads(line), _corpus=corpus) for line in data.splitlines() if line.strip()]
    n_bytes = sum(len(r["text"].encode("utf-8")) for r in recs)
    lines = []
    for r in recs:
        orig = f"{r['_corpus']}/{r['id']}"
        del r["_corpus"]
        r["id"] = "@@ID@@"
        lines.append((json.dumps(r, ensure_ascii=False), orig))
    for copies in sorted(set(copies_wanted)):
        d = os.path.join(work, f"x{copies}")
        path = os.path.join(d, "docs.jsonl")
        if os.path.exists(path):
            continue
        os.makedirs(d, exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for c in range(copies):
                f.write("".join(line.replace('"@@ID@@"', json.dumps(f"r{c}/{orig}", ensure_ascii=False), 1) + "\n"
                                for line, orig in lines))
        os.rename(path + ".tmp", path)
    return len(recs), n_bytes


def train_model(shared, work):
    import gen_classifier_golden as g

    key = hashlib.sha256(json.dumps([TRAIN_OPTS, SEED, g.CC_CHUNK]).encode()).hexdigest()[:12]
    path = os.path.join(work, f"quality-dclm-shape-{key}.bin")
    if os.path.exists(path):
        print(f"model: {path} (cached)")
        return path
    sets = g.training_sets(shared)
    train = os.path.join(work, "quality-train.txt")
    n = g.write_training_file(train, sets["quality"])
    print(f"training {os.path.basename(path)} on {n:,} examples, {TRAIN_OPTS}")
    subprocess.run([sys.executable, os.path.abspath(__file__), "--inner", "train", train, path + ".tmp"],
                   check=True)
    os.rename(path + ".tmp", path)
    return path


def write_pipeline(path, model, steps):
    parts = []
    if "fineweb" in steps:
        parts += ['[[step]]\ntype = "gopher_repetition"\n', '[[step]]\ntype = "gopher_quality"\n',
                  '[[step]]\ntype = "c4_quality"\nfilter_no_terminal_punct = false\n',
                  '[[step]]\ntype = "fineweb_quality"\n']
    if "language" in steps:
        parts.append('[[step]]\ntype = "language"\nlabel_only = true\n')
    parts.append(f'[[step]]\ntype = "fasttext_classifier"\nmodel = {json.dumps(model)}\ninput = "dclm"\n')
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return path


def read_output_scores(out_dir, prefix):
    import zstandard

    scores = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "kept", "*.jsonl.zst"))):
        with open(path, "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f).read().decode("utf-8")
        for line in data.splitlines():
            if f'"{prefix}' not in line:
                continue
            r = json.loads(line)
            if r["id"].startswith(prefix):
                scores[r["id"]] = r.get("metadata", {})
    return scores


def step_time(out_dir, step_type):
    with open(os.path.join(out_dir, "stats.json")) as f:
        stats = json.load(f)
    steps = stats.get("steps", [])
    if isinstance(steps, dict):
        steps = [dict(v, type=k) for k, v in steps.items()]
    for s in steps:
        if step_type in (s.get("type"), s.get("step"), s.get("name"), s.get("id")):
            return s.get("time_s")
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--cpu", default="1", help="the CPU one-core runs are pinned to")
    ap.add_argument("--repeat", type=int, default=5, help="copies of the corpus in tamis's input")
    ap.add_argument("--ref-repeat", type=int, default=3,
                    help="copies for fastText's loop (a) and datatrove (b); (a') takes a third")
    ap.add_argument("--pipeline-repeat", type=int, default=1, help="copies for datatrove's full pipeline (e)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each measurement; the fastest is kept")
    ap.add_argument("--model", help="a fastText classifier with labels __label__hq/__label__cc "
                                    "(default: train the DCLM-shaped one)")
    ap.add_argument("--tamis", default=os.path.join(ROOT, "target", "release", "tamis"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "tamis-bench-classifier"))
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--skip-pipeline", action="store_true", help="skip (e)")
    ap.add_argument("--inner", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        mode, rest = args.inner[0], args.inner[1:]
        if mode == "train":
            inner_train(*rest)
        elif mode in ("fasttext", "fasttext-lid"):
            inner_fasttext(rest[0], rest[1], int(rest[2]), mode == "fasttext-lid", rest[3])
        elif mode in ("datatrove-clf", "datatrove-full"):
            inner_datatrove(mode.split("-")[1], *rest)
        return

    if not os.path.exists(args.tamis):
        sys.exit(f"no {args.tamis}: cargo build --release --locked -p tamis-cli")
    os.makedirs(args.work, exist_ok=True)
    # A private copy: a rebuild of target/ during the run (by others) cannot change the binary.
    shutil.copy2(args.tamis, os.path.join(args.work, "tamis"))
    args.tamis = os.path.join(args.work, "tamis")
    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    n1, b1 = build_inputs(args.shared, args.work, (1, args.repeat, args.ref_repeat, args.pipeline_repeat))
    model = os.path.abspath(args.model) if args.model else train_model(args.shared, args.work)
    x = lambda copies: os.path.join(args.work, f"x{copies}")
    x1, xn = x(1), x(args.repeat)
    me = [sys.executable, os.path.abspath(__file__), "--inner"]
    out = os.path.join(args.work, "out")
    rows = []  # (key, name, docs, bytes, (cpu, wall, rss), note)

    def row(key, name, copies, res, note=""):
        rows.append((key, name, n1 * copies, b1 * copies, res, note))
        cpu, wall, rss = res
        print(f"  {key} {name}: CPU {cpu:.2f} s, wall {wall:.2f} s, {rss:.0f} MB", flush=True)

    # a: fastText's binding, in-process loop
    res_file = os.path.join(args.work, "fasttext.json")

    def ft(mode, repeat):
        def go():
            _, _, rss = measure([*me, mode, model, os.path.join(x1, "docs.jsonl"), str(repeat), res_file], args.cpu)
            with open(res_file) as f:
                r = json.load(f)
            return r["cpu"], r["wall"], rss
        return go

    print("runs:", flush=True)
    row("a", "fastText binding, predict(dclm(text), k=-1), loop alone", args.ref_repeat,
        best(args.runs, ft("fasttext", args.ref_repeat)))
    with open(res_file) as f:
        ft_scores = json.load(f)["scores"]
    lid_repeat = max(1, args.ref_repeat // 3)
    row("a2", "fastText binding, lid.176.ftz + classifier, loop alone", lid_repeat,
        best(args.runs, ft("fasttext-lid", lid_repeat)))

    # b: datatrove classifier pipeline
    if not args.skip_datatrove:
        row("b", "datatrove 0.10.1 JsonlReader -> FastTextClassifierFilter -> JsonlWriter", args.ref_repeat,
            best(args.runs, lambda: (shutil.rmtree(out, ignore_errors=True),
                                     measure([*me, "datatrove-clf", model, x(args.ref_repeat), out], args.cpu))[1]))

    # c, d, f: tamis
    def tamis(inp, pipeline, threads, pin):
        def go():
            return measure([args.tamis, "run", "--pipeline", pipeline, inp, "-o", out, "--threads", str(threads),
                            "--overwrite", "--compression", "zstd", "--no-progress"], args.cpu if pin else None)
        return go

    p_clf = write_pipeline(os.path.join(args.work, "clf.toml"), model, ())
    p_lid = write_pipeline(os.path.join(args.work, "lid-clf.toml"), model, ("language",))
    p_full = write_pipeline(os.path.join(args.work, "fineweb-clf.toml"), model, ("fineweb",))
    row("c", "tamis run, fasttext_classifier, --threads 1", args.repeat, best(args.runs, tamis(xn, p_clf, 1, True)))
    clf_step = step_time(out, "fasttext_classifier")
    # the check: tamis's scores against the binding's, first copy
    got = read_output_scores(out, "r0/")
    mismatches, missing, exact = [], [], 0
    for doc_id, want in ft_scores.items():
        meta = got.get(doc_id)
        if meta is None:
            missing.append(doc_id)
            continue
        for label, p in want.items():
            v = meta.get(label)
            if v == p:
                exact += 1  # the float64 the binding returns, exactly
            elif not isinstance(v, (int, float)) or f32(v) != f32(p):
                mismatches.append((doc_id, label, v, p))
    check = (f"score check (tamis metadata vs binding predict(k=-1), every label, first copy): "
             f"{len(ft_scores):,} documents, {exact:,} scores equal as float64, {len(mismatches)} differ as f32, "
             f"{len(missing)} documents missing from tamis's output")
    print("  " + check, flush=True)
    for m in mismatches[:20]:
        print(f"  MISMATCH {m[0]} {m[1]}: tamis {m[2]!r} fastText {m[3]!r}")
    for m in missing[:20]:
        print(f"  MISSING {m}")
    if mismatches or missing:
        sys.exit("score check failed")
    row("d", "tamis run, language (label_only) + fasttext_classifier, --threads 1", args.repeat,
        best(args.runs, tamis(xn, p_lid, 1, True)))
    row("f", f"tamis run, fasttext_classifier, --threads 0 ({os.cpu_count()} CPUs)", args.repeat,
        best(args.runs, tamis(xn, p_clf, 0, False), by_wall=True))
    if not args.skip_pipeline:
        row("e-tamis", "tamis run, FineWeb's 4 filters + fasttext_classifier, --threads 1", args.repeat,
            best(args.runs, tamis(xn, p_full, 1, True)))
        if not args.skip_datatrove:
            # ~160 s per copy: run once
            row("e-dt", "datatrove 0.10.1, FineWeb's 4 filters + FastTextClassifierFilter", args.pipeline_repeat,
                (shutil.rmtree(out, ignore_errors=True), measure([*me, "datatrove-full", model, x(args.pipeline_repeat), out],
                                                             args.cpu))[1])
    load1 = os.getloadavg()

    # report
    from importlib.metadata import version
    tv = subprocess.run([args.tamis, "--version"], capture_output=True, text=True).stdout.strip()
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"\n{started}; {cpu_model}, {os.cpu_count()} CPUs, {platform.machine()}; one-core runs pinned to CPU "
          f"{args.cpu}; load average {load0[0]:.1f} before, {load1[0]:.1f} after")
    print(f"{tv}; fasttext-numpy2-wheel {version('fasttext-numpy2-wheel')}, datatrove {version('datatrove')}, "
          f"Python {platform.python_version()}; model {os.path.basename(model)} "
          f"({os.path.getsize(model) / 1e6:.0f} MB); input {n1:,} docs / {b1 / 1e6:.1f} MB text per copy, "
          f"tamis x{args.repeat}, fastText (a) and datatrove (b) x{args.ref_repeat}, (a') x{lid_repeat}, "
          f"datatrove (e) x{args.pipeline_repeat}; best of {args.runs} (datatrove (e): one run)")
    print("| | run | docs | MB | CPU s | wall s | docs/s | MB/s | peak RSS MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rate = {}
    for key, name, docs, nb, (cpu, wall, rss), _ in rows:
        t = wall if key == "f" else cpu
        rate[key] = docs / t
        label = key.split("-")[0]
        print(f"| {label} | {name} | {docs:,} | {nb / 1e6:,.0f} | {cpu:.2f} | {wall:.2f} | {docs / t:,.0f} | "
              f"{nb / 1e6 / t:.1f} | {rss:,.0f} |")
    c, a = rate["c"], rate["a"]
    if clf_step is not None:
        print(f"tamis classifier step alone (stats.json time_s, wall, run c): {clf_step:.2f} s = "
              f"{n1 * args.repeat / clf_step:,.0f} docs/s")
    print(f"per core: tamis (c) / fastText binding loop (a) = {c / a:.1f}x")
    if clf_step:
        print(f"          tamis classifier step alone / fastText binding loop (a) = "
              f"{n1 * args.repeat / clf_step / a:.1f}x")
    if "b" in rate:
        print(f"per core: tamis (c) / datatrove (b) = {c / rate['b']:.1f}x")
    print(f"per core: tamis language + classifier (d) = {rate['d']:,.0f} docs/s = "
          f"{rate['d'] / NEMO_DOCS_PER_CPU:.1f}x NeMo Curator's ~{NEMO_DOCS_PER_CPU} docs/s per CPU; "
          f"fastText binding doing both (a') {rate['a2']:,.0f} docs/s, tamis / binding = {rate['d'] / rate['a2']:.1f}x")
    if "e-dt" in rate:
        print(f"per core: tamis (e) / datatrove (e) = {rate['e-tamis'] / rate['e-dt']:.1f}x")
    print(f"all cores (f) / one core (c) = {rate['f'] / c:.2f}x")
    print(check)


if __name__ == "__main__":
    main()
