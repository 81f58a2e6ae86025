#!/usr/bin/env python3
"""Accuracy of language identification per language on the lingua test sentences.

usage: bench/lid_accuracy.py [--shared ../shared] [--model PATH]

Runs `tamis lid` (bundled lid.176.ftz unless --model) over
../shared/data/lid/lingua-testdata/<lang>/testdata/sentences.txt for each of the 75 languages
and prints a Markdown table: sentences, share whose top label is the directory's language, and
the most common wrong label. tamis's labels equal fastText's on every one of these lines
(crates/tamis-lid/tests/parity.rs), so this is also fastText lid.176.ftz's accuracy.
Labels are compared as ISO 639-1 codes; lid.176 names Norwegian Bokmål "no" and Tagalog "tl".
"""
import argparse, collections, os, subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALIASES = {"nb": {"no", "nb"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--model")
    args = ap.parse_args()
    base = os.path.join(args.shared, "data", "lid", "lingua-testdata")
    exe = os.environ.get("TAMIS", os.path.join(ROOT, "target", "release", "tamis"))
    every = subprocess.run([exe, "lid", "-k", "100000"] + (["--model", args.model] if args.model else []),
                           input="x\n", check=True, capture_output=True, text=True).stdout.split("\t")[0::2]
    known = {l.removeprefix("__label__") for l in every}
    rows, total, right = [], 0, 0
    for lang in sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d))):
        path = os.path.join(base, lang, "testdata", "sentences.txt")
        cmd = [exe, "lid", path] + (["--model", args.model] if args.model else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        labels = [l.split("\t")[0].removeprefix("__label__") for l in out.splitlines()]
        ok = ALIASES.get(lang, {lang})
        good = sum(1 for l in labels if l in ok)
        wrong = collections.Counter(l for l in labels if l not in ok).most_common(1)
        rows.append((lang, len(labels), good / max(1, len(labels)), wrong[0] if wrong else None, bool(ok & known)))
        if ok & known:
            total += len(labels)
            right += good
    print("| language | sentences | accuracy | most common wrong label |")
    print("| --- | ---: | ---: | --- |")
    for lang, n, acc, wrong, in_model in rows:
        w = f"{wrong[0]} ({wrong[1]})" if wrong else ""
        note = "" if in_model else " (not a label of the model)"
        print(f"| {lang}{note} | {n} | {acc:.3f} | {w} |")
    print(f"| **all languages the model knows** | {total} | {right / total:.3f} | |")


if __name__ == "__main__":
    main()
