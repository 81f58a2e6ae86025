#!/usr/bin/env python3
"""Line-cleaning quality and cost: tamis's `line_clean` step on the shared line-labelled pages.

usage: bench/clean_labelled.py [--shared ../shared] [--cpu 0] [--param KEY=VALUE ...]

1. Runs `tamis run` with a pipeline holding only `line_clean` over
   ../shared/data/labelled/pages.jsonl.zst (962 pages, full visible text with line labels) and
   scores the kept text with ../shared/eval/score_lines.py; a page the step drops whole counts
   as all lines removed. Scores are printed overall and for two halves of the set split by a
   hash of the page id (the rules were tuned on one half only; see docs/cleaning.md), then
   again against the same pages with the CleanEval labels re-derived by
   bench/relabel_cleaneval.py (paragraphs of the gold that the shared labels miss).
2. Scores the seed page (../shared/fixtures/seed) the same way.
3. Main text against the extraction gold: runs the same step over the shared corpus
   pages.jsonl.zst (full visible text) and scores what it keeps with
   ../shared/eval/score_extraction.py on each gold set (scrapinghub, cleaneval-dev,
   cleaneval-final: 4-token shingles; trafilatura-eval: snippets), next to keeping every line,
   the step with `cut_lines = false` (lines removed whole, never cut) and trafilatura's
   main text from the HTML (articles.jsonl.zst). Unlike score_lines.py, this credits text kept
   from inside a line (the prose cells of layout lines).
4. Cost: runs `--preset clean` over the shared corpus pages.jsonl.zst on one core and prints
   the time of `line_clean` next to the time of the four FineWeb filters (from stats.json).
Needs: a release build (cargo build --release -p tamis-cli, or $TAMIS_BIN), python3 with
zstandard.
"""
import hashlib, io, json, os, shutil, subprocess, sys, tempfile

import zstandard

import relabel_cleaneval
from benchlib import cleaning_parser, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAMIS = os.environ.get("TAMIS_BIN", os.path.join(ROOT, "target", "release", "tamis"))


def read_jsonl_zst(path):
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def half(doc_id):
    """The rules were tuned on the "even" half only; "odd" is held out."""
    return "even" if int(hashlib.md5(doc_id.encode()).hexdigest(), 16) % 2 == 0 else "odd"


