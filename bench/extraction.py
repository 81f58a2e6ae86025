#!/usr/bin/env python3
"""Main-content extraction, side by side: tamis, trafilatura and resiliparse on the gold sets.

usage: bench/extraction.py [--sets scrapinghub,trafilatura-eval,cleaneval-dev,cleaneval-final]
                           [--tools tamis,trafilatura,resiliparse] [--tamis target/release/tamis]

Needs ../shared (the gold sets and eval/score_extraction.py) and, for the reference tools,
`pip install trafilatura==2.3.1 resiliparse==2.0.1 lxml_html_clean`. Every tool reads the same decoded pages
on one core; trafilatura runs with datatrove's settings (favour precision, no comments,
deduplicate), resiliparse with main_content=True. tamis is timed by the CPU time of its whole
run over the files (start-up, reading, gunzip and decoding included, which favours the Python
tools; they are timed on the extraction call alone). Prints per set and
tool: precision, recall, F1 and pages/s, and tamis's speed ratio over each tool.
"""
import argparse, gzip, json, os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, '..', 'shared')
SETS = {'scrapinghub': 'html', 'trafilatura-eval': 'html', 'cleaneval-dev': 'input',
        'cleaneval-final': 'input'}


def pages(name):
    d = os.path.join(SHARED, 'data', 'extraction', name, SETS[name])
    for f in sorted(os.listdir(d)):
        raw = open(os.path.join(d, f), 'rb').read()
        if f.endswith('.gz'):
            raw = gzip.decompress(raw)
        for enc in ('utf-8', 'cp1252', 'latin-1'):
            try:
                yield f, raw.decode(enc)
                break
            except UnicodeDecodeError:
                pass


def run_python(tool, docs):
    if tool == 'trafilatura':
        import trafilatura
        fn = lambda h: trafilatura.extract(h, favor_precision=True, include_comments=False,
                                           deduplicate=True) or ''
    else:
        from resiliparse.extract.html2text import extract_plain_text
        fn = lambda h: extract_plain_text(h, main_content=True) or ''
    out, start = [], time.process_time()
    for f, h in docs:
        try:
            out.append((f, fn(h)))
        except Exception:  # a crash on one page counts as an empty extraction
            out.append((f, ''))
    return out, time.process_time() - start


def run_tamis(binary, name):
    d = os.path.join(SHARED, 'data', 'extraction', name, SETS[name])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([binary, 'extract', '--threads', '1', d], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time, as for the Python tools, so other load on the machine does not count.
    secs = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return [(json.loads(l)['id'], json.loads(l)['text']) for l in r.stdout.splitlines()], secs


def score(name, out):
    with tempfile.NamedTemporaryFile('w', suffix='.jsonl', delete=False) as f:
        for i, t in out:
            f.write(json.dumps({'id': i, 'text': t}) + '\n')
    r = subprocess.run([sys.executable, os.path.join(SHARED, 'eval', 'score_extraction.py'),
                        name, f.name], capture_output=True, text=True, check=True)
    os.unlink(f.name)
    return {k: float(v) for k, v in (l.split() for l in r.stdout.splitlines())
            if k in ('precision', 'recall', 'F1')}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sets', default=','.join(SETS))
    ap.add_argument('--tools', default='tamis,trafilatura,resiliparse')
    ap.add_argument('--tamis', default=os.path.join(ROOT, 'target', 'release', 'tamis'))
    a = ap.parse_args()
    if not os.path.isdir(SHARED):
        sys.exit('../shared is absent: the gold sets live there')
    print(f"{'set':18} {'tool':12} {'P':>6} {'R':>6} {'F1':>6} {'pages/s':>9}")
    for name in a.sets.split(','):
        docs = list(pages(name))
        speed = {}
        for tool in a.tools.split(','):
            out, secs = run_tamis(a.tamis, name) if tool == 'tamis' else run_python(tool, docs)
            s = score(name, out)
            speed[tool] = len(docs) / secs
            print(f"{name:18} {tool:12} {s['precision']:6.3f} {s['recall']:6.3f} "
                  f"{s['F1']:6.3f} {speed[tool]:9.0f}", flush=True)
        for tool in speed:
            if tool != 'tamis' and 'tamis' in speed:
                print(f"{name:18} tamis/{tool} speed ratio {speed['tamis'] / speed[tool]:.1f}x")


if __name__ == '__main__':
    main()
