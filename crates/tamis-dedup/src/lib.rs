//! Deduplication.
//!
//! So far: MinHash near-duplicate detection with FineWeb's parameters, computed exactly as
//! datatrove 0.10.1 computes it (normalisation, word shingles, hashes, permutations, LSH bands,
//! clustering), so the documents it removes can be compared one to one with datatrove's. The
//! default survivor of a cluster is the earliest document, which is deterministic whatever
//! the order work is done in; [`Survivor::Datatrove`] reproduces datatrove's choice.

mod cluster;
mod minhash;
mod numpy_rng;
mod simplify;
mod simplify_tables;

pub use cluster::{cluster, duplicate_pairs, Clusters, Survivor};
pub use minhash::{MinHasher, MinhashConfig, MinhashError, MERSENNE_61};
pub use numpy_rng::Mt19937;
pub use simplify::{simplify_text, TextNorm};
