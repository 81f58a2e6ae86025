#!/usr/bin/env python3
"""Generate the rehydration golden files with the reference: FineWeb-2's own `Rehydrater`
blocks, run as datatrove 0.10.1 pipeline steps.

usage: tools/gen_rehydration_golden.py FINEWEB2_REPO [--out crates/tamis-dedup/tests/golden/rehydration]

FINEWEB2_REPO is a checkout of https://github.com/huggingface/fineweb-2 (Apache-2.0; commit
d0defb24f193bb9a5a11b8b14524a03c4858e1b6 made these files). The `Rehydrater` classes are not
copied here: they are read from the repository's text and executed as they stand, the
per-language one from `misc/rehydration/README.md` (with the tables of
`misc/rehydration/weights/up_to_<NN>_reps.json`, keys made integers as its README's example
has them) and the fixed-table one from the top `README.md`.

Input: for each of the 115 languages of crates/tamis-filters/tests/golden/fineweb2/docs.jsonl.zst,
one document per cluster size around each limit of that language's eight tables (limit - 1,
limit, limit + 1) plus 1, 2, 3, 6000 and 100000: id "<lang>/<size>", the first 200 characters of
the language's first golden document as text, and GlotLID-style metadata with
`minhash_cluster_size`. Each language's documents are read by datatrove's JsonlReader and passed
through its `Rehydrater`, as FineWeb-2 runs one language folder at a time.

Writes:
  input.jsonl.zst  the input documents, in order
  copies.json      {"3".."10": the number of consecutive copies of each input document in the
                   per-language Rehydrater's output, in input order; "readme": the same for the
                   top README's block}

Needs: pip install 'datatrove==0.10.1' zstandard
"""
import argparse
import json
import os
import re
import tempfile
from importlib.metadata import version

from _golden import ROOT, read_jsonl_zst, write_jsonl_zst
from loguru import logger
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader

assert version("datatrove") == "0.10.1", version("datatrove")


def rehydrater_class(readme_path):
    """The `class Rehydrater` block of a README, executed as written."""
    with open(readme_path, encoding="utf-8") as f:
        text = f.read()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "class Rehydrater" in b]
    assert len(blocks) == 1, readme_path
    namespace = {"PipelineStep": PipelineStep, "DocumentsPipeline": DocumentsPipeline}
    exec(blocks[0], namespace)  # noqa: S102 - the reference code itself
    return namespace["Rehydrater"]


def run_lengths(ids):
    """[(id, consecutive count)] of a sequence."""
    out = []
    for i in ids:
        if out and out[-1][0] == i:
            out[-1][1] += 1
        else:
            out.append([i, 1])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-dedup", "tests", "golden", "rehydration"))
    args = ap.parse_args()
    logger.remove()  # datatrove logs every file it opens

    tables = {}
    for r in range(3, 11):
        with open(os.path.join(args.repo, "misc", "rehydration", "weights", f"up_to_{r:02d}_reps.json")) as f:
            tables[r] = json.load(f)
    per_language = rehydrater_class(os.path.join(args.repo, "misc", "rehydration", "README.md"))
    fixed = rehydrater_class(os.path.join(args.repo, "README.md"))

    first_text = {}
    for d in read_jsonl_zst(os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "fineweb2", "docs.jsonl.zst")):
        first_text.setdefault(d["id"].split("/")[0], d["text"][:200])
    docs = []
    without = [lang for lang in sorted(first_text) if not all(lang in tables[r] for r in tables)]
    for lang in sorted(first_text):
        if lang in without:
            continue
        limits = {int(k) for r in tables for k in tables[r][lang]}
        sizes = {s for l in limits for s in (l - 1, l, l + 1)} | {1, 2, 3, 6000, 100000}
        code, script = lang.split("_")
        for size in sorted(s for s in sizes if s >= 1):
            docs.append({"id": f"{lang}/{size}", "text": first_text[lang],
                         "metadata": {"language": code, "language_script": script, "minhash_cluster_size": size}})

    def rehydrate(make_step, lang_docs, tmp):
        path = os.path.join(tmp, "in")
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "00000.jsonl"), "w", encoding="utf-8") as f:
            for d in lang_docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        ids = [doc.id for doc in make_step().run(JsonlReader(path).run())]
        runs = run_lengths(ids)
        assert [r[0] for r in runs] == [d["id"] for d in lang_docs], "copies follow input order"
        return [r[1] for r in runs]

    copies = {}
    by_lang = {}
    for d in docs:
        by_lang.setdefault(d["id"].split("/")[0], []).append(d)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(3, 11):
            copies[str(r)] = []
            for lang, lang_docs in by_lang.items():
                weights = {int(k): v for k, v in tables[r][lang].items()}
                copies[str(r)] += rehydrate(lambda: per_language(weights), lang_docs, tmp)
        copies["readme"] = rehydrate(fixed, docs, tmp)

    write_jsonl_zst(os.path.join(args.out, "input.jsonl.zst"), docs)
    with open(os.path.join(args.out, "copies.json"), "w") as f:
        json.dump(copies, f, separators=(",", ":"))
        f.write("\n")
    print(f"languages without tables, left out: {without}")
    print(f"{len(docs)} documents in {len(by_lang)} languages; "
          f"copies written at 10 repetitions: {sum(copies['10'])}")


if __name__ == "__main__":
    main()
