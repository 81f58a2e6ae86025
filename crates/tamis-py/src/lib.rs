//! `tamis._tamis`, the native half of the `tamis` Python package. It adds no behaviour of its
//! own: steps come from `tamis_pipeline`'s registry, runs go through `tamis_pipeline::run_spec`
//! (the code path of `tamis run`, so outputs are byte-identical to the CLI's), dedup stages
//! through `tamis_pipeline::dedup`. Rust work runs with the GIL released. The Python half
//! (`python/tamis/`) turns the registry into classes and holds the exception types.

use std::ffi::OsString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_pyarrow::PyArrowType;
use arrow_schema::{DataType, Field, Schema};
use pyo3::prelude::*;
use serde_json::Value;
use tamis_core::{DocCache, Document, Metadata};
use tamis_pipeline::{
    Compression, DedupRunError, DedupStage, OutputFormat, OutputTemplate, Pipeline, PipelineSpec,
    RunError, RunOptions, Shard, SpecError, Survivor,
};

/// An instance of the exception class `name` from `tamis.errors` (pure Python, so that a
/// class can derive from both `TamisError` and `ValueError` or `OSError`).
fn raise(py: Python<'_>, name: &str, message: String) -> PyErr {
    let made = py
        .import("tamis.errors")
        .and_then(|m| m.getattr(name))
        .and_then(|class| class.call1((message,)));
    match made {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

fn spec_error(py: Python<'_>, e: SpecError) -> PyErr {
    match e {
        SpecError::Read { .. } => raise(py, "TamisIOError", e.to_string()),
        e => raise(py, "ConfigError", e.to_string()),
    }
}

fn run_error(py: Python<'_>, e: RunError) -> PyErr {
    let class = match &e {
        RunError::OutputExists(_) => "OutputExistsError",
        RunError::NoInputs(_) => "NoInputsError",
        RunError::OutputDir { .. } | RunError::Io(_) | RunError::Dedup(_) => "TamisIOError",
        RunError::Spec(SpecError::Read { .. }) => "TamisIOError",
        RunError::Spec(_) => "ConfigError",
        RunError::Resume { .. }
        | RunError::FingerprintMismatch { .. }
        | RunError::OptionsMismatch { .. } => "ResumeError",
        RunError::TooManyErrors { stats, .. } => {
            let err = raise(py, "TooManyErrors", e.to_string());
            let stats = serde_json::to_string(stats).unwrap_or_default();
            // The stats so far, as `stats.json` holds them; best effort on an error path.
            let _ = err.value(py).setattr("stats_json", stats);
            return err;
        }
        RunError::Locked(tamis_pipeline::lock::LockError::Io { .. }) => "TamisIOError",
        RunError::Threads(_) | RunError::Merge { .. } | RunError::Locked(_) => "TamisError",
        RunError::NotOurs(_) | RunError::InputInOutput { .. } => "OutputExistsError",
    };
    raise(py, class, e.to_string())
}

fn dedup_error(py: Python<'_>, e: DedupRunError) -> PyErr {
    let class = match &e {
        DedupRunError::OutputExists(_) => "OutputExistsError",
        DedupRunError::NoInputs(_) => "NoInputsError",
        DedupRunError::Dedup(tamis_dedup::DedupError::Config(_)) | DedupRunError::NoTable(_) => {
            "ConfigError"
        }
        DedupRunError::Dedup(tamis_dedup::DedupError::StageIncomplete { .. })
        | DedupRunError::Threads(_) => "TamisError",
        _ => "TamisIOError",
    };
    raise(py, class, e.to_string())
}

fn compression(py: Python<'_>, name: &str) -> PyResult<Compression> {
    match name {
        "zstd" => Ok(Compression::Zstd),
        "gzip" => Ok(Compression::Gzip),
        "none" => Ok(Compression::None),
        other => Err(raise(
            py,
            "ConfigError",
            format!("compression {other:?}: expected \"zstd\", \"gzip\" or \"none\""),
        )),
    }
}

/// One registry row per step, as plain values: the Python half generates a class from each.
/// Dedup steps are listed too (`kind = "dedup"`); their parameters come from their config
/// structs in `tamis_dedup`, the same ones pipeline files are checked against.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn registry() -> Vec<(String, String, String, String, Vec<String>, String, String)> {
    let mut rows: Vec<_> = tamis_pipeline::step_registry()
        .map(|e| {
            (
                e.id.to_owned(),
                "step".to_owned(),
                e.description(),
                e.origin.to_owned(),
                e.reasons.iter().map(|r| (*r).to_owned()).collect(),
                (e.schema)().to_value().to_string(),
                (e.defaults)().to_string(),
            )
        })
        .collect();
    let dedup = |id: &str, schema: schemars::Schema, defaults: Value| {
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        (
            id.to_owned(),
            "dedup".to_owned(),
            description,
            "tamis (docs/dedup.md)".to_owned(),
            vec!["duplicate".to_owned()],
            schema.to_value().to_string(),
            defaults.to_string(),
        )
    };
    rows.push(dedup(
        "minhash_dedup",
        schemars::schema_for!(tamis_dedup::MinhashDedupConfig),
        serde_json::to_value(tamis_dedup::MinhashDedupConfig::default()).unwrap_or_default(),
    ));
    rows.push(dedup(
        "exact_dedup",
        schemars::schema_for!(tamis_dedup::ExactDedupConfig),
        serde_json::to_value(tamis_dedup::ExactDedupConfig::default()).unwrap_or_default(),
    ));
    rows.push(dedup(
        "line_dedup",
        schemars::schema_for!(tamis_dedup::LineDedupConfig),
        serde_json::to_value(tamis_dedup::LineDedupConfig::default()).unwrap_or_default(),
    ));
    rows
}

/// The reference page `tamis explain ID` prints.
#[pyfunction]
fn explain(py: Python<'_>, id: &str) -> PyResult<String> {
    tamis_pipeline::lookup_step(id)
        .map(|e| e.render_docs())
        .ok_or_else(|| raise(py, "ConfigError", format!("unknown step `{id}`")))
}

/// Names of the presets, with their pipeline files (TOML).
#[pyfunction]
fn presets() -> Vec<(String, String)> {
    tamis_pipeline::presets()
        .iter()
        .map(|p| (p.name.to_owned(), p.toml.to_owned()))
        .collect()
}

/// A validated pipeline spec, and the built steps when it has no dedup step (batches need
/// them; dedup needs a whole corpus, so only `run` accepts it).
#[pyclass(frozen, name = "Spec", module = "tamis._tamis")]
struct PySpec {
    spec: PipelineSpec,
    built: Option<Arc<Pipeline>>,
}

impl PySpec {
    fn new(py: Python<'_>, spec: PipelineSpec) -> PyResult<Self> {
        tamis_pipeline::validate(&spec).map_err(|e| spec_error(py, e))?;
        let built = if tamis_pipeline::has_dedup(&spec) {
            None
        } else {
            Some(Arc::new(spec.build().map_err(|e| spec_error(py, e))?))
        };
        Ok(Self { spec, built })
    }

    fn steps(&self, py: Python<'_>) -> PyResult<Arc<Pipeline>> {
        self.built.clone().ok_or_else(|| {
            raise(
                py,
                "ConfigError",
                "a pipeline with a dedup step needs the whole corpus: use run(), not a batch"
                    .into(),
            )
        })
    }
}

/// Where one document ended in a batch.
struct Verdict {
    kept: bool,
    reason: Option<String>,
    step: Option<&'static str>,
}

/// Runs `docs` through `pipeline` and labels their metadata as `tamis run` labels its outputs
/// (`filter_reason`, `filter_step`, `tamis_config`). A step that panics marks its document
/// `step_panic` instead of aborting the batch, as the executor quarantines it.
fn apply(pipeline: &Pipeline, docs: &mut [Document]) -> Vec<Verdict> {
    let ids = pipeline.step_ids();
    let mut tally = pipeline.new_tally();
    let mut cache = DocCache::default();
    docs.iter_mut()
        .map(|doc| {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                pipeline.process(doc, &mut tally, &mut cache)
            }));
            let verdict = match outcome {
                Ok(tamis_pipeline::Outcome::Kept) => Verdict {
                    kept: true,
                    reason: None,
                    step: None,
                },
                Ok(tamis_pipeline::Outcome::Dropped { step, reason }) => {
                    doc.metadata
                        .insert("filter_reason".into(), Value::from(reason.as_str()));
                    doc.metadata
                        .insert("filter_step".into(), Value::from(ids[step]));
                    Verdict {
                        kept: false,
                        reason: Some(reason),
                        step: Some(ids[step]),
                    }
                }
                Err(_) => Verdict {
                    kept: false,
                    reason: Some("step_panic".into()),
                    step: None,
                },
            };
            doc.metadata
                .insert("tamis_config".into(), Value::from(pipeline.fingerprint()));
            verdict
        })
        .collect()
}

