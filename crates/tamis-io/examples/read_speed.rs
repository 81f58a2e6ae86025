//! How fast one file is read (decompressed and parsed into records), on a pool of N threads.
//!
//! `cargo run --release -p tamis-io --example read_speed -- FILE [THREADS]`: prints the records,
//! a digest of their texts' lengths (the same for any thread count) and the wall time. With
//! THREADS = 0 the file is read outside any pool, serially.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: read_speed FILE [THREADS]");
        std::process::exit(2);
    };
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let input = tamis_io::InputFile::new(&path);
    let read = || {
        let start = Instant::now();
        let (mut records, mut digest) = (0u64, 0u64);
        for r in tamis_io::read(&input, &tamis_io::ReadOptions::default()) {
            records += 1;
            if let tamis_io::Record::Doc { doc, .. } = r {
                digest = digest.wrapping_mul(31).wrapping_add(doc.text.len() as u64);
            }
        }
        println!(
            "{records} records, digest {digest:016x}, {:.3} s",
            start.elapsed().as_secs_f64()
        );
    };
    if threads == 0 {
        read();
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(read);
    }
}
