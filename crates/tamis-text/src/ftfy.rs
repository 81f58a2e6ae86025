//! ftfy's `fix_text` (ftfy 6.3.1, Robyn Speer; `ftfy/__init__.py`, `fixes.py`, `chardata.py`,
//! `badness.py`, `bad_codecs/`) with the settings of datatrove 0.10.1's `FTFYFormatter`
//! (`pipeline/formatters/ftfy.py`), which FineWeb-2 runs as a final touch: HTML entities
//! (`unescape_html="auto"`), terminal escapes, mojibake (`fix_encoding` with `restore_byte_a0`,
//! `replace_lossy_sequences`, `decode_inconsistent_utf8`, `fix_c1_controls`) and control
//! characters are fixed; ligatures, character width, quotes, line breaks and normalization are
//! left alone.
//!
//! The algorithm is reimplemented here; its data (the mojibake heuristic and the other regular
//! expressions as parsed trees, the single-byte encodings, the HTML entities, Python's
//! `html.unescape` tables) is generated from ftfy and Python by `tools/gen_ftfy_data.py` and
//! the regexes run with Python's semantics (the crate's `pyre` module).
//!
//! Python strings can hold lone surrogates and Rust strings cannot, so `fix_surrogates` has
//! nothing to do here.

use std::ops::Range;
use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::en::data::{parse_ranges, records};
use crate::pyre::{CharSet, Regex, Stack};

const REGEXES: &str = include_str!("../data/ftfy/regexes.txt");
const SETS: &str = include_str!("../data/ftfy/sets.txt");
const ENCODINGS: &str = include_str!("../data/ftfy/encodings.txt");
const ENTITIES: &str = include_str!("../data/ftfy/entities.txt");
const CHARREFS: &str = include_str!("../data/ftfy/charrefs.txt");
const CONTROL: &str = include_str!("../data/ftfy/control.txt");

// Regex ids, in the generator's order.
const BADNESS: usize = 0;
const UTF8_DETECTOR: usize = 1;
const HTML_ENTITY: usize = 2;
const ANSI: usize = 3;
const ALTERED_UTF8: usize = 4;
const LOSSY_UTF8: usize = 5;
const A_GRAVE_WORD: usize = 6;
const SPECIAL_BYTES: usize = 7;
const CESU8: usize = 8;

/// `chardata.CHARMAP_ENCODINGS`, in the order ftfy tries them.
const CHARMAP_ENCODINGS: [&str; 10] = [
    "latin-1",
    "sloppy-windows-1252",
    "sloppy-windows-1251",
    "sloppy-windows-1250",
    "sloppy-windows-1253",
    "sloppy-windows-1254",
    "sloppy-windows-1257",
    "iso-8859-2",
    "macroman",
    "cp437",
];

/// ftfy's `TextFixerConfig.max_decode_length`.
const MAX_DECODE_LENGTH: usize = 1_000_000;

struct Encoding {
    name: String,
    decode: [Option<char>; 256],
    encode: HashMap<char, u8>,
    /// ASCII characters the codec refuses (the sloppy codecs' U+001A).
    no_ascii: [bool; 128],
    /// The characters `possible_encoding` accepts beyond `\x00-\x19\x1b-\x7f`: those of bytes
    /// 0x80-0xFF and 0x1A.
    extra: HashSet<char>,
}

