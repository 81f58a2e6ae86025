// Shared by the reader targets: write the input to a per-process file and read it back.
// Not every target that includes this module uses every helper.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

use tamis_io::{read, Compression, Format, InputFile, ReadOptions, Record};

/// Small limits so that bombs and long lines hit the guards instead of libFuzzer's RSS limit.
pub fn opts() -> ReadOptions {
    ReadOptions {
        max_record_bytes: 1 << 16,
        max_decompressed_bytes: Some(1 << 22),
        zstd_window_log_max: 20,
        ..ReadOptions::default()
    }
}

pub fn scratch(ext: &str) -> PathBuf {
    // /dev/shm keeps the per-iteration write off the disk where it exists.
    let dir = PathBuf::from("/dev/shm");
    let dir = if dir.is_dir() {
        dir
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("tamis-fuzz-{}{ext}", std::process::id()))
}

/// Reads `bytes` as a file of `format`/`compression` and checks the reader's invariants.
pub fn read_all(bytes: &[u8], format: Format, compression: Compression, ext: &str) {
    let path = scratch(ext);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write scratch file");
    let input = InputFile::with_format(&path, format, compression);
    let mut reader = read(&input, &opts());
    let (mut docs, mut bad, mut last_line) = (0u64, 0u64, 0u64);
    for r in reader.by_ref() {
        match r {
            Record::Doc { loc, .. } => {
                docs += 1;
                assert!(loc.line > last_line, "lines go forward");
                last_line = loc.line;
            }
            Record::Bad(q) => {
                bad += 1;
                assert!(!q.message.is_empty());
                assert!(tamis_io::reason::ALL.contains(&q.reason), "{}", q.reason);
                if let Some(raw) = &q.raw {
                    assert!(raw.len() <= 4 * tamis_io::RAW_LIMIT);
                }
            }
        }
    }
    let s = reader.stats();
    assert_eq!((s.docs, s.bad), (docs, bad));
    // Every file yields something: documents, or a record saying why not.
    assert!(docs + bad > 0);
    // A fault ends the file: at most one stream-level fault after the records.
    if format == Format::Text {
        assert_eq!(docs + bad, 1);
    }
    let _ = std::fs::remove_file(&path);
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).expect("zstd")
}
