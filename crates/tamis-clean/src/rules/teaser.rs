//! `truncated_teaser`: a line cut off with an ellipsis, as teasers of other articles are.
//!
//! C4 (Raffel et al. 2020) removes every line ending in "..." because such lines are
//! truncated previews; listing pages and "related articles" blocks show the first words of
//! other articles followed by "…" or "[…]". We require at least 6 words so that a short
//! dramatic "Wait..." inside dialogue stays (short lines are left to the context rule), and the
//! caller keeps the line when prose follows it: on the labelled set, removing every such line
//! (as C4 does) removed more content (54 K characters) than boilerplate (48 K), mostly
//! paragraphs that trail off inside an article. For the same reason a prose-length line
//! (`prose_min_words`) ending in three typed dots is kept; the marks a CMS writes after an
//! excerpt ("…", "[…]", "[...]", "(...)") still remove it.

use super::{is_prose, Line};
use crate::LineCleanConfig;

pub const ID: &str = "truncated_teaser";

pub fn is_teaser(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    let t = line.text;
    if line.words < 6 {
        return false;
    }
    // Marks a CMS puts after a cut-off excerpt; a writer's own trailing "..." ends a sentence
    // inside an article as often as it ends a teaser, so a long line ending that way is prose.
    let cut =
        t.ends_with('…') || t.ends_with("[…]") || t.ends_with("[...]") || t.ends_with("(...)");
    cut || (t.ends_with("...") && !is_prose(line, cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teasers() {
        let cfg = LineCleanConfig::default();
        let teaser = |s: &str| is_teaser(&Line::new(s), &cfg);
        assert!(teaser(
            "The council voted on Monday to close the old bridge to traffic while…"
        ));
        assert!(teaser(
            "Read the rest of this long story about the town [...]"
        ));
        assert!(teaser("Ten things to know about the new bridge..."));
        assert!(!teaser("Well..."));
        assert!(!teaser("The council voted on Monday to close the bridge."));
        // A long sentence that trails off with typed dots is the writer's, not a cut.
        assert!(!teaser(
            "And so the old bridge stood there for another forty years, waiting for a council that never came..."
        ));
    }
}
