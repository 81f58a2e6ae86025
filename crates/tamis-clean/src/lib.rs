//! Line-level cleaning: keep the article, remove spam and boilerplate lines, and record every
//! removal.
//!
//! Whole-document filters (Gopher, C4, FineWeb) throw away a good article when junk around it
//! trips a ratio; [`LineClean`] instead decides per line, with small general rules (one module
//! per family under `rules/`), and writes an edit log to `doc.metadata["tamis_edits"]` that
//! names the rule behind each removed range of the original text. [`apply_edits`] replays the
//! log on the original text and gives exactly the cleaned text, so any removal can be audited
//! or undone. Document-level filters then run on the cleaned text.

mod ftfy;
mod log;
pub mod model;
mod pii;
mod rules;
mod symbol_lines;

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_filters::Filter;

pub use ftfy::{Ftfy, FtfyConfig};
pub use log::{remove_lines, remove_ranges, replace_spans};
pub use pii::{Pii, PiiConfig};
pub use rules::RULE_IDS;
pub use symbol_lines::{SymbolLines, SymbolLinesConfig};

/// Metadata key holding the edit log.
pub const EDITS_KEY: &str = "tamis_edits";

/// Line cleaner: removes spam and boilerplate lines and keeps the article, logging each removed
/// range with the rule that removed it.
///
/// The text is split on `\n`; lines are never rewritten, only dropped whole with their `\n`,
/// except that a layout line keeps its prose cells and a long article line its text around
/// leaked tags, losing the rest (see below).
/// Rules, in order (the first that fires names the removal): `foreign_script` (a line in a
/// minority script of the document), `link_spam` (mostly URLs or domains), `markup_code`
/// (HTML or script source; a line of 60+ words of text around a few leaked tags is cut to
/// that text instead), `layout_columns` (table cells padded side by side; with
/// `cut_lines`, cells that read as prose stay and the line is cut to them,
/// adjacent kept cells joined by one space), `breadcrumb`,
/// `boilerplate_phrase` (bylines, share, subscribe, cookie, "read more", related-article
/// headers, syndication footers; several languages), `caption_credit`, `tag_list`,
/// `date_line`, `truncated_teaser` (ends in an ellipsis, not followed by prose),
/// `repeated_block` (a later copy of a block of lines), `foreign_language` (opt-in: a line
/// confidently in another language than the document, by fastText lid.176), `keyword_list` (runs of short lines
/// repeating one word), then `short_fragment` (jusText-style context: short or unpunctuated
/// lines are kept only inside prose). Then the learned line model (`line_model`, on by
/// default) takes the last decision on every non-blank line of a page of 5+ lines, from all
/// the rules' verdicts and the line's own and surrounding features: it removes lines the
/// rules kept (logged as `line_model`) and keeps lines a rule would remove (counted as
/// `overruled_lines_<rule>`); each removal's edit carries the model's junk probability as
/// `score`. Blank lines between removed lines, or before the first
/// or after the last kept line, go with their removed neighbours (`blank_around_removed` when
/// there is none). The removed ranges are stored in `metadata.tamis_edits` as
/// `[{"rule", "line_start", "line_end", "byte_start", "byte_end"}]` over the original text
/// (0-based, end exclusive), one entry per run of consecutive lines removed by the same rule;
/// a cut inside a line is an entry of its own, with `line_end = line_start + 1`.
/// Counters: `removed_lines_<rule>` (lines removed whole), `cut_lines_layout_columns` (lines
/// cut to their prose cells), `cut_lines_markup_code` (lines cut to their text around tags),
/// `removed_bytes_<rule>`, `overruled_lines_<rule>` (lines the model kept against a rule). A document with nothing left is
/// dropped (`all_lines_removed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LineCleanConfig {
    /// Remove lines whose letters are mostly in a script other than the document's dominant one.
    pub foreign_script: bool,
    /// A script counts as foreign only if it holds at most this share of the document's letters
    /// (so bilingual documents are left alone).
    pub foreign_script_max_doc_share: f64,
    /// Remove lines made mostly of URLs or bare domain names.
    pub link_spam: bool,
    /// Share of a line's non-space bytes in URL-like tokens from which it is link spam.
    pub link_spam_min_fraction: f64,
    /// Remove lines holding HTML tags or dense code punctuation (a long line of text with a
    /// few leaked tags loses only the tags).
    pub markup_code: bool,
    /// Remove lines with runs of spaces that glue page columns together.
    pub layout_columns: bool,
    /// Inner run of spaces that marks a layout line (trailing padding needs 4 times as many).
    pub layout_min_space_run: usize,
    /// Cut a line to the prose inside it rather than remove it whole: a layout line keeps its
    /// cells that read as prose (`prose_min_words` words ending like a sentence, or
    /// `good_long_words` words), as the article is often one column of such a line; a long line
    /// of text with a few leaked HTML tags keeps its text.
    pub cut_lines: bool,
    /// Remove breadcrumbs and boilerplate phrases (bylines, share, cookie, related headers...).
    pub boilerplate_phrases: bool,
    /// Phrase rules apply to lines of at most this many words (footers and policy notices to
    /// five times as many).
    pub phrase_max_words: usize,
    /// Remove photo captions with credits and tag lines.
    pub captions: bool,
    /// Captions are at most this many words.
    pub caption_max_words: usize,
    /// Remove lines that are only a date or time.
    pub date_lines: bool,
    /// Remove lines of 6+ words that end in an ellipsis (teasers of other articles, as C4).
    pub truncated_teasers: bool,
    /// Remove later copies of blocks of lines that occur more than once in the document.
    pub repeated_blocks: bool,
    /// A repeated block has at least this many non-blank lines.
    pub repeat_min_lines: usize,
    /// A repeated line must be at least this many bytes to count (short ones like "Share"
    /// repeat in articles too).
    pub repeat_min_chars: usize,
    /// A line of at least this many words that ends like a sentence is prose: the teaser and
    /// repeated-block rules leave it (measured on the labelled set, such lines in repeated
    /// blocks or ending in "..." are mostly article text).
    pub prose_min_words: usize,
    /// Remove lines confidently in another language than the document (fastText lid.176). Off
    /// by default: on the labelled pages it changed nothing the other rules had not already
    /// caught, and it doubles the step's cost (docs/cleaning.md).
    pub foreign_language: bool,
    /// Lines shorter than this many words are not language-checked (too little evidence).
    pub foreign_language_min_words: usize,
    /// The line's language must score at least this (the document's at least 0.5).
    pub foreign_language_min_score: f64,
    /// Remove runs of short unpunctuated lines that repeat the same word (keyword spam).
    pub keyword_lists: bool,
    /// A keyword run has at least this many lines.
    pub keyword_min_lines: usize,
    /// Remove short or unpunctuated lines that are not inside prose (jusText context).
    pub short_fragments: bool,
    /// A line ending like a sentence with at least this many words is prose.
    pub good_min_words: usize,
    /// A line with at least this many words is prose even without a sentence end.
    pub good_long_words: usize,
    /// Longest run of short lines kept between two prose lines (headings, short lists).
    pub max_short_run: usize,
    /// Keep the one short line directly before a prose line (a heading after a menu).
    pub keep_heading_before_prose: bool,
    /// Let the learned line model take the last decision on every non-blank line, from the
    /// rules' verdicts and the line's surroundings (`line_model` in the edit log for lines
    /// only it removes; see docs/cleaning.md).
    pub line_model: bool,
    /// A model file written by `tools/train_line_model.py`, used instead of the built-in one.
    pub line_model_path: Option<String>,
    /// The line model decides only in documents of at least this many non-blank lines (a page
    /// layout, which its features describe); shorter ones keep the rules' decisions.
    pub line_model_min_lines: usize,
}

