//! Pipelines: a list of steps read from a TOML file or a named preset, built once (every
//! parameter validated before any document is read), and run by the local executor.

mod executor;
mod spec;
mod stats;

pub use executor::{run, RunError, RunOptions};
pub use spec::{preset, presets, Outcome, Pipeline, PipelineSpec, SpecError, StepSpec, StepTally};
pub use stats::{RunStats, StepStats};
pub use tamis_filters::{lookup as lookup_step, registry as step_registry, FilterEntry};
pub use tamis_io::{Compression, ReadOptions};
