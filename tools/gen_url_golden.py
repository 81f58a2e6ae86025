#!/usr/bin/env python3
"""Golden for the `url_filter` step: datatrove 0.10.1's own URLFilter on real and crafted URLs.

usage: tools/gen_url_golden.py [--shared ../shared] [--lists]

Runs datatrove's URLFilter (its integrated UT1 lists and word lists) with several parameter
sets over
  - the `metadata.url` of every page of ../shared/data/corpus/{pages,articles}.jsonl.zst (when
    present) and of tests/golden/subset-input.jsonl.zst,
  - URLs built from the lists themselves (blocked domains with and without subdomains, blocked
    hosts, blocked URLs and near misses, banned, soft-banned and sub-words in several cases),
  - hosts that exercise tldextract (userinfo, ports, IPv4/IPv6, wildcard and exception rules,
    punycode, Unicode dots, trailing dots, no scheme),
and writes crates/tamis-filters/tests/golden/url-filter.jsonl.zst: one line per (config, URL)
with the keep decision and reason. The URLs are in the golden, so the test needs no ../shared.

tldextract would fetch the current Public Suffix List; offline it falls back to the snapshot in
its wheel. TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" makes that fallback explicit, so the golden
reflects the snapshot that tamis bundles.

--lists also (re)writes crates/tamis-filters/data/url/ from the installed wheels: the UT1
`domains` and `urls` files (zstd), datatrove's three word lists, and tldextract's snapshot.

Needs: pip install 'datatrove==0.10.1' tldextract==5.4.0 pyahocorasick fasteners zstandard
"""
import argparse, json, os, random, tarfile, warnings
from importlib.metadata import version

from _golden import ROOT, SUBSET_INPUT, read_jsonl_zst, write_lines_zst

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
import zstandard

assert version("datatrove") == "0.10.1", version("datatrove")
assert version("tldextract") == "5.4.0", version("tldextract")
warnings.filterwarnings("ignore", category=DeprecationWarning)
DATA = os.path.join(ROOT, "crates", "tamis-filters", "data", "url")

# name -> URLFilter keyword arguments (the `url_filter` step takes the same names).
CONFIGS = {
    "default": {},
    "threshold_1": {"soft_word_threshold": 1},
    "extras_only": {
        "use_integrated_lists": False,
        "extra_domains": ["example.com", "news.bbc.co.uk", "#comment.org"],
        "extra_urls": ["http://example.org/page"],
        "banned_words": ["Rust", "python 3", "#skip"],
        "banned_subwords": ["ruSTa", "wiki"],
        "soft_banned_words": ["blog", "news", "world"],
    },
    "extras_and_lists": {
        "extra_domains": ["example.com"],
        "banned_words": ["wiki"],
        "soft_word_threshold": 3,
    },
}


def write_lists():
    import datatrove, tldextract
    assets = os.path.join(os.path.dirname(datatrove.__file__), "assets")
    os.makedirs(DATA, exist_ok=True)
    cctx = zstandard.ZstdCompressor(level=19)
    with tarfile.open(os.path.join(assets, "url_filterblacklistsv0_3_0.tar.gz"), "r:gz") as tar:
        for member, name in (("domains", "ut1-domains.zst"), ("urls", "ut1-urls.zst")):
            with open(os.path.join(DATA, name), "wb") as f:
                f.write(cctx.compress(tar.extractfile(member).read()))
    for name in ("banned_words.txt", "banned_subwords.txt", "soft_banned_words.txt"):
        with open(os.path.join(assets, name), "rb") as src, open(os.path.join(DATA, name), "wb") as dst:
            dst.write(src.read())
    snap = os.path.join(os.path.dirname(tldextract.__file__), ".tld_set_snapshot")
    with open(snap, "rb") as src, open(os.path.join(DATA, "public_suffix_list.dat.zst"), "wb") as dst:
        dst.write(cctx.compress(src.read()))


