//! Helpers shared by this crate's integration tests (each test binary uses some of them).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tamis_dedup::{DedupJob, Method};
use tamis_io::{expand_inputs, Compression, ReadOptions};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// The non-blank lines of a zstd-compressed text file.
pub fn read_zst_lines(path: &Path) -> Vec<String> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(zstd::Decoder::new(f).unwrap())
        .lines()
        .map(Result::unwrap)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// The records of a zstd-compressed JSONL file.
pub fn jsonl_zst(path: &Path) -> Vec<Value> {
    read_zst_lines(path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `../shared/data/corpus`, or `None` (after saying so) on a fresh clone without it.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/data/corpus");
    if dir.join("pages.jsonl.zst").exists() {
        return Some(dir);
    }
    eprintln!(
        "SKIP: {} is absent (a fresh clone has no ../shared); the committed subset still runs",
        dir.display()
    );
    None
}

/// `clusters.tsv`: document index -> (removed by datatrove, cluster size).
pub fn golden_clusters() -> std::collections::BTreeMap<usize, (bool, u64)> {
    std::fs::read_to_string(golden("clusters.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].parse().unwrap(), (f[1] == "1", f[2].parse().unwrap()))
        })
        .collect()
}

/// A job over `inputs` writing to `out` (work files in `out/work`), zstd outputs.
pub fn job_with(method: Method, inputs: &[PathBuf], out: &Path, memory: usize) -> DedupJob {
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    DedupJob {
        method,
        inputs: expand_inputs(&names),
        work_dir: out.join("work"),
        out_dir: out.to_path_buf(),
        memory_bytes: memory,
        compression: Compression::Zstd,
        read: ReadOptions::default(),
        progress: None,
        observer: None,
    }
}

/// Every output file's bytes, by relative path (`kept/00000.jsonl.zst`, ...).
pub fn output_bytes(out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut m = std::collections::BTreeMap::new();
    for sub in ["kept", "dropped", "quarantine"] {
        let Ok(dir) = std::fs::read_dir(out.join(sub)) else {
            continue;
        };
        for f in dir {
            let p = f.unwrap().path();
            let name = format!("{sub}/{}", p.file_name().unwrap().to_string_lossy());
            m.insert(name, std::fs::read(&p).unwrap());
        }
    }
    m
}
