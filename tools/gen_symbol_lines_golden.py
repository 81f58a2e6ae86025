#!/usr/bin/env python3
"""Generate the SymbolLinesFormatter parity golden file with the reference, datatrove 0.10.1.

usage: tools/gen_symbol_lines_golden.py [--shared ../shared] [--out crates/tamis-clean/tests/golden]

Writes symbol_lines.jsonl.zst: {"config", "text", "formatted"} for seeded texts built from lingua
test sentences, table borders and rows of '|', punctuation lines, blank and whitespace lines, and
every line ending Python's `str.splitlines` knows; `config` is "fineweb2"
(`SymbolLinesFormatter(symbols_to_remove=["|"], replace_char="\\n")`, as fineweb-2-pipeline.py
runs it) or "default" (`SymbolLinesFormatter()`).

Needs: pip install 'datatrove==0.10.1' zstandard
"""
import argparse
import json
import os
import random

import zstandard
from datatrove.pipeline.formatters import SymbolLinesFormatter

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ENDINGS = ["\n"] * 12 + ["\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
SYMBOL_LINES = ["|", "| |", "||", " | ", "|||||", "---", "***", "...", "| - |", "•", "...|", "==", "»", "|a|", "   ",
                "", "\t|", "|\t", "　", "…"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-clean", "tests", "golden"))
    args = ap.parse_args()
    rng = random.Random("tamis-symbol-lines")
    path = os.path.join(args.shared, "data", "lid", "lingua-testdata", "en", "testdata", "sentences.txt")
    with open(path, encoding="utf-8") as f:
        sents = [s.rstrip("\n") for s in f if s.strip()][:200]
    configs = {"fineweb2": SymbolLinesFormatter(symbols_to_remove=["|"], replace_char="\n"),
               "default": SymbolLinesFormatter()}
    rows = []
    for _ in range(600):
        parts = []
        for _ in range(rng.randint(0, 12)):
            line = rng.choice(sents) if rng.random() < 0.5 else rng.choice(SYMBOL_LINES)
            parts.append(line + rng.choice(ENDINGS))
        text = "".join(parts)
        if parts and rng.random() < 0.4:
            text = text.rstrip("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        for name, fmt in configs.items():
            rows.append({"config": name, "text": text, "formatted": fmt.format(text)})
    os.makedirs(args.out, exist_ok=True)
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    with open(os.path.join(args.out, "symbol_lines.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    print(len(rows), "rows")


if __name__ == "__main__":
    main()
