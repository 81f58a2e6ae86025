//! fastText supervised-model inference in pure Rust, giving the same labels and the same f32
//! probabilities as fastText itself (and hence as datatrove's `LanguageFilter`, which calls
//! fastText's Python binding).
//!
//! Exactness comes from reproducing fastText's behaviour step by step rather than its
//! architecture: the tokenisation and hashing quirks of src/dictionary.cc (signed-char FNV-1a,
//! `</s>` handling, n-gram order), the f32 operation order of the hidden-vector average and the
//! dot products, the Huffman tree and pruned depth-first search of hierarchical softmax, and even
//! libstdc++'s heap moves, which decide the order of tied scores. Each module cites the fastText
//! source it follows. No fastText code is used; the behaviour was reimplemented from reading it
//! and checked against the reference on 74,000 lines in 75 languages (`tests/parity.rs`).
//!
//! ```
//! # #[cfg(feature = "bundled-lid176")] {
//! let model = tamis_lid::Model::lid176();
//! let best = &model.predict("Das ist ein kleiner Test.", 1, 0.0)[0];
//! assert_eq!(best.label, "de");
//!
//! // Per thread: one Scratch, reused for every call.
//! let mut scratch = tamis_lid::Scratch::new();
//! let doc = model.predict_document_with(&mut scratch, "Bonjour à tous.\nComment ça va ?");
//! assert_eq!(doc.unwrap().language, "fr");
//! # }
//! ```
//!
//! # Training
//!
//! [`train`] trains a supervised model from fastText's text format (`__label__x words ...`, one
//! example per line) as `fasttext.train_supervised` does; with `thread = 1` the saved `.bin`
//! ([`Trained::save_bin`]) is byte-identical to fastText's own for the same arguments and seed
//! (`tests/train.rs`), and [`Trained::into_model`] predicts without going through a file. Several
//! threads train Hogwild style, like fastText. See the `train` module.
//!
//! # The bundled model
//!
//! With the default feature `bundled-lid176`, [`Model::lid176`] returns fastText's 176-language
//! identification model (`lid.176.ftz`, 938 KB, CC BY-SA 3.0, see `models/README.md`), embedded
//! with `include_bytes!`. Embedding rather than looking the file up at run time means a `tamis`
//! binary works from any directory and on any machine with nothing to install or configure, at
//! the cost of under a megabyte of binary size; it is parsed once, on first use. Disable the
//! feature to ship without it and load models with [`Model::from_path`].

mod dict;
mod error;
mod format;
mod loss;
mod matrix;
mod model;
mod prefetch;
mod train;
mod write;

pub use error::{FormatError, LidError, TrainError};
pub use loss::Loss;
pub use model::{DocPrediction, Model, Prediction, Scratch, ALL};
pub use train::{train, train_bytes, TrainArgs, TrainStats, Trained};

#[cfg(feature = "bundled-lid176")]
static LID176_BYTES: &[u8] = include_bytes!("../../../models/lid.176.ftz");

#[cfg(feature = "bundled-lid176")]
impl Model {
    /// fastText's `lid.176.ftz` language identifier, embedded in the binary and parsed on first
    /// use (a few milliseconds). Shared by every caller (and thread), so it is returned by
    /// reference. The model is CC BY-SA 3.0 (Facebook, fastText language identification): a
    /// binary built with this feature must carry that attribution (see `models/README.md`).
    pub fn lid176() -> &'static Model {
        static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| {
            Model::from_bytes_named(LID176_BYTES, "lid.176.ftz (bundled)")
                .expect("the bundled lid.176.ftz is valid (checked by the crate's tests)")
        })
    }
}
