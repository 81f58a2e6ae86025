//! fastText supervised training in pure Rust.
//!
//! [`train`] reproduces `fasttext.train_supervised` (src/fasttext.cc `FastText::train`, as
//! built into fasttext-numpy2-wheel 0.9.2 from fastText's main branch with GCC 10): the same
//! dictionary, the same random initialisation, the same examples in the same order with the
//! same learning rates, and the same f32 arithmetic. With `thread = 1` the saved `.bin` is
//! byte-identical to the one fastText's Python package writes for the same arguments and seed
//! (`tests/train.rs` checks six configurations against goldens from
//! `tools/gen_train_golden.py`). With several threads training is Hogwild, as in fastText:
//! threads share the weights without locks, so results vary from run to run.
//!
//! One fastText behaviour is reproduced only in its common case: fastText allocates the input
//! matrix without zeroing it and randomises only part of it (see `init_input`); the rest holds
//! whatever the allocator returns, which is zero in a fresh process (a fresh `mmap`) but the
//! leftovers of earlier allocations otherwise (for instance a second model trained in the
//! same Python process, whose file then differs and whose training may even diverge). tamis
//! starts those rows at zero, i.e. matches fastText run in a fresh process.
//!
//! The parts: [`reader`] tokenises (`readWord`), [`vocab`] builds the dictionary and turns
//! lines into input rows (`readFromFile`, `threshold`, `getLine`), [`sort`] is libstdc++'s
//! `std::sort` (which orders words of equal count), [`rng`] the generator and distributions,
//! [`sgd`] the gradient step, [`args`] the arguments, and [`trained`] the result, with
//! `crate::write` the `.bin` encoder.
//!
//! ```no_run
//! use tamis_lid::{train, TrainArgs};
//! let args = TrainArgs { epoch: 10, word_ngrams: 2, ..TrainArgs::default() };
//! let trained = train(&args, "train.txt".as_ref())?;
//! trained.save_bin("model.bin".as_ref())?;
//! let model = trained.into_model();
//! println!("{:?}", model.predict("some text", 1, 0.0));
//! # Ok::<(), tamis_lid::TrainError>(())
//! ```

mod args;
mod reader;
mod rng;
mod sgd;
mod sort;
mod trained;
mod vocab;

pub use args::TrainArgs;
pub use trained::{TrainStats, Trained};

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use crate::error::TrainError;
use crate::loss::Loss;
use reader::WordReader;
use rng::MinStd;
use sgd::{AtomicRows, CellRows, Learner, Rows, State};
use vocab::{LineScratch, NgramArgs, Vocab};

/// Where the training lines come from. Each training thread opens its own reader, as
/// fastText opens the file once per thread.
enum Source {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl Source {
    fn open(&self) -> io::Result<WordReader<Box<dyn ReadSeek>>> {
        let src: Box<dyn ReadSeek> = match self {
            Source::File(p) => Box::new(File::open(p)?),
            Source::Bytes(b) => Box::new(Cursor::new(Arc::clone(b))),
        };
        Ok(WordReader::new(src))
    }
}

/// Trains a supervised model on a file in fastText's format: one example per line, its
/// labels (tokens starting with `args.label`, e.g. `__label__en`) and words separated by
/// whitespace, in any order.
pub fn train(args: &TrainArgs, input: &Path) -> Result<Trained, TrainError> {
    run(
        args,
        &Source::File(input.to_path_buf()),
        &input.display().to_string(),
    )
}

/// [`train`] on training lines held in memory; `name` is how errors refer to them.
pub fn train_bytes(
    args: &TrainArgs,
    data: impl Into<Arc<[u8]>>,
    name: &str,
) -> Result<Trained, TrainError> {
    run(args, &Source::Bytes(data.into()), name)
}

/// What every training thread shares, read-only.
struct Job<'a> {
    args: &'a TrainArgs,
    source: &'a Source,
    name: &'a str,
    vocab: &'a Vocab,
    ngrams: NgramArgs,
    subwords: (Vec<u32>, Vec<usize>),
    learner: Learner,
    /// `tokenCount_`: tokens processed by all threads, published every `lrUpdateRate`.
    token_count: AtomicI64,
    /// Set by a thread that hit a NaN, so that the others stop (`trainException_`).
    failed: AtomicBool,
}

