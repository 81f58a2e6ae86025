use std::ops::Range;

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};
use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Ctx, Document, Step, Verdict};
use tamis_filters::Filter;
use unicode_general_category::{get_general_category, GeneralCategory as Gc};

use crate::log::replace_spans;

/// PII formatter: replaces email addresses and public IPv4 addresses in the text with fixed
/// stand-ins, as datatrove's `PIIFormatter` does, and records every replacement in the edit log
/// (`metadata.tamis_edits`, entries with a `replacement`; rules `pii_email`, `pii_ip`).
///
/// Emails and addresses are found with datatrove's regular expressions (leftmost-first, as
/// Python's `re` finds them; the email's leading `\b` uses Python's word characters). A
/// dotted quad is replaced only when Python's `ipaddress` (3.11.7) parses it (no leading
/// zeros) and, with `only_remove_public_ips`, calls it global. Stand-ins are used in turn; the
/// turn restarts with each document (datatrove carries it from one document to the next, which
/// makes the output depend on how documents were split across workers). Stand-ins must not
/// hold a line break, so every edit stays within one line. Never drops a document; counters
/// `pii_emails_replaced`, `pii_ips_replaced`. A document whose existing edit log does not fit
/// its text is a fault (quarantined).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PiiConfig {
    /// Replace email addresses.
    pub remove_emails: bool,
    /// Replace IPv4 addresses.
    pub remove_ips: bool,
    /// Replace only global (public) addresses, not private, loopback or reserved ones.
    pub only_remove_public_ips: bool,
    /// Stand-ins for emails, used in turn: a list, or one string as datatrove also takes.
    #[serde(deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany")]
    pub email_replacement: Vec<String>,
    /// Stand-ins for IP addresses, used in turn: a list, or one string.
    #[serde(deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany")]
    pub ip_replacement: Vec<String>,
}

/// The schema of a stand-in parameter: datatrove's `tuple[str, ...] | str`.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)] // only its schema is used
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A string or a sequence of strings, as one list.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

impl Default for PiiConfig {
    fn default() -> Self {
        Self {
            remove_emails: true,
            remove_ips: true,
            only_remove_public_ips: true,
            email_replacement: vec![
                "email@example.com".into(),
                "firstname.lastname@example.org".into(),
            ],
            ip_replacement: [
                "22.214.171.124",
                "126.96.36.199",
                "188.8.131.52",
                "184.108.40.206",
                "220.127.116.11",
                "18.104.22.168",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// datatrove's email expression without its leading `\b` (checked by hand with Python's
/// definition of a word character, which differs from Unicode's).
const EMAIL: &str = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*@(?:(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9\-]*[A-Za-z0-9]:)\])";
/// datatrove's IPv4 expression (no boundaries: `1234.5.6.7` holds `234.5.6.7`).
const IPV4: &str =
    r"(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)";

pub struct Pii {
    cfg: PiiConfig,
    email: Regex,
    ip: Regex,
}

impl Filter for Pii {
    type Config = PiiConfig;
    const ID: &'static str = "pii";
    const ORIGIN: &'static str =
        "datatrove 0.10.1 datatrove/pipeline/formatters/pii.py (PIIFormatter)";
    const REASONS: &'static [&'static str] = &[];

    fn build(cfg: Self::Config) -> Result<Self, ConfigError> {
        for (field, list) in [
            ("email_replacement", &cfg.email_replacement),
            ("ip_replacement", &cfg.ip_replacement),
        ] {
            if list.is_empty() {
                return Err(ConfigError::new(Self::ID, format!("`{field}` is empty")));
            }
            if list.iter().any(|r| r.contains(['\n', '\r'])) {
                return Err(ConfigError::new(
                    Self::ID,
                    format!("`{field}` holds a line break"),
                ));
            }
        }
        let compile = |re: &str| {
            Regex::new(re).map_err(|e| ConfigError::new(Self::ID, format!("regex: {e}")))
        };
        Ok(Self {
            email: compile(EMAIL)?,
            ip: compile(IPV4)?,
            cfg,
        })
    }
}

/// Python `re`'s `\w` for str patterns: `str.isalnum()` or `_`.
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    tamis_text::py::is_alpha(c)
        || matches!(
            get_general_category(c),
            Gc::DecimalNumber | Gc::LetterNumber | Gc::OtherNumber
        )
}

/// `\b` at byte `at` of `text`, as Python's `re` decides it.
fn word_boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back().is_some_and(is_word);
    let after = text[at..].chars().next().is_some_and(is_word);
    before != after
}

/// Characters an email's local part is made of (and `.` between them).
fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-.".contains(&b)
}

impl Pii {
    /// Email matches, left to right without overlap, as `re.sub` visits them. A match needs an
    /// `@`, and its start lies in the run of local-part characters before that `@`, so only
    /// those starts are tried (anchored), leftmost first.
    fn emails(&self, text: &str) -> Vec<Range<usize>> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        for at in memchr::memchr_iter(b'@', bytes) {
            if at < from {
                continue;
            }
            let mut start = at;
            while start > from && is_local(bytes[start - 1]) {
                start -= 1;
            }
            for (p, &b) in bytes.iter().enumerate().take(at).skip(start) {
                if b == b'.' || !word_boundary(text, p) {
                    continue;
                }
                let input = Input::new(text).range(p..).anchored(Anchored::Yes);
                if let Some(m) = self.email.find(input) {
                    out.push(m.range());
                    from = m.end();
                    break;
                }
            }
        }
        out
    }

    /// Dotted quads, left to right without overlap, each with whether it is replaced.
    fn ips(&self, text: &str) -> Vec<(Range<usize>, bool)> {
        self.ip
            .find_iter(text)
            .map(|m| {
                let s = &text[m.range()];
                (m.range(), self.replace_ip(s))
            })
            .collect()
    }

    /// `public_ip_validator`: `ipaddress.ip_address(s)` parses (Python 3.11.7 rejects leading
    /// zeros) and, with `only_remove_public_ips`, `is_global`.
    fn replace_ip(&self, s: &str) -> bool {
        let mut octets = [0u8; 4];
        for (i, part) in s.split('.').enumerate() {
            if part.len() > 1 && part.starts_with('0') {
                return false;
            }
            // The expression allows only 0..=255 in at most three digits.
            octets[i] = part.parse().unwrap_or(0);
        }
        !self.cfg.only_remove_public_ips || is_global(octets)
    }
}

