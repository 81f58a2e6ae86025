//! The archive record reader on the real (and partly malformed) WARC and ARC files of public
//! WARC libraries' test suites, against what warcio reads from them
//! (`tools/gen_warc_golden.py`).

use std::io::BufReader;
use std::path::Path;

use serde_json::Value;
use tamis_io::warc::{ArchiveReader, ArchiveRecord};

/// `../shared/data/warc`, or `None` (after saying so) on a fresh clone without it.
fn shared_archives() -> Option<std::path::PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/warc");
    if base.exists() {
        return Some(base);
    }
    eprintln!(
        "SKIP: {} is absent (a fresh clone has no ../shared)",
        base.display()
    );
    None
}

/// The archive's decompressed bytes (the shared archives are plain or gzip).
fn open_archive(path: &Path) -> Box<dyn std::io::BufRead> {
    let raw = std::fs::File::open(path).unwrap();
    if path.to_string_lossy().ends_with(".gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(raw)))
    } else {
        Box::new(BufReader::new(raw))
    }
}

#[test]
fn shared_archives_match_warcio() {
    let Some(base) = shared_archives() else {
        return;
    };
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/warc-records.jsonl"),
    )
    .unwrap();
    let (mut equal, mut more, mut stricter, mut bodies) = (0, 0, 0, 0);
    for line in golden.lines() {
        let g: Value = serde_json::from_str(line).unwrap();
        let file = g["file"].as_str().unwrap();
        let path = base.join(file);
        let recs: Vec<_> = ArchiveReader::new(open_archive(&path), 1 << 30).collect();
        let ours: Vec<(String, Option<String>, i64)> = recs
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r: &ArchiveRecord| {
                (
                    r.header("WARC-Type").unwrap_or("unknown").to_owned(),
                    r.header("WARC-Target-URI").map(str::to_owned),
                    r.block.len() as i64,
                )
            })
            .collect();
        let theirs_full: Vec<Value> = g["records"].as_array().unwrap().clone();
        let theirs: Vec<(String, Option<String>, i64)> = theirs_full
            .iter()
            .map(|r| {
                serde_json::from_value(Value::Array(r.as_array().unwrap()[..3].to_vec())).unwrap()
            })
            .collect();
        // HTTP bodies: where warcio decoded one, ours must have the same length.
        let good: Vec<&ArchiveRecord> = recs.iter().filter_map(|r| r.as_ref().ok()).collect();
        // (Only where warcio read the file without error: on broken files it gives up early.)
        let compare_bodies = g["error"].is_null();
        for (rec, t) in good.iter().zip(&theirs_full).filter(|_| compare_bodies) {
            let (Some(status), Some(len)) = (t[3].as_u64(), t[4].as_u64()) else {
                continue;
            };
            // warcio reads any first line as a status line: a CDX line in a `response` record
            // gives it "status" 20111130215150. Compare real and absent (0) statuses only.
            if status != 0 && !(100..600).contains(&status) {
                continue;
            }
            if rec.header("WARC-Type") != Some("response") {
                continue;
            }
            match tamis_io::http::parse_response(&rec.block, 1 << 30) {
                Ok(r) => {
                    assert_eq!(
                        u64::from(r.status),
                        status,
                        "{file} {:?}: block starts {:?}",
                        rec.header("WARC-Target-URI"),
                        String::from_utf8_lossy(&rec.block[..rec.block.len().min(40)])
                    );
                    assert_eq!(
                        r.body.len() as u64,
                        len,
                        "{file} {:?}: body length",
                        rec.header("WARC-Target-URI")
                    );
                    bodies += 1;
                }
                Err(e) => panic!("{file} {:?}: {e}", rec.header("WARC-Target-URI")),
            }
        }
        if g["error"].is_null() {
            // warcio read the whole file: so must we, record for record. One exception: a
            // stream cut short (a clipped gzip member) is a fault here, where warcio keeps the
            // partial record; the fault must then come last and name the cut record.
            let first_fault = recs.iter().position(Result::is_err);
            if let Some(i) = first_fault {
                let f = recs[i].as_ref().unwrap_err();
                assert_eq!(i, recs.len() - 1, "{file}: a fault before the end: {f:?}");
                assert!(
                    f.reason == tamis_io::warc::fault::READ_ERROR
                        || f.reason == tamis_io::warc::fault::TRUNCATED,
                    "{file}: {f:?}"
                );
                eprintln!("{file}: cut short, reported as {f:?}; warcio keeps the partial record");
                stricter += 1;
            }
            let n = first_fault.map_or(theirs.len(), |_| ours.len());
            assert_eq!(ours.len(), n, "{file}");
            for (a, b) in ours.iter().zip(&theirs) {
                assert_eq!(a.0, b.0, "{file}: record type");
                assert_eq!(a.2, b.2, "{file}: block length of {:?}", a.1);
            }
            equal += 1;
        } else {
            // warcio stopped on an error: we must finish too, every fault naming an offset
            // inside the file and a reason, and report at least one fault or read further.
            let faults: Vec<_> = recs.iter().filter_map(|r| r.as_ref().err()).collect();
            let size = std::fs::metadata(&path).unwrap().len();
            for f in &faults {
                assert!(
                    !f.reason.is_empty() && (file.ends_with(".gz") || f.offset < size),
                    "{file}: {f:?}"
                );
            }
            assert!(
                !faults.is_empty() || ours.len() > theirs.len(),
                "{file}: {} records, no fault",
                ours.len()
            );
            eprintln!(
                "{file}: warcio stops after {} records ({}); tamis reads {} and reports {} faults",
                theirs.len(),
                g["error"],
                ours.len(),
                faults.len()
            );
            if ours.len() > theirs.len() {
                more += 1;
            }
        }
    }
    eprintln!(
        "{equal} archives read as warcio reads them ({stricter} of them cut short, reported); \
         {more} read further than warcio; {bodies} HTTP bodies decoded to warcio's length"
    );
    assert!(equal >= 30);
}

