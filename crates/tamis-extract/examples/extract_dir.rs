//! Extracts every HTML file (`.html`, `.htm`, `.html.gz`, `.txt`) in a folder to JSONL on
//! stdout, `{"id": <file name>, "text": ...}`, and reports pages/s on stderr.
use std::io::{Read, Write};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: extract_dir DIR");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut pages = Vec::new();
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        let raw = if f.extension().is_some_and(|e| e == "gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            raw
        };
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        pages.push((name, String::from_utf8_lossy(&raw).into_owned()));
    }
    let start = std::time::Instant::now();
    let out: Vec<_> = pages
        .iter()
        .map(|(n, h)| {
            (
                n,
                tamis_extract::extract(h, &tamis_extract::Limits::default()),
            )
        })
        .collect();
    let secs = start.elapsed().as_secs_f64();
    let bytes: usize = pages.iter().map(|p| p.1.len()).sum();
    let mut stdout = std::io::stdout().lock();
    for (n, r) in out {
        let text = r.map(|e| e.text).unwrap_or_default();
        writeln!(stdout, "{}", serde_json::json!({"id": n, "text": text})).unwrap();
    }
    eprintln!(
        "{} pages, {:.1} MB in {:.3} s: {:.0} pages/s, {:.1} MB/s",
        pages.len(),
        bytes as f64 / 1e6,
        secs,
        pages.len() as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}
