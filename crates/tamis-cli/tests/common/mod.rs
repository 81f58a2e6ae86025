//! Helpers shared by the end-to-end tests (each test binary uses some of them).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs tamis with `args` (`&str`s or `String`s).
pub fn tamis<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tamis"))
        .args(args)
        .output()
        .expect("run tamis")
}

/// Runs tamis and asserts it succeeded, showing its stderr if not.
pub fn tamis_ok<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let o = tamis(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

pub fn stats(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap()
}

/// Every file directly in `dir`, by name, with its bytes.
pub fn read_dir_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

pub fn jsonl_zst(path: &Path) -> Vec<Value> {
    let text = zstd::decode_all(std::fs::File::open(path).unwrap()).unwrap();
    String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
