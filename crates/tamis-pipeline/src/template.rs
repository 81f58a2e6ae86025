//! Output paths by metadata (`--output-template '${language}/'`), as datatrove's writers take
//! `output_filename="${language}/..."`: kept documents go to `kept/<expansion><NNNNN>.<ext>`,
//! e.g. `kept/en/00000.jsonl.zst`, one set of files per distinct expansion.
//! The split itself is in `split.rs`.

use serde_json::Value;
use tamis_core::Metadata;

/// A parsed template: literal text and `${key}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Key(String),
}

/// A template that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("output template {template:?}: {message}")]
pub struct TemplateError {
    pub template: String,
    pub message: String,
}

/// What a placeholder becomes when the document has no such metadata key.
pub const MISSING: &str = "_missing";

impl OutputTemplate {
    /// Parses `${key}` placeholders (keys: letters, digits, `_`, `-`, `.`) and literal text
    /// of path-safe characters and `/`. The expansion is a directory prefix: it is relative,
    /// has no `.`/`..` segment, and ends with `/` (added when missing).
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let err = |m: &str| TemplateError {
            template: template.to_owned(),
            message: m.to_owned(),
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("${") {
                let end = after.find('}').ok_or_else(|| err("unclosed `${`"))?;
                let key = &after[..end];
                if key.is_empty()
                    || !key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                {
                    return Err(err(
                        "placeholder keys are metadata keys of letters, digits, `_`, `-`, `.`",
                    ));
                }
                parts.push(Part::Key(key.to_owned()));
                rest = &after[end + 1..];
            } else {
                let end = rest.find("${").unwrap_or(rest.len());
                let lit = &rest[..end];
                if !lit
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.=/".contains(c))
                {
                    return Err(err(
                        "literal text may hold only letters, digits, `_`, `-`, `.`, `=` and `/`",
                    ));
                }
                parts.push(Part::Literal(lit.to_owned()));
                rest = &rest[end..];
            }
        }
        if !parts.iter().any(|p| matches!(p, Part::Key(_))) {
            return Err(err("no `${key}` placeholder"));
        }
        if template.starts_with('/') {
            return Err(err("must be relative (it is placed under kept/)"));
        }
        // Literal `.` or `..` segments would leave kept/; expanded values are sanitised.
        let shape: String = parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.clone(),
                Part::Key(_) => "x".into(),
            })
            .collect();
        if shape.split('/').any(|s| s == "." || s == "..") {
            return Err(err("`.` and `..` segments are not allowed"));
        }
        if !shape.ends_with('/') {
            parts.push(Part::Literal("/".into()));
        }
        Ok(Self {
            source: template.to_owned(),
            parts,
        })
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The directory prefix for a document: each `${key}` becomes the metadata value (a
    /// string as is, other values as JSON text), with every character outside letters, digits,
    /// `_`, `-`, `.`, `=` replaced by `_` and a leading `.` by `_` (so no value can make a
    /// hidden name, a `..` or a path separator); an absent or null key becomes `_missing`. A
    /// directory name longer than 120 bytes (`MAX_SEGMENT`) keeps its first bytes and ends with a
    /// hash of the whole name, so a long URL can never make a name the file system refuses.
    pub fn expand(&self, metadata: &Metadata) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(l) => out.push_str(l),
                Part::Key(k) => {
                    let raw = match metadata.get(k) {
                        None | Some(Value::Null) => MISSING.to_owned(),
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    };
                    out.push_str(&sanitise(&raw));
                }
            }
        }
        // Collapse empty segments (an empty literal between two slashes).
        let segs: Vec<String> = out
            .split('/')
            .filter(|s| !s.is_empty())
            .map(bounded)
            .collect();
        format!("{}/", segs.join("/"))
    }
}

/// The longest directory name a template writes, in bytes (file systems allow 255).
pub const MAX_SEGMENT: usize = 120;

/// `seg` itself when short enough, else its first bytes, `-` and 16 hex digits of its
/// SHA-256: distinct long names stay distinct. `seg` is ASCII (see [`sanitise`]).
fn bounded(seg: &str) -> String {
    if seg.len() <= MAX_SEGMENT {
        return seg.to_owned();
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(seg.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", &seg[..MAX_SEGMENT - 17])
}

fn sanitise(v: &str) -> String {
    let mut s: String = v
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.=".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        s.push('_');
    }
    if s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: Value) -> Metadata {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn expands_keys_into_safe_directory_names() {
        let t = OutputTemplate::parse("${language}").unwrap();
        assert_eq!(t.expand(&meta(json!({"language": "en"}))), "en/");
        assert_eq!(t.expand(&meta(json!({}))), "_missing/");
        assert_eq!(t.expand(&meta(json!({"language": "../x"}))), "_._x/");
        assert_eq!(t.expand(&meta(json!({"language": ".."}))), "_./");
        assert_eq!(t.expand(&meta(json!({"language": ""}))), "_/");
        // A 300-character URL: a bounded name, the same every time, distinct from its sibling.
        let t = OutputTemplate::parse("${url}/").unwrap();
        let long = format!("https://example.com/{}", "a".repeat(280));
        let a = t.expand(&meta(json!({ "url": long })));
        let b = t.expand(&meta(json!({ "url": format!("{long}b") })));
        assert_eq!(a.len(), MAX_SEGMENT + 1);
        assert!(a.starts_with("https___example.com_aaa"), "{a}");
        assert_ne!(a, b);
        assert_eq!(a, t.expand(&meta(json!({ "url": long }))));
        let t = OutputTemplate::parse("lang=${language}/${dump}/").unwrap();
        assert_eq!(
            t.expand(&meta(json!({"language": "fr", "dump": 3}))),
            "lang=fr/3/"
        );
        for bad in [
            "", "en/", "${", "${a b}", "/${x}", "../${x}", "${x}/../", "a b/${x}",
        ] {
            assert!(OutputTemplate::parse(bad).is_err(), "{bad:?}");
        }
    }
}
