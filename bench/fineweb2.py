#!/usr/bin/env python3
"""Side-by-side benchmark: tamis vs datatrove 0.10.1 on FineWeb-2's per-language filters
(step 5 of fineweb-2-pipeline.py: Gopher repetition, FineWeb quality, Gopher quality with each
language's settings), one core each, per tokenizer family.

usage: bench/fineweb2.py FINEWEB2_REPO [--shared ../shared] [--repeat 4] [--family TEXT]

For each family, the input is every lingua test sentence of its languages (1,000 each), ten
lines per document, `--repeat` times, labelled as GlotLID would (`metadata.language`,
`language_script`). datatrove runs its three filters in this process (no reading or writing,
which only flatters it); tamis runs `tamis run --steps fineweb2_quality --threads 1`, reading
and writing compressed JSONL, pinned to one CPU. Prints documents/s, MB/s of text and the
ratio, and checks both keep the same documents.

Needs: a release build (cargo build --release -p tamis-cli),
pip install 'datatrove==0.10.1' 'spacy==3.8.18' pyyaml zstandard, and for the dictionary and
model families 'indic-nlp-library==0.92' 'jieba==0.42.1' 'pythainlp==5.4.0' 'pyvi==0.1.1'
"""
import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# family -> [(lingua code, FineWeb-2 config name)]
FAMILIES = {
    "spaCy rules, Latin script (fr, de, pt, es, it)": [
        ("fr", "fra_Latn"), ("de", "deu_Latn"), ("pt", "por_Latn"), ("es", "spa_Latn"), ("it", "ita_Latn")],
    "spaCy rules, other scripts (ru, uk, el, he, ar)": [
        ("ru", "rus_Cyrl"), ("uk", "ukr_Cyrl"), ("el", "ell_Grek"), ("he", "heb_Hebr"), ("ar", "arb_Arab")],
    "spaCy rules, long exception lists (id, ms, nl)": [
        ("id", "ind_Latn"), ("ms", "zsm_Latn"), ("nl", "nld_Latn")],
    "spaCy proxies: xx and tn (hy, ka, sw, yo, zu)": [
        ("hy", "hye_Armn"), ("ka", "kat_Geor"), ("sw", "swh_Latn"), ("yo", "yor_Latn"), ("zu", "zul_Latn")],
    "IndicNLP (hi, mr, bn, ta, te, ur)": [
        ("hi", "hin_Deva"), ("mr", "mar_Deva"), ("bn", "ben_Beng"), ("ta", "tam_Taml"), ("te", "tel_Telu"),
        ("ur", "urd_Arab")],
    "dictionary: Chinese (jieba)": [("zh", "cmn_Hani")],
    "dictionary: Thai (PyThaiNLP newmm)": [("th", "tha_Thai")],
    "model: Vietnamese (pyvi CRF)": [("vi", "vie_Latn")],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--cpu", default="0")
    ap.add_argument("--family", default="", help="only the families whose name contains this")
    args = ap.parse_args()
    import yaml
    import zstandard
    from datatrove.data import Document
    from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

    tamis = os.path.join(ROOT, "target", "release", "tamis")
    if not os.path.exists(tamis):
        sys.exit("build first: cargo build --release -p tamis-cli")
    pin = ["taskset", "-c", args.cpu] if shutil.which("taskset") else []
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    work = tempfile.mkdtemp(prefix="tamis-fw2-")
    results = []
    for family, langs in FAMILIES.items():
        if args.family not in family:
            continue
        docs = []
        for code, name in langs:
            path = os.path.join(args.shared, "data", "lid", "lingua-testdata", code, "testdata", "sentences.txt")
            with open(path, encoding="utf-8") as f:
                sents = [s.rstrip("\n") for s in f if s.strip()]
            lang, script = name.split("_")
            for r in range(args.repeat):
                for i in range(0, len(sents), 10):
                    docs.append({"id": f"{name}/{r}/{i}", "text": "\n".join(sents[i:i + 10]),
                                 "metadata": {"language": lang, "language_script": script}})
        n_bytes = sum(len(d["text"].encode()) for d in docs)
        inp = os.path.join(work, "in.jsonl.zst")
        with open(inp, "wb") as f:
            f.write(zstandard.ZstdCompressor(level=3).compress(
                "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode()))

        # datatrove, in process, one core.
        os.sched_setaffinity(0, {int(args.cpu)})
        filters = {}
        for _, name in langs:
            with open(os.path.join(args.repo, "configs", name + ".yml"), encoding="utf-8") as f:
                cfg = yaml.safe_load(f)
            filters[name] = [
                GopherRepetitionFilter(language=name, dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0,
                                       dup_line_frac=cfg["dup_line_frac"], top_n_grams=cfg["top_n_grams"],
                                       dup_n_grams=cfg["dup_n_grams"]),
                FineWebQualityFilter(language=name, short_line_thr=999, char_duplicates_ratio=0.1,
                                     line_punct_thr=cfg["line_punct_thr"], new_line_ratio=cfg["new_line_ratio"]),
                GopherQualityFilter(language=name, max_avg_word_length=cfg["max_avg_word_length"],
                                    min_avg_word_length=cfg["min_avg_word_length"], stop_words=cfg["stopwords"],
                                    max_non_alpha_words_ratio=cfg["max_non_alpha_words_ratio"], min_stop_words=2),
            ]
            # Load the tokenizer before timing, as a long run amortises it.
            filters[name][2].filter(Document(text="warm up", id="w"))
        kept_dt = set()
        t0 = time.perf_counter()
        for d in docs:
            doc = Document(text=d["text"], id=d["id"])
            name = d["id"].split("/")[0]
            for flt in filters[name]:
                r = flt.filter(doc)
                if not (r if isinstance(r, bool) else r[0]):
                    break
            else:
                kept_dt.add(d["id"])
        dt_secs = time.perf_counter() - t0
        os.sched_setaffinity(0, set(range(os.cpu_count())))

        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([*pin, tamis, "run", "--steps", "fineweb2_quality", "--threads", "1", "--no-progress",
                        inp, "-o", out], check=True, capture_output=True)
        tm_secs = time.perf_counter() - t0
        kept_tm = set()
        for fn in sorted(os.listdir(os.path.join(out, "kept"))):
            with open(os.path.join(out, "kept", fn), "rb") as f:
                for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
                    kept_tm.add(json.loads(line)["id"])
        same = "yes" if kept_tm == kept_dt else f"NO ({len(kept_tm ^ kept_dt)} differ)"
        results.append((family, len(docs), n_bytes, dt_secs, tm_secs, same))
        print(f"{family}: {len(docs)} docs, {n_bytes / 1e6:.1f} MB; datatrove {n_bytes / 1e6 / dt_secs:.2f} MB/s, "
              f"tamis {n_bytes / 1e6 / tm_secs:.1f} MB/s, {dt_secs / tm_secs:.0f}x; same kept set: {same}", flush=True)
    print()
    print("| tokenizer family | docs | MB | datatrove MB/s | tamis MB/s | ratio | same kept set |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for family, n, b, d, t, same in results:
        print(f"| {family} | {n:,} | {b / 1e6:.1f} | {b / 1e6 / d:.2f} | {b / 1e6 / t:.1f} | {d / t:.0f}x | {same} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
