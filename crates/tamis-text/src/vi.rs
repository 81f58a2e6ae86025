//! datatrove 0.10.1's Vietnamese word tokenizer: `SpaCyTokenizer("vi")` builds spaCy 3.8.18's
//! `VietnameseTokenizer` with pyvi (`spacy/lang/vi/__init__.py`, MIT; pyvi 0.1.1's
//! `ViTokenizer`, MIT, Viet-Trung Tran). Reimplemented from that behaviour, with pyvi's CRF model
//! and syllable n-grams and spaCy's syllable pattern exported by `tools/gen_vi_data.py`
//! (`data/vi/`):
//!
//! * the text is cut into syllables by spaCy's pattern (abbreviations, arrows, URLs, e-mail
//!   addresses, numbers with separators, single punctuation marks, runs of word characters),
//!   run by `pyre` with Python's semantics;
//! * pyvi's features of each syllable (lower case, `isupper`, `istitle`, `isdigit`, its
//!   neighbours', and whether it forms a known bi- or tri-gram with them) go to its CRF, run
//!   by the `crfs` crate (a port of CRFsuite's tagger);
//! * a syllable labelled `I_W` joins the previous one, with the whitespace between them,
//!   unless either is punctuation, starts with a digit, or it starts with a title-case letter
//!   after one that does not.

use std::io::Read;
use std::sync::OnceLock;

use crfs::Attribute;

use crate::crf::Crf;
use foldhash::{HashSet, HashSetExt};

use crate::pyre::{CharSet, Regex, Stack};

const MODEL: &[u8] = include_bytes!("../data/vi/model.crfsuite.zst");
const NGRAMS: &[u8] = include_bytes!("../data/vi/ngrams.txt.zst");
const REGEXES: &str = include_str!("../data/vi/regexes.txt");
const SETS: &str = include_str!("../data/vi/sets.txt");
const DIGITS: &str = include_str!("../data/vi/digits.txt");

struct Data {
    model: Crf,
    bi_grams: HashSet<&'static str>,
    tri_grams: HashSet<&'static str>,
    sets: Vec<CharSet>,
    syllable: Regex,
    /// `str.isdigit` characters that are not decimal digits (superscripts, circled digits).
    other_digits: HashSet<char>,
}

fn unzstd(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(bytes)
        .and_then(|mut d| d.read_to_end(&mut out))
        .expect("bundled Vietnamese data decodes");
    out
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let model = Crf::load(MODEL);
        let ngrams: &'static str = String::from_utf8(unzstd(NGRAMS))
            .expect("UTF-8 n-grams")
            .leak();
        let (mut bi_grams, mut tri_grams) = (HashSet::new(), HashSet::new());
        // pyvi: `fin.read().split('\n')`, then by the number of ' '-separated parts.
        for token in ngrams.split('\n') {
            match token.split(' ').count() {
                2 => {
                    bi_grams.insert(token);
                }
                3 => {
                    tri_grams.insert(token);
                }
                _ => {}
            }
        }
        let sets: Vec<CharSet> = crate::en::data::records(SETS)
            .map(|r| CharSet::new(crate::en::data::parse_ranges(&r[1])))
            .collect();
        let line = REGEXES
            .lines()
            .find(|l| !l.starts_with("# ") && !l.is_empty())
            .expect("the syllable pattern");
        let f: Vec<&str> = line.splitn(3, '\t').collect();
        let syllable = Regex::parse(f[1], f[2], &sets);
        let other_digits = DIGITS
            .lines()
            .filter(|l| !l.starts_with("# "))
            .flat_map(|l| l.split(' '))
            .filter_map(|h| u32::from_str_radix(h, 16).ok().and_then(char::from_u32))
            .collect();
        Data {
            model,
            bi_grams,
            tri_grams,
            sets,
            syllable,
            other_digits,
        }
    })
}

/// Python's `str.isdigit` for one character.
fn is_digit(d: &Data, c: char) -> bool {
    crate::py::is_decimal(c) || d.other_digits.contains(&c)
}

fn is_title_char(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory};
    get_general_category(c) == GeneralCategory::TitlecaseLetter
}

