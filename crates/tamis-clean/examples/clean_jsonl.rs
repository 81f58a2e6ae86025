//! Cleans a JSONL(.zst) file of `{"id", "text", ...}` records with the default `line_clean`
//! config and writes `{"id", "text"}` per kept record to stdout; prints throughput to stderr.
//!
//! ```text
//! cargo run --release -p tamis-clean --example clean_jsonl -- pages.jsonl.zst > out.jsonl
//! python3 ../shared/eval/score_lines.py pages.jsonl.zst out.jsonl
//! ```
//! `--explain` writes `{"id", "rules"}` instead: the rule that removed each line, or null.
//! `--set key=value` (repeatable) overrides a config field, e.g. `--set max_short_run=2`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::time::Instant;

use tamis_clean::{clean, LineCleanConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut explain_mode = false;
    let mut params = serde_json::Map::new();
    while let Some(a) = args.next() {
        if a == "--explain" {
            explain_mode = true;
        } else if a == "--set" {
            let kv = args.next().ok_or("--set needs key=value")?;
            let (k, v) = kv.split_once('=').ok_or("--set needs key=value")?;
            let v: serde_json::Value = serde_json::from_str(v)?;
            params.insert(k.to_owned(), v);
        } else {
            path = Some(a);
        }
    }
    let path = path.ok_or("usage: clean_jsonl FILE.jsonl[.zst] [--set key=value]...")?;
    let cfg: LineCleanConfig = serde_json::from_value(serde_json::Value::Object(params))?;
    let file = std::fs::File::open(&path)?;
    let reader: Box<dyn Read> = if path.ends_with(".zst") {
        Box::new(zstd::Decoder::new(file)?)
    } else {
        Box::new(file)
    };
    let mut texts = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let text = v["text"].as_str().unwrap_or_default().to_owned();
        texts.push((id, text));
    }
    if explain_mode {
        // One record per page: the rule that removed each line (null when kept).
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        for (id, text) in &texts {
            let rules: Vec<Option<&str>> = tamis_clean::explain(text, &cfg)
                .into_iter()
                .map(|d| d.rule)
                .collect();
            serde_json::to_writer(&mut out, &serde_json::json!({"id": id, "rules": rules}))?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        return Ok(());
    }
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let start = Instant::now();
    let cleaned: Vec<String> = texts.iter().map(|(_, t)| clean(t, &cfg).0).collect();
    let secs = start.elapsed().as_secs_f64();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for ((id, _), text) in texts.iter().zip(&cleaned) {
        if text.trim().is_empty() {
            continue;
        }
        serde_json::to_writer(&mut out, &serde_json::json!({"id": id, "text": text}))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!(
        "{} docs, {:.1} MB in {:.3} s: {:.1} MB/s (cleaning only, one thread)",
        texts.len(),
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