def crafted_urls(rng):
    import datatrove
    assets = os.path.join(os.path.dirname(datatrove.__file__), "assets")
    with tarfile.open(os.path.join(assets, "url_filterblacklistsv0_3_0.tar.gz"), "r:gz") as tar:
        domains = tar.extractfile("domains").read().decode().split("\n")
        urls = tar.extractfile("urls").read().decode().split("\n")
    words = {}
    for name in ("banned_words", "banned_subwords", "soft_banned_words"):
        with open(os.path.join(assets, name + ".txt")) as f:
            words[name] = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    out = []
    for d in rng.sample(domains, 300):
        out += [f"http://{d}/", f"https://www.{d}/some/path?q=1", f"http://{d.upper()}/",
                f"{d}", f"https://user@{d}:8443/#frag", f"http://{d}.evil-example.net/"]
    hosts = [d for d in domains if d.count(".") >= 2]
    for d in rng.sample(hosts, 200):
        out += [f"http://{d}/", f"http://x.{d}/", f"http://{d.split('.', 1)[1]}/"]
    for u in rng.sample(urls, 200):
        out += [u, u + "/", "http://" + u, "https://" + u, u.upper()]
    for kind, ws in words.items():
        for w in ws:
            out += [f"http://example-site.org/{w}/page", f"http://example-site.org/{w.upper()}/",
                    f"http://{w.replace(' ', '-')}.example.org/", f"http://a.org/x{w.replace(' ', '')}y"]
    soft = words["soft_banned_words"]
    for _ in range(200):
        a, b = rng.sample(soft, 2)
        out += [f"http://site.org/{a}/{b}", f"http://{a}.site.org/{b}.html", f"http://site.org/{a}{b}"]
    out += [
        "http://forums.bbc.co.uk/", "http://localhost:8080/", "http://127.0.0.1/x", "http://[::1]/x",
        "http://[2001:db8::1]:80/", "http://a.b.ck/", "http://www.ck/", "http://x.a.b.ck/",
        "http://shop.xn--55qx5d.cn/", "http://xn--55qx5d.cn/", "http://XN--55QX5D.CN/", "http://xn--zz.com/",
        "http://a.example\u3002com/", "http://example.com./", "//example.com/x", "example.com/x",
        "ftp://files.example.com/", "mailto:someone@example.com", "http://user:pw@host.example.co.uk:81/",
        "http://co.uk/", "http://.com/", "http://a..com/", "http://", "x", "https://www.google.com/search?q=porn",
        "http://sexy-example.com/", "https://en.wikipedia.org/wiki/Main_Page", "http://example.com/x?y=1#z",
        "http://EXAMPLE.COM/", "http://news.bbc.co.uk/", "http://bbc.co.uk/", "http://example.org/page",
        "http://example.org/page/", "http://blog.example.org/news/world", "http://a.org/Python-3/",
        "http://a.org/python-3/", "http://a.org/rustacean", "http://a.org/RUST", "http://a.org/rust",
    ]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--lists", action="store_true")
    args = ap.parse_args()
    if args.lists:
        write_lists()
    from datatrove.pipeline.filters.url_filter import URLFilter
    from datatrove.data import Document

    rng = random.Random(9)
    seen, all_urls = set(), []

    def add(u, source):
        if u and (u, source) not in seen:
            seen.add((u, source))
            all_urls.append((u, source))

    for corpus in ("pages", "articles"):
        path = os.path.join(args.shared, "data", "corpus", f"{corpus}.jsonl.zst")
        if os.path.exists(path):
            for r in read_jsonl_zst(path):
                add(r.get("metadata", {}).get("url"), corpus)
        else:
            print(f"note: {path} absent, corpus URLs not included")
    for r in read_jsonl_zst(SUBSET_INPUT):
        add(r.get("metadata", {}).get("url"), "subset")
    for u in crafted_urls(rng):
        add(u, "crafted")
    out, counts = [], {}
    for name, kwargs in CONFIGS.items():
        filt = URLFilter(**kwargs)
        for url, source in all_urls:
            res = filt.filter(Document(text="", id="x", metadata={"url": url}))
            keep, reason = (res, None) if isinstance(res, bool) else res
            counts[(name, reason)] = counts.get((name, reason), 0) + 1
            out.append(json.dumps({"config": name, "source": source, "url": url, "keep": bool(keep),
                                   "reason": reason}, ensure_ascii=False) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-filters", "tests", "golden", "url-filter.jsonl.zst")
    write_lines_zst(path, out)
    print(f"wrote {path}: {len(out)} rows")
    for k in sorted(counts, key=str):
        print(k, counts[k])


if __name__ == "__main__":
    main()