impl Default for LineCleanConfig {
    fn default() -> Self {
        Self {
            foreign_script: true,
            foreign_script_max_doc_share: 0.2,
            link_spam: true,
            link_spam_min_fraction: 0.5,
            markup_code: true,
            layout_columns: true,
            layout_min_space_run: 4,
            cut_lines: true,
            boilerplate_phrases: true,
            phrase_max_words: 12,
            captions: true,
            caption_max_words: 60,
            date_lines: true,
            truncated_teasers: true,
            repeated_blocks: true,
            repeat_min_chars: 10,
            repeat_min_lines: 3,
            prose_min_words: 12,
            foreign_language: false,
            foreign_language_min_words: 3,
            foreign_language_min_score: 0.9,
            keyword_lists: true,
            keyword_min_lines: 4,
            short_fragments: true,
            good_min_words: 5,
            good_long_words: 30,
            max_short_run: 20,
            keep_heading_before_prose: true,
            line_model: true,
            line_model_path: None,
            line_model_min_lines: 5,
        }
    }
}

impl LineCleanConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError::new(LineClean::ID, m));
        for (field, v) in [
            (
                "foreign_script_max_doc_share",
                self.foreign_script_max_doc_share,
            ),
            ("link_spam_min_fraction", self.link_spam_min_fraction),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return err(format!("`{field}` must be a fraction in [0, 1], got {v}"));
            }
        }
        if self.link_spam_min_fraction == 0.0 {
            return err("`link_spam_min_fraction` = 0 would remove every line".into());
        }
        for (field, v) in [
            ("layout_min_space_run", self.layout_min_space_run),
            ("repeat_min_lines", self.repeat_min_lines),
            ("good_min_words", self.good_min_words),
            ("good_long_words", self.good_long_words),
            ("prose_min_words", self.prose_min_words),
        ] {
            if v == 0 {
                return err(format!("`{field}` must be at least 1"));
            }
        }
        if self.good_long_words < self.good_min_words {
            return err(format!(
                "`good_long_words` ({}) must be >= `good_min_words` ({})",
                self.good_long_words, self.good_min_words
            ));
        }
        model_of(self).map_err(|e| ConfigError::new(LineClean::ID, e.to_string()))?;
        Ok(())
    }
}

