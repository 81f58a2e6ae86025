//! `tamis`: flags in, a pipeline spec out, then the library runs it. No step knowledge here.
//!
//! The command lives in this library so that two front ends run the same code: the `tamis`
//! binary (`src/main.rs`) and the `tamis` console script of the Python package, which calls
//! [`main_from`] through the binding.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use tamis_pipeline::{Compression, PipelineSpec, RunError, RunOptions};

#[derive(Parser)]
#[command(
    name = "tamis",
    version,
    about = "Clean, filter and deduplicate web text for LM training"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline over JSONL (.gz/.zst), .txt, web archive or .parquet inputs: files,
    /// directories or globs.
    Run(RunArgs),
    /// List the available steps and presets.
    Filters,
    /// Print a step's documentation, parameters and drop reasons; or, with --doc, show which
    /// lines of a document the line cleaner removes and why.
    Explain(ExplainArgs),
    /// Select by rank: keep the top fraction of the corpus by a score, or bucket every document
    /// by weighted percentiles of one or more scores over the whole corpus (DCLM,
    /// Nemotron-CC); out of core, in the same stages as dedup.
    Select(SelectArgs),
    /// Train a fastText classifier from labelled documents (a label field, or positive and
    /// negative sets): the model file fastText itself writes, byte for byte, with one thread.
    TrainClassifier(TrainArgs),
    /// Remove duplicates: near-duplicate documents (MinHash with FineWeb's parameters, the
    /// default), exact copies, or lines repeated across documents; out of core; all stages
    /// here, or one stage and shard at a time on many machines.
    Dedup(DedupArgs),
    /// Repeat each document by the size of the duplicate cluster it survived (its
    /// metadata.minhash_cluster_size), through FineWeb-2's per-language weight tables or your
    /// own: FineWeb-2's rehydration, after dedup and filtering.
    Rehydrate(RehydrateArgs),
    /// Recheck a finished run's outputs against its manifest.json: sizes, SHA-256 checksums,
    /// record counts, and that every input and the run balance.
    Verify(VerifyArgs),
    /// Render OUTDIR/report.html, one self-contained page (funnel, drop reasons, languages,
    /// domains, lengths, highlighted examples, dedup clusters), from the data a
    /// `tamis run --report` accumulated.
    Report(VerifyArgs),
    /// Identify the language of each input line, like `fasttext predict-prob`: per line, the
    /// top K `label<TAB>score` pairs.
    Lid(LidArgs),
    /// Extract the main text of HTML pages (files, .html.gz, or folders of them): one JSON
    /// line per page on stdout with the file name as `id`, the main text and the title.
    Extract(ExtractArgs),
}

#[derive(clap::Args)]
struct ExtractArgs {
    /// HTML files (any name, .gz for gzip) or folders (their .html/.htm files, recursively).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The output directory of a `tamis run`.
    dir: PathBuf,
}

#[derive(clap::Args)]
struct LidArgs {
    /// A fastText model (.bin or .ftz); default: the bundled lid.176.ftz.
    #[arg(long)]
    model: Option<PathBuf>,
    /// How many labels per line.
    #[arg(short, default_value_t = 1)]
    k: usize,
    /// Leave out labels with a probability below this.
    #[arg(long, default_value_t = 0.0)]
    threshold: f32,
    /// Text files to read line by line; standard input when none.
    files: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct DedupArgs {
    /// MinHash near-duplicate detection (the default).
    #[arg(long, conflicts_with_all = ["exact", "lines"])]
    minhash: bool,
    /// Line dedup (CCNet): remove every line whose normalised text is in at least --min-docs
    /// documents (site templates, repeated teasers), logged in metadata.tamis_edits.
    #[arg(long, conflicts_with_all = ["exact", "compat"])]
    lines: bool,
    /// With --lines: documents a line must appear in to be removed.
    #[arg(long, requires = "lines", default_value_t = 2, value_parser = clap::value_parser!(u64).range(2..))]
    min_docs: u64,
    /// Exact duplicates: identical text (or --key-field), first copy kept (or --priority).
    #[arg(long, conflicts_with = "compat")]
    exact: bool,
    /// With --exact: compare this metadata field (e.g. url) instead of the text.
    #[arg(long, requires = "exact")]
    key_field: Option<String>,
    /// With --exact: compare after folding case, numbers, punctuation, spacing and accents.
    #[arg(long, requires = "exact")]
    normalize: bool,
    /// With --exact: keep the copy with the highest value of this numeric metadata field.
    #[arg(long, requires = "exact")]
    priority: Option<String>,
    /// `datatrove`: keep the document datatrove 0.10.1 keeps in each cluster, so the removed set
    /// equals its MinHash stages' one to one. Default: keep the earliest document.
    #[arg(long, value_enum)]
    compat: Option<Compat>,
    /// MinHash word tokenizer language, as datatrove takes it ("en", "por_Latn", "pt"), or
    /// `metadata`: each document's own metadata.language (and language_script), compared only
    /// with documents of the same language (FineWeb-2's MinHash per language).
    #[arg(long, default_value = "en", conflicts_with_all = ["exact", "lines"])]
    language: String,
    /// MinHash bits per hash: 64, or 32 as datatrove's `HashConfig(precision=32)`.
    #[arg(long, default_value_t = 64, value_parser = parse_precision, conflicts_with_all = ["exact", "lines"])]
    precision: u32,
    #[command(flatten)]
    job: JobArgs,
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("table").required(true).args(["max_reps", "weights"]))]
struct RehydrateArgs {
    /// Input files, directories or glob patterns.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Output directory: kept/ and quarantine/ (one file per input, named by its index) and
    /// stats.json.
    #[arg(short, long)]
    output: PathBuf,
    /// FineWeb-2's per-language tables for at most this many copies (3 to 10; its
    /// misc/rehydration/weights/up_to_NN_reps.json, bundled).
    #[arg(long, value_parser = clap::value_parser!(u32).range(3..=10))]
    max_reps: Option<u32>,
    /// Your own table instead: a JSON file, or JSON text, either {"1": 1, "2": 2, "5": 5, ...}
    /// (copies from each cluster size on) for every document, or {"fra_Latn": {...}, ...}
    /// per language as FineWeb-2's files are laid out.
    #[arg(long)]
    weights: Option<String>,
    /// Use this language's table ("fra_Latn") for every document, instead of each document's
    /// own metadata.language and metadata.language_script.
    #[arg(long)]
    language: Option<String>,
    /// Metadata key holding the cluster size.
    #[arg(long, default_value = "minhash_cluster_size")]
    size_field: String,
    #[command(flatten)]
    out: OutputArgs,
}