/// A WARC record as a writer would produce it.
fn record(kind: &str, uri: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{kind}-{}>\r\n\
         WARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\nContent-Length: {}\r\n\r\n",
        uri.len(),
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

#[test]
fn archive_documents_are_html_responses_with_url_and_date() {
    use std::io::Write;
    use tamis_io::warc::ArchiveDocuments;
    use tamis_io::Record;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"<html><body><p>caf\xe9 cr\xe8me</p></body></html>")
        .unwrap();
    let gzipped = gz.finish().unwrap();
    let mut html = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n\
                     Content-Encoding: gzip\r\n\r\n"
        .to_vec();
    html.extend(&gzipped);
    let mut archive = Vec::new();
    archive.extend(record("warcinfo", "file", b"software: test"));
    archive.extend(record(
        "request",
        "http://a.example/",
        b"GET / HTTP/1.1\r\n\r\n",
    ));
    archive.extend(record("response", "http://a.example/", &html));
    archive.extend(record(
        "response",
        "http://a.example/logo.png",
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
    ));
    let truncated_at = archive.len() as u64;
    let mut cut = record(
        "response",
        "http://b.example/",
        b"HTTP/1.1 200 OK\r\n\r\n<html>b</html>",
    );
    cut.truncate(cut.len() - 10);
    archive.extend(cut);

    let mut docs = ArchiveDocuments::new(&archive[..], "t.warc", 1 << 20);
    let out: Vec<Record> = docs.by_ref().collect();
    assert_eq!(out.len(), 2, "{out:?}");
    let Record::Doc { doc, loc } = &out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(doc.text, "<html><body><p>café crème</p></body></html>");
    assert_eq!(doc.id, "<urn:uuid:response-17>");
    assert_eq!(doc.metadata["url"], "http://a.example/");
    assert_eq!(doc.metadata["date"], "2024-05-01T10:00:00Z");
    assert!(loc.byte_offset > 0);
    let Record::Bad(q) = &out[1] else {
        panic!("{:?}", out[1])
    };
    assert_eq!(
        (q.reason, q.loc.byte_offset),
        ("truncated_input", truncated_at)
    );
    let stats = docs.stats();
    assert_eq!((stats.other_type, stats.not_html), (2, 1));
}

#[test]
fn shared_archives_give_documents_and_account_for_every_record() {
    let Some(base) = shared_archives() else {
        return;
    };
    let (mut docs_total, mut files) = (0, 0);
    for dir in std::fs::read_dir(&base).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            let name = path.display().to_string();
            if !(name.ends_with(".warc")
                || name.ends_with(".warc.gz")
                || name.ends_with(".arc")
                || name.ends_with(".arc.gz"))
            {
                continue;
            }
            let records = ArchiveReader::new(open_archive(&path), 1 << 30).count();
            let mut docs =
                tamis_io::warc::ArchiveDocuments::new(open_archive(&path), name.clone(), 1 << 30);
            let out: Vec<tamis_io::Record> = docs.by_ref().collect();
            let st = docs.stats();
            // Every record is a document, a skip (with its reason counted) or a fault.
            assert_eq!(
                out.len() as u64 + st.other_type + st.not_html,
                records as u64,
                "{name}"
            );
            for r in &out {
                if let tamis_io::Record::Doc { doc, .. } = r {
                    assert!(
                        !doc.id.is_empty() && doc.metadata.contains_key("url"),
                        "{name}"
                    );
                    docs_total += 1;
                }
            }
            files += 1;
        }
    }
    eprintln!("{docs_total} HTML documents from {files} archives");
    assert!(
        files >= 40 && docs_total >= 300,
        "{files} files, {docs_total} documents"
    );
}