struct Data {
    sets: Vec<CharSet>,
    regexes: Vec<Regex>,
    encodings: Vec<Encoding>,
    entities: HashMap<String, String>,
    invalid_charrefs: HashMap<u32, String>,
    drop_charrefs: HashSet<u32>,
    control: HashSet<char>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let sets: Vec<CharSet> = records(SETS)
            .map(|r| CharSet::new(parse_ranges(&r[1])))
            .collect();
        let regexes = REGEXES
            .lines()
            .filter(|l| !l.starts_with("# ") && !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.splitn(3, '\t').collect();
                Regex::parse(f[1], f[2], &sets)
            })
            .collect();
        let mut encodings: Vec<Encoding> = Vec::new();
        let index = |encs: &Vec<Encoding>, name: &str| {
            encs.iter()
                .position(|e| e.name == name)
                .expect("decoded first")
        };
        for r in records(ENCODINGS) {
            match r[0].as_str() {
                "decode" => {
                    let mut decode = [None; 256];
                    for (b, h) in r[2..].iter().enumerate() {
                        decode[b] = u32::from_str_radix(h, 16).ok().and_then(char::from_u32);
                    }
                    let extra = (0x80..256)
                        .chain([0x1a])
                        .filter_map(|b| decode[b])
                        .collect();
                    encodings.push(Encoding {
                        name: r[1].clone(),
                        decode,
                        encode: HashMap::new(),
                        no_ascii: [false; 128],
                        extra,
                    });
                }
                "encode" => {
                    let i = index(&encodings, &r[1]);
                    let c = u32::from_str_radix(&r[2], 16).ok().and_then(char::from_u32);
                    let b = u8::from_str_radix(&r[3], 16).expect("byte");
                    encodings[i].encode.insert(c.expect("char"), b);
                }
                "noencode" => {
                    let i = index(&encodings, &r[1]);
                    let c = usize::from_str_radix(&r[2], 16).expect("ascii");
                    encodings[i].no_ascii[c] = true;
                }
                other => panic!("bad encodings record {other:?}"),
            }
        }
        let entities = records(ENTITIES)
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        let mut invalid_charrefs = HashMap::new();
        let mut drop_charrefs = HashSet::new();
        for r in records(CHARREFS) {
            let n = u32::from_str_radix(&r[1], 16).expect("number");
            match r[0].as_str() {
                "invalid" => {
                    invalid_charrefs.insert(n, r[2].clone());
                }
                _ => {
                    drop_charrefs.insert(n);
                }
            }
        }
        let control = records(CONTROL)
            .filter_map(|r| u32::from_str_radix(&r[0], 16).ok().and_then(char::from_u32))
            .collect();
        Data {
            sets,
            regexes,
            encodings,
            entities,
            invalid_charrefs,
            drop_charrefs,
            control,
        }
    })
}

/// The text of `fix_text(text, config=FTFYFormatter().config)`.
pub fn fix_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (range, replacement) in fix_text_edits(text) {
        out.push_str(&text[pos..range.start]);
        out.push_str(&replacement);
        pos = range.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// ftfy's `unescape_html` setting: whether HTML entities are decoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnescapeHtml {
    /// ftfy's default: decode until a segment holds a `<` (the text looks like HTML), and not
    /// after it.
    #[default]
    Auto,
    /// Always decode.
    Always,
    /// Never decode.
    Never,
}

/// [`fix_text`] as edits of `text`: sorted, disjoint byte ranges and what replaces each, each
/// as narrow as the change (common leading and trailing characters left out).
pub fn fix_text_edits(text: &str) -> Vec<(Range<usize>, String)> {
    fix_text_edits_with(text, UnescapeHtml::Auto)
}

/// [`fix_text_edits`] with ftfy's `unescape_html` set to `mode`.
pub fn fix_text_edits_with(text: &str, mode: UnescapeHtml) -> Vec<(Range<usize>, String)> {
    let d = data();
    let mut st = Stack::default();
    let mut edits = Vec::new();
    // "auto": entities are decoded until a segment holds '<'; ftfy keeps the changed config
    // for the segments after it.
    let mut unescape = mode != UnescapeHtml::Never;
    let mut start = 0;
    while start < text.len() {
        // Segments end after a '\n', or after MAX_DECODE_LENGTH characters.
        let mut end = text.len();
        let mut count = 0;
        for (i, c) in text[start..].char_indices() {
            count += 1;
            if c == '\n' || count == MAX_DECODE_LENGTH {
                end = start + i + c.len_utf8();
                break;
            }
        }
        let segment = &text[start..end];
        if mode == UnescapeHtml::Auto && unescape && segment.contains('<') {
            unescape = false;
        }
        if needs_work(segment, unescape) {
            let chars: Vec<char> = segment.chars().collect();
            let fixed = fix_segment(d, chars.clone(), unescape, &mut st);
            if fixed != chars {
                let head = chars.iter().zip(&fixed).take_while(|(a, b)| a == b).count();
                let tail = chars[head..]
                    .iter()
                    .rev()
                    .zip(fixed[head..].iter().rev())
                    .take_while(|(a, b)| a == b)
                    .count();
                let byte = |n: usize| chars[..n].iter().map(|c| c.len_utf8()).sum::<usize>();
                let (a, b) = (start + byte(head), start + byte(chars.len() - tail));
                edits.push((a..b, fixed[head..fixed.len() - tail].iter().collect()));
            }
        }
        start = end;
    }
    edits
}

