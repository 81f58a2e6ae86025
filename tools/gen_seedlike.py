#!/usr/bin/env python3
"""Seed-like pages: real article text with the junk of ../shared/fixtures/seed/page.txt around it.

usage: tools/gen_seedlike.py [--shared ../shared] [--seed 1] [--out FILE.jsonl]

The seed page is an article wrapped in keyword spam in other languages and scripts, a line of
link spam, a breadcrumb, captions, a syndication footer and a teaser block of other articles
shown twice. The labelled pages have few such pages, so a line model trained on them alone
learns little of that junk. This script builds pages of that shape from shared material, with
labels known by construction:
  - the article is the content lines (label C) of a page of ../shared/data/labelled, in order,
    its paragraphs separated by blank lines or not;
  - keyword spam (S): lines of betting and casino terms in one or two of fourteen languages
    (the terms below, written for this script) mixed with made-up brand names and their bare
    domains;
  - link spam (S): a line of URLs of such domains;
  - a breadcrumb, a date line, tag and share lines, a syndication footer, copyright and
    policy lines (B), worded in several ways;
  - teaser blocks (B): a header, then headlines of other labelled pages' articles, each with
    or without a blurb (its first words, sometimes behind a breadcrumb), repeated once in most
    pages, as on the seed page.
Each record is {"id": "seedlike/SOURCE/N", "text", "labels"} like the labelled pages (E for
blank lines), SOURCE being the source of the article's page, so a fold that holds a source out
can leave out the seed-like pages made from it. The same --seed gives the same pages.
"""
import argparse
import json
import os
import random
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Betting and casino terms, fourteen languages (written for this script).
TERMS = {
    "fa": ["شرط بندی", "سایت شرط بندی", "کازینو آنلاین", "بازی انفجار", "پیش بینی فوتبال",
           "بت", "ورود به سایت"],
    "tr": ["bahis siteleri", "deneme bonusu", "canlı bahis", "casino siteleri", "giriş",
           "güncel adres", "yeni giriş"],
    "en": ["online casino", "best betting sites", "free spins", "slot online", "casino bonus",
           "sports betting", "login"],
    "id": ["judi online", "slot gacor", "situs judi", "togel online", "daftar slot",
           "link alternatif"],
    "ru": ["ставки на спорт", "онлайн казино", "букмекерская контора", "игровые автоматы",
           "бонус", "зеркало", "вход"],
    "de": ["Online Casino", "Sportwetten", "Casino Bonus ohne Einzahlung", "Spielautomaten",
           "Wettanbieter"],
    "es": ["apuestas deportivas", "casino en línea", "tragamonedas", "bono de bienvenida",
           "casas de apuestas"],
    "pt": ["apostas esportivas", "cassino online", "caça-níqueis", "bônus de boas-vindas",
           "casa de apostas"],
    "ar": ["مراهنات", "كازينو اون لاين", "مواقع المراهنات", "العاب القمار", "بونص"],
    "vi": ["cá cược bóng đá", "nhà cái uy tín", "casino trực tuyến", "nổ hũ", "đăng ký"],
    "th": ["แทงบอล", "คาสิโนออนไลน์", "สล็อต", "เว็บพนัน", "เครดิตฟรี"],
    "zh": ["在线赌场", "体育博彩", "老虎机", "百家乐", "注册送彩金"],
    "pl": ["kasyno online", "zakłady bukmacherskie", "automaty do gier", "bonus bez depozytu"],
    "it": ["scommesse sportive", "casinò online", "slot machine", "bonus senza deposito"],
}
SECTIONS = ["News", "World", "Politics", "Opinion", "Business", "Culture", "Sport", "Tech",
            "Health", "Local", "Analysis", "Features", "Blog"]
TEASER_HEADERS = ["Latest articles", "More like this", "Related posts", "You may also like",
                  "Read next", "Most popular", "Recommended for you", "Latest news",
                  "Trending now", "Related Articles"]
