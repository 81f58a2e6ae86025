//! The fault corpus: each kind of broken input, checking the quarantined record's reason and
//! location and that every good record around it is still read.

mod common;

use std::path::Path;

use common::*;
use tamis_io::{read, reason, Compression, InputFile, ReadOptions, Reader, Record};

/// Builds the mixed JSONL fixture and returns it with the start offset of each line.
fn mixed_lines() -> (Vec<u8>, Vec<u64>) {
    let lines: [&[u8]; 12] = [
        br#"{"id":"a","text":"first"}"#,
        br#"{"text": "broken","#,
        br#"{"id":"b","text":"second","metadata":{"k":1},"url":"u"}"#,
        br#"{"id":"x","body":"no text here"}"#,
        br#"{"id":"y","text":42}"#,
        b"{\"id\":\"z\",\"text\":\"bad \xff byte\"}",
        b"",
        b"   \t",
        br#"{"text":"no id"}"#,
        br#"[1,2]"#,
        br#"{"id":"c","text":""}"#,
        br#"{"id":"d","text":"last, no newline"}"#,
    ];
    let mut data = Vec::new();
    let mut starts = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        starts.push(data.len() as u64);
        data.extend_from_slice(l);
        if i + 1 < lines.len() {
            data.push(b'\n');
        }
    }
    (data, starts)
}

fn check_mixed(path: &Path) {
    let (data, starts) = mixed_lines();
    let file = path.to_string_lossy().into_owned();
    let mut reader = read(&InputFile::new(path), &ReadOptions::default());
    let records: Vec<Record> = reader.by_ref().collect();
    let expected: Vec<(&str, String, u64)> = vec![
        ("doc", "a".into(), 1),
        ("bad", reason::INVALID_JSON.into(), 2),
        ("doc", "b".into(), 3),
        ("bad", reason::MISSING_TEXT.into(), 4),
        ("bad", reason::TEXT_NOT_STRING.into(), 5),
        ("bad", reason::INVALID_UTF8.into(), 6),
        // lines 7 and 8 are blank: skipped, not records
        ("doc", format!("{file}/8"), 9),
        ("bad", reason::NOT_AN_OBJECT.into(), 10),
        ("doc", "c".into(), 11),
        ("doc", "d".into(), 12),
    ];
    let got: Vec<(&str, String, u64)> = summary(&records)
        .into_iter()
        .zip(&records)
        .map(|((k, v), r)| (k, v, r.loc().line))
        .collect();
    assert_eq!(got, expected, "{file}");
    for r in &records {
        let loc = r.loc();
        assert_eq!(loc.file, file);
        assert_eq!(loc.byte_offset, starts[(loc.line - 1) as usize], "{loc}");
        if let Record::Bad(q) = r {
            let line_start = starts[(loc.line - 1) as usize] as usize;
            let raw = q.raw.as_deref().expect("bad line records carry raw");
            assert_eq!(
                raw,
                String::from_utf8_lossy(&data[line_start..line_start + raw.len().min(3)])
                    + &raw[raw.len().min(3)..],
            );
            assert!(!q.message.is_empty());
        }
    }
    let utf8 = bad(&records[5]);
    assert!(
        utf8.message
            .contains(&format!("byte offset {}", starts[5] + 22)),
        "{}",
        utf8.message
    );
    let stats = reader.stats();
    assert_eq!((stats.lines, stats.blank_lines), (12, 2));
    assert_eq!((stats.docs, stats.bad), (5, 5));
    assert_eq!(stats.decompressed_bytes, data.len() as u64);
    // Good records keep their content and metadata.
    let Record::Doc { doc, .. } = &records[2] else {
        panic!("expected doc")
    };
    assert_eq!(doc.text, "second");
    assert_eq!(
        serde_json::Value::Object(doc.metadata.clone()),
        serde_json::json!({"k": 1, "url": "u"})
    );
}

