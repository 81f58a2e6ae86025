#!/usr/bin/env python3
"""Golden for the `language` step's `glotlid` backend: datatrove 0.10.1's own LanguageFilter
(backend "glotlid") with a small model in GlotLID's label format, trained here.

usage: tools/gen_glotlid_golden.py [--shared ../shared]

GlotLID's weights live on the Hugging Face hub, which these machines cannot reach, so this trains
a stand-in with fastText's own trainer (thread 1, fixed seed): lingua's test sentences of eight
languages, labelled as GlotLID labels them (`__label__<ISO 639-3>_<ISO 15924 script>`, e.g.
`__label__deu_Latn`), with character n-grams as GlotLID has. It writes
crates/tamis-filters/tests/golden/glotlid/:

  glotlid-tiny.bin   the model (a few hundred KB)
  filter.jsonl.zst   one line per (config, document): the text, datatrove's keep decision and
                     every metadata key its filter added (language_script, language,
                     language_score, top_language_<label>_score)

Documents: held-out lingua sentences of each language (one, and three joined by newlines),
pairs of two languages, and a few edge texts. datatrove's GlotLID downloads `model_v3.bin`;
here `cached_asset_path_or_download` in datatrove.utils.lid returns the local model instead (as
tools/gen_language_golden.py does). Everything else is datatrove's code.

Needs: pip install fasttext-numpy2-wheel 'datatrove==0.10.1' fasteners zstandard
"""
import argparse
import json
import os
import tempfile
from importlib.metadata import version

from _golden import ROOT, train_supervised_seeded, write_lines_zst

assert version("datatrove") == "0.10.1", version("datatrove")

# lingua's folder -> GlotLID's label.
LANGS = {
    "de": "deu_Latn",
    "en": "eng_Latn",
    "fr": "fra_Latn",
    "tr": "tur_Latn",
    "ru": "rus_Cyrl",
    "uk": "ukr_Cyrl",
    "fa": "pes_Arab",
    "el": "ell_Grek",
}
TRAIN_PER_LANG = 300
TEST_PER_LANG = 12
# GlotLID's own training options are larger; these keep the committed model small.
TRAIN_OPTS = dict(dim=16, epoch=10, lr=0.5, minn=2, maxn=4, bucket=5_000, minCount=2, thread=1)

# name -> LanguageFilter keyword arguments (the `language` step takes the same names).
CONFIGS = {
    "default": {},
    "deu": {"languages": ["deu_Latn"]},
    "three_top": {
        "languages": ["deu_Latn", "fra_Latn", "rus_Cyrl"],
        "language_threshold": 0.5,
        "keep_top_pairs_threshold": 0.001,
    },
    "any_top": {"keep_top_pairs_threshold": 0.01, "language_threshold": 0.9},
}


def sentences(shared, lang):
    path = os.path.join(shared, "data", "lid", "lingua-testdata", lang, "testdata", "sentences.txt")
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    out_dir = os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "glotlid")
    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, "glotlid-tiny.bin")

    by_lang = {lang: sentences(args.shared, lang) for lang in LANGS}
    with tempfile.TemporaryDirectory() as tmp:
        train = os.path.join(tmp, "train.txt")
        with open(train, "w", encoding="utf-8") as f:
            for lang, label in LANGS.items():
                for s in by_lang[lang][:TRAIN_PER_LANG]:
                    f.write(f"__label__{label} {s}\n")
        model, seed = train_supervised_seeded(train, 20261204, "glotlid-tiny", **TRAIN_OPTS)
        model.save_model(model_path)
    print(f"wrote {model_path} (seed {seed})")

    docs = []
    for lang in LANGS:
        held = by_lang[lang][TRAIN_PER_LANG:TRAIN_PER_LANG + TEST_PER_LANG]
        docs += [(f"{lang}-{i}", s) for i, s in enumerate(held[:8])]
        docs.append((f"{lang}-lines", "\n".join(held[8:11])))
    langs = list(LANGS)
    for i, (a, b) in enumerate(zip(langs, langs[1:] + langs[:1])):
        docs.append((f"mix-{a}-{b}", by_lang[a][TRAIN_PER_LANG + 11] + "\n" + by_lang[b][TRAIN_PER_LANG + 11]))
    docs += [("empty", ""), ("digits", "12345 67890"), ("newlines", "\n\n\n"), ("symbols", "!!! ??? ...")]

    import datatrove.utils.lid as dt_lid
    from datatrove.data import Document
    from datatrove.pipeline.filters.language_filter import LanguageFilter

    dt_lid.cached_asset_path_or_download = lambda *a, **kw: os.path.abspath(model_path)
    rows = []
    for name, kwargs in CONFIGS.items():
        filt = LanguageFilter(backend="glotlid", **kwargs)
        for doc_id, text in docs:
            doc = Document(text=text, id=doc_id)
            keep = bool(filt.filter(doc))
            rows.append(json.dumps({"config": name, "id": doc_id, "text": text, "keep": keep,
                                    "metadata": doc.metadata}, ensure_ascii=False) + "\n")
    path = os.path.join(out_dir, "filter.jsonl.zst")
    write_lines_zst(path, rows)
    print(f"wrote {path}: {len(rows)} rows")


if __name__ == "__main__":
    main()
