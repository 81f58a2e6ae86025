//! A loaded model and its prediction entry points.

use std::collections::HashMap;
use std::path::Path;

use crate::dict::{BucketMap, Dict, LineBuf, Prune, LABEL_PREFIX};
use crate::error::{FormatError, LidError};
use crate::format::{self, Fail, RawMatrix, Reader};
use crate::loss::{self, Loss, OutBuf, Output, Tree};
use crate::matrix::Matrix;

/// A fastText supervised model, ready to predict. Immutable after loading, hence `Send + Sync`:
/// share one (`&Model` or `Arc<Model>`) between threads and give each thread its own
/// [`Scratch`].
#[derive(Clone)]
pub struct Model {
    dict: Dict,
    input: Matrix,
    output: Output,
    dim: usize,
    labels: Vec<LabelInfo>,
    /// Number of distinct datatrove language keys (see [`LabelInfo::key`]).
    nkeys: usize,
    quantized: bool,
}

/// A summary (the matrices would print megabytes).
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("loss", &self.output.loss)
            .field("dim", &self.dim)
            .field("nwords", &self.dict.nwords)
            .field("nlabels", &self.labels.len())
            .field("quantized", &self.quantized)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct LabelInfo {
    raw: String,
    /// Offset of the label proper in `raw` (after `__label__`, if present).
    strip: usize,
    /// datatrove's `lang.split("__")[2]` and its index among distinct keys; `None` when the
    /// label has fewer than two `__` (datatrove would raise `IndexError`).
    key: Option<(usize, usize)>,
    key_id: u32,
}

/// One predicted label. Borrows the label text from the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction<'m> {
    /// The label without fastText's `__label__` prefix, e.g. `en`.
    pub label: &'m str,
    /// The label as stored in the model, e.g. `__label__en`.
    pub raw_label: &'m str,
    /// Index of the label in [`Model::labels`].
    pub id: u32,
    /// The probability exactly as fastText returns it (`exp` of its f32 log-score). Python's
    /// binding hands out this f32 widened to a float64: `f64::from(prob)` is that value.
    pub prob: f32,
}

/// Reusable buffers for prediction. Keep one per thread and pass it to the `*_with` methods to
/// predict without allocating. A `Scratch` works with any model, but it also caches recent
/// out-of-vocabulary words for the model it last served, so keep one per model.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    line: LineBuf,
    hidden: Vec<f32>,
    out: OutBuf,
    seen: Vec<u32>,
    dedup: Vec<(u32, f32)>,
    /// The input rows of the text, gathered before they are summed.
    rows: Vec<u32>,
}

impl Scratch {
    /// Empty buffers; they grow to the sizes the texts need and are then reused.
    pub fn new() -> Scratch {
        Scratch::default()
    }
}

/// The best language of a document as datatrove's `LanguageFilter` records it:
/// `metadata["language"]` and `metadata["language_score"]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocPrediction<'m> {
    /// datatrove's language: the third `__`-separated field of the label (`en` for
    /// `__label__en`).
    pub language: &'m str,
    /// datatrove's `language_score`, a Python float holding this f32 exactly
    /// (`f64::from(score)`).
    pub score: f32,
    /// The winning label's index in [`Model::labels`].
    pub id: u32,
}

/// Quantized input matrices up to this size are expanded to dense rows at load time (exact,
/// and faster; see `Matrix::decoded`); larger ones are read through the quantizer's tables.
const DECODE_INPUT_MAX_BYTES: usize = 64 << 20;

/// Asking for this many predictions returns every label (above the threshold), like fastText's
/// `k = -1`.
pub const ALL: usize = usize::MAX;

/// How many rows ahead of the one being summed are fetched.
const PREFETCH_AHEAD: usize = 8;

/// Model files from this size on are loaded by [`Model::stream`].
const STREAM_FROM_BYTES: u64 = 16 << 20;

/// A dense input matrix read on its own (see [`Model::stream`]), and the bytes after it.
struct Streamed<'a> {
    data: Vec<f32>,
    tail: &'a [u8],
    /// The file offset of `tail`.
    tail_at: usize,
}

/// Where the floats of a dense input matrix start, as far as the first bytes of a file tell.
enum Located {
    At {
        data_at: usize,
        count: usize,
    },
    /// The bytes end before the matrix's shape.
    NeedMore,
    /// Quantized, or not a model file: read it whole.
    Other,
}

