//! Helpers shared by the integration tests: fixture generation and record summaries.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use tamis_io::{read, InputFile, ReadOptions, Record};

/// Deterministic, poorly compressible text so that truncating a compressed file at a fraction
/// of its size cuts the decompressed stream at a similar fraction.
pub fn noisy_text(seed: u64, len: usize) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz      .,\n";
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            alphabet[((x >> 33) % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// `n` JSONL lines `{"id":"d<i>","text":...}` and the byte offset where each starts.
pub fn jsonl_lines(n: usize, text_len: usize) -> (Vec<u8>, Vec<u64>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for i in 0..n {
        starts.push(out.len() as u64);
        let line =
            serde_json::json!({"id": format!("d{i}"), "text": noisy_text(i as u64, text_len)});
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    (out, starts)
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip write");
    e.finish().expect("gzip finish")
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd")
}

/// zstd with a content checksum, as the zstd CLI writes by default: corruption that still
/// decodes is caught at the end of the frame.
pub fn zstd_checksummed(data: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd encoder");
    e.include_checksum(true).expect("checksum flag");
    e.write_all(data).expect("zstd write");
    e.finish().expect("zstd finish")
}

pub fn write(path: &Path, data: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, data).expect("write fixture");
}

pub fn read_all(path: &Path) -> Vec<Record> {
    read(&InputFile::new(path), &ReadOptions::default()).collect()
}

pub fn read_with(path: &Path, opts: &ReadOptions) -> Vec<Record> {
    read(&InputFile::new(path), opts).collect()
}

/// `("doc", id)` or `("bad", reason)` per record, for compact assertions.
pub fn summary(records: &[Record]) -> Vec<(&'static str, String)> {
    records
        .iter()
        .map(|r| match r {
            Record::Doc { doc, .. } => ("doc", doc.id.clone()),
            Record::Bad(q) => ("bad", q.reason.to_owned()),
        })
        .collect()
}

pub fn bad(r: &Record) -> &tamis_io::Quarantined {
    match r {
        Record::Bad(q) => q,
        Record::Doc { doc, loc } => panic!("expected a bad record, got doc {} at {loc}", doc.id),
    }
}
