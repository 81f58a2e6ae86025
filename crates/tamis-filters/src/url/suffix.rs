//! The host split datatrove's `URLFilter` relies on: tldextract's `TLDExtract()` (5.4.0,
//! `tldextract/tldextract.py` and `tldextract/remote.py`) with its defaults, public suffixes
//! only (`include_psl_private_domains=False`), reimplemented from its behaviour.
//!
//! Offline, tldextract falls back to the Public Suffix List snapshot bundled in its wheel
//! (`.tld_set_snapshot`); that snapshot is committed here as `data/url/public_suffix_list.dat.zst`
//! so results do not depend on the network or the day.

use std::collections::HashMap;
use std::sync::OnceLock;

use tamis_text::py;

static PSL_ZST: &[u8] = include_bytes!("../../data/url/public_suffix_list.dat.zst");

/// A node of the reversed-label trie of public suffix rules (`Trie` in tldextract).
#[derive(Default)]
struct Node {
    children: HashMap<String, Node>,
    /// A rule ends here.
    end: bool,
}

/// The public suffix rules, as a trie keyed by labels from the right.
pub(crate) struct SuffixList {
    root: Node,
    /// Read by the tests, which compare it with tldextract's count.
    #[cfg_attr(not(test), allow(dead_code))]
    rules: usize,
}

/// A host split into tldextract's three parts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    pub subdomain: std::borrow::Cow<'a, str>,
    pub domain: &'a str,
    pub suffix: &'a str,
}

impl Split<'_> {
    /// `registered_domain`: `domain.suffix` when both are set, else empty.
    pub fn registered_domain(&self) -> String {
        if self.suffix.is_empty() || self.domain.is_empty() {
            return String::new();
        }
        format!("{}.{}", self.domain, self.suffix)
    }

    /// `fqdn`: the non-empty parts joined by dots when there is a domain and a suffix, else
    /// empty (no private suffixes, so `is_private` is always false).
    pub fn fqdn(&self) -> String {
        if self.suffix.is_empty() || self.domain.is_empty() {
            return String::new();
        }
        [&*self.subdomain, self.domain, self.suffix]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl SuffixList {
    /// The bundled snapshot, parsed once per process.
    pub fn bundled() -> &'static SuffixList {
        static LIST: OnceLock<SuffixList> = OnceLock::new();
        LIST.get_or_init(|| {
            // The snapshot is a committed, checked file: failing to read it is a build defect.
            let raw = zstd::decode_all(PSL_ZST).expect("bundled public suffix list decodes");
            let text = String::from_utf8(raw).expect("bundled public suffix list is UTF-8");
            SuffixList::parse(&text)
        })
    }

    /// Parses a Public Suffix List file as tldextract does: the rules before
    /// `// ===BEGIN PRIVATE DOMAINS===`, each the first token of a line that matches
    /// `^[.*!]*\w\S*` (so comments and blank lines are skipped).
    pub fn parse(text: &str) -> SuffixList {
        let public = text
            .split_once("// ===BEGIN PRIVATE DOMAINS===")
            .map_or(text, |(p, _)| p);
        let mut root = Node::default();
        let mut rules = 0;
        for line in public.split('\n') {
            let lead = line.trim_start_matches(['.', '*', '!']);
            // Python's `\w`: alphanumeric or underscore.
            if !lead.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let end = line.find(py::is_space).unwrap_or(line.len());
            let rule = &line[..end];
            rules += 1;
            let mut node = &mut root;
            for label in rule.split('.').rev() {
                node = node.children.entry(label.to_owned()).or_default();
            }
            node.end = true;
        }
        SuffixList { root, rules }
    }

    /// Number of public rules (tldextract's `len(public_tlds)`, repeats included).
    #[cfg(test)]
    pub fn rules(&self) -> usize {
        self.rules
    }

    /// Index of the first label of the public suffix, or `None` without one
    /// (`_PublicSuffixListTLDExtractor.suffix_index`).
    fn suffix_index(&self, labels: &[&str]) -> Option<usize> {
        let mut node = &self.root;
        let mut suffix_idx = labels.len();
        let mut label_idx = labels.len();
        for label in labels.iter().rev() {
            let decoded = decode_label(label);
            if let Some(next) = node.children.get(decoded.as_str()) {
                label_idx -= 1;
                node = next;
                if node.end {
                    suffix_idx = label_idx;
                }
                continue;
            }
            if node.children.contains_key("*") {
                // `*.ck` covers any label under `ck` unless `!label.ck` excepts it.
                let exception = node.children.contains_key(&format!("!{decoded}"));
                return Some(if exception { label_idx } else { label_idx - 1 });
            }
            break;
        }
        (suffix_idx != labels.len()).then_some(suffix_idx)
    }

    /// `TLDExtract()(url)`: the host of `url` split into subdomain, domain and suffix.
    pub fn split<'a>(&self, host: &'a str) -> Split<'a> {
        let labels: Vec<&str> = host.split('.').collect();
        let Some(i) = self.suffix_index(&labels) else {
            // No suffix (including IPv4 and IPv6 literals): nothing below matters to the filter.
            return Split {
                subdomain: labels[..labels.len() - 1].join(".").into(),
                domain: labels[labels.len() - 1],
                suffix: "",
            };
        };
        // Byte offset of label `i` in `host`.
        let start: usize = labels[..i].iter().map(|l| l.len() + 1).sum();
        let suffix = &host[start.min(host.len())..];
        let domain = if i > 0 { labels[i - 1] } else { "" };
        let subdomain = if i >= 2 {
            labels[..i - 1].join(".").into()
        } else {
            "".into()
        };
        Split {
            subdomain,
            domain,
            suffix,
        }
    }
}

