//! datatrove 0.10.1's `BurmeseTokenizer`: pyidaungsu 0.1.4's `tokenize(text, form="word")`
//! (`pyidaungsu/tokenize.py`, MIT, Kaung Htet San), then datatrove's `strip_strings`.
//! Reimplemented from that behaviour, with pyidaungsu's CRF exported by
//! `tools/gen_khmer_burmese_data.py` (`data/burmese/`): the text loses its spaces, every
//! character is labelled by the CRF from the characters around it (up to three either side),
//! a space goes before each character labelled "1", and the result splits on whitespace. A
//! word is therefore not always a piece of the original text (its spaces are gone).

use std::sync::OnceLock;

use crfs::Attribute;

use crate::crf::Crf;

const MODEL: &[u8] = include_bytes!("../data/burmese/model.crfsuite.zst");

fn model() -> &'static Crf {
    static MODEL_: OnceLock<Crf> = OnceLock::new();
    MODEL_.get_or_init(|| Crf::load(MODEL))
}

/// pyidaungsu's `create_char_features(sentence, i)`.
fn features(s: &[char], i: usize) -> Vec<Attribute> {
    let at = |k: usize| s[k];
    let cat = |ks: &[usize]| ks.iter().map(|&k| at(k)).collect::<String>();
    let mut f = vec![
        Attribute::from("bias".to_string()),
        Attribute::from(format!("char={}", at(i))),
    ];
    if i >= 1 {
        f.push(Attribute::from(format!("char-1={}", at(i - 1))));
        f.push(Attribute::from(format!("char-1:0={}", cat(&[i - 1, i]))));
    } else {
        f.push(Attribute::from("BOS".to_string()));
    }
    if i >= 2 {
        f.push(Attribute::from(format!("char-2={}", at(i - 2))));
        f.push(Attribute::from(format!(
            "char-2:0={}",
            cat(&[i - 2, i - 1, i])
        )));
        f.push(Attribute::from(format!(
            "char-2:-1={}",
            cat(&[i - 2, i - 1])
        )));
    }
    if i >= 3 {
        f.push(Attribute::from(format!(
            "char-3:0={}",
            cat(&[i - 3, i - 2, i - 1, i])
        )));
        f.push(Attribute::from(format!(
            "char-3:-1={}",
            cat(&[i - 3, i - 2, i - 1])
        )));
    }
    if i + 1 < s.len() {
        f.push(Attribute::from(format!("char+1={}", at(i + 1))));
        f.push(Attribute::from(format!("char:+1={}", cat(&[i, i + 1]))));
    } else {
        f.push(Attribute::from("EOS".to_string()));
    }
    if i + 2 < s.len() {
        f.push(Attribute::from(format!("char+2={}", at(i + 2))));
        f.push(Attribute::from(format!(
            "char:+2={}",
            cat(&[i, i + 1, i + 2])
        )));
        f.push(Attribute::from(format!(
            "char+1:+2={}",
            cat(&[i + 1, i + 2])
        )));
    }
    if i + 3 < s.len() {
        f.push(Attribute::from(format!(
            "char:+3={}",
            cat(&[i, i + 1, i + 2, i + 3])
        )));
        f.push(Attribute::from(format!(
            "char+1:+3={}",
            cat(&[i + 1, i + 2, i + 3])
        )));
    }
    f
}

/// `BurmeseTokenizer().word_tokenize(text)`.
pub fn words(text: &str) -> Vec<String> {
    let sent: Vec<char> = text.chars().filter(|&c| c != ' ').collect();
    if sent.is_empty() {
        return Vec::new();
    }
    let crf = model();
    let labels = crf.tag(sent.len(), |i| features(&sent, i));
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (&c, &label) in sent.iter().zip(&labels) {
        // A "1" starts a word; whitespace left in the text (line breaks, tabs) ends one.
        if (crf.label(label) == "1" || crate::py::is_space(c)) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !crate::py::is_space(c) {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