fn parse_metadata(py: Python<'_>, row: usize, json: &str) -> PyResult<Metadata> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(raise(
            py,
            "ConfigError",
            format!("row {row}: metadata is not a JSON object"),
        )),
        Err(e) => Err(raise(
            py,
            "ConfigError",
            format!("row {row}: metadata is not JSON: {e}"),
        )),
    }
}

/// A string column of any Arrow string layout, as `Option<&str>` per row.
fn strings<'a>(
    py: Python<'_>,
    batch: &'a RecordBatch,
    name: &str,
) -> PyResult<Vec<Option<&'a str>>> {
    let col = batch.column_by_name(name).ok_or_else(|| {
        raise(
            py,
            "ConfigError",
            format!("the batch has no column `{name}`"),
        )
    })?;
    if let Some(a) = col.as_string_opt::<i32>() {
        Ok(a.iter().collect())
    } else if let Some(a) = col.as_string_opt::<i64>() {
        Ok(a.iter().collect())
    } else if let Some(a) = col.as_string_view_opt() {
        Ok(a.iter().collect())
    } else {
        Err(raise(
            py,
            "ConfigError",
            format!(
                "column `{name}` is {}, not a string column",
                col.data_type()
            ),
        ))
    }
}

#[pymethods]
impl PySpec {
    /// A spec from its JSON form (`{"step": [{"type": ..., params...}]}`), as the Python
    /// `Pipeline` builds it from step objects.
    #[new]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<Self> {
        let spec: PipelineSpec = serde_json::from_str(json)
            .map_err(|e| raise(py, "ConfigError", format!("pipeline spec: {e}")))?;
        Self::new(py, spec)
    }

    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<Self> {
        let spec = PipelineSpec::from_toml(text, "<string>").map_err(|e| spec_error(py, e))?;
        Self::new(py, spec)
    }

    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let spec = PipelineSpec::from_file(&path).map_err(|e| spec_error(py, e))?;
        Self::new(py, spec)
    }

    #[staticmethod]
    fn preset(py: Python<'_>, name: &str) -> PyResult<Self> {
        let spec = tamis_pipeline::preset(name).map_err(|e| spec_error(py, e))?;
        Self::new(py, spec)
    }

    /// The resolved form every constructor reduces to (also what pickling stores).
    fn to_json(&self) -> String {
        serde_json::to_string(&self.spec).unwrap_or_default()
    }

    /// The pipeline file `tamis run --pipeline` reads.
    fn to_toml(&self, py: Python<'_>) -> PyResult<String> {
        toml::to_string(&self.spec).map_err(|e| raise(py, "ConfigError", e.to_string()))
    }

    #[getter]
    fn fingerprint(&self) -> String {
        self.spec.fingerprint()
    }

    #[getter]
    fn has_dedup(&self) -> bool {
        self.built.is_none()
    }

    /// Runs the pipeline over files exactly as `tamis run` does; returns `stats.json`'s text.
    #[pyo3(signature = (
        inputs, output, *, threads = 0, compression = "zstd", format = "jsonl",
        output_template = None, max_errors = None, overwrite = false, progress = false,
        max_record_bytes = 256 << 20, max_decompressed_bytes = None, checkpoint_every = 10_000,
        max_file_bytes = 1 << 30, shard_trace = false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        inputs: Vec<String>,
        output: PathBuf,
        threads: usize,
        compression: &str,
        format: &str,
        output_template: Option<&str>,
        max_errors: Option<u64>,
        overwrite: bool,
        progress: bool,
        max_record_bytes: usize,
        max_decompressed_bytes: Option<u64>,
        checkpoint_every: u64,
        max_file_bytes: u64,
        shard_trace: bool,
    ) -> PyResult<String> {
        let mut opts = output_options(
            py,
            RunOptions::new(inputs, output),
            compression,
            format,
            output_template,
            checkpoint_every,
            max_file_bytes,
        )?;
        opts.threads = threads;
        opts.max_errors = max_errors;
        opts.overwrite = overwrite;
        opts.progress = progress;
        opts.read.max_record_bytes = max_record_bytes;
        opts.read.max_decompressed_bytes = max_decompressed_bytes;
        opts.shard_trace = shard_trace;
        let spec = &self.spec;
        let stats = py
            .detach(|| tamis_pipeline::run_spec(spec, &opts))
            .map_err(|e| run_error(py, e))?;
        Ok(serde_json::to_string(&stats).unwrap_or_default())
    }

    /// Filters a batch of texts: (kept, reason, step, text, metadata JSON) per text, the text
    /// as the steps left it.
    #[pyo3(signature = (texts, ids = None, metadata = None))]
    #[allow(clippy::type_complexity)]
    fn apply_texts(
        &self,
        py: Python<'_>,
        texts: Vec<String>,
        ids: Option<Vec<String>>,
        metadata: Option<Vec<String>>,
    ) -> PyResult<(
        Vec<bool>,
        Vec<Option<String>>,
        Vec<Option<&'static str>>,
        Vec<String>,
        Vec<String>,
    )> {
        let pipeline = self.steps(py)?;
        let n = texts.len();
        for (what, len) in [
            ("ids", ids.as_ref().map(Vec::len)),
            ("metadata", metadata.as_ref().map(Vec::len)),
        ] {
            if let Some(len) = len.filter(|&l| l != n) {
                return Err(raise(
                    py,
                    "ConfigError",
                    format!("{len} {what} for {n} texts"),
                ));
            }
        }
        let mut docs = Vec::with_capacity(n);
        let mut ids = ids.map(Vec::into_iter);
        for (row, text) in texts.into_iter().enumerate() {
            let id = ids
                .as_mut()
                .and_then(Iterator::next)
                .unwrap_or_else(|| row.to_string());
            let mut doc = Document::new(id, text);
            if let Some(m) = &metadata {
                doc.metadata = parse_metadata(py, row, &m[row])?;
            }
            docs.push(doc);
        }
        let verdicts = py.detach(|| apply(&pipeline, &mut docs));
        let mut out = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (v, doc) in verdicts.into_iter().zip(docs) {
            out.0.push(v.kept);
            out.1.push(v.reason);
            out.2.push(v.step);
            out.4.push(Value::Object(doc.metadata).to_string());
            out.3.push(doc.text);
        }
        Ok(out)
    }

    /// Filters an Arrow record batch. Returns the batch with `text_column` replaced by the
    /// texts as the steps left them, and `tamis_kept`, `tamis_reason`, `tamis_step` and
    /// `tamis_metadata` (JSON) appended. A null text is not filtered: it comes back with
    /// `tamis_kept` false and reason `null_text`.
    #[pyo3(signature = (batch, text_column = "text", id_column = None, metadata_column = None))]
    fn apply_arrow(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        text_column: &str,
        id_column: Option<&str>,
        metadata_column: Option<&str>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let pipeline = self.steps(py)?;
        let batch = batch.0;
        let texts = strings(py, &batch, text_column)?;
        let ids = id_column.map(|c| strings(py, &batch, c)).transpose()?;
        let metas = metadata_column
            .map(|c| strings(py, &batch, c))
            .transpose()?;
        // The one copy of the text: steps edit documents in place, so they own their text.
        let mut docs = Vec::with_capacity(texts.len());
        let mut rows = Vec::with_capacity(texts.len());
        for (row, text) in texts.iter().enumerate() {
            let Some(text) = text else { continue };
            let id = ids
                .as_ref()
                .and_then(|ids| ids[row])
                .map_or_else(|| row.to_string(), str::to_owned);
            let mut doc = Document::new(id, *text);
            if let Some(m) = metas.as_ref().and_then(|m| m[row]) {
                doc.metadata = parse_metadata(py, row, m)?;
            }
            docs.push(doc);
            rows.push(row);
        }
        let verdicts = py.detach(|| apply(&pipeline, &mut docs));
        let n = texts.len();
        let mut kept = vec![false; n];
        let mut reason: Vec<Option<String>> = vec![Some("null_text".into()); n];
        let mut step: Vec<Option<&str>> = vec![None; n];
        let mut text: Vec<Option<String>> = vec![None; n];
        let mut meta: Vec<Option<String>> = vec![None; n];
        for ((row, v), doc) in rows.into_iter().zip(verdicts).zip(docs) {
            kept[row] = v.kept;
            reason[row] = v.reason;
            step[row] = v.step;
            meta[row] = Some(Value::Object(doc.metadata).to_string());
            text[row] = Some(doc.text);
        }
        let text_index = batch
            .schema()
            .index_of(text_column)
            .map_err(|e| raise(py, "ConfigError", e.to_string()))?;
        let mut fields: Vec<Field> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (i, (f, c)) in batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .enumerate()
        {
            if i == text_index {
                fields.push(Field::new(f.name(), DataType::Utf8, true));
                columns.push(Arc::new(StringArray::from(std::mem::take(&mut text))));
            } else {
                fields.push(f.as_ref().clone());
                columns.push(c.clone());
            }
        }
        let extra: [(&str, DataType, ArrayRef); 4] = [
            (
                "tamis_kept",
                DataType::Boolean,
                Arc::new(BooleanArray::from(kept)),
            ),
            (
                "tamis_reason",
                DataType::Utf8,
                Arc::new(StringArray::from(reason)),
            ),
            (
                "tamis_step",
                DataType::Utf8,
                Arc::new(StringArray::from(step)),
            ),
            (
                "tamis_metadata",
                DataType::Utf8,
                Arc::new(StringArray::from(meta)),
            ),
        ];
        for (name, ty, col) in extra {
            fields.push(Field::new(
                name,
                ty,
                col.null_count() > 0 || name != "tamis_kept",
            ));
            columns.push(col);
        }
        let out = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| raise(py, "TamisError", e.to_string()))?;
        Ok(PyArrowType(out))
    }
}

