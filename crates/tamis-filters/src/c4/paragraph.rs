use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};

use crate::decl::Filter;

/// C4 paragraph filter (mC4): drops documents without at least `min_paragraphs` lines
/// ("paragraphs") of at least `min_paragraph_len` characters, as datatrove's
/// `C4ParagraphFilter` does (Xue et al. 2021, mT5, section 2; TensorFlow Datasets
/// `c4_utils.py` `paragraph_filter`).
///
/// Lines are split on `line_delimiter` alone (a text ending with it has an empty last line),
/// and lengths count Unicode code points, as Python's `len`. The drop reason is datatrove's,
/// `"< 3 paragraphs"` with the defaults (the number follows `min_paragraphs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct C4ParagraphConfig {
    /// Lines of at least `min_paragraph_len` characters a document needs.
    pub min_paragraphs: usize,
    /// Characters a line needs to count as a paragraph.
    pub min_paragraph_len: usize,
    /// What separates lines.
    pub line_delimiter: String,
}

impl Default for C4ParagraphConfig {
    fn default() -> Self {
        Self {
            min_paragraphs: 3,
            min_paragraph_len: 200,
            line_delimiter: "\n".into(),
        }
    }
}

pub struct C4Paragraph {
    cfg: C4ParagraphConfig,
    reason: Cow<'static, str>,
}

impl Filter for C4Paragraph {
    type Config = C4ParagraphConfig;
    const ID: &'static str = "c4_paragraph";
    const ORIGIN: &'static str = "Xue et al. 2021, mT5: A Massively Multilingual Pre-trained \
        Text-to-Text Transformer (NAACL), section 2 (mC4's line-length filter); TensorFlow \
        Datasets c4_utils.py (paragraph_filter); datatrove 0.10.1 \
        datatrove/pipeline/filters/c4_filters.py (C4ParagraphFilter)";
    const REASONS: &'static [&'static str] = &["< 3 paragraphs"];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        if cfg.line_delimiter.is_empty() {
            return Err(ConfigError::new(Self::ID, "`line_delimiter` is empty"));
        }
        if cfg.min_paragraphs == 0 {
            return Err(ConfigError::new(
                Self::ID,
                "`min_paragraphs` must be at least 1",
            ));
        }
        let reason = if cfg.min_paragraphs == 3 {
            Cow::Borrowed(Self::REASONS[0])
        } else {
            Cow::Owned(format!("< {} paragraphs", cfg.min_paragraphs))
        };
        Ok(Self { cfg, reason })
    }
}

impl Step for C4Paragraph {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        let (n, min_len) = (self.cfg.min_paragraphs, self.cfg.min_paragraph_len);
        // datatrove: too few lines, or the n-th longest line too short; that is, fewer than n
        // lines reach the length.
        let mut lines = 0;
        let mut long = 0;
        for line in doc.text.split(self.cfg.line_delimiter.as_str()) {
            lines += 1;
            if long < n && line.chars().count() >= min_len {
                long += 1;
            }
        }
        if lines < n || long < n {
            return Verdict::Drop(self.reason.clone());
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamis_testkit::StepRunner;

    fn verdict(cfg: C4ParagraphConfig, text: &str) -> Verdict {
        let f = C4Paragraph::build(cfg).unwrap();
        StepRunner::default().run(&f, &mut Document::new("d", text))
    }

    #[test]
    fn needs_three_long_lines() {
        let long = "é".repeat(200);
        let short = "x".repeat(199);
        let d = C4ParagraphConfig::default;
        assert_eq!(
            verdict(d(), &[&*long, &*long, &*long].join("\n")),
            Verdict::Keep
        );
        let two = [&*long, &*short, &*long, "", &*short].join("\n");
        assert_eq!(verdict(d(), &two), Verdict::drop("< 3 paragraphs"));
        let cfg = C4ParagraphConfig {
            min_paragraphs: 2,
            ..d()
        };
        assert_eq!(verdict(cfg.clone(), &two), Verdict::Keep);
        assert_eq!(verdict(cfg, &long), Verdict::drop("< 2 paragraphs"));
    }
}
