//! Reads the shared real-data sample (2154 crawled pages) when it is present.

use std::path::PathBuf;
use std::time::Instant;

use tamis_io::{read, Compression, InputFile, JsonlWriter, ReadOptions, Record};

fn corpus(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/corpus")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        println!("skipping: {} not found", p.display());
        None
    }
}

#[test]
fn real_pages_read_and_round_trip() {
    let Some(path) = corpus("pages.jsonl.zst") else {
        return;
    };
    let start = Instant::now();
    let mut reader = read(&InputFile::new(&path), &ReadOptions::default());
    let docs: Vec<_> = reader
        .by_ref()
        .map(|r| match r {
            Record::Doc { doc, .. } => doc,
            Record::Bad(q) => panic!("{q}"),
        })
        .collect();
    let elapsed = start.elapsed();
    let stats = reader.stats();
    println!(
        "{} docs, {} MB decompressed in {:.3}s ({:.0} MB/s, unoptimised test profile)",
        docs.len(),
        stats.decompressed_bytes / 1_000_000,
        elapsed.as_secs_f64(),
        stats.decompressed_bytes as f64 / 1e6 / elapsed.as_secs_f64()
    );
    assert_eq!(docs.len(), 2154);
    assert_eq!((stats.bad, stats.docs), (0, 2154));
    assert!(docs.iter().all(|d| !d.id.is_empty()));

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pages.jsonl.zst");
    let mut w = JsonlWriter::create(&out, Compression::Zstd).expect("create");
    for d in &docs {
        w.write(d).expect("write");
    }
    w.finish().expect("finish");
    let back: Vec<_> = read(&InputFile::new(&out), &ReadOptions::default())
        .filter_map(Record::into_doc)
        .collect();
    assert_eq!(back, docs);
}