/// One stage (or all) of `tamis dedup` with MinHash, exact or line dedup, or of `tamis select`
/// (`method = "rank"`); the stage options are those commands' flags. Returns the stats JSON when the run finished (all stages, or the
/// `stats` stage), else None.
#[pyfunction]
#[pyo3(signature = (
    inputs, output, *, method = "minhash", stage = "all", shard = None, work_dir = None,
    survivor = "first", key_field = None, normalize = false, priority = None, min_docs = 2,
    memory_bytes = 1 << 30, threads = 0, compression = "zstd", overwrite = false,
    keep_work = false, progress = false, fields = None, top = None, buckets = None,
    min_bucket = 0, weight_field = None, key = "rank_bucket".to_owned(), precision = 64
))]
#[allow(clippy::too_many_arguments)]
fn dedup(
    py: Python<'_>,
    inputs: Vec<String>,
    output: PathBuf,
    method: &str,
    stage: &str,
    shard: Option<(usize, usize)>,
    work_dir: Option<PathBuf>,
    survivor: &str,
    key_field: Option<String>,
    normalize: bool,
    priority: Option<String>,
    min_docs: u64,
    memory_bytes: usize,
    threads: usize,
    compression: &str,
    overwrite: bool,
    keep_work: bool,
    progress: bool,
    fields: Option<Vec<String>>,
    top: Option<f64>,
    buckets: Option<u32>,
    min_bucket: u32,
    weight_field: Option<String>,
    key: String,
    precision: u32,
) -> PyResult<Option<String>> {
    let config = |m: String| raise(py, "ConfigError", m);
    let mut opts = tamis_pipeline::DedupOptions::new(inputs, output);
    opts.config.precision = precision;
    match method {
        "minhash" => {}
        "exact" => {
            opts.exact = Some(tamis_pipeline::ExactKey {
                field: key_field,
                normalize,
                priority,
            })
        }
        "lines" => {
            if min_docs < 2 {
                return Err(config("min_docs must be at least 2".into()));
            }
            opts.lines_min_docs = Some(min_docs);
        }
        "rank" => {
            let select = tamis_pipeline::RankSelectConfig {
                fields: fields.unwrap_or_default(),
                top,
                buckets,
                min_bucket,
                weight_field,
                key,
                ..Default::default()
            };
            opts.rank = Some(select.spec().map_err(config)?);
        }
        other => {
            return Err(config(format!(
                "method {other:?}: expected \"minhash\", \"exact\", \"lines\" or \"rank\""
            )))
        }
    }
    opts.stage = match stage {
        "all" => DedupStage::All,
        "signatures" => DedupStage::Signatures,
        "buckets" => DedupStage::Buckets,
        "clusters" => DedupStage::Clusters,
        "filter" => DedupStage::Filter,
        "stats" => DedupStage::Stats,
        other => return Err(config(format!("unknown dedup stage {other:?}"))),
    };
    opts.survivor = match survivor {
        "first" => Survivor::First,
        "datatrove" => Survivor::Datatrove,
        other => {
            return Err(config(format!(
                "survivor {other:?}: expected \"first\" or \"datatrove\""
            )))
        }
    };
    if let Some((index, count)) = shard {
        if opts.stage == DedupStage::All {
            return Err(config("a shard needs a stage".into()));
        }
        opts.shard = Shard::parse(&format!("{index}/{count}")).map_err(config)?;
    }
    opts.work_dir = work_dir;
    opts.memory_bytes = memory_bytes;
    opts.threads = threads;
    opts.compression = self::compression(py, compression)?;
    opts.overwrite = overwrite;
    opts.keep_work = keep_work;
    opts.progress = progress;
    let stats = py
        .detach(|| tamis_pipeline::dedup(&opts))
        .map_err(|e| dedup_error(py, e))?;
    Ok(stats.map(|s| s.to_string()))
}