fn locate_dense_input(head: &[u8]) -> Located {
    let mut r = Reader::new(head);
    let mut shape = || -> Result<Option<(usize, usize)>, Fail> {
        format::read_header(&mut r)?;
        format::read_args(&mut r)?;
        format::read_dict(&mut r)?;
        if r.bool("input quantization flag")? {
            return Ok(None);
        }
        format::dense_shape(&mut r, "input matrix").map(Some)
    };
    match shape() {
        Ok(Some((rows, cols))) => match rows.checked_mul(cols) {
            Some(count) => Located::At {
                data_at: r.pos(),
                count,
            },
            None => Located::Other,
        },
        Ok(None) => Located::Other,
        Err((_, FormatError::Truncated { .. })) => Located::NeedMore,
        Err(_) => Located::Other,
    }
}

fn fail(file: &str, (offset, kind): Fail) -> LidError {
    LidError::Format {
        file: file.to_string(),
        offset,
        kind,
    }
}

impl Model {
    /// Loads a `.bin` or `.ftz` model file. A file of a dense model is not held whole: its
    /// input matrix (nearly all of it) is read straight into its floats, so loading takes
    /// about the model's size in memory, not twice that.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Model, LidError> {
        use std::io::{Read, Seek};
        let path = path.as_ref();
        let io = |source| LidError::Io {
            path: path.to_path_buf(),
            source,
        };
        let name = path.display().to_string();
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len >= STREAM_FROM_BYTES {
            if let Some(model) = Model::stream(&mut file, len, 1 << 20, DECODE_INPUT_MAX_BYTES)
                .map_err(io)?
                .transpose()
                .map_err(|f| fail(&name, f))?
            {
                return Ok(model);
            }
            file.rewind().map_err(io)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        Model::from_bytes_named(&bytes, &name)
    }

    /// Loads a model whose input matrix is dense, reading the sections before the matrix until
    /// they parse, then the matrix into its floats, then the rest. `Ok(None)` for a quantized
    /// model or a file damaged before its matrix (the whole-file path reads and reports it).
    fn stream(
        file: &mut std::fs::File,
        len: u64,
        first_read: usize,
        decode_max_bytes: usize,
    ) -> std::io::Result<Option<Result<Model, Fail>>> {
        use std::io::{Read, Seek, SeekFrom};
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let mut head = Vec::new();
        let mut want = first_read.max(1);
        let (data_at, count) = loop {
            let target = want.min(len);
            let got = (&mut *file)
                .take((target - head.len()) as u64)
                .read_to_end(&mut head)?;
            if got == 0 && head.len() < len {
                // Shorter than its size said (changed while read): the whole-file path reports it.
                return Ok(None);
            }
            match locate_dense_input(&head) {
                Located::At { data_at, count } => break (data_at, count),
                Located::NeedMore if head.len() < len => want = want.saturating_mul(4),
                _ => return Ok(None),
            }
        };
        let Some(bytes) = count
            .checked_mul(4)
            .filter(|b| data_at.checked_add(*b).is_some_and(|end| end <= len))
        else {
            return Ok(None);
        };
        head.truncate(data_at);
        file.seek(SeekFrom::Start(data_at as u64))?;
        let mut data = Vec::with_capacity(count);
        let mut buf = vec![0u8; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(buf.len());
            file.read_exact(&mut buf[..n])?;
            data.extend(
                buf[..n]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            left -= n;
        }
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let streamed = Streamed {
            data,
            tail: &tail,
            tail_at: data_at + bytes,
        };
        Ok(Some(Model::parse_parts(
            &head,
            Some(streamed),
            decode_max_bytes,
        )))
    }

    /// Loads a model from its bytes; errors call it `<bytes>`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, LidError> {
        Model::from_bytes_named(bytes, "<bytes>")
    }

    /// Loads a model from its bytes; `name` is how errors refer to it.
    pub fn from_bytes_named(bytes: &[u8], name: &str) -> Result<Model, LidError> {
        Model::parse(bytes, DECODE_INPUT_MAX_BYTES).map_err(|f| fail(name, f))
    }

    fn parse(bytes: &[u8], decode_max_bytes: usize) -> Result<Model, Fail> {
        Model::parse_parts(bytes, None, decode_max_bytes)
    }

