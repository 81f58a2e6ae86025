use std::borrow::Cow;

use crate::{Counters, Document};

/// What a step decided about one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Drop the document; the reason is snake_case and names the rule that fired, as datatrove's
    /// reasons do (`dup_line_frac`, `top_2_gram`), so stats diff cleanly between the two tools.
    Drop(Cow<'static, str>),
}

impl Verdict {
    pub fn drop(reason: impl Into<Cow<'static, str>>) -> Self {
        Verdict::Drop(reason.into())
    }
}

/// A pipeline step: sees one document at a time, may edit it, and keeps or drops it.
///
/// Steps are built once from a validated config and shared across threads, so `process` takes
/// `&self`; per-document events go into `counters`, which the executor merges in input order.
pub trait Step: Send + Sync {
    /// Stable snake_case id, as used in pipeline files and stats.
    fn id(&self) -> &'static str;
    fn process(&self, doc: &mut Document, counters: &mut Counters) -> Verdict;
}

/// A step's configuration was rejected before any document was read.
#[derive(Debug, thiserror::Error)]
#[error("{step}: parameter `{field}`: {message}")]
pub struct ConfigError {
    pub step: &'static str,
    pub field: &'static str,
    pub message: String,
}
