#!/usr/bin/env python3
"""datatrove 0.10.1 running FineWeb's recipe (examples/fineweb.py) on one WARC file, one task:
WarcReader -> URLFilter -> Trafilatura(favour_precision=True) -> LanguageFilter ->
GopherRepetitionFilter -> GopherQualityFilter -> C4QualityFilter(filter_no_terminal_punct=False)
-> FineWebQualityFilter -> JsonlWriter, then the four MinHash stages (FineWeb's MinhashConfig)
and PIIFormatter. The reference side of bench/fineweb_warc.py.

usage: datatrove_fineweb_warc.py WARC_DIR WORK_DIR [LID_MODEL]

datatrove's LanguageFilter downloads lid.176.bin; offline, `cached_asset_path_or_download` is
pointed at LID_MODEL (default models/lid.176.ftz, the model tamis bundles), as in
tools/gen_language_golden.py. Everything else is datatrove's code.
"""
import os, sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                        GopherRepetitionFilter, LanguageFilter, URLFilter)
from datatrove.pipeline.formatters import PIIFormatter
from datatrove.pipeline.readers import JsonlReader, WarcReader
from datatrove.pipeline.writers.jsonl import JsonlWriter


def run(pipeline, logs, tasks=1):
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=logs).run()


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    warc_dir, work = sys.argv[1], sys.argv[2]
    model = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "models", "lid.176.ftz")
    import datatrove.utils.lid as dt_lid
    dt_lid.cached_asset_path_or_download = lambda *a, **kw: os.path.abspath(model)
    p = lambda *a: os.path.join(work, *a)
    run([
        WarcReader(warc_dir, glob_pattern="*.warc.gz"),
        URLFilter(),
        Trafilatura(favour_precision=True),
        LanguageFilter(),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(filter_no_terminal_punct=False),
        FineWebQualityFilter(),
        JsonlWriter(p("filtered")),
    ], p("logs", "base"))
    cfg = MinhashConfig(num_buckets=14, hashes_per_bucket=8, n_grams=5)
    run([JsonlReader(p("filtered")), MinhashDedupSignature(output_folder=p("sigs"), config=cfg)],
        p("logs", "mh1"))
    # The bucket stage needs a multiple of num_buckets tasks (one per band, run one at a time).
    run([MinhashDedupBuckets(input_folder=p("sigs"), output_folder=p("buckets"), config=cfg)],
        p("logs", "mh2"), tasks=cfg.num_buckets)
    run([MinhashDedupCluster(input_folder=p("buckets"), output_folder=p("remove"), config=cfg)],
        p("logs", "mh3"))
    run([JsonlReader(p("filtered")), MinhashDedupFilter(input_folder=p("remove")), PIIFormatter(),
         JsonlWriter(p("out"))], p("logs", "mh4"))


if __name__ == "__main__":
    main()
