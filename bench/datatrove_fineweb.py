#!/usr/bin/env python3
"""datatrove 0.10.1's FineWeb text filters as a real datatrove pipeline: JsonlReader ->
Gopher repetition -> Gopher quality -> C4 quality (no terminal-punct rule) -> FineWeb quality ->
JsonlWriter, one task, one worker, each filter writing its dropped documents (as `tamis run`
does), so both tools do the same work. Used by bench/fineweb.py as the reference.

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
        GopherRepetitionFilter(exclusion_writer=JsonlWriter(f"{out}/dropped/gopher_repetition")),
        GopherQualityFilter(exclusion_writer=JsonlWriter(f"{out}/dropped/gopher_quality")),
        C4QualityFilter(filter_no_terminal_punct=False,
                        exclusion_writer=JsonlWriter(f"{out}/dropped/c4_quality")),
        FineWebQualityFilter(exclusion_writer=JsonlWriter(f"{out}/dropped/fineweb_quality")),
        JsonlWriter(f"{out}/kept"),
    ],
    tasks=1,
    workers=1,
    logging_dir=f"{out}/logs",
).run()
