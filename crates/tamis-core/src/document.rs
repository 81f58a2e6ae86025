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
}
