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
    let (mut equal, mut more, mut stricter, mut bodies) = (0, 0, 0, 0);
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
