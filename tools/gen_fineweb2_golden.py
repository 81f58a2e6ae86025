#!/usr/bin/env python3
"""Generate the FineWeb-2 parity golden file with the reference: datatrove 0.10.1 running
FineWeb-2's per-language steps exactly as `fineweb-2-pipeline.py` (huggingface/fineweb-2)
configures them, on multilingual documents assembled from lingua's test sentences.

usage: tools/gen_fineweb2_golden.py FINEWEB2_REPO [--shared ../shared]
       [--out crates/tamis-filters/tests/golden/fineweb2]

For every lingua language (75) that FineWeb-2 has settings for (`configs/<lang>_<Script>.yml`)
and whose datatrove word tokenizer is spaCy's rule-based one, the WhitespaceTokenizer or the
IndicNLPTokenizer (or jieba for Chinese, newmm for Thai, pyvi for Vietnamese), 14
seeded documents of shapes that exercise each rule (articles, short texts, repeated lines and
n-grams, lists, lines without punctuation, bullets, ellipses, numbers, mixed languages), each
with GlotLID-style metadata (`language`, `language_script`, a seeded `language_score`), and:

  "language_score_kept"  step 3: `metadata["language_score"] >= config["language_score"]`
  "filter"               step 5: None if GopherRepetitionFilter, FineWebQualityFilter and
                         GopherQualityFilter (with the pipeline's arguments) all keep it, else
                         the first one's drop reason
  "minhash"              step 4's signature: MinhashDedupSignature(config=FineWeb-2's
                         MinhashConfig, language=lang_script): sha256 (first 16 hex digits) of
                         the 112 values as little-endian u64, or "-" without one

Then 48 more languages without lingua sentences, chosen (seeded) among those whose settings
are unusual (`line_punct_thr` -1, `dup_line_frac` or `top_n_grams` above 1, long stop words),
with 6 documents each built from lingua sentences of languages in the same script.

Languages whose tokenizer tamis does not run are listed in "unsupported.json" with datatrove's
tokenizer class. Writes docs.jsonl.zst.

precision.jsonl.zst: precision filtering (`misc/precision_filtering`), run with the `Decontaminate`
class of the repository's own `run_precision_filtering.py` (its class definition executed,
the Slurm loop after it not) from that directory (so that `wordlists-0.85/` and the URL
whitelist are the repository's): for 36 of the 515 filtered languages (seeded, among those
whose tokenizer tamis runs), 8 documents each with text of languages in the same script,
some with words of the language's own list, and URLs that name the language or not:
{"id", "text", "metadata": {"language", "language_script", "url"}, "keep",
"wordlist_ratio" (absent when the URL decided)}.

Needs: pip install 'datatrove==0.10.1' 'spacy==3.8.18' pyyaml zstandard 'xxhash<4'
"""
import argparse
import hashlib
import json
import os
import random
import struct
import sys
import tempfile

import numpy as np
import yaml
import zstandard
from importlib.metadata import version

from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.utils.hashing import HashConfig
from datatrove.utils.word_tokenizers import load_tokenizer_assignments

