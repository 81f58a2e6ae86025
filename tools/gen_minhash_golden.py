#!/usr/bin/env python3
"""Generate the MinHash parity golden files with the reference tool, datatrove 0.10.1.

usage: tools/gen_minhash_golden.py [--shared ../shared] [--out crates/tamis-dedup/tests/golden] [--only-32]

Runs datatrove's own four MinHash stages (MinhashDedupSignature, MinhashDedupBuckets with one task
per bucket, MinhashDedupCluster with save_cluster_size, MinhashDedupFilter) with FineWeb's default
MinhashConfig (5-grams, 14 buckets of 8 hashes, 64-bit xxhash, seed 1) over the shared corpora
read as one input, pages.jsonl.zst then articles.jsonl.zst (document index = position in that
stream), and writes:

  params-seed1.json        the 112 (a, b) permutation parameters numpy's RandomState(1) gives
  signatures.tsv.zst       per document: index, source, id, xxh64 of simplify_text(text)'s UTF-8
                           bytes, and the xxh64 of the 112 little-endian u64 signature values
                           (hex; "-" when the document has fewer than 5 words and so no signature)
  subset-signatures.jsonl.zst  the same for the committed 300-document subset
                           (tests/golden/subset-input), run through stage 1 alone, with the full
                           signature of its first 10 documents
  clusters.tsv             every document datatrove put in a cluster: index, removed (0/1),
                           minhash_cluster_size
  subset-32.jsonl.zst      the committed subset plus exact copies of its first 20 documents
                           (ids "<id>/copy"), through all four stages with 32-bit hashes
                           (`HashConfig(precision=32)`): per document the xxh64 of its 112
                           little-endian u32 signature values, the full signature of the first
                           10, "removed" and "minhash_cluster_size" (`--only-32` writes this file
                           alone, without ../shared)

Signatures are read back from stage 1's sorted bucket files, so nothing is computed twice.
Needs: pip install 'datatrove==0.10.1' spacy zstandard tokenizers 'xxhash<4'
(xxhash 4 rejects str input, which datatrove 0.10.1 passes; 3.x hashes its UTF-8 bytes).
"""
import argparse, io, json, os, struct, sys, tempfile

import numpy as np
import xxhash
import zstandard
from importlib.metadata import version

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import simplify_text

