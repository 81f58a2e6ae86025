//! Pipelines: a list of steps read from a TOML file or a named preset, built once (every
//! parameter validated before any document is read), and run by the local executor.

mod checkpoint;
mod dedup;
mod executor;
pub mod extract;
pub mod lock;
mod merge;
mod parquet_out;
mod phased;
mod prefetch;
mod registry;
mod spec;
mod stats;
mod template;
mod train;
mod verify;

pub use checkpoint::{InputAccount, Manifest, OutputFile};
pub use dedup::{dedup, rehydrate, DedupOptions, DedupRunError, DedupStage, RehydrateOptions};
pub use executor::{run, RunError, RunOptions};
pub use merge::merge_shards;
pub use parquet_out::OutputFormat;
pub use phased::{has_dedup, run_spec, validate};
pub use registry::{lookup_step, step_registry};
pub use spec::{
    preset, presets, Outcome, Pipeline, PipelineSpec, Preset, SpecError, StepSpec, StepTally,
};
pub use stats::{RunStats, StepStats};
pub use tamis_clean::{explain as explain_lines, LineCleanConfig, LineDecision};
pub use tamis_dedup::{
    ExactKey, MinhashConfig, RankCut, RankSelectConfig, RankSpec, Shard, Survivor, Weights,
};
pub use tamis_filters::ClassifierInput;
pub use tamis_filters::FilterEntry;
pub use tamis_io::{Compression, ReadOptions};
pub use template::{OutputTemplate, TemplateError};
pub use train::{train_classifier, TrainOptions, TrainRunError, TrainingCounts, TrainingData};
pub use verify::{verify, VerifyError, VerifySummary};
/// The tamis version, part of every config fingerprint.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Language identification (fastText-format models), for `tamis lid`.
pub use tamis_lid as lid;
/// The run report (`tamis run --report`, `tamis report`).
pub use tamis_report as report;
