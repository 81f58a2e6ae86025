//! datatrove 0.10.1's `KhmerTokenizer`: khmer-nltk 1.6's `word_tokenize(text,
//! return_tokens=True)` (`khmernltk/word_tokenize/`, `utils/data.py`, Apache-2.0, Phan Viet
//! Hoang), then datatrove's `strip_strings`. Reimplemented from that behaviour, with
//! khmer-nltk's CRF and corrections exported by `tools/gen_khmer_burmese_data.py`
//! (`data/khmer/`):
//!
//! * `cleanup_str`: the text is stripped, double spaces halved, spaces wrapped in U+200B, the
//!   known mis-segmentations corrected, line breaks, U+2028 and U+200A removed;
//! * `seg_kcc`: the text is cut at U+200B into Khmer character clusters (a consonant or
//!   independent vowel with its signs; runs of digits; runs of other characters);
//! * each cluster is labelled by the CRF from the clusters around it (up to three either side,
//!   their types and whether they are "no space" characters); a "1" starts a word.
//!
//! Words are rebuilt from the cleaned text, so they are not always pieces of the original.

use std::sync::OnceLock;

use crfs::Attribute;

use crate::crf::Crf;

const MODEL: &[u8] = include_bytes!("../data/khmer/model.crfsuite.zst");
const CORRECTIONS: &str = include_str!("../data/khmer/corrections.txt");

/// khmer-nltk's `SEPARATOR`.
const ZWSP: char = '\u{200b}';

fn model() -> &'static Crf {
    static MODEL_: OnceLock<Crf> = OnceLock::new();
    MODEL_.get_or_init(|| Crf::load(MODEL))
}

fn corrections() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| {
        CORRECTIONS
            .lines()
            .filter(|l| !l.starts_with("# ") && !l.is_empty())
            .map(|l| {
                let (a, b) = l.split_once('\t').expect("from and to");
                let unescape = |s: &str| s.replace("\\u200b", "\u{200b}");
                (unescape(a), unescape(b))
            })
            .collect()
    })
}

/// KHCONST: the consonants and independent vowels.
fn is_consonant(c: char) -> bool {
    matches!(c, '\u{1780}'..='\u{17b3}')
}

/// KHVOWEL: the dependent vowels and signs U+17B4..U+17C8.
fn is_vowel(c: char) -> bool {
    matches!(c, '\u{17b4}'..='\u{17c8}')
}

fn is_number(c: char) -> bool {
    matches!(c, '០'..='៩' | '0'..='9')
}

fn is_symbol(c: char) -> bool {
    matches!(
        c,
        '៕' | '។' | '៛' | 'ៗ' | '៚' | '៙' | '៘' | ',' | '.' | '?' | ' '
    )
}

fn is_lunar(c: char) -> bool {
    matches!(c, '\u{19e0}'..='\u{19ff}')
}

/// `is_khmer_char`.
fn is_khmer(c: char) -> bool {
    matches!(c, '\u{1780}'..='\u{17ff}') || is_symbol(c) || is_lunar(c)
}

/// `is_start_of_kcc`; `None` is the empty string past the end of a word.
fn is_start_of_kcc(c: Option<char>) -> bool {
    match c {
        None => true, // "" is not a Khmer character
        Some(c) if is_khmer(c) => is_consonant(c) || is_symbol(c) || is_number(c) || is_lunar(c),
        Some(_) => true,
    }
}

/// `get_type(char)`: "NS" (Latin letters, digits and anything else without a class), "C",
/// "W", "S" or "D".
fn char_type(c: char) -> &'static str {
    let mut lower = c.to_lowercase();
    let single = match (lower.next(), lower.next()) {
        (Some(l), None) => Some(l),
        _ => None,
    };
    if single.is_some_and(|l| l.is_ascii_lowercase() || l.is_ascii_digit()) {
        return "NS";
    }
    if is_consonant(c) {
        "C"
    } else if is_vowel(c) {
        "W"
    } else if is_number(c) {
        "NS"
    } else if c == '\u{17d2}' {
        "S"
    } else if matches!(c, '\u{17c9}'..='\u{17d0}') {
        "D"
    } else {
        "NS"
    }
}

/// `cleanup_str(text)`.
fn cleanup(text: &str) -> String {
    let t = text.trim_matches(ZWSP);
    let mut t = crate::py::strip(t).replace("  ", " ");
    t = t.replace(' ', "\u{200b} \u{200b}");
    t = t.replace("\u{200b}\u{200b}", "\u{200b}");
    t = t.replace("\u{200b}\u{200b}", "\u{200b}");
    for (from, to) in corrections() {
        t = t.replace(from.as_str(), to);
    }
    t = t.replace(['\u{2028}', '\u{200a}'], "");
    crate::py::strip(&t).replace('\n', "").replace("  ", " ")
}