/// Whether any fix could change `segment`: ftfy leaves ASCII without entities, escapes or
/// control characters alone.
fn needs_work(segment: &str, unescape: bool) -> bool {
    segment.bytes().any(|b| {
        b >= 0x80
            || (unescape && b == b'&')
            || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r'))
            || b == 0x7f
    })
}

/// `fix_and_explain`: every fix in ftfy's order, until nothing changes.
fn fix_segment(d: &Data, mut text: Vec<char>, unescape: bool, st: &mut Stack) -> Vec<char> {
    loop {
        let orig = text.clone();
        if unescape {
            text = unescape_html(d, &text, st);
        }
        text = fix_encoding(d, text, st);
        text = fix_c1_controls(d, &text);
        text = sub(d, ANSI, &text, st, |_| Vec::new());
        text.retain(|c| !d.control.contains(c));
        if text == orig {
            return text;
        }
    }
}

/// `re.sub(regex, f, text)`.
fn sub(
    d: &Data,
    regex: usize,
    text: &[char],
    st: &mut Stack,
    mut f: impl FnMut(&[char]) -> Vec<char>,
) -> Vec<char> {
    let mut matches = Vec::new();
    d.regexes[regex].find_iter(&d.sets, text, &mut matches, st);
    if matches.is_empty() {
        return text.to_vec();
    }
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    for (a, b) in matches {
        out.extend_from_slice(&text[pos..a]);
        out.extend(f(&text[a..b]));
        pos = b;
    }
    out.extend_from_slice(&text[pos..]);
    out
}

