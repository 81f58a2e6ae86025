#![no_main]
//! The WARC/WET/ARC reader (`tamis run` on `.warc`, `.warc.gz`, `.warc.zst`, `.arc`) over
//! arbitrary bytes: as they are, as the block of a well-formed WARC `response` record (so the
//! fuzzer reaches the HTTP layer without first having to discover the header syntax), with a
//! `Content-Length` too short or too long, or as an ARC record; then plain, gzip (whole, cut,
//! or with a flipped byte) or zstd.

use libfuzzer_sys::fuzz_target;
use tamis_io::{read, Compression, Format, InputFile, Record};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = match (mode / 5) % 4 {
        0 => rest.to_vec(),
        // One response record around the bytes, then a second record, so a fault in the
        // first must not hide the second.
        1 => {
            let mut v = record(rest);
            v.extend_from_slice(&record(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x",
            ));
            v
        }
        // A record whose Content-Length is off by a few bytes (too short, too long).
        2 => {
            let mut v = record(rest);
            let delta = usize::from(mode % 7);
            if mode & 1 == 0 {
                v.truncate(v.len().saturating_sub(delta + 4));
            } else {
                v.extend_from_slice(&rest[..delta.min(rest.len())]);
            }
            v
        }
        // An ARC file: its version block, then one record around the bytes.
        _ => {
            let mut v = arc_record(
                "filedesc://x.arc",
                b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n",
            );
            v.extend_from_slice(&arc_record("http://example.com/", rest));
            v
        }
    };
    let (bytes, c, ext) = match mode % 5 {
        0 => (body, Compression::None, ".warc"),
        1 => (body, Compression::Gzip, ".warc.gz"),
        2 => {
            let g = common::gzip(&body);
            let cut = g.len() * usize::from(mode % 6) / 6;
            (g[..cut].to_vec(), Compression::Gzip, ".warc.gz")
        }
        3 => {
            let mut g = common::gzip(&body);
            if !g.is_empty() {
                let i = (usize::from(mode) * 31 + body.len()) % g.len();
                g[i] ^= 0x5A;
            }
            (g, Compression::Gzip, ".warc.gz")
        }
        _ => (common::zstd(&body), Compression::Zstd, ".warc.zst"),
    };
    check(&bytes, c, ext);
});

/// A WARC `response` record holding `block`.
fn record(block: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\n\
         WARC-Target-URI: http://example.com/\r\nContent-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    v.extend_from_slice(block);
    v.extend_from_slice(b"\r\n\r\n");
    v
}

/// An ARC (version 1) record holding `block`.
fn arc_record(url: &str, block: &[u8]) -> Vec<u8> {
    let mut v = format!("{url} 127.0.0.1 20140216050323 text/html {}\n", block.len()).into_bytes();
    v.extend_from_slice(block);
    v.push(b'\n');
    v
}

/// Reads the bytes as an archive and checks the reader's invariants: every quarantine
/// record has a known reason and a message, offsets never go backwards, the counts agree with
/// what was yielded.
fn check(bytes: &[u8], c: Compression, ext: &str) {
    let path = common::scratch(ext);
    std::fs::write(&path, bytes).expect("write scratch file");
    let opts = common::opts();
    let input = InputFile::with_format(&path, Format::Archive, c);
    let mut reader = read(&input, &opts);
    let (mut docs, mut bad, mut last) = (0u64, 0u64, 0u64);
    for r in reader.by_ref() {
        let loc = match &r {
            Record::Doc { doc, loc } => {
                docs += 1;
                // The body is bounded, and decoding at most triples it (a byte to U+FFFD).
                assert!(doc.text.len() <= 4 * opts.max_record_bytes);
                loc.clone()
            }
            Record::Bad(q) => {
                bad += 1;
                assert!(!q.message.is_empty());
                assert!(tamis_io::reason::ALL.contains(&q.reason), "{}", q.reason);
                q.loc.clone()
            }
        };
        assert!(loc.byte_offset >= last, "offsets go forward");
        last = loc.byte_offset;
    }
    let s = reader.stats();
    assert_eq!((s.docs, s.bad), (docs, bad));
    let _ = std::fs::remove_file(&path);
}
