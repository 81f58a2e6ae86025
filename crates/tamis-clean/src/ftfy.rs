use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_filters::Filter;
use tamis_text::ftfy::UnescapeHtml;

use crate::log::replace_spans;
use crate::EDITS_KEY;

/// FTFY formatter: repairs text as datatrove's `FTFYFormatter` does with its defaults (ftfy
/// 6.3.1's `fix_text` with `unescape_html="auto"`, `remove_terminal_escapes`, `fix_encoding`
/// and its sub-fixes, `fix_surrogates`, `remove_control_chars`; no ligature, width, quote,
/// line-break or Unicode normalization changes), FineWeb-2's first final touch.
///
/// Mojibake such as "CafÃ©" or "â€œquotedâ€\u{9d}" is decoded back ("Café", "“quoted”"),
/// HTML entities are decoded unless the line (or an earlier one) holds a '<' (with
/// `unescape_html` `"auto"`), terminal colour escapes and invisible control characters are
/// removed. Each repaired stretch of a line is
/// recorded in the edit log (`metadata.tamis_edits`, rule `ftfy`, with its `replacement`, which
/// may hold a line break, as `&#10;` decodes to one); counter `ftfy_fixes`. A repair that
/// changes a line break itself cannot be logged (the log's spans stay within a line): on a
/// document without an edit log the text is repaired all the same (counter `ftfy_unlogged`); on
/// one whose log earlier steps started, that repair is left out, so the log stays true (counter
/// `ftfy_skipped`). Never drops a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FtfyConfig {
    /// Decode HTML entities: `"auto"` (ftfy's default: until a line holds a `<`, as HTML
    /// would), `true` (always) or `false` (never), as `FTFYFormatter(unescape_html=...)`.
    #[serde(with = "unescape_param")]
    #[schemars(with = "AutoOrBool")]
    pub unescape_html: UnescapeHtml,
}

/// The schema of `unescape_html`: `"auto"` or a boolean.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)] // only its schema is used
#[serde(untagged)]
enum AutoOrBool {
    Auto(String),
    Bool(bool),
}

/// `unescape_html` as ftfy takes it: `"auto"`, `true` or `false`.
mod unescape_param {
    use serde::{Deserialize, Deserializer, Serializer};
    use tamis_text::ftfy::UnescapeHtml;

    pub fn serialize<S: Serializer>(v: &UnescapeHtml, s: S) -> Result<S::Ok, S::Error> {
        match v {
            UnescapeHtml::Auto => s.serialize_str("auto"),
            UnescapeHtml::Always => s.serialize_bool(true),
            UnescapeHtml::Never => s.serialize_bool(false),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<UnescapeHtml, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Str(String),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Bool(true)) => Ok(UnescapeHtml::Always),
            Ok(Raw::Bool(false)) => Ok(UnescapeHtml::Never),
            Ok(Raw::Str(s)) if s == "auto" => Ok(UnescapeHtml::Auto),
            _ => Err(serde::de::Error::custom("expected \"auto\", true or false")),
        }
    }
}

pub struct Ftfy {
    unescape: UnescapeHtml,
}

impl Filter for Ftfy {
    type Config = FtfyConfig;
    const ID: &'static str = "ftfy";
    const ORIGIN: &'static str = "ftfy 6.3.1 (Speer, github.com/rspeer/python-ftfy), `fix_text`; \
        datatrove 0.10.1 `FTFYFormatter` (pipeline/formatters/ftfy.py) defaults; \
        FineWeb-2 fineweb-2-pipeline.py step 6";
    const REASONS: &'static [&'static str] = &[];

    fn build(cfg: FtfyConfig) -> Result<Self, ConfigError> {
        Ok(Ftfy {
            unescape: cfg.unescape_html,
        })
    }
}

impl Step for Ftfy {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let edits = tamis_text::ftfy::fix_text_edits_with(&doc.text, self.unescape);
        if edits.is_empty() {
            return Verdict::Keep;
        }
        let loggable =
            |(r, _): &(std::ops::Range<usize>, String)| !doc.text[r.clone()].contains('\n');
        let all_loggable = edits.iter().all(loggable);
        if !all_loggable && !doc.metadata.contains_key(EDITS_KEY) {
            let mut out = String::with_capacity(doc.text.len());
            let mut pos = 0;
            for (r, new) in &edits {
                out.push_str(&doc.text[pos..r.start]);
                out.push_str(new);
                pos = r.end;
            }
            out.push_str(&doc.text[pos..]);
            doc.text = out;
            ctx.counters.add("ftfy_unlogged", edits.len() as u64);
            return Verdict::Keep;
        }
        let spans: Vec<(std::ops::Range<usize>, &str, &str)> = edits
            .iter()
            .filter(|e| loggable(e))
            .map(|(r, new)| (r.clone(), "ftfy", new.as_str()))
            .collect();
        ctx.counters
            .add("ftfy_skipped", (edits.len() - spans.len()) as u64);
        let n = spans.len();
        if let Err(e) = replace_spans(doc, &spans) {
            // The document's own log does not fit its text: a fault of this record (as in
            // `pii`), quarantined by the executor.
            panic!("document {}: metadata.tamis_edits: {e}", doc.id);
        }
        ctx.counters.add("ftfy_fixes", n as u64);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply_edits;
    use tamis_testkit::StepRunner;

    #[test]
    fn repairs_are_logged_and_replay() {
        let step = Ftfy::build(FtfyConfig::default()).unwrap();
        let original = "CafÃ© au lait\nâ€œquotedâ€\u{9d} &amp; more\nplain line\n";
        let mut doc = Document::new("d", original);
        let mut runner = StepRunner::default();
        assert_eq!(runner.run(&step, &mut doc), Verdict::Keep);
        assert_eq!(doc.text, "Café au lait\n“quoted” & more\nplain line\n");
        assert_eq!(doc.text, tamis_text::ftfy::fix_text(original));
        let log = &doc.metadata[EDITS_KEY];
        assert_eq!(apply_edits(original, log).unwrap(), doc.text);
        assert!(log.as_array().unwrap().iter().all(|e| e["rule"] == "ftfy"));
    }

    #[test]
    fn a_line_break_put_in_is_logged() {
        let step = Ftfy::build(FtfyConfig::default()).unwrap();
        let original = "one&#10;two CafÃ©\nthree\n";
        let mut doc = Document::new("d", original);
        let mut runner = StepRunner::default();
        runner.run(&step, &mut doc);
        assert_eq!(doc.text, "one\ntwo Café\nthree\n");
        assert_eq!(
            apply_edits(original, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );
    }
}
