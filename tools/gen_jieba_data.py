#!/usr/bin/env python3
"""Export the data of jieba 0.42.1 (MIT, (c) Sun Junyi) that tamis's Chinese word tokenizer
(crates/tamis-text/src/jieba.rs) needs, from the installed `jieba` package:

  crates/tamis-text/data/jieba/dict.txt.zst   "# total N" (the sum of all frequencies, as
      jieba's gen_pfdict adds them, duplicates included), then "word freq" for every word
      whose final frequency is positive, in the dictionary's order
  crates/tamis-text/data/jieba/hmm.txt.zst    the HMM of jieba.finalseg: "start S p",
      "trans S T p", then "emit c pB pE pM pS" per character (absent entries as
      -3.14e+100, jieba's MIN_FLOAT); floats as Python's repr, which round-trips exactly
  crates/tamis-text/data/jieba/LICENSE        jieba's licence

usage: tools/gen_jieba_data.py
Needs: pip install 'jieba==0.42.1' zstandard
"""
import os
import sys
from importlib.metadata import version

import jieba
import zstandard
from jieba.finalseg import prob_emit, prob_start, prob_trans

assert version("jieba") == "0.42.1", version("jieba")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "crates", "tamis-text", "data", "jieba")
MIN_FLOAT = -3.14e100


def write_zst(name, text):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(text.encode()))
    print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path), "bytes", file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    pkg = os.path.dirname(jieba.__file__)
    with open(os.path.join(pkg, "dict.txt"), "rb") as f:
        freq, total = jieba.Tokenizer.gen_pfdict(f)
    # The same table jieba builds: a word's frequency is its last entry's.
    order = []
    seen = set()
    with open(os.path.join(pkg, "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word = line.strip().split(" ")[0]
            if word not in seen:
                seen.add(word)
                order.append(word)
    lines = ["# total %d" % total] + ["%s %d" % (w, freq[w]) for w in order if freq[w] > 0]
    write_zst("dict.txt.zst", "\n".join(lines) + "\n")

    states = "BEMS"
    out = []
    for s in states:
        out.append("start %s %r" % (s, prob_start.P[s]))
    for s in states:
        for t, p in sorted(prob_trans.P[s].items()):
            out.append("trans %s %s %r" % (s, t, p))
    chars = sorted(set().union(*(prob_emit.P[s].keys() for s in states)))
    for c in chars:
        out.append("emit %s %s" % (c, " ".join(repr(prob_emit.P[s].get(c, MIN_FLOAT)) for s in states)))
    write_zst("hmm.txt.zst", "\n".join(out) + "\n")

    from importlib.metadata import metadata
    lic = metadata("jieba").get("License") or "MIT"
    with open(os.path.join(OUT, "LICENSE"), "w", encoding="utf-8") as f:
        f.write("Data exported from jieba 0.42.1 (https://github.com/fxsjy/jieba) by tools/gen_jieba_data.py.\n"
                "jieba's package metadata gives its licence as: %s\n\n%s" % (lic, MIT))


MIT = """The MIT License (MIT)

Copyright (c) 2013 Sun Junyi

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

if __name__ == "__main__":
    main()
