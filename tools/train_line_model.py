#!/usr/bin/env python3
"""Trains tamis's line model (crates/tamis-clean/data/line_model.json) on the shared labelled pages.

usage: tools/train_line_model.py [--shared ../shared] [--out crates/tamis-clean/data/line_model.json]
                                 [--sources A,B] [--hold-out SOURCE] [--folds]
                                 [--features FILE] [--add-checks]

The model is gradient-boosted regression trees on the logistic loss (Friedman 2001, "Greedy
function approximation"; the histogram split search of LightGBM, Ke et al. 2017), written here
in numpy so that the same data and this file give the same model on any machine (no threads, no
randomness). It predicts whether a non-blank line is junk (label B or S) or content (C) from the
features `line_features` computes in Rust (crates/tamis-clean/src/model/features.rs; dumped by
`cargo run --release -p tamis-clean --example line_features`); lines labelled A (either) or E
(empty) are left out. A line weighs its characters, as ../shared/eval/score_lines.py counts
them, and every source of the labelled pages weighs the same in total, so CleanEval's 660 pages do
not drown the others: the model is chosen by its worst source, not by the mean.

  --sources A,B       the sources to train on (default: all five)
  --hold-out SOURCE   leave this one out of them too (a fold of bench/clean_folds.py)
  --folds             print each source's score when trained on the others (leave one source out),
                      by this script's own tally of kept characters, then exit
  --features FILE     a cache of the feature dump: read if it exists, else written there
  --add-checks        only (re)write the check rows of the model at --out (see below)

Besides the labelled pages, it trains on seed-like pages (tools/gen_seedlike.py, seed
SEEDLIKE_SEED) made from the training sources' pages, weighing SEEDLIKE_WEIGHT of one source in
all. The model file keeps 40 training lines with the log-odds this script gives them; tamis's
test `log_odds_equal_the_trainers_to_the_last_bit` checks it computes the same.

The decision threshold is chosen on the training sources without looking at a held-out one:
each training source is scored by a model trained on the other training sources, and the
threshold is the one with the best worst-source F1 among those keeping at least 95% of every
source's content (or the one keeping the most content, if none does).

Needs numpy, the zstd command, and cargo (for the feature dump).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_seedlike  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMAT = "tamis-line-model/1"
# Boosting parameters, chosen by the worst fold of --folds.
PARAMS = {"trees": 150, "depth": 4, "learning_rate": 0.1, "l2": 1.0, "min_child_weight": 5.0,
          "bins": 64}
MIN_KEPT = 0.95
# Seed-like pages (tools/gen_seedlike.py) join the training data with this seed, weighing this
# much of one labelled source in all.
SEEDLIKE_SEED = 1
SEEDLIKE_WEIGHT = 0.5


def features(shared, records, cache):
    """The feature dump of `records` (from `cache` when it exists; written there if given)."""
    if cache and os.path.exists(cache):
        with open(cache) as f:
            return f.read()
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    dump = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "tamis-clean", "--example",
         "line_features"], input=payload, capture_output=True, check=True,
        cwd=ROOT).stdout.decode()
    if cache:
        with open(cache, "w") as f:
            f.write(dump)
    return dump


def load(shared, cache=None):
    """(names, X, y, weight, source, synthetic, page, source names) over the scored non-blank
    lines of the labelled pages and of the seed-like pages built from them."""
    pages = os.path.join(shared, "data", "labelled", "pages.jsonl.zst")
    raw = subprocess.run(["zstd", "-dc", pages], capture_output=True, check=True).stdout
    records = [json.loads(l) for l in raw.decode().splitlines() if l.strip()]
    records += gen_seedlike.generate(shared, SEEDLIKE_SEED)
    labelled = {r["id"]: (r["text"].split("\n"), r["labels"]) for r in records}
    it = iter(features(shared, records, cache).splitlines())
    names = json.loads(next(it))["features"]
    xs, ys, ws, srcs, synth, pids = [], [], [], [], [], []
    sources = {}
    for n, line in enumerate(it):
        rec = json.loads(line)
        lines, labels = labelled[rec["id"]]
        parts = rec["id"].split("/")
        seedlike = parts[0] == "seedlike"
        src = sources.setdefault(parts[1] if seedlike else parts[0], len(sources))
        for i, x in zip(rec["lines"], rec["x"]):
            lab = labels[i]
            if lab not in "CBS":
                continue
            xs.append(x)
            ys.append(0.0 if lab == "C" else 1.0)
            ws.append(len(lines[i].strip()))
            srcs.append(src)
            synth.append(seedlike)
            pids.append(n)
    names_by_src = sorted(sources, key=sources.get)
    return (names, np.array(xs), np.array(ys), np.array(ws, dtype=float), np.array(srcs),
            np.array(synth), np.array(pids), names_by_src)


def balanced(w, src, synth, train_sources):
    """Weights over the lines of `train_sources`: every source's labelled lines sum to the same
    total, and the seed-like pages made from them together to SEEDLIKE_WEIGHT of it; the mean
    over the lines used is 1, and lines of other sources weigh 0."""
    out = np.zeros_like(w)
    real = np.isin(src, train_sources) & ~synth
    fake = np.isin(src, train_sources) & synth
    for s in train_sources:
        m = (src == s) & ~synth
        out[m] = w[m] / w[m].sum()
    if fake.any():
        out[fake] = SEEDLIKE_WEIGHT * w[fake] / w[fake].sum()
    used = real | fake
    return out * (used.sum() / out.sum())


def bin_edges(x, bins):
    """Per feature, the thresholds a split may use: x <= edge goes left."""
    edges = []
    for f in range(x.shape[1]):
        u = np.unique(x[:, f])
        if len(u) > bins:
            u = np.unique(np.quantile(x[:, f], np.linspace(0, 1, bins + 1)[1:-1],
                                      method="inverted_cdf"))
        edges.append(u)
    return edges


def binned(x, edges):
    b = np.empty(x.shape, dtype=np.int32)
    for f, e in enumerate(edges):
        b[:, f] = np.searchsorted(e, x[:, f], side="left")
    return b


def build_tree(b, g, h, edges, p):
    """One tree grown level by level to p["depth"]; returns (feature, threshold, left, right, value)."""
    nb = p["bins"] + 2
    n_feat = b.shape[1]
    offsets = (np.arange(n_feat) * nb)[None, :]
    nodes = []  # [feature, threshold, left, right, value]
    nodes.append(None)
    queue = [(0, np.arange(len(g)), 0)]
    while queue:
        node, idx, depth = queue.pop(0)
        G, H = g[idx].sum(), h[idx].sum()
        leaf = [-1, 0.0, 0, 0, float(-G / (H + p["l2"]) * p["learning_rate"])]
        if depth >= p["depth"] or H < 2 * p["min_child_weight"]:
            nodes[node] = leaf
            continue
        flat = (b[idx] + offsets).ravel()
        hg = np.bincount(flat, weights=np.repeat(g[idx], n_feat), minlength=nb * n_feat)
        hh = np.bincount(flat, weights=np.repeat(h[idx], n_feat), minlength=nb * n_feat)
        cg = np.cumsum(hg.reshape(n_feat, nb), axis=1)
        ch = np.cumsum(hh.reshape(n_feat, nb), axis=1)
        gain = (cg ** 2 / (ch + p["l2"]) + (G - cg) ** 2 / (H - ch + p["l2"])
                - G ** 2 / (H + p["l2"]))
        ok = (ch >= p["min_child_weight"]) & (H - ch >= p["min_child_weight"])
        # A split at bin k sends x <= edges[f][k] left; the last bins have no edge.
        for f in range(n_feat):
            ok[f, len(edges[f]):] = False
        gain = np.where(ok, gain, -np.inf)
        f, k = np.unravel_index(np.argmax(gain), gain.shape)
        if not np.isfinite(gain[f, k]) or gain[f, k] <= 1e-12:
            nodes[node] = leaf
            continue
        go_left = b[idx, f] <= k
        left, right = len(nodes), len(nodes) + 1
        nodes.extend([None, None])
        nodes[node] = [int(f), float(edges[f][k]), left, right, 0.0]
        queue.append((left, idx[go_left], depth + 1))
        queue.append((right, idx[~go_left], depth + 1))
    return nodes


def predict_tree(nodes, x):
    out = np.zeros(len(x))
    stack = [(0, np.arange(len(x)))]
    while stack:
        j, idx = stack.pop()
        f, thr, left, right, value = nodes[j]
        if f < 0:
            out[idx] = value
            continue
        m = x[idx, f] <= thr
        stack.append((left, idx[m]))
        stack.append((right, idx[~m]))
    return out


def train(x, y, w, p=PARAMS):
    edges = bin_edges(x, p["bins"])
    b = binned(x, edges)
    mean = np.average(y, weights=w)
    base = float(np.log(mean / (1 - mean)))
    z = np.full(len(y), base)
    trees = []
    for _ in range(p["trees"]):
        prob = 1 / (1 + np.exp(-z))
        g, h = w * (prob - y), w * prob * (1 - prob)
        nodes = build_tree(b, g, h, edges, p)
        trees.append(nodes)
        z += predict_tree(nodes, x)
    return base, trees


def predict(model, x):
    base, trees = model
    z = np.full(len(x), base)
    for t in trees:
        z += predict_tree(t, x)
    return 1 / (1 + np.exp(-z))


def fold_scores(prob, y, w, t):
    """score_lines.py's figures for lines kept when prob < t."""
    kept = prob < t
    c, c_kept = w[y == 0].sum(), w[(y == 0) & kept].sum()
    j, j_kept = w[y == 1].sum(), w[(y == 1) & kept].sum()
    kept_c = c_kept / c if c else 1.0
    prec = c_kept / (c_kept + j_kept) if c_kept + j_kept else 0.0
    f1 = 2 * prec * kept_c / (prec + kept_c) if prec + kept_c else 0.0
    return f1, kept_c, (1 - j_kept / j if j else 1.0)


