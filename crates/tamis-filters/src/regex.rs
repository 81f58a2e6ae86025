use regex_automata::meta::Regex;
use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};

use crate::decl::Filter;

/// Regex filter: drops documents in which `regex_exp` finds a match anywhere, as datatrove's
/// `RegexFilter` (`re.search`) does.
///
/// The pattern is compiled by the `regex` engine (Rust's `regex-automata`), whose syntax is
/// Python's for the common cases: classes, `\d`, `\w` and `\s` (Unicode-aware in both),
/// repetition, alternation, groups, `(?i)`, `(?m)` and `(?s)` flags, anchors `^` and `\b`. Not
/// supported, and refused when the step is built: look-around, back-references and possessive
/// repeats. Two constructs differ and are worth knowing: Python's `$` also matches before a
/// final newline (here: only at the end, or at each line's end with `(?m)`), and Python's `\s`
/// also matches the separators `\x1c`-`\x1f`. Since the filter asks only whether a match
/// exists, leftmost-first against backtracking order does not matter. The drop reason is
/// `regex`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegexFilterConfig {
    /// The regular expression; a document with a match is dropped.
    pub regex_exp: String,
}

pub struct RegexFilter {
    regex: Regex,
}

impl Filter for RegexFilter {
    type Config = RegexFilterConfig;
    const ID: &'static str = "regex_filter";
    const ORIGIN: &'static str =
        "datatrove 0.10.1 datatrove/pipeline/filters/regex_filter.py (RegexFilter)";
    const REASONS: &'static [&'static str] = &["regex"];
    const REQUIRED: &'static [&'static str] = &["regex_exp"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        if cfg.regex_exp.is_empty() {
            return Err(ConfigError::new(
                Self::ID,
                "`regex_exp` is required (an empty pattern would drop every document)",
            ));
        }
        let regex = Regex::new(&cfg.regex_exp).map_err(|e| {
            ConfigError::new(Self::ID, format!("`regex_exp` {:?}: {e}", cfg.regex_exp))
        })?;
        Ok(Self { regex })
    }
}

impl Step for RegexFilter {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        if self.regex.is_match(doc.text.as_str()) {
            return Verdict::drop(Self::REASONS[0]);
        }
        Verdict::Keep
    }
}
