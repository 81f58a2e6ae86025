#!/usr/bin/env python3
"""One of datatrove 0.10.1's four MinHash stages, with FineWeb's default MinhashConfig, as a real
datatrove pipeline on one worker. Used by bench/dedup.py, which times each stage separately.

usage: datatrove_minhash.py STAGE INPUT_FILE WORK_DIR      (STAGE: 1 signatures, 2 buckets,
                                                            3 clusters, 4 filter)
Stage 1 reads one JSONL file as one task; stage 2 runs one task per band (14) one after the
other; stage 4 writes kept and removed documents, as `tamis dedup` does.
"""
import os, sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

stage, inp, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cfg = MinhashConfig()
sigs, buckets, clusters = (os.path.join(work, n) for n in ("sigs", "buckets", "clusters"))
reader = lambda: JsonlReader(os.path.dirname(inp), glob_pattern=os.path.basename(inp))  # noqa: E731
steps = {
    1: ([reader(), MinhashDedupSignature(sigs, config=cfg)], 1),
    2: ([MinhashDedupBuckets(sigs, buckets, config=cfg)], cfg.num_buckets),
    3: ([MinhashDedupCluster(buckets, clusters, config=cfg, save_cluster_size=True)], 1),
    4: ([reader(), MinhashDedupFilter(clusters, load_cluster_sizes=True,
                                      exclusion_writer=JsonlWriter(os.path.join(work, "removed"))),
         JsonlWriter(os.path.join(work, "kept"))], 1),
}
pipeline, tasks = steps[stage]
LocalPipelineExecutor(pipeline, tasks=tasks, workers=1, logging_dir=os.path.join(work, f"logs{stage}")).run()
