#!/usr/bin/env python3
"""Generate the golden file of the `c4_paragraph` and `regex_filter` steps with the reference:
datatrove 0.10.1's own `C4ParagraphFilter` and `RegexFilter`.

usage: tools/gen_paragraph_regex_golden.py [--shared ../shared]

Documents: every page of ../shared/data/corpus/{pages,articles}.jsonl.zst (by id; left out with
a note when absent), the committed subset (by index) and crafted texts (stored whole) around the
paragraph thresholds. For each parameter set below, datatrove's `filter(doc)` verdict: a row
{"config", "source", "id" | "index" | "text", "reason": null when kept, else the drop reason
datatrove gives ("< 3 paragraphs", or "regex" for a RegexFilter, which gives none)}.

Writes crates/tamis-filters/tests/golden/paragraph-regex.jsonl.zst.
Needs: pip install 'datatrove==0.10.1' zstandard
"""
import argparse
import json
import os
import random
from importlib.metadata import version

from _golden import ROOT, corpus_docs, write_lines_zst

assert version("datatrove") == "0.10.1", version("datatrove")

# Patterns written in the syntax Python's `re` and Rust's `regex` share.
REGEXES = {
    "regex_lorem": r"(?i)lorem ipsum",
    "regex_date": r"\d{4}-\d{2}-\d{2}",
    "regex_cookie": r"(?i)\bcookies?\b",
    "regex_url": r"https?://[^\s]+\.(?:php|aspx?)\b",
    "regex_arabic": r"[\u0600-\u06FF]{12,}",
    "regex_lines": r"(?m)^Copyright\b",
    "regex_words": r"\b\w{25,}\b",
}


def crafted(rng):
    out = []
    for _ in range(400):
        lines = []
        for _ in range(rng.randint(0, 6)):
            n = rng.choice([0, 1, 50, 198, 199, 200, 201, 250, rng.randint(0, 400)])
            lines.append("".join(rng.choice("aé 中\t") for _ in range(n)))
        text = "\n".join(lines)
        if rng.random() < 0.2:
            text += "\n"
        out.append(text)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4ParagraphFilter, RegexFilter

    docs = corpus_docs(args.shared)
    docs += [({"source": "crafted", "text": t}, t) for t in crafted(random.Random(5))]

    filters = {"c4_paragraph": C4ParagraphFilter()}
    filters.update({name: RegexFilter(p) for name, p in REGEXES.items()})
    out, dropped = [], {}
    for name, f in filters.items():
        for rec, text in docs:
            verdict = f.filter(Document(text=text, id="x"))
            if verdict is True:
                reason = None
            elif verdict is False:
                reason = "regex"
            else:
                reason = verdict[1]
            dropped[name] = dropped.get(name, 0) + (reason is not None)
            out.append(json.dumps({"config": name, **rec, "reason": reason}, ensure_ascii=False) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "paragraph-regex.jsonl.zst")
    write_lines_zst(path, out)
    print(f"wrote {path}: {len(out)} rows; dropped per config: {dropped}")


if __name__ == "__main__":
    main()
