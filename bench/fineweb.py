#!/usr/bin/env python3
"""Side-by-side benchmark: tamis vs datatrove 0.10.1 on FineWeb's four text filters.

usage: bench/fineweb.py [--shared ../shared] [--skip-datatrove] [--repeat 10]

Builds the input from ../shared/data/corpus/{pages,articles}.jsonl.zst, runs datatrove's real
pipeline (one task, one worker) and `tamis run --preset fineweb-text --threads 1` on it, then
tamis on a corpus `--repeat` times larger (the same documents repeated) to show memory stays flat, and
tamis on all cores. Prints docs/s, MB/s (UTF-8 text bytes), peak RSS and the speed ratio.
Needs: a release build (cargo build --release), pip install 'datatrove==0.10.1' spacy zstandard
"""
import argparse, json, os, platform, resource, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


CPU = "0"


def timed(cmd, one_core):
    """Runs cmd; returns (seconds, peak RSS in MB) using GNU time's max resident size.
    one_core pins the whole process (every thread) to one CPU, so "one core" means one core."""
    pin = ["taskset", "-c", CPU] if one_core and shutil.which("taskset") else []
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *pin, *cmd], capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    return secs, rss_kb / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--rebuild", action="store_true", help="cargo build --release first")
    ap.add_argument("--cpu", default="0", help="the CPU one-core runs are pinned to")
    args = ap.parse_args()
    global CPU
    CPU = args.cpu
    import zstandard

    tamis = os.path.join(ROOT, "target", "release", "tamis")
    if args.rebuild or not os.path.exists(tamis):
        subprocess.run(["cargo", "build", "--release", "-p", "tamis-cli"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="tamis-bench-")
    x1, xn = os.path.join(work, "x1"), os.path.join(work, f"x{args.repeat}")
    os.makedirs(x1), os.makedirs(xn)
    docs, text_bytes, lines = 0, 0, []
    for corpus in ("pages", "articles"):
        src = os.path.join(args.shared, "data", "corpus", f"{corpus}.jsonl.zst")
        with open(src, "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f).read()
        for line in data.decode().splitlines():
            if line.strip():
                docs += 1
                text_bytes += len(json.loads(line)["text"].encode())
                lines.append(line)
        shutil.copy(src, os.path.join(x1, f"{corpus}.jsonl.zst"))
    for r in range(args.repeat):
        # Unique ids per copy, same texts: the work per document is what it was.
        body = "".join(l.replace('"id": "', f'"id": "r{r}/', 1) + "\n" for l in lines).encode()
        with open(os.path.join(xn, f"part{r:02}.jsonl.zst"), "wb") as f:
            f.write(zstandard.ZstdCompressor(level=3).compress(body))

    rows = []

    def row(name, secs, rss, n_docs, n_bytes):
        rows.append((name, secs, rss, n_docs / secs, n_bytes / 1e6 / secs))

    if not args.skip_datatrove:
        secs, rss = timed([sys.executable, os.path.join(ROOT, "bench", "datatrove_fineweb.py"), x1,
                           os.path.join(work, "dt-out")], one_core=True)
        row("datatrove 0.10.1, 1 core", secs, rss, docs, text_bytes)
    for name, inp, mult, threads in [
        ("tamis, 1 core", x1, 1, 1),
        (f"tamis, 1 core, {args.repeat}x corpus", xn, args.repeat, 1),
        (f"tamis, {os.cpu_count()} cores", x1, 1, 0),
    ]:
        secs, rss = timed([tamis, "run", "--preset", "fineweb-text", inp, "-o", os.path.join(work, "t-out"),
                           "--overwrite", "--threads", str(threads), "--no-progress"],
                          one_core=threads == 1)
        row(name, secs, rss, docs * mult, text_bytes * mult)

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d')}; input {docs} docs, {text_bytes / 1e6:.1f} MB text")
    print(f"{'run':<36} {'wall s':>8} {'peak RSS MB':>12} {'docs/s':>10} {'MB/s':>8}")
    for name, secs, rss, dps, mbs in rows:
        print(f"{name:<36} {secs:>8.2f} {rss:>12.1f} {dps:>10.0f} {mbs:>8.2f}")
    if not args.skip_datatrove:
        print(f"speed ratio, 1 core: tamis / datatrove = {rows[1][4] / rows[0][4]:.0f}x")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
