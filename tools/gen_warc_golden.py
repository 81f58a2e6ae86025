#!/usr/bin/env python3
"""Golden for the WARC/ARC record reader: what warcio (the Webrecorder reference library) reads
from each file under ../shared/data/warc.

usage: tools/gen_warc_golden.py [--shared ../shared]

For each .warc, .warc.gz, .arc, .arc.gz file (lz4 is not read), writes one JSON line to
crates/tamis-io/tests/golden/warc-records.jsonl: the file (relative to data/warc), and the
records warcio's ArchiveIterator yields before it stops: record type (ARC records as warcio
maps them: the first `warcinfo`, then `response`), target URI, block length in bytes, and for
HTTP responses the status code and the length of the body after removing transfer and content
codings (`content_stream()`), or the exception class when warcio cannot decode it; and `error`
with warcio's exception class when it stops on one. Needs: pip install warcio
"""
import argparse, json, os

from warcio.archiveiterator import ArchiveIterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    base = os.path.join(args.shared, "data", "warc")
    out = []
    for d in sorted(os.listdir(base)):
        for name in sorted(os.listdir(os.path.join(base, d))):
            if not name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
                continue
            recs, error = [], None
            try:
                with open(os.path.join(base, d, name), "rb") as f:
                    for r in ArchiveIterator(f, arc2warc=True, ensure_http_headers=False):
                        uri = r.rec_headers.get_header("WARC-Target-URI")
                        length = int(r.rec_headers.get_header("Content-Length") or -1)
                        status, body = None, None
                        if r.rec_type == "response" and r.http_headers is not None:
                            status = int(r.http_headers.get_statuscode() or 0)
                            try:
                                body = len(r.content_stream().read())
                            except Exception as e:  # a body warcio cannot decode
                                body = type(e).__name__
                        recs.append([r.rec_type, uri, length, status, body])
            except Exception as e:  # the reference's own stop, recorded
                error = type(e).__name__
            out.append(json.dumps({"file": f"{d}/{name}", "records": recs, "error": error}) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-io", "tests", "golden", "warc-records.jsonl")
    with open(path, "w") as f:
        f.writelines(out)
    print(f"wrote {path}: {len(out)} files")


if __name__ == "__main__":
    main()
