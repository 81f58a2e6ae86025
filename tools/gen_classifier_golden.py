#!/usr/bin/env python3
"""Generate the models and golden files for the `fasttext_classifier` step
(crates/tamis-filters) with the reference: fastText's own Python binding (pip package
fasttext-numpy2-wheel 0.9.2, import name `fasttext`) and datatrove 0.10.1's
`FastTextClassifierFilter`.

usage: tools/gen_classifier_golden.py [--shared ../shared]
                                      [--out crates/tamis-filters/tests/golden/classifier]

Writes, under --out:

  quality-bigram.bin, quality-hs-subword.ftz, edu-ova.bin, quality-ns.bin
      small supervised models trained here (options in MODELS below, one fresh process per
      model, thread=1 and a fixed seed so a rerun writes the same bytes) on ../shared only:
        quality-*  labels __label__hq / __label__cc. hq: the trafilatura main text of every
                   document of data/corpus/articles.jsonl.zst. cc: the boilerplate (B) lines
                   of every page of data/labelled/pages.jsonl.zst (`labels` has one char per
                   line of `text`, split on "\\n"), in page order, grouped into
                   pseudo-documents of CC_CHUNK consecutive B lines of one page.
        edu-ova    labels __label__0 .. __label__3, a mock educational score: for every
                   labelled page with at least one C or B line, score = min(3, floor(4 * C /
                   (C + B))) where C and B count its content and boilerplate lines; the text is
                   the full page.
      Every training example is one line `__label__X <dclm(text)>` (words starting with
      __label__ left out, so a text cannot add a label), shuffled with random.Random(SEED):
      quality 4,702 examples (2,100 hq, 2,602 cc), edu 1,079 (389 / 179 / 206 / 305 for
      0 / 1 / 2 / 3). The training files live in a temporary directory only.
  predictions.tsv.zst
      every document of ../shared/data/corpus/pages.jsonl.zst then articles.jsonl.zst, for every
      model and input mode (MODES), one line:
        corpus \\t id \\t model \\t mode \\t label1 \\t prob1 \\t label2 \\t prob2 ...
      corpus is `pages` or `articles`, model the file name, and the pairs are
      model.predict(x, k=-1, threshold=0.0) in fastText's order. Probabilities are f32 in
      fastText and widened exactly by the binding; they are written as the shortest decimal
      that reads back as that f32 (numpy's str of a float32), as in gen_lid_golden.py.
  subset.jsonl.zst
      the same predictions for the 300 documents of tests/golden/subset-input.jsonl.zst
      ({"source": "subset", "index": i}, no text) and for the hand-written EDGE_CASES
      ({"source": "edge", "id": name, "text": text}), each with "model", "mode", "labels" and
      "probs" (strings, the same f32 shortest decimal).
  datatrove.jsonl.zst
      datatrove 0.10.1's FastTextClassifierFilter (its class, its filter()) for each of
      DATATROVE_CONFIGS over the subset documents and the edge cases:
      {"config", "source", "index" | "id" + "text", "kept", "metadata", "metadata_f32",
      "text_sha256"}: kept is what filter() returns; metadata holds the keys the filter wrote,
      in its order, with repr() of the Python float it wrote; metadata_f32 the same values as
      shortest f32 decimals where the value is an f32 exactly (always in DOCUMENT mode), else
      null; text_sha256 the sha256 of doc.text after filter() (the PARAGRAPH config changes it);
      "error" instead of kept/metadata when filter() raises.

Input modes (x is what is handed to model.predict):
  dclm          " ".join(text.strip().splitlines())   DCLM's classify_fasttext_hq_prob; Python's
                str.strip and str.splitlines, so \\r, \\r\\n, \\x0b, \\x0c, \\x1c-\\x1e,
                U+0085, U+2028 and U+2029 all end lines
  datatrove     text.strip().replace("\\n", "")        datatrove 0.10.1, fasttext_filter.py:
                `self.model.predict(unit.strip().replace("\\n", self.newline_replacement), k=-1)`
                with newline_replacement="" by default and filter_mode DOCUMENT (one unit, the
                whole text)
  dclm_max2000  dclm(text)[:2000] (the first 2,000 Python characters), quality-bigram only

datatrove's filter loads the model through `cached_asset_path_or_download`, which copies even a
local path into its cache; here the name imported into datatrove.pipeline.filters.fasttext_filter
is replaced by a function returning the local model path. Everything else is datatrove's code.
(With neither keep_labels nor remove_labels, datatrove 0.10.1's model property raises TypeError:
it evaluates `self.keep_labels or [] + self.remove_labels or []`, i.e. `[] + None`; the script
checks and prints this, and the golden has no such config.)

Needs: pip install fasttext-numpy2-wheel==0.9.2 'datatrove==0.10.1' fasteners regex zstandard numpy
(run with numpy 2.4.6, zstandard 0.25.0, fasteners 0.20, regex 2026.11.19, Python 3.11.7;
datatrove's filters package imports `regex`, which its wheel does not require).
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from importlib.metadata import version

import numpy as np

from _golden import (
    ROOT,
    SUBSET_INPUT,
    read_jsonl_zst,
    train_supervised_seeded,
    write_jsonl_zst,
    write_lines_zst,
)

SEED = 20261204
CC_CHUNK = 40

# file name, training set, fastText train_supervised options, quantize options (None = dense)
MODELS = [
    ("quality-bigram.bin", "quality",
     dict(loss="softmax", dim=10, wordNgrams=2, minCount=20, minn=0, maxn=0, bucket=10000,
          epoch=3, lr=0.1), None),
    ("quality-hs-subword.ftz", "quality",
     dict(loss="hs", dim=12, wordNgrams=1, minCount=3, minn=2, maxn=5, bucket=50000,
          epoch=10, lr=0.5),
     dict(cutoff=20000, dsub=2, qnorm=True, qout=False, retrain=False)),
    ("edu-ova.bin", "edu",
     dict(loss="ova", dim=8, wordNgrams=1, minCount=10, minn=0, maxn=0, bucket=0,
          epoch=10, lr=0.2), None),
    ("quality-ns.bin", "quality",
     dict(loss="ns", neg=5, dim=7, wordNgrams=3, minCount=20, minn=0, maxn=0, bucket=5000,
          epoch=3, lr=0.1), None),
]
MODEL_NAMES = [m[0] for m in MODELS]


def dclm(text):
    return " ".join(text.strip().splitlines())


def datatrove_input(text):
    return text.strip().replace("\n", "")


MODES = [
    ("dclm", dclm, None),
    ("datatrove", datatrove_input, None),
    ("dclm_max2000", lambda t: dclm(t)[:2000], {"quality-bigram.bin"}),
]

# name, kwargs for FastTextClassifierFilter (model_url added), model
DATATROVE_CONFIGS = [
    ("keep_hq_0.5", dict(keep_labels=("hq", 0.5)), "quality-bigram.bin"),
    ("remove_cc_0.9", dict(remove_labels=("cc", 0.9)), "quality-bigram.bin"),
    ("keep_hq_0.5_newline_space", dict(keep_labels=("hq", 0.5), newline_replacement=" "),
     "quality-bigram.bin"),
    ("keep_hq_0.5_paragraph", dict(keep_labels=("hq", 0.5), filter_mode="PARAGRAPH"),
     "quality-bigram.bin"),
    ("edu_keep_2_3", dict(keep_labels=[("2", 0.5), ("3", 0.5)]), "edu-ova.bin"),
]

_LONG_RNG = random.Random(7)
_WORDS = ("the of and to in a is that for on with as by this are from at be it an was which "
          "university research students learning science history water energy study school "
          "home contact login privacy cookie subscribe menu search share click").split()
LONG_WORDS = " ".join(_LONG_RNG.choice(_WORDS) for _ in range(4000))
LONG_LINES = "\n".join(
    " ".join(_LONG_RNG.choice(_WORDS) for _ in range(_LONG_RNG.randint(1, 25))) for _ in range(400))

EDGE_CASES = [
    ("empty", ""),
    ("space", " "),
    ("spaces-tabs", "  \t \t  "),
    ("newline", "\n"),
    ("newlines", "\n\n\n"),
    ("crlf-only", "\r\n"),
    ("cr-only", "\r"),
    ("unicode-space-only", "\u3000\u00a0\u2028\u0085\x1c\x0b\x0c"),
    ("one-line", "Students learn about the history of science and the energy of water."),
    ("two-lines", "Students learn about the history of science.\nThe university publishes research."),
    ("lf-joins-words", "water\nenergy"),
    ("blank-line-between", "research\n\n\nstudy"),
    ("spaces-line-between", "research\n   \nstudy"),
    ("crlf", "The school opens at nine.\r\nStudents study history.\r\nHome | Contact | Login"),
    ("cr", "The school opens at nine.\rStudents study history.\rHome | Contact | Login"),
    ("cr-crlf-mixed", "a\rb\r\nc\nd\n\re"),
    ("u2028", "research papers\u2028science history\u2028students"),
    ("u2029", "research papers\u2029science history"),
    ("u0085", "research papers\u0085science history\u0085students"),
    ("vt", "research papers\x0bscience history\x0bstudents"),
    ("ff", "research papers\x0cscience history\x0cstudents"),
    ("fs-gs-rs", "research\x1cpapers\x1dscience\x1ehistory\x1fstudents"),
    ("vt-ff-lf", "home\x0b\ncontact\x0c\nlogin"),
    ("tabs", "Home\tContact\tLogin\tPrivacy\nresearch\tstudents"),
    ("nul", "research\x00papers\x00science"),
    ("label-hq", "__label__hq"),
    ("label-hq-in-text", "subscribe to our newsletter __label__hq click here"),
    ("label-cc-first", "__label__cc The university publishes research on water and energy."),
    ("label-unknown", "__label__zz __label__ cookie policy"),
    ("eos", "</s>"),
    ("eos-in-text", "history of science </s> cookie policy"),
    ("leading-trailing-spaces", "   research on water energy   "),
    ("leading-trailing-newlines", "\n\n  research on water energy  \n\n"),
    ("leading-trailing-unicode-ws", "\u3000\u00a0\u0085research on water energy\u2028\u00a0"),
    ("nbsp-inside", "research\u00a0on\u00a0water\u00a0energy"),
    ("ideographic-space-inside", "research\u3000on\u3000water"),
    ("zwsp-bom", "\ufeffresearch\u200bon water\u200b"),
    ("boilerplate", "Home | About us | Contact | Privacy policy | Terms of use\nLogin\nSubscribe\n"
                    "© 2024 All rights reserved\nShare on Facebook\nShare on Twitter"),
    ("cookie", "We use cookies to improve your experience. By continuing to browse the site "
               "you agree to our use of cookies. Accept"),
    ("article", "The study, published on Tuesday by researchers at the university, found that "
                "students who spent more time reading scientific papers performed better in "
                "exams.\nThe authors say the results could change how schools teach history "
                "and science.\n\"It is a remarkable finding,\" said one of the researchers."),
    ("chinese", "研究人员周二发表的研究发现，学生在阅读科学论文上花费更多时间，考试成绩更好。\n首页 | 联系我们"),
    ("japanese", "日本語のテキストです。大学の研究者が発表しました。"),
    ("arabic", "نشر الباحثون في الجامعة دراسة جديدة عن الطاقة والمياه."),
    ("russian", "Исследователи университета опубликовали новое исследование.\nГлавная | Контакты"),
    ("hindi", "विश्वविद्यालय के शोधकर्ताओं ने एक नया अध्ययन प्रकाशित किया।"),
    ("greek", "Οι ερευνητές του πανεπιστημίου δημοσίευσαν μια νέα μελέτη."),
    ("thai", "นักวิจัยของมหาวิทยาลัยได้เผยแพร่งานวิจัยใหม่"),
    ("emoji", "😀 research 🎓 science 🔬\n👍🏽 share"),
    ("combining", "re\u0301search scien\u0300ce e\u0301tude"),
    ("punctuation", "!!! ??? ... --- ||| >>> <<<"),
    ("digits", "2024 2025 12:30 3.14 1,000,000"),
    ("single-char", "x"),
    ("repeated-word", " ".join(["research"] * 500)),
    ("long-words", LONG_WORDS),
    ("long-lines", LONG_LINES),
    ("long-one-token", "a" * 5000),
    ("long-multibyte-boundary", "é" * 1999 + "日本語" + " research" * 100),
    ("long-crlf-at-2000", "w" * 1998 + "\r\n" + "study " * 100),
    ("long-cjk", "研究人员发表了新的研究。" * 400),
    ("surrounding-label-lines", "__label__hq\nresearch on water\n__label__cc"),
]


def f32(p):
    """Shortest decimal of the f32 behind one of fastText's probabilities."""
    assert float(np.float32(p)) == p, p
    return str(np.float32(p))


