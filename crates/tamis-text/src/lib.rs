//! Pure text primitives. Each function documents which reference behaviour it reproduces, since
//! datatrove's decisions hinge on details such as which characters Python counts as a line break.

pub mod burmese;
mod chars;
mod crf;
pub mod dup;
pub mod en;
pub mod ftfy;
pub mod indic;
pub mod jieba;
pub mod khmer;
pub mod lao;
pub mod py;
mod pyre;
pub mod simplify;
mod simplify_tables;
pub mod spacy;
pub mod thai;
mod trie;
pub mod vi;
pub mod words;
