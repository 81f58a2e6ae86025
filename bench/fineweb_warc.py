#!/usr/bin/env python3
"""FineWeb's whole WARC recipe, side by side: `tamis run --preset fineweb --threads 1`
against datatrove 0.10.1 running examples/fineweb.py's pipeline (bench/datatrove_fineweb_warc.py)
on the same WARC file, built from the shared extraction pages (../shared/data/extraction/*:
scrapinghub, trafilatura-eval, cleaneval-dev, cleaneval-final), one gzip member per record as
Common Crawl writes them, `--copies` times over (distinct URLs) so MinHash has work.

Reports CPU seconds (user + system of the child and its children, from getrusage), CPU seconds
per GB of uncompressed WARC, documents kept, and the ratio; --results appends them with the
machine (lscpu) and date to bench/RESULTS.md.

usage: bench/fineweb_warc.py [--shared ../shared] [--copies 2] [--tamis PATH] [--skip-datatrove]
                             [--results]
Needs: a release build (cargo build --release -p tamis-cli), and for the reference
`pip install 'datatrove==0.10.1' trafilatura lxml_html_clean`.
"""
import argparse, datetime, glob, gzip, json, os, resource, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETS = {"scrapinghub": "html", "trafilatura-eval": "html", "cleaneval-dev": "input",
        "cleaneval-final": "input"}


def build_warc(shared, copies, path):
    """Writes the WARC; returns (records, uncompressed bytes)."""
    n, size = 0, 0
    with open(path, "wb") as out:
        for copy in range(copies):
            for name, sub in SETS.items():
                d = os.path.join(shared, "data", "extraction", name, sub)
                for f in sorted(os.listdir(d)):
                    raw = open(os.path.join(d, f), "rb").read()
                    if f.endswith(".gz"):
                        raw = gzip.decompress(raw)
                    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + raw
                    url = f"http://copy{copy}.{name}.example/{f}"
                    head = (f"WARC/1.0\r\nWARC-Type: response\r\n"
                            f"WARC-Record-ID: <urn:uuid:{copy}-{name}-{f}>\r\n"
                            f"WARC-Target-URI: {url}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n"
                            f"Content-Type: application/http; msgtype=response\r\n"
                            f"Content-Length: {len(block)}\r\n\r\n").encode()
                    rec = head + block + b"\r\n\r\n"
                    out.write(gzip.compress(rec, 6))
                    n, size = n + 1, size + len(rec)
    return n, size


def cpu_run(cmd):
    """Runs cmd; returns CPU seconds (user + sys) it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def count_jsonl(pattern):
    n = 0
    for f in glob.glob(pattern, recursive=True):
        opener = gzip.open if f.endswith(".gz") else open
        if f.endswith(".zst"):
            import zstandard
            with open(f, "rb") as fh:
                data = zstandard.ZstdDecompressor().stream_reader(fh).read()
            n += sum(1 for l in data.splitlines() if l.strip())
            continue
        with opener(f, "rt") as fh:
            n += sum(1 for l in fh if l.strip())
    return n


def machine():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((l.split(":", 1)[1].strip() for l in out.splitlines()
                      if l.startswith("Model name")), "unknown CPU")
    except OSError:
        model = "unknown CPU"
    return f"{model}, {os.cpu_count()} CPUs"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--tamis", default=os.path.join(ROOT, "target", "release", "tamis"))
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--results", action="store_true", help="append to bench/RESULTS.md")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tamis-bench-warc-")
    warc_dir = os.path.join(work, "warc")
    os.makedirs(warc_dir)
    records, size = build_warc(args.shared, args.copies, os.path.join(warc_dir, "bench.warc.gz"))
    gb = size / 1e9
    print(f"input: {records} records, {size / 1e6:.1f} MB uncompressed WARC")
    t_out = os.path.join(work, "tamis")
    t_cpu = cpu_run([args.tamis, "run", "--preset", "fineweb", "--threads", "1",
                     "--no-progress", warc_dir, "-o", t_out])
    t_kept = json.load(open(os.path.join(t_out, "stats.json")))["kept"]
    print(f"tamis:     {t_cpu:8.2f} CPU-s  {t_cpu / gb:10.1f} CPU-s/GB  kept {t_kept}")
    rows = [("tamis `--preset fineweb --threads 1`", t_cpu, t_kept)]
    if not args.skip_datatrove:
        d_work = os.path.join(work, "datatrove")
        d_cpu = cpu_run([sys.executable, os.path.join(ROOT, "bench", "datatrove_fineweb_warc.py"),
                         warc_dir, d_work])
        d_kept = count_jsonl(os.path.join(d_work, "out", "**", "*.jsonl*"))
        print(f"datatrove: {d_cpu:8.2f} CPU-s  {d_cpu / gb:10.1f} CPU-s/GB  kept {d_kept}")
        print(f"ratio: datatrove / tamis = {d_cpu / t_cpu:.1f}x")
        rows.append(("datatrove 0.10.1 examples/fineweb.py, 1 task", d_cpu, d_kept))
    if args.results:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [f"\n## FineWeb WARC recipe (bench/fineweb_warc.py), {when}\n",
                 f"\nMachine: {machine()}. Input: {records} WARC records ({size / 1e6:.1f} MB "
                 f"uncompressed; the shared extraction pages x{args.copies}).\n\n",
                 "| tool | CPU s | CPU s / GB | kept |\n| --- | --- | --- | --- |\n"]
        lines += [f"| {n} | {c:.2f} | {c / gb:.0f} | {k} |\n" for n, c, k in rows]
        if len(rows) == 2:
            lines.append(f"\nRatio (datatrove / tamis CPU): {rows[1][1] / rows[0][1]:.1f}x.\n")
        with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
            f.writelines(lines)


if __name__ == "__main__":
    main()