/// `tamis rehydrate`: `max_reps` (FineWeb-2's tables) or `weights` (JSON text of one table or
/// of one per language). Returns the stats JSON.
#[pyfunction]
#[pyo3(signature = (
    inputs, output, *, max_reps = None, weights = None, language = None,
    size_field = "minhash_cluster_size".to_owned(), threads = 0, compression = "zstd",
    overwrite = false, progress = false
))]
#[allow(clippy::too_many_arguments)]
fn rehydrate(
    py: Python<'_>,
    inputs: Vec<String>,
    output: PathBuf,
    max_reps: Option<u32>,
    weights: Option<String>,
    language: Option<String>,
    size_field: String,
    threads: usize,
    compression: &str,
    overwrite: bool,
    progress: bool,
) -> PyResult<String> {
    use tamis_pipeline::Weights;
    let config = |m: String| raise(py, "ConfigError", m);
    let (table, weights_name) = match (max_reps, weights) {
        (Some(r), None) => (
            Weights::fineweb2(r).map_err(|e| config(e.to_string()))?,
            format!("fineweb-2 up_to_{r:02}_reps"),
        ),
        (None, Some(w)) => (
            Weights::from_json(&w).map_err(|e| config(e.to_string()))?,
            "weights JSON".to_owned(),
        ),
        _ => return Err(config("give exactly one of max_reps and weights".into())),
    };
    let opts = tamis_pipeline::RehydrateOptions {
        inputs,
        out_dir: output,
        weights: table,
        weights_name,
        language,
        size_key: size_field,
        threads,
        compression: self::compression(py, compression)?,
        overwrite,
        progress,
    };
    let stats = py
        .detach(|| tamis_pipeline::rehydrate(opts))
        .map_err(|e| dedup_error(py, e))?;
    Ok(stats.to_string())
}

