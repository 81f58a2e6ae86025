use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_extract::Limits;

use crate::decl::Filter;

/// HTML to main text: replaces a document's HTML with its main content (title apart; no
/// navigation, comments, footers, link lists or ads), one paragraph a line, as datatrove's
/// `Trafilatura` extractor does for FineWeb. The page title goes to `metadata.title`.
///
/// The page is parsed by a linear-time tree builder that flattens nesting deeper than 512
/// levels (as browsers do; counted in the step's stats as `pages_nested_over_512_flattened`),
/// so no page can hang the run or overflow the stack; pages over `max_bytes`, `max_nodes` or
/// `max_millis` are dropped with a reason naming the limit. Pages with no main
/// text are dropped (`no_main_text`), as datatrove drops documents its extractor empties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Pages longer than this many bytes are dropped (`html_too_large`).
    pub max_bytes: usize,
    /// Pages with more nodes (elements and text runs) are dropped (`html_too_many_nodes`).
    pub max_nodes: usize,
    /// Pages whose parse or extraction takes longer are dropped (`html_timeout`); 0: no limit
    /// (the default: the work is linear in the page's size and bounded by `max_bytes`, and a
    /// wall-clock limit makes the output depend on the machine's load).
    pub max_millis: u64,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        let l = Limits::default();
        Self {
            max_bytes: l.max_bytes,
            max_nodes: l.max_nodes,
            max_millis: 0,
        }
    }
}

/// The `extract` step.
pub struct Extract {
    limits: Limits,
}

impl Filter for Extract {
    type Config = ExtractConfig;
    const ID: &'static str = "extract";
    const ORIGIN: &'static str = "tamis (crate tamis-extract); block scoring after Arc90 \
        Readability (Mozilla Readability.js, _grabArticle), boilerplate pruning and \
        deduplication after trafilatura (Barbaresi 2021, trafilatura/htmlprocessing.py), \
        tree construction after the WHATWG HTML standard, section 13.2.6";
    const REASONS: &'static [&'static str] = &[
        "no_main_text",
        "html_too_large",
        "html_too_many_nodes",
        "html_timeout",
    ];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        if cfg.max_bytes == 0 || cfg.max_nodes == 0 {
            return Err(ConfigError::new(
                Self::ID,
                "max_bytes and max_nodes must be positive",
            ));
        }
        Ok(Self {
            limits: Limits {
                max_bytes: cfg.max_bytes,
                max_nodes: cfg.max_nodes,
                max_millis: (cfg.max_millis > 0).then_some(cfg.max_millis),
            },
        })
    }
}

impl Step for Extract {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        match tamis_extract::extract(&doc.text, &self.limits) {
            Ok(e) => {
                if e.flattened > 0 {
                    // Reported, not dropped: the page parsed as browsers parse it.
                    ctx.counters.incr("pages_nested_over_512_flattened");
                }
                if e.text.is_empty() {
                    return Verdict::drop("no_main_text");
                }
                doc.text = e.text;
                if !e.title.is_empty() {
                    doc.metadata.insert("title".into(), e.title.into());
                }
                Verdict::Keep
            }
            Err(e) => Verdict::drop(e.reason()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::process as run;

    #[test]
    fn keeps_the_article_and_drops_the_chrome() {
        let html = "<html><head><title>T</title></head><body>\
            <nav><a href=/>Home</a> <a href=/news>News</a></nav>\
            <div class=content><p>The council met on Tuesday, and after a long debate, it \
            voted to repair the bridge before winter.</p><p>Work starts in March, the mayor \
            said, and should end by June.</p></div>\
            <footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>";
        let step = Extract::build(ExtractConfig::default()).unwrap();
        let (verdict, doc) = run(&step, html);
        assert_eq!(verdict, Verdict::Keep);
        assert!(doc.text.starts_with("The council met"), "{}", doc.text);
        assert_eq!(doc.text.lines().count(), 2, "{}", doc.text);
        assert!(!doc.text.contains("Home") && !doc.text.contains("Copyright"));
        assert_eq!(doc.metadata["title"], "T");
    }

    #[test]
    fn deep_pages_are_flattened_and_counted() {
        let step = Extract::build(ExtractConfig::default()).unwrap();
        let text = "The council met on Tuesday and voted to repair the old bridge before winter.";
        let mut doc = Document::new("deep", "<div>".repeat(2_000) + text);
        let (mut counters, mut cache) = (
            tamis_core::Counters::default(),
            tamis_core::DocCache::default(),
        );
        let v = step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        assert_eq!(v, Verdict::Keep);
        assert_eq!(doc.text, text);
        assert_eq!(counters.get("pages_nested_over_512_flattened"), 1);
    }

    #[test]
    fn limits_and_empty_pages_drop_with_their_reason() {
        let step = Extract::build(ExtractConfig {
            max_bytes: 100,
            ..ExtractConfig::default()
        })
        .unwrap();
        let (v, _) = run(&step, &"<p>x</p>".repeat(20));
        assert_eq!(v, Verdict::drop("html_too_large"));
        let step = Extract::build(ExtractConfig::default()).unwrap();
        let (v, _) = run(&step, "<html><script>var a = 1;</script></html>");
        assert_eq!(v, Verdict::drop("no_main_text"));
        assert!(Extract::build(ExtractConfig {
            max_nodes: 0,
            ..ExtractConfig::default()
        })
        .is_err());
    }
}
