#!/usr/bin/env python3
"""Generate the golden files for tamis's English tokenizer (crates/tamis-text/src/en/) with the
reference, datatrove 0.10.1's own `split_into_words(text, "eng")` / `split_into_sentences(text,
"eng")` (spaCy 3.8.18 underneath).

usage: tools/gen_tokenizer_golden.py [--shared ../shared] [--out crates/tamis-text/tests/golden]

Writes, under --out:

  en_pages.jsonl.zst, en_articles.jsonl.zst
      one line per document of ../shared/data/corpus/{pages,articles}.jsonl.zst, input order:
      {"id", "words": word count, "words_sha": sha256 of "\\n".join(words) (first 16 hex digits;
      words never contain whitespace, so "\\n" cannot occur inside one), "sentences":
      len(split_into_sentences(text)), "c4_lines": number of C4 candidate lines (line.strip() of
      text.splitlines() with len(line.split()) >= 3), "c4_sentences": sum of their sentence
      counts, "c4_sha": sha256 of their counts joined by ","}
  en_subset.jsonl.zst
      about 200 of those documents, chosen for the variety of their tokens, with their text and
      the full expected outputs ({"id", "text", "words", "sentences", "c4_sentences": [per line]}),
      so a fresh clone without ../shared still tests exactness
  en_edge_cases.jsonl
      hand-picked tricky strings (EDGE_CASES below) with spaCy's full token list (whitespace
      tokens included), the words, the sentence count and, where datatrove's IS_ALPHA retry would
      apply, the retried text
  en_random.jsonl.zst
      seeded random strings over an alphabet of affixes, infixes, exceptions and URL pieces, with
      the same fields as the edge cases

Needs: pip install 'datatrove==0.10.1' 'spacy==3.8.18' zstandard
"""
import argparse
import hashlib
import io
import json
import os
import random
import sys
from importlib.metadata import version

import zstandard

from datatrove.utils.text import split_into_sentences, split_into_words
from datatrove.utils.word_tokenizers import load_word_tokenizer

assert version("datatrove") == "0.10.1", version("datatrove")
assert version("spacy") == "3.8.18", version("spacy")

# datatrove's SpaCyTokenizer, the object split_into_words/split_into_sentences use.
TOK = load_word_tokenizer("eng")

# spaCy reads a dangling pointer for the token "IS_ALPHA" once a memory zone has created and
# freed its lexeme; datatrove then retries without "IS_ALPHA" (see src/en/mod.rs). Creating the
# lexeme outside a memory zone first makes it permanent, so every call below is deterministic and
# gives spaCy's own tokenization, which is what tamis implements.
TOK.tokenizer("IS_ALPHA")
assert split_into_words("a IS_ALPHA b", "eng") == ["a", "IS_ALPHA", "b"]
assert split_into_words("a IS_ALPHA b", "eng") == ["a", "IS_ALPHA", "b"]


def sha(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16]


def words_of(text):
    return split_into_words(text, "eng")


def sentences_of(text):
    return len(split_into_sentences(text, "eng"))


def c4_lines(text):
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if len(line.split()) >= 3]


def read_jsonl_zst(path):
    with open(path, "rb") as f:
        for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def write_jsonl_zst(path, rows):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor(level=19).compress(data))
    print(f"wrote {path}: {len(rows)} rows, {os.path.getsize(path)} bytes", file=sys.stderr)


def all_tokens(text):
    """spaCy's token texts including whitespace tokens: [t.text for t in nlp(text)]."""
    with TOK.tokenizer.memory_zone():
        return [t.text for t in TOK.tokenizer.tokenizer(text)]


def case_row(text):
    toks = all_tokens(text)
    row = {"text": text, "tokens": toks, "words": words_of(text), "sentences": sentences_of(text)}
    assert row["words"] == [t for t in toks if t.strip()], text
    if "IS_ALPHA" in toks:
        row["is_alpha_retry"] = text.replace("IS_ALPHA", "")
    return row


