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
}

impl Document {
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            text: text.into(),
            metadata: Metadata::new(),
        }
    }
}
