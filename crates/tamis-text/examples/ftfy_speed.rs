//! Single-thread throughput of `ftfy::fix_text` on a JSONL(.zst) corpus of `{"text": ...}`.
//!
//! ```text
//! cargo run --release -p tamis-text --example ftfy_speed [-- ../shared/data/corpus/pages.jsonl.zst]
//! ```

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/corpus/pages.jsonl.zst")
        });
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let texts: Vec<String> = BufReader::new(zstd::Decoder::new(file).expect("zstd"))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.expect("read")).expect("json");
            v["text"].as_str().expect("text").to_owned()
        })
        .collect();
    let mb = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    let _ = tamis_text::ftfy::fix_text("warm up");
    let t = Instant::now();
    let changed = texts
        .iter()
        .filter(|x| tamis_text::ftfy::fix_text(x) != **x)
        .count();
    println!(
        "{}: {} documents, {mb:.1} MB, {changed} changed; {:.1} MB/s",
        path.display(),
        texts.len(),
        mb / t.elapsed().as_secs_f64()
    );
}
