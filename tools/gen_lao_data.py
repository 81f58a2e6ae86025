#!/usr/bin/env python3
"""Export the dictionary of LaoNLP 1.3.0's `word_tokenize` (datatrove 0.10.1's LaoTokenizer)
that tamis's Lao tokenizer (crates/tamis-text/src/lao.rs) needs, from the installed `laonlp`:

  crates/tamis-text/data/lao/words.txt.zst   `lao_words()`, each word stripped as
      pythainlp's `Trie.add` strips it, sorted, empty ones left out
  crates/tamis-text/data/lao/LICENSE          the licences of its four sources

usage: tools/gen_lao_data.py
Needs: pip install 'laonlp==1.3.0' zstandard
"""
import os
import sys
from importlib.metadata import version

import zstandard
from laonlp.corpus import lao_words
from laonlp.corpus.core import get_path_corpus

assert version("laonlp") == "1.3.0", version("laonlp")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "crates", "tamis-text", "data", "lao")


def header(name):
    """The file's leading comment lines."""
    out = []
    with open(get_path_corpus(name), encoding="utf-8-sig") as f:
        for line in f:
            if not line.startswith("#"):
                break
            out.append(line)
    return "".join(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    words = sorted({w.strip() for w in lao_words()} - {""})
    path = os.path.join(OUT, "words.txt.zst")
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(("\n".join(words) + "\n").encode()))
    print("wrote", os.path.relpath(path, ROOT), len(words), "words", file=sys.stderr)
    with open(os.path.join(OUT, "LICENSE"), "w", encoding="utf-8") as f:
        f.write("words.txt.zst is LaoNLP 1.3.0's lao_words() (laonlp/corpus/, LaoNLP: Apache-2.0,\n"
                "Copyright 2020-2026 Wannaphong Phatthiyaphaibun), exported by tools/gen_lao_data.py.\n"
                "It merges four word lists, whose own notices follow.\n\n"
                "== Lao-Dictionary.txt ==\n" + header("Lao-Dictionary.txt") +
                "\n== lo_spellcheck_dict.txt ==\n" + header("lo_spellcheck_dict.txt") +
                "\n== wiktionary-20210720.txt ==\n" + header("wiktionary-20210720.txt") +
                "# Words from the Lao Wiktionary (https://lo.wiktionary.org), 20 July 2021, CC BY-SA 3.0:\n"
                "# https://creativecommons.org/licenses/by-sa/3.0/; words.txt.zst, as it holds them, is\n"
                "# shared under the same licence.\n"
                "\n== lao-wannaphong.txt ==\n# Part of LaoNLP (Apache-2.0).\n")


if __name__ == "__main__":
    main()