assert version("datatrove") == "0.10.1", version("datatrove")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# lingua code -> FineWeb-2 config name (ISO 639-3 as GlotLID labels it, and script).
FW2 = {
    "af": "afr_Latn", "ar": "arb_Arab", "az": "azj_Latn", "be": "bel_Cyrl", "bg": "bul_Cyrl",
    "bn": "ben_Beng", "bs": "bos_Latn", "ca": "cat_Latn", "cs": "ces_Latn", "cy": "cym_Latn",
    "da": "dan_Latn", "de": "deu_Latn", "el": "ell_Grek", "eo": "epo_Latn", "es": "spa_Latn",
    "et": "ekk_Latn", "eu": "eus_Latn", "fa": "pes_Arab", "fi": "fin_Latn", "fr": "fra_Latn",
    "ga": "gle_Latn", "gu": "guj_Gujr", "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn",
    "hu": "hun_Latn", "hy": "hye_Armn", "id": "ind_Latn", "is": "isl_Latn", "it": "ita_Latn",
    "ja": "jpn_Jpan", "ka": "kat_Geor", "kk": "kaz_Cyrl", "ko": "kor_Hang", "la": "lat_Latn",
    "lg": "lug_Latn", "lt": "lit_Latn", "lv": "lvs_Latn", "mi": "mri_Latn", "mk": "mkd_Cyrl",
    "mn": "khk_Cyrl", "mr": "mar_Deva", "ms": "zsm_Latn", "nb": "nob_Latn", "nl": "nld_Latn",
    "nn": "nno_Latn", "pa": "pan_Guru", "pl": "pol_Latn", "pt": "por_Latn", "ro": "ron_Latn",
    "ru": "rus_Cyrl", "sk": "slk_Latn", "sl": "slv_Latn", "sn": "sna_Latn", "so": "som_Latn",
    "sq": "als_Latn", "sr": "srp_Cyrl", "st": "sot_Latn", "sv": "swe_Latn", "sw": "swh_Latn",
    "ta": "tam_Taml", "te": "tel_Telu", "th": "tha_Thai", "tl": "fil_Latn", "tn": "tsn_Latn",
    "tr": "tur_Latn", "ts": "tso_Latn", "uk": "ukr_Cyrl", "ur": "urd_Arab", "vi": "vie_Latn",
    "xh": "xho_Latn", "yo": "yor_Latn", "zh": "cmn_Hani", "zu": "zul_Latn",
}
SUPPORTED_CLASSES = {"SpaCyTokenizer", "WhitespaceTokenizer", "IndicNLPTokenizer", "ThaiTokenizer", "LaoTokenizer"}
# lingua languages whose sentences stand in for unlisted languages of the same script.
SCRIPT_SOURCES = {"Latn": ["en", "fr", "de", "sw", "tn", "yo", "zu", "tr"], "Cyrl": ["ru", "uk", "bg", "mk", "kk"],
                  "Arab": ["ar", "fa", "ur"], "Grek": ["el"], "Hebr": ["he"], "Armn": ["hy"], "Geor": ["ka"],
                  "Hani": ["zh"], "Thai": ["th"], "Deva": ["hi", "mr"], "Beng": ["bn"], "Gujr": ["gu"], "Guru": ["pa"], "Taml": ["ta"], "Telu": ["te"]}
LONG_TAIL_SHAPES = ["article", "dup_lines", "list", "no_punct", "ngram_repeat", "bullets"]
DICTIONARY_SPACY = {"ja"}


def lines_of(shared, code, name):
    path = os.path.join(shared, "data", "lid", "lingua-testdata", code, "testdata", name)
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def documents(code, sents, words, pairs, others, rng):
    """Seeded documents of one language; each exercises one or more rules."""
    pick = lambda xs, n: [rng.choice(xs) for _ in range(n)]  # noqa: E731
    docs = {}
    docs["article"] = "\n".join(pick(sents, 15))
    docs["paragraphs"] = "\n\n".join("\n".join(pick(sents, 3)) for _ in range(4))
    docs["short"] = " ".join(pick(sents, 2))
    block = pick(sents, 6)
    docs["dup_lines"] = "\n".join(block * 3 + pick(sents, 4))
    s = rng.choice(sents)
    docs["ngram_repeat"] = " ".join([s] * 6) + "\n" + "\n".join(pick(sents, 10))
    docs["list"] = "\n".join(pick(words, 40) + pick(sents, 6))
    docs["pairs"] = "\n".join(pick(pairs, 30))
    docs["no_punct"] = "\n".join(x.rstrip(".!?。।؟…") for x in pick(sents, 20))
    docs["bullets"] = "\n".join("• " + x for x in pick(sents, 15))
    docs["ellipsis"] = "\n".join(x.rstrip(".") + "..." for x in pick(sents, 12))
    docs["numbers"] = "\n".join(x + " " + " ".join(str(rng.randint(0, 9999)) for _ in range(8)) for x in pick(sents, 12))
    docs["mixed"] = "\n".join(pick(sents, 8) + pick(others, 8))
    docs["long_lines"] = " ".join(pick(sents, 20))
    mix = pick(sents, 10) + pick(words, 10) + pick(pairs, 5) + [block[0]] * 3
    rng.shuffle(mix)
    docs["mixture"] = "\n".join(mix)
    return docs


