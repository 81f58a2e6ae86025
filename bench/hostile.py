#!/usr/bin/env python3
"""Hostile inputs against the real `tamis` binary: memory, time and accounting (issue 18).

Run from anywhere (Python 3 standard library; `pyarrow` is optional):

    python3 bench/hostile.py                       # every case, target/release/tamis
    python3 bench/hostile.py --only parquet        # cases whose name contains "parquet"
    python3 bench/hostile.py --tamis /tmp/tamis --trials 10 --keep --work /tmp/hostile

Each case generates its input in the work directory (big inputs are streamed to disk in
chunks, mostly compressed: a 2 GiB WARC body is a 2 MB `.warc.gz`), runs tamis on it under
`/usr/bin/time -f %M` with a 60 s timeout, and checks:

* the exit status is the expected one, and nothing panicked;
* `OUT/stats.json` balances: read = kept + dropped + quarantined;
* every fault is counted: the lines of `OUT/quarantine/*.jsonl.zst` equal `quarantined`;
* the case's own outcome (the fault's reason, the document that must or must not appear,
  `tamis verify OUT` where the run writes a manifest);
* peak RSS <= 512 MiB and no run over 60 s (a run killed at 60 s is a "hang").

The cases are those of issue 18, numbered as there: concurrent runs on one output directory
(01, `--trials` pairs started at a seeded random delay), WARC and HTTP header bombs (02),
Parquet page bombs (03, needs pyarrow), memory that follows metadata (04), Snappy Parquet
(05) and a binary `text` column (06), a non-UTF-8 file name (07) and a FIFO (08) in an input
directory, a killed `tamis dedup` (09), a long `--output-template` value (10), `--max-errors`
in a phased run (11), a WARC record over `--max-record-bytes` with a record hidden in 2 GiB of
zeros (12), kills during checkpoint writes (13), `tamis verify` on tampered outputs (14), and
200 MiB WARC bodies, UTF-8 or not (15). Parquet cases are skipped, with a note, when pyarrow
is not installed.

Output (stdout) is Markdown for bench/RESULTS.md: the machine and date, one table row per
case (peak RSS and seconds are the largest over the case's measured tamis runs; read, kept,
dropped and quarantined are from the case's main run), then notes per case. Progress goes
to stderr. The exit status is 1 if any case failed. The work directory is a fresh temporary
directory under /tmp unless --work is given, and each case's files are deleted when it ends
unless --keep; at most a few GB are on disk at once. The full run takes about 10-15 minutes
on 2 cores, most of it the concurrency trials.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # the Parquet cases are skipped
    pa = pq = None

try:
    import zstandard
except ImportError:  # the zstd CLI is used instead
    zstandard = None

REPO = Path(__file__).resolve().parent.parent
GNU_TIME = Path("/usr/bin/time")
RSS_LIMIT_MIB = 512
TIME_LIMIT_S = 60
MIB = 1 << 20
ZSTD_CLI = shutil.which("zstd")


# ---------------------------------------------------------------------------------------------
# Input generation
# ---------------------------------------------------------------------------------------------

WORDS = (
    "the river runs past the old mill where children played and sang every summer evening "
    "under tall trees a town council voted on monday to repair the bridge after heavy rain "
    "damaged its stone arches local residents said they were relieved that work would begin "
    "soon engineers expect the project to take three months and cost about two million "
    "visitors walked along market street looking at bread cheese and flowers while a band "
    "played near the fountain in the square"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def prose(rng: random.Random, size: int) -> str:
    """English-like paragraphs of about `size` characters, three sentences a line."""
    sentences, length = [], 0
    while length < size:
        s = sentence(rng)
        sentences.append(s)
        length += len(s) + 1
    return "\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))


def pump(f, pattern: bytes, total: int) -> int:
    """Writes `pattern` repeated `total // len(pattern)` times in ~1 MiB blocks; bytes written."""
    per_block = max(1, MIB // len(pattern))
    block = pattern * per_block
    count = total // len(pattern)
    for _ in range(count // per_block):
        f.write(block)
    f.write(pattern * (count % per_block))
    return count * len(pattern)


class ZstdWriter:
    """A file object compressing to `path` through the zstd CLI (or python zstandard)."""

    def __init__(self, path: Path, level: int = 3):
        self._path = path
        if ZSTD_CLI:
            self._proc = subprocess.Popen(
                [ZSTD_CLI, "-q", "-f", f"-{level}", "-o", str(path)], stdin=subprocess.PIPE
            )
            self._raw = None
            self._w = self._proc.stdin
        else:
            self._proc = None
            self._raw = open(path, "wb")
            self._w = zstandard.ZstdCompressor(level=level).stream_writer(self._raw)

    def write(self, data: bytes) -> None:
        self._w.write(data)

    def __enter__(self) -> "ZstdWriter":
        return self

    def __exit__(self, *exc) -> None:
        self._w.close()
        if self._proc is not None:
            if self._proc.wait() != 0:
                raise RuntimeError(f"zstd failed writing {self._path}")
        else:
            self._raw.close()


def doc_line(**fields) -> bytes:
    return (json.dumps(fields) + "\n").encode()


def write_docs(path: Path, n: int, seed: int, size: int = 1000, near_dups: int = 0) -> None:
    """`n` JSONL documents (.jsonl.zst) of about `size` characters of prose; with `near_dups`
    N, every N-th document is an earlier one with a sentence added (work for MinHash)."""
    rng = random.Random(seed)
    texts: list[str] = []
    with ZstdWriter(path) as f:
        for i in range(n):
            if near_dups and i % near_dups == near_dups - 1 and texts:
                text = rng.choice(texts) + " " + sentence(rng)
            else:
                text = prose(rng, size)
                if near_dups and len(texts) < 2000:
                    texts.append(text)
            f.write(doc_line(id=f"d{i}", text=text, url=f"https://example.com/{i}"))


def warc_head(rec_id: str, length: int, warc_type: str = "response") -> bytes:
    """The header block of a WARC record whose block is `length` bytes."""
    content_type = {
        "response": "application/http; msgtype=response",
        "conversion": "text/plain",
    }.get(warc_type, "application/octet-stream")
    return (
        f"WARC/1.0\r\nWARC-Type: {warc_type}\r\nWARC-Record-ID: <urn:uuid:{rec_id}>\r\n"
        f"WARC-Target-URI: http://example.com/{rec_id}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def warc_record(rec_id: str, block: bytes, warc_type: str = "response") -> bytes:
    return warc_head(rec_id, len(block), warc_type) + block + b"\r\n\r\n"


def http_page(text: str) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"<html><head><title>t</title></head><body><article><p>{text}</p></article>"
        "</body></html>"
    ).encode()


# ---------------------------------------------------------------------------------------------
# Reading outputs
# ---------------------------------------------------------------------------------------------


def read_chunks(path: Path) -> Iterator[bytes]:
    """The decompressed bytes of an output file, in chunks."""
    if path.name.endswith(".zst"):
        if ZSTD_CLI:
            with subprocess.Popen([ZSTD_CLI, "-dcq", str(path)], stdout=subprocess.PIPE) as p:
                yield from iter(lambda: p.stdout.read(MIB), b"")
            return
        with open(path, "rb") as raw:
            r = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            yield from iter(lambda: r.read(MIB), b"")
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        yield from iter(lambda: f.read(MIB), b"")


def records(path: Path) -> list[dict]:
    """Every JSON record of a (small) JSONL output file."""
    data = b"".join(read_chunks(path))
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def output_files(out: Path, sub: str) -> list[Path]:
    d = out / sub
    if not d.is_dir():
        return []
    return sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))


def decompressed_outputs(out: Path, sub: str) -> dict[str, bytes]:
    """Each output file under `sub`, by relative path, decompressed (small outputs only)."""
    return {
        str(p.relative_to(out)): b"".join(read_chunks(p)) for p in output_files(out, sub)
    }


def manifest_outputs(out: Path) -> list[tuple]:
    """(path, records, sha256) of each output the manifest lists: equal for equal outputs."""
    m = json.loads((out / "manifest.json").read_text())
    return sorted((o["path"], o["records"], o["sha256"]) for o in m["outputs"])


# ---------------------------------------------------------------------------------------------
# Running tamis and checking a run
# ---------------------------------------------------------------------------------------------


class Fail(Exception):
    """Ends a case as FAIL with this reason."""


class Skip(Exception):
    """Ends a case as SKIP with this reason."""


@dataclass
class Run:
    label: str
    rc: int | None
    stderr: str
    seconds: float
    rss_kib: int | None
    timed_out: bool

    def tail(self, n: int = 160) -> str:
        text = " ".join(self.stderr.split())
        return text[-n:]


@dataclass
class Output:
    """What a finished run left in its output directory."""

    out: Path
    stats: dict
    quarantine: list[dict]

    @property
    def docs(self) -> int:
        return self.stats["kept"] + self.stats["dropped"]

    def reasons(self) -> dict[str, int]:
        return dict(Counter(q.get("reason", "?") for q in self.quarantine))

    def documents(self, sub: str = "kept") -> list[dict]:
        return [r for p in output_files(self.out, sub) for r in records(p)]


@dataclass
class Case:
    """One case's working state: its directory, its runs, what failed, what to report."""

    name: str
    tamis: Path
    dir: Path
    trials: int
    runs: list[Run] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: dict | None = None

    def path(self, name: str) -> Path:
        return self.dir / name

    def expect(self, ok: bool, reason: str) -> bool:
        if not ok:
            self.failures.append(reason)
        return ok

    def require(self, ok: bool, reason: str) -> None:
        if not ok:
            raise Fail(reason)

    def run(self, args: list, label: str = "") -> Run:
        """Runs tamis with `args` under /usr/bin/time, killed (a hang) after TIME_LIMIT_S."""
        n = len(self.runs)
        rss_file, err_file = self.path(f".rss-{n}"), self.path(f".stderr-{n}")
        cmd = [str(self.tamis), *map(str, args)]
        if GNU_TIME.exists():
            cmd = [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *cmd]
        started = time.monotonic()
        with open(err_file, "wb") as err:
            p = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
            )
            timed_out = False
            try:
                rc = p.wait(TIME_LIMIT_S)
            except subprocess.TimeoutExpired:
                kill(p)
                rc, timed_out = None, True
        seconds = time.monotonic() - started
        rss = None
        if rss_file.exists():
            # GNU time writes "Command exited with non-zero status N" before the figure.
            last = (rss_file.read_text().strip().splitlines() or [""])[-1]
            rss = int(last) if last.isdigit() else None
        run = Run(
            label or str(args[0]),
            rc,
            err_file.read_text(errors="replace"),
            seconds,
            rss,
            timed_out,
        )
        self.runs.append(run)
        return run

    def start(self, args: list, stderr=subprocess.DEVNULL) -> subprocess.Popen:
        """Starts tamis in the background (not measured), in its own process group."""
        return subprocess.Popen(
            [str(self.tamis), *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )

    def check(self, run: Run, out: Path, rc: int = 0, verify: bool = False) -> Output:
        """Checks a finished run: its exit status, balanced stats, every fault in quarantine,
        and `tamis verify OUT` when asked. The case's reported stats become this run's."""
        self.require(not run.timed_out, f"hang: {run.label} killed after {TIME_LIMIT_S} s")
        self.require(run.rc == rc, f"{run.label}: exit {run.rc}, expected {rc}: {run.tail()}")
        stats_file = out / "stats.json"
        self.require(stats_file.exists(), f"{run.label}: no stats.json")
        stats = json.loads(stats_file.read_text())
        self.stats = stats
        r, k, d, q = (stats[key] for key in ("read", "kept", "dropped", "quarantined"))
        self.expect(r == k + d + q, f"{run.label}: unbalanced, read {r} != {k}+{d}+{q}")
        quarantine = [rec for p in output_files(out, "quarantine") for rec in records(p)]
        self.expect(
            len(quarantine) == q,
            f"{run.label}: {len(quarantine)} quarantine records, stats say {q}",
        )
        if verify:
            self.verify(out)
        return Output(out, stats, quarantine)

    def verify(self, out: Path, expect_ok: bool = True) -> tuple[bool, str]:
        """Runs `tamis verify OUT` and records a failure unless it passes (or, with
        `expect_ok` false, fails). Returns whether it passed, and its message."""
        p = subprocess.run(
            [str(self.tamis), "verify", str(out)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIME_LIMIT_S,
        )
        passed, message = p.returncode == 0, " ".join((p.stdout + p.stderr).split())
        if expect_ok:
            self.expect(passed, f"verify {out.name} failed: {message[:200]}")
        else:
            self.expect(not passed, f"verify {out.name} passed: {message[:200]}")
        return passed, message


def kill(p: subprocess.Popen) -> None:
    """SIGKILLs a process started in its own session, and its children, and reaps it."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def wait(p: subprocess.Popen) -> int | None:
    """The exit status of a background run, or None (killed) if it took over TIME_LIMIT_S."""
    try:
        return p.wait(TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        kill(p)
        return None


def run_cmd(*args) -> list:
    return ["run", *args]


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------


def case_concurrent_runs(c: Case) -> None:
    """01: two identical `tamis run`s on one output directory, the second started after a
    random delay: one is refused (or finds the first's finished output), and the output
    verifies and equals an uninterrupted run's every time."""
    n_docs, inp, ref_out = 5_000, c.path("docs.jsonl.zst"), c.path("reference")

    def args(out: Path) -> list:
        return run_cmd("--preset", "fineweb-text", inp, "-o", out, "--checkpoint-every", "97")

    while True:
        write_docs(inp, n_docs, seed=1)
        shutil.rmtree(ref_out, ignore_errors=True)
        ref = c.run(args(ref_out), "reference run")
        c.check(ref, ref_out, verify=True)
        if ref.seconds >= 7 or n_docs >= 640_000:
            break
        n_docs *= 2  # every pair must overlap: a run longer than the longest delay (5 s)
    reference = manifest_outputs(ref_out)
    c.notes.append(f"input: {n_docs:,} documents; an uninterrupted run takes {ref.seconds:.1f} s")

    refused = sequential = verify_failures = mismatches = 0
    out = c.path("out")
    for trial in range(c.trials):
        shutil.rmtree(out, ignore_errors=True)
        delay = random.Random(trial).uniform(0.5, 5.0)
        with open(c.path(".a"), "wb") as ea, open(c.path(".b"), "wb") as eb:
            first = c.start(args(out), stderr=ea)
            time.sleep(delay)
            first_done = first.poll() is not None
            second = c.start(args(out), stderr=eb)
            rc_b, rc_a = wait(second), wait(first)
        err_a = c.path(".a").read_text(errors="replace")
        err_b = c.path(".b").read_text(errors="replace")
        what = f"trial {trial} (delay {delay:.2f} s)"
        busy = "another tamis process" in err_b or "lock" in err_b.lower()
        if rc_a is None or rc_b is None:
            c.failures.append(f"{what}: hang (exit {rc_a}, {rc_b})")
            continue
        if rc_a == 0 and rc_b != 0 and busy:
            refused += 1
            c.expect(
                f"pid {first.pid}" in err_b,
                f"{what}: refusal does not name pid {first.pid}: {err_b.strip()[:120]}",
            )
        elif rc_a == 0 and (
            (rc_b == 2 and "already holds" in err_b) or (first_done and rc_b == 0)
        ):
            sequential += 1
        else:
            c.failures.append(
                f"{what}: exit {rc_a} and {rc_b}: {' '.join((err_a + err_b).split())[:160]}"
            )
        if not c.verify(out)[0]:
            verify_failures += 1
        elif manifest_outputs(out) != reference:
            mismatches += 1
            c.failures.append(f"{what}: outputs differ from the uninterrupted run's")
    c.notes.append(
        f"{c.trials} trials: {refused} refused, {sequential} sequential, "
        f"{c.trials - refused - sequential} other, {verify_failures} verify failures, "
        f"{mismatches} output mismatches"
    )
    c.stats = json.loads((ref_out / "stats.json").read_text())


def header_bomb_warc(path: Path) -> None:
    """A WARC record of ~200 MB of header lines, then an ordinary record."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"WARC/1.0\r\n")
        pump(f, b"X:y\r\n", 200_000_000)
        f.write(b"\r\n")
        f.write(warc_record("after", http_page("The record after the header bomb.")))


def case_warc_header_bomb_limits(c: Case) -> None:
    """02a: a 200 MB WARC header block with --max-record-bytes 1M --max-decompressed-bytes 1M:
    faults only, the file stopped near 1 MiB, so the record after the bomb is not read."""
    inp, out = c.path("bomb.warc.gz"), c.path("out")
    header_bomb_warc(inp)
    r = c.run(
        run_cmd("--steps", "token_count", inp, "-o", out,
                "--max-record-bytes", "1M", "--max-decompressed-bytes", "1M")
    )
    o = c.check(r, out, verify=True)
    reasons = o.reasons()
    c.notes.append(f"quarantine: {reasons}")
    c.expect(o.stats["quarantined"] >= 1, "the header bomb is not quarantined")
    c.expect(
        set(reasons) <= {"invalid_record", "decompressed_too_large"},
        f"unexpected reasons {reasons}",
    )
    # The file must stop at the limit (plus at most one record's worth): nothing after the
    # bomb, 200 MB in, is read.
    for q in o.quarantine:
        if q["reason"] == "decompressed_too_large":
            c.notes.append(f"decompressed_too_large: {q['message']}")
            c.expect(
                q["byte_offset"] <= 2 * MIB,
                f"--max-decompressed-bytes 1M stopped the file at byte {q['byte_offset']:,}",
            )
    c.expect(o.docs == 0, f"{o.docs} document(s) read past the 1 MiB limit")


def case_warc_header_bomb_defaults(c: Case) -> None:
    """02b: the same WARC header bomb with default limits: one invalid_record, and the record
    after it is read."""
    inp, out = c.path("bomb.warc.gz"), c.path("out")
    header_bomb_warc(inp)
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.notes.append(f"quarantine: {o.reasons()}")
    c.expect(o.reasons() == {"invalid_record": 1}, f"expected one invalid_record: {o.reasons()}")
    texts = [d["text"] for d in o.documents("kept") + o.documents("dropped")]
    c.expect(
        len(texts) == 1 and "after the header bomb" in texts[0],
        f"the record after the bomb is not the one document ({len(texts)} documents)",
    )


def case_http_header_bomb(c: Case) -> None:
    """02c: a response record whose HTTP head is 40 MB of header lines, then its page: the
    page is read."""
    inp, out = c.path("http-bomb.warc.gz"), c.path("out")
    start = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    line = b"X: y\r\n"
    head = (40 * MIB) // len(line) * len(line)
    page = b"\r\n<html><body><p>The page after the HTTP header bomb.</p></body></html>"
    with gzip.open(inp, "wb", compresslevel=9) as f:
        f.write(warc_head("http-bomb", len(start) + head + len(page)))
        f.write(start)
        pump(f, line, head)
        f.write(page + b"\r\n\r\n")
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["quarantined"] == 0, f"quarantined: {o.reasons()}")
    texts = [d["text"] for d in o.documents("kept")]
    c.expect(
        len(texts) == 1 and "after the HTTP header bomb" in texts[0],
        f"the page after the HTTP head is not read ({len(texts)} kept)",
    )


def need_pyarrow() -> None:
    if pa is None:
        raise Skip("pyarrow is not installed")


def case_parquet_dictionary_bomb(c: Case) -> None:
    """03a: one 2 MiB dictionary value repeated 1,024 times (zstd): 2 GiB decoded from a file
    of a few hundred bytes."""
    need_pyarrow()
    inp, out = c.path("dict-bomb.parquet"), c.path("out")
    value = pa.array(["x" * (2 * MIB)])
    text = pa.DictionaryArray.from_arrays(pa.array([0] * 1024, pa.int32()), value)
    pq.write_table(
        pa.table({"text": text}), inp, compression="zstd", dictionary_pagesize_limit=64 * MIB
    )
    c.notes.append(f"file: {inp.stat().st_size:,} bytes")
    r = c.run(run_cmd("--steps", "url_filter", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["read"] == 1024, f"read {o.stats['read']} of 1024 rows")


def case_parquet_big_rows(c: Case) -> None:
    """03b: 2,048 distinct 1 MiB texts in one row group (zstd): 2 GiB of distinct text."""
    need_pyarrow()
    n, size = 2048, MIB
    inp, out, raw = c.path("rows.parquet"), c.path("out"), c.path("texts.bin")
    # The texts are written to disk and mapped, so the writer never holds them as objects.
    filler = (b"lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
    with open(raw, "wb") as f:
        for i in range(n):
            head = b"row %d " % i
            f.write(head + filler[len(head) :])
    data = pa.memory_map(str(raw)).read_buffer()
    per_chunk = 256  # 256 MiB per chunk: 32-bit offsets
    offsets = pa.array([i * size for i in range(per_chunk + 1)], pa.int32()).buffers()[1]
    chunks = [
        pa.StringArray.from_buffers(
            per_chunk, offsets, data.slice(k * per_chunk * size, per_chunk * size)
        )
        for k in range(n // per_chunk)
    ]
    pq.write_table(
        pa.table({"text": pa.chunked_array(chunks)}),
        inp,
        compression="zstd",
        row_group_size=n,
    )
    del chunks, data
    raw.unlink()
    meta = pq.ParquetFile(inp).metadata
    c.notes.append(
        f"file: {inp.stat().st_size:,} bytes, {meta.num_row_groups} row group of "
        f"{meta.row_group(0).num_rows} rows"
    )
    r = c.run(run_cmd("--steps", "url_filter", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["read"] == n, f"read {o.stats['read']} of {n} rows")
    # Every row is counted: read normally, or quarantined with its refused row group.
    reasons = o.stats.get("quarantine_reasons", {})
    c.expect(
        o.stats["kept"] + o.stats["dropped"] + reasons.get("invalid_parquet", 0) == n,
        f"rows neither read nor quarantined as invalid_parquet: {o.stats}",
    )
    if reasons:
        c.notes.append(f"quarantine: {reasons}")


def case_metadata_heavy_docs(c: Case) -> None:
    """04a: 4,000 documents of short text with 1 MiB of metadata each (4 GB decompressed)."""
    inp, out = c.path("meta.jsonl.zst"), c.path("out")
    meta = b"a" * MIB
    with ZstdWriter(inp) as f:
        for i in range(4000):
            f.write(b'{"id":"m%d","text":"A short text.","m":"' % i + meta + b'"}\n')
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["read"] == 4000, f"read {o.stats['read']} of 4000")


def case_metadata_number_line(c: Case) -> None:
    """04b: one 150 MB line `{"text": "x", "m": [0,0,...]}` (under the 256M line limit)."""
    inp, out = c.path("numbers.jsonl.zst"), c.path("out")
    with ZstdWriter(inp) as f:
        f.write(b'{"id":"numbers","text":"x","m":[')
        pump(f, b"0,", 150_000_000)
        f.write(b"0]}\n")
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["read"] == 1, f"read {o.stats['read']} of 1")
    if o.quarantine:
        c.notes.append(f"quarantine: {o.reasons()}")


def case_parquet_snappy(c: Case) -> None:
    """05: Parquet written by pyarrow's defaults (Snappy) is read: every row kept."""
    need_pyarrow()
    inp, out = c.path("snappy.parquet"), c.path("out")
    rng = random.Random(5)
    n = 500
    table = pa.table(
        {
            "text": [prose(rng, 800) for _ in range(n)],
            "id": [f"s{i}" for i in range(n)],
        }
    )
    pq.write_table(table, inp)
    codec = pq.ParquetFile(inp).metadata.row_group(0).column(0).compression
    c.notes.append(f"codec: {codec}")
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(
        (o.stats["kept"], o.stats["quarantined"]) == (n, 0),
        f"kept {o.stats['kept']} of {n}, quarantined {o.reasons()}",
    )


def case_parquet_binary_text(c: Case) -> None:
    """06: a binary `text` column: the non-UTF-8 value is quarantined as invalid_utf8, the
    valid one is a document with its text (not hex)."""
    need_pyarrow()
    inp, out = c.path("binary.parquet"), c.path("out")
    good = "A valid document in a binary column."
    table = pa.table({"text": pa.array([b"\xff\xfe bad", good.encode()], pa.binary())})
    pq.write_table(table, inp)
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.reasons() == {"invalid_utf8": 1}, f"quarantine: {o.reasons()}")
    texts = [d["text"] for d in o.documents("kept")]
    c.expect(texts == [good], f"kept texts: {[t[:40] for t in texts]}")


def input_dir_with(c: Case) -> Path:
    """An input directory holding one good document."""
    d = c.path("in")
    d.mkdir()
    (d / "good.jsonl").write_bytes(doc_line(id="g", text="A good document, read as usual."))
    return d


def case_non_utf8_name(c: Case) -> None:
    """07: a file whose name is not UTF-8, inside an input directory: unreadable_path."""
    d, out = input_dir_with(c), c.path("out")
    bad = os.path.join(os.fsencode(d), b"bad\xffname.jsonl")
    with open(bad, "wb") as f:
        f.write(doc_line(id="b", text="Behind a name that is not UTF-8."))
    r = c.run(run_cmd("--steps", "token_count", d, "-o", out))
    o = c.check(r, out, verify=True)
    faults = [q for q in o.quarantine if "bad" in q.get("file", "")]
    c.expect(
        len(faults) == 1 and faults[0]["reason"] == "unreadable_path",
        f"non-UTF-8 name not reported: {o.quarantine}",
    )
    c.expect(o.docs == 1, f"{o.docs} documents, expected the good one")


def case_fifo_in_input_dir(c: Case) -> None:
    """08: a FIFO named like an input, inside an input directory: unreadable_path, no hang."""
    d, out = input_dir_with(c), c.path("out")
    os.mkfifo(d / "pipe.jsonl")
    r = c.run(run_cmd("--steps", "token_count", d, "-o", out))
    o = c.check(r, out, verify=True)
    faults = [q for q in o.quarantine if q.get("file", "").endswith("pipe.jsonl")]
    c.expect(
        len(faults) == 1 and faults[0]["reason"] == "unreadable_path",
        f"FIFO not reported as unreadable_path: {o.quarantine}",
    )


# What a finished `tamis dedup` leaves in its output directory.
FINISHED_DEDUP = {"kept", "dropped", "quarantine", "stats.json"}


def case_killed_dedup(c: Case) -> None:
    """09: `tamis dedup --minhash` killed (SIGKILL) at 10-90% of its run, then rerun: exit 0
    and the kept output of an uninterrupted run. A run killed after writing stats.json has
    finished: its rerun must be refused as such (exit 2), its kept output the same."""
    inp = c.path("docs.jsonl.zst")
    write_docs(inp, 20_000, seed=9, near_dups=10)

    def args(out: Path) -> list:
        return ["dedup", "--minhash", inp, "-o", out]

    ref_out = c.path("reference")
    ref = c.run(args(ref_out), "reference dedup")
    c.check(ref, ref_out)
    reference = decompressed_outputs(ref_out, "kept")
    killed = 0
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9):
        out = c.path(f"out-{fraction}")
        p = c.start(args(out))
        time.sleep(ref.seconds * fraction)
        if p.poll() is not None:
            c.notes.append(f"finished before the kill at {fraction:.0%}")
            continue
        kill(p)
        killed += 1
        label = f"rerun after a kill at {fraction:.0%}"
        if (out / "stats.json").exists():
            # Killed after its last output: a finished run, which a rerun must not replace.
            leftovers = sorted(e.name for e in out.iterdir() if e.name not in FINISHED_DEDUP)
            c.notes.append(
                f"killed at {fraction:.0%} after writing stats.json; left: {leftovers or 'nothing'}"
            )
            rerun = c.run(args(out), label)
            c.expect(
                rerun.rc == 2 and "already holds" in rerun.stderr,
                f"{label}, after stats.json: exit {rerun.rc}: {rerun.tail()}",
            )
        else:
            c.check(c.run(args(out), label), out)
        c.expect(
            decompressed_outputs(out, "kept") == reference,
            f"kept output after a kill at {fraction:.0%} differs from an uninterrupted run's",
        )
        shutil.rmtree(out)
    c.notes.append(f"killed {killed} times at 10-90% of a {ref.seconds:.1f} s run")
    c.expect(killed >= 3, f"only {killed} kills landed mid-run")
    c.stats = json.loads((ref_out / "stats.json").read_text())


def case_long_template_value(c: Case) -> None:
    """10: `--output-template '${url}/'` with a 300-character URL: the run and a rerun
    (--overwrite) succeed, directory names are bounded, verify passes."""
    inp, out = c.path("urls.jsonl"), c.path("out")
    base = "https://example.com/" + "segment-" * 40
    base = base[:297]
    with open(inp, "wb") as f:
        for i in range(3):
            f.write(doc_line(id=str(i), text="A document.", url=f"{base}{i:03d}"))
    args = run_cmd("--steps", "token_count", inp, "-o", out, "--output-template", "${url}/")
    for label, extra in (("run", []), ("rerun --overwrite", ["--overwrite"])):
        o = c.check(c.run(args + extra, label), out, verify=True)
        c.expect(o.stats["kept"] == 3, f"{label}: kept {o.stats['kept']} of 3")
        names = [p.name for p in (out / "kept").rglob("*")]
        longest = max((len(os.fsencode(n)) for n in names), default=0)
        c.expect(longest <= 255, f"{label}: a name of {longest} bytes under kept/")
    c.notes.append(f"longest name under kept/: {longest} bytes")
    again = c.run(args, "plain rerun")
    c.expect(
        again.rc == 2 and "already holds" in again.stderr,
        f"a rerun without --overwrite: exit {again.rc}: {again.tail()}",
    )


def case_max_errors_phased(c: Case) -> None:
    """11: `--preset fineweb` (a phased run: minhash_dedup) on a WARC with many bad records,
    `--max-errors 10`: exit 3, stats.json and manifest.json written, balanced, verify passes."""
    inp, out = c.path("garbage.warc.zst"), c.path("out")
    rng = random.Random(11)
    with ZstdWriter(inp) as f:
        for i in range(200):
            f.write(warc_record(f"page-{i}", http_page(prose(rng, 600).replace("\n", "</p><p>"))))
            f.write(b"garbage %d that is not a WARC record\r\n" % i)
    r = c.run(run_cmd("--preset", "fineweb", inp, "-o", out, "--max-errors", "10"))
    o = c.check(r, out, rc=3, verify=True)
    c.expect((out / "manifest.json").exists(), "no manifest.json")
    c.notes.append(f"quarantine: {o.reasons()}")


def case_warc_record_over_limit(c: Case) -> None:
    """12: a WARC record whose block is a whole record followed by 2 GiB of zeros, over
    --max-record-bytes 1M: one quarantine record, the hidden record is never a document,
    the record after it is read."""
    inp, out = c.path("big.warc.gz"), c.path("out")
    hidden = warc_record("smuggled", http_page("A record hidden in another one's body."))
    zeros = 2 << 30
    with gzip.open(inp, "wb", compresslevel=6) as f:
        f.write(warc_head("big", len(hidden) + zeros, warc_type="resource"))
        f.write(hidden)
        pump(f, b"\0" * 4096, zeros)
        f.write(b"\r\n\r\n")
        f.write(warc_record("after", http_page("The record after the big one.")))
    c.notes.append(f"file: {inp.stat().st_size:,} bytes")
    r = c.run(run_cmd("--steps", "token_count", inp, "-o", out, "--max-record-bytes", "1M"))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["quarantined"] == 1, f"quarantine: {o.reasons()}")
    ids = [d.get("id") for d in o.documents("kept") + o.documents("dropped")]
    c.expect(ids == ["<urn:uuid:after>"], f"documents: {ids}")


