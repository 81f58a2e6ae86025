use std::collections::HashSet;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};

use super::suffix::{host_of, SuffixList};
use crate::decl::Filter;

/// URL filter: drops documents whose `metadata.url` is on the UT1 blocklists (domain, full
/// host or exact URL) or contains banned words, as datatrove's `URLFilter` does.
///
/// In order, a document is dropped when: its registered domain (tldextract's split on the
/// public suffixes of the Public Suffix List, case kept) is a blocklisted domain (`domain`);
/// its full host is (`subdomain`); the URL itself is a blocklisted URL (`url`); a banned word
/// is one of the URL's words, the runs of ASCII letters and digits, case kept
/// (`hard_blacklisted`); at least `soft_word_threshold` soft-banned words are
/// (`soft_blacklisted`); or a banned subword occurs in the URL reduced to its lowercased ASCII
/// letters and digits (`blacklisted_subword`). Word lists are normalised the same way (letters
/// and digits only, lowercased; `#` lines skipped). The integrated lists are the UT1-derived
/// `domains` and `urls` (4,558,940 and 19,587 entries) and the word lists shipped in datatrove
/// 0.10.1's wheel, embedded in the binary; the suffix list is tldextract 5.4.0's bundled
/// snapshot, which is what datatrove uses offline. A document without a string `metadata.url`
/// is dropped with `missing_url` (datatrove stops with an assertion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UrlFilterConfig {
    /// Drop when at least this many soft-banned words are words of the URL.
    pub soft_word_threshold: usize,
    /// Extra blocked domains or hosts (compared with the registered domain and the full host).
    pub extra_domains: Vec<String>,
    /// Extra blocked URLs (compared with the whole URL).
    pub extra_urls: Vec<String>,
    /// Extra banned words (normalised to lowercase ASCII letters and digits).
    pub banned_words: Vec<String>,
    /// Extra banned subwords (normalised like the words), matched inside the normalised URL.
    pub banned_subwords: Vec<String>,
    /// Extra soft-banned words (normalised like the words).
    pub soft_banned_words: Vec<String>,
    /// Also use the integrated UT1 lists and datatrove's word lists.
    pub use_integrated_lists: bool,
}

impl Default for UrlFilterConfig {
    fn default() -> Self {
        Self {
            soft_word_threshold: 2,
            extra_domains: Vec::new(),
            extra_urls: Vec::new(),
            banned_words: Vec::new(),
            banned_subwords: Vec::new(),
            soft_banned_words: Vec::new(),
            use_integrated_lists: true,
        }
    }
}

static DOMAINS_ZST: &[u8] = include_bytes!("../../data/url/ut1-domains.zst");
static URLS_ZST: &[u8] = include_bytes!("../../data/url/ut1-urls.zst");
static BANNED_WORDS: &str = include_str!("../../data/url/banned_words.txt");
static BANNED_SUBWORDS: &str = include_str!("../../data/url/banned_subwords.txt");
static SOFT_BANNED_WORDS: &str = include_str!("../../data/url/soft_banned_words.txt");

/// A large list of lines kept as one buffer with sorted line offsets: the 4.6 million UT1
/// domains would take several times their 124 MB as a `HashSet<String>`.
struct SortedLines {
    text: String,
    starts: Vec<(u32, u32)>,
}

impl SortedLines {
    fn from_zst(bytes: &[u8]) -> SortedLines {
        // The lists are committed files checked by the tests; a failure is a build defect.
        let raw = zstd::decode_all(bytes).expect("bundled URL list decodes");
        let text = String::from_utf8(raw).expect("bundled URL list is UTF-8");
        let mut starts = Vec::new();
        for line in text.split('\n') {
            let entry = tamis_text::py::strip(line);
            // datatrove keeps every line not starting with `#`, stripped.
            if !line.is_empty() && !line.starts_with('#') {
                let off = entry.as_ptr() as usize - text.as_ptr() as usize;
                starts.push((off as u32, entry.len() as u32));
            }
        }
        let mut lines = SortedLines { text, starts };
        if !lines
            .starts
            .windows(2)
            .all(|w| lines.get(w[0]) <= lines.get(w[1]))
        {
            let SortedLines { text, mut starts } = lines;
            starts.sort_unstable_by(|&a, &b| {
                text[a.0 as usize..(a.0 + a.1) as usize]
                    .cmp(&text[b.0 as usize..(b.0 + b.1) as usize])
            });
            lines = SortedLines { text, starts };
        }
        lines
    }

    fn get(&self, (off, len): (u32, u32)) -> &str {
        &self.text[off as usize..(off + len) as usize]
    }

