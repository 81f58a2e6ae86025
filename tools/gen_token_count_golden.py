#!/usr/bin/env python3
"""Golden for the `token_count` step: OpenAI tiktoken's `gpt2` counts.

usage: tools/gen_token_count_golden.py [--shared ../shared] [--ranks PATH]

Counts `len(enc.encode(text, allowed_special="all"))` with tiktoken over
  - every document of ../shared/data/corpus/{articles,pages}.jsonl.zst (when present),
  - tests/golden/subset-input.jsonl.zst,
  - crafted texts (whitespace runs, contractions, numbers, punctuation, emoji, scripts without
    spaces, `<|endoftext|>`, invalid-looking sequences),
and writes crates/tamis-tokens/tests/golden/token-count.jsonl.zst: one line per text with its
source, id or position (corpus) or the text itself (crafted) and the count.

tiktoken downloads GPT-2's `vocab.bpe` and `encoder.json`. Offline, this script hands its
`gpt2` constructor the copies shipped in the tiktoken-rs crate (found in the cargo registry, or
--assets): tiktoken checks `vocab.bpe` against OpenAI's sha256 and `encoder.json` against the
merges. (tiktoken-rs itself compiles in `r50k_base.tiktoken`, whose sha256 is OpenAI's and
whose ranks tiktoken derives identically.) datatrove's TokensCounter uses Hugging Face's `gpt2`
tokenizer, which splits text the same way.

Needs: pip install tiktoken zstandard
"""
import argparse, glob, json, os
from importlib.metadata import version

from _golden import ROOT, SUBSET_INPUT, read_jsonl_zst, write_lines_zst


def crafted():
    return [
        "", " ", "\n", "\n\n\n", "  \n  \n", "\t\t x", "Hello world", "hello  world  ", "I'm you're we'll it's they'd I've",
        "I'M YOU'RE", "don't  'tis ''", "12345678901234567890", "3.14159 1,000,000 -42", "a\u00a0b\u2003c",
        "<|endoftext|>", "a<|endoftext|>b<|endoftext|>", "<|endoftext", "<|fim_prefix|>", "émoji 😀👍🏽 🇫🇷",
        "日本語のテキストです。", "中文文本没有空格", "ภาษาไทย", "Привет, мир!", "مرحبا بالعالم", "e\u0301 combining",
        "tabs\tand\rcarriage\r\nreturns", "x" * 5000, "ab" * 3000, " " * 100 + "end", "!!!???...---", "\u200b\u200d",
        "http://example.com/path?q=1&r=2#frag", "def f(x):\n    return x ** 2\n", "\ufffd\ufeffbom",
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--assets", help="directory with GPT-2's vocab.bpe and encoder.json (default: "
                    "tiktoken-rs's assets in the cargo registry)")
    args = ap.parse_args()
    assets = args.assets or os.path.dirname(sorted(glob.glob(os.path.expanduser(
        "~/.cargo/registry/src/*/tiktoken-rs-0.12.*/assets/vocab.bpe")))[-1])
    import tiktoken
    import tiktoken.load
    from tiktoken_ext import openai_public

    real = tiktoken.load.data_gym_to_mergeable_bpe_ranks

    def local_data_gym(vocab_bpe_file, encoder_json_file, vocab_bpe_hash=None, encoder_json_hash=None):
        # vocab.bpe must be OpenAI's (same sha256); encoder.json is only cross-checked against
        # it by tiktoken (tiktoken-rs's copy is formatted differently, so its hash differs).
        return real(os.path.join(assets, "vocab.bpe"), os.path.join(assets, "encoder.json"),
                    vocab_bpe_hash=vocab_bpe_hash, encoder_json_hash=None)

    openai_public.data_gym_to_mergeable_bpe_ranks = local_data_gym
    enc = tiktoken.get_encoding("gpt2")
    assert enc.eot_token == 50256 and enc.n_vocab == 50257
    print("tiktoken", version("tiktoken"), "gpt2 from", assets)

    rows = []
    for corpus in ("articles", "pages"):
        path = os.path.join(args.shared, "data", "corpus", f"{corpus}.jsonl.zst")
        if os.path.exists(path):
            for r in read_jsonl_zst(path):
                rows.append({"source": corpus, "id": r["id"], "text_": r["text"]})
        else:
            print(f"note: {path} absent, corpus documents not included")
    for i, r in enumerate(read_jsonl_zst(SUBSET_INPUT)):
        rows.append({"source": "subset", "index": i, "text_": r["text"]})
    for t in crafted():
        rows.append({"source": "crafted", "text": t, "text_": t})
    out, total = [], {}
    for r in rows:
        text = r.pop("text_")
        r["count"] = len(enc.encode(text, allowed_special="all"))
        total[r["source"]] = total.get(r["source"], 0) + r["count"]
        out.append(json.dumps(r, ensure_ascii=False) + "\n")
    path = os.path.join(ROOT, "crates", "tamis-tokens", "tests", "golden", "token-count.jsonl.zst")
    write_lines_zst(path, out)
    print(f"wrote {path}: {len(out)} rows; tokens per source: {total}")


if __name__ == "__main__":
    main()