def sha16_u64(values):
    return hashlib.sha256(struct.pack("<%dQ" % len(values), *values)).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "fineweb2"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    assignments = load_tokenizer_assignments()
    lingua = sorted(d for d in os.listdir(os.path.join(args.shared, "data", "lid", "lingua-testdata")) if len(d) == 2)
    others = []
    for code in lingua:
        others += lines_of(args.shared, code, "sentences.txt")[:2]
    rows, unsupported = [], {}
    minhash_config = MinhashConfig(hash_config=HashConfig(hash_fc="xxhash", precision=64),
                                   num_buckets=14, hashes_per_bucket=8, n_grams=5)
    tmp = tempfile.mkdtemp()

    def supported(name):
        factory = assignments.get(name)
        cls, arg = factory.args if factory else (None, None)
        if cls not in SUPPORTED_CLASSES or (cls == "SpaCyTokenizer" and arg in DICTIONARY_SPACY):
            return False, "%s(%s)" % (cls, arg or "")
        return True, None

    def load_cfg(name):
        with open(os.path.join(args.repo, "configs", name + ".yml"), encoding="utf-8") as f:
            return yaml.safe_load(f)

    def add_docs(name, cfg, docs, rng):
        filters = [
            GopherRepetitionFilter(language=name, dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0,
                                   dup_line_frac=cfg["dup_line_frac"], top_n_grams=cfg["top_n_grams"],
                                   dup_n_grams=cfg["dup_n_grams"]),
            FineWebQualityFilter(language=name, short_line_thr=999, char_duplicates_ratio=0.1,
                                 line_punct_thr=cfg["line_punct_thr"], new_line_ratio=cfg["new_line_ratio"]),
            GopherQualityFilter(language=name, max_avg_word_length=cfg["max_avg_word_length"],
                                min_avg_word_length=cfg["min_avg_word_length"], stop_words=cfg["stopwords"],
                                max_non_alpha_words_ratio=cfg["max_non_alpha_words_ratio"], min_stop_words=2),
        ]
        signer = MinhashDedupSignature(output_folder=os.path.join(tmp, name), config=minhash_config, language=name)
        lang, script = name.split("_")
        for shape, text in docs.items():
            score = round(rng.uniform(max(0.0, cfg["language_score"] - 0.2), 1.0), 4)
            doc = Document(text=text, id=f"{name}/{shape}")
            verdict = None
            for f in filters:
                r = f.filter(doc)
                ok, reason = (r, None) if isinstance(r, bool) else r
                if not ok:
                    verdict = reason
                    break
            shingles = signer.get_shingles(text)
            minhash = "-"
            if shingles.size:
                sig = [v for band in signer.get_signature(shingles) for v in band]
                minhash = sha16_u64(sig)
            rows.append({
                "id": doc.id, "text": text,
                "metadata": {"language": lang, "language_script": script, "language_score": score},
                "language_score_kept": score >= cfg["language_score"],
                "filter": verdict, "minhash": minhash,
            })
        print(name, file=sys.stderr)

    for code in lingua:
        name = FW2.get(code)
        if name is None or not os.path.exists(os.path.join(args.repo, "configs", name + ".yml")):
            continue
        ok, why = supported(name)
        if not ok:
            unsupported[name] = why
            continue
        rng = random.Random("fineweb2-" + code)
        docs = documents(code, lines_of(args.shared, code, "sentences.txt"), lines_of(args.shared, code, "single-words.txt"),
                         lines_of(args.shared, code, "word-pairs.txt"), others, rng)
        add_docs(name, load_cfg(name), docs, rng)

    # The long tail: unusual settings, text from languages of the same script.
    done = set(FW2.values())
    candidates = []
    for f in sorted(os.listdir(os.path.join(args.repo, "configs"))):
        name = f[:-4]
        script = name.split("_")[1]
        if name in done or script not in SCRIPT_SOURCES or not supported(name)[0]:
            continue
        cfg = load_cfg(name)
        unusual = (cfg["line_punct_thr"] < 0 or cfg["dup_line_frac"] > 1
                   or any(t > 1 for _, t in cfg["top_n_grams"]) or any(len(w.encode()) >= 64 for w in cfg["stopwords"]))
        if unusual:
            candidates.append(name)
    pick_rng = random.Random("fineweb2-long-tail")
    chosen = sorted(pick_rng.sample(candidates, min(48, len(candidates))))
    for name in sorted(set(chosen) | {n for n in candidates if any(len(w.encode()) >= 64 for w in load_cfg(n)["stopwords"])}):
        rng = random.Random("fineweb2-" + name)
        script = name.split("_")[1]
        src = rng.choice(SCRIPT_SOURCES[script])
        docs = documents(src, lines_of(args.shared, src, "sentences.txt"), lines_of(args.shared, src, "single-words.txt"),
                         lines_of(args.shared, src, "word-pairs.txt"), others, rng)
        add_docs(name, load_cfg(name), {k: docs[k] for k in LONG_TAIL_SHAPES}, rng)
    precision(args, lines_of, supported)
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    with open(os.path.join(args.out, "docs.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    with open(os.path.join(args.out, "unsupported.json"), "w", encoding="utf-8") as f:
        json.dump(unsupported, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(rows)} documents; unsupported: {sorted(unsupported)}", file=sys.stderr)


def precision(args, lines_of, supported):
    pdir = os.path.join(args.repo, "misc", "precision_filtering")
    with open(os.path.join(pdir, "run_precision_filtering.py"), encoding="utf-8") as f:
        source = f.read()
    source = source[: source.index('with open("url_whitelist.json"')]
    namespace = {}
    exec(compile(source, "run_precision_filtering.py", "exec"), namespace)
    Decontaminate = namespace["Decontaminate"]
    with open(os.path.join(pdir, "cont_scores.json"), encoding="utf-8") as f:
        cont = json.load(f)
    with open(os.path.join(pdir, "url_whitelist.json"), encoding="utf-8") as f:
        whitelist = json.load(f)
    candidates = [k for k, v in sorted(cont.items()) if v > 0.1 and k.split("_")[1] in SCRIPT_SOURCES
                  and supported(k)[0]]
    rng = random.Random("fineweb2-precision")
    chosen = sorted(rng.sample(candidates, 36))
    cwd = os.getcwd()
    os.chdir(pdir)
    rows = []
    try:
        for name in chosen:
            code, script = name.split("_")
            words_list = whitelist.get(code, [])
            flt = Decontaminate(code, name, whitelist_words=words_list)
            with open(os.path.join("wordlists-0.85", name + ".txt"), encoding="utf-8") as f:
                own = sorted({line.strip() for line in f if line.strip()})
            src = rng.choice(SCRIPT_SOURCES[script])
            sents = lines_of(args.shared, src, "sentences.txt")
            plain = "\n".join(rng.choice(sents) for _ in range(6))
            mixed = plain + "\n" + " ".join(rng.sample(own, min(3, len(own))))
            wl = [w for w in words_list if not w.startswith(".")]
            docs = {
                "plain": (plain, "https://www.example.com/news/2024/article-17.html"),
                "own_words": (mixed, "https://blog.example.org/p/99"),
                "code_upper": (plain, f"https://site.example.net/{code.upper()}/index"),
                "code_lower": (plain, f"https://site.example.net/{code}/index"),
                "code_inside": (plain, f"https://site.example.net/x{code}y/index"),
                "whitelist": (plain, "https://" + (rng.choice(wl) if wl else "none") + ".example.com/a"),
                "no_words": ("... --- !!! ???", "https://www.example.com/"),
                "tld": (plain, "https://news.example" + next((w for w in words_list if w.startswith(".")), ".xyz") + "/a/b"),
            }
            for shape, (text, url) in docs.items():
                doc = Document(text=text, id=f"{name}/{shape}", metadata={"url": url})
                keep = bool(flt.filter(doc))
                row = {"id": doc.id, "text": text,
                       "metadata": {"language": code, "language_script": script, "url": url}, "keep": keep}
                if "wordlist_ratio" in doc.metadata:
                    row["wordlist_ratio"] = doc.metadata["wordlist_ratio"]
                rows.append(row)
    finally:
        os.chdir(cwd)
    raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    with open(os.path.join(args.out, "precision.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(raw))
    print(f"precision: {len(rows)} documents, {sum(r['keep'] for r in rows)} kept", file=sys.stderr)


if __name__ == "__main__":
    main()