def main():
    ap = cleaning_parser(ROOT)
    args = ap.parse_args()
    params = "".join(p + "\n" for p in args.param)
    if not os.path.exists(TAMIS):
        subprocess.run(["cargo", "build", "--release", "-p", "tamis-cli"], cwd=ROOT, check=True)
    score = os.path.join(args.shared, "eval", "score_lines.py")
    work = tempfile.mkdtemp(prefix="tamis-clean-")
    pipeline = os.path.join(work, "clean-only.toml")
    with open(pipeline, "w") as f:
        f.write('[[step]]\ntype = "line_clean"\n' + params)
    with_filters = os.path.join(work, "clean.toml")
    with open(with_filters, "w") as f:
        f.write('[[step]]\ntype = "line_clean"\n' + params)
        for step in ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality"):
            f.write(f'\n[[step]]\ntype = "{step}"\n')
            if step == "c4_quality":
                f.write("filter_no_terminal_punct = false\n")

    labelled = os.path.join(args.shared, "data", "labelled", "pages.jsonl.zst")
    out = os.path.join(work, "labelled")
    run([TAMIS, "run", "--pipeline", pipeline, labelled, "-o", out, "--compression", "none",
         "--no-progress"], args.cpu)
    kept = [json.loads(l) for f in sorted(os.listdir(os.path.join(out, "kept")))
            for l in open(os.path.join(out, "kept", f), encoding="utf-8")]
    by_half = {"even": [], "odd": []}
    for d in kept:
        by_half[half(d["id"])].append(d)
    pages = list(read_jsonl_zst(labelled))
    # The same pages with CleanEval's mismatched gold paragraphs relabelled (see
    # bench/relabel_cleaneval.py): scores against labels that say what the gold says.
    fixed = [relabel_cleaneval.relabel(args.shared, p) for p in pages]
    runs = []
    for tag, labels in (("", pages), (", CleanEval labels re-derived", fixed)):
        runs += [(name + tag, docs, [p for p in labels if h is None or half(p["id"]) == h])
                 for name, docs, h in [("all", kept, None), ("even", by_half["even"], "even"),
                                       ("odd", by_half["odd"], "odd")]]
    for i, (name, docs, subset) in enumerate(runs):
        lab, cleaned = os.path.join(work, f"lab-{i}.jsonl"), os.path.join(work, f"out-{i}.jsonl")
        with open(lab, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in subset)
        with open(cleaned, "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n"
                         for d in docs)
        print(f"== labelled pages, {name} ==")
        print(run([sys.executable, score, lab, cleaned]).strip())

    seed_dir = os.path.join(args.shared, "fixtures", "seed")
    seed_out = os.path.join(work, "seed")
    run([TAMIS, "run", "--pipeline", pipeline, os.path.join(seed_dir, "page.txt"), "-o", seed_out,
         "--compression", "none", "--no-progress"], args.cpu)
    kept_files = os.listdir(os.path.join(seed_out, "kept"))
    seed_clean = os.path.join(work, "seed-clean.txt")
    with open(seed_clean, "w", encoding="utf-8") as f:
        for name in kept_files:
            for l in open(os.path.join(seed_out, "kept", name), encoding="utf-8"):
                f.write(json.loads(l)["text"])
    print("== seed page ==")
    print(run([sys.executable, score, "--page", os.path.join(seed_dir, "page.txt"),
               os.path.join(seed_dir, "labels.txt"), seed_clean]).strip())

    corpus = os.path.join(args.shared, "data", "corpus", "pages.jsonl.zst")
    extraction_scores(args, work, pipeline, params, corpus, score)

    cost = os.path.join(work, "cost")
    # The `clean` preset's steps, with --param applied to line_clean.
    run([TAMIS, "run", "--pipeline", with_filters, corpus, "-o", cost, "--threads", "1", "--no-progress"],
        args.cpu)
    stats = json.load(open(os.path.join(cost, "stats.json")))
    times = {s["step"]: s["time_s"] for s in stats["steps"]}
    fineweb = sum(t for k, t in times.items() if k != "line_clean")
    mb = stats["input_text_bytes"] / 1e6
    print("== cost, one core, preset clean on pages.jsonl.zst ==")
    print(f"line_clean {times['line_clean']:.2f} s ({mb / times['line_clean']:.0f} MB/s); "
          f"the four FineWeb filters after it {fineweb:.2f} s")
    shutil.rmtree(work)


def extraction_scores(args, work, pipeline, params, corpus, score_lines):
    scorer = os.path.join(os.path.dirname(score_lines), "score_extraction.py")
    whole = os.path.join(work, "whole-lines.toml")
    with open(whole, "w") as f:
        f.write('[[step]]\ntype = "line_clean"\n' + params + "cut_lines = false\n")
    pages = list(read_jsonl_zst(corpus))
    systems = {"keep every line": {p["id"]: p["text"] for p in pages}}
    for name, toml in (("line_clean", pipeline), ("line_clean, cut_lines = false", whole)):
        out = os.path.join(work, "extract-" + str(len(systems)))
        run([TAMIS, "run", "--pipeline", toml, corpus, "-o", out, "--compression", "none",
             "--no-progress"], args.cpu)
        systems[name] = {d["id"]: d["text"] for f in sorted(os.listdir(os.path.join(out, "kept")))
                         for d in map(json.loads, open(os.path.join(out, "kept", f), encoding="utf-8"))}
    articles = os.path.join(args.shared, "data", "corpus", "articles.jsonl.zst")
    systems["trafilatura, from the HTML"] = {d["id"]: d["text"] for d in read_jsonl_zst(articles)}
    print("== main text against the extraction gold (score_extraction.py F1, precision, recall) ==")
    for gold_set in ("scrapinghub", "cleaneval-dev", "cleaneval-final", "trafilatura-eval"):
        for name, texts in systems.items():
            path = os.path.join(work, "extract.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for p in pages:
                    meta = p.get("metadata", {})
                    if meta.get("source") == gold_set and p["id"] in texts:
                        # The scorer's ids: the HTML file name, as stored in its gold set.
                        gid = meta["file"] + (".gz" if gold_set == "trafilatura-eval" else "")
                        f.write(json.dumps({"id": gid, "text": texts[p["id"]]}) + "\n")
            res = dict(l.split(" ", 1) for l in run([sys.executable, scorer, gold_set, path]).split("\n") if l)
            print(f"{gold_set:17} {name:31} F1 {res['F1']}  precision {res['precision']}  "
                  f"recall {res['recall']}")


if __name__ == "__main__":
    main()