def f32_or_none(p):
    return str(np.float32(p)) if float(np.float32(p)) == p else None


# ---------------------------------------------------------------------------------- training

def training_sets(shared):
    """{name: [(label, text)]} built from ../shared only, in file order."""
    quality, edu = [], []
    for doc in read_jsonl_zst(os.path.join(shared, "data/corpus/articles.jsonl.zst")):
        quality.append(("hq", doc["text"]))
    for doc in read_jsonl_zst(os.path.join(shared, "data/labelled/pages.jsonl.zst")):
        lines, labels = doc["text"].split("\n"), doc["labels"]
        assert len(lines) == len(labels), doc["id"]
        b_lines = [line for line, lab in zip(lines, labels) if lab == "B"]
        for i in range(0, len(b_lines), CC_CHUNK):
            chunk = "\n".join(b_lines[i:i + CC_CHUNK])
            if chunk.strip():
                quality.append(("cc", chunk))
        n_c, n_b = labels.count("C"), labels.count("B")
        if n_c + n_b:
            edu.append((str(min(3, 4 * n_c // (n_c + n_b))), doc["text"]))
    return {"quality": quality, "edu": edu}


def write_training_file(path, examples):
    rows = []
    for label, text in examples:
        x = dclm(text)
        # a word starting with __label__ would be read as another label of the example
        x = " ".join(w for w in x.split(" ") if not w.startswith("__label__"))
        if x.strip():
            rows.append(f"__label__{label} {x}\n")
    random.Random(SEED).shuffle(rows)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(rows)
    return len(rows)


def train_one(name, train, path):
    """Runs in a fresh process (see main): trains MODELS[name] on `train`, saves to `path`."""
    _, _, opts, qopts = {m[0]: m for m in MODELS}[name]
    model, seed = train_supervised_seeded(train, SEED, name, thread=1, verbose=0, **opts)
    if qopts is not None:
        model.quantize(input=None, **qopts)
    model.save_model(path)
    print(f"  {name}: seed {seed}, {len(model.words)} words, labels {list(model.labels)}, "
          f"{os.path.getsize(path)} bytes")


def train_models(shared, out):
    sets = training_sets(shared)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for set_name, examples in sets.items():
            files[set_name] = os.path.join(tmp, f"{set_name}.txt")
            n = write_training_file(files[set_name], examples)
            counts = {}
            for label, _ in examples:
                counts[label] = counts.get(label, 0) + 1
            print(f"training set {set_name}: {n} examples {dict(sorted(counts.items()))}")
        for name, set_name, _, _ in MODELS:
            # Each model is trained in a fresh process: with this wheel, training in a process
            # that already trained or predicted can stop with "Encountered NaN".
            subprocess.run([sys.executable, os.path.abspath(__file__), "--train", name,
                            files[set_name], os.path.join(out, name)], check=True)


# -------------------------------------------------------------------------------- predictions

def predict_all(model, x):
    labels, probs = model.predict(x, k=-1, threshold=0.0)
    return list(labels), [f32(float(p)) for p in probs]


def model_modes():
    for name in MODEL_NAMES:
        for mode, build, only in MODES:
            if only is None or name in only:
                yield name, mode, build


def gen_predictions(models, shared, out):
    rows = []
    for corpus in ("pages", "articles"):
        n = 0
        for doc in read_jsonl_zst(os.path.join(shared, f"data/corpus/{corpus}.jsonl.zst")):
            n += 1
            for name, mode, build in model_modes():
                labels, probs = predict_all(models[name], build(doc["text"]))
                cols = [corpus, doc["id"], name, mode]
                for label, prob in zip(labels, probs):
                    cols += [label, prob]
                rows.append("\t".join(cols) + "\n")
        print(f"predictions: {corpus} {n} documents")
    write_lines_zst(os.path.join(out, "predictions.tsv.zst"), rows)
    print(f"predictions.tsv.zst: {len(rows)} lines")


def subset_docs():
    for i, doc in enumerate(read_jsonl_zst(SUBSET_INPUT)):
        yield {"source": "subset", "index": i}, doc["text"]
    for name, text in EDGE_CASES:
        yield {"source": "edge", "id": name, "text": text}, text


def gen_subset(models, out):
    recs = []
    for key, text in subset_docs():
        for name, mode, build in model_modes():
            labels, probs = predict_all(models[name], build(text))
            recs.append({**key, "model": name, "mode": mode, "labels": labels, "probs": probs})
    write_jsonl_zst(os.path.join(out, "subset.jsonl.zst"), recs)
    print(f"subset.jsonl.zst: {len(recs)} records")


# ---------------------------------------------------------------------------------- datatrove

def gen_datatrove(out):
    assert version("datatrove") == "0.10.1", version("datatrove")
    import datatrove.pipeline.filters.fasttext_filter as ft_filter
    from datatrove.data import Document

    recs = []
    for config, kwargs, model_name in DATATROVE_CONFIGS:
        path = os.path.abspath(os.path.join(out, model_name))
        # Offline: the one function that would copy/download the model returns the local path.
        ft_filter.cached_asset_path_or_download = lambda *a, _p=path, **kw: _p
        filt = ft_filter.FastTextClassifierFilter(model_url=path, **kwargs)
        n_kept = 0
        for key, text in subset_docs():
            doc = Document(text=text, id=str(key.get("index", key.get("id"))))
            rec = {"config": config, **key}
            try:
                kept = filt.filter(doc)
            except Exception as e:
                rec["error"] = repr(e)
                recs.append(rec)
                continue
            assert type(kept) is bool, type(kept)
            n_kept += kept
            for v in doc.metadata.values():
                assert type(v) is float, type(v)
            rec["kept"] = kept
            rec["metadata"] = {k: repr(v) for k, v in doc.metadata.items()}
            rec["metadata_f32"] = {k: f32_or_none(v) for k, v in doc.metadata.items()}
            rec["text_sha256"] = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
            recs.append(rec)
        print(f"datatrove {config}: {n_kept} kept")
    # Neither keep_labels nor remove_labels: datatrove 0.10.1's label check evaluates
    # `self.keep_labels or [] + self.remove_labels or []`, i.e. `[] + None`.
    try:
        ft_filter.FastTextClassifierFilter(model_url="x").filter(Document(text="a", id="0"))
        print("datatrove without keep/remove labels: no error")
    except TypeError as e:
        print(f"datatrove without keep/remove labels raises TypeError: {e}")
    write_jsonl_zst(os.path.join(out, "datatrove.jsonl.zst"), recs)
    print(f"datatrove.jsonl.zst: {len(recs)} records")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates/tamis-filters/tests/golden/classifier"))
    ap.add_argument("--train", nargs=3, metavar=("NAME", "TRAIN", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.train:
        train_one(*args.train)
        return
    assert version("fasttext-numpy2-wheel") == "0.9.2", version("fasttext-numpy2-wheel")
    os.makedirs(args.out, exist_ok=True)
    train_models(args.shared, args.out)

    import fasttext

    models = {name: fasttext.load_model(os.path.join(args.out, name)) for name in MODEL_NAMES}
    gen_predictions(models, args.shared, args.out)
    gen_subset(models, args.out)
    gen_datatrove(args.out)


if __name__ == "__main__":
    main()
