use serde::{Deserialize, Serialize};

/// Free-form metadata, kept in input key order so that records round-trip unchanged.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A document as datatrove and dolma write it: one JSONL line `{"id", "text", "metadata"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub metadata: Metadata,
    /// The text the edit log refers to, when a run asked for it; never serialised.
    #[serde(skip)]
    pub edit_base: EditBase,
}

/// What becomes of the text a step replaces when it starts the edit log
/// (`metadata.tamis_edits`, whose offsets refer to that text). By default it is dropped, as
/// any replaced text is; a run that shows removals in context (`--report`) marks documents
/// [`EditBase::Wanted`] and gets the text back as [`EditBase::Kept`]. Moving the replaced
/// text costs nothing, where copying every document before the steps run would.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EditBase {
    #[default]
    Drop,
    Wanted,
    Kept(String),
}

impl EditBase {
    /// Called by a step that replaces the text while the edit log is still empty: `old` is
    /// then the text the log's offsets refer to.
    pub fn offer(&mut self, old: String) {
        if *self == Self::Wanted {
            *self = Self::Kept(old);
        }
    }

    /// The kept text, if any; leaves [`EditBase::Drop`].
    pub fn take(&mut self) -> Option<String> {
        match std::mem::take(self) {
            Self::Kept(text) => Some(text),
            _ => None,
        }
    }
}

impl Document {
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            text: text.into(),
            metadata: Metadata::new(),
            edit_base: EditBase::Drop,
        }
    }

    /// About how many bytes of memory the document holds: its text and id, and its metadata
    /// as parsed values. Readers batch documents by this rather than by text length, since
    /// metadata can outweigh the text many times (a short text with a 1 MiB array of numbers
    /// holds about 16 MiB once parsed).
    pub fn approx_bytes(&self) -> usize {
        self.text.len() + self.id.len() + map_bytes(&self.metadata)
    }

    /// The document's language as FineWeb-2 keys its folders and configs: `metadata.language`,
    /// then `_` and `metadata.language_script` when that is set ("por_Latn", as the `language`
    /// step writes GlotLID's labels), or `metadata.language` alone ("pt", from lid.176).
    pub fn language_key(&self) -> Option<String> {
        let lang = self.metadata.get("language")?.as_str()?;
        Some(
            match self
                .metadata
                .get("language_script")
                .and_then(|s| s.as_str())
            {
                Some(script) if !script.is_empty() => format!("{lang}_{script}"),
                _ => lang.to_string(),
            },
        )
    }
}

/// The in-memory size of one parsed value: the value itself, plus what it owns.
fn value_bytes(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    std::mem::size_of::<Value>()
        + match v {
            Value::Null | Value::Bool(_) | Value::Number(_) => 0,
            Value::String(s) => s.len(),
            Value::Array(a) => a.iter().map(value_bytes).sum(),
            Value::Object(m) => map_bytes(m),
        }
}

/// A map's entries: each key, its value, and the entry's hash and index slots.
fn map_bytes(m: &Metadata) -> usize {
    m.iter()
        .map(|(k, v)| k.len() + std::mem::size_of::<String>() + 16 + value_bytes(v))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approx_bytes_counts_metadata_values() {
        let mut doc = Document::new("id", "short");
        let bare = doc.approx_bytes();
        assert_eq!(bare, "id".len() + "short".len());
        let numbers: Vec<serde_json::Value> = (0..1000).map(serde_json::Value::from).collect();
        doc.metadata.insert("m".into(), numbers.into());
        // 1,000 numbers of a few bytes of JSON each hold at least their `Value` slots.
        assert!(doc.approx_bytes() >= bare + 1000 * std::mem::size_of::<serde_json::Value>());
        doc.metadata
            .insert("s".into(), serde_json::Value::from("x".repeat(4096)));
        assert!(doc.approx_bytes() >= bare + 4096 + 1000 * 16);
    }
}