/// What every job that writes an output directory takes.
#[derive(clap::Args)]
struct OutputArgs {
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[arg(long, value_enum, default_value_t = Comp::Zstd)]
    compression: Comp,
    /// Replace the outputs of an earlier run in the output directory.
    #[arg(long)]
    overwrite: bool,
    /// Never draw a progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("cut").required(true).args(["top", "buckets"]))]
struct SelectArgs {
    /// Metadata key of a score (higher is better), e.g. one a `fasttext_classifier` step
    /// wrote; repeat for an ensemble: a document's bucket is the best of its scores' buckets.
    #[arg(long = "field", required = true)]
    fields: Vec<String>,
    /// Keep the best documents holding this fraction of the weight, e.g. 0.1.
    #[arg(long)]
    top: Option<f64>,
    /// Instead: number each document's bucket 0..N-1 by weighted percentiles of the scores
    /// over the whole input (Nemotron-CC: 20), written to --key.
    #[arg(long)]
    buckets: Option<u32>,
    /// With --buckets: drop documents below this bucket.
    #[arg(long, requires = "buckets", default_value_t = 0)]
    min_bucket: u32,
    /// Weigh documents by this metadata number (e.g. token_count) instead of counting them.
    #[arg(long)]
    weight_field: Option<String>,
    /// With --buckets: the metadata key the bucket goes to.
    #[arg(long, default_value = "rank_bucket")]
    key: String,
    #[command(flatten)]
    job: JobArgs,
}

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("data").required(true).args(["inputs", "positives"]))]
struct TrainArgs {
    /// Labelled documents (JSONL, .txt, Parquet, ... files, directories or globs), each with
    /// its label (or a list of labels) in the metadata key --label-field.
    inputs: Vec<String>,
    /// Metadata key holding each document's label(s).
    #[arg(long, default_value = "label")]
    label_field: String,
    /// Instead of a label field: documents that are all --positive-label ...
    #[arg(long, num_args = 1.., requires = "negatives", conflicts_with = "inputs")]
    positives: Vec<String>,
    /// ... and documents that are all --negative-label.
    #[arg(long, num_args = 1.., requires = "positives")]
    negatives: Vec<String>,
    #[arg(long, default_value = "hq")]
    positive_label: String,
    #[arg(long, default_value = "cc")]
    negative_label: String,
    /// The model file to write (fastText's .bin format).
    #[arg(short, long)]
    output: PathBuf,
    /// Keep the converted training data here (fastText's format, for `fasttext supervised`).
    #[arg(long)]
    training_file: Option<PathBuf>,
    /// How each text becomes the model's input, as in the `fasttext_classifier` step:
    /// `dclm` (lines joined by spaces) or `datatrove` (each newline replaced).
    #[arg(long, value_enum, default_value_t = InputArg::Dclm)]
    input: InputArg,
    /// With --input datatrove: what replaces each newline.
    #[arg(long, default_value = "")]
    newline_replacement: String,
    /// Keep only the first N characters of each input line (0: all).
    #[arg(long, default_value_t = 0)]
    max_chars: usize,
    /// fastText's arguments, with its names and defaults (see `fasttext supervised`).
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    #[arg(long, default_value_t = 100)]
    dim: u32,
    #[arg(long, default_value_t = 5)]
    ws: u32,
    #[arg(long, default_value_t = 5)]
    epoch: u32,
    #[arg(long, default_value_t = 1)]
    min_count: u32,
    #[arg(long, default_value_t = 0)]
    min_count_label: u32,
    #[arg(long, default_value_t = 5)]
    neg: u32,
    #[arg(long, default_value_t = 1)]
    word_ngrams: u32,
    #[arg(long, value_enum, default_value_t = LossArg::Softmax)]
    loss: LossArg,
    #[arg(long, default_value_t = 2_000_000)]
    bucket: u32,
    #[arg(long, default_value_t = 0)]
    minn: u32,
    #[arg(long, default_value_t = 0)]
    maxn: u32,
    /// Training threads (default: all cores). With 1, the model is fastText's, byte for byte;
    /// with more, updates race as in fastText (Hogwild) and runs differ slightly.
    #[arg(long)]
    thread: Option<u32>,
    #[arg(long, default_value_t = 100)]
    lr_update_rate: u32,
    #[arg(long, default_value_t = 1e-4)]
    t: f64,
    #[arg(long, default_value = "__label__")]
    label: String,
    #[arg(long, default_value_t = 0)]
    seed: i32,
}

