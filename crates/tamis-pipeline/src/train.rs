//! `tamis train-classifier`: fastText supervised training (`tamis_lid::train`) from labelled
//! documents. The documents are turned into fastText's training format, one line per
//! document (`__label__X ... text`), with the text built exactly as the `fasttext_classifier`
//! step builds a model's input, so the model is trained on what it will score.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_filters::ClassifierInput;
use tamis_io::{expand_inputs, read, ReadOptions, Record};
use tamis_lid::{TrainArgs, TrainError, Trained};

/// Where the labelled examples come from.
#[derive(Debug, Clone)]
pub enum TrainingData {
    /// Documents whose metadata key holds the label (a string or number) or labels (a list).
    Labelled { inputs: Vec<String>, field: String },
    /// Two sets of documents: the positives get one label, the negatives another.
    Sets {
        positives: Vec<String>,
        negatives: Vec<String>,
        positive_label: String,
        negative_label: String,
    },
}

#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub data: TrainingData,
    /// How each document's text becomes the model's input line (as the classifier step).
    pub input: ClassifierInput,
    pub newline_replacement: String,
    pub max_chars: usize,
    pub args: TrainArgs,
    /// The model file to write (fastText's `.bin` format).
    pub output: PathBuf,
    /// Keep the converted training file here (fastText's format; `fasttext supervised -input`
    /// reads it); by default it is a temporary file next to the output, removed at the end.
    pub training_file: Option<PathBuf>,
}

/// What the conversion read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrainingCounts {
    pub documents: u64,
    pub examples: u64,
    /// Documents without a label (labelled mode), left out.
    pub unlabelled: u64,
    /// Records that could not be read, left out: `(file, line, reason)` of the first few.
    pub quarantined: u64,
    pub quarantine_examples: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainRunError {
    #[error("no input files matched {0:?}")]
    NoInputs(Vec<String>),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: label {label:?} of document {id:?} holds whitespace; fastText labels are single words")]
    BadLabel {
        file: String,
        id: String,
        label: String,
    },
    #[error("no labelled example was read from {0:?}")]
    NoExamples(Vec<String>),
    #[error(transparent)]
    Train(#[from] TrainError),
}

/// Converts the data, trains, and writes the model; returns the trained model and the counts.
pub fn train_classifier(opts: &TrainOptions) -> Result<(Trained, TrainingCounts), TrainRunError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TrainRunError::Io { path, source }
    };
    let dir = opts
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (file, keep) = match &opts.training_file {
        Some(p) => (p.clone(), true),
        None => {
            let name = opts
                .output
                .file_name()
                .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned());
            (dir.join(format!(".{name}.train.txt")), false)
        }
    };
    let counts = write_training_file(opts, &file)?;
    let result = tamis_lid::train(&opts.args, &file);
    if !keep {
        // A failed removal leaves a hidden file behind, which is no reason to fail the run.
        let _ = std::fs::remove_file(&file);
    }
    let trained = result?;
    // Written under a temporary name, so a reader never sees half a model.
    let tmp = dir.join(format!(
        ".{}.tmp",
        opts.output
            .file_name()
            .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned())
    ));
    trained.save_bin(&tmp)?;
    std::fs::rename(&tmp, &opts.output).map_err(io(&opts.output))?;
    Ok((trained, counts))
}

/// Writes fastText's training format to `path`: per document, its labels then its text.
fn write_training_file(opts: &TrainOptions, path: &Path) -> Result<TrainingCounts, TrainRunError> {
    let io = |e| TrainRunError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut out = BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut counts = TrainingCounts::default();
    let prefix = opts.args.label.as_str();
    let sets: Vec<(&[String], Option<&str>)> = match &opts.data {
        TrainingData::Labelled { inputs, .. } => vec![(inputs, None)],
        TrainingData::Sets {
            positives,
            negatives,
            positive_label,
            negative_label,
        } => vec![
            (positives, Some(positive_label.as_str())),
            (negatives, Some(negative_label.as_str())),
        ],
    };
    let mut all_inputs = Vec::new();
    let mut line = String::new();
    for (inputs, fixed) in sets {
        all_inputs.extend_from_slice(inputs);
        let files = expand_inputs(inputs);
        if files.is_empty() {
            return Err(TrainRunError::NoInputs(inputs.to_vec()));
        }
        for file in &files {
            for record in read(file, &ReadOptions::default()) {
                let doc = match record {
                    Record::Doc { doc, .. } => doc,
                    Record::Bad(q) => {
                        counts.quarantined += 1;
                        if counts.quarantine_examples.len() < 5 {
                            counts.quarantine_examples.push(q.to_json().to_string());
                        }
                        continue;
                    }
                };
                counts.documents += 1;
                let labels: Vec<String> = match (fixed, &opts.data) {
                    (Some(l), _) => vec![l.to_owned()],
                    (None, TrainingData::Labelled { field, .. }) => {
                        label_values(doc.metadata.get(field))
                    }
                    (None, TrainingData::Sets { .. }) => unreachable!("sets have fixed labels"),
                };
                if labels.is_empty() {
                    counts.unlabelled += 1;
                    continue;
                }
                line.clear();
                for l in &labels {
                    if l.is_empty() || l.chars().any(char::is_whitespace) {
                        return Err(TrainRunError::BadLabel {
                            file: file.path.display().to_string(),
                            id: doc.id,
                            label: l.clone(),
                        });
                    }
                    line.push_str(prefix);
                    line.push_str(l);
                    line.push(' ');
                }
                let text = opts
                    .input
                    .line(&doc.text, &opts.newline_replacement, opts.max_chars);
                // A word that starts with the label prefix would be read as a label.
                for (i, word) in text
                    .split(['\n', '\r', ' ', '\t', '\x0b', '\x0c', '\0'])
                    .filter(|w| !w.is_empty() && !w.starts_with(prefix))
                    .enumerate()
                {
                    if i > 0 {
                        line.push(' ');
                    }
                    line.push_str(word);
                }
                line.push('\n');
                out.write_all(line.as_bytes()).map_err(io)?;
                counts.examples += 1;
            }
        }
    }
    out.flush().map_err(io)?;
    if counts.examples == 0 {
        return Err(TrainRunError::NoExamples(all_inputs));
    }
    Ok(counts)
}

/// A document's labels from its label field: a string, a number, or a list of them.
fn label_values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Number(n)) => vec![n.to_string()],
        Some(Value::Bool(b)) => vec![b.to_string()],
        Some(Value::Array(items)) => items.iter().flat_map(|i| label_values(Some(i))).collect(),
        _ => Vec::new(),
    }
}
