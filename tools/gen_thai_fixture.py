#!/usr/bin/env python3
"""Build crates/tamis-clean/tests/fixtures/th-page.txt: a Thai page from lingua's Thai test
sentences, for the test that Thai paragraphs are counted as prose.

usage: tools/gen_thai_fixture.py [--shared ../shared]

No Thai page is in the shared corpora, so the page is assembled: a menu of five Thai section
names (ours), then six paragraphs, each three consecutive sentences of
`lid/lingua-testdata/th/testdata/sentences.txt` (Apache-2.0) joined by a space, as Thai
separates sentences, then a footer line (ours). Lingua's splitter cut Thai text at
abbreviation dots ("ดร.", "อบต."), so nearly every "sentence" ends with one; the dot is
dropped from a paragraph's last sentence, since a Thai paragraph ends without a full stop.
Deterministic: the same input gives the same file.
"""
import argparse, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MENU = ["หน้าแรก", "ข่าว", "กีฬา", "บันเทิง", "ติดต่อเรา"]
FOOTER = "ลิขสิทธิ์ © สงวนลิขสิทธิ์"
FIRST, PARAGRAPHS, PER = 200, 6, 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    path = os.path.join(args.shared, "data", "lid", "lingua-testdata", "th", "testdata",
                        "sentences.txt")
    sentences = [s.strip() for s in open(path, encoding="utf-8") if s.strip()]
    lines = list(MENU) + [""]
    for p in range(PARAGRAPHS):
        chunk = sentences[FIRST + p * PER:FIRST + (p + 1) * PER]
        chunk[-1] = chunk[-1].rstrip(".")
        lines += [" ".join(chunk), ""]
    lines.append(FOOTER)
    out = os.path.join(ROOT, "crates", "tamis-clean", "tests", "fixtures", "th-page.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