#[derive(Clone, Copy, ValueEnum)]
enum InputArg {
    Dclm,
    Datatrove,
}

#[derive(Clone, Copy, ValueEnum)]
enum LossArg {
    Softmax,
    Hs,
    Ns,
    Ova,
}

/// What every corpus-wide job (dedup, select) takes: inputs, outputs, stages and resources.
#[derive(clap::Args)]
struct JobArgs {
    /// Input files, directories or glob patterns.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Output directory: kept/, dropped/, quarantine/ (one file per input) and stats.json.
    #[arg(short, long)]
    output: PathBuf,
    /// Run one stage only (for sharded runs): signatures, buckets, clusters, filter, stats.
    #[arg(long, value_enum)]
    stage: Option<StageArg>,
    /// With --stage: this process's share, INDEX/COUNT (input files for signatures and filter,
    /// bands for buckets; for --exact and --lines, 16 hash partitions of the keys).
    #[arg(long, value_parser = tamis_pipeline::Shard::parse)]
    shard: Option<tamis_pipeline::Shard>,
    /// Directory for intermediate files (default OUTPUT/work); shared storage when sharding.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Memory for sort buffers before spilling to disk, e.g. 512M, 4G.
    #[arg(long, default_value = "1G", value_parser = parse_bytes)]
    memory: usize,
    /// Keep the work directory after a complete run.
    #[arg(long)]
    keep_work: bool,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Compat {
    Datatrove,
}

#[derive(Clone, Copy, ValueEnum)]
enum StageArg {
    Signatures,
    Buckets,
    Clusters,
    Filter,
    Stats,
}

impl OutputArgs {
    /// A progress bar unless refused, and only on a terminal.
    fn progress(&self) -> bool {
        !self.no_progress && std::io::stderr().is_terminal()
    }
}

/// MinHash hash width: 32 or 64.
fn parse_precision(s: &str) -> Result<u32, String> {
    match s.trim() {
        "32" => Ok(32),
        "64" => Ok(64),
        _ => Err(format!("{s:?}: hashes have 32 or 64 bits")),
    }
}

/// `1024`, `512K`, `64M`, `2G` (powers of 1024).
fn parse_bytes(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1usize << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a size such as 512M or 4G"))
}

#[derive(clap::Args)]
struct RunArgs {
    /// A named preset (see `tamis filters`).
    #[arg(long, conflicts_with_all = ["pipeline", "steps"])]
    preset: Option<String>,
    /// A pipeline file (TOML with `[[step]]` tables).
    #[arg(long, conflicts_with = "steps")]
    pipeline: Option<PathBuf>,
    /// Just these steps, in this order, with their default parameters (e.g.
    /// `--steps gopher_quality,c4_quality`); ids as listed by `tamis filters`.
    #[arg(long, value_delimiter = ',')]
    steps: Option<Vec<String>>,
    /// Override a step parameter of the pipeline, repeatable: `--set STEP.PARAM=VALUE`, where
    /// STEP is a step type, or `TYPE#N` for its N-th occurrence (e.g. `--set
    /// language#2.model=glotlid/model_v3.bin`); VALUE is a TOML value, or a string.
    #[arg(long = "set", value_name = "STEP.PARAM=VALUE")]
    set: Vec<String>,
    /// Input files, directories or glob patterns.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Output directory: kept/, dropped/, quarantine/ and stats.json go here.
    #[arg(short, long)]
    output: PathBuf,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Compression of the outputs (for parquet, its codec).
    #[arg(long, value_enum, default_value_t = Comp::Zstd)]
    compression: Comp,
    /// File format of kept and dropped outputs: JSONL, or Parquet with datatrove's columns
    /// (`text`, `id`, `metadata` struct). Quarantine files are always JSONL.
    #[arg(long, value_enum, default_value_t = OutFormat::Jsonl)]
    format: OutFormat,
    /// Put kept outputs under directories named by metadata, as datatrove's `output_filename`
    /// does: `'${language}/'` writes kept/en/00000.jsonl.zst, kept/fr/00000.jsonl.zst, ...
    #[arg(long, value_name = "TEMPLATE")]
    output_template: Option<String>,
    /// Stop after this many quarantined records.
    #[arg(long)]
    max_errors: Option<u64>,
    /// Replace the outputs of an earlier run in the output directory.
    #[arg(long)]
    overwrite: bool,
    /// Never draw a progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
    /// Longest JSONL line or .txt file accepted (e.g. 64M); longer ones are quarantined as
    /// line_too_long / file_too_large without being held in memory. Also bounds a line's
    /// parsed JSON (json_too_large), a web archive record and its decoded text
    /// (text_too_large).
    #[arg(long, default_value = "256M", value_parser = parse_bytes)]
    max_record_bytes: usize,
    /// Stop reading a file after this many decompressed bytes (e.g. 50G) and quarantine the
    /// rest as decompressed_too_large: a decompression-bomb guard. Default: no limit.
    #[arg(long, value_parser = parse_bytes)]
    max_decompressed_bytes: Option<usize>,
    /// Records between checkpoints. A killed or failed run, rerun with the same command,
    /// resumes from its last checkpoint; the value shapes the output files, so a resumed run
    /// must use the same one.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: u64,
    /// Uncompressed bytes after which an output file is closed and the next one started
    /// (default 1G); small values exercise rolling in tests.
    #[arg(long, hide = true, default_value = "1G", value_parser = parse_bytes)]
    max_file_bytes: usize,
    /// Also accumulate report data while running (OUTDIR/report.json) and write
    /// OUTDIR/report.html, a self-contained page showing what each step did.
    #[arg(long)]
    report: bool,
    /// Run only this share of the input files (contiguous runs of the sorted files, of about
    /// equal bytes) into OUTPUT/shards/INDEX/, replacing an earlier attempt's: one task of a
    /// job array on many machines over shared storage. Then the same command with
    /// --merge-shards COUNT writes the outputs of one run, byte for byte (docs/cluster.md).
    #[arg(
        long,
        value_name = "INDEX/COUNT",
        value_parser = tamis_pipeline::Shard::parse,
        conflicts_with_all = ["merge_shards", "report", "max_errors"]
    )]
    shard: Option<tamis_pipeline::Shard>,
    /// Merge the finished shards in OUTPUT/shards/ (of --shard I/COUNT) into the outputs of one
    /// run with this command's output options, then remove them (see --keep-shards).
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..),
          conflicts_with_all = ["report", "max_errors"])]
    merge_shards: Option<u64>,
    /// Keep OUTPUT/shards/ after --merge-shards.
    #[arg(long, requires = "merge_shards")]
    keep_shards: bool,
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// Step id, as listed by `tamis filters`.
    #[arg(required_unless_present = "doc", conflicts_with = "doc")]
    step: Option<String>,
    /// A document: a plain-text file, or a JSONL file whose first record is used.
    #[arg(long)]
    doc: Option<PathBuf>,
    /// Output for --doc: text (coloured on a terminal) or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    Jsonl,
    Parquet,
}