/// Python's `str.isupper`: some cased character, and none lower- or title-case.
fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() || is_title_char(c) {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

/// Python's `str.istitle`.
fn is_title(s: &str) -> bool {
    let (mut cased, mut previous_cased) = (false, false);
    for c in s.chars() {
        if c.is_uppercase() || is_title_char(c) {
            if previous_cased {
                return false;
            }
            previous_cased = true;
            cased = true;
        } else if c.is_lowercase() {
            if !previous_cased {
                return false;
            }
            previous_cased = true;
            cased = true;
        } else {
            previous_cased = false;
        }
    }
    cased
}

fn flag(name: &str, on: bool) -> Attribute {
    Attribute::new(name, if on { 1.0 } else { 0.0 })
}

/// pyvi's `word2features(sent, i)` as python-crfsuite turns the dict into attributes:
/// strings as `key:value` with 1.0, booleans and floats as `key` with their value.
fn features(d: &Data, sent: &[&str], lower: &[String], i: usize) -> Vec<Attribute> {
    let word = sent[i];
    let mut f = vec![
        Attribute::new("bias", 1.0),
        Attribute::new(format!("word.lower():{}", lower[i]), 1.0),
        flag("word.isupper()", is_upper(word)),
        flag("word.istitle()", is_title(word)),
        flag(
            "word.isdigit()",
            !word.is_empty() && word.chars().all(|c| is_digit(d, c)),
        ),
    ];
    if i > 0 {
        let w1 = sent[i - 1];
        f.push(Attribute::new(
            format!("-1:word.lower():{}", lower[i - 1]),
            1.0,
        ));
        f.push(flag("-1:word.istitle()", is_title(w1)));
        f.push(flag("-1:word.isupper()", is_upper(w1)));
        let bi = format!("{w1} {word}").to_lowercase();
        f.push(flag("-1:word.bi_gram()", d.bi_grams.contains(bi.as_str())));
        if i > 1 {
            let tri = format!("{} {w1} {word}", sent[i - 2]).to_lowercase();
            f.push(flag(
                "-2:word.tri_gram()",
                d.tri_grams.contains(tri.as_str()),
            ));
        }
    }
    if i + 1 < sent.len() {
        let w1 = sent[i + 1];
        f.push(Attribute::new(
            format!("+1:word.lower():{}", lower[i + 1]),
            1.0,
        ));
        f.push(flag("+1:word.istitle()", is_title(w1)));
        f.push(flag("+1:word.isupper()", is_upper(w1)));
        let bi = format!("{word} {w1}").to_lowercase();
        f.push(flag("+1:word.bi_gram()", d.bi_grams.contains(bi.as_str())));
        if i + 2 < sent.len() {
            let tri = format!("{word} {w1} {}", sent[i + 2]).to_lowercase();
            f.push(flag(
                "+2:word.tri_gram()",
                d.tri_grams.contains(tri.as_str()),
            ));
        }
    }
    f
}

/// `string.punctuation`, which spaCy tests with `in` (a substring test).
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Appends the byte spans of `SpaCyTokenizer("vi").word_tokenize(text)` to `out`.
pub fn word_spans_into(text: &str, out: &mut Vec<(u32, u32)>) {
    if crate::py::strip(text).is_empty() {
        // spaCy keeps an all-whitespace text as one token, which datatrove strips away.
        return;
    }
    let d = data();
    let text_chars = crate::chars::Chars::new(text);
    let chars = &text_chars.chars;
    let mut segs = Vec::new();
    d.syllable
        .find_iter(&d.sets, chars, &mut segs, &mut Stack::default());
    // Syllables: the segments that are not all whitespace, as byte spans.
    let spans: Vec<(u32, u32)> = segs
        .iter()
        .filter(|&&(a, b)| !chars[a..b].iter().all(|&c| crate::py::is_space(c)))
        .map(|&(a, b)| text_chars.span(a, b))
        .collect();
    let sent: Vec<&str> = spans
        .iter()
        .map(|&(a, b)| &text[a as usize..b as usize])
        .collect();
    let lower: Vec<String> = sent.iter().map(|w| w.to_lowercase()).collect();
    let labels = d.model.tag(sent.len(), |i| features(d, &sent, &lower, i));
    let inside = |label: u8| d.model.label(label) == "I_W";

    let first_char = |w: &str| w.chars().next().expect("non-empty syllable");
    let is_title_start = |w: &str| is_title(&w[..first_char(w).len_utf8()]);
    let mut start = spans[0].0;
    for i in 1..sent.len() {
        let (w, prev) = (sent[i], sent[i - 1]);
        let join = inside(labels[i])
            && !PUNCTUATION.contains(w)
            && !PUNCTUATION.contains(prev)
            && !is_digit(d, first_char(w))
            && !is_digit(d, first_char(prev))
            // Not a title-case start after a syllable that has none.
            && (!is_title_start(w) || is_title_start(prev));
        if !join {
            out.push((start, spans[i - 1].1));
            start = spans[i].0;
        }
    }
    out.push((start, spans[sent.len() - 1].1));
}

#[cfg(test)]
mod tests {
    fn words(text: &str) -> Vec<&str> {
        crate::chars::words_of(text, super::word_spans_into)
    }

    #[test]
    fn syllables_join_into_words() {
        assert_eq!(
            words("Trường đại học bách khoa hà nội"),
            ["Trường", "đại học", "bách khoa", "hà nội"]
        );
        assert!(words(" \n ").is_empty());
    }
}