# Hand-picked strings that exercise one rule each (or an interaction of rules).
EDGE_CASES = [
    # whitespace: a single ' ' after a token is absorbed; other runs become whitespace tokens
    "", " ", "  ", "\n", "\n\n", "\t", " \t ", "a b", "a  b", "a   b", "a\nb", "a \nb", "a\n b",
    "a\tb", "a \t b", " a", "  a", "a ", "a  ", "\u00a0", "a\u00a0b", "a \u00a0b", "a\u3000b",
    "a\u2028b", "a\u2009b", "a\x1cb", "a\x1fb", "a\x85b", "a\u200bb", "a\ufeffb", "\u200b",
    "a\u202fb", "a\u205fb", "\r\n", "a\r\nb", "a\x0bb\x0cc",
    # sentences
    "Hello.", "Hello. ", "Hello.  ", "Hello.\n", "Hello world. How are you?", "Hi!!! there?",
    "a. b. c", "a.\n\nb", "He said \"stop.\" Then left.", "Wait... what?", "Really?! Yes.",
    "End.)", "End.) Next", "(End.) Next", "One. Two. Three. Four.", "x.\"y", "Is it? \"Yes.\"",
    "No.1 is here. No.2 too.", "3.5 is a number. So is 4.", "e.g. this. i.e. that.",
    "The U.S. is big. The U.K. too.", "Mr. Smith went to Washington. He stayed.",
    "Stop。Go。", "Stop！ Go？", "नमस्ते। ठीक है।", "مرحبا؟ نعم.", "Hello‼ world", "Hmm‽ yes",
    "a.b.c. d", "...", ". . .", "?", "!", "?!", ". a", "a .", "a . b", "a.\tb", "a.\u00a0b",
    # contractions and apostrophes
    "don't", "Don't", "DON'T", "can't", "won't", "I'm", "you're", "he's", "it's", "It's",
    "Let's", "let's", "y'all", "ma'am", "o'clock", "rock'n'roll", "'s", "'S", "dogs'", "James's",
    "don’t", "can’t", "I’m", "it’s", "he’s", "y’all", "’s", "’’", "''", "``", "'Cause", "’Cause",
    "'tis", "'twas", "'em", "'n'", "gonna", "gotta", "wanna", "cannot", "Cannot", "shouldn't've",
    "couldn't", "wouldn’t", "ain't", "isn't", "doin'", "nothin’", "'90s", "the '90s", "rock 'n' roll",
    "'hello'", "‘hello’", "\"hello\"", "“hello”", "„hello“", "«hello»", "‹hello›", "`hello'",
    "He said, 'it's fine.'", "(it's)", "[don't]", "\"I'm\"", "I'm.", "it's.", "don't!",
    # abbreviations and exceptions
    "U.S.", "U.S.A.", "e.g.", "i.e.", "E.g.", "etc.", "a.m.", "p.m.", "10a.m.", "10 a.m.",
    "10am", "10p.m.", "5pm", "Mr.", "Mrs.", "Dr.", "Prof.", "St.", "Jan.", "Sept.", "Inc.",
    "Ltd.", "Co.", "vs.", "v.s.", "Ph.D.", "Ph.D", "ph.d.", "No.", "no.", "Nos.", "Fig.", "fig.",
    "approx.", "Calif.", "Mass.", "Wash.", "Jr.", "Sr.", "a.", "b.", "z.", "ä.", "A.", "(a.m.)",
    "a.m.,", "U.S.,", "(U.S.)", "\"U.S.\"", "U.S.'s", "w/o", "and/or", "o.O", "O.o", "C++",
    "c++", "\\n", "\\t", "\\\")", "<space>", "°C.", "°F.", "°c.", "20°C.", "20°C", "(-8", "8-)",
    # emoticons and symbols
    ":)", ":-)", ":(", ";)", ":D", "xD", "XD", ":P", ":p", "<3", "</3", "^_^", "(^_^)", "-_-",
    "o_O", "O_o", "¯\\(ツ)/¯", "(ಠ_ಠ)", "ಠ_ಠ", "(╯°□°）╯︵┻━┻", ":))", ":-)))", "x:)", "(:)",
    "nice:)", "nice :)", "nice:-)", "(:", ":')", "=)", "8)", "x8)", "<33", "<333", "V_V", "o.0",
    "😀", "😀😀", "a😀b", "😀.", "👍🏽", "👨‍👩‍👧", "©2020", "(c)", "™", "Brand™", "♥", "a♥b", "★★★",
    "→", "a→b", "©", "®", "°", "§5", "§§", "¶", "†", "✓", "☺", "☺☺", "€", "£5", "5£", "¥",
    # numbers, currency, units
    "$5", "$5.00", "5$", "US$5", "5US$", "C$10", "A$10", "€10", "10€", "10 €", "$", "$$", "1,000",
    "1,000,000", "1.000,00", "3.14", "-5", "+5", "+", "+a", "5+", "5+3", "5-3", "5*3", "5^3",
    "5/3", "5:3", "1-2-3", "2020-01-01", "01/02/2020", "12:30", "12:30pm", "5km", "5 km",
    "5km/h", "5m/s", "10kg", "10KB", "10MB", "100%", "100 %", "5%-10%", "5x", "5X", "10th",
    "1st", "2nd", "3rd", "1990s", "5'10\"", "5′10″", "±5", "~5", "≈5", "5°", "5°C", "-20°F",
    "1e10", "0x1F", "#1", "No.1", "№1", "5.", "5..", "5...", "1.2.3", "v1.2.3", "5²", "km²",
    "5km²", "5µm", "5мм", "5кг", "٣٤٥", "5тбكم", "5كم", "¼", "½cup", "5½",
    # hyphens, dashes, infixes
    "well-known", "state-of-the-art", "e-mail", "re-enter", "x-ray", "X-Men", "COVID-19",
    "19-COVID", "a--b", "a---b", "a----b", "a—b", "a——b", "a–b", "a~b", "a - b", "a -b", "a- b",
    "-a", "a-", "--", "---", "—", "——", "–", "~", "a,b", "a, b", "1,a", "a,1", "a:b", "a<b",
    "a>b", "a=b", "a/b", "1/a", "a/1", "http:b", "a.B", "a.b", "A.b", "A.B", "a.\"", "\".a",
    "a.'B", "x...y", "x…y", "x..y", "..x", "x..", "…x", "x…", "……", "………", "a……", "a+b", "1+1",
    "1++1", "a*b", "1-a", "a-1", "1-", "-1", "2-3-4", "1--2", "1---2", "ßa-bß", "Ж-Ж", "中-中",
    "a-é", "é-a", "a-😀", "東京-大阪", "α,β", "α.Β", "я.Я",
    # prefixes and suffixes
    "(hello)", "((hello))", "[hello]", "{hello}", "<hello>", "hello!", "hello?", "hello!?",
    "¿qué?", "¡hola!", "hello,", "hello;", "hello:", "hello...", "hello..", "hello.", "hello.)",
    "(hello.)", "\"hello.\"", "'hello.'", "*hello*", "_hello_", "#hashtag", "@user", "&amp;",
    "%5", "5%", "=5", "§ 5", "—hello", "hello—", "–hello", "hello–", "…hello", "hello…",
    "hello……", "“Hello,” she said.", "(see p. 5)", "[1]", "[12]", "(1)", "1)", "a)", "i)",
    "(a)", "hello)", "(hello", "))", "((", "!!!", "???", "?!?", "!?", ".!", "!.", ",,", ";;",
    "::", ":::", "\"\"", "''''", "'''", "\"'\"", "'\"'", "(\"hello\")", "『hello』", "「hello」",
    "【hello】", "《hello》", "〈hello〉", "（hello）", "⟦hello⟧", "hello。", "hello、", "hello，",
    "·hello", "hello·", "hello؟", "hello،", "hello؛", "hello٪", "hello।", "ABC.", "AB.",
    "ΑΒ.", "ВОЗ.", "abc.", "aBC.", "ABc.", "1.", "%.", "²."
    , "-.", "+.", "\".", "'.", "(.", ").", "x.)", "X.)",
    # URLs and emails
    "http://example.com", "https://www.example.com/path?q=1&r=2#frag", "www.example.com",
    "example.com", "example.co.uk", "sub.example.org/a-b-c", "http://example.com/a-b",
    "example.com/a-b", "EXAMPLE.COM", "Example.Com", "http://localhost:8080/x", "localhost:8080",
    "http://192.168.1.1/a-b", "192.168.1.1", "8.8.8.8", "8.8.8.8/a-b", "10.0.0.1/a-b",
    "127.0.0.1:8000/a-b", "172.16.0.1/a-b", "172.32.0.1/a-b", "1.2.3.4:80/a-b", "256.1.1.1/a-b",
    "ftp://files.example.com/x-y", "mailto:john@example.com", "john@example.com",
    "john.doe@example.com", "john-doe@ex-ample.com", "user:pass@example.com/a-b",
    "http://user:pass@example.com:8080/p-q?x=y#z", "http://例子.测试/a-b", "http://müller.de/a-b",
    "http://example.com.", "(http://example.com)", "<http://example.com>", "\"http://x.com\"",
    "http://example.com/path.", "http://example.com,", "visit example.com.",
    "http://x.y/a-b", "x.y/a-b", "a.b.c/d-e", "http://a_b.com/c-d", "http://-a.com/c-d",
    "http://a-.com/c-d", "http://a.b-c/d-e", "a.b1/c-d", "http://x.com:123456/a-b",
    "http://x.com:12/a-b", "http://x.com:1/a-b", "example.com:80", "git+ssh://host.org/a-b",
    "a.com/a-b?c=d-e", "http://x.com/?q=a-b", "http://x.com/#a-b", "www.x-y.com",
    "youtube.com/watch?v=dQw4w9WgXcQ", "bit.ly/abc-def", "t.co/x", "S.H.I.E.L.D.",
    "file.txt", "file.tar.gz", "script.js-x", "a@b", "@b.com", "a@b.c-d", "ab@cd.ef/g-h",
    # non-Latin scripts
    "Привет, мир!", "Ελληνικά.", "日本語のテキスト。", "中文，测试。", "한국어 텍스트.",
    "עברית.", "العربية،", "हिन्दी।", "தமிழ்.", "ქართული.", "Ωmega", "straße", "ǅemal", "ǲ",
    "Ⅻ.", "ⅻ", "İstanbul", "Ä.", "ß.", "é.", "É.", "ÆØÅ.", "ÉÉ.", "ŁŁ.", "ŁA.", "ǄǄ.",
    "\u0301", "é", "e\u0301", "e\u0301.", "a\u0301b", "x\u0301-y", "ﬁ", "ﬁ.",
    "ｆｕｌｌ.", "ＦＵＬＬ.", "ＡＢ.", "ａ.Ｂ", "Ａ-Ｂ", "ｈｔｔｐ://ｅ.ｃｏｍ", "x.ｃｏｍ/a-b",
    # zero-width and format characters
    "a\u200bb-c", "\u200b.", ".\u200b", "a\u200db", "a\u2060b", "\u00ad", "a\u00adb", "\ufeff",
    "\u202e", "a\u0000b", "a\x7fb", "\x01", "\ue000", "a\U000e0001b",
    # IS_ALPHA (see src/en/mod.rs): spaCy's own tokenization; retry text recorded
    "IS_ALPHA", "hello IS_ALPHA world", "IS_ALPHA.", "(IS_ALPHA)", "xIS_ALPHAy", "IS_ALPHA-x",
    "IS_ALPHA IS_ALPHA", "IS_ALPHA's", "is_alpha", "IS_DIGIT", "ORTH", "NOUN", "IS_ALPHAx IS_ALPHA",
    # mixtures
    "Hello, world! (e.g. U.S.) :) don't-stop http://x.com/a-b 5km €10 ...",
    "The price is $5.00 (approx.) — or €4.50.", "She said: “It’s 5 p.m.—let’s go!”",
    "Dr. J.R.R. Tolkien's 'The Hobbit' (1937).", "A.B.C. D.E.F.", "a.b.C", "Mr.Smith",
    "end.Start", "end.start", "END.START", "e.g.,", "i.e.:", "etc.)", "U.S.-based", "U.S.-made",
    "non-U.S.", "pre-2020", "2020-pre", "#1-ranked", "$5-million", "5-year-old", "F-16s",
    "A+", "A+B", "C#", "F#", ".NET", "Node.js", "node.js", "React.js.", "x86-64", "i7-8700K",
    "IPv4", "Wi-Fi", "e-commerce", "COVID‑19", "co‑operate", "a‐b", "a‑b", "a‒b", "a―b",
    "* item", "- item", "• item", "1. item", "a) item", "> quote", ">> quote", "|a|b|",
    "a|b", "a\\b", "C:\\path\\file", "/usr/bin/env", "~/home", "a^b", "a&b", "a&&b", "a||b",
    "<br>", "<br/>", "</div>", "<a href=\"x\">", "&nbsp;", "&#39;", "[[link]]", "{{tpl}}",
    "**bold**", "__init__", "snake_case", "CamelCase", "a_b-c", "x=1", "x==1", "x!=1", "x<=1",
    "x->y", "x=>y", "a:b:c", "12:34:56", "a:1", "1:a", "ISBN:978-3", "re:", "Re: Fwd:",
]