    fn contains(&self, s: &str) -> bool {
        self.starts
            .binary_search_by(|&e| self.get(e).cmp(s))
            .is_ok()
    }
}

/// The integrated lists, decompressed once per process on first use.
struct Integrated {
    domains: SortedLines,
    urls: SortedLines,
}

fn integrated() -> &'static Integrated {
    static LISTS: OnceLock<Integrated> = OnceLock::new();
    LISTS.get_or_init(|| Integrated {
        domains: SortedLines::from_zst(DOMAINS_ZST),
        urls: SortedLines::from_zst(URLS_ZST),
    })
}

/// datatrove's `normalize`: drop everything but ASCII letters and digits, lowercase.
fn normalize(s: &str) -> String {
    s.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect()
}

/// A word list file as datatrove's `parse_list` reads it: lines not starting with `#`,
/// normalised.
fn word_file(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with('#'))
        .map(normalize)
}

pub struct UrlFilter {
    cfg: UrlFilterConfig,
    integrated: Option<&'static Integrated>,
    suffixes: &'static SuffixList,
    extra_domains: HashSet<String>,
    extra_urls: HashSet<String>,
    banned_words: HashSet<String>,
    soft_banned_words: HashSet<String>,
    banned_subwords: Option<AhoCorasick>,
}

impl Filter for UrlFilter {
    type Config = UrlFilterConfig;
    const ID: &'static str = "url_filter";
    const ORIGIN: &'static str = "datatrove 0.10.1 datatrove/pipeline/filters/url_filter.py \
        (URLFilter) and its assets (UT1 blocklists by Université Toulouse 1 Capitole, CC BY-SA \
        4.0; banned word lists); tldextract 5.4.0 tldextract/tldextract.py with its bundled \
        Public Suffix List snapshot";
    const REASONS: &'static [&'static str] = &[
        "domain",
        "subdomain",
        "url",
        "hard_blacklisted",
        "soft_blacklisted",
        "blacklisted_subword",
        "missing_url",
    ];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        // datatrove indexes `x[0]` of each extra entry: an empty one would raise there.
        for (field, list) in [
            ("extra_domains", &cfg.extra_domains),
            ("extra_urls", &cfg.extra_urls),
            ("banned_words", &cfg.banned_words),
            ("banned_subwords", &cfg.banned_subwords),
            ("soft_banned_words", &cfg.soft_banned_words),
        ] {
            if let Some(bad) = list.iter().find(|s| s.is_empty()) {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` holds an empty entry {bad:?}"),
                ));
            }
        }
        // Normalising to nothing would make a word match the empty pieces of URLs that start
        // or end with punctuation: almost certainly not what was meant.
        for (field, list) in [
            ("banned_words", &cfg.banned_words),
            ("banned_subwords", &cfg.banned_subwords),
            ("soft_banned_words", &cfg.soft_banned_words),
        ] {
            if let Some(bad) = list
                .iter()
                .find(|s| !s.starts_with('#') && normalize(s).is_empty())
            {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` entry {bad:?} has no ASCII letter or digit"),
                ));
            }
        }
        let user = |list: &[String]| -> HashSet<String> {
            list.iter()
                .filter(|s| !s.starts_with('#'))
                .map(|s| normalize(s))
                .collect()
        };
        let stripped = |list: &[String]| -> HashSet<String> {
            list.iter()
                .filter(|s| !s.starts_with('#'))
                .map(|s| tamis_text::py::strip(s).to_owned())
                .collect()
        };
        let mut banned_words = user(&cfg.banned_words);
        let mut soft_banned_words = user(&cfg.soft_banned_words);
        let mut subwords = user(&cfg.banned_subwords);
        if cfg.use_integrated_lists {
            banned_words.extend(word_file(BANNED_WORDS));
            soft_banned_words.extend(word_file(SOFT_BANNED_WORDS));
            subwords.extend(word_file(BANNED_SUBWORDS));
        }
        subwords.retain(|w| !w.is_empty());
        let banned_subwords = if subwords.is_empty() {
            None
        } else {
            let mut sorted: Vec<String> = subwords.into_iter().collect();
            sorted.sort_unstable();
            Some(
                AhoCorasick::new(&sorted)
                    .map_err(|e| ConfigError::new(Self::ID, format!("banned subwords: {e}")))?,
            )
        };
        Ok(Self {
            integrated: cfg.use_integrated_lists.then(integrated),
            suffixes: SuffixList::bundled(),
            extra_domains: stripped(&cfg.extra_domains),
            extra_urls: stripped(&cfg.extra_urls),
            banned_words,
            soft_banned_words,
            banned_subwords,
            cfg,
        })
    }
}