def temp_files(out: Path) -> list[str]:
    """Temporary files of atomic writes (`.NAME.tmp-PID`) under `out`."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".tmp-" in p.name)


def case_kill_during_checkpoints(c: Case) -> None:
    """13: runs with --checkpoint-every 97 (a checkpoint every few ms) killed at a random
    time, then rerun: no `.*.tmp-*` file is left, verify passes, and the outputs equal an
    uninterrupted run's. Each killed run also gets a planted `..checkpoint.json.tmp-999999`,
    what a kill between a temp file's write and its rename leaves."""
    inp = c.path("docs.jsonl.zst")
    write_docs(inp, 20_000, seed=13)

    def args(out: Path) -> list:
        return run_cmd("--preset", "fineweb-text", inp, "-o", out, "--checkpoint-every", "97")

    ref_out, out = c.path("reference"), c.path("out")
    ref = c.run(args(ref_out), "reference run")
    c.check(ref, ref_out, verify=True)
    reference = manifest_outputs(ref_out)
    rng = random.Random(13)
    killed = left_by_kill = 0
    for episode in range(8):
        shutil.rmtree(out, ignore_errors=True)
        p = c.start(args(out))
        at = rng.uniform(0.05, 0.95 * ref.seconds)
        time.sleep(at)
        if p.poll() is not None:
            c.notes.append(f"episode {episode}: finished before the kill at {at:.2f} s")
            continue
        kill(p)
        killed += 1
        if out.exists():
            left_by_kill += bool(temp_files(out))
            (out / "..checkpoint.json.tmp-999999").write_text("{")
        o = c.check(c.run(args(out), f"rerun after a kill at {at:.2f} s"), out)
        left = temp_files(out)
        c.expect(not left, f"kill at {at:.2f} s: temporary files left: {left}")
        c.verify(out)
        c.expect(
            manifest_outputs(out) == reference,
            f"kill at {at:.2f} s: outputs differ from the uninterrupted run's",
        )
    c.notes.append(
        f"{killed} kills at random times in a {ref.seconds:.1f} s run; "
        f"{left_by_kill} left a temporary file of their own"
    )
    c.expect(killed >= 5, f"only {killed} kills landed mid-run")


