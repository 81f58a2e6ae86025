#!/usr/bin/env python3
"""Side-by-side benchmark: `tamis dedup --minhash` vs datatrove 0.10.1's four MinHash stages.

usage: bench/dedup.py [--shared ../shared] [--repeat 10] [--cpu 0] [--skip-datatrove]

Input: the shared corpora (pages then articles, 4,254 documents) repeated --repeat times; every
repetition after the first has a light random edit in each document (2% of words substituted,
fixed seed), so most documents have near-duplicates, as in a crawl. One JSONL file. Both tools
run pinned to one CPU; datatrove's stages run one after the other (stage 2 as its 14 band tasks)
and each is timed with its peak RSS; tamis's stage times come from its stats.json. Then tamis
runs again with --memory set far below the data size (spilling many sorted runs) and must give
the same output bytes, and with --compat datatrove, whose removed set is compared with
datatrove's. Needs: a release build, pip install 'datatrove==0.10.1' spacy zstandard
tokenizers 'xxhash<4'.
"""
import argparse, gzip, io, json, os, platform, random, shutil, subprocess, sys, tempfile, time

import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, cpu):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "taskset", "-c", cpu, *cmd], capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return secs, int(p.stderr.strip().splitlines()[-1]) / 1024


def read_jsonl_zst(path):
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def output_bytes(out):
    return {f"{sub}/{n}": open(os.path.join(out, sub, n), "rb").read()
            for sub in ("kept", "dropped") for n in sorted(os.listdir(os.path.join(out, sub)))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--cpu", default="0")
    ap.add_argument("--skip-datatrove", action="store_true")
    args = ap.parse_args()
    tamis = os.path.join(ROOT, "target", "release", "tamis")
    work = tempfile.mkdtemp(prefix="tamis-dedup-bench-")
    rng = random.Random(11)
    base = [r["text"] for c in ("pages", "articles")
            for r in read_jsonl_zst(os.path.join(args.shared, "data", "corpus", f"{c}.jsonl.zst"))]
    inp = os.path.join(work, "input.jsonl")
    n_docs, n_bytes = 0, 0
    with open(inp, "w", encoding="utf-8") as f:
        for r in range(args.repeat):
            for i, t in enumerate(base):
                if r:
                    words = t.split(" ")
                    for k in range(len(words)):
                        if rng.random() < 0.02:
                            words[k] = rng.choice(words)
                    t = " ".join(words)
                f.write(json.dumps({"id": f"r{r}/{i}", "text": t}, ensure_ascii=False) + "\n")
                n_docs += 1
                n_bytes += len(t.encode())
    print(f"input: {n_docs} documents, {n_bytes / 1e6:.1f} MB of text", file=sys.stderr)

    rows = []
    dt_total = None
    if not args.skip_datatrove:
        dt = os.path.join(work, "dt")
        dt_total, dt_rss = 0.0, 0.0
        for stage, name in [(1, "signatures"), (2, "buckets"), (3, "clusters"), (4, "filter")]:
            secs, rss = timed([sys.executable, os.path.join(ROOT, "bench", "datatrove_minhash.py"), str(stage), inp, dt],
                              args.cpu)
            rows.append((f"datatrove {name}", secs, rss))
            dt_total += secs
            dt_rss = max(dt_rss, rss)
        rows.append(("datatrove total", dt_total, dt_rss))

    def run_tamis(out, *extra):
        secs, rss = timed([tamis, "dedup", "--minhash", inp, "-o", out, "--overwrite", "--threads", "1", *extra],
                          args.cpu)
        stats = json.load(open(os.path.join(out, "stats.json")))
        return secs, rss, stats

    t_out = os.path.join(work, "t")
    secs, rss, stats = run_tamis(t_out)
    for name, s in stats["stage_time_s"].items():
        rows.append((f"tamis {name}", s, None))
    rows.append(("tamis total", secs, rss))
    small = os.path.join(work, "t-small")
    secs_s, rss_s, _ = run_tamis(small, "--memory", "16M")
    rows.append(("tamis total, --memory 16M", secs_s, rss_s))
    same = output_bytes(t_out) == output_bytes(small)

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; "
          f"input {n_docs} docs, {n_bytes / 1e6:.1f} MB text; tamis dropped {stats['dropped']}")
    print(f"{'run (1 core)':<32} {'wall s':>8} {'peak RSS MB':>12}")
    for name, s, r in rows:
        print(f"{name:<32} {s:>8.2f} {'' if r is None else f'{r:.1f}':>12}")
    print(f"--memory 16M output identical to the default run: {same}")
    if dt_total:
        print(f"speed ratio, 1 core: tamis / datatrove = {dt_total / secs:.0f}x")
        compat = os.path.join(work, "t-compat")
        run_tamis(compat, "--compat", "datatrove")
        ours = {r["id"] for n in os.listdir(os.path.join(compat, "dropped"))
                for r in read_jsonl_zst(os.path.join(compat, "dropped", n))}
        theirs = set()
        for root, _, files in os.walk(os.path.join(work, "dt", "removed")):
            for n in files:
                with gzip.open(os.path.join(root, n), "rt", encoding="utf-8") as f:
                    theirs.update(json.loads(line)["id"] for line in f)
        print(f"--compat datatrove removed set equals datatrove's: {ours == theirs} "
              f"({len(ours)} vs {len(theirs)} documents)")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
