#!/usr/bin/env python3
"""What `--report` costs: `tamis run` with and without it on the same input, alternated.

usage: bench/report.py [--input ../shared/data/corpus/pages.jsonl.zst] [--preset clean]
                       [--repeats 7] [--threads 2] [--tamis PATH]

Runs the pipeline `--repeats` times each way, in back-to-back pairs whose order alternates (so
drift in machine load hits both alike), and prints the median CPU time (user + system of the
child) and wall time of each, and the report's overhead: the median, over pairs, of the ratio
within a pair, with its quartiles (robust to the load changing between pairs). The `--report` runs include writing report.json and
rendering report.html. Also prints the size of report.json and report.html.
Needs: a release build (cargo build --release -p tamis-cli; or --tamis / $TAMIS_BIN).
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", default=os.path.join(ROOT, "..", "shared", "data", "corpus", "pages.jsonl.zst"))
    ap.add_argument("--preset", default="clean")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--tamis", default=os.environ.get("TAMIS_BIN", os.path.join(ROOT, "target", "release", "tamis")))
    args = ap.parse_args()
    if not os.path.exists(args.tamis):
        subprocess.run(["cargo", "build", "--release", "-p", "tamis-cli"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="tamis-report-bench-")
    try:
        runs = {"plain": [], "report": []}
        for i in range(args.repeats + 1):
            for mode in ("plain", "report") if i % 2 == 0 else ("report", "plain"):
                out = os.path.join(work, mode)
                cmd = [args.tamis, "run", "--preset", args.preset, args.input, "-o", out,
                       "--overwrite", "--no-progress", "--threads", args.threads]
                if mode == "report":
                    cmd.append("--report")
                r = timed(cmd)
                if i > 0:  # the first pair warms the page cache
                    runs[mode].append(r)
        med = {m: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
               for m, v in runs.items()}
        print(f"input {args.input} ({os.path.getsize(args.input) / 1e6:.1f} MB on disk), "
              f"--preset {args.preset}, --threads {args.threads}, {args.repeats} runs each, medians")
        print(f"{'run':<10} {'CPU s':>8} {'wall s':>8}")
        for m in ("plain", "report"):
            print(f"{m:<10} {med[m][0]:8.3f} {med[m][1]:8.3f}")
        for k, name in ((0, "CPU"), (1, "wall")):
            ratios = [r[k] / p[k] for r, p in zip(runs["report"], runs["plain"])]
            q1, q2, q3 = statistics.quantiles(ratios, n=4)
            print(f"overhead, {name}: x{q2:.3f} (median of {len(ratios)} pairs; "
                  f"quartiles x{q1:.3f}-x{q3:.3f})")
        rep = os.path.join(work, "report")
        for f in ("report.json", "report.html"):
            print(f"{f}: {os.path.getsize(os.path.join(rep, f)) / 1e3:.0f} KB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