#[derive(Clone, Copy, ValueEnum)]
enum Comp {
    Zstd,
    Gzip,
    None,
}

/// Runs the command line `args` (the program name first, as `std::env::args_os` gives it) and
/// returns the process's exit status: 0 success, 1 a failed check (`verify`, pages `extract`
/// skipped), 2 an error or bad usage, 3 a run stopped by `--max-errors`.
///
/// It never exits the process itself (bad usage, `--help` and `--version` return too), so a
/// host such as the Python interpreter can shut down in order; standard output is flushed
/// before it returns.
pub fn main_from<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let code = match Cli::try_parse_from(args) {
        Ok(cli) => match real_main(cli) {
            Ok(code) => code,
            Err(e) if is_broken_pipe(&e) => 0,
            Err(e) => {
                eprintln!("error: {}", report(&e));
                2
            }
        },
        // Usage errors go to stderr with status 2; --help and --version to stdout with 0.
        Err(e) => {
            let _ = e.print();
            u8::try_from(e.exit_code()).unwrap_or(2)
        }
    };
    // The binary's runtime flushes at exit; a host process's exit would not flush Rust's.
    let _ = std::io::stdout().flush();
    code
}

/// The error and its causes joined by ": ", skipping a cause whose text the message before it
/// already ends with (library errors often show their source in their own message).
fn report(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn real_main(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Dedup(args) => dedup(args),
        Command::Rehydrate(args) => rehydrate(args),
        Command::Select(args) => select(args),
        Command::TrainClassifier(args) => train_classifier(args),
        Command::Verify(args) => match tamis_pipeline::verify(&args.dir) {
            Ok(summary) => {
                println!("{summary}");
                Ok(0)
            }
            Err(e) => {
                eprintln!("error: verify failed: {e}");
                Ok(1)
            }
        },
        Command::Report(args) => {
            let page = tamis_pipeline::report::write_html(&args.dir)?;
            println!("{}", page.display());
            Ok(0)
        }
        Command::Lid(args) => {
            lid(args)?;
            Ok(0)
        }
        Command::Extract(args) => extract(args),
        Command::Filters => {
            list_filters()?;
            Ok(0)
        }
        Command::Explain(args) => {
            match (&args.step, &args.doc) {
                (_, Some(doc)) => explain_doc(doc, args.format)?,
                (Some(step), None) => explain(step)?,
                (None, None) => bail!("give a step id or --doc FILE"),
            }
            Ok(0)
        }
    }
}

