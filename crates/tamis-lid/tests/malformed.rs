//! Malformed model files must be rejected with an error that names the file and the problem, and
//! must never panic, neither while loading nor when a corrupted-but-loadable model predicts.

use std::path::Path;

use tamis_lid::{FormatError, LidError, Model, ALL};

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name),
    )
    .unwrap()
}

fn lid176() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/lid.176.ftz")).unwrap()
}

/// Model files to mutate: the bundled one plus every matrix/loss kind.
fn models() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("lid.176.ftz", lid176()),
        ("tiny-softmax.bin", golden("tiny-softmax.bin")),
        ("tiny-ova.bin", golden("tiny-ova.bin")),
        ("tiny-ns-quant.ftz", golden("tiny-ns-quant.ftz")),
        ("tiny-hs-qout.ftz", golden("tiny-hs-qout.ftz")),
    ]
}

const PROBES: &[&str] = &[
    "",
    "Hello world",
    "Das ist ein Test </s> x",
    "日本語 ελληνικά é",
];

fn exercise(m: &Model) {
    for text in PROBES {
        for k in [1, 3, ALL] {
            let _ = m.predict(text, k, 0.0);
        }
        let _ = m.predict_document(text);
    }
}

#[test]
fn every_model_loads() {
    for (name, bytes) in models() {
        let m = Model::from_bytes_named(&bytes, name).unwrap();
        exercise(&m);
    }
}

#[test]
fn truncations_are_errors_naming_the_file() {
    for (name, bytes) in models() {
        // every prefix through the header, dictionary start and a spread over the rest
        let mut cuts: Vec<usize> = (0..200.min(bytes.len())).collect();
        let step = (bytes.len() / 300).max(1);
        cuts.extend((200..bytes.len()).step_by(step));
        cuts.push(bytes.len() - 1);
        for cut in cuts {
            let err = Model::from_bytes_named(&bytes[..cut], name)
                .expect_err("a truncated model must not load");
            let msg = err.to_string();
            assert!(msg.starts_with(name), "{msg}");
            match err {
                LidError::Format { offset, kind, .. } => {
                    assert!(offset <= cut, "{msg}");
                    // A cut inside a string can read as a bad entry type or similar; anything
                    // but a clean error is a bug, and most cuts must say "truncated".
                    if cut > 8 && cut < 60 {
                        assert!(matches!(kind, FormatError::Truncated { .. }), "{msg}");
                    }
                }
                LidError::Io { .. } => panic!("{msg}"),
            }
        }
    }
}

#[test]
fn header_errors_are_specific() {
    let mut bytes = lid176();
    let name = "lid.176.ftz";
    bytes[0] ^= 1;
    let msg = Model::from_bytes_named(&bytes, name)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("bad magic"), "{msg}");
    bytes[0] ^= 1;
    bytes[4] = 13;
    let msg = Model::from_bytes_named(&bytes, name)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("version 13"), "{msg}");
    bytes[4] = 12;
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"junk");
    let msg = Model::from_bytes_named(&longer, name)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("4 unexpected bytes"), "{msg}");
    let err = Model::from_path("/nonexistent/lid.bin").unwrap_err();
    assert!(matches!(err, LidError::Io { .. }));
    assert!(err
        .to_string()
        .starts_with("/nonexistent/lid.bin: cannot read"));
}

/// xorshift, so the test needs no dependency and is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn corruptions_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, bytes) in models() {
        // Bytes in the header, args, dictionary header and at random places; flipped, zeroed,
        // set to 0xff. Some corruptions still load (a changed float); those must predict.
        let mut loaded = 0;
        for i in 0..400 {
            let mut b = bytes.clone();
            let pos = if i < 120 {
                i % 100
            } else {
                (rng.next() % b.len() as u64) as usize
            };
            b[pos] = match rng.next() % 3 {
                0 => b[pos] ^ (1 << (rng.next() % 8)),
                1 => 0,
                _ => 0xff,
            };
            if let Ok(m) = Model::from_bytes_named(&b, name) {
                loaded += 1;
                exercise(&m);
            }
        }
        assert!(
            loaded > 0,
            "{name}: some corruptions (in float data) should still load"
        );
    }
}
