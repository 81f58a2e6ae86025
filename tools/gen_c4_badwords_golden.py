#!/usr/bin/env python3
"""Golden for the `c4_badwords` step: datatrove 0.10.1's own C4BadWordsFilter.

usage: tools/gen_c4_badwords_golden.py [--shared ../shared] [--ldnoobw-repo PATH]

Runs datatrove's C4BadWordsFilter (keep_fraction=0: its numpy draws depend on document order,
see docs/parity.md) over
  - every page of ../shared/data/corpus/{pages,articles}.jsonl.zst (when present) and of
    tests/golden/subset-input.jsonl.zst, as English (they carry no language),
  - short texts crafted from every word of every list, in its language, with word and non-word
    neighbours, case changes and line ends,
  - every lingua test sentence file's first 200 lines for the languages with a list (when
    ../shared is present),
and writes crates/tamis-filters/tests/golden/c4-badwords.jsonl.zst: one line per document with
its source, id (corpus) or text and language (crafted, lingua), config and keep decision.

datatrove downloads the LDNOOBW lists from GitHub at pinned commits; here
`cached_asset_path_or_download` returns the committed copies in
crates/tamis-filters/data/ldnoobw/ instead. --ldnoobw-repo (a clone of
LDNOOBW/List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words) first rewrites those copies from
the pinned commits with `git show`.

Needs: pip install 'datatrove==0.10.1' zstandard
"""
import argparse, json, os, subprocess
from importlib.metadata import version

from _golden import ROOT, SUBSET_INPUT, read_jsonl_zst, write_lines_zst

assert version("datatrove") == "0.10.1", version("datatrove")
LISTS = os.path.join(ROOT, "crates", "tamis-filters", "data", "ldnoobw")
EN_COMMIT = "25e679f03d96baa721cde20db9944649e8d0a844"
COMMIT = "5faf2ba42d7b1c0977169ec3611df25a3c08eb13"

CONFIGS = {
    "default": {},
    "lenient": {"fail_on_missing_language": False},
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--ldnoobw-repo")
    args = ap.parse_args()
    import datatrove.pipeline.filters.c4_filters as c4
    from datatrove.data import Document

    if args.ldnoobw_repo:
        os.makedirs(LISTS, exist_ok=True)
        for lang in c4._BADWORDS_LANGS:
            commit = EN_COMMIT if lang == "en" else COMMIT
            data = subprocess.run(["git", "-C", args.ldnoobw_repo, "show", f"{commit}:{lang}"],
                                  check=True, capture_output=True).stdout
            with open(os.path.join(LISTS, lang), "wb") as f:
                f.write(data)
    assert c4._EN_BADWORDS_URL.endswith(EN_COMMIT + "/en") and c4._BADWORDS_URL.endswith(COMMIT + "/")
    c4.cached_asset_path_or_download = lambda url, **kw: os.path.join(LISTS, url.rsplit("/", 1)[1])

    docs = []  # (record without decision, text, metadata)
    for corpus in ("pages", "articles"):
        path = os.path.join(args.shared, "data", "corpus", f"{corpus}.jsonl.zst")
        if os.path.exists(path):
            for r in read_jsonl_zst(path):
                docs.append(({"source": corpus, "id": r["id"]}, r["text"], {}))
        else:
            print(f"note: {path} absent, corpus pages not included")
    for i, r in enumerate(read_jsonl_zst(SUBSET_INPUT)):
        docs.append(({"source": "subset", "index": i}, r["text"], {}))
    for lang in c4._BADWORDS_LANGS:
        with open(os.path.join(LISTS, lang), encoding="utf-8") as f:
            words = [l.strip() for l in f]
        for w in words:
            for t in (w, f"xx {w} yy", f"xx{w} yy", f"xx {w}yy", f"({w.upper()})", f"_{w}_", f"1{w}.",
                      f"{w}\n", f"a\n{w}\nb", f"«{w}»", f"{w.title()}!", f"{w}s"):
                docs.append(({"source": "crafted", "language": lang, "text": t}, t, {"language": lang}))
        lingua = os.path.join(args.shared, "data", "lid", "lingua-testdata", lang.split("-")[0],
                              "testdata", "sentences.txt")
        if os.path.exists(lingua):
            with open(lingua, encoding="utf-8") as f:
                for line in list(f)[:200]:
                    t = line.rstrip("\n")
                    docs.append(({"source": "lingua", "language": lang, "text": t}, t, {"language": lang}))
    for t in ("some text", "bastard", "no list for this language"):
        docs.append(({"source": "crafted", "language": "xx", "text": t}, t, {"language": "xx"}))

    out, counts = [], {}
    for name, kwargs in CONFIGS.items():
        filt = c4.C4BadWordsFilter(**kwargs)
        for rec, text, meta in docs:
            if name == "default" and meta.get("language") == "xx":
                continue  # datatrove raises
            res = filt.filter(Document(text=text, id="x", metadata=dict(meta)))
            keep = res if isinstance(res, bool) else res[0]
            counts[(name, rec["source"], keep)] = counts.get((name, rec["source"], keep), 0) + 1
            out.append(json.dumps({"config": name, **rec, "keep": bool(keep)}, ensure_ascii=False) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "c4-badwords.jsonl.zst")
    write_lines_zst(path, out)
    print(f"wrote {path}: {len(out)} rows")
    for k in sorted(counts, key=str):
        print(k, counts[k])


if __name__ == "__main__":
    main()