fn run(args: RunArgs) -> Result<u8> {
    let mut spec = match (&args.preset, &args.pipeline, &args.steps) {
        (Some(name), None, None) => tamis_pipeline::preset(name)?,
        (None, Some(path), None) => PipelineSpec::from_file(path)?,
        (None, None, Some(ids)) => PipelineSpec::from_step_ids(ids)?,
        _ => bail!("give one of --preset NAME, --pipeline FILE or --steps ID[,ID...]"),
    };
    for assignment in &args.set {
        spec.set(assignment)?;
    }
    if args.preset.as_deref() == Some("fineweb-2") && !args.set.iter().any(|a| a.contains(".model"))
    {
        bail!(
            "the fineweb-2 preset needs GlotLID's weights, which are not bundled: add \
             --set language#2.model=PATH/TO/model_v3.bin (from the Hugging Face repository \
             cis-lmu/glotlid)"
        );
    }
    let mut opts = RunOptions::new(args.inputs, args.output);
    opts.threads = args.threads;
    opts.compression = compression(args.compression);
    opts.format = match args.format {
        OutFormat::Jsonl => tamis_pipeline::OutputFormat::Jsonl,
        OutFormat::Parquet => tamis_pipeline::OutputFormat::Parquet,
    };
    opts.output_template = args
        .output_template
        .as_deref()
        .map(tamis_pipeline::OutputTemplate::parse)
        .transpose()?;
    opts.max_errors = args.max_errors;
    opts.overwrite = args.overwrite;
    opts.progress = !args.no_progress && std::io::stderr().is_terminal();
    opts.read.max_record_bytes = args.max_record_bytes;
    opts.read.max_decompressed_bytes = args.max_decompressed_bytes.map(|n| n as u64);
    opts.checkpoint_every = args.checkpoint_every;
    opts.max_file_bytes = args.max_file_bytes as u64;
    opts.report = args.report;
    if let Some(shard) = args.shard {
        return run_shard(&spec, &opts, shard);
    }
    let result = match args.merge_shards {
        Some(count) => tamis_pipeline::merge_run_shards(&opts, count as usize, args.keep_shards),
        None => tamis_pipeline::run_spec(&spec, &opts),
    };
    match result {
        Ok(stats) => {
            eprint!("{}", stats.summary_table());
            // The likeliest surprise: text input given to a preset made for web archives.
            let no_url: u64 = stats
                .steps
                .iter()
                .filter(|s| s.step == "url_filter")
                .map(|s| s.get("dropped_missing_url"))
                .sum();
            if no_url > 0 {
                eprintln!(
                    "note: {no_url} documents had no metadata.url and were dropped by url_filter; \
                     web archives set it, for text that is already extracted use \
                     --preset fineweb-text"
                );
            }
            if opts.report {
                let page = tamis_pipeline::report::write_html(&opts.out_dir)?;
                eprintln!("report in {}", page.display());
            }
            eprintln!("outputs in {}", opts.out_dir.display());
            Ok(0)
        }
        Err(RunError::TooManyErrors { limit, dir, stats }) => {
            eprint!("{}", stats.summary_table());
            if opts.report {
                let page = tamis_pipeline::report::write_html(&opts.out_dir)?;
                eprintln!("report in {}", page.display());
            }
            eprintln!(
                "error: stopped after {limit} quarantined records (--max-errors); see {}",
                dir.display()
            );
            Ok(3)
        }
        Err(e) => Err(e).context("run failed"),
    }
}

/// One shard of a run spread over a job array (`--shard`).
fn run_shard(spec: &PipelineSpec, opts: &RunOptions, shard: tamis_pipeline::Shard) -> Result<u8> {
    let (index, count) = (shard.index, shard.count);
    match tamis_pipeline::run_shard(spec, opts, index, count).context("shard failed")? {
        Some(stats) => {
            eprint!("{}", stats.summary_table());
            eprintln!(
                "shard {index}/{count} in {}; when every shard has finished, merge them with \
                 the same command and --merge-shards {count} in place of --shard",
                tamis_pipeline::shard_dir(&opts.out_dir, index).display()
            );
        }
        None => eprintln!(
            "shard {index}/{count} has no input files (there are fewer files than shards); \
             nothing to do"
        ),
    }
    Ok(0)
}

fn compression(c: Comp) -> Compression {
    match c {
        Comp::Zstd => Compression::Zstd,
        Comp::Gzip => Compression::Gzip,
        Comp::None => Compression::None,
    }
}