def case_verify_refuses(c: Case) -> None:
    """14: `tamis verify` refuses a manifest path leaving the output directory, a missing
    stats.json, and a leftover .checkpoint.json."""
    inp, base = c.path("docs.jsonl.zst"), c.path("base")
    write_docs(inp, 2000, seed=14)
    c.check(c.run(run_cmd("--preset", "fineweb-text", inp, "-o", base)), base, verify=True)

    def tampered(name: str) -> Path:
        out = c.path(name) / "out"
        shutil.copytree(base, out)
        return out

    # A manifest path out of the directory, to a file with the listed size and checksum.
    escape = tampered("escape")
    manifest = json.loads((escape / "manifest.json").read_text())
    entry = next(o for o in manifest["outputs"] if o["path"].startswith("kept/"))
    elsewhere = Path(os.path.normpath(escape / "kept/../../elsewhere/file"))
    elsewhere.parent.mkdir(parents=True)
    shutil.move(escape / entry["path"], elsewhere)
    entry["path"] = "kept/../../elsewhere/file"
    (escape / "manifest.json").write_text(json.dumps(manifest, indent=2))
    no_stats = tampered("no-stats")
    (no_stats / "stats.json").unlink()
    checkpoint = tampered("checkpoint")
    (checkpoint / ".checkpoint.json").write_text("{}")
    for out, what in (
        (escape, "manifest path kept/../../elsewhere/file"),
        (no_stats, "no stats.json"),
        (checkpoint, "a .checkpoint.json"),
    ):
        message = c.verify(out, expect_ok=False)[1].replace(f"{c.dir}/", "")
        c.notes.append(f"{what}: {message[:140]}")


