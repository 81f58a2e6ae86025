#!/usr/bin/env python3
"""Line cleaning scored source by source: the folds of a leave-one-source-out evaluation.

usage: bench/clean_folds.py [--shared ../shared] [--cpu 0] [--param KEY=VALUE ...] [--json FILE]
                            [--errors] [--models DIR] [--built-in]

The shared line-labelled pages (../shared/data/labelled/pages.jsonl.zst) come from five
sources (the prefix of each id: scrapinghub, cleaneval-dev, cleaneval-final,
CleanPortalEval-master, readability). A mean over all of them is dominated by CleanEval and
hides how the cleaner does on pages unlike those its rules were chosen on, so every source is
a fold: its score is what the cleaner does on it, and the figure to choose by is the worst
fold. The rules of `line_clean` are fixed (nothing is fitted per fold); its learned part, the
line model, is trained as the built-in one is (tools/train_line_model.py: the labelled pages
and seed-like pages made from them) on the other four sources only, so each fold is scored by
a model that never saw its pages (about four minutes of training per fold on one core;
--models keeps the models for the next run).

For each fold, and for all pages, it prints F1, content kept and junk removed (characters of
labelled lines, counted by ../shared/eval/score_lines.py's own tally) of:
  line_clean  tamis's `line_clean` step (with --param applied), as the `clean` preset runs it,
              with a line model that never saw the fold (with --built-in: the built-in model,
              trained on every fold, so not a prediction for unseen pages);
  rules       the same with the line model off (`line_model = false`): the rules alone;
  c4_lines    C4's line rules as datatrove runs them (`c4_quality` with its document-level
              drops and its citation stripping turned off, so it only removes lines);
  keep_all    every line kept.
then the worst fold of each, against the target of issue 21 (worst fold F1 >= 0.88 with content
kept >= 0.95), the same methods on seed-like pages (tools/gen_seedlike.py with --seed 2, not the
seed the model trains on: real article text from each fold's pages with the seed page's kinds of
junk around it, each scored by the model that never saw its fold), and the seed page. A page a method drops whole counts as all lines removed.
With --errors, also where `line_clean` goes wrong in each fold: the content characters it
removes, by the rule that removed them (from `metadata.tamis_edits`), and the junk characters
it keeps, by the length of their line (under 10 words, or 10 and more), as shares of the fold's
content and junk.

  --models DIR  keep the per-fold models there, and reuse those already there

Needs: a release build (cargo build --release -p tamis-cli, or $TAMIS_BIN), the zstd command,
and numpy in the python that runs this (for tools/train_line_model.py) unless --built-in.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

from benchlib import cleaning_parser, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tools"))
import gen_seedlike  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAMIS = os.environ.get("TAMIS_BIN", os.path.join(ROOT, "target", "release", "tamis"))
TARGET_F1, TARGET_KEPT = 0.88, 0.95
PIPELINES = {
    "line_clean": '[[step]]\ntype = "line_clean"\n',
    "c4_lines": '[[step]]\ntype = "c4_quality"\nmin_num_sentences = -1\nfilter_lorem_ipsum = false\n'
                'filter_curly_bracket = false\nremove_citations = false\n',
}


def scorer(shared):
    spec = importlib.util.spec_from_file_location(
        "score_lines", os.path.join(shared, "eval", "score_lines.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def scores(acc):
    """score_lines.py's figures from its tally."""
    kept_c = acc["c_kept"] / acc["c"] if acc["c"] else 1.0
    removed = 1 - acc["j_kept"] / acc["j"] if acc["j"] else 1.0
    kept = acc["c_kept"] + acc["j_kept"]
    p = acc["c_kept"] / kept if kept else 0.0
    f1 = 2 * p * kept_c / (p + kept_c) if p + kept_c else 0.0
    return {"f1": f1, "content_kept": kept_c, "junk_removed": removed, "precision": p}


def fold(page_id):
    return page_id.split("/", 1)[0]


