#!/usr/bin/env python3
"""Generate the golden files for tamis's spaCy tokenizers of every language
(crates/tamis-text/src/spacy/) with the reference: spaCy 3.8.18's `spacy.blank(code)`, as
datatrove 0.10.1's `SpaCyTokenizer` builds it, for each code of tools/gen_spacy_lang_data.py.

usage: tools/gen_spacy_lang_golden.py [--shared ../shared] [--out crates/tamis-text/tests/golden]

Writes, under --out:

  spacy_langs.jsonl.zst
      {"lang", "text", "tokens": [t.text for t in nlp(text)]} for, in each language:
      * its own test sentences from lingua (or a related language's, see PROXY), 120 of them
        in blocks of 8, and 3 sentences of each of 24 other languages in many scripts;
      * the English edge cases (en_edge_cases.jsonl), in blocks of 40;
      * its exceptions, alone and wrapped in affixes (at most 400 of them, seeded choice), and
        its special-case matcher patterns joined with and without spaces (at most 200);
      * 400 seeded random strings over affixes, infixes, exceptions, URL pieces and the
        characters of its own sentences, in blocks of 20.
  spacy_langs_lingua.jsonl.zst
      {"lang", "source", "sentences", "tokens", "sha"}: for every language, every sentence of its
      lingua test data (sentences.txt): the number of tokens and the first 16 hex digits of
      sha256 of "\\x1f".join of all token texts (sentence by sentence, joined by "\\x1e");
      checked when ../shared exists

Needs: pip install 'spacy==3.8.18'  (Python 3.11)
"""
import argparse
import hashlib
import io
import json
import os
import random
import sys

import spacy
import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

assert spacy.__version__ == "3.8.18", spacy.__version__

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "crates", "tamis-text", "data", "spacy")
LANGS = sorted(f[:-4] for f in os.listdir(DATA) if f.endswith(".txt") and f not in ("sets.txt", "regexes.txt"))

# spaCy languages without lingua sentences: the lingua language closest in script and spelling.
PROXY = {"am": "he", "dsb": "pl", "fo": "is", "grc": "el", "hsb": "cs", "ky": "kk", "lb": "de",
         "lij": "it", "ti": "ar", "tt": "kk", "xx": "en"}
FOREIGN = ["ar", "bn", "de", "el", "en", "fa", "fr", "he", "hi", "hy", "ja", "ka", "kk", "ko", "mr",
           "pa", "ru", "ta", "te", "th", "tr", "ur", "vi", "zh"]


def write_jsonl_zst(path, rows):
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    params = zstandard.ZstdCompressionParameters.from_level(19, window_log=25)
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(compression_params=params).compress(raw))
    print("wrote", os.path.relpath(path, ROOT), len(rows), "rows", os.path.getsize(path), "bytes", file=sys.stderr)


def sentences(shared, code):
    path = os.path.join(shared, "data", "lid", "lingua-testdata", code, "testdata", "sentences.txt")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def blocks(items, n, sep):
    return [sep.join(items[i:i + n]) for i in range(0, len(items), n)]


def rule_texts(nlp, rng):
    tok = nlp.tokenizer
    keys = sorted(tok.rules)
    if len(keys) > 400:
        keys = sorted(rng.sample(keys, 400))
    variants = []
    for k in keys:
        variants += [k, "(" + k + ")", k + ".", "«" + k + "»,", k + "-" + k, '"' + k + '"']
    out = blocks(variants, 48, " ")
    # Matcher patterns, as the rule strings would appear with affixes split off.
    from spacy.tokenizer import Tokenizer
    plain = Tokenizer(nlp.vocab, rules={}, prefix_search=tok.prefix_search, suffix_search=tok.suffix_search,
                      infix_finditer=tok.infix_finditer, token_match=tok.token_match, url_match=tok.url_match)
    pats = sorted({tuple(t.text for t in plain(k)) for k in tok.rules if len(plain(k)) > 1})
    if len(pats) > 200:
        pats = sorted(rng.sample(pats, 200))
    joined = ["".join(p) for p in pats] + [" ".join(p) for p in pats]
    return out + blocks(joined, 40, " ")


BASE_ATOMS = list("abcxyzABCXYZ0123456789") * 2 + list(".,:;!?'\"()[]{}<>-–—~/\\@#$%^&*+=_|`´’‘“”…°§") * 2 + [
    " ", " ", " ", "\n", "\t", "\u00a0", "\u200b", "é", "ß", "Ж", "я", "α", "Ω", "中", "ا", "©", "™",
    "😀", "¡", "¿", "·", "、", "。", "？", "！", "²", "µ", "٣", "ǅ", "\u0301", "http://", "www.", ".com",
    ".co.uk", "US$", "km", "kg", "'s", "’s", "n't", "e.g.", "U.S.", ":)", "<3", "10", "192.168.", ":8080",
    "/path", "?q=", "@", "user@", "...", "..", "--", "°C.", "and/or", "''", "l'", "d'", "qu'", "’", "-",
    "x-y", "1-2", "2+3", "a,b", "a:b", "3:4", "/a-b", "x.y", "A.B", "1.000,5", "5%", "%", "№", "‐", "‑",
]


def random_texts(nlp, own, rng):
    chars = sorted({c for s in own for c in s})
    keys = sorted(nlp.tokenizer.rules)
    atoms = BASE_ATOMS + chars * 2 + rng.sample(keys, min(60, len(keys)))
    strings = ["".join(rng.choice(atoms) for _ in range(rng.randint(1, 14))) for _ in range(400)]
    return blocks(strings, 20, " ")


def sha16(s):
    return hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-text", "tests", "golden"))
    args = ap.parse_args()
    with open(os.path.join(args.out, "en_edge_cases.jsonl"), encoding="utf-8") as f:
        edge = [json.loads(line)["text"] for line in f]
    edge_texts = blocks(edge, 40, "  ")
    foreign = []
    for code in FOREIGN:
        foreign += sentences(args.shared, code)[:3]
    foreign_texts = blocks(foreign, 6, "\n")
    rows = []
    lingua_rows = []
    for code in LANGS:
        nlp = spacy.blank(code)
        rng = random.Random("tamis-" + code)
        src = PROXY.get(code, code)
        own_all = sentences(args.shared, src)
        own = own_all[:120]
        texts = blocks(own, 8, " ") + foreign_texts + edge_texts + rule_texts(nlp, rng) + random_texts(nlp, own, rng)
        for text in texts:
            rows.append({"lang": code, "text": text, "tokens": [t.text for t in nlp(text)]})
        toks = [[t.text for t in nlp(s)] for s in own_all]
        lingua_rows.append({
            "lang": code,
            "source": "lingua/" + src,
            "sentences": len(own_all),
            "tokens": sum(len(t) for t in toks),
            "sha": sha16("\x1e".join("\x1f".join(t) for t in toks)),
        })
        print(code, len(texts), file=sys.stderr)
    write_jsonl_zst(os.path.join(args.out, "spacy_langs.jsonl.zst"), rows)
    write_jsonl_zst(os.path.join(args.out, "spacy_langs_lingua.jsonl.zst"), lingua_rows)


if __name__ == "__main__":
    main()