def warc_body_case(c: Case, warc_type: str, pattern: bytes) -> None:
    """A WARC record whose body is 200 MiB of `pattern`, through `--steps url_filter`."""
    inp, out = c.path("body.warc"), c.path("out")
    size = 200 * MIB // len(pattern) * len(pattern)  # whole patterns: the declared length
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" if warc_type == "response" else b""
    with open(inp, "wb") as f:
        f.write(warc_head("body", len(http) + size, warc_type))
        f.write(http)
        pump(f, pattern, size)
        f.write(b"\r\n\r\n")
    r = c.run(run_cmd("--steps", "url_filter", inp, "-o", out))
    o = c.check(r, out, verify=True)
    c.expect(o.stats["read"] == 1, f"read {o.stats['read']} records, expected 1")
    if o.quarantine:
        c.notes.append(f"quarantine: {o.reasons()}")
    for sub in ("kept", "dropped"):
        for path in output_files(out, sub):
            size, head = 0, b""
            for chunk in read_chunks(path):
                head = head or chunk[:60]
                size += len(chunk)
            c.notes.append(
                f"{sub}: a JSON line of {size / MIB:.0f} MiB: {head.decode(errors='replace')}..."
            )


NON_UTF8 = bytes(range(0x80, 0x100))
ASCII = b"plain ascii text, " * 8