def cleaned(tamis, pipeline_text, inputs, work, name, cpu, edits=None):
    """{id: kept text} of a `tamis run` with this pipeline (and into `edits`, {id: edit log})."""
    pipeline = os.path.join(work, f"{name}.toml")
    with open(pipeline, "w") as f:
        f.write(pipeline_text)
    out = os.path.join(work, name)
    run([tamis, "run", "--pipeline", pipeline, inputs, "-o", out, "--compression", "none",
         "--no-progress"], cpu)
    kept = {}
    for fn in sorted(os.listdir(os.path.join(out, "kept"))):
        with open(os.path.join(out, "kept", fn), encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                kept[d["id"]] = d["text"]
                if edits is not None:
                    edits[d["id"]] = d.get("metadata", {}).get("tamis_edits", [])
    return kept


def fold_models(a, labelled, folds, work):
    """{fold: path of a line model trained as the built-in one is, without that fold}."""
    models = a.models or os.path.join(work, "models")
    os.makedirs(models, exist_ok=True)
    feats = os.path.join(models, "features.jsonl")
    out = {}
    for f in folds:
        path = os.path.join(models, f"without-{f}.json")
        out[f] = path
        if os.path.exists(path):
            continue
        print(f"training the line model without {f} ...", file=sys.stderr, flush=True)
        run([sys.executable, os.path.join(ROOT, "tools", "train_line_model.py"), "--shared",
             a.shared, "--features", feats, "--out", path, "--hold-out", f], a.cpu)
    return out


def errors(sl, pages, kept, edits, folds):
    """Content lost by rule and junk kept by line length, per fold (see the module's doc)."""
    lost, junk, total = {}, {}, {}
    for p in pages:
        f = fold(p["id"])
        lines = p["text"].split("\n")
        text = kept.get(p["id"])
        mask = sl.kept_mask(lines, text) if text is not None else [False] * len(lines)
        rule_of = {}
        for e in edits.get(p["id"], []):
            for i in range(e["line_start"], e["line_end"]):
                rule_of.setdefault(i, e["rule"])
        for i, (line, label, k) in enumerate(zip(lines, p["labels"], mask)):
            n = len(line.strip())
            t = total.setdefault(f, {"C": 0, "J": 0})
            if label == "C":
                t["C"] += n
                if not k:
                    rule = rule_of.get(i, "page dropped" if text is None else "?")
                    lost.setdefault(f, {}).setdefault(rule, 0)
                    lost[f][rule] += n
            elif label in "BS":
                t["J"] += n
                if k:
                    bucket = "10+ words" if len(line.split()) >= 10 else "under 10 words"
                    junk.setdefault(f, {}).setdefault(bucket, 0)
                    junk[f][bucket] += n
    print("\nline_clean's errors: content lost by rule, junk kept by line length (shares)")
    for f in folds:
        by_rule = sorted(lost.get(f, {}).items(), key=lambda kv: -kv[1])
        print(f"{f}: content lost " + ", ".join(
            f"{r} {n / total[f]['C']:.3f}" for r, n in by_rule[:6]))
        print(f"{'':{len(f)}}  junk kept " + ", ".join(
            f"{b} {n / total[f]['J']:.3f}" for b, n in sorted(junk.get(f, {}).items())))


def main():
    ap = cleaning_parser(ROOT)
    ap.add_argument("--json", help="also write the scores here")
    ap.add_argument("--errors", action="store_true",
                    help="also tabulate line_clean's errors in each fold")
    ap.add_argument("--models", help="keep (and reuse) the per-fold line models in this folder")
    ap.add_argument("--built-in", action="store_true",
                    help="score every fold with the built-in line model (trained on all folds)")
    a = ap.parse_args()
    labelled = os.path.join(a.shared, "data", "labelled", "pages.jsonl.zst")
    if not os.path.exists(labelled):
        sys.exit(f"skipped: {labelled} is absent (the shared data is not on this machine)")
    if not os.path.exists(TAMIS):
        subprocess.run(["cargo", "build", "--release", "-p", "tamis-cli"], cwd=ROOT, check=True)
    sl = scorer(a.shared)
    pages = [json.loads(l) for l in
             subprocess.run(["zstd", "-dc", labelled], capture_output=True, check=True,
                            text=True).stdout.splitlines() if l.strip()]
    work = tempfile.mkdtemp(prefix="tamis-folds-")
    try:
        folds = sorted({fold(p["id"]) for p in pages})
        params = "".join(p + "\n" for p in a.param)
        line_clean = PIPELINES["line_clean"] + params
        models = None if a.built_in else fold_models(a, labelled, folds, work)
        seedlike = gen_seedlike.generate(a.shared, 2)
        seedlike_path = os.path.join(work, "seedlike.jsonl")
        with open(seedlike_path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in seedlike)
        edits = {}

        def methods(inputs, tag, page_fold, edits=None):
            """{method: {id: kept text}} over `inputs`, each page cleaned by the line model
            that never saw page_fold(id)."""
            out = {"line_clean": {}}
            if models is None:
                out["line_clean"] = cleaned(TAMIS, line_clean, inputs, work, f"lc{tag}", a.cpu,
                                            edits)
            else:
                for f, model in models.items():
                    e = {}
                    kept = cleaned(TAMIS, line_clean + f"line_model_path = {json.dumps(model)}\n",
                                   inputs, work, f"lc{tag}-{f}", a.cpu, e)
                    out["line_clean"].update(
                        (k, v) for k, v in kept.items() if page_fold(k) == f)
                    if edits is not None:
                        edits.update((k, v) for k, v in e.items() if page_fold(k) == f)
            out["rules"] = cleaned(TAMIS, line_clean + "line_model = false\n", inputs, work,
                                   f"rules{tag}", a.cpu)
            out["c4_lines"] = cleaned(TAMIS, PIPELINES["c4_lines"], inputs, work, f"c4{tag}",
                                      a.cpu)
            return out

        outputs = methods(labelled, "", fold, edits)
        outputs["keep_all"] = {p["id"]: p["text"] for p in pages}
        synth = methods(seedlike_path, "-seedlike", lambda i: i.split("/")[1])
        synth["keep_all"] = {p["id"]: p["text"] for p in seedlike}
        table = {}
        for method, kept in outputs.items():
            accs = {f: dict(c=0, c_kept=0, j=0, j_kept=0) for f in folds + ["all"]}
            for p in pages:
                for key in (fold(p["id"]), "all"):
                    sl.tally(accs[key], p["text"], p["labels"], kept.get(p["id"]))
            table[method] = {k: scores(v) for k, v in accs.items()}
        count = {f: sum(fold(p["id"]) == f for p in pages) for f in folds}
        count["all"] = len(pages)
        print("F1 / content kept / junk removed, by source (each a fold)")
        print(f"{'fold':24s} {'pages':>5s}  " + "  ".join(f"{m:^20s}" for m in outputs))
        for f in folds + ["all"]:
            cells = "  ".join("{f1:.3f} {content_kept:.3f} {junk_removed:.3f}".format(**table[m][f])
                              .center(20) for m in outputs)
            print(f"{f:24s} {count[f]:5d}  {cells}")
        print("\nworst fold (by F1)")
        for m in outputs:
            worst = min(folds, key=lambda f: table[m][f]["f1"])
            s = table[m][worst]
            least = min(folds, key=lambda f: table[m][f]["content_kept"])
            met = s["f1"] >= TARGET_F1 and all(table[m][f]["content_kept"] >= TARGET_KEPT
                                               for f in folds)
            print(f"{m:12s} {worst:24s} F1 {s['f1']:.3f}; least content kept "
                  f"{table[m][least]['content_kept']:.3f} ({least}); target "
                  f"(F1 >= {TARGET_F1}, content kept >= {TARGET_KEPT} on every fold) "
                  f"{'met' if met else 'not met'}")
        synth_table = {}
        for method, kept in synth.items():
            acc = dict(c=0, c_kept=0, j=0, j_kept=0)
            for p in seedlike:
                sl.tally(acc, p["text"], p["labels"], kept.get(p["id"]))
            synth_table[method] = scores(acc)
        print(f"\nseed-like pages ({len(seedlike)}; each scored by the line model that never saw "
              "its fold): F1 / content kept / junk removed")
        for m, sc in synth_table.items():
            print(f"{m:12s} {sc['f1']:.3f} {sc['content_kept']:.3f} {sc['junk_removed']:.3f}")
        table["seedlike"] = synth_table
        if a.errors:
            errors(sl, pages, outputs["line_clean"], edits, folds)
        seed = os.path.join(a.shared, "fixtures", "seed")
        if os.path.exists(seed):
            out = os.path.join(work, "seed")
            pipeline = os.path.join(work, "seed.toml")
            with open(pipeline, "w") as f:
                f.write(line_clean)
            run([TAMIS, "run", "--pipeline", pipeline, os.path.join(seed, "page.txt"), "-o", out,
                 "--compression", "none", "--no-progress"], a.cpu)
            text = "".join(json.loads(l)["text"] for fn in os.listdir(os.path.join(out, "kept"))
                           for l in open(os.path.join(out, "kept", fn), encoding="utf-8"))
            clean = os.path.join(work, "seed.txt")
            with open(clean, "w", encoding="utf-8") as f:
                f.write(text)
            print("\nseed page, line_clean (built-in model):", " ".join(run([
                sys.executable, os.path.join(a.shared, "eval", "score_lines.py"), "--page",
                os.path.join(seed, "page.txt"), os.path.join(seed, "labels.txt"), clean]).split()))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"pages": count, "scores": table}, f, indent=1)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