#[test]
fn mixed_faults_in_plain_gzip_and_zstd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = mixed_lines();
    let plain = dir.path().join("mixed.jsonl");
    let gz = dir.path().join("mixed.jsonl.gz");
    let zst = dir.path().join("mixed.jsonl.zst");
    write(&plain, &data);
    write(&gz, &gzip(&data));
    write(&zst, &zstd(&data));
    check_mixed(&plain);
    check_mixed(&gz);
    check_mixed(&zst);
}

/// Truncates `compressed` to `keep` bytes and checks: a prefix of the documents in order, then
/// exactly one `truncated_input` record at the offset reached, then the end.
fn check_truncated(path: &Path, n: usize, starts: &[u64], total: u64, expect_all_docs: bool) {
    let records = read_all(path);
    let (last, docs) = records.split_last().expect("some records");
    for (i, r) in docs.iter().enumerate() {
        match r {
            Record::Doc { doc, loc } => {
                assert_eq!(doc.id, format!("d{i}"));
                assert_eq!((loc.line, loc.byte_offset), (i as u64 + 1, starts[i]));
            }
            Record::Bad(q) => panic!("unexpected bad record before the fault: {q}"),
        }
    }
    let k = docs.len();
    if expect_all_docs {
        assert_eq!(k, n);
    } else {
        assert!(k > 0 && k < n, "read {k} of {n} docs");
    }
    let q = bad(last);
    assert_eq!(q.reason, reason::TRUNCATED_INPUT, "{q}");
    assert_eq!(q.loc.file, path.to_string_lossy());
    assert_eq!(q.loc.line, k as u64 + 1);
    if k == n {
        assert_eq!(q.loc.byte_offset, total);
        assert!(q.raw.is_none());
    }
    if k < n {
        assert!(q.loc.byte_offset >= starts[k]);
        if k + 1 < n {
            assert!(q.loc.byte_offset < starts[k + 1]);
        }
        assert_eq!(q.raw.is_some(), q.loc.byte_offset > starts[k]);
    }
}

#[test]
fn truncated_gzip_and_zstd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 2000;
    let (data, starts) = jsonl_lines(n, 200);
    for (name, compressed) in [("t.jsonl.gz", gzip(&data)), ("t.jsonl.zst", zstd(&data))] {
        // Cut in the middle of the data.
        let half = dir.path().join(format!("half-{name}"));
        write(&half, &compressed[..compressed.len() / 2]);
        check_truncated(&half, n, &starts, data.len() as u64, false);
    }
    // Cut only the gzip trailer (CRC and size): every document decodes, yet the file is still
    // reported as cut short, after all of them.
    let gz = gzip(&data);
    let tail = dir.path().join("tail.jsonl.gz");
    write(&tail, &gz[..gz.len() - 3]);
    check_truncated(&tail, n, &starts, data.len() as u64, true);
    // Cut the last bytes of the zstd frame (end of the last block).
    let zs = zstd(&data);
    let tail = dir.path().join("tail.jsonl.zst");
    write(&tail, &zs[..zs.len() - 3]);
    check_truncated(&tail, n, &starts, data.len() as u64, false);
}

#[test]
fn corrupt_gzip_and_zstd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 2000;
    let (data, _) = jsonl_lines(n, 200);
    // Without a checksum, zstd can decode damaged literals into wrong text without noticing;
    // with one (the zstd CLI's default, and our writer's) the damage is reported at frame end.
    let cases = [
        ("c.jsonl.gz", gzip(&data)),
        ("c.jsonl.zst", zstd_checksummed(&data)),
    ];
    for (name, mut compressed) in cases {
        let mid = compressed.len() / 2;
        compressed[mid..mid + 64].fill(0xff);
        let path = dir.path().join(name);
        write(&path, &compressed);
        let records = read_all(&path);
        let (last, before) = records.split_last().expect("records");
        let q = bad(last);
        assert_eq!(q.reason, reason::DECOMPRESS_ERROR, "{name}: {q}");
        assert!(q.loc.byte_offset > 0, "{name}: {q}");
        // The damage is in the middle of the file: the first records decode untouched. (What
        // decodes between the damage and its detection depends on the codec: gzip notices at
        // once; zstd may emit damaged text until the frame checksum fails.)
        assert!(
            before.len() > 100,
            "{name}: {} records before the fault",
            before.len()
        );
        for (i, r) in before.iter().take(100).enumerate() {
            let Record::Doc { doc, .. } = r else {
                panic!("{name}: record {i} is bad")
            };
            assert_eq!(doc.id, format!("d{i}"));
        }
        println!("{name}: {} records, then {q}", before.len());
    }
}