/// Reads `bytes` as the archive file `name` through [`tamis_io::read`], as `tamis run` does.
fn read_archive_file(
    name: &str,
    bytes: &[u8],
    opts: &tamis_io::ReadOptions,
) -> Vec<tamis_io::Record> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let input = tamis_io::InputFile::new(&path);
    tamis_io::read(&input, opts).collect()
}

fn bad(r: &tamis_io::Record) -> &tamis_io::Quarantined {
    match r {
        tamis_io::Record::Bad(q) => q,
        other => panic!("expected a quarantine record, got {other:?}"),
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn archive_files_that_hold_nothing_are_empty_files() {
    let opts = tamis_io::ReadOptions::default();
    for (name, bytes) in [
        ("zero.warc", Vec::new()),
        ("blank.warc", b"\r\n\r\n\n".to_vec()),
        ("empty.warc.gz", gz(b"")),
    ] {
        let out = read_archive_file(name, &bytes, &opts);
        assert_eq!(out.len(), 1, "{name}: {out:?}");
        assert_eq!(bad(&out[0]).reason, "empty_file", "{name}");
    }
    // Records that are not documents are not "empty".
    let info = record("warcinfo", "x", b"software: test");
    assert!(read_archive_file("info.warc", &info, &opts).is_empty());
}

#[test]
fn archive_stream_faults_are_classified_like_jsonl() {
    let page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>Some text.</p>";
    // One gzip member per record, as Common Crawl writes them.
    let members: Vec<Vec<u8>> = (0..4)
        .map(|i| gz(&record("response", &format!("http://a.example/{i}"), page)))
        .collect();
    let whole: Vec<u8> = members.concat();
    let opts = tamis_io::ReadOptions::default();
    let out = read_archive_file("cut.warc.gz", &whole[..whole.len() - 30], &opts);
    assert_eq!(out.len(), 4, "{out:?}");
    let q = bad(&out[3]);
    assert_eq!(q.reason, "truncated_input", "{q:?}");
    let record_len = record("response", "http://a.example/0", page).len() as u64;
    assert_eq!(q.loc.byte_offset, 3 * record_len);
    assert!(
        q.message.contains("gzip stream ends early"),
        "{}",
        q.message
    );
    let mut corrupt = members.clone();
    let m = &mut corrupt[2];
    let mid = m.len() / 2;
    for b in &mut m[mid - 4..mid + 4] {
        *b ^= 0x5a;
    }
    let out = read_archive_file("corrupt.warc.gz", &corrupt.concat(), &opts);
    let q = bad(out.last().unwrap());
    assert_eq!(q.reason, "decompress_error", "{q:?}");
    assert!(q.loc.byte_offset <= 2 * record_len + record_len);
}

#[test]
fn archive_reading_stops_at_max_decompressed_bytes() {
    let page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>Some text.</p>";
    let rec = record("response", "http://a.example/", page);
    let opts = tamis_io::ReadOptions {
        max_decompressed_bytes: Some(10 * rec.len() as u64),
        ..tamis_io::ReadOptions::default()
    };
    let out = read_archive_file("many.warc.gz", &gz(&rec.repeat(1000)), &opts);
    let docs = out.len() - 1;
    assert!((10..=11).contains(&docs), "{docs}");
    let q = bad(out.last().unwrap());
    assert_eq!(q.reason, "decompressed_too_large");
    assert!(
        q.message.contains("max_decompressed_bytes"),
        "{}",
        q.message
    );
    // A record's body is bounded by the same cap.
    let big = record("response", "http://a.example/", &[b'x'; 4096]);
    let opts = tamis_io::ReadOptions {
        max_decompressed_bytes: Some(1024),
        ..tamis_io::ReadOptions::default()
    };
    let out = read_archive_file("big.warc", &big, &opts);
    assert_eq!(bad(&out[0]).reason, "invalid_record", "{out:?}");
}
