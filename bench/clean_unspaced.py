#!/usr/bin/env python3
"""Line cleaning on pages written without spaces between words (Chinese, Japanese).

usage: bench/clean_unspaced.py [--shared ../shared] [--tamis PATH]

Takes the pages of ../shared/data/corpus/pages.jsonl.zst with more than 300 Han or kana
characters, runs a pipeline holding only `line_clean` on them, and prints, against the same
pages' trafilatura main text (articles.jsonl.zst) as the reference: the share of the
reference's characters whose lines survive (whitespace ignored), and the characters kept.
Needs: a release build (cargo build --release -p tamis-cli, or --tamis / $TAMIS_BIN),
python3 with zstandard.
"""
import argparse, json, os, re, subprocess, sys, tempfile

import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(path, "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    return [json.loads(l) for l in data.decode().splitlines() if l.strip()]


def unspaced(text):
    return sum(1 for c in text if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--tamis", default=os.environ.get(
        "TAMIS_BIN", os.path.join(ROOT, "target", "release", "tamis")))
    args = ap.parse_args()
    corpus = os.path.join(args.shared, "data", "corpus")
    pages = [p for p in read(os.path.join(corpus, "pages.jsonl.zst")) if unspaced(p["text"]) > 300]
    articles = {a["id"]: a["text"] for a in read(os.path.join(corpus, "articles.jsonl.zst"))}
    work = tempfile.mkdtemp(prefix="tamis-unspaced-")
    inp, pipeline, out = (os.path.join(work, n) for n in ("in.jsonl", "p.toml", "out"))
    with open(inp, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in pages)
    with open(pipeline, "w") as f:
        f.write('[[step]]\ntype = "line_clean"\n')
    subprocess.run([args.tamis, "run", "--pipeline", pipeline, inp, "-o", out, "--compression",
                    "none", "--no-progress"], check=True, capture_output=True)
    kept = {}
    for name in sorted(os.listdir(os.path.join(out, "kept"))):
        for l in open(os.path.join(out, "kept", name), encoding="utf-8"):
            d = json.loads(l)
            kept[d["id"]] = d["text"]
    squash = lambda s: re.sub(r"\s+", "", s)
    ref = got = kept_chars = n = 0
    for p in pages:
        if p["id"] not in articles:
            continue
        n += 1
        text = squash(kept.get(p["id"], ""))
        kept_chars += len(text)
        for line in articles[p["id"]].split("\n"):
            if line.strip():
                ref += len(line)
                got += len(line) if squash(line) in text else 0
    print(f"pages {n} (of {len(pages)} with >300 Han/kana characters)")
    print(f"reference characters kept {got / ref:.3f}")
    print(f"characters kept (whitespace removed) {kept_chars}")


if __name__ == "__main__":
    main()