fn run(args: &TrainArgs, source: &Source, name: &str) -> Result<Trained, TrainError> {
    args.check()?;
    let start = Instant::now();
    let read_err = |source| TrainError::Read {
        file: name.to_string(),
        source,
    };
    let mut reader = source.open().map_err(read_err)?;
    let mut vocab = Vocab::read(&mut reader, args.label.as_bytes()).map_err(read_err)?;
    drop(reader);
    vocab.threshold(i64::from(args.min_count), i64::from(args.min_count_label));
    if vocab.entries.is_empty() {
        return Err(TrainError::EmptyVocabulary {
            file: name.to_string(),
            min_count: args.min_count,
        });
    }
    if vocab.nlabels == 0 {
        return Err(TrainError::NoLabels {
            file: name.to_string(),
            prefix: args.label.clone(),
            min_count_label: args.min_count_label,
        });
    }
    if let Some(e) = vocab.entries[vocab.nwords..]
        .iter()
        .find(|e| std::str::from_utf8(&e.word).is_err())
    {
        return Err(TrainError::LabelNotUtf8 {
            file: name.to_string(),
            label: String::from_utf8_lossy(&e.word).into_owned(),
        });
    }
    if args.loss == Loss::NegativeSampling && vocab.nlabels < 2 {
        return Err(TrainError::OneLabelNegativeSampling {
            file: name.to_string(),
        });
    }

    let dim = args.dim as usize;
    let ngrams = args.ngrams();
    let input_rows = vocab.nwords + ngrams.bucket as usize;
    let mut input = alloc(input_rows, dim, "input matrix", name)?;
    init_input(&mut input, dim, args.thread, args.seed);
    let output = alloc(vocab.nlabels, dim, "output matrix", name)?;

    let job = Job {
        args,
        source,
        name,
        vocab: &vocab,
        ngrams,
        subwords: vocab.subwords(&ngrams),
        learner: Learner::new(args.loss, args.neg as usize, &vocab.label_counts()),
        token_count: AtomicI64::new(0),
        failed: AtomicBool::new(false),
    };
    let prepared = Instant::now();
    let (input, output) = if args.thread == 1 {
        train_single(&job, input, output)?
    } else {
        train_hogwild(&job, input, output)?
    };
    let stats = TrainStats {
        prepare_seconds: (prepared - start).as_secs_f64(),
        train_seconds: prepared.elapsed().as_secs_f64(),
        tokens: job.token_count.load(Relaxed).max(0) as u64,
        threads: args.thread,
    };
    drop(job);
    Ok(Trained {
        args: args.clone(),
        nwords: vocab.nwords,
        ntokens: vocab.ntokens,
        entries: vocab.entries,
        input,
        output,
        stats,
    })
}

/// A zeroed `rows x dim` matrix, or an error if it cannot be allocated.
fn alloc(rows: usize, dim: usize, what: &'static str, name: &str) -> Result<Vec<f32>, TrainError> {
    let too_large = || TrainError::TooLarge {
        file: name.to_string(),
        what,
        bytes: rows as u128 * dim as u128 * 4,
    };
    let n = rows.checked_mul(dim).ok_or_else(too_large)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| too_large())?;
    v.resize(n, 0.0);
    Ok(v)
}

/// `DenseMatrix::uniform(1.0 / dim, thread, seed)` (src/densematrix.cc): the matrix is cut in
/// ten blocks of `len / 10` values, and block `b < thread` is filled by
/// `uniform_real_distribution(-a, a)` over `minstd_rand(b + seed)` (`uniformThread`); other
/// values are not written. With one thread only the first tenth of the matrix (the rows of the
/// most frequent words) starts random. fastText leaves the rest uninitialised
/// (`intgemm::AlignedVector`, src/aligned.h, is `posix_memalign`ed and not zeroed); here it is
/// zero, as fastText's is in a fresh process. Blocks are independent, so they are filled in
/// parallel.
fn init_input(data: &mut [f32], dim: usize, thread: u32, seed: i32) {
    let a = f64::from((1.0 / dim as f64) as f32);
    let block = data.len() / 10;
    let mut rest = data;
    let mut start = 0;
    let mut jobs = Vec::new();
    for b in 0..thread as usize {
        let lo = block * b;
        let hi = (block * (b + 1)).min(start + rest.len());
        if lo >= hi {
            break;
        }
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(lo - start);
        let (chunk, tail) = tail.split_at_mut(hi - lo);
        rest = tail;
        start = hi;
        jobs.push((b as i32, chunk));
    }
    let fill = |b: i32, chunk: &mut [f32]| {
        let mut rng = MinStd::new(i64::from(b.wrapping_add(seed)));
        for v in chunk {
            *v = rng.uniform_real(-a, a) as f32;
        }
    };
    if jobs.len() == 1 {
        let (b, chunk) = jobs.pop().expect("one job");
        fill(b, chunk);
    } else {
        std::thread::scope(|s| {
            for (b, chunk) in jobs {
                s.spawn(move || fill(b, chunk));
            }
        });
    }
}

