//! Throughput of `tamis-lid`, for bench/lid.py (which runs fastText's Python binding on the same
//! input).
//!
//! usage:
//!   lid_bench lines [--print] [--model M] FILE...   every line of the files, predict(k = 3)
//!   lid_bench docs  [--print] [--model M] FILE...   JSONL(.zst) documents, predict_document
//!
//! Prints one JSON summary line (items, bytes, wall seconds, thread CPU seconds) on stderr; with --print, one TSV line
//! per item on stdout (labels and probabilities, for eyeballing against fastText).

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Instant;

use tamis_lid::{Model, Scratch};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().expect("mode: lines | docs");
    let mut print = false;
    let mut model_path = None;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--print" => print = true,
            "--model" => model_path = args.next(),
            _ => files.push(a),
        }
    }
    let owned;
    let model: &Model = match model_path {
        Some(p) => {
            owned = Model::from_path(p).unwrap_or_else(|e| panic!("{e}"));
            &owned
        }
        None => Model::lid176(),
    };
    let texts = load(&mode, &files);
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mut scratch = Scratch::new();
    let mut preds = Vec::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut checksum = 0f64;
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    for t in &texts {
        if mode == "lines" {
            model.predict_with(&mut scratch, t, 3, 0.0, &mut preds);
            if let Some(p) = preds.first() {
                checksum += f64::from(p.prob);
            }
            if print {
                let cols: Vec<String> = preds
                    .iter()
                    .map(|p| format!("{}\t{}", p.raw_label, p.prob))
                    .collect();
                writeln!(out, "{}", cols.join("\t")).unwrap();
            }
        } else {
            let d = model.predict_document_with(&mut scratch, t);
            if let Some(d) = d {
                checksum += f64::from(d.score);
                if print {
                    writeln!(out, "{}\t{}", d.language, d.score).unwrap();
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_ns()
        .zip(cpu_start)
        .map(|(b, a)| (b - a) as f64 / 1e9);
    out.flush().unwrap();
    eprintln!(
        "{{\"items\": {}, \"bytes\": {}, \"seconds\": {:.6}, \"cpu_seconds\": {}, \"checksum\": {:.6}}}",
        texts.len(),
        bytes,
        secs,
        cpu.map_or("null".to_string(), |c| format!("{c:.6}")),
        checksum
    );
}

/// CPU time of this thread in ns (Linux `/proc/thread-self/schedstat`, first field): unlike wall
/// time it does not grow when another process shares the core.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn load(mode: &str, files: &[String]) -> Vec<String> {
    let mut texts = Vec::new();
    for f in files {
        let file = std::fs::File::open(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let reader: Box<dyn Read> = if f.ends_with(".zst") {
            Box::new(zstd::Decoder::new(file).unwrap())
        } else {
            Box::new(file)
        };
        for line in BufReader::new(reader).lines() {
            let line = line.unwrap();
            if mode == "lines" {
                texts.push(line);
            } else {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                texts.push(v["text"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    texts
}
