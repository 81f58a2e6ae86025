use std::ops::Range;

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_filters::Filter;
use tamis_text::py;

use crate::log::{remove_ranges, replace_spans};

/// Symbol lines formatter: removes lines made only of symbols (and spaces), as datatrove's
/// `SymbolLinesFormatter` does; FineWeb-2's last final touch, which runs it with
/// `symbols_to_remove = ["|"]` and `replace_char = "\n"` against table borders left by
/// trafilatura.
///
/// The text is split into lines as Python's `str.splitlines()` splits it. A line is a symbol
/// line when it is not blank and each of its characters is a space or one of the symbols. Each
/// run of symbol lines gives way to `replace_char` (nothing by default), and the lines are
/// joined with `\n`: so, as in datatrove, every line ending becomes `\n` and the text loses its
/// final line ending. Every change is recorded in the edit log (`metadata.tamis_edits`, rule
/// `symbol_lines`); counter `symbol_lines_removed`. Never drops a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SymbolLinesConfig {
    /// The symbols (single characters); empty: datatrove's `PUNCTUATION_SET`.
    pub symbols_to_remove: Vec<String>,
    /// What a run of symbol lines becomes ("\n" keeps a blank line in its place).
    pub replace_char: String,
}

pub struct SymbolLines {
    /// Sorted.
    symbols: Vec<char>,
    replace: String,
}

impl Filter for SymbolLines {
    type Config = SymbolLinesConfig;
    const ID: &'static str = "symbol_lines";
    const ORIGIN: &'static str = "datatrove 0.10.1 `SymbolLinesFormatter` \
        (pipeline/formatters/symbol_lines_remover.py); FineWeb-2 fineweb-2-pipeline.py step 6";
    const REASONS: &'static [&'static str] = &[];

    fn build(cfg: SymbolLinesConfig) -> Result<Self, ConfigError> {
        // A symbol of several characters never equals one character: datatrove's test
        // (`c in symbols`) ignores it, and so does this.
        let mut symbols: Vec<char> = if cfg.symbols_to_remove.is_empty() {
            tamis_filters::punctuation_set().to_vec()
        } else {
            cfg.symbols_to_remove
                .iter()
                .filter_map(|s| {
                    let mut it = s.chars();
                    match (it.next(), it.next()) {
                        (Some(c), None) => Some(c),
                        _ => None,
                    }
                })
                .collect()
        };
        symbols.sort_unstable();
        symbols.dedup();
        Ok(SymbolLines {
            symbols,
            replace: cfg.replace_char,
        })
    }
}

/// One line of `str.splitlines()`: its text and its line ending (empty for a last line
/// without one), as byte ranges.
struct Line {
    text: Range<usize>,
    end: Range<usize>,
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !py::is_line_break(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
            chars.next();
            end += 1;
        }
        lines.push(Line {
            text: start..i,
            end: i..end,
        });
        start = end;
    }
    if start < text.len() {
        lines.push(Line {
            text: start..text.len(),
            end: text.len()..text.len(),
        });
    }
    lines
}

/// Byte ranges to remove, line-break-free spans to replace, and the number of symbol lines.
type Edits = (Vec<Range<usize>>, Vec<(Range<usize>, String)>, u64);

/// What a run of output elements is made of: a kept line, or a run of symbol lines standing as
/// `replace_char`.
enum Element {
    Line(usize),
    Run(usize, usize),
}

impl SymbolLines {
    fn is_symbol_line(&self, s: &str) -> bool {
        !py::strip(s).is_empty()
            && s.chars()
                .all(|c| c == ' ' || self.symbols.binary_search(&c).is_ok())
    }