def case_wet_non_utf8(c: Case) -> None:
    """15a: a WET `conversion` record of 200 MiB of bytes 0x80-0xFF."""
    warc_body_case(c, "conversion", NON_UTF8)


def case_wet_ascii(c: Case) -> None:
    """15b: a WET `conversion` record of 200 MiB of ASCII."""
    warc_body_case(c, "conversion", ASCII)


def case_html_non_utf8(c: Case) -> None:
    """15c: a `response` record, text/html, body of 200 MiB of bytes 0x80-0xFF."""
    warc_body_case(c, "response", NON_UTF8)


def case_html_ascii(c: Case) -> None:
    """15d: a `response` record, text/html, body of 200 MiB of ASCII."""
    warc_body_case(c, "response", ASCII)


CASES: list[tuple[str, Callable[[Case], None]]] = [
    ("01-concurrent-runs", case_concurrent_runs),
    ("02a-warc-header-bomb-1M-limits", case_warc_header_bomb_limits),
    ("02b-warc-header-bomb-defaults", case_warc_header_bomb_defaults),
    ("02c-http-header-bomb-40MB", case_http_header_bomb),
    ("03a-parquet-dictionary-bomb", case_parquet_dictionary_bomb),
    ("03b-parquet-2048-rows-of-1MiB", case_parquet_big_rows),
    ("04a-metadata-1MiB-x-4000", case_metadata_heavy_docs),
    ("04b-metadata-line-of-numbers", case_metadata_number_line),
    ("05-parquet-snappy", case_parquet_snappy),
    ("06-parquet-binary-text", case_parquet_binary_text),
    ("07-non-utf8-file-name", case_non_utf8_name),
    ("08-fifo-in-input-dir", case_fifo_in_input_dir),
    ("09-killed-dedup-minhash", case_killed_dedup),
    ("10-long-template-value", case_long_template_value),
    ("11-max-errors-phased", case_max_errors_phased),
    ("12-warc-record-over-limit-2GiB", case_warc_record_over_limit),
    ("13-kill-during-checkpoints", case_kill_during_checkpoints),
    ("14-verify-refuses", case_verify_refuses),
    ("15a-wet-200MiB-non-utf8", case_wet_non_utf8),
    ("15b-wet-200MiB-ascii", case_wet_ascii),
    ("15c-html-200MiB-non-utf8", case_html_non_utf8),
    ("15d-html-200MiB-ascii", case_html_ascii),
]


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    rss_mib: float | None
    seconds: float | None
    stats: dict | None
    result: str
    notes: list[str]


