//! The line rules, one module per rule family. Each rule looks at one line (and, where it
//! says so, at document-wide facts such as the dominant script or which lines repeat) and
//! answers whether to remove it. [`classify`] runs them in a fixed order; the first rule that
//! fires names the removal.

pub(crate) mod caption;
pub(crate) mod context;
pub(crate) mod dates;
pub(crate) mod keywords;
pub(crate) mod language;
pub(crate) mod layout;
pub(crate) mod links;
pub(crate) mod markup;
pub(crate) mod phrases;
pub(crate) mod repeat;
pub(crate) mod script;
pub(crate) mod teaser;

use tamis_text::py;

use crate::LineCleanConfig;

/// Every rule id, in the order rules run. Stable: they appear in edit logs and counters.
pub const RULE_IDS: &[&str] = &[
    script::ID,
    links::ID,
    markup::ID,
    layout::ID,
    phrases::BREADCRUMB,
    phrases::ID,
    caption::CAPTION,
    caption::TAGS,
    dates::ID,
    teaser::ID,
    repeat::ID,
    language::ID,
    keywords::ID,
    context::ID,
    crate::model::ID,
    context::BLANK,
];

/// One line of the original text, with the facts several rules share.
pub(crate) struct Line<'a> {
    /// The line without its `\n`, byte-exact.
    pub raw: &'a str,
    /// `raw` stripped of Python whitespace (what the scorer compares and rules read).
    pub text: &'a str,
    /// Words in `text`: whitespace-separated, plus those of scripts written without spaces
    /// between words (see [`unspaced_words`]).
    pub words: usize,
    /// Whitespace-separated words in `text` alone.
    pub spaced_words: usize,
    /// `text` lowercased, computed on first use (only phrase and caption rules need it).
    lower: std::cell::OnceCell<String>,
}

impl<'a> Line<'a> {
    pub fn new(raw: &'a str) -> Self {
        let text = py::strip(raw);
        let spaced_words = py::word_count(text);
        Self {
            raw,
            text,
            words: spaced_words + unspaced_words(text),
            spaced_words,
            lower: std::cell::OnceCell::new(),
        }
    }