/// The line model a configuration asks for, if any (loaded once per path).
fn model_of(cfg: &LineCleanConfig) -> Result<Option<Arc<model::LineModel>>, model::ModelError> {
    static LOADED: Mutex<Vec<(String, Arc<model::LineModel>)>> = Mutex::new(Vec::new());
    if !cfg.line_model {
        return Ok(None);
    }
    let Some(path) = &cfg.line_model_path else {
        return Ok(Some(model::LineModel::built_in()));
    };
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, m)) = loaded.iter().find(|(p, _)| p == path) {
        return Ok(Some(Arc::clone(m)));
    }
    let m = Arc::new(model::LineModel::from_path(path)?);
    loaded.push((path.clone(), Arc::clone(&m)));
    Ok(Some(m))
}

/// [`model_of`] for a configuration a step was not built from.
///
/// # Panics
/// When `line_model_path` names a file that is not a usable model (building the step reports
/// that as a configuration error instead).
fn model_or_panic(cfg: &LineCleanConfig) -> Option<Arc<model::LineModel>> {
    model_of(cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// The built step.
pub struct LineClean {
    cfg: LineCleanConfig,
    model: Option<Arc<model::LineModel>>,
}

impl Filter for LineClean {
    type Config = LineCleanConfig;
    const ID: &'static str = "line_clean";
    const ORIGIN: &'static str = "tamis; rules after C4 (Raffel et al. 2020, section 2.2), \
        Gopher (Rae et al. 2021, appendix A), jusText (Pomikálek 2011, ch. 4), Boilerpipe \
        (Kohlschütter et al. 2010), trafilatura, RefinedWeb (Penedo et al. 2023) and CCNet \
        (Wenzek et al. 2020); thresholds measured on tamis' labelled page set; the line model is \
        gradient-boosted trees (Friedman 2001) trained by tools/train_line_model.py";
    const REASONS: &'static [&'static str] = &["all_lines_removed"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let model = model_of(&cfg).map_err(|e| ConfigError::new(Self::ID, e.to_string()))?;
        Ok(Self { cfg, model })
    }
}

impl LineClean {
    pub fn config(&self) -> &LineCleanConfig {
        &self.cfg
    }
}

/// One line's decision, for `tamis explain --doc`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineDecision {
    pub line_index: usize,
    /// Byte range of the line in the original text, including its `\n` if it has one.
    pub byte_range: std::ops::Range<usize>,
    pub kept: bool,
    /// The rule that removed the line, or cut part of it.
    pub rule: Option<&'static str>,
    /// For a line cut to part of its text, the byte ranges of the original text it keeps
    /// (adjacent cells with the one space that joins them); empty otherwise.
    pub kept_ranges: Vec<std::ops::Range<usize>>,
    /// The line model's probability that the line is junk (non-blank lines, model on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// For a line the line model kept, the rule that would have removed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overruled: Option<&'static str>,
}

/// Lines of `text` split on `\n`, as byte ranges including their `\n`. A text ending in `\n`
/// has a final empty line with an empty range, as Python's `split("\n")` gives.
pub fn line_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::with_capacity(text.len() / 40 + 1);
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    out.push(start..text.len());
    out
}

/// The lines of `text` split on `\n`, with the facts the rules share.
pub(crate) fn split_lines(text: &str) -> Vec<rules::Line<'_>> {
    line_ranges(text)
        .into_iter()
        .map(|r| rules::Line::new(text[r.clone()].strip_suffix('\n').unwrap_or(&text[r])))
        .collect()
}

fn decide(
    text: &str,
    cfg: &LineCleanConfig,
    model: Option<&model::LineModel>,
) -> (Vec<std::ops::Range<usize>>, rules::Decisions) {
    let lines = split_lines(text);
    let decisions = rules::classify(text, &lines, cfg, model);
    (line_ranges(text), decisions)
}

