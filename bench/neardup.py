#!/usr/bin/env python3
"""Near-duplicate detection quality: precision and recall of `tamis dedup --minhash` by Jaccard band.

usage: bench/neardup.py [--shared ../shared] [--seed 7] [--keep DIR]

The benchmark set is DERIVED from the real articles in ../shared/data/corpus/articles.jsonl.zst
(trafilatura's main text of public extraction-benchmark pages): every article, plus for each one
a copy with one controlled edit drawn with a fixed seed, and for a third of them a second copy:
  substitute / insert / delete  a share of the words (1% to 40%) at random positions,
  boilerplate                   navigation and footer lines added at the top and bottom,
  truncate                      only the first 40% to 95% of the words kept,
  reorder                       the paragraphs shuffled.
Ground truth is the exact Jaccard similarity of the documents' sets of word 5-grams, computed
by brute force over every pair that shares a 5-gram, with the same normalisation and words as
MinHash uses (datatrove's simplify_text and English word tokenizer). Pairs found = pairs of
documents tamis puts in one cluster. Reports, per band of true Jaccard, how many pairs exist
and how many tamis found (recall), and how many of the pairs it found fall below 0.5
(precision at that cut). Needs: a release build, pip install 'datatrove==0.10.1' spacy zstandard
"""
import argparse, io, itertools, json, os, random, subprocess, sys, tempfile, time
from collections import defaultdict

import zstandard
from datatrove.utils.text import simplify_text
from datatrove.utils.word_tokenizers import load_word_tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOILERPLATE_TOP = ["Skip to main content", "Home | News | Sport | Business | Contact", "Subscribe to our newsletter"]
BOILERPLATE_BOTTOM = ["Share this article: Facebook Twitter Email", "© 2024 All rights reserved.",
                      "Privacy policy | Terms of use | Cookie settings", "Related articles"]
BANDS = [(0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.3, 0.5), (0.0, 0.3)]


def read_jsonl_zst(path):
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def edit(text, rng, vocab):
    kind = rng.choice(["substitute", "insert", "delete", "boilerplate", "truncate", "reorder"])
    lines = text.split("\n")
    if kind == "boilerplate":
        top = rng.sample(BOILERPLATE_TOP, rng.randint(1, 3))
        bottom = rng.sample(BOILERPLATE_BOTTOM, rng.randint(1, 4))
        return kind, 0.0, "\n".join(top + lines + bottom)
    if kind == "reorder":
        rng.shuffle(lines)
        return kind, 0.0, "\n".join(lines)
    words = [(li, w) for li, line in enumerate(lines) for w in line.split(" ")]
    if kind == "truncate":
        keep = rng.choice([0.4, 0.6, 0.8, 0.95])
        words = words[: max(1, int(len(words) * keep))]
        rate = keep
    else:
        rate = rng.choice([0.01, 0.03, 0.1, 0.2, 0.3, 0.4])
        out = []
        for li, w in words:
            hit = rng.random() < rate
            if kind == "substitute" and hit:
                out.append((li, rng.choice(vocab)))
            elif kind == "delete" and hit:
                continue
            else:
                out.append((li, w))
                if kind == "insert" and hit:
                    out.append((li, rng.choice(vocab)))
        words = out
    rebuilt = defaultdict(list)
    for li, w in words:
        rebuilt[li].append(w)
    return kind, rate, "\n".join(" ".join(rebuilt[li]) for li in sorted(rebuilt))


def shingles(text, tok):
    words = tok.word_tokenize(simplify_text(text))
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", help="write the derived set and tamis's output here")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    originals = [r["text"] for r in read_jsonl_zst(os.path.join(args.shared, "data", "corpus", "articles.jsonl.zst"))]
    vocab = sorted({w for t in originals[:200] for w in t.split() if w.isalpha()})
    docs = []  # (id, text, edit description)
    for i, t in enumerate(originals):
        docs.append((f"orig-{i}", t, "original"))
        for c in range(2 if i % 3 == 0 else 1):
            kind, rate, text = edit(t, rng, vocab)
            docs.append((f"copy-{i}-{c}", text, f"{kind}:{rate}"))
    rng.shuffle(docs)  # copies must not always follow their original

    t0 = time.time()
    tok = load_word_tokenizer("en")
    sets = [shingles(t, tok) for _, t, _ in docs]
    index = defaultdict(list)
    for d, s in enumerate(sets):
        for g in s:
            index[g].append(d)
    overlap = defaultdict(int)
    for postings in index.values():
        for a, b in itertools.combinations(postings, 2):
            overlap[(a, b)] += 1
    truth = {p: n / (len(sets[p[0]]) + len(sets[p[1]]) - n) for p, n in overlap.items()}
    print(f"{len(docs)} documents ({len(originals)} originals), {len(truth)} pairs sharing a 5-gram; "
          f"ground truth in {time.time() - t0:.0f}s", file=sys.stderr)

    work = args.keep or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    inp = os.path.join(work, "neardup.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        for id_, text, how in docs:
            f.write(json.dumps({"id": id_, "text": text, "metadata": {"edit": how}}, ensure_ascii=False) + "\n")
    out = os.path.join(work, "out")
    exe = os.path.join(ROOT, "target", "release", "tamis")
    subprocess.run([exe, "dedup", "--minhash", inp, "-o", out, "--overwrite"], check=True)
    pos = {id_: d for d, (id_, _, _) in enumerate(docs)}
    clusters = defaultdict(list)
    for sub in ("kept", "dropped"):
        for name in sorted(os.listdir(os.path.join(out, sub))):
            for r in read_jsonl_zst(os.path.join(out, sub, name)):
                cid = r["metadata"].get("minhash_cluster_id")
                if cid is not None:
                    clusters[cid].append(pos[r["id"]])
    found = {tuple(sorted(p)) for members in clusters.values() for p in itertools.combinations(members, 2)}

    print(f"\n| true 5-gram Jaccard | pairs | found by tamis | recall |")
    print("| --- | ---: | ---: | ---: |")
    for lo, hi in BANDS:
        pairs = [p for p, j in truth.items() if lo <= j < hi]
        hit = sum(1 for p in pairs if p in found)
        rec = f"{hit / len(pairs):.3f}" if pairs else "-"
        print(f"| {lo:.1f}-{min(hi, 1.0):.1f} | {len(pairs)} | {hit} | {rec} |")
    unrelated = sum(1 for p in found if p not in truth)
    below = sum(1 for p in found if truth.get(p, 0.0) < 0.5)
    print(f"\npairs found: {len(found)}; with true Jaccard >= 0.5: {len(found) - below} "
          f"(precision {1 - below / max(1, len(found)):.3f}); sharing no 5-gram at all: {unrelated}")


if __name__ == "__main__":
    main()
