#!/usr/bin/env python3
"""datatrove 0.10.1's FineWeb text filters as a real datatrove pipeline: JsonlReader ->
Gopher repetition -> Gopher quality -> C4 quality (no terminal-punct rule) -> FineWeb quality ->
JsonlWriter, one task, one worker. Used by bench/fineweb.py as the reference.

usage: datatrove_fineweb.py INPUT_DIR OUTPUT_DIR
"""
import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                        GopherQualityFilter, GopherRepetitionFilter)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

inp, out = sys.argv[1], sys.argv[2]
LocalPipelineExecutor(
    pipeline=[
        JsonlReader(inp, compression="zstd", glob_pattern="*.jsonl.zst"),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(filter_no_terminal_punct=False),
        FineWebQualityFilter(),
        JsonlWriter(f"{out}/kept"),
    ],
    tasks=1,
    workers=1,
    logging_dir=f"{out}/logs",
).run()