/// The byte ranges of the original `text` that a line cut to `keep` (ranges within the line
/// starting at `line_start`) keeps: each piece, and the space or tab after a piece that another
/// kept piece follows, so adjacent layout cells read "first. second".
fn kept_ranges(
    text: &str,
    line_start: usize,
    keep: &[std::ops::Range<usize>],
) -> Vec<std::ops::Range<usize>> {
    keep.iter()
        .enumerate()
        .map(|(j, c)| {
            let (start, mut end) = (line_start + c.start, line_start + c.end);
            let gap = keep.get(j + 1).is_some_and(|next| next.start > c.end);
            if gap && matches!(text.as_bytes().get(end), Some(b' ' | b'\t')) {
                end += 1;
            }
            start..end
        })
        .collect()
}

/// Every line's keep/remove decision and the rule behind each removal.
///
/// # Panics
/// When `cfg.line_model_path` is not a usable model file.
pub fn explain(text: &str, cfg: &LineCleanConfig) -> Vec<LineDecision> {
    let model = model_or_panic(cfg);
    let (ranges, d) = decide(text, cfg, model.as_deref());
    ranges
        .into_iter()
        .zip(d.rule)
        .zip(d.cuts)
        .zip(d.score.into_iter().zip(d.overruled))
        .enumerate()
        .map(
            |(line_index, (((byte_range, rule), cut), (score, overruled)))| LineDecision {
                line_index,
                kept: rule.is_none(),
                rule: cut.as_ref().map_or(rule, |c| Some(c.rule)),
                kept_ranges: cut
                    .map_or_else(Vec::new, |c| kept_ranges(text, byte_range.start, &c.keep)),
                byte_range,
                score,
                overruled,
            },
        )
        .collect()
}

/// One removed or replaced range of the original text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    pub rule: String,
    pub line_start: usize,
    pub line_end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    /// The text that replaced the range; absent for a removal, so logs written before
    /// replacements existed read and replay unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// For lines removed whole with the line model on, the lowest junk probability it gave
    /// any of them (the weakest evidence behind the removal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl Edit {
    fn removal(
        rule: &str,
        line_start: usize,
        line_end: usize,
        bytes: std::ops::Range<usize>,
    ) -> Self {
        Self {
            rule: rule.to_owned(),
            line_start,
            line_end,
            byte_start: bytes.start,
            byte_end: bytes.end,
            replacement: None,
            score: None,
        }
    }
}

/// The cleaned text and the edit log, without touching a document.
///
/// # Panics
/// When `cfg.line_model_path` is not a usable model file.
pub fn clean(text: &str, cfg: &LineCleanConfig) -> (String, Vec<Edit>) {
    let model = model_or_panic(cfg);
    let c = clean_counted(text, cfg, model.as_deref());
    (c.text, c.edits)
}

/// What [`clean_counted`] gives.
struct Cleaned {
    text: String,
    edits: Vec<Edit>,
    /// Per edit, whether it removes whole lines (a cut inside a line does not).
    whole: Vec<bool>,
    /// The rule of each line cut to part of its text.
    cut_rules: Vec<&'static str>,
    /// The rule of each line the line model kept against it.
    overruled: Vec<&'static str>,
}

/// [`clean`], with what the step's counters need.
fn clean_counted(text: &str, cfg: &LineCleanConfig, model: Option<&model::LineModel>) -> Cleaned {
    let (ranges, decisions) = decide(text, cfg, model);
    let mut out = String::with_capacity(text.len());
    let mut edits: Vec<Edit> = Vec::new();
    // Only edits of whole lines merge with the next line's.
    let mut whole: Vec<bool> = Vec::new();
    let mut cut_rules = Vec::new();
    for (i, (r, d)) in ranges.iter().zip(&decisions.rule).enumerate() {
        match (d, &decisions.cuts[i]) {
            (None, None) => out.push_str(&text[r.clone()]),
            (None, Some(cut)) => {
                cut_rules.push(cut.rule);
                let content_end = r.start + text[r.clone()].trim_end_matches('\n').len();
                let mut pos = r.start;
                for kept in kept_ranges(text, r.start, &cut.keep) {
                    if pos < kept.start {
                        edits.push(Edit::removal(cut.rule, i, i + 1, pos..kept.start));
                        whole.push(false);
                    }
                    out.push_str(&text[kept.clone()]);
                    pos = kept.end;
                }
                if pos < content_end {
                    edits.push(Edit::removal(cut.rule, i, i + 1, pos..content_end));
                    whole.push(false);
                }
                out.push_str(&text[content_end..r.end]);
            }
            (Some(rule), _) => {
                if r.is_empty() {
                    continue;
                }
                let score = decisions.score[i];
                match edits.last_mut() {
                    Some(e)
                        if whole.last() == Some(&true)
                            && e.rule == *rule
                            && e.line_end == i
                            && e.byte_end == r.start =>
                    {
                        e.line_end = i + 1;
                        e.byte_end = r.end;
                        e.score = match (e.score, score) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    _ => {
                        let mut e = Edit::removal(rule, i, i + 1, r.clone());
                        e.score = score;
                        edits.push(e);
                        whole.push(true);
                    }
                }
            }
        }
    }
    Cleaned {
        text: out,
        edits,
        whole,
        cut_rules,
        overruled: decisions.overruled.into_iter().flatten().collect(),
    }
}

/// An edit log that does not fit the text it is applied to.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("edit log is not a JSON array of edits: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("edit {index} covers bytes {start}..{end}, outside the text or before the previous edit (text is {len} bytes)")]
    OutOfRange {
        index: usize,
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("edit {index} cuts bytes {start}..{end} inside a UTF-8 character")]
    NotCharBoundary {
        index: usize,
        start: usize,
        end: usize,
    },
    #[error("a new edit covers part of the text that edit {index} put in, not all of it")]
    SplitsReplacement { index: usize },
}

