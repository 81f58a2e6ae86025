#!/usr/bin/env python3
"""Golden for the `pii` step: datatrove 0.10.1's own PIIFormatter.

usage: tools/gen_pii_golden.py [--shared ../shared]

Runs datatrove's PIIFormatter with several parameter sets over
  - every page of ../shared/data/corpus/{pages,articles}.jsonl.zst (when present) and of
    tests/golden/subset-input.jsonl.zst: the formatted text's sha256 (first 16 hex digits) and
    whether it changed,
  - crafted texts (emails and addresses at edges, private and reserved ranges, leading zeros,
    runs of digits) and random strings over an alphabet dense in email and address characters:
    the text and the formatted text,
and writes crates/tamis-clean/tests/golden/pii.jsonl.zst.

datatrove's replacers cycle through their stand-ins across documents; tamis restarts the cycle
per document (see docs/parity.md), so each document here gets a fresh PIIFormatter, which is
datatrove's behaviour for a document that is the first of its worker.

Needs: pip install 'datatrove==0.10.1' zstandard  (Python 3.11.7: `ipaddress` rules differ in
later 3.11 releases)
"""
import argparse, hashlib, json, os, random, sys
from importlib.metadata import version

from _golden import ROOT, corpus_docs, write_lines_zst

assert version("datatrove") == "0.10.1", version("datatrove")
assert sys.version_info[:3] == (3, 11, 7), sys.version

CONFIGS = {
    "default": {},
    "all_ips": {"only_remove_public_ips": False},
    "ips_only": {"remove_emails": False, "ip_replacement": ["<ip>", "<ip2>", "<ip3>"]},
    # One string, not a tuple: datatrove takes both (`tuple[str, ...] | str`).
    "emails_only": {"remove_ips": False, "email_replacement": "<email>"},
}


def digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def crafted(rng):
    out = [
        "mail me: john.doe@example.com, Jane_Doe+tag@sub.mail.co.uk.", "x@y", "a@b.c", "@b.com", "a@.com",
        "a.@b.com", ".a@b.com", "a..b@c.com", "a@b..com", "a@-b.com", "a@b-.com", "user@[192.168.0.1]",
        "user@[300.1.1.1]", "user@[IPv6:2001:db8::1]", "user@[1.2.3.x:]", "éjohn@x.com", "é john@x.com",
        "_john@x.com", "x_y@z.com", "-x@y.com", "a -x@y.com", "a_-x@y.com", "²x@y.com", "‿x@y.com",
        "ö!x@y.com", "a!x@y.com", "mailto:bob@example.org?subject=hi", "bob@example.org.", "BOB@EXAMPLE.ORG",
        "a@b.com@c.com", "one@two.com two@three.com three@four.com", "x@y.com\nz@w.org",
        "ip 8.8.8.8 and 8.8.4.4", "10.0.0.1 172.16.5.4 192.168.1.1 127.0.0.1 0.0.0.0 255.255.255.255",
        "100.64.0.1 100.127.255.255 100.128.0.0 169.254.1.1 192.0.0.8 192.0.0.9 192.0.0.170 192.0.0.172",
        "192.0.2.1 198.18.0.1 198.20.0.1 198.51.100.7 203.0.113.9 240.0.0.1 224.0.0.1 239.255.255.255",
        "010.1.1.1 1.01.1.1 1.1.1.00 1.1.1.0", "1234.5.6.7", "1.2.3.4.5", "999.1.1.1", "1.2.3.256",
        "v1.2.3.4", "1.2.3", "11.22.33.44:8080", "[1.2.3.4]", "a1.2.3.4b", "1.2.3.4\n5.6.7.8",
        "user@8.8.8.8", "user@[8.8.8.8]", "x" * 50 + "@" + "y" * 50 + ".com",
    ]
    alphabet = "abcXYZ019_.-+!#%&'*/=?^`{|}~@[]:  \n,;é²()<>\"0123456789..."
    for _ in range(6000):
        n = rng.randint(3, 40)
        out.append("".join(rng.choice(alphabet) for _ in range(n)))
    for _ in range(3000):
        parts = [str(rng.choice([rng.randint(0, 300), rng.randint(0, 9), rng.randint(0, 99)])) for _ in range(rng.randint(3, 6))]
        if rng.random() < 0.3:
            parts = [p.zfill(rng.randint(1, 3)) for p in parts]
        sep = rng.choice([".", ".", ".", "..", " "])
        out.append(rng.choice(["", "ip ", "x", "1"]) + sep.join(parts) + rng.choice(["", " ", ".", "0", "/24"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    from datatrove.pipeline.formatters import PIIFormatter

    docs = corpus_docs(args.shared)
    docs += [({"source": "crafted", "text": t}, t) for t in crafted(random.Random(3))]

    out, changed = [], {}
    for name, kwargs in CONFIGS.items():
        for rec, text in docs:
            formatted = PIIFormatter(**kwargs).format(text)
            key = (name, rec["source"])
            changed[key] = changed.get(key, 0) + (formatted != text)
            row = {"config": name, **rec}
            if rec["source"] == "crafted":
                row["formatted"] = formatted
            else:
                row["changed"] = formatted != text
                row["sha256_16"] = digest(formatted)
            out.append(json.dumps(row, ensure_ascii=False) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-clean", "tests", "golden", "pii.jsonl.zst")
    write_lines_zst(path, out)
    print(f"wrote {path}: {len(out)} rows; changed documents per (config, source):")
    for k in sorted(changed):
        print(k, changed[k])


if __name__ == "__main__":
    main()