#[test]
fn empty_inputs_report_empty_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zero.jsonl", vec![], "0 bytes"),
        ("zero.jsonl.gz", vec![], "0 bytes"),
        ("zero.jsonl.zst", vec![], "0 bytes"),
        ("stream.jsonl.gz", gzip(b""), "decompresses to 0 bytes"),
        ("stream.jsonl.zst", zstd(b""), "decompresses to 0 bytes"),
        ("blank.jsonl", b"\n  \n\r\n\t\n".to_vec(), "all blank"),
        ("zero.txt", vec![], "0 bytes"),
        ("stream.txt.gz", gzip(b""), "decompresses to 0 bytes"),
    ];
    for (name, data, msg) in cases {
        let path = dir.path().join(name);
        write(&path, &data);
        let records = read_all(&path);
        assert_eq!(records.len(), 1, "{name}");
        let q = bad(&records[0]);
        assert_eq!(q.reason, reason::EMPTY_FILE, "{name}");
        assert!(q.message.contains(msg), "{name}: {}", q.message);
        assert_eq!((q.loc.line, q.loc.byte_offset), (0, 0));
        assert_eq!(q.loc.file, path.to_string_lossy());
    }
}

#[test]
fn missing_and_unreadable_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope/missing.jsonl");
    let missing_s = missing.to_string_lossy().into_owned();

    // Through expand_inputs (the CLI path) and through InputFile::new.
    let inputs = tamis_io::expand_inputs(&[missing_s.as_str()]);
    assert_eq!(inputs.len(), 1);
    for input in [inputs[0].clone(), InputFile::new(&missing)] {
        let records: Vec<Record> = read(&input, &ReadOptions::default()).collect();
        assert_eq!(records.len(), 1);
        let q = bad(&records[0]);
        assert_eq!(q.reason, reason::UNREADABLE_PATH);
        assert_eq!(q.loc.file, missing_s);
        assert!(q.message.contains("No such file"), "{}", q.message);
    }

    // An input file that disappears between expansion and reading.
    let gone = dir.path().join("gone.jsonl");
    write(&gone, b"{\"text\":\"x\"}\n");
    let input = InputFile::new(&gone);
    std::fs::remove_file(&gone).expect("rm");
    let records: Vec<Record> = read(&input, &ReadOptions::default()).collect();
    assert_eq!(bad(&records[0]).reason, reason::UNREADABLE_PATH);

    // A directory named as a file.
    let records = read_all(dir.path());
    assert_eq!(records.len(), 1);
    assert_eq!(bad(&records[0]).reason, reason::UNREADABLE_PATH);

    // Permission denied (not testable as root, which can read anything).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked.jsonl");
        write(&locked, b"{\"text\":\"x\"}\n");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::File::open(&locked).is_ok() {
            println!("skipping permission-denied check: running with privileges that ignore modes");
        } else {
            let records = read_all(&locked);
            assert_eq!(records.len(), 1);
            let q = bad(&records[0]);
            assert_eq!(q.reason, reason::UNREADABLE_PATH);
            assert!(q.message.contains("ermission"), "{}", q.message);
        }
    }
}