/// Replays an edit log (the value of `metadata.tamis_edits`) on the original text: removes each
/// recorded byte range, or puts its `replacement` in its place. Gives exactly the text the
/// steps produced.
pub fn apply_edits(original: &str, edits: &Value) -> Result<String, EditError> {
    let edits: Vec<Edit> = serde_json::from_value(edits.clone())?;
    let mut out = String::with_capacity(original.len());
    let mut pos = 0;
    for (index, e) in edits.iter().enumerate() {
        let (start, end) = (e.byte_start, e.byte_end);
        check_range(original, pos, index, &(start..end))?;
        out.push_str(&original[pos..start]);
        if let Some(r) = &e.replacement {
            out.push_str(r);
        }
        pos = end;
    }
    out.push_str(&original[pos..]);
    Ok(out)
}

/// Whether edit `index` may cover `range` of `text`: inside it, on character boundaries, and
/// not before `pos` (the end of the previous edit).
pub(crate) fn check_range(
    text: &str,
    pos: usize,
    index: usize,
    range: &std::ops::Range<usize>,
) -> Result<(), EditError> {
    let (start, end) = (range.start, range.end);
    if start < pos || end < start || end > text.len() {
        return Err(EditError::OutOfRange {
            index,
            start,
            end,
            len: text.len(),
        });
    }
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return Err(EditError::NotCharBoundary { index, start, end });
    }
    Ok(())
}

impl Step for LineClean {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let Cleaned {
            text: cleaned,
            edits,
            whole,
            cut_rules,
            overruled,
        } = clean_counted(&doc.text, &self.cfg, self.model.as_deref());
        for rule in overruled {
            ctx.counters.add(&format!("overruled_lines_{rule}"), 1);
        }
        if edits.is_empty() {
            return Verdict::Keep;
        }
        for (e, whole) in edits.iter().zip(whole) {
            let lines = if whole { e.line_end - e.line_start } else { 0 };
            ctx.counters
                .add(&format!("removed_lines_{}", e.rule), lines as u64);
            ctx.counters.add(
                &format!("removed_bytes_{}", e.rule),
                (e.byte_end - e.byte_start) as u64,
            );
        }
        for rule in cut_rules {
            ctx.counters.add(&format!("cut_lines_{rule}"), 1);
        }
        if tamis_text::py::strip(&cleaned).is_empty() {
            return Verdict::drop("all_lines_removed");
        }
        if doc.metadata.contains_key(EDITS_KEY) {
            // An earlier step logged edits: map these ranges through its log, so the log keeps
            // describing the text as read.
            let ranges: Vec<(std::ops::Range<usize>, &str)> = edits
                .iter()
                .map(|e| (e.byte_start..e.byte_end, e.rule.as_str()))
                .collect();
            if let Err(e) = remove_ranges(doc, &ranges) {
                // The document's own log does not fit its text: a fault of this record (as in
                // `pii`), quarantined by the executor.
                panic!("document {}: metadata.tamis_edits: {e}", doc.id);
            }
            return Verdict::Keep;
        }
        let log: Vec<Value> = edits
            .iter()
            .map(|e| {
                let mut v = json!({
                    "rule": e.rule,
                    "line_start": e.line_start,
                    "line_end": e.line_end,
                    "byte_start": e.byte_start,
                    "byte_end": e.byte_end,
                });
                if let Some(s) = e.score {
                    // Rounded: the log explains, it does not need the last bits.
                    v["score"] = json!((s * 1e4).round() / 1e4);
                }
                v
            })
            .collect();
        doc.metadata.insert(EDITS_KEY.to_owned(), Value::Array(log));
        log::set_text(doc, cleaned, true);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamis_testkit::StepRunner;