/// The options that decide a run's output bytes, checked as `tamis run` checks them.
fn output_options(
    py: Python<'_>,
    mut opts: RunOptions,
    compression: &str,
    format: &str,
    output_template: Option<&str>,
    checkpoint_every: u64,
    max_file_bytes: u64,
) -> PyResult<RunOptions> {
    let config = |m: String| raise(py, "ConfigError", m);
    opts.compression = self::compression(py, compression)?;
    opts.format = match format {
        "jsonl" => OutputFormat::Jsonl,
        "parquet" => OutputFormat::Parquet,
        other => {
            return Err(config(format!(
                "format {other:?}: expected \"jsonl\" or \"parquet\""
            )))
        }
    };
    opts.output_template = output_template
        .map(OutputTemplate::parse)
        .transpose()
        .map_err(|e| config(e.to_string()))?;
    if checkpoint_every == 0 {
        return Err(config("checkpoint_every must be at least 1".into()));
    }
    opts.checkpoint_every = checkpoint_every;
    opts.max_file_bytes = max_file_bytes;
    Ok(opts)
}

/// Checks the options [`merge_shards`] takes, so a driver can refuse them before any shard runs.
#[pyfunction]
#[pyo3(signature = (
    *, compression = "zstd", format = "jsonl", output_template = None, checkpoint_every = 10_000,
    max_file_bytes = 1 << 30
))]
fn check_output_options(
    py: Python<'_>,
    compression: &str,
    format: &str,
    output_template: Option<&str>,
    checkpoint_every: u64,
    max_file_bytes: u64,
) -> PyResult<()> {
    let opts = RunOptions::new(Vec::new(), PathBuf::new());
    output_options(
        py,
        opts,
        compression,
        format,
        output_template,
        checkpoint_every,
        max_file_bytes,
    )
    .map(drop)
}

