#!/usr/bin/env python3
"""Generate the golden files for tamis-lid (crates/tamis-lid/tests/parity.rs) with the reference:
fastText's own Python binding (pip package fasttext-numpy2-wheel, import name `fasttext`) and
datatrove 0.10.1's `LanguageFilter` (backend "ft176"), both running models/lid.176.ftz.

usage: tools/gen_lid_golden.py [--shared ../shared] [--out crates/tamis-lid/tests/golden]
                               [--model models/lid.176.ftz]

Writes, under --out:

  lingua-lid176.tsv.zst
      one line per line of ../shared/data/lid/lingua-testdata/<lang>/testdata/sentences.txt
      (75 languages; files read as UTF-8 and split on "\\n" only, so the U+0085 some contain
      stays inside its line): lang, line number (1-based), then label and probability for each
      of model.predict(line, k=3) (up to 3 pairs; fewer when fastText prunes labels below
      probability 1e-5). fastText computes probabilities in f32 and the binding widens them to
      float64 exactly; they are written as the shortest decimal that reads back as that f32
      (numpy's str of a float32), so the exact value is kept in 8-9 digits.
  lingua-lid176-subset.jsonl.zst
      20 lines per language with their text, {"lang", "line", "text", "labels", "probs"}, so a
      fresh clone without ../shared still tests parity. In every JSON golden, probabilities and
      scores are strings holding that same shortest f32 decimal (JSON numbers would go through
      float parsers that are not always correctly rounded).
  lid176-edge.jsonl.zst
      hand-written edge cases (separators, </s>, labels, empty text, long text) predicted with
      several k and thresholds, then 300 seeded random strings (RANDOM_PIECES) at k=3:
      {"text", "k", "threshold", "labels", "probs"}
  datatrove-lid176-docs.tsv.zst
      every document of ../shared/data/corpus/pages.jsonl.zst: id, language, language_score as
      datatrove's LanguageFilter(languages=None) writes them into the metadata
  datatrove-lid176-subset.jsonl.zst
      200 of those documents (every n-th one of at most 6,000 bytes) with their text, plus the
      hand-written multi-line documents of DOC_EDGE_CASES: {"id", "text", "language",
      "language_score"}
  tiny-<loss>.{bin,ftz} and tiny-<loss>.jsonl.zst
      small models trained here on the lingua sentences, one per code path lid.176 does not
      exercise (softmax, one-vs-all, negative sampling; dense input with word n-grams; quantized
      input with an odd dimension, norm quantization, a quantized output matrix, pruned
      buckets), with predictions for 400 texts (random lingua lines, the short edge cases and
      subset lines) at k=3 and at k=-1 with threshold 0.05:
      {"text", "k", "threshold", "labels", "probs"}

datatrove's FT176LID downloads lid.176.bin on first use; here it is run offline on the local
model by replacing `cached_asset_path_or_download` in `datatrove.utils.lid` with a function
returning the local path. Everything else (the class, its predict, LanguageFilter.filter) is
datatrove's own code.

Needs: pip install fasttext-numpy2-wheel 'datatrove==0.10.1' fasteners zstandard numpy
"""
import argparse
import glob
import io
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import zstandard

import fasttext
from _golden import train_supervised_seeded

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EDGE_TEXTS = [
    "",
    " ",
    "\t\x0b\x0c\r\x00 ",
    "Hello world",
    "  leading and trailing spaces  ",
    "tabs\tand\x0bvertical\x0cseparators\rand\x00nul",
    "</s>",
    "Das ist </s> ein Satz nach dem Ende",
    "</s> this line ends before it starts",
    "a</s>b is one token",
    "__label__en",
    "__label__de __label__fr quelques mots français",
    "__label__notalabel Dies ist ein Satz",
    "1234 5678 90",
    "!!! ??? ...",
    "😀😃😄 emoji only 🎉",
    "日本語のテキストです。",
    "Ελληνικά και English mixed μαζί",
    "Ça va très bien, merci beaucoup !",
    "x",
    "xx yy zz",
    "de de de de de de de de de de de de",
    "\u0085 next line and\u2028line separator and\u00a0no-break space",
    "a" * 3000,
    " ".join(["Lorem ipsum dolor sit amet, consectetur adipiscing elit."] * 60),
]
EDGE_QUERIES = [(3, 0.0), (1, 0.0), (-1, 0.0), (-1, 0.001), (5, 0.5), (176, 0.0), (2, 1.0)]