fn dedup(args: DedupArgs) -> Result<u8> {
    use tamis_pipeline::Survivor;
    let _ = args.minhash; // the default method; the flag names it explicitly
    let mut opts = job_options(args.job)?;
    opts.config.language = args.language;
    opts.config.precision = args.precision;
    if args.lines {
        opts.lines_min_docs = Some(args.min_docs);
    }
    if args.exact {
        opts.exact = Some(tamis_pipeline::ExactKey {
            field: args.key_field,
            normalize: args.normalize,
            priority: args.priority,
        });
    }
    opts.survivor = match args.compat {
        Some(Compat::Datatrove) => Survivor::Datatrove,
        None => Survivor::First,
    };
    let what = match (&opts.exact, opts.lines_min_docs) {
        (Some(_), _) => "exact duplicates",
        (None, Some(_)) => "nothing left after removing repeated lines",
        (None, None) => "near-duplicates",
    };
    run_job(&opts, what)
}

fn rehydrate(a: RehydrateArgs) -> Result<u8> {
    use tamis_pipeline::Weights;
    let (weights, weights_name) = match (a.max_reps, &a.weights) {
        (Some(r), _) => (
            Weights::fineweb2(r)?,
            format!("fineweb-2 up_to_{r:02}_reps"),
        ),
        (None, Some(w)) if w.trim_start().starts_with('{') => {
            (Weights::from_json(w)?, "--weights JSON".into())
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the weights file {path}"))?;
            let w = Weights::from_json(&text).with_context(|| format!("in {path}"))?;
            (w, path.clone())
        }
        (None, None) => unreachable!("clap requires --max-reps or --weights"),
    };
    let out = a.output.clone();
    let stats = tamis_pipeline::rehydrate(tamis_pipeline::RehydrateOptions {
        inputs: a.inputs,
        out_dir: a.output,
        weights,
        weights_name,
        language: a.language,
        size_key: a.size_field.clone(),
        threads: a.out.threads,
        compression: compression(a.out.compression),
        overwrite: a.out.overwrite,
        progress: a.out.progress(),
    })
    .context("rehydrate failed")?;
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    eprintln!(
        "read {} records: kept {} + quarantined {} = {}; wrote {} documents (copies included)",
        n(&stats["read"]),
        n(&stats["kept"]),
        n(&stats["quarantined"]),
        n(&stats["kept"]) + n(&stats["quarantined"]),
        n(&stats["written"]),
    );
    let step = &stats["steps"][0];
    if n(&step["no_cluster_size"]) > 0 {
        eprintln!(
            "warning: {} documents had no metadata.{} and were written once",
            n(&step["no_cluster_size"]),
            a.size_field
        );
    }
    if n(&step["no_weights"]) > 0 {
        eprintln!(
            "warning: {} documents are in a language without a table and were written once",
            n(&step["no_weights"])
        );
    }
    eprintln!("outputs in {}", out.display());
    Ok(0)
}

fn train_classifier(a: TrainArgs) -> Result<u8> {
    use tamis_pipeline::lid::Loss;
    use tamis_pipeline::{ClassifierInput, TrainingData};
    let data = if a.positives.is_empty() {
        TrainingData::Labelled {
            inputs: a.inputs,
            field: a.label_field,
        }
    } else {
        TrainingData::Sets {
            positives: a.positives,
            negatives: a.negatives,
            positive_label: a.positive_label,
            negative_label: a.negative_label,
        }
    };
    let defaults = tamis_pipeline::lid::TrainArgs::default();
    let args = tamis_pipeline::lid::TrainArgs {
        lr: a.lr,
        dim: a.dim,
        ws: a.ws,
        epoch: a.epoch,
        min_count: a.min_count,
        min_count_label: a.min_count_label,
        neg: a.neg,
        word_ngrams: a.word_ngrams,
        loss: match a.loss {
            LossArg::Softmax => Loss::Softmax,
            LossArg::Hs => Loss::HierarchicalSoftmax,
            LossArg::Ns => Loss::NegativeSampling,
            LossArg::Ova => Loss::OneVsAll,
        },
        bucket: a.bucket,
        minn: a.minn,
        maxn: a.maxn,
        thread: a.thread.unwrap_or(defaults.thread),
        lr_update_rate: a.lr_update_rate,
        t: a.t,
        label: a.label,
        seed: a.seed,
    };
    let opts = tamis_pipeline::TrainOptions {
        data,
        input: match a.input {
            InputArg::Dclm => ClassifierInput::Dclm,
            InputArg::Datatrove => ClassifierInput::Datatrove,
        },
        newline_replacement: a.newline_replacement,
        max_chars: a.max_chars,
        args,
        output: a.output,
        training_file: a.training_file,
    };
    let (trained, counts) =
        tamis_pipeline::train_classifier(&opts).context("train-classifier failed")?;
    for q in &counts.quarantine_examples {
        eprintln!("quarantined: {q}");
    }
    let stats = trained.stats();
    eprintln!(
        "read {} documents: {} examples, {} without a label, {} unreadable records; \
         {} words, {} labels ({}); {} tokens in {:.2} s on {} threads",
        counts.documents,
        counts.examples,
        counts.unlabelled,
        counts.quarantined,
        trained.nwords(),
        trained.nlabels(),
        trained.labels().collect::<Vec<_>>().join(", "),
        stats.tokens,
        stats.train_seconds,
        stats.threads
    );
    eprintln!("model written to {}", opts.output.display());
    Ok(0)
}