GRID = [round(t, 2) for t in np.arange(0.3, 0.96, 0.05)]


def choose_threshold(x, y, w, src, synth, sources):
    """The threshold with the best worst-source F1 (content kept >= MIN_KEPT on every source),
    each source's labelled pages scored by a model trained on the other sources (their
    labelled and seed-like pages)."""
    oof = np.zeros(len(y))
    for s in sources:
        others = [o for o in sources if o != s]
        bw = balanced(w, src, synth, others)
        tr = bw > 0
        oof[src == s] = predict(train(x[tr], y[tr], bw[tr]), x[src == s])
    best = None
    for t in GRID:
        per = []
        for s in sources:
            m = (src == s) & ~synth
            per.append(fold_scores(oof[m], y[m], w[m], t))
        worst_f1, least_kept = min(f for f, _, _ in per), min(k for _, k, _ in per)
        key = (least_kept >= MIN_KEPT, worst_f1 if least_kept >= MIN_KEPT else least_kept)
        if best is None or key > best[0]:
            best = (key, t)
    return best[1]


def fit(x, y, w, src, synth, pid, sources):
    """A model trained on `sources` (their labelled and seed-like pages) and its threshold (with
    one source, chosen on its two halves of pages, by page number parity)."""
    if len(sources) == 1:
        halves = np.where(src == sources[0], 2 * src + pid % 2, -1)
        t = choose_threshold(x, y, w, halves, synth, [2 * sources[0], 2 * sources[0] + 1])
    else:
        t = choose_threshold(x, y, w, src, synth, sources)
    bw = balanced(w, src, synth, sources)
    tr = bw > 0
    return train(x[tr], y[tr], bw[tr]), t


