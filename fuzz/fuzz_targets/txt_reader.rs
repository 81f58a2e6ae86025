#![no_main]
//! The .txt reader (one document per file) over arbitrary bytes, plain and compressed.

use libfuzzer_sys::fuzz_target;
use tamis_io::{Compression, Format};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => common::read_all(rest, Format::Text, Compression::None, ".txt"),
        1 => common::read_all(rest, Format::Text, Compression::Gzip, ".txt.gz"),
        2 => common::read_all(rest, Format::Text, Compression::Zstd, ".txt.zst"),
        _ => {
            let z = common::zstd(rest);
            common::read_all(
                &z[..z.len() - z.len() / 3],
                Format::Text,
                Compression::Zstd,
                ".txt.zst",
            );
        }
    }
});