    /// The rules alone: these tests pin what each rule does on a few made-up lines, which the
    /// line model (trained on whole pages) may decide otherwise.
    fn rules_only() -> LineCleanConfig {
        LineCleanConfig {
            line_model: false,
            ..LineCleanConfig::default()
        }
    }

    #[test]
    fn edits_round_trip_and_merge_per_rule() {
        let text = "Home » News » World\n\nThe storm brought down trees across the county on Sunday night.\nRead more\nShare\n\nCrews worked through the morning to reopen the main roads.\n";
        let cfg = rules_only();
        let (cleaned, edits) = clean(text, &cfg);
        let log = serde_json::to_value(&edits).unwrap();
        assert_eq!(apply_edits(text, &log).unwrap(), cleaned);
        assert!(cleaned.starts_with("The storm"));
        assert!(!cleaned.contains("Read more"));
        let bp: Vec<_> = edits
            .iter()
            .filter(|e| e.rule == "boilerplate_phrase")
            .collect();
        assert_eq!(bp.len(), 1, "{edits:?}");
        assert_eq!((bp[0].line_start, bp[0].line_end), (3, 5));
    }

    fn run(text: &str) -> (Document, Verdict, tamis_core::Counters) {
        let step = LineClean::build(LineCleanConfig::default()).unwrap();
        let mut doc = Document::new("t", text);
        let mut runner = StepRunner::default();
        let v = runner.run(&step, &mut doc);
        (doc, v, runner.counters)
    }

    /// A document whose edit base a run asked for (as `--report` does).
    fn wanted(text: &str) -> Document {
        let mut doc = Document::new("t", text);
        doc.edit_base = tamis_core::EditBase::Wanted;
        doc
    }

    /// The rule of each entry of an edit log.
    fn log_rules(log: &Value) -> Vec<&str> {
        log.as_array()
            .unwrap()
            .iter()
            .map(|e| e["rule"].as_str().unwrap())
            .collect()
    }

    /// `pii` then `line_clean` on `text`, both keeping the document.
    fn pii_then_line_clean(text: &str) -> Document {
        let pii = Pii::build(PiiConfig::default()).unwrap();
        let step = LineClean::build(LineCleanConfig::default()).unwrap();
        let mut doc = wanted(text);
        let mut runner = StepRunner::default();
        assert_eq!(runner.run(&pii, &mut doc), Verdict::Keep);
        assert_eq!(runner.run(&step, &mut doc), Verdict::Keep);
        doc
    }

