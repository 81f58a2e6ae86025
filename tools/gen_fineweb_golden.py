#!/usr/bin/env python3
"""Generate the FineWeb-filter parity golden files with the reference tool, datatrove 0.10.1.

usage: tools/gen_fineweb_golden.py [--shared ../shared] [--out tests/golden]

Runs datatrove's own GopherRepetitionFilter, GopherQualityFilter,
C4QualityFilter(filter_no_terminal_punct=False) and FineWebQualityFilter, in FineWeb's order and
with FineWeb's parameters, over the shared corpora, and writes for every document its id, keep or
drop, the step and reason that dropped it, and the text after C4's line removal when kept:

  tests/golden/fineweb-{pages,articles}.jsonl.zst   one line per input document, input order
  tests/golden/subset-input.jsonl.zst               a few hundred of those documents (fresh clones
  tests/golden/subset-fineweb.jsonl.zst             have no ../shared) and their golden lines
  tests/golden/subset-c4-default.jsonl.zst
  tests/golden/c4-default-{pages,articles}.jsonl.zst  C4QualityFilter() alone with its defaults
                                                    (terminal-punctuation rule on): decision,
                                                    reason, sha256 of the kept text (first 16 hex)

Needs: pip install 'datatrove==0.10.1' spacy zstandard
"""
import argparse, hashlib, io, json, os, random, sys

import zstandard

from importlib.metadata import version

from datatrove.data import Document
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                        GopherQualityFilter, GopherRepetitionFilter)

assert version("datatrove") == "0.10.1", version("datatrove")

STEPS = [
    ("gopher_repetition", GopherRepetitionFilter()),
    ("gopher_quality", GopherQualityFilter()),
    ("c4_quality", C4QualityFilter(filter_no_terminal_punct=False)),
    ("fineweb_quality", FineWebQualityFilter()),
]


def read_jsonl_zst(path):
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def judge(rec):
    doc = Document(text=rec["text"], id=rec["id"], metadata=dict(rec.get("metadata") or {}))
    for name, step in STEPS:
        try:
            res = step.filter(doc)
        except Exception as e:  # a reference crash is recorded, never hidden
            return {"id": doc.id, "keep": False, "step": name, "reason": f"exception:{type(e).__name__}"}
        keep, reason = (res if isinstance(res, tuple) else (res, None))
        if not keep:
            return {"id": doc.id, "keep": False, "step": name, "reason": reason}
    return {"id": doc.id, "keep": True, "text": doc.text}


C4_DEFAULT = C4QualityFilter()


def judge_c4_default(rec):
    doc = Document(text=rec["text"], id=rec["id"], metadata={})
    res = C4_DEFAULT.filter(doc)
    keep, reason = (res if isinstance(res, tuple) else (res, None))
    if not keep:
        return {"id": doc.id, "keep": False, "reason": reason}
    return {"id": doc.id, "keep": True, "text_sha256": hashlib.sha256(doc.text.encode()).hexdigest()[:16]}


def write_jsonl_zst(path, rows):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "golden"))
    ap.add_argument("--subset", type=int, default=300)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    subset_pool = []
    for corpus in ("pages", "articles"):
        recs = list(read_jsonl_zst(os.path.join(args.shared, "data", "corpus", f"{corpus}.jsonl.zst")))
        rows = []
        for i, rec in enumerate(recs):
            rows.append(judge(rec))
            if i % 500 == 0:
                print(f"{corpus}: {i}/{len(recs)}", file=sys.stderr)
        write_jsonl_zst(os.path.join(args.out, f"fineweb-{corpus}.jsonl.zst"), rows)
        write_jsonl_zst(os.path.join(args.out, f"c4-default-{corpus}.jsonl.zst"),
                        [judge_c4_default(rec) for rec in recs])
        subset_pool += [(corpus, rec, row) for rec, row in zip(recs, rows)]
        kept = sum(r["keep"] for r in rows)
        print(f"{corpus}: {len(rows)} docs, {kept} kept", file=sys.stderr)

    # Subset for fresh clones: every (step, reason) seen, then a seeded sample, short pages first
    # so the committed files stay small.
    rng = random.Random(20261125)
    pool = [p for p in subset_pool if len(p[1]["text"]) <= 20000]
    rng.shuffle(pool)
    chosen, seen = [], {}
    for p in pool:
        key = (p[2].get("step"), p[2].get("reason"))
        if seen.get(key, 0) < 5:
            seen[key] = seen.get(key, 0) + 1
            chosen.append(p)
    for p in pool:
        if len(chosen) >= args.subset:
            break
        if p not in chosen:
            chosen.append(p)
    chosen.sort(key=lambda p: (p[0], p[1]["id"]))
    write_jsonl_zst(os.path.join(args.out, "subset-input.jsonl.zst"), [p[1] for p in chosen])
    write_jsonl_zst(os.path.join(args.out, "subset-fineweb.jsonl.zst"), [p[2] for p in chosen])
    write_jsonl_zst(os.path.join(args.out, "subset-c4-default.jsonl.zst"),
                    [judge_c4_default(p[1]) for p in chosen])
    print(f"subset: {len(chosen)} docs, reasons {sorted(map(str, seen))}", file=sys.stderr)


if __name__ == "__main__":
    main()