/// Merges the shards of a distributed run (`Pipeline.run(..., shard_trace=True)` over
/// contiguous runs of `inputs`' files, in order) into `output`, as a local run with these
/// options writes it; returns `stats.json`'s text. See `tamis_pipeline::merge_shards`.
#[pyfunction]
#[pyo3(signature = (
    shards, inputs, output, *, compression = "zstd", format = "jsonl", output_template = None,
    overwrite = false, checkpoint_every = 10_000, max_file_bytes = 1 << 30, elapsed_s = 0.0
))]
#[allow(clippy::too_many_arguments)]
fn merge_shards(
    py: Python<'_>,
    shards: Vec<PathBuf>,
    inputs: Vec<String>,
    output: PathBuf,
    compression: &str,
    format: &str,
    output_template: Option<&str>,
    overwrite: bool,
    checkpoint_every: u64,
    max_file_bytes: u64,
    elapsed_s: f64,
) -> PyResult<String> {
    let mut opts = output_options(
        py,
        RunOptions::new(inputs, output),
        compression,
        format,
        output_template,
        checkpoint_every,
        max_file_bytes,
    )?;
    opts.overwrite = overwrite;
    let stats = py
        .detach(|| tamis_pipeline::merge_shards(&shards, &opts, elapsed_s))
        .map_err(|e| run_error(py, e))?;
    Ok(serde_json::to_string(&stats).unwrap_or_default())
}