FOOTERS = [
    "The post {title} appeared first on {site}.",
    "This article was originally published on {site}. Read the original article.",
    "Source | {site}",
    "Republished with permission from {site}.",
    "This story first appeared on {site}.",
]
BOILERPLATE = [
    "© {year} {site}. All rights reserved.",
    "Copyright {year} {site}",
    "Privacy Policy | Terms of Use | Contact Us",
    "Share this: Facebook Twitter WhatsApp Email",
    "Share on Facebook Share on Twitter",
    "Subscribe to our newsletter",
    "Sign up for our daily newsletter and get the latest stories in your inbox.",
    "Tags: {tags}",
    "Filed under: {tags}",
    "Leave a comment",
    "Click here to subscribe",
    "Advertisement",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def read_zst(path):
    raw = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    return [json.loads(l) for l in raw.decode().splitlines() if l.strip()]


SYLLABLES = ["win", "bet", "max", "lucky", "star", "royal", "vegas", "spin", "mega", "gold",
             "jack", "pot", "ace", "bahis", "kazino", "slot", "club", "play", "fortune", "king",
             "cash", "jet", "red", "bonus", "gala", "nova", "pari", "tipo", "loto", "casino"]
TLDS = [".com", ".net", ".io", ".bet", ".casino", ".org", ".xyz", ".co", ".info", ".ir",
        ".com.tr", ".win", ".club", ".vip"]


def brands(rng, n=400):
    """Made-up betting brand names and their domains (none taken from a list: the names are
    syllables of the trade joined at random, with a number now and then)."""
    names = set()
    while len(names) < n:
        name = "".join(rng.sample(SYLLABLES, rng.choice([1, 2, 2, 3])))
        if rng.random() < 0.3:
            name += str(rng.randint(1, 999))
        names.add(name)
    names = sorted(names)
    domains = [n + rng.choice(TLDS) for n in names]
    return domains, names


def words(text, n):
    return " ".join(text.split()[:n])


def page(rng, art, others, domains, names):
    """One seed-like page: (lines, labels)."""
    lines, labels = [], []

    def add(line, label):
        lines.append(line)
        labels.append(label)

    site = art["site"]
    title = art["title"]
    year = rng.randint(2015, 2025)
    # Keyword spam in one or two languages, with brands and domains.
    if rng.random() < 0.8:
        langs = rng.sample(sorted(TERMS), rng.choice([1, 1, 2]))
        for _ in range(rng.randint(5, 24)):
            terms = TERMS[rng.choice(langs)]
            kind = rng.random()
            if kind < 0.35:
                add(f"{rng.choice(names)} {rng.choice(terms)}", "S")
            elif kind < 0.6:
                add(rng.choice(terms), "S")
            elif kind < 0.8:
                add(f"{rng.choice(terms)} {rng.choice(names)}", "S")
            elif kind < 0.9:
                add(rng.choice(domains) + rng.choice(["", "/"]), "S")
            else:
                add(f"{rng.choice(terms)} {year}", "S")
    if rng.random() < 0.6:
        urls = [("https://" if rng.random() < 0.7 else "") + rng.choice(domains) +
                rng.choice(["/", "", "/?ref=home", "/giris"]) for _ in range(rng.randint(3, 12))]
        add(" ".join(urls), "S")
    section = rng.choice(SECTIONS)
    crumb = rng.random()
    if crumb < 0.4:
        add(f"Home » {section} » {title}", "B")
    elif crumb < 0.6:
        add(f"Home{section}{title}", "B")
    elif crumb < 0.75:
        add(f"Home > {section} > {title}", "B")
    blank = rng.random() < 0.6

    def sep():
        if blank:
            add("", "E")

    sep()
    if rng.random() < 0.5:
        add(f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {year}", "B")
        sep()
    tags = ", ".join(rng.sample(SECTIONS, 3))
    caption_at = rng.randint(2, max(2, len(art["lines"]) - 1)) if rng.random() < 0.4 else -1
    for k, line in enumerate(art["lines"]):
        if k == caption_at:
            add(f"{rng.choice(['Photo', 'Image', 'Top photo'])} | {rng.choice(names).title()} / "
                f"{site}", "B")
            sep()
        add(line, "C")
        sep()
    if rng.random() < 0.7:
        add(rng.choice(FOOTERS).format(title=title, site=site), "B")
        sep()
    for _ in range(rng.randint(0, 3)):
        add(rng.choice(BOILERPLATE).format(year=year, site=site, tags=tags), "B")
        sep()
    # Teaser blocks: headlines of other articles, with or without a blurb; mostly twice.
    if rng.random() < 0.85:
        teasers = []
        for o in rng.sample(others, rng.randint(3, 6)):
            t = [o["title"]]
            style = rng.random()
            blurb = words(o["first"], rng.randint(15, 45))
            if style < 0.35:
                t.append(f"Home » {rng.choice(SECTIONS)} » {o['title']} {blurb}")
            elif style < 0.7:
                t.append(blurb + rng.choice(["", "", "…", " ...", " Read more"]))
            teasers.append(t)
        headers = rng.sample(TEASER_HEADERS, 2)
        for copy in range(1 if rng.random() < 0.25 else 2):
            add(headers[copy], "B")
            sep()
            for t in teasers:
                for l in t:
                    add(l, "B")
                    sep()
    for _ in range(rng.randint(0, 3)):
        add(rng.choice(BOILERPLATE).format(year=year, site=site, tags=tags), "B")
    while labels and labels[-1] == "E":
        lines.pop()
        labels.pop()
    return lines, labels


def articles(shared):
    """The content lines of each labelled page, with a headline-like title."""
    out = []
    for rec in read_zst(os.path.join(shared, "data", "labelled", "pages.jsonl.zst")):
        lines = rec["text"].split("\n")
        content = [l.strip() for l, lab in zip(lines, rec["labels"]) if lab == "C" and l.strip()]
        prose = [l for l in content if len(l.split()) >= 12]
        if len(content) < 4 or not prose or sum(map(len, content)) < 800:
            continue
        short = [l for l in content[:5] if 3 <= len(l.split()) <= 14]
        title = (short[0] if short else words(prose[0], 10)).rstrip(".")
        out.append({"id": rec["id"], "source": rec["id"].split("/", 1)[0], "lines": content,
                    "title": title, "first": prose[0],
                    "site": f"{rec['id'].split('/', 1)[1][:6]}.example"})
    return out


def generate(shared, seed):
    """Seed-like pages, one per usable labelled page, as labelled-page records."""
    rng = random.Random(seed)
    domains, names = brands(rng)
    arts = articles(shared)
    by_source = {}
    for a in arts:
        by_source.setdefault(a["source"], []).append(a)
    out = []
    for n, art in enumerate(arts):
        # Teasers come from the same source, so a held-out source stays unseen.
        others = [o for o in by_source[art["source"]] if o is not art]
        if len(others) < 6:
            continue
        lines, labels = page(rng, art, others, domains, names)
        out.append({"id": f"seedlike/{art['source']}/{n}", "text": "\n".join(lines),
                    "labels": "".join(labels)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    pages = generate(a.shared, a.seed)
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