    /// The edits that turn `text` into datatrove's output: removals, and replacements of
    /// line-break-free spans.
    fn edits(&self, text: &str) -> Edits {
        let lines = split_lines(text);
        let symbol: Vec<bool> = lines
            .iter()
            .map(|l| self.is_symbol_line(&text[l.text.clone()]))
            .collect();
        let mut elements = Vec::new();
        let mut dropped = Vec::new();
        let mut removed_lines = 0;
        let mut i = 0;
        while i < lines.len() {
            if !symbol[i] {
                elements.push(Element::Line(i));
                i += 1;
                continue;
            }
            let k = i;
            while i < lines.len() && symbol[i] {
                i += 1;
            }
            removed_lines += (i - k) as u64;
            if self.replace.is_empty() {
                dropped.extend(k..i);
            } else {
                elements.push(Element::Run(k, i - 1));
            }
        }
        let mut removals: Vec<Range<usize>> = Vec::new();
        let mut replacements: Vec<(Range<usize>, String)> = Vec::new();
        let remove = |r: Range<usize>, removals: &mut Vec<Range<usize>>| {
            if r.is_empty() {
                return;
            }
            match removals.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => removals.push(r),
            }
        };
        // Each element's line ending becomes the "\n" joining it to the next, or goes.
        let n = elements.len();
        let ending = |e: usize,
                      end: &Range<usize>,
                      removals: &mut Vec<Range<usize>>,
                      replacements: &mut Vec<(Range<usize>, String)>| {
            let s = &text[end.clone()];
            if e + 1 == n || s.is_empty() {
                remove(end.clone(), removals);
            } else if s == "\r\n" {
                remove(end.start..end.start + 1, removals);
            } else if s != "\n" {
                replacements.push((end.clone(), "\n".to_string()));
            }
        };
        let mut next_dropped = dropped.iter().peekable();
        for (e, el) in elements.iter().enumerate() {
            let first = match el {
                Element::Line(i) | Element::Run(i, _) => *i,
            };
            // Dropped runs before this element go whole.
            while let Some(&&d) = next_dropped.peek() {
                if d > first {
                    break;
                }
                remove(lines[d].text.start..lines[d].end.end, &mut removals);
                next_dropped.next();
            }
            match *el {
                Element::Line(i) => ending(e, &lines[i].end, &mut removals, &mut replacements),
                Element::Run(k, m) => {
                    replacements.push((lines[k].text.clone(), self.replace.clone()));
                    ending(e, &lines[k].end, &mut removals, &mut replacements);
                    for l in &lines[k + 1..=m] {
                        remove(l.text.start..l.end.end, &mut removals);
                    }
                }
            }
        }
        for &d in next_dropped {
            remove(lines[d].text.start..lines[d].end.end, &mut removals);
        }
        // A text ending in a dropped run loses the line ending that joined it to the last
        // element (that element is the last one joined).
        (removals, replacements, removed_lines)
    }
}

impl Step for SymbolLines {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let (removals, mut replacements, removed_lines) = self.edits(&doc.text);
        if removals.is_empty() && replacements.is_empty() {
            return Verdict::Keep;
        }
        replacements.sort_by_key(|(r, _)| r.start);
        // Replacement spans in the text the removals leave.
        let shift = |pos: usize| -> usize {
            pos - removals
                .iter()
                .take_while(|r| r.end <= pos)
                .map(|r| r.len())
                .sum::<usize>()
        };
        let spans: Vec<(Range<usize>, String)> = replacements
            .iter()
            .map(|(r, s)| (shift(r.start)..shift(r.end), s.clone()))
            .collect();
        let ranges: Vec<(Range<usize>, &str)> =
            removals.iter().map(|r| (r.clone(), Self::ID)).collect();
        let result = remove_ranges(doc, &ranges).and_then(|_| {
            let spans: Vec<(Range<usize>, &str, &str)> = spans
                .iter()
                .map(|(r, s)| (r.clone(), Self::ID, s.as_str()))
                .collect();
            replace_spans(doc, &spans)
        });
        if let Err(e) = result {
            // The document's own log does not fit its text: a fault of this record (as in
            // `pii`), quarantined by the executor.
            panic!("document {}: metadata.tamis_edits: {e}", doc.id);
        }
        ctx.counters.add("symbol_lines_removed", removed_lines);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply_edits, EDITS_KEY};
    use tamis_testkit::StepRunner;

    fn run(cfg: SymbolLinesConfig, text: &str) -> String {
        let step = SymbolLines::build(cfg).unwrap();
        let mut doc = Document::new("d", text);
        StepRunner::default().run(&step, &mut doc);
        if let Some(log) = doc.metadata.get(EDITS_KEY) {
            assert_eq!(apply_edits(text, log).unwrap(), doc.text, "{text:?}");
        }
        doc.text
    }

    #[test]
    fn runs_of_symbol_lines_become_the_replacement() {
        let fw2 = || SymbolLinesConfig {
            symbols_to_remove: vec!["|".into()],
            replace_char: "\n".into(),
        };
        assert_eq!(run(fw2(), "a\n|\nb\n"), "a\n\n\nb");
        assert_eq!(run(fw2(), "a\n| |\n||\n | \nb"), "a\n\n\nb");
        assert_eq!(run(fw2(), "|\na"), "\n\na");
        assert_eq!(run(fw2(), "a\n|"), "a\n\n");
        assert_eq!(run(fw2(), "a\r\nb\u{2028}c\n"), "a\nb\nc");
        assert_eq!(
            run(SymbolLinesConfig::default(), "a\n--\n**\nb\n..."),
            "a\nb"
        );
        assert_eq!(run(SymbolLinesConfig::default(), "a\n   \nb"), "a\n   \nb");
    }
}
