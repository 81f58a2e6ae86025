#!/usr/bin/env python3
"""The Python package and Ray, measured on one machine.

1. Ray overhead: `tamis run` (CLI, 2 threads) vs `tamis.ray.run` (2 Ray tasks of 1 thread each,
   over a 2-CPU local cluster, started before timing) on the same files and steps; the ratio is
   the cost of the Ray path (task start-up, pickling, merging the shards' outputs).
2. Batches: documents/s through `ray.data.Dataset.map_batches(tamis.ray.MapBatches(...))` on a
   1-CPU Ray cluster, and through `Pipeline.apply_arrow` directly, against datatrove 0.10.1's
   same four FineWeb filters on one core (bench/datatrove_fineweb.py, pinned to one CPU).

usage: bench/python_ray.py [--shared ../shared] [--repeat 4] [--runs 5] [--datatrove-python PY]
Needs: the `tamis` wheel with ray and pyarrow in this Python (pip install
'crates/tamis-py[ray]'), a release CLI (cargo build --release -p tamis-cli), zstandard, and a
Python with datatrove 0.10.1 for part 2 (default /work/venv-recipe2/bin/python).
"""
import argparse, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = ["gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality"]


def build_corpus(shared, work, repeat):
    """The shared corpus `repeat` times (ids made unique), as 2*repeat .jsonl.zst files."""
    import zstandard

    d = os.path.join(work, "in")
    os.makedirs(d)
    docs, text_bytes, rows = 0, 0, []
    for corpus in ("pages", "articles"):
        src = os.path.join(shared, "data", "corpus", f"{corpus}.jsonl.zst")
        with open(src, "rb") as f:
            lines = [l for l in zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read().decode()
                     .splitlines() if l.strip()]
        for r in range(repeat):
            body = "".join(l.replace('"id": "', f'"id": "r{r}/', 1) + "\n" for l in lines)
            with open(os.path.join(d, f"{corpus}-{r:02}.jsonl.zst"), "wb") as f:
                f.write(zstandard.ZstdCompressor(level=3).compress(body.encode()))
            for l in lines:
                doc = json.loads(l)
                docs += 1
                text_bytes += len(doc["text"].encode())
                rows.append(doc)
    return d, docs, text_bytes, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--datatrove-python", default="/work/venv-recipe2/bin/python")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--runs", type=int, default=5, help="alternating CLI/Ray runs (medians)")
    ap.add_argument("--cli", help="the tamis binary (default: target/release/tamis); use one "
                    "built in the same profile as the installed wheel")
    args = ap.parse_args()
    import pyarrow as pa
    import ray

    import tamis
    import tamis.ray

    cli = args.cli or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "tamis")
    work = tempfile.mkdtemp(prefix="tamis-bench-py-")
    inp, docs, text_bytes, rows = build_corpus(args.shared, work, args.repeat)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d')}; input {docs} docs, {text_bytes / 1e6:.1f} MB text, "
          f"{len(os.listdir(inp))} files")

    # 1. Ray overhead against the CLI, 2 workers each; `--runs` alternating pairs, medians.
    p = tamis.Pipeline(STEPS)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    tamis.ray.run(p, inp, os.path.join(work, "warm"), num_shards=2)  # workers start, imports
    cli_runs, ray_runs = [], []
    for i in range(args.runs):
        for which in ("cli", "ray") if i % 2 == 0 else ("ray", "cli"):
            t0 = time.perf_counter()
            if which == "cli":
                subprocess.run([cli, "run", "--steps", ",".join(STEPS), inp, "-o",
                                os.path.join(work, "cli"), "--threads", "2", "--no-progress",
                                "--overwrite"], check=True, capture_output=True)
                cli_runs.append(time.perf_counter() - t0)
            else:
                tamis.ray.run(p, inp, os.path.join(work, "ray"), num_shards=2, threads=1,
                              overwrite=True)
                ray_runs.append(time.perf_counter() - t0)
    ray.shutdown()
    cli_s, ray_s = statistics.median(cli_runs), statistics.median(ray_runs)
    print(f"{'CLI, --threads 2':<44} {cli_s:>8.2f} s {docs / cli_s:>10.0f} docs/s")
    print(f"{'tamis.ray.run, 2 tasks x 1 thread':<44} {ray_s:>8.2f} s {docs / ray_s:>10.0f} docs/s")
    print(f"Ray overhead vs CLI: {100 * (ray_s / cli_s - 1):+.1f}% (medians of {args.runs} runs; "
          f"CLI {', '.join(f'{t:.2f}' for t in cli_runs)}; Ray {', '.join(f'{t:.2f}' for t in ray_runs)})")

    # 2. Batches on one core.
    table = pa.table({"id": [d["id"] for d in rows], "text": [d["text"] for d in rows]})
    t0 = time.perf_counter()
    kept = p.apply_arrow(table).column("tamis_kept")
    direct_s = time.perf_counter() - t0
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    ds = ray.data.from_arrow(table).materialize()
    t0 = time.perf_counter()
    n_kept = ds.map_batches(tamis.ray.MapBatches(p), batch_format="pyarrow",
                            batch_size=1024).count()
    mb_s = time.perf_counter() - t0
    ray.shutdown()
    assert n_kept == kept.to_pylist().count(True)
    print(f"{'Pipeline.apply_arrow, 1 core':<44} {direct_s:>8.2f} s {docs / direct_s:>10.0f} docs/s")
    print(f"{'ray.data map_batches(MapBatches), 1 CPU':<44} {mb_s:>8.2f} s {docs / mb_s:>10.0f} docs/s")
    if not args.skip_datatrove:
        pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        t0 = time.perf_counter()
        subprocess.run([*pin, args.datatrove_python, os.path.join(ROOT, "bench",
                        "datatrove_fineweb.py"), inp, os.path.join(work, "dt")], check=True,
                       capture_output=True)
        dt_s = time.perf_counter() - t0
        print(f"{'datatrove 0.10.1, same filters, 1 core':<44} {dt_s:>8.2f} s {docs / dt_s:>10.0f} docs/s")
        print(f"map_batches / datatrove: {dt_s / mb_s:.1f}x")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
