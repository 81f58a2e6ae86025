//! HTML to main text.
//!
//! [`extract`] parses a page with a linear-time, depth-capped tree builder ([`dom`]) and keeps
//! its main content ([`extract_dom`]): title apart, navigation, comments, footers and link
//! lists removed, one paragraph a line, as trafilatura outputs it. Hard limits ([`Limits`])
//! turn pathological pages into errors instead of hangs.

pub mod dom;
mod extract;
pub mod tag;

pub use dom::Dom;
pub use extract::{extract_dom, Extracted};

/// Per-page bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pages longer than this many bytes are refused.
    pub max_bytes: usize,
    /// Pages with more nodes (elements and text runs) than this are refused.
    pub max_nodes: usize,
    /// Pages whose parse or extraction takes longer than this are refused; `None`: no clock.
    /// The work is linear in the page size and bounded by `max_bytes`, so this is a safety
    /// net, off by default because a wall-clock limit makes outputs depend on machine load.
    pub max_millis: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 16 << 20,
            max_nodes: 1 << 20,
            max_millis: None,
        }
    }
}

/// Why a page was not extracted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The page is longer than [`Limits::max_bytes`].
    #[error("page of {0} bytes is over the {1}-byte limit")]
    TooLarge(usize, usize),
    /// The page has more nodes than [`Limits::max_nodes`].
    #[error("page of {0} nodes is over the {1}-node limit")]
    TooManyNodes(usize, usize),
    /// Parsing or extracting took longer than [`Limits::max_millis`].
    #[error("page took over {0} ms")]
    Timeout(u64),
}

impl ExtractError {
    /// The snake_case reason recorded for a page skipped for this error.
    pub fn reason(&self) -> &'static str {
        match self {
            ExtractError::TooLarge(..) => "html_too_large",
            ExtractError::TooManyNodes(..) => "html_too_many_nodes",
            ExtractError::Timeout(..) => "html_timeout",
        }
    }
}

/// The main text of `html`.
pub fn extract(html: &str, limits: &Limits) -> Result<Extracted, ExtractError> {
    if html.len() > limits.max_bytes {
        return Err(ExtractError::TooLarge(html.len(), limits.max_bytes));
    }
    let start = std::time::Instant::now();
    let timed_out = || {
        limits
            .max_millis
            .filter(|&ms| start.elapsed().as_millis() > u128::from(ms))
    };
    let dom = Dom::parse(html);
    if dom.nodes.len() > limits.max_nodes {
        return Err(ExtractError::TooManyNodes(
            dom.nodes.len(),
            limits.max_nodes,
        ));
    }
    if let Some(ms) = timed_out() {
        return Err(ExtractError::Timeout(ms));
    }
    let out = extract_dom(&dom);
    if let Some(ms) = timed_out() {
        return Err(ExtractError::Timeout(ms));
    }
    Ok(out)
}
