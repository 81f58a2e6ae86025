#!/usr/bin/env python3
"""Generate the golden files of the `unigram_logprob` step with the reference: datatrove 0.10.1's
own `UnigramLogProbFilter`.

usage: tools/gen_unigram_golden.py [--shared ../shared]

datatrove downloads Google's unigram counts from Amazon S3, which these machines cannot reach,
so a list of the same layout is made here (data generated here, as the brief allows): the
lower-cased words of the shared articles (datatrove's English word tokenizer) counted, those
seen at least 3 times, most frequent first, written with Python's csv module (`word,count`).
datatrove's cache folder is pointed at it, so its filter reads it as it would read its own.

Writes, under crates/tamis-filters/tests/golden/unigram/:
  unigram_freq.csv.zst  the list, zstd-compressed
  scores.jsonl.zst   per document (the shared corpora by id when present, the committed subset
                     by index, and crafted texts whole): datatrove's `get_logprob` as a float
                     ("logprob") and `filter()` with thresholds -10 and -7 ("keep_10", "keep_7")

Needs: pip install 'datatrove==0.10.1' spacy zstandard
"""
import argparse
import collections
import csv
import io
import json
import os
import random
import tempfile
from importlib.metadata import version

import zstandard
from _golden import ROOT, corpus_docs, read_jsonl_zst, write_lines_zst

assert version("datatrove") == "0.10.1", version("datatrove")

OUT = os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "unigram")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    import datatrove.pipeline.filters.unigram_log_probs as unigram
    from datatrove.data import Document
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    os.makedirs(OUT, exist_ok=True)
    freq_path = os.path.join(OUT, "unigram_freq.csv.zst")
    articles = os.path.join(args.shared, "data", "corpus", "articles.jsonl.zst")
    if os.path.exists(articles):
        tok = load_word_tokenizer("en")
        counts = collections.Counter()
        for r in read_jsonl_zst(articles):
            counts.update(w.lower() for w in tok.word_tokenize(r["text"]))
        rows = sorted(((w, c) for w, c in counts.items() if c >= 3), key=lambda x: (-x[1], x[0]))
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(["word", "count"])
        w.writerows(rows)
        with open(freq_path, "wb") as f:
            f.write(zstandard.ZstdCompressor(level=19).compress(buf.getvalue().encode("utf-8")))
        print(f"wrote {freq_path}: {len(rows)} words")
    else:
        print(f"note: {articles} absent, keeping the committed {freq_path}")

    with tempfile.TemporaryDirectory() as cache:
        with open(freq_path, "rb") as src, open(os.path.join(cache, "unigram_freq.csv"), "wb") as dst:
            dst.write(zstandard.ZstdDecompressor().decompress(src.read()))
        unigram.cached_assets_path = lambda **_: cache
        strict = unigram.UnigramLogProbFilter(logprobs_threshold=-10)
        loose = unigram.UnigramLogProbFilter(logprobs_threshold=-7)

    rng = random.Random(7)
    vocab = [w for w, _ in sorted(strict.unigram_frequencies.items())[:3000]]
    crafted = ["", "   ", "the the the", "Cacophony Pareidolia Serendipity", "xqzv wpfk"]
    crafted += [" ".join(rng.choice(vocab + ["zzqx", "Ωmega", "naïve"]) for _ in range(rng.randint(1, 30)))
                for _ in range(300)]
    docs = corpus_docs(args.shared) + [({"source": "crafted", "text": t}, t) for t in crafted]
    out = []
    for rec, text in docs:
        doc = Document(text=text, id="x")
        out.append(json.dumps({**rec, "logprob": float(strict.get_logprob(doc)),
                               "keep_10": bool(strict.filter(doc)), "keep_7": bool(loose.filter(doc))},
                              ensure_ascii=False) + "\n")
    write_lines_zst(os.path.join(OUT, "scores.jsonl.zst"), out)
    print(f"wrote {len(out)} scores")


if __name__ == "__main__":
    main()
