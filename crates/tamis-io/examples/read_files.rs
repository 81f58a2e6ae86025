//! Reads every input given on the command line (files, directories, globs) and prints counts,
//! quarantine reasons and throughput: a quick check of real data and of reader speed.
//!
//! `cargo run --release -p tamis-io --example read_files -- [--threads N] data/ '*.jsonl.zst'`
//!
//! With `--threads N` the files are read on a pool of N threads, where one file's gzip members
//! or zstd frames are decoded by several jobs at once; the counts are the same.

use std::collections::BTreeMap;
use std::time::Instant;

use tamis_io::{expand_inputs, read, ReadOptions, Record};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--threads") && args.len() > 1 {
        let threads: usize = args[1].parse().expect("--threads takes a number");
        args.drain(..2);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| read_all(&args));
    } else {
        read_all(&args);
    }
}

fn read_all(args: &[String]) {
    let opts = ReadOptions::default();
    let start = Instant::now();
    let (mut docs, mut text_bytes, mut bytes) = (0u64, 0u64, 0u64);
    let mut bad: BTreeMap<&'static str, u64> = BTreeMap::new();
    for input in expand_inputs(args) {
        let mut reader = read(&input, &opts);
        for record in reader.by_ref() {
            match record {
                Record::Doc { doc, .. } => {
                    docs += 1;
                    text_bytes += doc.text.len() as u64;
                }
                Record::Bad(q) => {
                    eprintln!("{q}");
                    *bad.entry(q.reason).or_default() += 1;
                }
            }
        }
        bytes += reader.stats().decompressed_bytes;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{docs} docs, {text_bytes} text bytes, {bytes} decompressed bytes in {secs:.3}s: \
         {:.0} MB/s, {:.0} docs/s; quarantined: {bad:?}",
        bytes as f64 / 1e6 / secs,
        docs as f64 / secs
    );
}