def random_cases(n, seed):
    rng = random.Random(seed)
    atoms = list("abcxyzABCXYZ0123456789") * 3 + list(".,:;!?'\"()[]{}<>-–—~/\\@#$%^&*+=_|`´’‘“”…°§") * 2 + [
        " ", " ", " ", "\n", "\t", "\u00a0", "\u3000", "\u200b", "é", "ß", "Ж", "я", "α", "Ω", "中", "ا",
        "©", "™", "☺", "😀", "¡", "¿", "·", "、", "。", "？", "！", "「", "」", "²", "µ", "٣", "ɐ", "ǅ", "Ⅻ",
        "\u0301", "http://", "https://", "www.", ".com", ".org", ".co.uk", "US$", "C$", "km", "kg", "m²",
        "'s", "’s", "n't", "e.g.", "U.S.", "a.m.", "p.m.", ":)", ":-(", "<3", "Mr.", "Dr.", "don't",
        "can't", "I'm", "10", "192.168.", "127.0.0.1", "8.8.8.8", ":8080", "/path", "?q=", "#frag", "@",
        "user@", "mailto:", "...", "..", "--", "---", "——", "°F", "°C.", "and/or", "w/o", "o.O", "(-8",
        "Ph.D.", "''", "``", "'", "’’", "\\n", "Let's", "it's", "ΑΒ", "ВОЗ", "ABC.", "x-y", "1-2", "2+3",
        "a,b", "a:b", "3:4", "a-b", "/a-b", "x.y", "A.B",
    ]
    return ["".join(rng.choice(atoms) for _ in range(rng.randint(1, 14))) for _ in range(n)]