def run_case(name: str, fn: Callable[[Case], None], args, work: Path) -> Row:
    case = Case(name, args.tamis, work / name, args.trials)
    shutil.rmtree(case.dir, ignore_errors=True)  # left by an earlier --keep run
    case.dir.mkdir(parents=True)
    result = None
    try:
        fn(case)
    except Fail as e:
        case.failures.append(str(e))
    except Skip as e:
        result = f"SKIP: {e}"
    except Exception as e:  # a case that misbehaves is reported, never ends the script
        traceback.print_exc()
        case.failures.append(f"script error: {type(e).__name__}: {e}")
    finally:
        if not args.keep:
            shutil.rmtree(case.dir, ignore_errors=True)
    for run in case.runs:
        if "panicked" in run.stderr:
            case.failures.append(f"{run.label}: panic: {run.tail()}")
        if run.rss_kib is not None and run.rss_kib > RSS_LIMIT_MIB * 1024:
            case.failures.append(
                f"{run.label}: peak RSS {run.rss_kib / 1024:.0f} MiB > {RSS_LIMIT_MIB} MiB"
            )
        if run.timed_out:
            case.failures.append(f"hang: {run.label} killed after {TIME_LIMIT_S} s")
        elif run.seconds > TIME_LIMIT_S:
            case.failures.append(f"{run.label}: {run.seconds:.0f} s > {TIME_LIMIT_S} s")
    if result is None:
        unique = list(dict.fromkeys(case.failures))
        result = "FAIL: " + "; ".join(unique) if unique else "PASS"
    rss = [r.rss_kib for r in case.runs if r.rss_kib is not None]
    return Row(
        name,
        max(rss) / 1024 if rss else None,
        max((r.seconds for r in case.runs), default=None),
        case.stats,
        result,
        case.notes,
    )