fn select(args: SelectArgs) -> Result<u8> {
    let mut opts = job_options(args.job)?;
    let config = tamis_pipeline::RankSelectConfig {
        fields: args.fields,
        top: args.top,
        buckets: args.buckets,
        min_bucket: args.min_bucket,
        weight_field: args.weight_field,
        key: args.key,
        ..Default::default()
    };
    opts.rank = Some(config.spec().map_err(anyhow::Error::msg)?);
    run_job(&opts, "below the cut or without a score")
}

/// The options every corpus-wide job shares, from its flags.
fn job_options(args: JobArgs) -> Result<tamis_pipeline::DedupOptions> {
    use tamis_pipeline::DedupStage;
    let mut opts = tamis_pipeline::DedupOptions::new(args.inputs, args.output);
    opts.work_dir = args.work_dir;
    opts.stage = match args.stage {
        None => DedupStage::All,
        Some(StageArg::Signatures) => DedupStage::Signatures,
        Some(StageArg::Buckets) => DedupStage::Buckets,
        Some(StageArg::Clusters) => DedupStage::Clusters,
        Some(StageArg::Filter) => DedupStage::Filter,
        Some(StageArg::Stats) => DedupStage::Stats,
    };
    if let Some(shard) = args.shard {
        if args.stage.is_none() {
            bail!("--shard needs --stage (each machine runs one stage's share)");
        }
        opts.shard = shard;
    }
    opts.memory_bytes = args.memory;
    opts.threads = args.out.threads;
    opts.compression = compression(args.out.compression);
    opts.overwrite = args.out.overwrite;
    opts.keep_work = args.keep_work;
    opts.progress = args.out.progress();
    Ok(opts)
}

/// Runs a corpus-wide job and prints its balance; `what` says why documents were dropped.
fn run_job(opts: &tamis_pipeline::DedupOptions, what: &str) -> Result<u8> {
    let name = if opts.rank.is_some() {
        "select"
    } else {
        "dedup"
    };
    let stats = tamis_pipeline::dedup(opts).with_context(|| format!("{name} failed"))?;
    if let Some(stats) = stats {
        let n = |k: &str| stats[k].as_u64().unwrap_or(0);
        eprintln!(
            "read {} records: kept {} + dropped {} ({what}) + quarantined {} = {}",
            n("read"),
            n("kept"),
            n("dropped"),
            n("quarantined"),
            n("kept") + n("dropped") + n("quarantined")
        );
        eprintln!("outputs in {}", opts.out_dir.display());
    }
    Ok(0)
}

fn extract(args: ExtractArgs) -> Result<u8> {
    use tamis_pipeline::extract::{extract_files, html_files, Limits};
    let files = html_files(&args.inputs)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = 0usize;
    extract_files(&files, Limits::default(), args.threads, |path, r| {
        let id = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        match r {
            Ok(e) => {
                let rec = serde_json::json!({"id": id, "text": e.text, "title": e.title});
                writeln!(out, "{rec}")?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("tamis: skipped {e}");
            }
        }
        anyhow::Ok(())
    })?;
    out.flush()?;
    eprintln!(
        "tamis: {} pages extracted, {failed} skipped",
        files.len() - failed
    );
    Ok(if failed > 0 { 1 } else { 0 })
}

fn lid(args: LidArgs) -> Result<()> {
    use std::io::BufRead;
    use tamis_pipeline::lid::{Model, Scratch};
    let owned;
    let model: &Model = match &args.model {
        Some(p) => {
            owned = Model::from_path(p)?;
            &owned
        }
        None => Model::lid176(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut scratch, mut preds, mut buf) = (Scratch::new(), Vec::new(), Vec::new());
    let mut one = |r: &mut dyn BufRead, out: &mut dyn Write| -> Result<()> {
        loop {
            buf.clear();
            if r.read_until(b'\n', &mut buf)? == 0 {
                return Ok(());
            }
            // fastText reads bytes; invalid UTF-8 is replaced rather than stopping the run.
            let line = String::from_utf8_lossy(&buf);
            model.predict_with(&mut scratch, &line, args.k, args.threshold, &mut preds);
            let fields: Vec<String> = preds
                .iter()
                .map(|p| format!("{}\t{}", p.raw_label, p.prob))
                .collect();
            writeln!(out, "{}", fields.join("\t"))?;
        }
    };
    if args.files.is_empty() {
        one(&mut std::io::stdin().lock(), &mut out)?;
    }
    for f in &args.files {
        let file =
            std::fs::File::open(f).with_context(|| format!("cannot read {}", f.display()))?;
        one(&mut std::io::BufReader::new(file), &mut out)?;
    }
    out.flush()?;
    Ok(())
}

fn list_filters() -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "steps:")?;
    for e in tamis_pipeline::step_registry() {
        let desc = e.description();
        let first = desc.lines().next().unwrap_or_default();
        writeln!(out, "  {:<20} {first}", e.id)?;
    }
    writeln!(
        out,
        "\ncorpus-wide steps (a pipeline runs in phases around them; see docs/dedup.md):"
    )?;
    for (id, what) in [
        (
            "minhash_dedup",
            "near-duplicate documents (MinHash, FineWeb's parameters)",
        ),
        ("exact_dedup", "identical texts or metadata fields"),
        ("line_dedup", "lines repeated across documents (CCNet)"),
        (
            "rank_select",
            "top fraction or weighted-percentile buckets by a score (docs/classifiers.md)",
        ),
    ] {
        writeln!(out, "  {id:<20} {what}")?;
    }
    writeln!(out, "\npresets:")?;
    for p in tamis_pipeline::presets() {
        let spec = PipelineSpec::from_toml(p.toml, p.name)?;
        let steps: Vec<&str> = spec.steps.iter().map(|s| s.kind.as_str()).collect();
        writeln!(out, "  {:<20} {}: {}", p.name, p.input, steps.join(" -> "))?;
    }
    Ok(())
}