def doc_row(doc):
    text = doc["text"]
    words = words_of(text)
    line_counts = [sentences_of(line) for line in c4_lines(text)]
    return {
        "id": doc["id"],
        "words": len(words),
        "words_sha": sha("\n".join(words)),
        "sentences": sentences_of(text),
        "c4_lines": len(line_counts),
        "c4_sentences": sum(line_counts),
        "c4_sha": sha(",".join(map(str, line_counts))),
    }, words, line_counts


def pick_subset(candidates, n_docs, budget_bytes):
    """Greedy choice of small documents that add the most unseen 'unusual' words (with a
    non-alphanumeric or non-ASCII character) per byte."""
    seen = set()
    chosen = []
    used = 0
    pool = [c for c in candidates if len(c[0]["text"].encode()) <= 3000]
    while pool and len(chosen) < n_docs:
        def gain(c):
            return len(c[3] - seen) / (len(c[0]["text"].encode()) + 300)
        best = max(pool, key=gain)
        pool.remove(best)
        size = len(best[0]["text"].encode())
        if used + size > budget_bytes:
            continue
        chosen.append(best)
        used += size
        seen |= best[3]
    return chosen


def features(text, words):
    return {w for w in words if not w.isascii() or not w.isalnum()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "crates", "tamis-text", "tests", "golden"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    with open(os.path.join(args.out, "en_edge_cases.jsonl"), "w", encoding="utf-8") as f:
        seen = set()
        for text in EDGE_CASES:
            assert text not in seen, repr(text)
            seen.add(text)
            f.write(json.dumps(case_row(text), ensure_ascii=False) + "\n")
    print(f"wrote en_edge_cases.jsonl: {len(EDGE_CASES)} cases", file=sys.stderr)
    write_jsonl_zst(os.path.join(args.out, "en_random.jsonl.zst"), [case_row(t) for t in random_cases(3000, 20240601)])

    candidates = []
    for name in ("pages", "articles"):
        rows = []
        for i, doc in enumerate(read_jsonl_zst(os.path.join(args.shared, "data", "corpus", f"{name}.jsonl.zst"))):
            row, words, line_counts = doc_row(doc)
            rows.append(row)
            candidates.append((doc, words, line_counts, features(doc["text"], words)))
            if i % 200 == 0:
                print(f"{name}: {i}", file=sys.stderr)
        write_jsonl_zst(os.path.join(args.out, f"en_{name}.jsonl.zst"), rows)

    subset = pick_subset(candidates, 200, 350_000)
    write_jsonl_zst(os.path.join(args.out, "en_subset.jsonl.zst"), [
        {"id": doc["id"], "text": doc["text"], "words": words, "sentences": sentences_of(doc["text"]),
         "c4_sentences": line_counts}
        for doc, words, line_counts, _ in subset
    ])


if __name__ == "__main__":
    main()