    /// [`Model::parse`] of `head`, or, with `streamed`, of `head` (up to the input matrix's
    /// floats), the floats as read, and the bytes after them.
    fn parse_parts<'a>(
        head: &'a [u8],
        streamed: Option<Streamed<'a>>,
        decode_max_bytes: usize,
    ) -> Result<Model, Fail> {
        let mut r = Reader::new(head);
        let version = format::read_header(&mut r)?;
        let args_at = r.pos();
        let args = format::read_args(&mut r)?;
        let bad_args = |msg: String| Err(r.invalid(args_at, msg));
        if args.model != 3 {
            return bad_args(format!(
                "args.model is {} (need 3, a supervised model; 1 and 2 are word-vector models)",
                args.model
            ));
        }
        let loss = match args.loss {
            1 => Loss::HierarchicalSoftmax,
            2 => Loss::NegativeSampling,
            3 => Loss::Softmax,
            4 => Loss::OneVsAll,
            l => return bad_args(format!("args.loss is {l} (known: 1 to 4)")),
        };
        if args.dim <= 0 || args.bucket < 0 || args.minn < 0 || args.maxn < 0 {
            return bad_args(format!(
                "args out of range: dim {}, bucket {}, minn {}, maxn {}",
                args.dim, args.bucket, args.minn, args.maxn
            ));
        }
        // fastText/src/fasttext.cc loadModel: old (version 11) supervised models had no
        // character n-grams whatever maxn says.
        let maxn = if version == 11 { 0 } else { args.maxn as usize };
        let minn = args.minn as usize;
        let word_ngrams = args.word_ngrams.max(1) as usize;
        if args.bucket == 0 && ((maxn > 0 && minn <= maxn) || word_ngrams > 1) {
            return bad_args("args.bucket is 0 but the model uses n-grams".to_string());
        }

        let dict_at = r.pos();
        let raw = format::read_dict(&mut r)?;
        if raw.nlabels == 0 {
            return Err(r.invalid(dict_at, "the dictionary has no labels"));
        }
        let prune = match raw.pruneidx_size {
            -1 => Prune::None,
            0 => Prune::All,
            _ => {
                let pairs: Vec<(u32, u32)> = raw
                    .pruneidx
                    .iter()
                    .map(|&(k, v)| (k as u32, v as u32))
                    .collect();
                Prune::Map(BucketMap::new(&pairs))
            }
        };
        let (labels, counts, nkeys) =
            label_infos(&raw.entries[raw.nwords..]).map_err(|msg| r.invalid(dict_at, msg))?;
        let entries: Vec<&[u8]> = raw.entries.iter().map(|e| e.word).collect();
        let dict = Dict::new(
            &entries,
            raw.nwords,
            prune,
            args.bucket as u32,
            minn,
            maxn,
            word_ngrams,
        );

        let input_at = r.pos();
        let quant_input = r.bool("input quantization flag")?;
        let input = match streamed {
            Some(s) if !quant_input => {
                let (rows, cols) = format::dense_shape(&mut r, "input matrix")?;
                if rows.checked_mul(cols) != Some(s.data.len()) || r.remaining() != 0 {
                    return Err(r.invalid(input_at, "the input matrix changed while read"));
                }
                r = Reader::at(s.tail, s.tail_at);
                RawMatrix::Dense {
                    rows,
                    cols,
                    data: s.data,
                }
            }
            _ if quant_input => format::read_quant(&mut r, "input matrix")?,
            _ => format::read_dense(&mut r, "input matrix")?,
        };
        if !quant_input && raw.pruneidx_size >= 0 {
            return Err(r.invalid(
                input_at,
                "a pruned dictionary with a dense input matrix (fastText rejects these old \
                 models: see its issue #332)",
            ));
        }
        let dim = args.dim as usize;
        if input.cols() != dim {
            return Err(r.invalid(
                input_at,
                format!(
                    "input matrix has {} columns, args.dim is {dim}",
                    input.cols()
                ),
            ));
        }
        if input.rows() < dict.rows_needed() {
            return Err(r.invalid(
                input_at,
                format!(
                    "input matrix has {} rows but the dictionary can address {}",
                    input.rows(),
                    dict.rows_needed()
                ),
            ));
        }

        let output_at = r.pos();
        let qout = r.bool("output quantization flag")?;
        let output = if quant_input && qout {
            format::read_quant(&mut r, "output matrix")?
        } else {
            format::read_dense(&mut r, "output matrix")?
        };
        if output.cols() != dim {
            return Err(r.invalid(
                output_at,
                format!(
                    "output matrix has {} columns, args.dim is {dim}",
                    output.cols()
                ),
            ));
        }
        let nlabels = raw.nlabels;
        let needed = match loss {
            Loss::HierarchicalSoftmax => nlabels - 1,
            _ => nlabels,
        };
        if output.rows() < needed {
            return Err(r.invalid(
                output_at,
                format!(
                    "output matrix has {} rows, the {nlabels} labels need {needed}",
                    output.rows()
                ),
            ));
        }
        if r.remaining() != 0 {
            return Err((
                r.pos(),
                FormatError::TrailingBytes {
                    extra: r.remaining(),
                },
            ));
        }
        let tree = match loss {
            Loss::HierarchicalSoftmax => Some(Tree::build(&counts).ok_or_else(|| {
                r.invalid(
                    dict_at,
                    "label counts do not form a Huffman tree (corrupt counts?)",
                )
            })?),
            _ => None,
        };
        Ok(Model::assemble(
            dict,
            input,
            output,
            loss,
            tree,
            labels,
            nkeys,
            decode_max_bytes,
        ))
    }

    /// The model from its checked parts.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        dict: Dict,
        input: RawMatrix,
        output: RawMatrix,
        loss: Loss,
        tree: Option<Tree>,
        labels: Vec<LabelInfo>,
        nkeys: usize,
        decode_max_bytes: usize,
    ) -> Model {
        let dim = input.cols();
        let nlabels = labels.len();
        let quantized = matches!(input, RawMatrix::Quant { .. });
        let input_rows = input.rows();
        let input = Matrix::from_raw(input);
        let input = input.decoded(input_rows, decode_max_bytes).unwrap_or(input);
        let rows = output.rows();
        let output = Output {
            loss,
            matrix: Matrix::from_raw(output),
            rows,
            nlabels,
            tree,
            sigmoid: loss::sigmoid_table(),
        };
        Model {
            dict,
            input,
            output,
            dim,
            labels,
            nkeys,
            quantized,
        }
    }

    /// A model from a freshly trained dictionary and dense matrices (see
    /// [`crate::train::Trained::into_model`]), without encoding it. The caller guarantees what
    /// [`Model::parse`] checks: words then labels, at least one label, labels in UTF-8, and
    /// matrices of the right shapes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_trained(
        entries: &[&[u8]],
        label_counts: &[i64],
        nwords: usize,
        loss: Loss,
        bucket: u32,
        minn: usize,
        maxn: usize,
        word_ngrams: usize,
        input: RawMatrix,
        output: RawMatrix,
    ) -> Model {
        let labels: Vec<&[u8]> = entries[nwords..].to_vec();
        let (labels, _, nkeys) = label_infos_from(&labels, label_counts)
            .expect("trained labels are checked to be UTF-8");
        let dict = Dict::new(
            entries,
            nwords,
            Prune::None,
            bucket,
            minn,
            maxn,
            word_ngrams,
        );
        let tree = match loss {
            Loss::HierarchicalSoftmax => Tree::build(label_counts),
            _ => None,
        };
        Model::assemble(dict, input, output, loss, tree, labels, nkeys, usize::MAX)
    }

    /// The labels without their `__label__` prefix, in model order (most frequent first); a
    /// [`Prediction::id`] indexes this order.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.labels.iter().map(|l| &l.raw[l.strip..])
    }

    /// The labels as stored, e.g. `__label__en`.
    pub fn raw_labels(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.labels.iter().map(|l| l.raw.as_str())
    }

    /// The output layer kind.
    pub fn loss(&self) -> Loss {
        self.output.loss
    }

    /// Size of the hidden (embedding) vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether the input matrix is product-quantized (a `.ftz` model).
    pub fn is_quantized(&self) -> bool {
        self.quantized
    }

    /// Number of words in the vocabulary.
    pub fn nwords(&self) -> usize {
        self.dict.nwords
    }

    fn prediction(&self, (log_score, id): (f32, u32)) -> Prediction<'_> {
        let l = &self.labels[id as usize];
        Prediction {
            label: &l.raw[l.strip..],
            raw_label: &l.raw,
            id,
            prob: log_score.exp(),
        }
    }

    /// The `k` most probable labels of one line with probability at least `threshold`, best
    /// first, exactly as fastText's `predict-prob` / Python `model.predict(line, k, threshold)`.
    /// `k = `[`ALL`] returns all labels (fastText's `k = -1`); `k = 0` returns none (fastText
    /// raises). Only the first line of `line` is read, as fastText's command line does (the
    /// Python binding refuses text containing `\n`). Empty when the line has no token the model
    /// knows.
    pub fn predict(&self, line: &str, k: usize, threshold: f32) -> Vec<Prediction<'_>> {
        let mut out = Vec::new();
        self.predict_with(&mut Scratch::new(), line, k, threshold, &mut out);
        out
    }

    /// [`predict`](Self::predict) into `out` (cleared first), using `scratch` for all
    /// intermediate buffers.
    pub fn predict_with<'m>(
        &'m self,
        scratch: &mut Scratch,
        line: &str,
        k: usize,
        threshold: f32,
        out: &mut Vec<Prediction<'m>>,
    ) {
        out.clear();
        if self.run(scratch, line.as_bytes(), false, k, threshold) {
            out.extend(scratch.out.heap.iter().map(|&p| self.prediction(p)));
        }
    }

    /// Tokenise, average the input rows, run the output layer; the result is in
    /// `scratch.out.heap`, best first. `FastText::predict` returns nothing for an empty row list.
    fn run(
        &self,
        s: &mut Scratch,
        text: &[u8],
        newline_is_space: bool,
        k: usize,
        threshold: f32,
    ) -> bool {
        if k == 0 {
            return false;
        }
        s.hidden.clear();
        s.hidden.resize(self.dim, 0.0);
        s.rows.clear();
        let rows = &mut s.rows;
        self.dict
            .line_rows(text, newline_is_space, &mut s.line, &mut |r: &[u32]| {
                rows.extend_from_slice(r)
            });
        let count = s.rows.len();
        // Summed in order (the float bits depend on it), with the rows a few places ahead
        // already on their way from memory: on a large model each row is a cache miss.
        for (i, &row) in s.rows.iter().enumerate() {
            if let Some(&ahead) = s.rows.get(i + PREFETCH_AHEAD) {
                self.input.prefetch_row(ahead as usize);
            }
            self.input.add_row(&mut s.hidden, row as usize);
        }
        if count == 0 {
            return false;
        }
        // `Vector::mul(1.0 / rows.size())`: the reciprocal is a double rounded to f32.
        let scale = (1.0 / count as f64) as f32;
        for h in &mut s.hidden {
            *h *= scale;
        }
        // `Model::predict`: k = -1 means "as many as the output matrix has rows".
        let k = if k == ALL { self.output.rows.max(1) } else { k };
        self.output.predict(&s.hidden, k, threshold, &mut s.out)
    }

    /// The document's language as datatrove 0.10.1's `LanguageFilter` (backend `ft176`) finds
    /// it: `FastTextLID.predict` replaces every `\n` by a space, predicts with `k = -1`
    /// (threshold 0), maps each label to `label.split("__")[2]`, and takes the first label with
    /// the highest score. `None` where datatrove would raise (no prediction at all, or a label
    /// without two `__`).
    ///
    /// The result equals datatrove's when both run the same model file. Note that datatrove's
    /// `FT176LID` downloads `lid.176.bin` (126 MB, dense), while [`Model::lid176`] is the
    /// quantized `lid.176.ftz`: the two models usually agree on the language but their scores
    /// differ. To reproduce a stock datatrove run exactly, load `lid.176.bin` with
    /// [`Model::from_path`].
    pub fn predict_document(&self, text: &str) -> Option<DocPrediction<'_>> {
        self.predict_document_with(&mut Scratch::new(), text)
    }

    /// [`predict_document`](Self::predict_document) with reusable buffers.
    pub fn predict_document_with<'m>(
        &'m self,
        s: &mut Scratch,
        text: &str,
    ) -> Option<DocPrediction<'m>> {
        if !self.run(s, text.as_bytes(), true, ALL, 0.0) {
            return None;
        }
        // `{lang.split("__")[2]: score for lang, score in zip(langs, scores)}`: a repeated key
        // keeps its first position and its last score; then `max(..., key=score)` keeps the
        // first of equal maxima.
        s.seen.clear();
        s.seen.resize(self.nkeys, u32::MAX);
        s.dedup.clear();
        for &(log_score, id) in &s.out.heap {
            let l = &self.labels[id as usize];
            l.key?;
            let prob = log_score.exp();
            let slot = &mut s.seen[l.key_id as usize];
            if *slot == u32::MAX {
                *slot = s.dedup.len() as u32;
                s.dedup.push((id, prob));
            } else {
                s.dedup[*slot as usize].1 = prob;
            }
        }
        let mut best: Option<(u32, f32)> = None;
        for &(id, prob) in &s.dedup {
            // Python's max() replaces its running maximum only on a strictly greater value.
            if best.is_none_or(|(_, b)| prob > b) {
                best = Some((id, prob));
            }
        }
        let (id, score) = best?;
        let l = &self.labels[id as usize];
        let (a, b) = l.key?;
        Some(DocPrediction {
            language: &l.raw[a..b],
            score,
            id,
        })
    }
}

