//! Writer -> reader round trips, the exact line format, and atomic finish.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::json;
use tamis_core::{Document, Metadata};
use tamis_io::{read, Compression, InputFile, JsonlWriter, ReadOptions, Record};

fn meta(v: serde_json::Value) -> Metadata {
    match v {
        serde_json::Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn sample_docs() -> Vec<Document> {
    let mut docs = vec![
        Document::new("plain", "Hello, world."),
        Document::new("", ""),
        Document::new(
            "unicode/1",
            "héllo wörld — 日本語 🚀 \u{2028} tab\there \"quoted\" back\\slash\nnew line \u{1} ctrl",
        ),
    ];
    let mut d = Document::new("with-meta", "text with metadata");
    d.metadata = meta(json!({
        "url": "https://example.com/a?b=c",
        "nested": {"list": [1, 2.5, null, true], "s": "x"},
        "zeta": 1,
        "alpha": 2
    }));
    docs.push(d);
    for i in 0..500 {
        let mut d = Document::new(format!("bulk/{i}"), noisy_text(i, 300));
        d.metadata.insert("i".into(), json!(i));
        docs.push(d);
    }
    docs
}

fn write_docs(path: &Path, c: Compression, docs: &[Document]) {
    let mut w = JsonlWriter::create(path, c).expect("create");
    for d in docs {
        w.write(d).expect("write");
    }
    assert_eq!(w.records(), docs.len() as u64);
    // Nothing exists under the final name until finish.
    assert!(!path.exists());
    w.finish().expect("finish");
    assert!(path.exists());
}

#[test]
fn round_trip_all_compressions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = sample_docs();
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let path = dir.path().join(format!("out/docs.jsonl{}", c.extension()));
        write_docs(&path, c, &docs);
        let mut reader = read(&InputFile::new(&path), &ReadOptions::default());
        let back: Vec<Document> = reader
            .by_ref()
            .map(|r| match r {
                Record::Doc { doc, .. } => doc,
                Record::Bad(q) => panic!("{q}"),
            })
            .collect();
        assert_eq!(back, docs, "{c:?}");
        assert_eq!(reader.compression(), Some(c));
        // Metadata key order survives (serde_json preserve_order).
        let keys: Vec<&str> = back[3].metadata.keys().map(String::as_str).collect();
        assert_eq!(keys, ["url", "nested", "zeta", "alpha"]);
    }
    // Only the three finished files remain: no temp files left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["docs.jsonl", "docs.jsonl.gz", "docs.jsonl.zst"]);
}

#[test]
fn line_format_matches_datatrove() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f.jsonl");
    let mut with_meta = Document::new("b", "two");
    with_meta.metadata = meta(json!({"lang": "fr", "score": 0.5}));
    let mut w = JsonlWriter::create(&path, Compression::None).expect("create");
    w.write(&Document::new("a", "one é\n")).expect("write");
    w.write(&with_meta).expect("write");
    w.write_value(&json!({"file": "x", "line": 1}))
        .expect("write");
    w.finish().expect("finish");
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(
        text,
        concat!(
            "{\"text\":\"one é\\n\",\"id\":\"a\"}\n",
            "{\"text\":\"two\",\"id\":\"b\",\"metadata\":{\"lang\":\"fr\",\"score\":0.5}}\n",
            "{\"file\":\"x\",\"line\":1}\n"
        )
    );
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("partial.jsonl.zst");
    {
        let mut w = JsonlWriter::create(&path, Compression::Zstd).expect("create");
        w.write(&Document::new("a", "x")).expect("write");
        // A temp file exists meanwhile, hidden and without a readable extension.
        let entries: Vec<String> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries.len(), 1);
        assert!(
            entries[0].starts_with(".partial.jsonl.zst.tmp-"),
            "{entries:?}"
        );
        assert!(!InputFile::is_supported(Path::new(&entries[0])));
        // dropped without finish, as on an error path
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
}

#[test]
fn finish_replaces_existing_file_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.jsonl.gz");
    write_docs(&path, Compression::Gzip, &[Document::new("old", "old")]);
    let mut w = JsonlWriter::create(&path, Compression::Gzip).expect("create");
    w.write(&Document::new("new", "new")).expect("write");
    // The old complete file is still there until finish.
    let before: Vec<String> = read_all(&path)
        .into_iter()
        .filter_map(|r| r.into_doc().map(|d| d.id))
        .collect();
    assert_eq!(before, ["old"]);
    w.finish().expect("finish");
    let after: Vec<String> = read_all(&path)
        .into_iter()
        .filter_map(|r| r.into_doc().map(|d| d.id))
        .collect();
    assert_eq!(after, ["new"]);
}

#[test]
fn create_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    write(&blocker, b"x");
    // The parent "directory" is a file: cannot create it.
    let path = blocker.join("out.jsonl");
    let err = match JsonlWriter::create(&path, Compression::None) {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    };
    let msg = err.to_string();
    assert!(
        msg.contains(&blocker.to_string_lossy().into_owned()),
        "{msg}"
    );
    assert!(
        matches!(err, tamis_io::IoError::CreateDir { .. }),
        "{err:?}"
    );
}

/// Python's `json` module must read every line back (skipped when python3 is absent).
#[test]
fn python_json_reads_output() {
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipping: python3 not found");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = sample_docs();
    let plain = dir.path().join("py.jsonl");
    let gz = dir.path().join("py.jsonl.gz");
    write_docs(&plain, Compression::None, &docs);
    write_docs(&gz, Compression::Gzip, &docs);
    let script = r#"
import gzip, json, sys
for path in sys.argv[1:]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert list(rows[3].keys()) == ["text", "id", "metadata"], rows[3].keys()
    assert "metadata" not in rows[0]
    assert rows[2]["text"].startswith("héllo")
    print(len(rows))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&plain)
        .arg(&gz)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = docs.len().to_string();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>(),
        [n.as_str(), n.as_str()]
    );
}

#[test]
fn large_documents_round_trip_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Over the size written in pieces, mostly characters JSON escapes.
    let big = Document::new("big", "\0\u{7f}\u{1}ab\\\"\n".repeat(300_000));
    let docs = vec![
        Document::new("a", "small"),
        big,
        Document::new("b", "small"),
    ];
    let want: String = docs
        .iter()
        .map(|d| {
            let v = json!({"text": d.text, "id": d.id});
            serde_json::to_string(&v).unwrap() + "\n"
        })
        .collect();
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let path = dir.path().join(format!("big.jsonl{}", c.extension()));
        let mut w = JsonlWriter::create(&path, c).expect("create");
        for d in &docs {
            w.write(d).expect("write");
        }
        assert_eq!(w.bytes(), want.len() as u64, "{c:?}");
        w.finish().expect("finish");
        let back: Vec<Document> = read(&InputFile::new(&path), &ReadOptions::default())
            .map(|r| match r {
                Record::Doc { doc, .. } => doc,
                Record::Bad(q) => panic!("{q:?}"),
            })
            .collect();
        assert_eq!(back.len(), 3);
        assert_eq!(back[1].text, docs[1].text, "{c:?}");
        if c == Compression::None {
            assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
        }
    }
}