    /// The stripped text lowercased (Unicode full case mapping, ASCII fast path).
    pub fn lower(&self) -> &str {
        self.lower.get_or_init(|| {
            if self.text.is_ascii() {
                self.text.to_ascii_lowercase()
            } else {
                self.text.to_lowercase()
            }
        })
    }

    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// Words that whitespace does not separate, to add to the whitespace count.
///
/// - Han, Hiragana and Katakana: one word per two characters. Chinese and Japanese put no
///   spaces between words, whose average length is close to two characters.
/// - Thai, Lao, Khmer and Myanmar: one word per [`SEA_CHARS_PER_WORD`] characters, less the
///   whitespace-separated pieces already counted. These scripts put spaces between phrases or
///   sentences, not words: a 300-character Thai paragraph is about 25 pieces but 60 words.
///
/// Without this a paragraph in those scripts counts as a few "words" and is taken for a short
/// fragment. Korean separates words with spaces and is counted by them.
pub(crate) fn unspaced_words(text: &str) -> usize {
    if text.is_ascii() {
        return 0;
    }
    let (mut han, mut sea, mut sea_pieces) = (0usize, 0usize, 0usize);
    let mut piece_has_sea = false;
    for c in text.chars() {
        if py::is_space(c) {
            sea_pieces += usize::from(piece_has_sea);
            piece_has_sea = false;
            continue;
        }
        match c {
            '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
            | '\u{3400}'..='\u{4DBF}' // CJK Extension A
            | '\u{4E00}'..='\u{9FFF}' // CJK Unified Ideographs
            | '\u{F900}'..='\u{FAFF}' // CJK Compatibility Ideographs
            | '\u{FF66}'..='\u{FF9F}' // half-width Katakana
            => han += 1,
            '\u{0E00}'..='\u{0EFF}'   // Thai, Lao
            | '\u{1000}'..='\u{109F}' // Myanmar
            | '\u{1780}'..='\u{17FF}' // Khmer
            => {
                sea += 1;
                piece_has_sea = true;
            }
            _ => {}
        }
    }
    sea_pieces += usize::from(piece_has_sea);
    han / 2 + (sea / SEA_CHARS_PER_WORD).saturating_sub(sea_pieces)
}

/// Characters per word in Thai text: 4.97, measured with PyThaiNLP's `newmm` word segmenter
/// on lingua's 1,000 Thai test sentences (`../shared/data/lid/lingua-testdata/th`; 95,500 Thai
/// characters, 19,206 words, 7,634 whitespace-separated pieces). Lao, Khmer and Myanmar use
/// the same figure: no segmented text in them is at hand, and what matters here is only
/// that a paragraph counts as many words, not the exact number.
const SEA_CHARS_PER_WORD: usize = 5;

/// Sentence-final marks, Latin and other scripts'.
const SENTENCE_ENDS: &[char] = &[
    '.', '!', '?', ':', ';', '。', '！', '？', '؟', '۔', '।', '…', '။', '។', '៕',
];

/// Whether a stripped line ends like a sentence: `.`, `!`, `?`, closing quotes or brackets, or
/// the full stops of other scripts (Arabic `؟`, Devanagari `।`, CJK `。！？`, Myanmar `။`,
/// Khmer `។ ៕`; Thai and Lao end sentences with a space). A colon counts,
/// as it introduces a quotation or list inside an article. This is C4's terminal-punctuation
/// test widened to more scripts.
pub(crate) fn ends_sentence(text: &str) -> bool {
    if text.ends_with(['"', '”', '\'', '’']) {
        return true;
    }
    let t = text.trim_end_matches([')', ']', '»', '*']);
    t.ends_with(SENTENCE_ENDS)
}

/// Whether a line reads as a paragraph of prose: at least `prose_min_words` words ending
/// like a sentence. The teaser and repeated-block rules spare such lines: on the labelled set,
/// most prose lines they removed were article text (a summary repeated
/// below the headline, a paragraph that trails off).
pub(crate) fn is_prose(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    line.words >= cfg.prose_min_words && ends_sentence(line.text)
}

/// A kept line cut to some of its bytes: the rule that cut the rest, and the byte ranges of
/// its `raw` text to keep (the prose cells of a layout line, the text around leaked tags).
pub(crate) struct Cut {
    pub rule: &'static str,
    pub keep: Vec<std::ops::Range<usize>>,
}

/// Finds the pieces of a line to keep when a rule cuts it (empty: remove it whole).
type PieceFinder = fn(&Line<'_>, &LineCleanConfig) -> Vec<std::ops::Range<usize>>;

/// Drops kept pieces of cut lines whose text is also a line of its own elsewhere in the
/// document: a layout cell that repeats a standalone line is template text (an advertisement,
/// a site tagline), not the article. (It also keeps a cut line from reading as another line of
/// the page to tools that match cleaned lines to page lines by text, as `score_lines.py`
/// does.) A line left with nothing to keep is removed whole, by the rule that cut it.
fn drop_repeated_pieces(
    lines: &[Line<'_>],
    cuts: &mut [Option<Cut>],
    out: &mut [Option<&'static str>],
) {
    if cuts.iter().all(Option::is_none) {
        return;
    }
    // How often each text occurs as a line; a line padded only at its end is one piece equal to
    // its own text, which does not count.
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for l in lines {
        *count.entry(l.text).or_default() += 1;
    }
    let seen = |i: usize, piece: &str| {
        let piece = py::strip(piece);
        let own = usize::from(lines[i].text == piece);
        count.get(piece).is_some_and(|&n| n > own)
    };
    for (i, slot) in cuts.iter_mut().enumerate() {
        let Some(cut) = slot else {
            continue;
        };
        cut.keep.retain(|r| !seen(i, &lines[i].raw[r.clone()]));
        if cut.keep.is_empty() {
            out[i] = Some(cut.rule);
            *slot = None;
        }
    }
}

/// Every line's decision.
pub(crate) struct Decisions {
    /// `None` keeps line i, `Some(rule)` removes it.
    pub rule: Vec<Option<&'static str>>,
    /// For a kept line, the cut that keeps only part of it, if any.
    pub cuts: Vec<Option<Cut>>,
    /// The line model's junk probability of each non-blank line, when it ran.
    pub score: Vec<Option<f64>>,
    /// The rule that would have removed a line the line model kept.
    pub overruled: Vec<Option<&'static str>>,
}

/// What the rules decide, before the line model and the blank lines. `fires`, when given,
/// holds every per-line rule's verdict on every line (`model::rule_fires`), read instead of
/// running the rules again.
pub(crate) fn rule_decisions(
    text: &str,
    lines: &[Line<'_>],
    cfg: &LineCleanConfig,
    fires: Option<&[u16]>,
) -> (Vec<Option<&'static str>>, Vec<Option<Cut>>) {
    let (doc_script, repeats) = match fires {
        Some(_) => (None, None),
        None => (
            Some(script::DocScripts::new(lines)),
            Some(repeat::Repeats::new(lines, cfg)),
        ),
    };
    let mut cuts: Vec<Option<Cut>> = std::iter::repeat_with(|| None).take(lines.len()).collect();
    let mut out: Vec<Option<&'static str>> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            // A line `rule` would remove keeps the pieces `keep` finds in it, if any.
            let cut_or_remove = |slot: &mut Option<Cut>, rule, keep: PieceFinder| {
                let keep = if cfg.cut_lines {
                    keep(line, cfg)
                } else {
                    Vec::new()
                };
                if keep.is_empty() {
                    return Some(rule);
                }
                *slot = Some(Cut { rule, keep });
                None
            };
            if line.is_blank() {
                return None;
            }
            // Rule `bit` of `model::rule_fires` on this line, from `fires` or by running it.
            let fired = |bit: u32, rule: &dyn Fn() -> bool| {
                fires.map_or_else(rule, |f| f[i] & (1 << bit) != 0)
            };
            if cfg.foreign_script
                && fired(0, &|| {
                    doc_script.as_ref().is_some_and(|d| d.is_foreign(line, cfg))
                })
            {
                return Some(script::ID);
            }
            if cfg.link_spam && fired(1, &|| links::is_link_spam(line, cfg)) {
                return Some(links::ID);
            }
            if cfg.markup_code && fired(2, &|| markup::is_markup(line)) {
                return cut_or_remove(&mut cuts[i], markup::ID, markup::text_between_tags);
            }
            if cfg.layout_columns && fired(3, &|| layout::is_layout_columns(line, cfg)) {
                return cut_or_remove(&mut cuts[i], layout::ID, layout::prose_cells);
            }
            if cfg.boilerplate_phrases {
                if fired(4, &|| phrases::is_breadcrumb(line)) {
                    return Some(phrases::BREADCRUMB);
                }
                if fired(5, &|| phrases::is_boilerplate(line, cfg)) {
                    return Some(phrases::ID);
                }
            }
            if cfg.captions {
                if fired(6, &|| caption::is_caption(line, cfg)) {
                    return Some(caption::CAPTION);
                }
                if fired(7, &|| caption::is_tag_line(line)) {
                    return Some(caption::TAGS);
                }
            }
            if cfg.date_lines && fired(8, &|| dates::is_date_line(line)) {
                return Some(dates::ID);
            }
            if cfg.truncated_teasers
                && fired(9, &|| teaser::is_teaser(line, cfg))
                && !lines[i + 1..]
                    .iter()
                    .find(|l| !l.is_blank())
                    .is_some_and(|next| context::is_good(next, cfg))
            {
                return Some(teaser::ID);
            }
            if cfg.repeated_blocks
                && fired(10, &|| {
                    repeats.as_ref().is_some_and(|r| r.in_repeated_block(i))
                })
                && !is_prose(line, cfg)
            {
                return Some(repeat::ID);
            }
            None
        })
        .collect();
    drop_repeated_pieces(lines, &mut cuts, &mut out);
    if cfg.foreign_language {
        language::foreign_language(text, lines, &mut out, cfg);
    }
    if cfg.keyword_lists {
        keywords::keyword_lists(lines, &mut out, cfg);
    }
    if cfg.short_fragments {
        context::short_fragments(lines, &cuts, &mut out, cfg);
    }
    (out, cuts)
}

/// Decides every line: the rules, then the line model where there is one, then the blank
/// lines.
pub(crate) fn classify(
    text: &str,
    lines: &[Line<'_>],
    cfg: &LineCleanConfig,
    model: Option<&crate::model::LineModel>,
) -> Decisions {
    let fires = model.map(|_| crate::model::rule_fires(lines, cfg));
    let (mut out, cuts) = rule_decisions(text, lines, cfg, fires.as_deref());
    let (score, overruled) = match (model, &fires) {
        (Some(m), Some(fires)) => m.decide(lines, &mut out, &cuts, fires, cfg),
        _ => (vec![None; lines.len()], vec![None; lines.len()]),
    };
    context::blank_lines(lines, &mut out);
    Decisions {
        rule: out,
        cuts,
        score,
        overruled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thai_counts_words_not_phrases() {
        // Ten phrases of 30 Thai letters: 300 characters, about 60 words.
        let phrase = "ก".repeat(30);
        let line = [phrase.as_str(); 10].join(" ");
        assert_eq!(py::word_count(&line), 10);
        assert_eq!(Line::new(&line).words, 60);
        // Thai inside a Latin line adds only what whitespace missed.
        assert_eq!(Line::new("Bangkok กกกกกกกกกก 2024").words, 4);
    }

    #[test]
    fn han_counts_a_word_per_two_characters() {
        assert_eq!(Line::new("中文中文中文 中文").words, 2 + 4);
    }

    #[test]
    fn khmer_and_myanmar_full_stops_end_sentences() {
        assert!(ends_sentence("ខ្ញុំទៅផ្សារ។"));
        assert!(ends_sentence("မင်္ဂလာပါ။"));
        assert!(!ends_sentence("สวัสดีครับ"));
    }
}