/// The input files `tamis run` would read for `inputs`, in its order (sorted, deduplicated),
/// so a driver can split them into shards. Paths that match nothing are listed as given (the
/// shard that gets one quarantines it, as a local run does).
#[pyfunction]
fn expand_inputs(inputs: Vec<String>) -> Vec<PathBuf> {
    tamis_io::expand_inputs(&inputs)
        .into_iter()
        .map(|f| f.path)
        .collect()
}

/// Splits input files (their sizes, in order) into at most `count` contiguous shards of about
/// equal bytes, as `tamis run --shard` does: `(start, end)` index pairs.
#[pyfunction]
fn shard_ranges(sizes: Vec<u64>, count: usize) -> Vec<(usize, usize)> {
    tamis_pipeline::shard_ranges(&sizes, count)
        .into_iter()
        .map(|r| (r.start, r.end))
        .collect()
}

/// The `tamis` command in this process: `argv` as `sys.argv` holds it (program name first).
/// Returns the exit status; never exits the process. It reads and writes file descriptors 0-2
/// directly (not `sys.stdin`/`sys.stdout`), with the GIL released. A Ctrl-C is only seen by
/// Python's handler after it returns, so the console script (`tamis._cli`) restores the default
/// SIGINT action first, as the binary has.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| tamis_cli::main_from(argv))
}

/// `tamis verify DIR`: the summary line, or `VerifyError` (a `TamisError`).
#[pyfunction]
fn verify(py: Python<'_>, dir: PathBuf) -> PyResult<String> {
    py.detach(|| tamis_pipeline::verify(&dir))
        .map(|s| s.to_string())
        .map_err(|e| raise(py, "VerifyError", e.to_string()))
}

#[pymodule]
fn _tamis(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", tamis_pipeline::VERSION)?;
    m.add_class::<PySpec>()?;
    m.add_function(wrap_pyfunction!(registry, m)?)?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add_function(wrap_pyfunction!(dedup, m)?)?;
    m.add_function(wrap_pyfunction!(rehydrate, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(expand_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(shard_ranges, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(merge_shards, m)?)?;
    m.add_function(wrap_pyfunction!(check_output_options, m)?)?;
    Ok(())
}