/// `re.sub` over bytes, the regex having been exported over Latin-1 code points.
fn sub_bytes(
    d: &Data,
    regex: usize,
    bytes: &[u8],
    st: &mut Stack,
    f: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let chars: Vec<char> = bytes.iter().map(|&b| char::from(b)).collect();
    let mut matches = Vec::new();
    d.regexes[regex].find_iter(&d.sets, &chars, &mut matches, st);
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    for (a, b) in matches {
        out.extend_from_slice(&bytes[pos..a]);
        out.extend(f(&bytes[a..b]));
        pos = b;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

fn search_bytes(d: &Data, regex: usize, bytes: &[u8], st: &mut Stack) -> Option<(usize, usize)> {
    let chars: Vec<char> = bytes.iter().map(|&b| char::from(b)).collect();
    d.regexes[regex].search(&d.sets, &chars, st)
}

fn is_bad(d: &Data, text: &[char], st: &mut Stack) -> bool {
    d.regexes[BADNESS].search(&d.sets, text, st).is_some()
}

/// `fixes.unescape_html`.
fn unescape_html(d: &Data, text: &[char], st: &mut Stack) -> Vec<char> {
    if !text.contains(&'&') {
        return text.to_vec();
    }
    sub(d, HTML_ENTITY, text, st, |m| {
        let s: String = m.iter().collect();
        if let Some(v) = d.entities.get(&s) {
            return v.chars().collect();
        }
        if s.starts_with("&#") {
            if let Some(r) = numeric_charref(d, &s) {
                // ftfy keeps the entity when html.unescape left a ';' in its result.
                if !r.contains(';') {
                    return r.chars().collect();
                }
            }
        }
        m.to_vec()
    })
}

/// What Python's `html.unescape` makes of `s` = "&#" + 1-24 ASCII letters or digits + ";",
/// when its numeric reference ends right at the ';' (else the result keeps text after it, and
/// with it the ';', and `None` says so).
fn numeric_charref(d: &Data, s: &str) -> Option<String> {
    let body = &s[2..s.len() - 1];
    let (digits, radix) = match body.as_bytes().first() {
        Some(b'x' | b'X') => (&body[1..], 16),
        _ => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let num = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
    if let Some(v) = d.invalid_charrefs.get(&num) {
        return Some(v.clone());
    }
    if (0xD800..=0xDFFF).contains(&num) || num > 0x10FFFF {
        return Some('\u{FFFD}'.to_string());
    }
    if d.drop_charrefs.contains(&num) {
        return Some(String::new());
    }
    char::from_u32(num).map(String::from)
}

/// `fix_encoding`: one step at a time until the text stops changing.
fn fix_encoding(d: &Data, mut text: Vec<char>, st: &mut Stack) -> Vec<char> {
    loop {
        let next = fix_encoding_step(d, &text, st);
        if next == text {
            return text;
        }
        text = next;
    }
}

fn encoding<'d>(d: &'d Data, name: &str) -> &'d Encoding {
    d.encodings
        .iter()
        .find(|e| e.name == name)
        .expect("generated encoding")
}

/// `chardata.possible_encoding` for a single-byte encoding.
fn possible(e: &Encoding, text: &[char]) -> bool {
    text.iter()
        .all(|&c| ((c as u32) < 0x80 && c != '\u{1a}') || e.extra.contains(&c))
}

fn encode(e: &Encoding, text: &[char]) -> Option<Vec<u8>> {
    text.iter()
        .map(|&c| {
            let cp = c as u32;
            if cp < 0x80 {
                (!e.no_ascii[cp as usize]).then_some(cp as u8)
            } else {
                e.encode.get(&c).copied()
            }
        })
        .collect()
}

/// `_fix_encoding_one_step_and_explain`.
fn fix_encoding_step(d: &Data, text: &[char], st: &mut Stack) -> Vec<char> {
    if text.is_empty() || text.iter().all(|&c| (c as u32) < 0x80) || !is_bad(d, text, st) {
        return text.to_vec();
    }
    let mut possible_1byte = Vec::new();
    for name in CHARMAP_ENCODINGS {
        let e = encoding(d, name);
        if !possible(e, text) {
            continue;
        }
        possible_1byte.push(name);
        let Some(mut bytes) = encode(e, text) else {
            continue;
        };
        if name != "macroman" && search_bytes(d, ALTERED_UTF8, &bytes, st).is_some() {
            bytes = restore_byte_a0(d, &bytes, st);
        }
        if name.starts_with("sloppy") {
            bytes = sub_bytes(d, LOSSY_UTF8, &bytes, st, |_| {
                "\u{FFFD}".as_bytes().to_vec()
            });
        }
        let decoded = if bytes.contains(&0xED) || bytes.contains(&0xC0) {
            decode_utf8_variants(d, &bytes, st)
        } else {
            String::from_utf8(bytes).ok()
        };
        if let Some(s) = decoded {
            return s.chars().collect();
        }
    }
    if d.regexes[UTF8_DETECTOR].search(&d.sets, text, st).is_some() {
        let fixed = decode_inconsistent_utf8(d, text, st);
        if fixed != text {
            return fixed;
        }
    }
    // ftfy asks for "windows-1252" among the possible encodings, which only ever holds the
    // sloppy one: so Latin-1 text is always re-read as strict windows-1252 here.
    if possible_1byte.contains(&"latin-1") {
        let w = encoding(d, "windows-1252");
        let fixed: Option<Vec<char>> = text.iter().map(|&c| w.decode[c as u32 as usize]).collect();
        if let Some(fixed) = fixed {
            if fixed != text {
                return fixed;
            }
        }
    }
    if text.iter().any(|&c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return fix_c1_controls(d, text);
    }
    text.to_vec()
}

/// `fixes.restore_byte_a0`.
fn restore_byte_a0(d: &Data, bytes: &[u8], st: &mut Stack) -> Vec<u8> {
    let bytes = sub_bytes(d, A_GRAVE_WORD, bytes, st, |_| vec![0xC3, 0xA0, b' ']);
    sub_bytes(d, ALTERED_UTF8, &bytes, st, |m| {
        m.iter()
            .map(|&b| if b == b' ' { 0xA0 } else { b })
            .collect()
    })
}

/// `fixes.decode_inconsistent_utf8`.
fn decode_inconsistent_utf8(d: &Data, text: &[char], st: &mut Stack) -> Vec<char> {
    let mut matches = Vec::new();
    d.regexes[UTF8_DETECTOR].find_iter(&d.sets, text, &mut matches, st);
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    for (a, b) in matches {
        out.extend_from_slice(&text[pos..a]);
        let sub = &text[a..b];
        if sub.len() < text.len() && is_bad(d, sub, st) {
            out.extend(fix_encoding(d, sub.to_vec(), st));
        } else {
            out.extend_from_slice(sub);
        }
        pos = b;
    }
    out.extend_from_slice(&text[pos..]);
    out
}

/// `fixes.fix_c1_controls`: C1 controls read as sloppy windows-1252.
fn fix_c1_controls(d: &Data, text: &[char]) -> Vec<char> {
    if !text.iter().any(|&c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return text.to_vec();
    }
    let w = encoding(d, "sloppy-windows-1252");
    text.iter()
        .map(|&c| {
            if ('\u{80}'..='\u{9f}').contains(&c) {
                w.decode[c as u32 as usize].unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// ftfy's "utf-8-variants" decoder: UTF-8, plus CESU-8 surrogate pairs and Java's two-byte
/// null; `None` where Python's decoder would raise.
fn decode_utf8_variants(d: &Data, bytes: &[u8], st: &mut Stack) -> Option<String> {
    let strict = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_owned);
    let mut out = String::with_capacity(bytes.len());
    let mut pos = 0;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let Some((start, _)) = search_bytes(d, SPECIAL_BYTES, rest, st) else {
            out.push_str(&strict(rest)?);
            break;
        };
        if start > 0 {
            out.push_str(&strict(&rest[..start])?);
            pos += start;
            continue;
        }
        if rest[0] == 0xC0 {
            if rest.len() > 1 {
                out.push('\0');
                pos += 2;
                continue;
            }
            return None;
        }
        if rest.len() < 6 {
            out.push_str(&strict(rest)?);
            break;
        }
        let chars: Vec<char> = rest.iter().map(|&b| char::from(b)).collect();
        if !d.regexes[CESU8].is_match_at_start(&d.sets, &chars, st) {
            // An encoded surrogate outside a pair: Python's decoder rejects it.
            return None;
        }
        let cp = ((u32::from(rest[1]) & 0x0F) << 16)
            + ((u32::from(rest[2]) & 0x3F) << 10)
            + ((u32::from(rest[4]) & 0x0F) << 6)
            + (u32::from(rest[5]) & 0x3F)
            + 0x10000;
        out.push(char::from_u32(cp)?);
        pos += 6;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ftfys_own_examples() {
        assert_eq!(fix_text("âœ” No problems"), "✔ No problems");
        assert_eq!(fix_text("sÃ³"), "só");
        assert_eq!(fix_text("voilÃ le travail"), "voilà le travail");
        assert_eq!(fix_text("&lt;tag&gt;"), "<tag>");
        assert_eq!(fix_text("P&EACUTE;REZ"), "PÉREZ");
        assert_eq!(
            fix_text("&ntilde; &Ntilde; &NTILDE; &nTILDE;"),
            "ñ Ñ Ñ &nTILDE;"
        );
        assert_eq!(
            fix_text("\u{1b}[36;44mI'm blue, da ba dee da ba doo...\u{1b}[0m"),
            "I'm blue, da ba dee da ba doo..."
        );
        assert_eq!(fix_text("plain text\n"), "plain text\n");
    }
}
