//! The types every tamis crate shares: [`Document`], [`Verdict`], the [`Step`] trait and
//! per-step [`Counters`]. This crate does no I/O.

mod counters;
mod document;
mod step;

pub use counters::Counters;
pub use document::{Document, EditBase, Metadata};
pub use step::{ConfigError, Ctx, DocCache, Step, Verdict};