fn explain(id: &str) -> Result<()> {
    let Some(e) = tamis_pipeline::lookup_step(id) else {
        bail!("unknown step `{id}` (see `tamis filters`)");
    };
    std::io::stdout()
        .lock()
        .write_all(e.render_docs().as_bytes())?;
    Ok(())
}

/// The text of `path`: a JSONL file's first record's `text`, else the whole file.
fn read_doc(path: &std::path::Path) -> Result<String> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let raw = String::from_utf8(raw).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid UTF-8 at byte {}",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let is_jsonl = path
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "json");
    if !is_jsonl {
        return Ok(raw);
    }
    let first = raw
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let record: serde_json::Value = serde_json::from_str(first)
        .with_context(|| format!("{}: line 1 is not a JSON object", path.display()))?;
    match record.get("text") {
        Some(serde_json::Value::String(t)) => Ok(t.clone()),
        _ => bail!("{}: line 1 has no string `text`", path.display()),
    }
}

fn explain_doc(path: &std::path::Path, format: Format) -> Result<()> {
    let text = read_doc(path)?;
    let decisions =
        tamis_pipeline::explain_lines(&text, &tamis_pipeline::LineCleanConfig::default());
    let mut out = std::io::stdout().lock();
    let line_text = |d: &tamis_pipeline::LineDecision| {
        let t = &text[d.byte_range.clone()];
        t.strip_suffix('\n').unwrap_or(t).to_owned()
    };
    // What stays of the line: all of it, nothing, or the pieces a cut left (layout cells, text
    // around leaked tags).
    let kept_text = |d: &tamis_pipeline::LineDecision| match (d.kept, d.kept_ranges.is_empty()) {
        (false, _) => String::new(),
        (true, true) => line_text(d),
        (true, false) => d.kept_ranges.iter().map(|r| &text[r.clone()]).collect(),
    };
    if format == Format::Json {
        let rows: Vec<serde_json::Value> = decisions
            .iter()
            .map(|d| {
                serde_json::json!({
                    "line": d.line_index + 1,
                    "byte_start": d.byte_range.start,
                    "byte_end": d.byte_range.end,
                    "kept": d.kept,
                    "rule": d.rule,
                    "text": line_text(d),
                    "kept_text": kept_text(d),
                    "kept_ranges": d.kept_ranges.iter().map(|r| [r.start, r.end]).collect::<Vec<_>>(),
                    "score": d.score,
                    "overruled": d.overruled,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (red, dim, reset) = if colour {
        ("\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    let mut removed: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut cut = 0;
    let mut overruled = 0;
    // The line model's junk probability, where it decided the line.
    let score =
        |d: &tamis_pipeline::LineDecision| d.score.map_or(String::new(), |p| format!("{p:.2} "));
    for d in &decisions {
        match d.rule {
            Some(rule) if d.kept => {
                // A line cut to part of its text: the rule, then what stays.
                cut += 1;
                writeln!(
                    out,
                    "{red}{:>5} ~ {rule:<20}{reset} {}",
                    d.line_index + 1,
                    kept_text(d)
                )?;
            }
            Some(rule) => {
                *removed.entry(rule).or_default() += 1;
                writeln!(
                    out,
                    "{red}{:>5} - {rule:<20}{reset} {dim}{}{}{reset}",
                    d.line_index + 1,
                    score(d),
                    line_text(d)
                )?;
            }
            None => {
                // `+ rule`: the line model kept a line that rule would remove.
                let (mark, rule) = match d.overruled {
                    Some(r) => {
                        overruled += 1;
                        ('+', r)
                    }
                    None => (' ', ""),
                };
                writeln!(
                    out,
                    "{:>5} {mark} {rule:<20} {}{}",
                    d.line_index + 1,
                    score(d),
                    line_text(d)
                )?;
            }
        }
    }
    let total_removed: usize = removed.values().sum();
    let by_rule: Vec<String> = removed.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let mut cut = if cut > 0 {
        format!(", {cut} of the kept cut to part of their text")
    } else {
        String::new()
    };
    if overruled > 0 {
        cut.push_str(&format!(
            ", {overruled} kept by the line model against a rule (+)"
        ));
    }
    writeln!(
        out,
        "\n{} lines: {} kept, {} removed ({}){cut}",
        decisions.len(),
        decisions.len() - total_removed,
        total_removed,
        by_rule.join(", ")
    )?;
    Ok(())
}