#[test]
fn long_lines_are_skipped_without_buffering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = format!("{{\"id\":\"long\",\"text\":\"{}\"}}", "x".repeat(10_000));
    let data =
        format!("{{\"id\":\"a\",\"text\":\"s\"}}\n{long}\n{{\"id\":\"b\",\"text\":\"t\"}}\n");
    let path = dir.path().join("long.jsonl.zst");
    write(&path, &zstd(data.as_bytes()));
    let opts = ReadOptions {
        max_record_bytes: 1000,
        ..ReadOptions::default()
    };
    let records = read_with(&path, &opts);
    assert_eq!(
        summary(&records),
        [
            ("doc", "a".to_owned()),
            ("bad", reason::LINE_TOO_LONG.to_owned()),
            ("doc", "b".to_owned())
        ]
    );
    let q = bad(&records[1]);
    assert_eq!((q.loc.line, q.loc.byte_offset), (2, 22));
    assert_eq!(q.raw.as_deref(), Some(&long[..1024]));
    assert!(
        q.message.contains(&format!("{} bytes", long.len())),
        "{}",
        q.message
    );
}

#[test]
fn lines_of_many_small_values_are_not_parsed() {
    // Under the line limit, but `[0,0,...]` would take 16 times its length once parsed.
    let dir = tempfile::tempdir().expect("tempdir");
    let zeros = vec!["0"; 2000].join(",");
    let dense = format!("{{\"id\":\"dense\",\"text\":\"x\",\"m\":[{zeros}]}}");
    // As long, but one string: parsed, it takes little more than its length.
    let wide = format!(
        "{{\"id\":\"wide\",\"text\":\"x\",\"m\":\"{}\"}}",
        "0,".repeat(2000)
    );
    // Commas and brackets inside strings (escaped quotes included) are not values.
    let quoted = format!(
        "{{\"id\":\"quoted\",\"text\":\"{}\"}}",
        "\\\",[0,".repeat(1000)
    );
    let data = format!("{dense}\n{wide}\n{quoted}\n");
    let path = dir.path().join("dense.jsonl");
    write(&path, data.as_bytes());
    let opts = ReadOptions {
        max_record_bytes: 16_000,
        ..ReadOptions::default()
    };
    let records = read_with(&path, &opts);
    assert_eq!(
        summary(&records),
        [
            ("bad", reason::JSON_TOO_LARGE.to_owned()),
            ("doc", "wide".to_owned()),
            ("doc", "quoted".to_owned())
        ]
    );
    let q = bad(&records[0]);
    assert_eq!(q.loc.line, 1);
    assert!(
        q.message.contains("max_record_bytes = 16000"),
        "{}",
        q.message
    );
    // With room for the parsed values, the same line is a document.
    let roomy = ReadOptions {
        max_record_bytes: 200_000,
        ..ReadOptions::default()
    };
    let all = read_with(&path, &roomy);
    assert!(all.iter().all(Record::is_doc), "{:?}", summary(&all));
}

#[test]
fn compression_follows_magic_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = jsonl_lines(10, 50);
    // A gzip file without the .gz suffix is decoded as gzip.
    let disguised = dir.path().join("disguised.jsonl");
    write(&disguised, &gzip(&data));
    let mut r = read(&InputFile::new(&disguised), &ReadOptions::default());
    assert_eq!(r.by_ref().filter(Record::is_doc).count(), 10);
    assert_eq!(r.compression(), Some(Compression::Gzip));
    // A zstd file named .gz is decoded as zstd.
    let swapped = dir.path().join("swapped.jsonl.gz");
    write(&swapped, &zstd(&data));
    assert_eq!(read_all(&swapped).iter().filter(|r| r.is_doc()).count(), 10);
    // A plain file named .gz is not silently read as plain text: the name promised gzip.
    let liar = dir.path().join("liar.jsonl.gz");
    write(&liar, &data);
    let records = read_all(&liar);
    assert_eq!(records.len(), 1);
    let q = bad(&records[0]);
    assert_eq!(q.reason, reason::DECOMPRESS_ERROR);
    assert!(q.message.contains("not gzip magic"), "{}", q.message);
}

#[test]
fn multi_member_gzip_is_read_fully() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = jsonl_lines(300, 100);
    let cut = data.iter().position(|&b| b == b'\n').expect("newline") + 1 + 1000;
    let mut both = gzip(&data[..cut]);
    both.extend_from_slice(&gzip(&data[cut..]));
    let path = dir.path().join("multi.jsonl.gz");
    write(&path, &both);
    let records = read_all(&path);
    assert_eq!(records.len(), 300);
    assert!(records.iter().all(Record::is_doc));
}

