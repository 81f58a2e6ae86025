//! `link_spam`: a line made mostly of URLs or bare domain names.
//!
//! Link density is the oldest boilerplate signal: Boilerpipe (Kohlschütter et al. 2010) and
//! jusText (Pomikálek 2011) both classify blocks by the share of their text inside links. On
//! plain text the links are gone, but spam lines that list URLs or domains survive, so we
//! measure the share of a line's non-space bytes in URL-like tokens (`http(s)://`, `www.`, or
//! `name.tld` with an alphabetic TLD). RefinedWeb (Penedo et al. 2023) similarly removes
//! URL-only lines in its line-wise corrections.

use super::Line;
use crate::LineCleanConfig;

pub const ID: &str = "link_spam";

/// Whether a whitespace-free token looks like a URL or a bare domain.
pub(crate) fn is_url_token(tok: &str) -> bool {
    let t = tok.trim_matches(|c: char| matches!(c, '(' | ')' | '<' | '>' | ',' | '"' | '\''));
    let lower_start = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    if lower_start.starts_with("http://")
        || lower_start.starts_with("https://")
        || lower_start.starts_with("www.")
    {
        return true;
    }
    // `host.tld` or `host.tld/path`: ASCII host labels, an alphabetic TLD of 2..=12 letters.
    let host = t.split('/').next().unwrap_or("");
    if host.len() < 4 || !host.contains('.') || host.ends_with('.') {
        return false;
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return false;
    }
    let tld = host.rsplit('.').next().unwrap_or("");
    (2..=12).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && host.split('.').all(|l| !l.is_empty())
        // "e.g" and "U.S" style abbreviations have one-letter labels.
        && host.split('.').next().is_some_and(|l| l.len() >= 2)
}

/// Whether the URL-like tokens cover at least `link_spam_min_fraction` of the line.
pub fn is_link_spam(line: &Line<'_>, cfg: &LineCleanConfig) -> bool {
    if !line.text.contains('.') {
        return false;
    }
    // Without a scheme or `www.`, only a few bare domains make a spam line; longer lines of
    // prose with a domain in them are skipped without tokenising.
    if line.words > 8 && !line.text.contains("://") && !line.text.contains("www.") {
        return false;
    }
    let (mut url, mut all) = (0usize, 0usize);
    for tok in tamis_text::py::split_whitespace(line.text) {
        all += tok.len();
        if is_url_token(tok) {
            url += tok.len();
        }
    }
    all > 0 && url as f64 >= cfg.link_spam_min_fraction * all as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spam(s: &str) -> bool {
        is_link_spam(&Line::new(s), &LineCleanConfig::default())
    }

    #[test]
    fn url_lists_and_bare_domains_are_spam() {
        assert!(spam(
            "https://example.com/a?x=1 https://example.org/b http://c.net/"
        ));
        assert!(spam("casino-bonus.net"));
        assert!(spam("best-odds.example.net/"));
        assert!(spam("www.example.com"));
    }

    #[test]
    fn prose_mentioning_a_site_is_not_spam() {
        assert!(!spam(
            "You can read the full report at example.com, published last week."
        ));
        assert!(!spam(
            "The U.S. economy grew by 2.5 percent, e.g. faster than expected."
        ));
        assert!(!spam("Version 3.14 is out."));
    }
}