/// `seg_kcc(text)`: the clusters.
fn clusters(text: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    for word in text.split(ZWSP) {
        let chars: Vec<char> = word.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            cur.push(c);
            let next = chars.get(i + 1).copied();
            let next_is = |f: fn(char) -> bool| next.is_some_and(f);
            if !is_khmer(c) && next.is_some() && next != Some(' ') && !next_is(is_khmer) {
                continue;
            }
            if is_number(c) && next_is(is_number) {
                continue;
            }
            // A cluster ends at a non-Khmer character, before a space or the end, or before
            // the start of the next cluster (not after a subscript sign).
            if !is_khmer(c)
                || next == Some(' ')
                || next.is_none()
                || (is_start_of_kcc(next) && c != '\u{17d2}')
            {
                segs.push(std::mem::take(&mut cur));
            }
        }
    }
    segs
}

fn kcc_type(k: &str) -> String {
    let mut it = k.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => char_type(c).to_string(),
        _ => format!("K{}", k.chars().count()),
    }
}

fn no_space(k: &str) -> bool {
    k.chars().next().is_some_and(|c| char_type(c) == "NS")
}

/// `kcc_to_features(kccs, i)` as python-crfsuite reads the dict.
fn features(k: &[String], i: usize) -> Vec<Attribute> {
    let s = |name: &str, v: &str| Attribute::new(format!("{name}:{v}"), 1.0);
    let b = |name: &str, v: bool| Attribute::new(name, if v { 1.0 } else { 0.0 });
    let n = k.len();
    let mut f = vec![
        s("kcc", &k[i]),
        s("t", &kcc_type(&k[i])),
        b("ns", no_space(&k[i])),
    ];
    if i >= 1 {
        f.push(s("kcc[-1]", &k[i - 1]));
        f.push(s("kcc[-1]t", &kcc_type(&k[i - 1])));
        f.push(s("kcc[-1:0]", &format!("{}{}", k[i - 1], k[i])));
        f.push(b("ns-1", no_space(&k[i - 1])));
    } else {
        f.push(b("BOS", true));
    }
    if i >= 2 {
        f.push(s("kcc[-2]", &k[i - 2]));
        f.push(s("kcc[-2]t", &kcc_type(&k[i - 2])));
        f.push(s("kcc[-2:-1]", &format!("{}{}", k[i - 2], k[i - 1])));
        f.push(s("kcc[-2:0]", &format!("{}{}{}", k[i - 2], k[i - 1], k[i])));
    }
    if i >= 3 {
        f.push(s("kcc[-3]", &k[i - 3]));
        f.push(s("kcc[-3]t", &kcc_type(&k[i - 3])));
        f.push(s(
            "kcc[-3:0]",
            &format!("{}{}{}{}", k[i - 3], k[i - 2], k[i - 1], k[i]),
        ));
        f.push(s(
            "kcc[-3:-1]",
            &format!("{}{}{}", k[i - 3], k[i - 2], k[i - 1]),
        ));
        f.push(s("kcc[-3:-2]", &format!("{}{}", k[i - 3], k[i - 2])));
    }
    if i + 1 < n {
        f.push(s("kcc[+1]", &k[i + 1]));
        f.push(s("kcc[+1]t", &kcc_type(&k[i + 1])));
        f.push(s("kcc[+1:0]", &format!("{}{}", k[i], k[i + 1])));
        f.push(b("ns+1", no_space(&k[i + 1])));
    } else {
        f.push(b("EOS", true));
    }
    if i + 2 < n {
        f.push(s("kcc[+2]", &k[i + 2]));
        f.push(s("kcc[+2]t", &kcc_type(&k[i + 2])));
        f.push(s("kcc[+1:+2]", &format!("{}{}", k[i + 1], k[i + 2])));
        f.push(s("kcc[0:+2]", &format!("{}{}{}", k[i], k[i + 1], k[i + 2])));
        f.push(b("ns+2", no_space(&k[i + 2])));
    }
    if i + 3 < n {
        f.push(s("kcc[+3]", &k[i + 3]));
        f.push(s("kcc[+3]t", &kcc_type(&k[i + 3])));
        f.push(s("kcc[+2:+3]", &format!("{}{}", k[i + 2], k[i + 3])));
        f.push(s(
            "kcc[+1:+3]",
            &format!("{}{}{}", k[i + 1], k[i + 2], k[i + 3]),
        ));
        f.push(s(
            "kcc[0:+3]",
            &format!("{}{}{}{}", k[i], k[i + 1], k[i + 2], k[i + 3]),
        ));
    }
    f
}

/// `KhmerTokenizer().word_tokenize(text)`.
pub fn words(text: &str) -> Vec<String> {
    let kccs = clusters(&cleanup(text));
    if kccs.is_empty() {
        return Vec::new();
    }
    let crf = model();
    let labels = crf.tag(kccs.len(), |i| features(&kccs, i));
    let mut tokens: Vec<String> = Vec::new();
    for (i, (kcc, &label)) in kccs.iter().zip(&labels).enumerate() {
        match tokens.last_mut() {
            Some(last) if crf.label(label) != "1" && i > 0 => last.push_str(kcc),
            _ => tokens.push(kcc.clone()),
        }
    }
    tokens
        .iter()
        .map(|t| crate::py::strip(t))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}