impl UrlFilter {
    fn blocked_domain(&self, d: &str) -> bool {
        self.extra_domains.contains(d) || self.integrated.is_some_and(|l| l.domains.contains(d))
    }

    /// The decision for one URL: `None` to keep, else the reason.
    pub(crate) fn check(&self, url: &str) -> Option<&'static str> {
        let host = host_of(url);
        let split = self.suffixes.split(&host);
        if self.blocked_domain(&split.registered_domain()) {
            return Some("domain");
        }
        if self.blocked_domain(&split.fqdn()) {
            return Some("subdomain");
        }
        if self.extra_urls.contains(url) || self.integrated.is_some_and(|l| l.urls.contains(url)) {
            return Some("url");
        }
        // `set(re.split(r"[^a-zA-Z0-9]+", url))`: empty pieces at either end included.
        let words: HashSet<&str> = url.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        if self.banned_words.iter().any(|w| words.contains(w.as_str())) {
            return Some("hard_blacklisted");
        }
        let soft = self
            .soft_banned_words
            .iter()
            .filter(|w| words.contains(w.as_str()))
            .count();
        if soft >= self.cfg.soft_word_threshold {
            return Some("soft_blacklisted");
        }
        if let Some(ac) = &self.banned_subwords {
            if ac.is_match(&normalize(url)) {
                return Some("blacklisted_subword");
            }
        }
        None
    }
}

impl Step for UrlFilter {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, _ctx: &mut Ctx<'_>) -> Verdict {
        let Some(url) = doc.metadata.get("url").and_then(|u| u.as_str()) else {
            return Verdict::drop("missing_url");
        };
        // datatrove asserts a non-empty URL.
        if url.is_empty() {
            return Verdict::drop("missing_url");
        }
        match self.check(url) {
            None => Verdict::Keep,
            Some(reason) => Verdict::drop(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(cfg: UrlFilterConfig) -> UrlFilter {
        UrlFilter::build(UrlFilterConfig {
            use_integrated_lists: false,
            ..cfg
        })
        .unwrap()
    }

    #[test]
    fn reasons_in_datatrove_order() {
        let f = only(UrlFilterConfig {
            extra_domains: vec!["bad.com".into(), "sub.ok.org".into()],
            extra_urls: vec!["http://ok.net/page".into()],
            banned_words: vec!["Spam".into()],
            soft_banned_words: vec!["cheap".into(), "pills".into()],
            banned_subwords: vec!["casino".into()],
            ..UrlFilterConfig::default()
        });
        assert_eq!(f.check("http://www.bad.com/x"), Some("domain"));
        assert_eq!(f.check("https://sub.ok.org/"), Some("subdomain"));
        assert_eq!(f.check("https://other.ok.org/"), None);
        assert_eq!(f.check("http://ok.net/page"), Some("url"));
        // Words are case-sensitive pieces of the URL; the lists are lowercased.
        assert_eq!(
            f.check("http://ok.net/spam-offer"),
            Some("hard_blacklisted")
        );
        assert_eq!(f.check("http://ok.net/SPAM-offer"), None);
        assert_eq!(
            f.check("http://ok.net/cheap/pills"),
            Some("soft_blacklisted")
        );
        assert_eq!(f.check("http://ok.net/cheap"), None);
        assert_eq!(
            f.check("http://ok.net/Onl-ineCASINOs"),
            Some("blacklisted_subword")
        );
    }

    #[test]
    fn integrated_lists_are_loaded() {
        let f = UrlFilter::build(UrlFilterConfig::default()).unwrap();
        let lists = integrated();
        assert_eq!(lists.domains.starts.len(), 4_558_940);
        assert_eq!(lists.urls.starts.len(), 19_587);
        let d = lists.domains.get(lists.domains.starts[1000]).to_owned();
        assert!(f.blocked_domain(&d));
        assert_eq!(f.check("https://en.wikipedia.org/wiki/Rust"), None);
    }

    #[test]
    fn missing_url_and_bad_configs() {
        let f = only(UrlFilterConfig::default());
        let mut doc = Document::new("d", "text");
        let (mut counters, mut cache) = (Default::default(), Default::default());
        let mut ctx = Ctx {
            counters: &mut counters,
            cache: &mut cache,
        };
        assert_eq!(f.process(&mut doc, &mut ctx), Verdict::drop("missing_url"));
        let err = |cfg| UrlFilter::build(cfg).err().unwrap().to_string();
        assert!(err(UrlFilterConfig {
            banned_words: vec!["--".into()],
            ..UrlFilterConfig::default()
        })
        .contains("banned_words"));
        assert!(err(UrlFilterConfig {
            extra_urls: vec![String::new()],
            ..UrlFilterConfig::default()
        })
        .contains("extra_urls"));
    }
}