assert version("datatrove") == "0.10.1", version("datatrove")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_jsonl_zst(path):
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def run_stages(docs, work, config, with_filter=True):
    """Runs datatrove's stages over `docs` (list of dicts); returns the work folder."""
    inp = os.path.join(work, "input")
    os.makedirs(inp)
    with open(os.path.join(inp, "00000.jsonl"), "w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({"id": str(i), "text": d["text"]}, ensure_ascii=False) + "\n")
    reader = lambda: JsonlReader(inp)  # noqa: E731
    sigs, buckets, clusters = (os.path.join(work, n) for n in ("sigs", "buckets", "clusters"))
    log = os.path.join(work, "logs")
    LocalPipelineExecutor([reader(), MinhashDedupSignature(sigs, config=config)], tasks=1,
                          logging_dir=log + "/1").run()
    if not with_filter:
        return sigs
    LocalPipelineExecutor([MinhashDedupBuckets(sigs, buckets, config=config)], tasks=config.num_buckets,
                          workers=1, logging_dir=log + "/2").run()
    LocalPipelineExecutor([MinhashDedupCluster(buckets, clusters, config=config, save_cluster_size=True)],
                          tasks=1, logging_dir=log + "/3").run()
    LocalPipelineExecutor([reader(), MinhashDedupFilter(clusters, load_cluster_sizes=True)], tasks=1,
                          logging_dir=log + "/4").run()
    return sigs


def read_signatures(sigs, config, n_docs):
    """Per document index: the full signature, rebuilt from the sorted per-bucket files."""
    per = config.hashes_per_bucket
    fmt = f"<{per}{config.hash_config.struct_format}I"
    size = struct.calcsize(fmt)
    out = [[None] * config.num_buckets for _ in range(n_docs)]
    for b in range(config.num_buckets):
        with open(os.path.join(sigs, f"bucket_{b:03d}", "00000.minhash.sig"), "rb") as f:
            data = f.read()
        for off in range(0, len(data), size):
            *vals, doc = struct.unpack_from(fmt, data, off)
            out[doc][b] = vals
    return [None if s[0] is None else [v for band in s for v in band] for s in out]


def digest(sig, fmt="Q"):
    return "-" if sig is None else xxhash.xxh64(struct.pack(f"<{len(sig)}{fmt}", *sig)).hexdigest()


def removed_and_sizes(work):
    """The removed document indices and the cluster sizes stage 3 saved."""
    clusters = os.path.join(work, "clusters")
    removed, sizes = set(), {}
    if os.path.exists(os.path.join(clusters, "000000.remove")):
        data = open(os.path.join(clusters, "000000.remove"), "rb").read()
        removed = set(struct.unpack(f"<{len(data) // 4}I", data))
    if os.path.exists(os.path.join(clusters, "000000.sizes")):
        data = open(os.path.join(clusters, "000000.sizes"), "rb").read()
        vals = struct.unpack(f"<{len(data) // 4}I", data)
        sizes = dict(zip(vals[0::2], vals[1::2]))
    return removed, sizes


def subset_32(out_dir):
    """subset-32.jsonl.zst: the subset and copies, all stages, 32-bit hashes."""
    config = MinhashConfig(hash_config=HashConfig(precision=32))
    subset = list(read_jsonl_zst(os.path.join(ROOT, "tests", "golden", "subset-input.jsonl.zst")))
    docs = subset + [{"id": d["id"] + "/copy", "text": d["text"]} for d in subset[:20]]
    with tempfile.TemporaryDirectory() as work:
        sigs = read_signatures(run_stages(docs, work, config), config, len(docs))
        removed, sizes = removed_and_sizes(work)
    rows = []
    for i, (d, s) in enumerate(zip(docs, sigs)):
        row = {"id": d["id"], "signature": digest(s, "I"), "removed": i in removed,
               "minhash_cluster_size": sizes.get(i, 1)}
        if i < 10:
            row["full_signature"] = s
        rows.append(json.dumps(row) + "\n")
    with open(os.path.join(out_dir, "subset-32.jsonl.zst"), "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress("".join(rows).encode("utf-8")))
    print(f"32-bit: {len(docs)} documents, {len(removed)} removed", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "crates", "tamis-dedup", "tests", "golden"))
    ap.add_argument("--only-32", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    subset_32(args.out)
    if args.only_32:
        return
    config = MinhashConfig()

    stage1 = MinhashDedupSignature("/tmp/unused", config=config)
    a, b = stage1.parameters
    with open(os.path.join(args.out, "params-seed1.json"), "w") as f:
        json.dump({"seed": config.seed, "a": [int(x) for x in a[0]], "b": [int(x) for x in b[0]]}, f)
        f.write("\n")

    docs = []
    for source in ("pages", "articles"):
        for rec in read_jsonl_zst(os.path.join(args.shared, "data", "corpus", f"{source}.jsonl.zst")):
            docs.append({"source": source, "id": rec["id"], "text": rec["text"]})

    with tempfile.TemporaryDirectory() as work:
        sigs = read_signatures(run_stages(docs, work, config), config, len(docs))
        removed, sizes = removed_and_sizes(work)

    cctx = zstandard.ZstdCompressor(level=19)
    lines = []
    for i, (d, s) in enumerate(zip(docs, sigs)):
        simple = xxhash.xxh64(simplify_text(d["text"]).encode("utf-8")).hexdigest()
        lines.append(f"{i}\t{d['source']}\t{d['id']}\t{simple}\t{digest(s)}\n")
    with open(os.path.join(args.out, "signatures.tsv.zst"), "wb") as f:
        f.write(cctx.compress("".join(lines).encode("utf-8")))
    with open(os.path.join(args.out, "clusters.tsv"), "w") as f:
        f.write("# index\tremoved\tminhash_cluster_size\n")
        for i in sorted(set(sizes) | removed):
            f.write(f"{i}\t{int(i in removed)}\t{sizes.get(i, 1)}\n")

    subset = list(read_jsonl_zst(os.path.join(ROOT, "tests", "golden", "subset-input.jsonl.zst")))
    with tempfile.TemporaryDirectory() as work:
        sub_sigs = read_signatures(run_stages(subset, work, config, with_filter=False), config, len(subset))
    out = []
    for i, (rec, s) in enumerate(zip(subset, sub_sigs)):
        simple = xxhash.xxh64(simplify_text(rec["text"]).encode("utf-8")).hexdigest()
        row = {"id": rec["id"], "simplified": simple, "signature": digest(s)}
        if i < 10:
            row["full_signature"] = s
        out.append(json.dumps(row) + "\n")
    with open(os.path.join(args.out, "subset-signatures.jsonl.zst"), "wb") as f:
        f.write(cctx.compress("".join(out).encode("utf-8")))
    print(f"{len(docs)} documents, {sum(s is not None for s in sigs)} with signatures, "
          f"{len(removed)} removed in {sum(1 for i in sizes if i not in removed)} clusters; "
          f"subset {len(subset)}", file=sys.stderr)


if __name__ == "__main__":
    main()