/// Python 3.11.7's `IPv4Address.is_global`: not in 100.64.0.0/10 and not private.
fn is_global(ip: [u8; 4]) -> bool {
    let a = u32::from_be_bytes(ip);
    const PRIVATE: [(u32, u32); 14] = [
        (0x0000_0000, 8),
        (0x0a00_0000, 8),
        (0x7f00_0000, 8),
        (0xa9fe_0000, 16),
        (0xac10_0000, 12),
        (0xc000_0000, 29),
        (0xc000_00aa, 31),
        (0xc000_0200, 24),
        (0xc0a8_0000, 16),
        (0xc612_0000, 15),
        (0xc633_6400, 24),
        (0xcb00_7100, 24),
        (0xf000_0000, 4),
        (0xffff_ffff, 32),
    ];
    let within = |(net, len): (u32, u32)| (a ^ net) >> (32 - len) == 0;
    !within((0x6440_0000, 10)) && !PRIVATE.into_iter().any(within)
}

impl Step for Pii {
    fn id(&self) -> &'static str {
        Self::ID
    }

    fn process(&self, doc: &mut Document, ctx: &mut Ctx<'_>) -> Verdict {
        let c = &self.cfg;
        // Emails first, then addresses in the text the email pass left, as datatrove does.
        for (enabled, rule, counter) in [
            (c.remove_emails, "pii_email", "pii_emails_replaced"),
            (c.remove_ips, "pii_ip", "pii_ips_replaced"),
        ] {
            if !enabled {
                continue;
            }
            let (spans, stand_ins): (Vec<Range<usize>>, &[String]) = if rule == "pii_email" {
                (self.emails(&doc.text), &c.email_replacement)
            } else {
                let spans = self.ips(&doc.text);
                let kept = spans.into_iter().filter(|(_, r)| *r).map(|(s, _)| s);
                (kept.collect(), &c.ip_replacement)
            };
            if spans.is_empty() {
                continue;
            }
            let edits: Vec<(Range<usize>, &str, &str)> = spans
                .into_iter()
                .enumerate()
                .map(|(i, s)| (s, rule, stand_ins[i % stand_ins.len()].as_str()))
                .collect();
            let n = edits.len();
            if let Err(e) = replace_spans(doc, &edits) {
                // The document's own log does not fit its text: a fault of this record.
                panic!("document {}: metadata.tamis_edits: {e}", doc.id);
            }
            ctx.counters.add(counter, n as u64);
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{apply_edits, EDITS_KEY};

    fn format(text: &str) -> Document {
        let step = Pii::build(PiiConfig::default()).unwrap();
        let mut doc = Document::new("d", text);
        let (mut counters, mut cache) = (Default::default(), Default::default());
        step.process(
            &mut doc,
            &mut Ctx {
                counters: &mut counters,
                cache: &mut cache,
            },
        );
        doc
    }

    #[test]
    fn replaces_emails_and_public_addresses_in_turn() {
        let text = "Write to jane.doe@mail.example.net or bob@[10.0.0.1], from 8.8.8.8, \
                    not 192.168.1.1 nor 010.1.1.1; again 1.1.1.1 and 2.2.2.2.";
        let doc = format(text);
        assert_eq!(
            doc.text,
            "Write to email@example.com or firstname.lastname@example.org, from 22.214.171.124, \
             not 192.168.1.1 nor 010.1.1.1; again 126.96.36.199 and 188.8.131.52."
        );
        assert_eq!(
            apply_edits(text, &doc.metadata[EDITS_KEY]).unwrap(),
            doc.text
        );
    }

    #[test]
    fn a_stand_in_is_one_string_or_a_list() {
        let cfg = |v: serde_json::Value| serde_json::from_value::<PiiConfig>(v);
        let one = cfg(serde_json::json!({"email_replacement": "EMAIL"})).unwrap();
        assert_eq!(one.email_replacement, ["EMAIL"]);
        let list = cfg(serde_json::json!({"ip_replacement": ["a", "b"]})).unwrap();
        assert_eq!(list.ip_replacement, ["a", "b"]);
        let err = cfg(serde_json::json!({"email_replacement": 3}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a string or a list of strings"), "{err}");
    }

    #[test]
    fn email_needs_a_python_word_boundary() {
        // `é` is a word character to Python: no boundary before `j`, so no match at all.
        assert_eq!(format("éjohn@x.com").text, "éjohn@x.com");
        assert_eq!(format("(john@x.com)").text, "(email@example.com)");
        // A local part starting with punctuation needs a word character before it.
        assert_eq!(format("a -x@y.com").text, "a -email@example.com");
        assert_eq!(format("nothing here").metadata.get(EDITS_KEY), None);
    }

    #[test]
    fn addresses_match_without_boundaries() {
        assert_eq!(format("1234.5.6.7").text, "122.214.171.124");
        assert!(is_global([8, 8, 8, 8]));
        assert!(is_global([224, 0, 0, 1]));
        assert!(!is_global([100, 64, 0, 1]));
        assert!(!is_global([172, 31, 255, 255]));
        assert!(is_global([172, 32, 0, 0]));
    }
}