    #[test]
    fn step_logs_counts_and_drops_empty_results() {
        let text = "https://spam.example/a https://spam.example/b\nThe storm brought down trees across the county on Sunday night.\n";
        let (doc, v, counters) = run(text);
        assert_eq!(v, Verdict::Keep);
        assert_eq!(counters.get("removed_lines_link_spam"), 1);
        assert_eq!(counters.get("removed_bytes_link_spam"), 46);
        assert_eq!(
            apply_edits(text, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );

        let (_, v, _) = run("Home\nMenu\nLogin\n");
        assert_eq!(v, Verdict::drop("all_lines_removed"));

        // Nothing removed: no log, text untouched.
        let clean_text = "The storm brought down trees across the county on Sunday night.";
        let (doc, v, _) = run(clean_text);
        assert_eq!((v, doc.text.as_str()), (Verdict::Keep, clean_text));
        assert!(!doc.metadata.contains_key(EDITS_KEY));
    }

    #[test]
    fn the_text_as_read_is_kept_only_when_wanted() {
        let text = "Read more\nThe storm brought down trees across the county on Sunday night.\n";
        let (doc, _, _) = run(text);
        assert_eq!(doc.edit_base, tamis_core::EditBase::Drop);

        let step = LineClean::build(LineCleanConfig::default()).unwrap();
        let mut doc = wanted(text);
        assert_eq!(StepRunner::default().run(&step, &mut doc), Verdict::Keep);
        let base = doc.edit_base.take().expect("kept");
        assert_eq!(base, text);
        assert_eq!(
            apply_edits(&base, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );
    }

    #[test]
    fn an_earlier_steps_log_is_extended_not_replaced() {
        // `pii` first replaces an address, then line cleaning removes lines: the log must still
        // lead from the text as read to the final text, with both steps' entries.
        let text = "Read more\nWrite to jane.doe@example.org about the storm that brought down trees on Sunday.\nShare\n";
        let mut doc = pii_then_line_clean(text);
        assert!(!doc.text.contains("jane.doe") && !doc.text.contains("Read more"));
        let log = &doc.metadata[EDITS_KEY];
        let rules = log_rules(log);
        assert!(
            rules.contains(&"pii_email") && rules.len() >= 3,
            "{rules:?}"
        );
        assert_eq!(doc.edit_base.take().as_deref(), Some(text));
        assert_eq!(apply_edits(text, log).unwrap(), doc.text);
    }

    /// A menu row, a row gluing the menu to the article's first paragraph, and a paragraph.
    const LAYOUT: &str = "Home      Storm damage\nNews          The storm brought down trees across the county on Sunday night, said jane.doe@example.org today.      Archive\nThe clean-up went on through Monday as crews cleared the roads into town.\n";

    #[test]
    fn a_layout_line_is_cut_to_its_prose_cell() {
        let (doc, v, counters) = run(LAYOUT);
        assert_eq!(v, Verdict::Keep);
        let story = "The storm brought down trees across the county on Sunday night, said jane.doe@example.org today.";
        let rest = "The clean-up went on through Monday as crews cleared the roads into town.";
        assert_eq!(doc.text, format!("{story}\n{rest}\n"));
        let edits: Vec<Edit> = serde_json::from_value(doc.metadata[EDITS_KEY].clone()).unwrap();
        let spans: Vec<(usize, usize, &str)> = edits
            .iter()
            .map(|e| (e.line_start, e.line_end, &LAYOUT[e.byte_start..e.byte_end]))
            .collect();
        assert_eq!(
            spans,
            [
                (0, 1, "Home      Storm damage\n"),
                (1, 2, "News          "),
                (1, 2, "      Archive"),
            ]
        );
        assert_eq!(
            apply_edits(LAYOUT, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );
        assert_eq!(counters.get("removed_lines_layout_columns"), 1);
        assert_eq!(counters.get("cut_lines_layout_columns"), 1);
        // `explain` names the rule and the kept bytes of the cut line.
        let d = &explain(LAYOUT, &LineCleanConfig::default())[1];
        assert!(d.kept && d.rule == Some("layout_columns"));
        let kept: String = d.kept_ranges.iter().map(|r| &LAYOUT[r.clone()]).collect();
        assert_eq!(kept, story);
        // Off, the whole line goes and the article loses its first paragraph.
        let cfg = LineCleanConfig {
            cut_lines: false,
            ..LineCleanConfig::default()
        };
        assert_eq!(clean(LAYOUT, &cfg).0, format!("{rest}\n"));
    }

    #[test]
    fn an_article_line_loses_only_its_leaked_tags() {
        let story = "The storm brought down trees across the county on Sunday night. ".repeat(7);
        let story = story.trim_end();
        let ad = "<a href=\"http://ads.example/click\"><img src=\"http://ads.example/b.gif\"></a>";
        let text =
            format!("{ad} {story} <br> It was the worst storm in a decade, said the mayor.\n");
        let (doc, v, counters) = run(&text);
        assert_eq!(v, Verdict::Keep);
        assert_eq!(
            doc.text,
            format!("{story}  It was the worst storm in a decade, said the mayor.\n")
        );
        assert_eq!(counters.get("cut_lines_markup_code"), 1);
        assert_eq!(counters.get("removed_lines_markup_code"), 0);
        assert_eq!(
            apply_edits(&text, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );
        let rules = log_rules(&doc.metadata[EDITS_KEY]);
        assert_eq!(rules, ["markup_code", "markup_code"]);
        // Without cuts the line, and the article with it, goes.
        let whole = LineCleanConfig {
            cut_lines: false,
            ..LineCleanConfig::default()
        };
        assert_eq!(clean(&text, &whole).0, "");
    }

    #[test]
    fn cuts_map_through_an_earlier_steps_log() {
        // `pii` replaces the address inside the prose cell first; the cuts around that cell
        // then map through its log.
        let doc = pii_then_line_clean(LAYOUT);
        assert!(doc.text.starts_with("The storm") && !doc.text.contains("jane.doe"));
        assert!(!doc.text.contains("News") && !doc.text.contains("Archive"));
        let log = &doc.metadata[EDITS_KEY];
        assert_eq!(apply_edits(LAYOUT, log).unwrap(), doc.text);
        let rules = log_rules(log);
        assert_eq!(
            rules,
            [
                "layout_columns",
                "layout_columns",
                "pii_email",
                "layout_columns"
            ]
        );
    }

    #[test]
    fn edge_cases_empty_blank_and_crlf() {
        let cfg = LineCleanConfig::default();
        assert_eq!(clean("", &cfg), (String::new(), vec![]));
        let (_, v, _) = run("\n \n\t\n");
        assert_eq!(v, Verdict::drop("all_lines_removed"));
        let text =
            "Read more\r\nThe storm brought down trees across the county on Sunday night.\r\n";
        let (cleaned, edits) = clean(text, &cfg);
        assert_eq!(
            cleaned,
            "The storm brought down trees across the county on Sunday night.\r\n"
        );
        assert_eq!((edits[0].byte_start, edits[0].byte_end), (0, 11));
    }

    #[test]
    fn a_repeated_block_loses_its_headlines_but_not_its_prose() {
        let block = [
            "Council approves budget for next year",
            "Teachers strike over pay enters third day",
            "The mayor said on Saturday that the new library would stay open seven days a week from next month.",
            "Mayor opens the new library",
        ];
        let mut lines = vec!["The storm brought down trees across the county on Sunday night."];
        lines.extend(block);
        lines.push("Crews worked through the morning to reopen the main roads into town.");
        lines.extend(block);
        let text = lines.join("\n");
        let kept: Vec<bool> = explain(&text, &rules_only())
            .iter()
            .map(|d| d.kept)
            .collect();
        // The second copy (lines 6..=9): its headlines go, its prose paragraph stays.
        assert_eq!(kept[6..], [false, false, true, false]);
        assert!(kept[..6].iter().all(|&k| k));
        let off = LineCleanConfig {
            prose_min_words: 1000,
            ..rules_only()
        };
        assert!(!explain(&text, &off)[8].kept);
    }

    #[test]
    fn a_model_file_that_cannot_be_used_is_a_config_error_naming_it() {
        let missing = LineCleanConfig {
            line_model_path: Some("no/such/model.json".into()),
            ..LineCleanConfig::default()
        };
        let err = LineClean::build(missing).err().expect("refused");
        assert!(err.to_string().contains("no/such/model.json"), "{err}");
        let dir = std::env::temp_dir().join(format!("tamis-line-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.json");
        let mut m: Value = serde_json::from_str(include_str!("../data/line_model.json")).unwrap();
        m["features"].as_array_mut().unwrap().pop();
        std::fs::write(&path, m.to_string()).unwrap();
        let old = LineCleanConfig {
            line_model_path: Some(path.to_string_lossy().into_owned()),
            ..LineCleanConfig::default()
        };
        let err = LineClean::build(old).err().expect("refused");
        assert!(err.to_string().contains("retrain it"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn explain_covers_every_line() {
        let text = "Share\nThe storm brought down trees across the county on Sunday night.";
        let d = explain(text, &LineCleanConfig::default());
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].kept, d[0].rule, d[0].byte_range.clone()),
            (false, Some("boilerplate_phrase"), 0..6)
        );
        assert_eq!((d[1].kept, d[1].rule), (true, None));
        assert_eq!(d[1].byte_range.end, text.len());
    }

    #[test]
    fn bad_logs_are_rejected() {
        let log =
            json!([{"rule": "x", "line_start": 0, "line_end": 1, "byte_start": 0, "byte_end": 99}]);
        assert!(matches!(
            apply_edits("short", &log),
            Err(EditError::OutOfRange { .. })
        ));
        assert!(matches!(
            apply_edits("short", &json!({"a": 1})),
            Err(EditError::Malformed(_))
        ));
    }

    #[test]
    fn registry_entry_builds_documents_and_rejects_unknown_fields() {
        let entry = tamis_filters::FilterEntry::of::<LineClean>();
        assert_eq!(entry.id, "line_clean");
        assert!(entry.description().contains("Line cleaner"));
        assert!(entry.render_docs().contains("`max_short_run`"));
        assert!((entry.build)(&json!({})).is_ok());
        assert!((entry.build)(&json!({"max_short_run": 2})).is_ok());
        let err = (entry.build)(&json!({"no_such_field": 1})).err().unwrap();
        assert!(err.to_string().contains("no_such_field"), "{err}");
    }

    #[test]
    fn config_validation() {
        let c = LineCleanConfig {
            good_long_words: 1,
            ..Default::default()
        };
        assert!(LineClean::build(c).is_err());
        let c = LineCleanConfig {
            link_spam_min_fraction: 1.5,
            ..Default::default()
        };
        assert!(LineClean::build(c).is_err());
        assert!(LineClean::build(LineCleanConfig::default()).is_ok());
    }
}
