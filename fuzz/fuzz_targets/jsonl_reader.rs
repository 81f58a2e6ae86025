#![no_main]
//! The JSONL reader over arbitrary bytes: plain, as raw gzip/zstd data, and as valid
//! compressed streams that are then cut or corrupted.

use libfuzzer_sys::fuzz_target;
use tamis_io::{Compression, Format};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (c, ext) = match mode % 3 {
        0 => (Compression::None, ".jsonl"),
        1 => (Compression::Gzip, ".jsonl.gz"),
        _ => (Compression::Zstd, ".jsonl.zst"),
    };
    let bytes = match (mode / 3) % 4 {
        // The bytes as they are (for gz/zst: arbitrary compressed data).
        0 => rest.to_vec(),
        // A valid stream of the bytes.
        1 => wrap(c, rest),
        // A valid stream cut short.
        2 => {
            let w = wrap(c, rest);
            w[..w.len() * usize::from(mode % 7) / 7].to_vec()
        }
        // A valid stream with one byte flipped.
        _ => {
            let mut w = wrap(c, rest);
            if !w.is_empty() {
                let i = (usize::from(mode) * 31 + rest.len()) % w.len();
                w[i] ^= 0xA5;
            }
            w
        }
    };
    common::read_all(&bytes, Format::Jsonl, c, ext);
});

fn wrap(c: Compression, data: &[u8]) -> Vec<u8> {
    match c {
        Compression::None => data.to_vec(),
        Compression::Gzip => common::gzip(data),
        Compression::Zstd => common::zstd(data),
    }
}