# Random strings over pieces that stress tokenisation and hashing: fastText's separators, Python
# whitespace that is not one (\x1c, U+3000, U+00A0), multi-byte characters, </s>, label prefixes,
# the n-gram boundary markers. Predicted with k=3.
RANDOM_PIECES = [
    "a", "de", "the", "und", "é", "ß", "日本", "Ω", "😀", "\u0301", " ", "  ", "\t", "\r", "\x0b",
    "\x0c", "\x00", "\x1c", "\u3000", "\u00a0", "</s>", "__label__", "__label__en", "<", ">",
    "<s>", "-", ".", "123", "Wörter", "слово", "كلمة", "\u200b",
]


def random_texts(n=300, seed=42):
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(n)]

DOC_EDGE_CASES = [
    ("edge-multiline", "Erste Zeile auf Deutsch.\nSecond line in English.\nTroisième ligne."),
    ("edge-newlines-only", "\n\n\n"),
    ("edge-empty", ""),
    ("edge-crlf", "Una riga\r\nun'altra riga\r\nla terza riga in italiano"),
    ("edge-eos", "Primera línea\n</s>\nDas wird ignoriert weil es nach dem Ende kommt"),
    ("edge-label", "__label__en\n__label__fr ceci est un texte"),
    ("edge-tabs", "Texto\tcom\ttabulações\nem português\x0bdo Brasil"),
]


def zwrite(path, text):
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(text.encode("utf-8")))


def lingua_lines(shared):
    """(lang, line number, text) for every line, languages in sorted order."""
    files = sorted(glob.glob(os.path.join(shared, "data/lid/lingua-testdata/*/testdata/sentences.txt")))
    if not files:
        sys.exit(f"no lingua sentences under {shared}/data/lid/lingua-testdata")
    for path in files:
        lang = path.split(os.sep)[-3]
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for i, line in enumerate(lines, 1):
            yield lang, i, line


def f32(p):
    """Shortest decimal of the f32 behind one of fastText's probabilities."""
    assert float(np.float32(p)) == p, p
    return str(np.float32(p))


def predict(model, text, k, threshold=0.0):
    labels, probs = model.predict(text, k=k, threshold=threshold)
    return list(labels), [float(p) for p in probs]


def gen_lingua(model, shared, out):
    rows, subset = [], []
    per_lang = {}
    for lang, i, text in lingua_lines(shared):
        labels, probs = predict(model, text, 3)
        cols = [lang, str(i)]
        for label, prob in zip(labels, probs):
            cols += [label, f32(prob)]
        rows.append("\t".join(cols))
        n = per_lang.get(lang, 0)
        # every 50th line up to 20 per language: spread over the file, not just its start
        if i % 50 == 1 and n < 20:
            per_lang[lang] = n + 1
            subset.append({"lang": lang, "line": i, "text": text, "labels": labels, "probs": [f32(p) for p in probs]})
    zwrite(os.path.join(out, "lingua-lid176.tsv.zst"), "\n".join(rows) + "\n")
    zwrite(
        os.path.join(out, "lingua-lid176-subset.jsonl.zst"),
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in subset),
    )
    print(f"lingua: {len(rows)} lines, subset {len(subset)}")
    return [r["text"] for r in subset]


def gen_edge(model, out):
    recs = []
    for text in EDGE_TEXTS:
        for k, threshold in EDGE_QUERIES:
            labels, probs = predict(model, text, k, threshold)
            recs.append({"text": text, "k": k, "threshold": threshold, "labels": labels, "probs": [f32(p) for p in probs]})
    for text in random_texts():
        labels, probs = predict(model, text, 3)
        recs.append({"text": text, "k": 3, "threshold": 0.0, "labels": labels, "probs": [f32(p) for p in probs]})
    zwrite(
        os.path.join(out, "lid176-edge.jsonl.zst"),
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs),
    )


