#!/usr/bin/env python3
"""Generate the golden files for tamis's dictionary-based word tokenizers with the reference:
datatrove 0.10.1's `load_word_tokenizer(key).word_tokenize(text)` for each language key below.

usage: tools/gen_dict_tokenizer_golden.py [--shared ../shared] [--out crates/tamis-text/tests/golden]

Writes, under --out, dict_tokenizers.jsonl.zst with, per key:
  {"lang", "text", "words"} for
    * lingua's test sentences of the key's language (all of them, in blocks of 10), its word
      pairs (first 200, in blocks of 20), and 40 sentences of each of 6 other languages (mostly of other
      scripts), in blocks of 10;
    * 300 seeded random strings over the characters of those sentences, ASCII letters, digits,
      the connectors and punctuation the segmenters treat specially, and whitespace;
  {"lang", "source": "pages", "texts", "words", "sha"} (for the keys of PAGE_KEYS) for every page of
    ../shared/data/corpus/pages.jsonl.zst: the number of words and the first 16 hex digits of
    sha256 of "\\x1f".join of all words (page by page, joined by "\\x1e"); checked by the
    tests when ../shared exists.

Lao, Khmer and Burmese have no lingua data: their own texts are 400 seeded strings of 3 to 120
pieces: for Lao, LaoNLP's dictionary words and random Lao characters (so that texts of 140
characters and more are cut into chunks as LaoNLP cuts them); for Khmer and Burmese, the
cluster and character pairs their CRF models know (the `kcc[-1:0]` and `char-1:0` attributes);
with spaces, line breaks, U+200B, numbers, Latin words and punctuation.

Needs: pip install 'datatrove==0.10.1' 'spacy==3.8.18' 'jieba==0.42.1' 'pythainlp==5.4.0'
       'pyvi==0.1.1' 'laonlp==1.3.0' 'khmer-nltk==1.6' 'pyidaungsu-numpy2==0.1.4' zstandard
"""
import argparse
import hashlib
import io
import json
import os
import random
import sys
from importlib.metadata import version

import zstandard
from datatrove.utils.word_tokenizers import load_word_tokenizer

assert version("datatrove") == "0.10.1", version("datatrove")
assert version("jieba") == "0.42.1", version("jieba")
assert version("pythainlp") == "5.4.0", version("pythainlp")
assert version("pyvi") == "0.1.1", version("pyvi")
assert version("laonlp") == "1.3.0", version("laonlp")
assert version("khmer-nltk") == "1.6", version("khmer-nltk")
assert version("pyidaungsu-numpy2") == "0.1.4", version("pyidaungsu-numpy2")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# language key -> lingua code of its own text (None: text generated from the tokenizer's data)
KEYS = {"cmn_Hani": "zh", "tha_Thai": "th", "vie_Latn": "vi", "lao_Laoo": None, "khm_Khmr": None,
        "mya_Mymr": None}
# Keys whose words over all shared pages are checked too (Khmer's and Burmese's CRFs are left
# out: at about 0.5 MB/s the 31 MB would slow the test suite by minutes).
PAGE_KEYS = {"cmn_Hani", "tha_Thai", "vie_Latn", "lao_Laoo"}
OTHERS = ["zh", "ja", "ko", "th", "en", "ru", "ar"]
EXTRA = list("0123456789") + list("abcXYZ") + list("+#&._%-,.:/") + [" ", "  ", "\n", "\t", "\u3000", "\r\n", "\u00a0"] \
    + list("，。！？、；：“”（）《》") + ["2019", "1.5", "50%", "e-mail", "U.S.", "www.example.com"] \
    + ["๑๒", "19:32", "1,234.5", "127.0.0.1", "ๆ", "ฯ"]


def lingua(shared, code, name):
    path = os.path.join(shared, "data", "lid", "lingua-testdata", code, "testdata", name)
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def model_units(path, prefix, sep):
    """The character pairs a bundled CRF model has attributes for."""
    import tempfile

    import pycrfsuite
    with open(path, "rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f).read()
    with tempfile.NamedTemporaryFile(suffix=".crfsuite") as f:
        f.write(raw)
        f.flush()
        tagger = pycrfsuite.Tagger()
        tagger.open(f.name)
        attrs = {a for a, _ in tagger.info().state_features}
    return sorted(a.split(sep, 1)[1] for a in attrs if a.startswith(prefix))


def generated_texts(key, rng, n):
    data = os.path.join(ROOT, "crates", "tamis-text", "data")
    extra = [" ", " ", "  ", "\n", "\t", "\r\n", ".", ",", "/", "://", "-", "2024", "1,234.5", "abc",
             "COVID-19", "(", ")", "\u00a0", "!", "\u200b", "\u2028"]
    if key == "lao_Laoo":
        from laonlp.corpus import lao_words
        words = sorted({w.strip() for w in lao_words()} - {""})
        chars = sorted(set("".join(words)))
        extra += ["໑໒", "ໆ"]
    elif key == "khm_Khmr":
        words = model_units(os.path.join(data, "khmer", "model.crfsuite.zst"), "kcc[-1:0]:", ":")
        chars = sorted(set("".join(words)))
        extra += ["០១២", "។", "៛"]
    else:
        words = model_units(os.path.join(data, "burmese", "model.crfsuite.zst"), "char-1:0=", "=")
        chars = sorted(set("".join(words)))
        extra += ["၁၂", "။", "၊"]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.choice([3, 10, 30, 60, 120])):
            r = rng.random()
            if r < 0.6:
                parts.append(rng.choice(words))
            elif r < 0.8:
                parts.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 4))))
            else:
                parts.append(rng.choice(extra))
        texts.append("".join(parts))
    return texts


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
    with open(os.path.join(args.shared, "data", "corpus", "pages.jsonl.zst"), "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        pages = [json.loads(line)["text"] for line in reader]
    rows = []
    for key, code in KEYS.items():
        tok = load_word_tokenizer(key)
        rng = random.Random("dict-tokenizers-" + key)
        if code is None:
            texts = generated_texts(key, rng, 400)
            sents = texts
        else:
            sents = lingua(args.shared, code, "sentences.txt")
            pairs = lingua(args.shared, code, "word-pairs.txt")[:200]
            texts = [" ".join(sents[i:i + 10]) for i in range(0, len(sents), 10)]
            texts += [" ".join(pairs[i:i + 20]) for i in range(0, len(pairs), 20)]
        for other in OTHERS:
            if other != code:
                s = lingua(args.shared, other, "sentences.txt")[:40]
                texts += [" ".join(s[i:i + 10]) for i in range(0, len(s), 10)]
        chars = sorted(set("".join(sents[:200])))
        for _ in range(300):
            n = rng.randint(1, 40)
            texts.append("".join(rng.choice(chars) if rng.random() < 0.6 else rng.choice(EXTRA) for _ in range(n)))
        for text in texts:
            rows.append({"lang": key, "text": text, "words": tok.word_tokenize(text)})
        if key not in PAGE_KEYS:
            print(key, len(texts), "texts", file=sys.stderr)
            continue
        h, n = hashlib.sha256(), 0
        for i, text in enumerate(pages):
            words = tok.word_tokenize(text)
            n += len(words)
            h.update(("\x1e" if i else "").encode() + "\x1f".join(words).encode())
        rows.append({"lang": key, "source": "pages", "texts": len(pages), "words": n, "sha": h.hexdigest()[:16]})
        print(key, len(texts), "texts,", n, "words in pages", file=sys.stderr)
    write_jsonl_zst(os.path.join(args.out, "dict_tokenizers.jsonl.zst"), rows)


if __name__ == "__main__":
    main()
