//! The archive record reader on the real (and partly malformed) WARC and ARC files of public
//! WARC libraries' test suites, against what warcio reads from them
//! (`tools/gen_warc_golden.py`).

use std::io::BufReader;
use std::path::Path;

use serde_json::Value;
use tamis_io::warc::{ArchiveReader, ArchiveRecord};

#[test]
fn shared_archives_match_warcio() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/warc");
    if !base.exists() {
        eprintln!(
            "SKIP: {} is absent (a fresh clone has no ../shared)",
            base.display()
        );
        return;
    }
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/warc-records.jsonl"),
    )
    .unwrap();
    let (mut equal, mut more, mut stricter) = (0, 0, 0);
    for line in golden.lines() {
        let g: Value = serde_json::from_str(line).unwrap();
        let file = g["file"].as_str().unwrap();
        let path = base.join(file);
        let raw = std::fs::File::open(&path).unwrap();
        let recs: Vec<_> = if file.ends_with(".gz") {
            let dec = flate2::read::MultiGzDecoder::new(raw);
            ArchiveReader::new(BufReader::new(dec), 1 << 30).collect()
        } else {
            ArchiveReader::new(BufReader::new(raw), 1 << 30).collect()
        };
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
        let theirs: Vec<(String, Option<String>, i64)> =
            serde_json::from_value(g["records"].clone()).unwrap();
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
         {more} read further than warcio"
    );
    assert!(equal >= 30);
}