#[test]
fn bom_and_crlf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("win.jsonl");
    write(
        &path,
        b"\xEF\xBB\xBF{\"text\":\"a\"}\r\n{\"text\":\"b\"}\r\n",
    );
    let records = read_all(&path);
    let texts: Vec<String> = records
        .into_iter()
        .map(|r| r.into_doc().expect("doc").text)
        .collect();
    assert_eq!(texts, ["a", "b"]);
}

#[test]
fn decompressed_size_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = jsonl_lines(100, 100);
    let path = dir.path().join("bomb.jsonl.zst");
    write(&path, &zstd(&data));
    let opts = ReadOptions {
        max_decompressed_bytes: Some(1000),
        ..ReadOptions::default()
    };
    let records = read_with(&path, &opts);
    let (last, docs) = records.split_last().expect("records");
    assert!(docs.iter().all(Record::is_doc) && !docs.is_empty() && docs.len() < 100);
    assert_eq!(bad(last).reason, reason::DECOMPRESSED_TOO_LARGE);
}

#[test]
fn text_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.txt");
    write(&good, "héllo\nworld\n".as_bytes());
    let zst = dir.path().join("good.txt.zst");
    write(&zst, &zstd("zstd text".as_bytes()));
    for (path, text) in [(&good, "héllo\nworld\n"), (&zst, "zstd text")] {
        let records = read_all(path);
        assert_eq!(records.len(), 1);
        let Record::Doc { doc, loc } = &records[0] else {
            panic!("expected doc")
        };
        assert_eq!(doc.id, path.to_string_lossy());
        assert_eq!(doc.text, text);
        assert!(doc.metadata.is_empty());
        assert_eq!((loc.line, loc.byte_offset), (1, 0));
    }

    let badf = dir.path().join("bad.txt");
    write(&badf, b"line one\nline \xc3\x28 two\n");
    let records = read_all(&badf);
    let q = bad(&records[0]);
    assert_eq!(q.reason, reason::INVALID_UTF8);
    assert_eq!((q.loc.line, q.loc.byte_offset), (2, 14));

    let big = dir.path().join("big.txt");
    write(&big, &[b'a'; 5000]);
    let opts = ReadOptions {
        max_record_bytes: 4096,
        ..ReadOptions::default()
    };
    let records = read_with(&big, &opts);
    assert_eq!(bad(&records[0]).reason, reason::FILE_TOO_LARGE);

    let cut = dir.path().join("cut.txt.gz");
    let full = gzip(noisy_text(1, 100_000).as_bytes());
    write(&cut, &full[..full.len() / 2]);
    let records = read_all(&cut);
    assert_eq!(records.len(), 1);
    let q = bad(&records[0]);
    assert_eq!(q.reason, reason::TRUNCATED_INPUT);
    assert!(q.loc.byte_offset > 0 && q.loc.byte_offset < 100_000);
}

#[test]
fn reader_is_send_and_fused() {
    fn assert_send<T: Send>() {}
    assert_send::<Reader>();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("one.jsonl");
    write(&path, b"{\"text\":\"x\"}\n");
    let mut r = read(&InputFile::new(&path), &ReadOptions::default());
    assert!(r.next().is_some());
    assert!(r.next().is_none());
    assert!(r.next().is_none());
}

#[test]
fn custom_keys_and_file_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.jsonl");
    write(
        &path,
        b"{\"content\":\"c\",\"doc_id\":7,\"text\":\"not me\"}\n",
    );
    let opts = ReadOptions {
        text_key: "content".into(),
        id_key: "doc_id".into(),
        add_file_path: true,
        ..ReadOptions::default()
    };
    let doc = read_with(&path, &opts).remove(0).into_doc().expect("doc");
    assert_eq!((doc.id.as_str(), doc.text.as_str()), ("7", "c"));
    assert_eq!(
        serde_json::Value::Object(doc.metadata),
        serde_json::json!({"text": "not me", "file_path": path.to_string_lossy()})
    );
}