def log_odds(model, x):
    base, trees = model
    z = np.full(len(x), base)
    for t in trees:
        z += predict_tree(t, x)
    return z


def to_json(names, model, t, trained_on, check_rows):
    base, trees = model
    return {
        "format": FORMAT,
        "features": names,
        "base": base,
        "threshold": t,
        "trained_on": trained_on,
        "params": PARAMS,
        "trees": [{k: [n[i] for n in nodes] for i, k in
                   enumerate(["feature", "threshold", "left", "right", "value"])}
                  for nodes in trees],
        # Lines and their log-odds as this script computes them: tamis's test checks it gets
        # the same, to the last bit.
        "checks": [{"x": row.tolist(), "log_odds": float(z)}
                   for row, z in zip(check_rows, log_odds(model, check_rows))],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-clean", "data",
                                                  "line_model.json"))
    ap.add_argument("--sources", help="comma-separated; default: every source")
    ap.add_argument("--hold-out")
    ap.add_argument("--folds", action="store_true")
    ap.add_argument("--features")
    ap.add_argument("--add-checks", action="store_true",
                    help="only add the check rows to the model file at --out (for a model "
                         "trained before they existed)")
    a = ap.parse_args()
    names, x, y, w, src, synth, pid, src_names = load(a.shared, a.features)
    wanted = a.sources.split(",") if a.sources else list(src_names)
    unknown = [s for s in wanted + [a.hold_out or wanted[0]] if s not in src_names]
    if unknown:
        sys.exit(f"unknown source {unknown[0]} (sources: {', '.join(src_names)})")
    train_sources = [src_names.index(s) for s in wanted if s != a.hold_out]
    if a.add_checks:
        with open(a.out) as f:
            m = json.load(f)
        trees = [[[n[k][i] for k in ("feature", "threshold", "left", "right", "value")]
                  for i in range(len(n["feature"]))] for n in m["trees"]]
        rows = x[::500][:40]
        m["checks"] = [{"x": row.tolist(), "log_odds": float(z)}
                       for row, z in zip(rows, log_odds((m["base"], trees), rows))]
        with open(a.out, "w") as f:
            json.dump(m, f, separators=(",", ":"))
            f.write("\n")
        return
    if a.folds:
        rows = []
        for s in range(len(src_names)):
            others = [o for o in train_sources if o != s]
            model, t = fit(x, y, w, src, synth, pid, others)
            prob = predict(model, x)
            for label, m in (("", (src == s) & ~synth), (" seed-like", (src == s) & synth)):
                f1, kept, removed = fold_scores(prob[m], y[m], w[m], t)
                if not label:
                    rows.append((f1, kept))
                print(f"{src_names[s] + label:34} F1 {f1:.3f} content kept {kept:.3f} junk "
                      f"removed {removed:.3f} (threshold {t}; trained on "
                      f"{', '.join(src_names[o] for o in others)})", flush=True)
        print(f"worst F1 {min(r[0] for r in rows):.3f}, least content kept "
              f"{min(r[1] for r in rows):.3f}")
        return
    model, t = fit(x, y, w, src, synth, pid, train_sources)
    trained_on = [src_names[s] for s in train_sources]
    with open(a.out, "w") as f:
        # Check rows: every 500th line of the training data (a spread of pages and sources).
        json.dump(to_json(names, model, t, trained_on, x[::500][:40]), f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {a.out}: {len(model[1])} trees, threshold {t}, trained on "
          f"{', '.join(trained_on)} (labelled and seed-like pages)")

if __name__ == "__main__":
    main()
