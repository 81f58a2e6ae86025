#!/usr/bin/env python3
"""Generate the golden file for tamis's IndicNLP word tokenizer (crates/tamis-text/src/indic.rs)
with the reference: datatrove 0.10.1's `IndicNLPTokenizer(lang).word_tokenize(text)`, which runs
indic-nlp-library 0.92's `trivial_tokenize`.

usage: tools/gen_indic_golden.py [--shared ../shared] [--out crates/tamis-text/tests/golden]

Writes indic.jsonl.zst: {"lang", "text", "words"} for, with every language argument datatrove's
assignment table gives IndicNLPTokenizer (Urdu's rules differ from the others'):
  * lingua's test sentences of the Indic languages it has (hi, mr, bn, gu, pa, ta, te, ur), 40
    per language in blocks of 8, each block with one argument ("ur" for Urdu, the other
    arguments in turn for the rest);
  * 600 seeded random strings over digits, the separators the number rule joins, spaces, tabs,
    line breaks and other whitespace, ASCII, Brahmi and Arabic-script punctuation and letters,
    for the arguments "hi" and "ur".

Needs: pip install 'datatrove==0.10.1' 'indic-nlp-library==0.92' zstandard
"""
import argparse
import json
import os
import random
import sys
from importlib.metadata import version

import zstandard
from datatrove.utils.word_tokenizers import IndicNLPTokenizer, load_tokenizer_assignments

assert version("datatrove") == "0.10.1", version("datatrove")
assert version("indic-nlp-library") == "0.92", version("indic-nlp-library")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
LINGUA = ["hi", "mr", "bn", "gu", "pa", "ta", "te", "ur"]
PIECES = (list("0123456789") * 4 + list(",.:/") * 4 + [" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u2009", "\r\n", "\x1c"]
          + list("!\"#$%&'()*+-;<=>?@[\\]^_`{|}~") + ["\u0964", "\u0965", "\uaaf1", "\uabeb", "\u1c7e"]
          + ["\u060c", "\u06d4", "\u066b", "\u061e", "\u0609"]
          + ["क", "ख", "ि", "्", "১", "٣", "a", "b", "ab", "کل", "12", "3,4", "2024"])


def write_jsonl_zst(path, rows):
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    print("wrote", os.path.relpath(path, ROOT), len(rows), "rows", os.path.getsize(path), "bytes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-text", "tests", "golden"))
    args = ap.parse_args()
    langs = sorted({f.args[1] for f in load_tokenizer_assignments().values() if f.args[0] == "IndicNLPTokenizer"})
    print("IndicNLPTokenizer arguments:", langs, file=sys.stderr)
    toks = {lang: IndicNLPTokenizer(lang) for lang in langs}
    rows = []
    for code in LINGUA:
        path = os.path.join(args.shared, "data", "lid", "lingua-testdata", code, "testdata", "sentences.txt")
        with open(path, encoding="utf-8") as f:
            sents = [line.rstrip("\n") for line in f if line.strip()][:40]
        others = [a for a in langs if a != "ur"]
        for i in range(0, len(sents), 8):
            text = " ".join(sents[i:i + 8])
            lang = "ur" if code == "ur" else others[(len(rows) + i) % len(others)]
            rows.append({"lang": lang, "text": text, "words": toks[lang].word_tokenize(text)})
    rng = random.Random(19)
    for _ in range(300):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 60)))
        for lang in ("hi", "ur"):
            rows.append({"lang": lang, "text": text, "words": toks[lang].word_tokenize(text)})
    write_jsonl_zst(os.path.join(args.out, "indic.jsonl.zst"), rows)


if __name__ == "__main__":
    main()