fn train_single(
    job: &Job<'_>,
    mut input: Vec<f32>,
    mut output: Vec<f32>,
) -> Result<(Vec<f32>, Vec<f32>), TrainError> {
    let dim = job.args.dim as usize;
    let wi = CellRows {
        data: Cell::from_mut(input.as_mut_slice()).as_slice_of_cells(),
        dim,
    };
    let wo = CellRows {
        data: Cell::from_mut(output.as_mut_slice()).as_slice_of_cells(),
        dim,
    };
    train_thread(job, 0, &wi, &wo)?;
    Ok((input, output))
}

fn train_hogwild(
    job: &Job<'_>,
    input: Vec<f32>,
    output: Vec<f32>,
) -> Result<(Vec<f32>, Vec<f32>), TrainError> {
    let dim = job.args.dim as usize;
    // Same size and alignment: these conversions reuse the allocations.
    let input: Vec<AtomicU32> = input
        .into_iter()
        .map(|v| AtomicU32::new(v.to_bits()))
        .collect();
    let output: Vec<AtomicU32> = output
        .into_iter()
        .map(|v| AtomicU32::new(v.to_bits()))
        .collect();
    let wi = AtomicRows { data: &input, dim };
    let wo = AtomicRows { data: &output, dim };
    let results: Vec<Result<(), TrainError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..job.args.thread)
            .map(|id| {
                let (wi, wo) = (&wi, &wo);
                s.spawn(move || train_thread(job, id, wi, wo))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.into_iter().collect::<Result<(), _>>()?;
    let back = |v: Vec<AtomicU32>| -> Vec<f32> {
        v.into_iter()
            .map(|a| f32::from_bits(a.into_inner()))
            .collect()
    };
    Ok((back(input), back(output)))
}

/// `FastText::trainThread`: thread `id` reads the data from byte `id * size / thread` (in
/// the middle of a line, usually), wrapping around at the end, and takes a gradient step per
/// line with the learning rate `lr * (1 - progress)`, progress being the share of
/// `epoch * ntokens` tokens all threads have published so far. Threads publish their token
/// counts every `lrUpdateRate` tokens and stop once the total is reached.
fn train_thread<W: Rows>(job: &Job<'_>, id: u32, wi: &W, wo: &W) -> Result<(), TrainError> {
    let args = job.args;
    let read_err = |source| TrainError::Read {
        file: job.name.to_string(),
        source,
    };
    let mut reader = job.source.open().map_err(read_err)?;
    let size = reader.size().map_err(read_err)?;
    reader
        .seek(u64::from(id) * size / u64::from(args.thread))
        .map_err(read_err)?;
    let dim = args.dim as usize;
    let seed = (id as i32).wrapping_add(args.seed);
    let mut state = State::new(dim, job.vocab.nlabels, i64::from(seed));
    let total = i64::from(args.epoch) * job.vocab.ntokens;
    let (mut words, mut labels, mut scratch) = (Vec::new(), Vec::new(), LineScratch::default());
    let mut local = 0i64;
    loop {
        let done = job.token_count.load(Relaxed);
        if done >= total || job.failed.load(Relaxed) {
            return Ok(());
        }
        // `real progress = real(tokenCount_) / (epoch * ntokens)`, then the rate in double.
        let progress = done as f32 / total as f32;
        let lr = (args.lr * (1.0 - f64::from(progress))) as f32;
        local += job
            .vocab
            .get_line(
                &mut reader,
                &job.ngrams,
                &job.subwords,
                &mut words,
                &mut labels,
                &mut scratch,
            )
            .map_err(read_err)?;
        if job
            .learner
            .step(wi, wo, &mut state, lr, &words, &labels)
            .is_err()
        {
            job.failed.store(true, Relaxed);
            return Err(TrainError::Diverged {
                file: job.name.to_string(),
            });
        }
        if local > i64::from(args.lr_update_rate) {
            job.token_count.fetch_add(local, Relaxed);
            local = 0;
        }
    }
}