def read_corpus(path):
    with open(path, "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        for line in reader:
            doc = json.loads(line)
            yield doc["id"], doc["text"]


def gen_datatrove(model_path, shared, out):
    import datatrove.utils.lid as dt_lid
    from datatrove.data import Document
    from datatrove.pipeline.filters.language_filter import LanguageFilter

    # Offline: the one function that would download lid.176.bin returns the local model.
    dt_lid.cached_asset_path_or_download = lambda *a, **kw: os.path.abspath(model_path)
    filt = LanguageFilter(languages=None, backend="ft176")

    def run(doc_id, text):
        doc = Document(text=text, id=doc_id)
        filt.filter(doc)
        return doc.metadata["language"], doc.metadata["language_score"]

    docs = list(read_corpus(os.path.join(shared, "data/corpus/pages.jsonl.zst")))
    rows = []
    small = [(i, t) for i, t in docs if len(t.encode("utf-8")) <= 6000]
    step = max(1, len(small) // 200)
    chosen = {i for i, _ in small[::step][:200]}
    subset = []
    for doc_id, text in docs:
        lang, score = run(doc_id, text)
        rows.append(f"{doc_id}\t{lang}\t{f32(score)}")
        if doc_id in chosen:
            subset.append({"id": doc_id, "text": text, "language": lang, "language_score": f32(score)})
    for doc_id, text in DOC_EDGE_CASES:
        try:
            lang, score = run(doc_id, text)
        except Exception as e:  # datatrove raises on texts fastText cannot label
            print(f"datatrove raises on {doc_id}: {e!r}")
            lang, score = None, None
        subset.append(
            {"id": doc_id, "text": text, "language": lang, "language_score": score and f32(score)}
        )
    zwrite(os.path.join(out, "datatrove-lid176-docs.tsv.zst"), "\n".join(rows) + "\n")
    zwrite(
        os.path.join(out, "datatrove-lid176-subset.jsonl.zst"),
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in subset),
    )
    print(f"datatrove: {len(rows)} documents, subset {len(subset)}")


# name, training options, quantization options (None = keep the dense .bin)
TINY = [
    ("softmax", dict(loss="softmax", minCount=8, dim=8, minn=2, maxn=4, wordNgrams=2, bucket=2000), None),
    ("ova", dict(loss="ova", minCount=4, dim=4, minn=0, maxn=0, wordNgrams=3, bucket=1000), None),
    ("ns-quant", dict(loss="ns", minCount=2, dim=9, minn=1, maxn=3, wordNgrams=2, bucket=4000),
     dict(cutoff=1500, dsub=2, qnorm=True, retrain=False)),
    ("hs-qout", dict(loss="hs", minCount=2, dim=8, minn=2, maxn=3, wordNgrams=1, bucket=3000),
     dict(cutoff=2000, dsub=2, qnorm=True, qout=True, retrain=False)),
]


def train_tiny(name, train, path):
    opts, qopts = {n: (o, q) for n, o, q in TINY}[name]
    model, _ = train_supervised_seeded(
        train, 7, f"tiny-{name}", **{"epoch": 2, "lr": 0.1, "thread": 1, "verbose": 0, **opts}
    )
    if qopts is not None:
        model.quantize(input=None, **qopts)
    model.save_model(path)


def gen_tiny(shared, out, test_texts):
    rng = random.Random(1234)
    lines = list(lingua_lines(shared))
    langs = sorted({lang for lang, _, _ in lines})
    with tempfile.TemporaryDirectory() as tmp:
        train = os.path.join(tmp, "train.txt")
        with open(train, "w", encoding="utf-8") as f:
            for lang, i, text in lines:
                if i % 8 == 0:
                    # 4 labels per language: enough labels (300) for a quantized output layer
                    f.write(f"__label__{lang}{i % 32 // 8} {text}\n")
        for name, opts, qopts in TINY:
            path = os.path.join(out, f"tiny-{name}." + ("bin" if qopts is None else "ftz"))
            # Each model is trained in a fresh process: with this wheel, training in a process
            # that already trained or predicted often stops with "Encountered NaN".
            subprocess.run([sys.executable, __file__, "--train-tiny", name, train, path], check=True)
            model = fasttext.load_model(path)
            texts = rng.sample([t for _, _, t in lines], 400 - len(test_texts)) + test_texts
            recs = []
            for text in texts:
                for k, threshold in [(3, 0.0), (-1, 0.05)]:
                    labels, probs = predict(model, text, k, threshold)
                    recs.append({"text": text, "k": k, "threshold": threshold, "labels": labels, "probs": [f32(p) for p in probs]})
            zwrite(
                os.path.join(out, f"tiny-{name}.jsonl.zst"),
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs),
            )
            print(f"tiny-{name}: {os.path.getsize(path)} bytes, {len(langs) * 4} labels")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates/tamis-lid/tests/golden"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models/lid.176.ftz"))
    ap.add_argument("--train-tiny", nargs=3, metavar=("NAME", "TRAIN", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.train_tiny:
        train_tiny(*args.train_tiny)
        return
    os.makedirs(args.out, exist_ok=True)
    subset_texts = [t for lang, i, t in lingua_lines(args.shared) if i % 50 == 1 and i < 1000]
    gen_tiny(args.shared, args.out, [t for t in EDGE_TEXTS if len(t) < 200] + subset_texts[:40])
    model = fasttext.load_model(args.model)
    gen_lingua(model, args.shared, args.out)
    gen_edge(model, args.out)
    gen_datatrove(args.model, args.shared, args.out)


if __name__ == "__main__":
    main()
