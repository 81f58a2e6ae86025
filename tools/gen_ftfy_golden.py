#!/usr/bin/env python3
"""Generate the FTFY parity golden file with the reference: datatrove 0.10.1's `FTFYFormatter`
(ftfy 6.3.1 underneath), as FineWeb-2's final touches run it.

usage: tools/gen_ftfy_golden.py [--shared ../shared] [--out crates/tamis-text/tests/golden]

Writes ftfy.jsonl.zst, one {"text", "fixed"} per line, for seeded texts built from lingua's
test sentences (3 per language, 75 languages): the sentences as they are; their UTF-8 bytes
read back in each single-byte encoding ftfy knows (mojibake), also twice over, with byte A0
turned into a space, with undecodable bytes as U+FFFD, and embedded in clean text; Latin-1
read as windows-1252 (C1 controls); CESU-8 and Java's two-byte null; HTML entities (named,
upper-cased, numeric, invalid, without ';', after a line with '<'); terminal escapes and
control characters; random strings over mojibake fragments. Then, for each of the committed
subset of corpus pages (tests/golden/subset-input.jsonl.zst), {"id", "fixed_sha"}: the first 16
hex digits of sha256 of the fixed text.

Needs: pip install 'datatrove==0.10.1' 'ftfy==6.3.1' zstandard
"""
import argparse
import hashlib
import html
import io
import json
import os
import random
import sys

import ftfy
import ftfy.bad_codecs  # noqa: F401
import zstandard
from datatrove.pipeline.formatters import FTFYFormatter

assert ftfy.__version__ == "6.3.1", ftfy.__version__
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ENCODINGS = ["sloppy-windows-1252", "latin-1", "sloppy-windows-1251", "sloppy-windows-1250", "sloppy-windows-1253",
             "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2", "macroman", "cp437"]
FRAGMENTS = ["Ã", "Â", "â€", "â€™", "â€œ", "Ã©", "Ã¨", "Ã ", "Ã\xa0", "Ð", "Ñ", "Ð°", "Ñ\x81", "Ã¼", "Ã¶", "Ã¤",
             "ï»¿", "Â\xa0", "Â ", "\x80", "\x93", "\x94", "\x9d", "�", "\x1a", "&amp;", "&#233;", "&eacute;",
             "&EACUTE;", "&#x41;", "&#59;", "<", "\x1b[0m", "\x00", "\x7f", "\ufeff", "é", "ü", "ñ", "€", "™", "a",
             "b", " ", "\n", ".", "'", "\"", "Ã\x83Â©", "í\xa0½", "ì", "Ã¡", "Ã³", "Ãº", "Ã­", "Ã±", "Å¡", "Å¾"]


def sentences(shared, code):
    path = os.path.join(shared, "data", "lid", "lingua-testdata", code, "testdata", "sentences.txt")
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def cases(shared):
    rng = random.Random("tamis-ftfy")
    lingua = sorted(d for d in os.listdir(os.path.join(shared, "data", "lid", "lingua-testdata")) if len(d) == 2)
    sents = []
    for code in lingua:
        s = sentences(shared, code)
        sents += rng.sample(s, 3)
    out = list(sents)
    for s in sents:
        raw = s.encode("utf-8")
        enc = rng.choice(ENCODINGS)
        try:
            moji = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        out.append(moji)
        out.append(moji.replace("\xa0", " "))
        out.append(rng.choice(sents) + " " + moji + " " + rng.choice(sents))
        try:
            out.append(moji.encode("utf-8").decode(enc))
        except UnicodeDecodeError:
            pass
        out.append(raw.decode("windows-1252", errors="replace"))
        out.append("\n".join([rng.choice(sents), moji, rng.choice(sents)]))
    for s in sents[::5]:
        out.append(s.encode("windows-1252", errors="ignore").decode("latin-1"))
        out.append(html.escape(s) + " &amp;amp; &#233;&#x41;&#59;&#0;&#128;&#xD800;&#99999999; &EACUTE; &eacute &copy;")
        out.append("<p>" + html.escape(s) + "</p>\n" + "&lt;b&gt; &eacute;\n")
        out.append("\x1b[1;31m" + s + "\x1b[0m\x00\x07\ufeff\u206a\ufffc")
    emoji = "😀 and 🎉"
    cesu = "".join(chr(0xD800 + ((ord(c) - 0x10000) >> 10)) + chr(0xDC00 + ((ord(c) - 0x10000) & 0x3FF))
                   if ord(c) > 0xFFFF else c for c in emoji)
    cesu_bytes = cesu.encode("utf-8", errors="surrogatepass")
    out.append(cesu_bytes.decode("sloppy-windows-1252"))
    out.append(b"null here: \xc0\x80 and caf\xc3\xa9".decode("sloppy-windows-1252"))
    for _ in range(400):
        out.append("".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-text", "tests", "golden"))
    args = ap.parse_args()
    fmt = FTFYFormatter()
    rows = []
    seen = set()
    for text in cases(args.shared):
        if text in seen:
            continue
        seen.add(text)
        rows.append({"text": text, "fixed": fmt.format(text)})
    changed = sum(r["text"] != r["fixed"] for r in rows)
    # `unescape_html` set: FTFYFormatter(unescape_html=True / False) on the texts with entities.
    for mode in (True, False):
        fmt_mode = FTFYFormatter(unescape_html=mode)
        rows += [{"text": r["text"], "unescape_html": mode, "fixed": fmt_mode.format(r["text"])}
                 for r in list(rows) if "&" in r["text"] and "unescape_html" not in r]
    subset = os.path.join(ROOT, "tests", "golden", "subset-input.jsonl.zst")
    with open(subset, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                d = json.loads(line)
                fixed = fmt.format(d["text"])
                rows.append({"id": d["id"], "fixed_sha": hashlib.sha256(fixed.encode()).hexdigest()[:16]})
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8", errors="surrogatepass")
    with open(os.path.join(args.out, "ftfy.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    print(f"{len(rows)} rows, {changed} synthetic texts changed", file=sys.stderr)


if __name__ == "__main__":
    main()