/// The labels' display forms and datatrove keys, and their counts (for the Huffman tree).
fn label_infos(
    entries: &[format::RawEntry<'_>],
) -> Result<(Vec<LabelInfo>, Vec<i64>, usize), String> {
    let words: Vec<&[u8]> = entries.iter().map(|e| e.word).collect();
    let counts: Vec<i64> = entries.iter().map(|e| e.count).collect();
    label_infos_from(&words, &counts)
}

fn label_infos_from(
    words: &[&[u8]],
    counts: &[i64],
) -> Result<(Vec<LabelInfo>, Vec<i64>, usize), String> {
    let mut labels = Vec::with_capacity(words.len());
    let mut key_ids: HashMap<&str, u32> = HashMap::new();
    for w in words {
        let raw_label = std::str::from_utf8(w)
            .map_err(|_| format!("label {:?} is not UTF-8", String::from_utf8_lossy(w)))?;
        let strip = if w.starts_with(LABEL_PREFIX) {
            LABEL_PREFIX.len()
        } else {
            0
        };
        let key = datatrove_key(raw_label);
        let key_str = key.map_or("", |(a, b)| &raw_label[a..b]);
        let next = key_ids.len() as u32;
        let key_id = *key_ids.entry(key_str).or_insert(next);
        labels.push(LabelInfo {
            raw: raw_label.to_string(),
            strip,
            key,
            key_id,
        });
    }
    Ok((labels, counts.to_vec(), key_ids.len()))
}

/// Byte range of `label.split("__")[2]` in Python terms, if there is such a field.
fn datatrove_key(label: &str) -> Option<(usize, usize)> {
    let mut fields = label.split("__");
    fields.next()?;
    fields.next()?;
    let third = fields.next()?;
    let start = third.as_ptr() as usize - label.as_ptr() as usize;
    Some((start, start + third.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datatrove_key_is_the_third_field() {
        let k = |s: &'static str| datatrove_key(s).map(|(a, b)| &s[a..b]);
        assert_eq!(k("__label__en"), Some("en"));
        assert_eq!(k("__label__zh__x"), Some("zh"));
        assert_eq!(k("__label__"), Some(""));
        assert_eq!(k("en"), None);
    }

    #[cfg(feature = "bundled-lid176")]
    #[test]
    fn debug_is_a_summary() {
        let m = Model::lid176();
        assert_eq!(
            format!("{m:?}"),
            "Model { loss: HierarchicalSoftmax, dim: 16, nwords: 7235, nlabels: 176, \
             quantized: true, .. }"
        );
        assert_eq!(m.labels().len(), 176);
        assert_eq!(m.labels().next(), Some("en"));
        assert_eq!(m.raw_labels().next(), Some("__label__en"));
    }

    #[cfg(feature = "bundled-lid176")]
    #[test]
    fn k_threshold_and_lines() {
        let m = Model::lid176();
        let text = "Ceci est une phrase en français.";
        assert!(m.predict(text, 0, 0.0).is_empty());
        let all = m.predict(text, ALL, 0.0);
        assert!(all.len() > 3 && all.len() <= 176);
        assert!(all.windows(2).all(|w| w[0].prob >= w[1].prob));
        assert_eq!(m.predict(text, 3, 0.0), all[..3]);
        assert_eq!(all[0].label, "fr");
        assert_eq!(all[0].raw_label, "__label__fr");
        assert!(m.predict(text, 3, 0.999_999).is_empty());
        let kept = m.predict(text, ALL, 0.001);
        assert!(kept.iter().all(|p| p.prob >= 0.001) && kept.len() < all.len());
        // only the first line is read; predict_document reads them all
        assert_eq!(
            m.predict(&format!("{text}\nDas ist Deutsch."), 1, 0.0)[0],
            all[0]
        );
        let doc = m.predict_document(text).unwrap();
        assert_eq!(
            (doc.language, doc.score, doc.id),
            ("fr", all[0].prob, all[0].id)
        );
    }

    /// Large quantized models keep their input matrix quantized; that path must give the same
    /// bits as the decoded one (parity tests run the decoded one).
    #[test]
    fn quantized_and_decoded_input_agree() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in ["../../models/lid.176.ftz", "tests/golden/tiny-ns-quant.ftz"] {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let decoded = Model::parse(&bytes, usize::MAX).unwrap();
            let quant = Model::parse(&bytes, 0).unwrap();
            assert!(matches!(decoded.input, Matrix::Dense { .. }));
            assert!(matches!(quant.input, Matrix::Quant { .. }));
            for text in [
                "Ceci est une phrase en français.",
                "Das ist ein kleiner Test, nichts weiter.",
                "日本語のテキストです。 mixed with English words",
                "ελληνικά και λίγα ακόμα λόγια",
            ] {
                assert_eq!(
                    decoded.predict(text, ALL, 0.0),
                    quant.predict(text, ALL, 0.0)
                );
            }
        }
    }

    /// Reading the input matrix on its own gives the model the whole-file parse gives, from
    /// any first read (here as small as 64 bytes, so the sections before the matrix are read
    /// in several tries); quantized models are left to the whole-file path.
    #[test]
    fn streamed_loading_equals_whole_file_parsing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let classifiers = dir.join("../tamis-filters/tests/golden/classifier");
        let files = [
            dir.join("tests/golden/tiny-softmax.bin"),
            dir.join("tests/golden/tiny-ova.bin"),
            dir.join("tests/golden/tiny-ns-quant.ftz"),
            classifiers.join("quality-bigram.bin"),
            classifiers.join("quality-ns.bin"),
            classifiers.join("edu-ova.bin"),
        ];
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let whole = Model::parse(&bytes, DECODE_INPUT_MAX_BYTES).unwrap();
            for first in [64, 1 << 20] {
                let mut f = std::fs::File::open(path).unwrap();
                let len = bytes.len() as u64;
                let streamed = Model::stream(&mut f, len, first, DECODE_INPUT_MAX_BYTES).unwrap();
                let quantized = path.extension().is_some_and(|e| e == "ftz");
                let Some(streamed) = streamed else {
                    assert!(quantized, "{path:?} was not streamed");
                    continue;
                };
                assert!(!quantized, "{path:?}");
                let streamed = streamed.unwrap();
                for text in [
                    "a page about cooking pasta with fresh tomatoes and basil",
                    "Das ist ein kleiner Test, nichts weiter.",
                    "buy cheap watches online now best price",
                    "",
                ] {
                    assert_eq!(
                        whole.predict(text, ALL, 0.0),
                        streamed.predict(text, ALL, 0.0),
                        "{path:?} {text:?}"
                    );
                }
            }
        }
        // A file cut inside its input matrix is not streamed (the whole-file path reports it).
        let path = &files[0];
        let bytes = std::fs::read(path).unwrap();
        let cut = tempfile_with(&bytes[..bytes.len() / 2]);
        let mut f = std::fs::File::open(&cut).unwrap();
        let len = (bytes.len() / 2) as u64;
        assert!(Model::stream(&mut f, len, 64, DECODE_INPUT_MAX_BYTES)
            .unwrap()
            .is_none());
        assert!(matches!(
            Model::from_path(&cut),
            Err(LidError::Format { .. })
        ));
        let _ = std::fs::remove_file(&cut);
    }

    fn tempfile_with(bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("tamis-lid-cut-{}.bin", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn model_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Model>();
        check::<Scratch>();
    }
}
