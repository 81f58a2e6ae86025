#!/usr/bin/env python3
"""Golden for the `language` step: datatrove 0.10.1's own LanguageFilter on the committed subset.

usage: tools/gen_language_golden.py [--model models/lid.176.ftz]

Runs datatrove's LanguageFilter (backend "ft176") with several parameter sets over
tests/golden/subset-input.jsonl.zst (300 real pages) and sample/seed-page.txt, and writes
crates/tamis-filters/tests/golden/language-filter.jsonl.zst: one line per (config, document) with
the keep decision and every metadata key the filter added (language, language_score,
top_language_<lang>_score), scores as Python floats. datatrove's FT176LID downloads lid.176.bin;
here `cached_asset_path_or_download` in datatrove.utils.lid returns the local model instead, the
same offline arrangement as tools/gen_lid_golden.py. Everything else is datatrove's code.

Needs: pip install fasttext-numpy2-wheel 'datatrove==0.10.1' fasteners zstandard
"""
import argparse, json, os
from importlib.metadata import version

from _golden import ROOT, SUBSET_INPUT, read_jsonl_zst, write_lines_zst

assert version("datatrove") == "0.10.1", version("datatrove")

# name -> LanguageFilter keyword arguments (the `language` step takes the same names).
CONFIGS = {
    "default": {},
    "en": {"languages": ["en"]},
    "en_de_fr_top": {"languages": ["en", "de", "fr"], "language_threshold": 0.5, "keep_top_pairs_threshold": 0.001},
    "any_top": {"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9},
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "lid.176.ftz"))
    args = ap.parse_args()
    import datatrove.utils.lid as dt_lid
    from datatrove.data import Document
    from datatrove.pipeline.filters.language_filter import LanguageFilter

    dt_lid.cached_asset_path_or_download = lambda *a, **kw: os.path.abspath(args.model)
    docs = [(r["id"], r["text"]) for r in read_jsonl_zst(SUBSET_INPUT)]
    docs.append(("seed-page", open(os.path.join(ROOT, "sample", "seed-page.txt"), encoding="utf-8").read()))
    out = []
    for name, kwargs in CONFIGS.items():
        filt = LanguageFilter(backend="ft176", **kwargs)
        for doc_id, text in docs:
            doc = Document(text=text, id=doc_id)
            keep = bool(filt.filter(doc))
            out.append(json.dumps({"config": name, "id": doc_id, "keep": keep, "metadata": doc.metadata},
                                  ensure_ascii=False) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "language-filter.jsonl.zst")
    write_lines_zst(path, out)
    print(f"wrote {path}: {len(out)} rows")


if __name__ == "__main__":
    main()