def format_row(row: Row) -> str:
    def num(v, fmt="{:,}"):
        return "" if v is None else fmt.format(v)

    s = row.stats or {}
    result = row.result if len(row.result) <= 400 else row.result[:397] + "..."
    cells = [
        row.name,
        num(row.rss_mib, "{:.0f}"),
        num(row.seconds, "{:.1f}"),
        *(num(s.get(k)) for k in ("read", "kept", "dropped", "quarantined")),
        result.replace("|", "\\|"),
    ]
    return "| " + " | ".join(cells) + " |"


def machine_line(tamis: Path) -> str:
    try:
        version = subprocess.run(
            [str(tamis), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        version = "?"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"pyarrow {pa.__version__ if pa else 'not installed'}; date: {now}; "
        f"binary: {relative(tamis)} ({version})"
    )


def relative(path) -> str:
    """`path` relative to the repository when it is inside it (results name no machine's
    directories)."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return Path(path).name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tamis", type=Path, default=REPO / "target/release/tamis")
    parser.add_argument("--work", type=Path, help="work directory (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory's files")
    parser.add_argument("--only", help="run the cases whose name contains this")
    parser.add_argument("--trials", type=int, default=50, help="concurrency trials (default 50)")
    args = parser.parse_args()
    args.tamis = args.tamis.resolve()
    if not args.tamis.is_file():
        sys.exit(f"error: no tamis binary at {args.tamis} (build it or pass --tamis)")
    if not ZSTD_CLI and zstandard is None:
        sys.exit("error: needs the zstd CLI or the python zstandard module")
    cases = [(n, f) for n, f in CASES if not args.only or args.only in n]
    if not cases:
        sys.exit(f"error: no case name contains {args.only!r}")

    temp = args.work is None
    work = Path(tempfile.mkdtemp(prefix="tamis-hostile-", dir="/tmp")) if temp else args.work
    work.mkdir(parents=True, exist_ok=True)

    print("## Hostile inputs (`python3 bench/hostile.py`)\n")
    print(machine_line(args.tamis) + "\n")
    if not GNU_TIME.exists():
        print("note: /usr/bin/time not found: peak RSS is not measured\n")
    if pa is None:
        print("note: pyarrow is not installed: the Parquet cases (03, 05, 06) are skipped\n")
    print(f"Limits: peak RSS {RSS_LIMIT_MIB} MiB, {TIME_LIMIT_S} s per run.\n")
    print("| case | peak RSS MiB | longest run s | read | kept | dropped | quarantined | result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |", flush=True)
    rows = []
    started = time.monotonic()
    try:
        for name, fn in cases:
            print(f"[{time.monotonic() - started:6.0f} s] {name} ...", file=sys.stderr, flush=True)
            row = run_case(name, fn, args, work)
            rows.append(row)
            print(format_row(row), flush=True)
    finally:
        if temp and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    for row in rows:
        for note in row.notes:
            print(f"- {row.name}: {note}")
    failed = [r.name for r in rows if r.result.startswith("FAIL")]
    skipped = [r.name for r in rows if r.result.startswith("SKIP")]
    print(
        f"\n{len(rows) - len(failed) - len(skipped)} passed, {len(failed)} failed"
        + (f", {len(skipped)} skipped" if skipped else "")
        + f" in {time.monotonic() - started:.0f} s"
        + (f" (failed: {', '.join(failed)})" if failed else "")
    )
    if args.keep:
        print(f"\nfiles kept in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
