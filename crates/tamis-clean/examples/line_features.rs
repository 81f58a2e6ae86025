//! The line model's features of every non-blank line of JSONL pages, for
//! `tools/train_line_model.py`.
//!
//! usage: zstd -dc PAGES.jsonl.zst | cargo run --release -p tamis-clean --example line_features > FEATURES.jsonl
//!
//! Reads `{"id", "text"}` records (other keys ignored) and writes one `{"id", "lines", "x"}`
//! record per page: the index of each non-blank line of `text.split("\n")` and its feature
//! values, with the rules at their defaults. The first output line is `{"features": [names]}`.

use std::io::{BufRead, Write};

use tamis_clean::{model, LineCleanConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = LineCleanConfig::default();
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(
        &mut out,
        &serde_json::json!({ "features": model::FEATURE_NAMES }),
    )?;
    out.write_all(b"\n")?;
    for (n, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("stdin line {}: {e}", n + 1))?;
        let text = rec["text"]
            .as_str()
            .ok_or_else(|| format!("stdin line {}: no string `text`", n + 1))?;
        let rows = model::line_features(text, &cfg);
        let (lines, x): (Vec<usize>, Vec<Vec<f64>>) = rows.into_iter().unzip();
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({ "id": rec["id"], "lines": lines, "x": x }),
        )?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