/// The host of a URL-like string as tldextract's `lenient_netloc` finds it (case kept), with
/// its three Unicode full stops made ASCII as `_extract_netloc` does.
pub(crate) fn host_of(url: &str) -> String {
    let rest = schemeless(url);
    let authority = rest
        .split('/')
        .next()
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.split('#').next())
        .unwrap_or_default();
    let after_userinfo = authority.rsplit('@').next().unwrap_or_default();
    if after_userinfo.starts_with('[') {
        if let Some(end) = after_userinfo.find(']') {
            return after_userinfo[..=end].to_owned();
        }
    }
    let hostname = py::strip(after_userinfo.split(':').next().unwrap_or_default());
    let host = hostname.trim_end_matches(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}']);
    host.replace(['\u{3002}', '\u{ff0e}', '\u{ff61}'], ".")
}

/// `_schemeless_url`: drops `scheme://` when what precedes `//` is a scheme.
fn schemeless(url: &str) -> &str {
    match url.find("//") {
        Some(0) => &url[2..],
        Some(i)
            if i >= 2
                && url.as_bytes()[i - 1] == b':'
                && url[..i - 1]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            &url[i + 2..]
        }
        _ => url,
    }
}

/// `_decode_punycode`: the label lowercased, and decoded when it is an `xn--` label.
///
/// tldextract decodes with `idna.decode`, which also checks IDNA 2008 validity and falls back
/// to the lowercased label when the check fails; only labels that decode to a public suffix
/// rule matter here, and those are valid, so plain Punycode decoding gives the same result.
fn decode_label(label: &str) -> String {
    let lowered = label.to_lowercase();
    if let Some(puny) = lowered.strip_prefix("xn--") {
        if !puny.is_empty() && !puny.ends_with('-') {
            if let Some(decoded) = punycode_decode(puny) {
                return decoded;
            }
        }
    }
    lowered
}

/// RFC 3492 Punycode decoding; `None` for invalid input (as Python's codec raises).
fn punycode_decode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    if !input.is_ascii() {
        return None;
    }
    let (basic, extended) = match input.rfind('-') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => ("", input),
    };
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (128u32, 0u32, 72u32);
    let mut digits = extended.bytes().peekable();
    while digits.peek().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let b = digits.next()?;
            let digit = match b {
                b'a'..=b'z' => u32::from(b - b'a'),
                b'A'..=b'Z' => u32::from(b - b'A'),
                b'0'..=b'9' => u32::from(b - b'0') + 26,
                _ => return None,
            };
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = if k <= bias {
                T_MIN
            } else if k >= bias + T_MAX {
                T_MAX
            } else {
                k - bias
            };
            if digit < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        // Bias adaptation (RFC 3492 section 6.1).
        let mut delta = if old_i == 0 {
            (i - old_i) / DAMP
        } else {
            (i - old_i) / 2
        };
        delta += delta / len;
        let mut kk = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            kk += BASE;
        }
        bias = kk + (((BASE - T_MIN + 1) * delta) / (delta + SKEW));
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
    }
    Some(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, String) {
        let host = host_of(url);
        let s = SuffixList::bundled().split(&host);
        (s.registered_domain(), s.fqdn())
    }

    #[test]
    fn hosts_split_like_tldextract() {
        assert_eq!(
            parts("http://forums.bbc.co.uk/path"),
            ("bbc.co.uk".into(), "forums.bbc.co.uk".into())
        );
        assert_eq!(
            parts("https://user:pw@Www.Example.COM:8080/x?y#z"),
            ("Example.COM".into(), "Www.Example.COM".into())
        );
        assert_eq!(
            parts("http://localhost:8080"),
            (String::new(), String::new())
        );
        assert_eq!(parts("http://127.0.0.1/a"), (String::new(), String::new()));
        assert_eq!(parts("http://co.uk/"), (String::new(), String::new()));
        // Wildcard `*.ck` and its exception `!www.ck`.
        assert_eq!(parts("http://a.b.ck/"), ("a.b.ck".into(), "a.b.ck".into()));
        assert_eq!(
            parts("http://x.a.b.ck/"),
            ("a.b.ck".into(), "x.a.b.ck".into())
        );
        assert_eq!(parts("http://www.ck/"), ("www.ck".into(), "www.ck".into()));
        // Punycode labels match Unicode rules.
        assert_eq!(
            parts("http://shop.xn--55qx5d.cn/"),
            ("shop.xn--55qx5d.cn".into(), "shop.xn--55qx5d.cn".into())
        );
        assert_eq!(
            parts("example.com."),
            ("example.com".into(), "example.com".into())
        );
        assert_eq!(
            parts("//a.example。com"),
            ("example.com".into(), "a.example.com".into())
        );
    }

    #[test]
    fn parses_as_many_public_rules_as_tldextract() {
        // `len(extract_tlds_from_suffix_list(snapshot)[0])` in tldextract 5.4.0.
        assert_eq!(SuffixList::bundled().rules(), 6871);
    }

    #[test]
    fn punycode_decodes_rfc_examples() {
        assert_eq!(punycode_decode("55qx5d").as_deref(), Some("公司"));
        assert_eq!(punycode_decode("mnchen-3ya").as_deref(), Some("münchen"));
        assert_eq!(punycode_decode("!!"), None);
    }
}
