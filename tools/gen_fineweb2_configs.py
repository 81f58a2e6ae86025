#!/usr/bin/env python3
"""Bundle FineWeb-2's per-language filter settings with tamis.

usage: tools/gen_fineweb2_configs.py REPO
  REPO: a checkout of https://github.com/huggingface/fineweb-2 (Apache-2.0); this was generated
  from commit d0defb24f193bb9a5a11b8b14524a03c4858e1b6 (2025-10-27).

Reads every `configs/<lang>_<Script>.yml` (the settings `fineweb-2-pipeline.py` loads for each
language) and writes crates/tamis-filters/data/fineweb2/configs.jsonl.zst: one JSON object per
language, sorted by name, with the YAML's fields unchanged plus "name"; and the repository's
LICENSE beside it.

Also writes precision.jsonl.zst, the data of FineWeb-2's precision filtering
(`misc/precision_filtering/run_precision_filtering.py`) for the languages it runs on, those
whose contamination score (`cont_scores.json`) is above 0.1: {"name", "cont_score",
"wordlist": the stripped non-empty lines of `wordlists-0.85/<name>.txt`, sorted and unique,
"url_whitelist": `url_whitelist.json`'s words for the language code, in file order}.

And writes crates/tamis-dedup/data/fineweb2/rehydration.jsonl.zst, FineWeb-2's rehydration
(upsampling) weights, `misc/rehydration/weights/up_to_<NN>_reps.json` for NN 03 to 10: one object
per maximum repetition count and language, {"max_reps", "name", "weights": [[cluster size limit,
copies], ...] sorted by limit}, sorted by max_reps then name; and the LICENSE beside it.

Needs: pip install pyyaml zstandard
"""
import json
import os
import shutil
import sys

import yaml
import zstandard

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "crates", "tamis-filters", "data", "fineweb2")
DEDUP_OUT = os.path.join(ROOT, "crates", "tamis-dedup", "data", "fineweb2")
FIELDS = {"dup_line_frac", "dup_n_grams", "language_score", "line_punct_thr", "max_avg_word_length",
          "max_non_alpha_words_ratio", "min_avg_word_length", "new_line_ratio", "stopwords", "top_n_grams"}


def main():
    repo = sys.argv[1]
    cdir = os.path.join(repo, "configs")
    rows = []
    for name in sorted(os.listdir(cdir)):
        if not name.endswith(".yml"):
            continue
        with open(os.path.join(cdir, name), encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
        assert set(cfg) == FIELDS, (name, set(cfg) ^ FIELDS)
        assert len(cfg["dup_n_grams"]) == 6 and len(cfg["top_n_grams"]) == 3, name
        cfg["stopwords"] = cfg["stopwords"] or []
        # Quoted in the YAML: no stop word is read as a boolean or a number.
        assert all(isinstance(w, str) for w in cfg["stopwords"]), name
        rows.append({"name": name[:-4], **{k: cfg[k] for k in sorted(cfg)}})
    raw = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "configs.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    print(f"wrote {len(rows)} language configs ({len(raw)} bytes before compression)", file=sys.stderr)
    shutil.copyfile(os.path.join(repo, "LICENSE"), os.path.join(OUT, "LICENSE"))

    pdir = os.path.join(repo, "misc", "precision_filtering")
    with open(os.path.join(pdir, "cont_scores.json"), encoding="utf-8") as f:
        cont = json.load(f)
    with open(os.path.join(pdir, "url_whitelist.json"), encoding="utf-8") as f:
        whitelist = json.load(f)
    prows = []
    for name in sorted(k for k, v in cont.items() if v > 0.1):
        with open(os.path.join(pdir, "wordlists-0.85", name + ".txt"), encoding="utf-8") as f:
            words = sorted({line.strip() for line in f if line.strip()})
        prows.append({"name": name, "cont_score": cont[name], "wordlist": words,
                      "url_whitelist": whitelist.get(name.split("_")[0], [])})
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in prows).encode()
    with open(os.path.join(OUT, "precision.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    print(f"wrote precision data for {len(prows)} languages ({len(raw)} bytes before compression)", file=sys.stderr)

    wdir = os.path.join(repo, "misc", "rehydration", "weights")
    wrows = []
    for max_reps in range(3, 11):
        with open(os.path.join(wdir, f"up_to_{max_reps:02d}_reps.json"), encoding="utf-8") as f:
            tables = json.load(f)
        for name in sorted(tables):
            weights = sorted((int(k), v) for k, v in tables[name].items())
            assert all(isinstance(v, int) and 1 <= v <= max_reps for _, v in weights), name
            assert weights and weights[0][0] >= 1, name
            wrows.append({"max_reps": max_reps, "name": name, "weights": weights})
    raw = "".join(json.dumps(r) + "\n" for r in wrows).encode()
    os.makedirs(DEDUP_OUT, exist_ok=True)
    with open(os.path.join(DEDUP_OUT, "rehydration.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    shutil.copyfile(os.path.join(repo, "LICENSE"), os.path.join(DEDUP_OUT, "LICENSE"))
    print(f"wrote {len(wrows)} rehydration tables ({len(raw)} bytes before compression)", file=sys.stderr)


if __name__ == "__main__":
    main()
