//! `caption_credit` and `tag_list`: photo captions with credits, and lines of tags.
//!
//! News pages interleave the article with image captions ("... Photo: Reuters", "Image | Getty")
//! and end it with topic tags ("Economy | Europe"). trafilatura drops `<figcaption>` and tag
//! containers by markup; on plain text the credit marker and the separator pattern remain.
//! A tag line is short segments joined by `|`, `·` or `•` with no sentence end; on the
//! labelled set lines with " | " are 96% boilerplate by characters.

use super::Line;
use crate::LineCleanConfig;

pub const CAPTION: &str = "caption_credit";
pub const TAGS: &str = "tag_list";

/// Credit markers, lowercased. Each names the picture's source, which prose rarely does with
/// this punctuation.
const CREDITS: &[&str] = &[
    "photo |",
    "photo:",
    "photo by",
    "photos:",
    "photograph:",
    "image:",
    "image |",
    "image credit",
    "image source",
    "picture:",
    "credit:",
    "credits:",
    "caption:",
    "source |",
    "(ap photo",
    "getty images",
    "shutterstock",
    "foto:",
    "fotos:",
    "foto |",
    "bild:",
    "bildquelle",
    "quelle:",
    "fuente:",
    "crédit photo",
    "crédits photo",
    "фото:",
    "источник:",
    "kaynak:",
    "fotoğraf:",
];

/// Whether the line carries a picture or source credit and is no longer than
/// `caption_max_words` words.
pub fn is_caption(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    if line.words > cfg.caption_max_words {
        return false;
    }
    // Every marker holds `:`, `|` or `(`, or one of these fragments, which capitalisation
    // leaves alone; most lines have none, and skip the lowercasing.
    let t = line.text;
    if !(t.contains([':', '|', '('])
        || ["hoto", "mage", "etty", "hutterstock"]
            .iter()
            .any(|f| t.contains(f)))
    {
        return false;
    }
    let l = line.lower();
    CREDITS.iter().any(|c| l.contains(c))
}

/// Whether the line is at least two short segments (at most 4 words each) separated by ` | `,
/// ` · ` or ` • `, and does not end like a sentence.
pub fn is_tag_line(line: &Line<'_>) -> bool {
    let t = line.text;
    if !(t.contains(" | ") || t.contains(" · ") || t.contains(" • ")) || super::ends_sentence(t)
    {
        return false;
    }
    t.split(['|', '·', '•'])
        .all(|seg| seg.split_whitespace().count() <= 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_and_tags() {
        let cfg = LineCleanConfig::default();
        assert!(is_caption(
            &Line::new("Protesters gather outside parliament. Photo | Reuters"),
            &cfg
        ));
        assert!(is_caption(&Line::new("Source | Wire Service"), &cfg));
        assert!(is_caption(
            &Line::new("Der Marktplatz am Abend. Foto: dpa"),
            &cfg
        ));
        assert!(!is_caption(
            &Line::new("He took a photo of the bridge before it collapsed."),
            &cfg
        ));
        assert!(is_tag_line(&Line::new("Economy | Europe | Trade")));
        assert!(is_tag_line(&Line::new("Health | Science")));
        assert!(!is_tag_line(&Line::new(
            "Results | The vote went ahead on Sunday as planned."
        )));
    }
}
